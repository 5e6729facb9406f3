"""Run-time facts every process observes, unioned on the xdist controller: one mechanism.

A fact a worker observes (foreign code, an ignored conftest, a file it imported, a test it
dropped) must count whichever worker saw it: keeping the first worker's copy lets a fact
seen by the second one vanish. A :class:`FactsRecord` names, per field, how the records of
several processes combine:

- ``union``: sets, lists (first-seen order kept) and counters (the largest count per key):
  what any process saw counts;
- ``max``: a number that flags a problem (tests dropped, injected, run from outside);
- ``same``: what every process computes alike from the same collection (xdist refuses to
  run workers that collected differently): the first process's value;
- ``agree``: a mapping every process adds to, whose keys must mean one thing (a file and
  the blob id of the bytes read): the union, but a key two processes give different values
  is a finding, not a union - the record's :meth:`FactsRecord.disagreed` is told, and the
  first value is kept.

A record is registered by name in the config stash (:func:`register_facts`); every xdist
worker ships every registered record in ``workeroutput`` at its session end, and the
controller absorbs every worker's, whichever plugin registered it. Pure logic: no pytest
import here (``run/session.py`` carries the records).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:
    from pytest_pyramid.run.summary import Problem

Policy = Literal["union", "max", "same", "agree"]

#: where a worker puts its records in ``workeroutput``: {record name: record dict}
WORKER_OUTPUT_KEY = "pyramid_facts"


def typed(current: Any, incoming: Any) -> Any:
    """``incoming`` as shipped (JSON) in the container type of ``current``."""
    if isinstance(current, Counter):
        return Counter(dict(incoming))
    if isinstance(current, set):
        return set(incoming)
    if isinstance(current, list):
        return list(incoming)
    return incoming


def combine(policy: Policy, current: Any, incoming: Any, *, first: bool) -> Any:
    """One field of two processes' records: ``current`` (what was absorbed so far) and
    ``incoming`` (another process's, as shipped). ``first``: nothing was absorbed yet, so
    ``current`` is this process's own value (a controller's: it observed nothing)."""
    incoming = typed(current, incoming)
    if policy == "same" or (first and policy == "max"):
        return incoming if first else current
    if policy == "max":
        return max(current, incoming)
    if isinstance(current, Counter):
        return Counter({key: max(current.get(key, 0), incoming.get(key, 0))
                        for key in (*current, *incoming)})
    if isinstance(current, set):
        return current | incoming
    if isinstance(current, list):
        seen = set(current)
        return [*current, *(item for item in incoming if item not in seen)]
    if isinstance(current, dict):  # what a key was first said to be stays
        return {**incoming, **current}
    raise TypeError(f"no union for {type(current).__name__}")


def agree(current: Mapping[str, Any], incoming: object) -> tuple[dict[str, Any], list[str]]:
    """The ``agree`` policy: the union of two mappings, and the keys they disagree on (each
    keeps its first value: which process is right is not known, so neither counts)."""
    if not isinstance(incoming, Mapping):
        raise TypeError(f"expected a mapping, got {type(incoming).__name__}")
    merged = dict(current)
    disagreed = []
    for key, value in incoming.items():
        known = merged.setdefault(str(key), value)
        if known != value:
            disagreed.append(str(key))
    return merged, disagreed


def encode(value: Any) -> Any:
    """A field as it travels (JSON-able): sets sorted, counters as dicts."""
    if isinstance(value, set):
        return sorted(value)
    if isinstance(value, Counter):
        return dict(value)
    return value


class FactsRecord:
    """A record of facts with a combining policy per field (:data:`POLICIES`)."""

    #: field -> how two processes' values combine
    POLICIES: ClassVar[Mapping[str, Policy]] = {}

    #: how many processes' records were absorbed (0: only this process's own)
    absorbed: int = 0

    def problems(self) -> list[Problem]:
        """Why the run cannot vouch for the suite, by this record (read on the controller,
        or the serial process, once every worker's record was absorbed): none by default.
        A toolkit's record says so here (a service that could not be had)."""
        return []

    def to_dict(self) -> dict[str, Any]:
        return {name: encode(getattr(self, name)) for name in self.POLICIES}

    def absorb(self, data: Mapping[str, Any]) -> None:
        """Fold another process's record in: ``same`` fields take the first absorbed value,
        ``max`` fields start from it, ``union`` fields add to what is here, ``agree`` fields
        too, telling :meth:`disagreed` of each key the two give different values."""
        first = self.absorbed == 0
        for name, policy in self.POLICIES.items():
            if name not in data:
                continue
            if policy == "agree":
                value, disagreed = agree(getattr(self, name), data[name])
                setattr(self, name, value)
                for key in disagreed:
                    self.disagreed(name, key)
                continue
            setattr(self, name, combine(policy, getattr(self, name), data[name], first=first))
        self.absorbed += 1

    def disagreed(self, name: str, key: str) -> None:
        """Two processes gave ``key`` of the ``agree`` field ``name`` different values: a
        record with such a field says what that means (its own finding)."""
        raise NotImplementedError(f"{type(self).__name__} has an agree field {name!r} but "
                                  "no disagreed()")


def register_facts(registry: dict[str, FactsRecord], name: str, record: FactsRecord) -> None:
    """Add a record to the run's registry (``stash.FACTS_REGISTRY_KEY``); a name is one
    record."""
    if name in registry and registry[name] is not record:
        raise ValueError(f"a facts record named {name!r} is already registered")
    registry[name] = record


def ship(registry: Mapping[str, FactsRecord]) -> dict[str, dict[str, Any]]:
    """What a worker puts under :data:`WORKER_OUTPUT_KEY`."""
    return {name: record.to_dict() for name, record in registry.items()}


def absorb_all(registry: Mapping[str, FactsRecord], shipped: object) -> list[str]:
    """Fold one worker's shipped records in; returns the names it shipped that no record
    here knows (a worker with another plugin set: said, never silently dropped)."""
    if not isinstance(shipped, Mapping):
        return []
    unknown = []
    for name, data in shipped.items():
        record = registry.get(name)
        if record is None or not isinstance(data, Mapping):
            unknown.append(str(name))
            continue
        record.absorb(data)
    return unknown
