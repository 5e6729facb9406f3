"""Partial results: the shipped schema, strict loading, and the set checks of ``pyramid
merge`` on hand-made partials (the end-to-end runs are in tests/integration/run/test_shards.py)."""

from __future__ import annotations

import copy
import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.cli import main
from pytest_pyramid.errors import VerdictError
from pytest_pyramid.run.shard import selection_digest
from pytest_pyramid.verdict.document import config_digest
from pytest_pyramid.verdict.merge import MergeRefused, Partial, check_set, worst_exit
from pytest_pyramid.verdict.partial import (
    load_partial,
    partial_name,
    placeholder_partial,
    schema_errors,
)

if TYPE_CHECKING:
    from pathlib import Path

TABLE: dict[str, Any] = {}
IDS = [f"tests/unit/test_a.py::test_{n}" for n in range(6)]


#: the CI run every hand-made shard belongs to (a merge refuses shards without one)
RUN = "github:o/r:1:test"
#: the environment every hand-made shard ran in (run/interpreter_identity.py)
ENVIRONMENT = {"implementation": "cpython", "python": "3.11.7", "platform": "linux-x86_64",
               "distributions": "a" * 64}


def partial(index: int, total: int, ids: list[str], **changes: Any) -> dict[str, Any]:
    """A finished partial as a shard writes it (no coverage, no git)."""
    document = placeholder_partial(index, total, f"--pyramid-shard={index}/{total}", "",
                                   environ={})
    document.update({
        "run_id": RUN,
        "finished": True, "commit": None, "commit_time": None, "branch": None, "dirty": None,
        "tree": {"digest": None, "head": None, "excluded": []}, "project": ".",
        "config": {"file": "pyproject.toml", "digest": config_digest(TABLE)},
        "python": "3.11.7", "pytest": "9", "environment": dict(ENVIRONMENT),
        "selection": {"digest": selection_digest(IDS), "count": len(IDS), "tiers": {"unit": 6},
                      "selected_tiers": ["unit"], "durations": None, "durations_digest": None,
                      "units": len(IDS), "estimated": len(IDS), "predicted_s": []},
        "tests": [{"nodeid": n, "tier": "unit", "outcome": "passed", "setup_s": 0.0,
                   "call_s": 0.001, "teardown_s": 0.0} for n in ids],
        "not_reported": [], "assigned": len(ids),
        "tiers": {"unit": {"selected": True, "collected": 6, "deselected": 0,
                           "paths_not_collected": 0, "files_on_disk": 1,
                           "skipped_modules": 0, "never_ran": 0,
                           "test_time_s": 0.003, "wall_time_s": 0.01, "budget_s": 30.0,
                           "test_timeout_s": None, "slowest": []}},
        "metrics": [], "metrics_discarded": [], "scope_setup": {},
        "run": {"exitstatus": 0, "interrupted": False, "tests_failed": 0, "workers": 0,
                "failed_reports": 0, "collection_errors": 0,
                "duration_s": 0.5, "args": [], "filtered": [], "required": ["unit"]},
        "completeness": [], "coverage": None, "sections": {}, "plugin_gates": [],
        "diff_base": None,
    })
    document.update(changes)
    return document


def split(total: int = 2) -> list[dict[str, Any]]:
    return [partial(i, total, IDS[i - 1::total]) for i in range(1, total + 1)]


def as_partials(tmp_path: Path, documents: list[dict[str, Any]]) -> list[Partial]:
    found = []
    for number, document in enumerate(documents):
        path = tmp_path / str(number) / partial_name(document["shard"]["index"],
                                                     document["shard"]["total"])
        path.parent.mkdir()
        path.write_text(json.dumps(document))
        found.append(Partial(path, load_partial(path)))
    return found


