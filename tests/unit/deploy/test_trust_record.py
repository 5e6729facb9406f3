"""The anchors record's chain, the advance of anchors by a succeeded deployment, one key one
person: pure logic on files in a temporary folder."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.anchors import (
    advance,
    committed_approvals,
    committed_requires,
    committed_roles,
)
from pytest_pyramid.deploy.approvals import load_people
from pytest_pyramid.deploy.config import Person
from pytest_pyramid.deploy.trust_record import (
    AnchorSet,
    append,
    parse_record,
    read_record,
    record_path,
)
from pytest_pyramid.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

CI = AnchorSet(("ci-key",), True, (Person("alice", ("alice-key",), ("lead",)),), ())


def write(work_dir: Path, *anchors: AnchorSet) -> None:
    for n, item in enumerate(anchors):
        append(work_dir, at="2026-12-06T00:00:00Z", event=f"line {n}", commit="a" * 40,
               deployment_id=n, anchors=item)


def test_a_record_reads_back_what_was_appended(tmp_path: Path) -> None:
    write(tmp_path, CI, AnchorSet(("ci-2027",), True))
    record = read_record(tmp_path)
    assert record.problem is None
    assert [e.seq for e in record.entries] == [1, 2]
    assert record.entries[0].anchors == CI
    assert record.latest is not None
    assert record.latest.anchors.trusted_keys == ("ci-2027",)
    assert read_record(tmp_path / "nowhere").missing


def _lines(tmp_path: Path) -> list[str]:
    write(tmp_path, CI, AnchorSet(("ci-2027",), True), AnchorSet(("ci-2028",), True))
    return record_path(tmp_path).read_text().splitlines()


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda lines: lines[1:], "does not follow the line before it"),  # first line removed
        (lambda lines: [lines[0], lines[2]], "does not follow the line before it"),
        (lambda lines: [lines[0], lines[2], lines[1]], "does not follow the line before it"),
        (lambda lines: [lines[0], lines[1].replace("ci-2027", "mallory"), lines[2]],
         "does not follow the line before it"),  # an edit shows in the next line's link
        (lambda lines: [*lines[:2], lines[2].replace('"require_signature":true',
                                                     '"require_signature":"no"')],
         "require_signature is not true or false"),
        (lambda lines: [*lines[:2], lines[2].replace('"requires":[]', '"requires":[{'
                                                     '"environment":"staging","within_s":-1}]')],
         "anchors.requires: an entry needs"),
        (lambda lines: [*lines[:2], lines[2].replace('"requires":[]', '"requires":"staging"')],
         "anchors.requires is not a list"),
        (lambda lines: [*lines[:2], lines[2].replace('"required_approvals":0',
                                                     '"required_approvals":-1')],
         "anchors.required_approvals is not a count"),
        (lambda lines: [*lines, "{not json"], "line 4"),
        (lambda lines: [], "empty"),
        (lambda lines: ["[]"], "not a JSON object"),
    ],
)
def test_a_damaged_record_is_broken_as_a_whole(
    tmp_path: Path, damage: object, problem: str
) -> None:
    lines = damage(_lines(tmp_path))  # type: ignore[operator]
    record = parse_record("".join(f"{line}\n" for line in lines).encode(), "anchors.jsonl")
    assert record.problem is not None
    assert problem in record.problem
    assert record.entries == ()


def test_append_refuses_to_extend_a_broken_record_and_to_race(tmp_path: Path) -> None:
    write(tmp_path, CI)
    assert append(tmp_path, at="", event="late", commit=None, deployment_id=1, anchors=CI,
                  expect={"seq": 0}) is None  # someone else appended line 1 meanwhile
    path = record_path(tmp_path)
    path.write_text(path.read_text().replace('"seq":1', '"seq":7'))
    with pytest.raises(OSError, match="broken record"):
        write(tmp_path, CI)


NONE: frozenset[str] = frozenset()


@pytest.mark.parametrize(
    ("declared", "sets", "expected"),
    [
        # a commit that says nothing keeps the anchors
        (AnchorSet(), NONE, CI),
        # rotation: the keys it sets replace, require_signature never goes down
        (AnchorSet(("ci-2027",), False), frozenset({"trusted_keys", "require_signature"}),
         AnchorSet(("ci-2027",), True, CI.approvers)),
        (AnchorSet(approvers=()), frozenset({"approvers"}), AnchorSet(("ci-key",), True)),
    ],
)
def test_a_succeeded_deployment_advances_the_anchors(
    declared: AnchorSet, sets: frozenset[str], expected: AnchorSet
) -> None:
    assert advance(CI, declared, sets) == expected
    assert advance(AnchorSet(), AnchorSet(require_signature=True),
                   frozenset({"require_signature"})).require_signature


def test_one_key_under_two_names_is_one_person(tmp_path: Path) -> None:
    from pytest_pyramid.verdict.signing import generate_private_key, public_pem

    public = public_pem(generate_private_key().public_key()).decode()
    with pytest.raises(ConfigError, match="the same key is configured for 'mallory'"):
        load_people([Person("mallory", (public,), ("lead",)),
                     Person("mallory-too", (public + "\n",), ("lead",))],
                    table="approvers", source="host")
    assert json.loads(json.dumps(CI.as_dict())) == CI.as_dict()
    assert AnchorSet.from_dict(CI.as_dict()) == CI


STAGING = (("staging", 7200.0),)


@pytest.mark.parametrize(
    ("base", "declared", "expected"),
    [
        # a commit that drops `requires` keeps it: what was once required stays required
        (STAGING, (), STAGING),
        # a commit adds one: both hold; a narrower window narrows, a wider one never widens
        (STAGING, (("qa", 3600.0),), (("qa", 3600.0), ("staging", 7200.0))),
        (STAGING, (("staging", 60.0),), (("staging", 60.0),)),
        (STAGING, (("staging", 9e9),), STAGING),
        ((), STAGING, STAGING),
    ],
)
def test_required_environments_only_ever_add(
    base: tuple[tuple[str, float], ...], declared: tuple[tuple[str, float], ...],
    expected: tuple[tuple[str, float], ...],
) -> None:
    advanced = advance(AnchorSet(requires=base), AnchorSet(requires=declared), NONE)
    assert advanced.requires == expected
    assert AnchorSet.from_dict(advanced.as_dict()) == advanced


def test_a_line_written_before_requirements_were_recorded_has_none() -> None:
    old = {key: value for key, value in CI.as_dict().items() if key != "requires"}
    assert AnchorSet.from_dict(old).requires == ()


BASE = {"command": "serve", "requires_within": "4h"}


@pytest.mark.parametrize(
    ("table", "environment", "expected"),
    [
        ({**BASE, "environments": {"production": {"requires": "staging"}}}, "production",
         (("staging", 14400.0),)),  # the environment's own key, the base window
        ({"environments": {"production": {"requires": "staging", "requires_within": "1h"}}},
         "production", (("staging", 3600.0),)),
        ({"environments": {"production": {}}}, "production", ()),  # dropped: declares none
        ({"environments": {"production": {"requires": "staging"}}}, "staging", ()),
        ({"environments": {"staging": {"requires": "staging"}}}, "staging", ()),  # itself
        ({"environments": {"production": {"requires": "staging", "requires_within": "soon"}}},
         "production", ()),  # unparseable: not set (the loader refuses it on the host side)
        ({"environments": "garbage"}, "production", ()),
    ],
)
def test_what_a_commit_requires_is_read_as_the_loader_merges_it(
    table: dict[str, object], environment: str, expected: tuple[tuple[str, float], ...]
) -> None:
    assert committed_requires(table, environment) == expected


@pytest.mark.parametrize(
    ("base", "declared", "expected"),
    [(1, 0, 1), (1, 2, 2), (0, 1, 1)],  # a commit lowering its approvals keeps the record's
)
def test_required_approvals_only_ever_go_up(base: int, declared: int, expected: int) -> None:
    advanced = advance(AnchorSet(required_approvals=base),
                       AnchorSet(required_approvals=declared), NONE)
    assert advanced.required_approvals == expected
    assert AnchorSet.from_dict(advanced.as_dict()) == advanced


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({"required_approvals": 1, "environments": {"production": {"required_approvals": 2}}},
         2),
        ({"required_approvals": 1, "environments": {"production": {}}}, 1),
        ({"environments": {"production": {"required_approvals": "two"}}}, 0),
    ],
)
def test_a_commit_s_required_approvals_are_read_as_the_loader_merges_them(
    table: dict[str, object], expected: int
) -> None:
    assert committed_approvals(table, "production") == expected


RM = ("release_manager",)


@pytest.mark.parametrize(
    ("base", "declared", "expected"),
    [
        ((), RM, RM),  # the first list is recorded
        (RM, (), RM),  # a commit dropping it (any approver) keeps the record's
        (("release_manager", "lead"), ("Lead",), ("Lead",)),  # a subset narrows
        (RM, ("lead",), RM),  # other roles never replace the recorded ones
        (RM, ("release_manager", "lead"), RM),  # nor widen them
        ((), (), ()),
    ],
)
def test_approver_roles_are_only_ever_narrowed(
    base: tuple[str, ...], declared: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    advanced = advance(AnchorSet(approver_roles=base), AnchorSet(approver_roles=declared), NONE)
    assert advanced.approver_roles == expected
    assert AnchorSet.from_dict(advanced.as_dict()) == advanced


def test_approver_roles_are_read_from_a_commit_and_a_line_without_them_has_none() -> None:
    table = {"approver_roles": ["lead"],
             "environments": {"production": {"approver_roles": ["release_manager"]}}}
    assert committed_roles(table, "production") == RM
    assert committed_roles(table, "staging") == ("lead",)
    assert committed_roles({"approver_roles": "lead"}, "production") == ()  # not a list
    old = {key: value for key, value in CI.as_dict().items() if key != "approver_roles"}
    assert AnchorSet.from_dict(old).approver_roles == ()
    with pytest.raises(ValueError, match="approver_roles is not a list of roles"):
        AnchorSet.from_dict({**CI.as_dict(), "approver_roles": [""]})


@pytest.mark.parametrize(("serves", "line", "read"), [
    # (what the folder serves, its JSON in the line, what reads back; "bad": a broken record)
    (("production", 9000), {"environment": "production", "port": 9000}, ("production", 9000)),
    (("", 8000), {"environment": "", "port": 8000}, ("", 8000)),  # no environments
    (None, None, None),  # a line written before it was kept: nothing to hold a deploy to
    (None, {"environment": "production"}, "bad"),
    (None, {"environment": "production", "port": True}, "bad"),
    (None, {"environment": 1, "port": 9000}, "bad"),
])
def test_what_a_folder_serves_reads_back_and_advances_never(
    tmp_path: Path, serves: tuple[str, int] | None, line: dict[str, object] | None,
    read: tuple[str, int] | str | None,
) -> None:
    write(tmp_path, AnchorSet(("ci-key",), True, serves=serves))
    if serves is None and line is not None:  # the line as another writer left it
        path = record_path(tmp_path)
        data = json.loads(path.read_text())
        data["anchors"]["serves"] = line
        path.write_text(json.dumps(data) + "\n")
    record = read_record(tmp_path)
    if read == "bad":
        assert record.problem is not None
        assert "anchors.serves needs an environment name and a port" in record.problem
        return
    assert record.latest is not None
    assert record.latest.anchors.serves == read
    assert ("serves" in json.loads(record_path(tmp_path).read_text())["anchors"]) is \
        (line is not None)
    # a succeeded deployment's commit never moves it: the first use's stays
    moved = advance(record.latest.anchors, AnchorSet(serves=("staging", 9001)), NONE)
    assert moved.serves == read
