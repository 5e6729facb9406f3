"""Run-time facts of several processes combine by each field's policy (run/facts.py)."""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

import pytest

from pytest_pyramid.run.facts import (
    FactsRecord,
    Policy,
    absorb_all,
    combine,
    register_facts,
    ship,
)


@pytest.mark.parametrize(
    ("policy", "current", "incoming", "first", "expected"),
    [
        ("same", Counter(), {"unit": 3}, True, Counter(unit=3)),
        ("same", Counter(unit=3), {"unit": 4}, False, Counter(unit=3)),
        ("max", 0, 2, True, 2),
        ("max", 2, 0, False, 2),
        ("max", 1, 5, False, 5),
        ("union", set(), ["b", "a"], True, {"a", "b"}),
        ("union", {"a"}, ["b"], False, {"a", "b"}),
        ("union", ["x", "y"], ["y", "z"], False, ["x", "y", "z"]),
        ("union", Counter(unit=1, e2e=2), {"unit": 3}, False, Counter(unit=3, e2e=2)),
        ("union", ["controller saw this"], ["worker saw that"], True,
         ["controller saw this", "worker saw that"]),
    ],
)
def test_combine_by_policy(
    policy: Policy, current: Any, incoming: Any, first: bool, expected: Any
) -> None:
    assert combine(policy, current, incoming, first=first) == expected


class Seen(FactsRecord):
    POLICIES: ClassVar[dict[str, Policy]] = {"files": "union", "count": "same", "lost": "max"}

    def __init__(self) -> None:
        self.files: list[str] = []
        self.count = 0
        self.lost = 0


def test_the_controller_unions_every_workers_record_not_the_first() -> None:
    controller: dict[str, FactsRecord] = {}
    register_facts(controller, "seen", Seen())
    workers = []
    for files, lost in ((["a.py"], 0), (["a.py", "b.py"], 2), ([], 1)):
        record = Seen()
        record.files, record.count, record.lost = files, 7, lost
        registry: dict[str, FactsRecord] = {}
        register_facts(registry, "seen", record)
        workers.append(ship(registry))
    for shipped in workers:
        assert absorb_all(controller, shipped) == []
    seen = controller["seen"]
    assert isinstance(seen, Seen)
    assert (seen.files, seen.count, seen.lost, seen.absorbed) == (["a.py", "b.py"], 7, 2, 3)


def test_a_record_no_plugin_here_reads_is_named_not_dropped() -> None:
    assert absorb_all({}, {"imports": {"files": ["x.py"]}}) == ["imports"]


def test_a_name_is_one_record() -> None:
    registry: dict[str, FactsRecord] = {}
    register_facts(registry, "seen", Seen())
    with pytest.raises(ValueError, match="'seen' is already registered"):
        register_facts(registry, "seen", Seen())


class Blobs(FactsRecord):
    """A record with an ``agree`` field: a key two processes give different values is a
    finding (here: listed), not a union."""

    POLICIES: ClassVar[dict[str, Policy]] = {"files": "agree"}

    def __init__(self) -> None:
        self.files: dict[str, str] = {"conftest.py": "c1"}
        self.findings: list[str] = []

    def disagreed(self, name: str, key: str) -> None:
        self.findings.append(f"{name}:{key}")


@pytest.mark.parametrize(
    ("shipped", "files", "findings"),
    [
        ([{"files": {"a.py": "a1"}}], {"conftest.py": "c1", "a.py": "a1"}, []),
        ([{"files": {"a.py": "a1"}}, {"files": {"a.py": "a1", "b.py": "b1"}}],
         {"conftest.py": "c1", "a.py": "a1", "b.py": "b1"}, []),
        # the same file read with other bytes by a worker: the first value stays, named
        ([{"files": {"a.py": "a1"}}, {"files": {"a.py": "a2"}}],
         {"conftest.py": "c1", "a.py": "a1"}, ["files:a.py"]),
        # the controller's own read counts as much as a worker's
        ([{"files": {"conftest.py": "c2"}}], {"conftest.py": "c1"}, ["files:conftest.py"]),
    ],
)
def test_an_agree_field_is_a_union_whose_disagreements_are_findings(
    shipped: list[dict[str, Any]], files: dict[str, str], findings: list[str],
) -> None:
    record = Blobs()
    for data in shipped:
        record.absorb(data)
    assert (record.files, record.findings) == (files, findings)


def test_an_agree_field_without_a_disagreed_method_is_a_bug_not_a_silent_union() -> None:
    class Plain(FactsRecord):
        POLICIES: ClassVar[dict[str, Policy]] = {"files": "agree"}

        def __init__(self) -> None:
            self.files = {"a.py": "1"}

    with pytest.raises(NotImplementedError, match="disagreed"):
        Plain().absorb({"files": {"a.py": "2"}})