def test_hand_made_partials_match_the_shipped_schema() -> None:
    for document in split(3):
        assert schema_errors(document) == []
    assert schema_errors(placeholder_partial(1, 2, "x", "why", environ={})) == []
    broken = partial(1, 2, IDS)
    del broken["selection"]
    assert any("selection" in e for e in schema_errors(broken))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"", "the file is empty"),
        (b"\xff\xfe", "not UTF-8 text"),
        (b"{", "not valid JSON"),
        (b"[]", "not a JSON object"),
        (b'{"format": "pytest-pyramid-partial", "schema_version": 9}', "schema_version is 9"),
        (b'{"format": "ctrf"}', "format is 'ctrf'"),
    ],
)
def test_unreadable_partials_are_named(tmp_path: Path, text: bytes, message: str) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(text)
    with pytest.raises(VerdictError, match=message) as info:
        load_partial(path)
    assert str(info.value).startswith(str(path))


def _mutated(change: str) -> str:
    document = partial(1, 1, IDS)
    text = json.dumps(document)
    if change == "nan":
        return text.replace('"call_s": 0.001', '"call_s": NaN', 1)
    if change == "infinity":
        return text.replace('"call_s": 0.001', '"call_s": 1e999', 1)
    if change == "huge int":
        return text.replace('"workers": 0', '"workers": 123456789012345678901234567890', 1)
    if change == "huge float":
        return text.replace('"duration_s": 0.5', '"duration_s": 1' + "0" * 400 + ".0", 1)
    if change == "surrogate":
        return text.replace("test_0", "test_\\ud800", 1)
    if change == "outcome":
        return text.replace('"outcome": "passed"', '"outcome": "won"', 1)
    if change == "negative":
        return text.replace('"call_s": 0.001', '"call_s": -1', 1)
    if change == "bool":
        return text.replace('"call_s": 0.001', '"call_s": true', 1)
    if change == "metric":
        document["metrics"] = [{"name": "m", "value": "fast", "tier": "unit",
                                "nodeid": IDS[0], "tags": {}}]
        return json.dumps(document)
    if change == "deep":
        deep: Any = 1
        for _ in range(80):
            deep = {"x": deep}
        document["sections"] = {"artifacts": deep}
        return json.dumps(document)
    raise AssertionError(change)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("nan", "NaN is not valid JSON"),
        ("infinity", "tests/0: call_s must be a finite number >= 0"),
        ("huge int", "too large"),
        ("huge float", "not finite"),
        ("surrogate", "lone surrogate"),
        ("outcome", "tests/0: outcome 'won' is not one of"),
        ("negative", "tests/0: call_s must be a finite number >= 0"),
        ("bool", "tests/0: call_s must be a finite number >= 0"),
        ("metric", "metrics/0: value must be a finite number"),
        ("deep", "sections: nested deeper than a verdict may be"),
    ],
)
def test_a_partial_holds_nothing_a_verdict_could_not(
    tmp_path: Path, change: str, message: str
) -> None:
    path = tmp_path / "p.json"
    path.write_text(_mutated(change))
    with pytest.raises(VerdictError, match=message):
        load_partial(path)


def test_the_cli_says_it_in_one_line_with_exit_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pyramid]\n")
    (tmp_path / "p.json").write_text(_mutated("nan"))
    monkeypatch.chdir(tmp_path)
    assert main(["merge", "p.json"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("pyramid merge: ")
    assert "p.json" in err
    assert len(err.strip().splitlines()) == 1
    verdict = json.loads((tmp_path / "pyramid-verdict.json").read_text())
    assert verdict["decision"] == "incomplete"  # whatever was there before is gone


def test_no_project_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["merge", "nothing.json"]) == 3
    assert "no pyproject.toml with [tool.pyramid]" in capsys.readouterr().err


def test_a_directory_without_partials_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pyramid]\n")
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(["merge", "empty"]) == 3
    assert "no pyramid-partial-*-of-*.json in this directory" in capsys.readouterr().err


