"""A nested run's verdict is its parent run's evidence, never a release's: the one trust
function (verdict/trust.py, called by ``pyramid check`` and every deploy gate) refuses it,
and a merged verdict is nested when any shard was."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pytest_pyramid.verdict.merge import merged_invocation_record
from pytest_pyramid.verdict.trust import NESTED, Target, TrustPolicy, judge
from tests.verdict_factory import make_verdict

UNKNOWN = "does not record whether another pytest run started its run"
_MISSING = object()


def verdict_with(started: object, *, invocation: bool = True) -> Any:
    verdict = make_verdict()
    if not invocation:
        del verdict["run"]["invocation"]
    elif started is _MISSING:
        del verdict["run"]["invocation"]["started_by_run"]
    else:
        verdict["run"]["invocation"]["started_by_run"] = started
    return verdict


@pytest.mark.parametrize(("started", "invocation", "expected"), [
    pytest.param(False, True, None, id="top-level: trusted"),
    pytest.param(True, True, NESTED, id="started by a live run: refused"),
    pytest.param(_MISSING, True, UNKNOWN, id="field missing (schema 2 requires it)"),
    pytest.param(None, True, UNKNOWN, id="null"),
    pytest.param("false", True, UNKNOWN, id="a string, not a boolean"),
    pytest.param(0, True, UNKNOWN, id="0, not false"),
    pytest.param(_MISSING, False, UNKNOWN, id="no invocation record at all"),
])
def test_only_a_top_level_run_vouches_for_a_release(started: object, invocation: bool,
                                                    expected: str | None) -> None:
    trust = judge(verdict_with(started, invocation=invocation), target=Target(commit=None),
                  policy=TrustPolicy())
    if expected is None:
        assert trust.trusted, trust.problems
    else:
        assert [p for p in trust.problems if expected in p], trust.problems
        assert not trust.trusted


def test_the_refusal_is_the_one_line_the_docs_promise() -> None:
    assert NESTED == ("the verdict's run was started by another pytest run (its parent "
                      "judges it); a release needs a top-level run")


TOP: dict[str, Any] = {"sources": [], "exclusions": [], "started_by_run": False}


def shard(started: object) -> dict[str, Any] | None:
    if started is _MISSING:
        return None
    record = copy.deepcopy(TOP)
    record["started_by_run"] = started
    return record


@pytest.mark.parametrize(("merge", "shards", "expected"), [
    pytest.param(False, [False, False], False, id="all top-level"),
    pytest.param(False, [False, True], True, id="one shard nested"),
    pytest.param(True, [False, False], True, id="the merge itself nested"),
    pytest.param(False, [False, _MISSING], False, id="a shard without a record (incomplete)"),
])
def test_a_merged_verdict_is_nested_when_any_shard_was(merge: bool, shards: list[object],
                                                      expected: bool) -> None:
    invocations: list[tuple[str, Any, list[str]]] = [
        ("pyramid merge", {**TOP, "started_by_run": merge}, [])]
    invocations += [(f"shard {i}", shard(s), []) for i, s in enumerate(shards)]
    assert merged_invocation_record(invocations)["started_by_run"] is expected
