"""The gates a scenario expects, derived from gate discovery (``gates/specs/``).

The engine tests name only what a scenario is about (the gates it turns off, the members of
a family such as ``budget.*``); the list itself, and its
order, come from the registry. Adding a gate file changes no scenario: the gate is expected
wherever its spec is active, in its spec's place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.gates.engine import discover

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

    from pytest_pyramid.gates.spec import GateSpec, Setup


def family(spec: GateSpec) -> str:
    """The prefix of the ids a family spec emits (``budget.*`` -> ``budget.``), else its id."""
    return spec.id[:-1] if spec.id.endswith("*") else spec.id


def spec_of(gate_id: str) -> GateSpec:
    """The discovered spec that emits ``gate_id`` (its own id, or a family's member)."""
    for spec in discover():
        if gate_id == spec.id or (spec.id.endswith("*") and gate_id.startswith(family(spec))):
            return spec
    raise AssertionError(f"no spec in gates/specs/ emits {gate_id!r}")


def expected_gates(setup: Setup, *, members: Mapping[str, Sequence[str]],
                   off: Collection[str] = (), quiet: Collection[str] = ()) -> list[str]:
    """The gate ids an engine emits in a scenario, in report order: every discovered spec
    its ``active`` admits, less those the scenario turns ``off`` and those it leaves ``quiet``
    (active, but with nothing to state in it: ``tests.flaky_on_arrival`` with no base and no
    arrival row); a family is expanded into
    the ``members`` the scenario names (an active family the scenario does not name is an
    error of the scenario, not an empty family)."""
    named = set(members) | set(off) | set(quiet)
    unknown = named - {spec.id for spec in discover()}
    assert not unknown, f"the scenario names gates no spec defines: {sorted(unknown)}"
    expected: list[str] = []
    for spec in discover():
        if spec.id in off or spec.id in quiet or not spec.active(setup):
            continue
        if spec.id.endswith("*"):
            assert spec.id in members, f"the scenario does not say what {spec.id} emits"
            expected.extend(members[spec.id])
        else:
            expected.append(spec.id)
    return expected