def test_a_complete_disjoint_set_is_accepted(tmp_path: Path) -> None:
    shard_set = check_set(as_partials(tmp_path, split(3)))
    assert shard_set.missing == []
    assert sorted(shard_set.chosen) == [1, 2, 3]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("totals", "is one of 3 shards, the others of 2: partials of different splits"),
        ("run", "is from another CI run (GITHUB_RUN_ID=2) than shard 1/2"),
        ("commit", "is from another commit: bbbbbbbbbbbb against aaaaaaaaaaaa"),
        ("tree", "tested another tree"),
        ("project", "is of another project (another folder of the repository): b against ."),
        ("config", "ran with another [tool.pyramid] configuration"),
        ("tiers", "selected other tiers: unit, e2e against unit"),
        ("gap", "the 2 shards' tests do not add up to the selection of 6 tests: 1 test(s)"),
        ("retry", "two attempts of shard 2/2 ran different tests"),
        ("index", "shard 3 of only 2"),
        ("no_run_id", "carries no CI run id (run_id is null on every shard): nothing says"),
        ("told_another", f"is from CI run {RUN}, but the merge was told run other"),
        # hostile cases 353, 359: a CI matrix's legs share the workflow's run id
        ("python_leg", "ran in another environment (a matrix leg of its own: another "
                       "interpreter or other installed distributions): cpython 3.12.1 on "
                       "linux-x86_64"),
        ("dependency_leg", "ran in another environment"),
        ("leg_as_retry", "ran in another environment"),
        ("pytest", "ran under another pytest: 8.4.0 against 9"),
    ],
)
def test_partials_that_cannot_be_one_run_are_refused(
    tmp_path: Path, fault: str, message: str
) -> None:
    first, second = split(2)
    if fault == "totals":
        second = partial(3, 3, IDS[1::2])
    elif fault == "run":
        first["run_id"], second["run_id"] = "GITHUB_RUN_ID=1", "GITHUB_RUN_ID=2"
    elif fault == "commit":
        first["commit"], second["commit"] = "a" * 40, "b" * 40
    elif fault == "tree":
        second["tree"] = {**second["tree"], "digest": "c" * 40}
    elif fault == "project":  # a monorepo's other project, same commit and tree
        second["project"] = "b"
    elif fault == "config":
        second["config"] = {"file": "pyproject.toml", "digest": "sha256:other"}
    elif fault == "tiers":
        second["selection"] = {**second["selection"], "selected_tiers": ["unit", "e2e"]}
    elif fault == "gap":
        second["tests"] = second["tests"][:-1]
    elif fault == "index":
        second["shard"] = {**second["shard"], "index": 3}
    elif fault == "no_run_id":
        first["run_id"] = second["run_id"] = None
    elif fault == "python_leg":
        second["environment"] = {**ENVIRONMENT, "python": "3.12.1"}
    elif fault == "dependency_leg":  # the lowest versions' leg: same interpreter
        second["environment"] = {**ENVIRONMENT, "distributions": "b" * 64}
    elif fault == "pytest":
        second["pytest"] = "8.4.0"
    documents = [first, second]
    if fault == "leg_as_retry":  # the passing leg's shard 2 is no later try of the failing one's
        retry = copy.deepcopy(second)
        retry["attempt"] = {**retry["attempt"], "id": "another", "finished": 1e10}
        retry["environment"] = {**ENVIRONMENT, "python": "3.12.1"}
        documents.append(retry)
    if fault == "retry":
        retry = copy.deepcopy(second)
        retry["attempt"] = {**retry["attempt"], "id": "another", "finished": 1e10}
        retry["tests"] = retry["tests"][:-1]
        documents.append(retry)
    with pytest.raises(MergeRefused, match=_escaped(message)):
        check_set(as_partials(tmp_path, documents),
                  "other" if fault == "told_another" else None)


def test_shards_without_a_run_id_are_one_run_when_the_merge_is_told_which(
    tmp_path: Path,
) -> None:
    documents = split(2)
    for document in documents:
        document["run_id"] = None
    assert sorted(check_set(as_partials(tmp_path, documents), "local-1").chosen) == [1, 2]


def _escaped(text: str) -> str:
    return re.escape(text)


def test_the_later_attempt_counts_and_changed_outcomes_are_recorded(tmp_path: Path) -> None:
    first, second = split(2)
    retry = copy.deepcopy(second)
    retry["attempt"] = {**retry["attempt"], "id": "retry", "finished": 1e10}
    second["tests"][0]["outcome"] = "failed"
    shard_set = check_set(as_partials(tmp_path, [retry, first, second]))
    assert shard_set.chosen[2].attempt_id == "retry"
    assert [p.attempt_id for p in shard_set.retried[2]] == [second["attempt"]["id"]]
    assert shard_set.changed == {IDS[1]: ["failed"]}


def test_an_unfinished_shard_is_missing_not_refused(tmp_path: Path) -> None:
    first = split(2)[0]
    dead = placeholder_partial(2, 2, "--pyramid-shard=2/2", "killed by the runner",
                               environ={"PYRAMID_RUN_ID": RUN})
    shard_set = check_set(as_partials(tmp_path, [first, dead]))
    assert shard_set.unfinished == [2]
    assert "shard 2 of 2 did not finish (killed by the runner)" in (
        shard_set.problems[0]["message"])


@pytest.mark.parametrize(
    ("statuses", "worst"),
    [([0, 0], 0), ([0, 1], 1), ([1, 2], 2), ([5, 0], 5), ([1, 5], 1), ([4, 1], 4), ([], 0)],
)
def test_the_worst_exit_status_of_the_shards(statuses: list[int], worst: int) -> None:
    assert worst_exit(statuses) == worst


def test_a_key_naming_no_file_travels_through_a_partial_to_the_merge_as_it_is(
    tmp_path: Path,
) -> None:
    """Hostile case 156: a shell reading its standard input is an unverifiable entry keyed by
    what ran (``run/unfollowed.py: stdin_key``), not by a path: the shard's partial keeps it
    as it is, and the merge does not place it in its checkout, so the merge's judgement names
    it and the tracked allowance vouches for it, as in the shard's own run."""
    from pytest_pyramid.run.imported import CodeSeen, outside_tree
    from pytest_pyramid.run.unfollowed import allowed, vouched
    from pytest_pyramid.verdict.merge import ShardSet, merged_code
    from pytest_pyramid.verdict.partial import code_facts

    why = "run as a program of its own (sh reading its commands from its standard input)"
    seen = CodeSeen()
    seen.unverifiable.update({"sh <stdin>": why, str(tmp_path / "x.sh"): why})
    facts = code_facts(seen, str(tmp_path), {})
    assert facts is not None
    assert facts["unverifiable"] == {"sh <stdin>": why, "x.sh": why}
    shard = Partial(tmp_path / "p.json", {**partial(1, 1, []), "closed_world": facts})
    merged, _ = merged_code(ShardSet(total=1, chosen={1: shard}), str(tmp_path), tmp_path)
    assert merged is not None
    assert merged.unverifiable == {"sh <stdin>": why, str(tmp_path / "x.sh"): why}
    said = outside_tree(merged, str(tmp_path), {}, [])
    assert "sh <stdin> (run as a program of its own" in said[0], said
    left = vouched(merged.unverifiable, lambda real: real.removeprefix(f"{tmp_path}/"),
                   allowed(["process sh <stdin>"]))
    assert left == {str(tmp_path / "x.sh"): why}


def test_a_partial_that_does_not_say_its_environment_is_not_one(tmp_path: Path) -> None:
    """Allow-list: a partial without the environment record is not known, never merged."""
    first, second = split(2)
    del second["environment"]
    with pytest.raises(VerdictError, match="'environment' is a required property"):
        as_partials(tmp_path, [first, second])
