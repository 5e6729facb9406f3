"""The pure parts of a target run, as tables: ``run/target.py: parse_target`` and
``verdict/decision.py: target_outcome`` on verdict documents."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_pyramid.run.target import Target, parse_target, problem_message
from pytest_pyramid.verdict.decision import target_outcome

URL = "http://127.0.0.1:8001"


@pytest.mark.parametrize(("text", "expected"), [
    ("http://127.0.0.1:8001", Target("http", "127.0.0.1", 8001)),
    ("http://127.0.0.1:8001/", Target("http", "127.0.0.1", 8001)),
    (" https://shop.example ", Target("https", "shop.example", 443)),
    ("http://localhost", Target("http", "localhost", 80)),
    ("http://[::1]:9000", Target("http", "::1", 9000)),
])
def test_parse_target(text: str, expected: Target) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize(("text", "why"), [
    ("127.0.0.1:8001", "expected http://HOST"),
    ("ftp://127.0.0.1", "expected http://HOST"),
    ("http://", "names no host"),
    ("http://127.0.0.1:8001/api", "without a path"),
    ("http://127.0.0.1:8001?x=1", "without a path, query"),
    ("http://a:b@127.0.0.1", "credentials"),
    ("http://127.0.0.1:70000", "not a URL"),
])
def test_parse_target_refuses(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why.replace("?", r"\?")):
        parse_target(text)


def verdict(*, problems: tuple[tuple[str, str], ...] = (("target_run", problem_message(URL)),),
            tiers: dict[str, dict[str, Any]] | None = None, failed_gate: bool = False,
            interrupted: bool = False, target: str | None = URL) -> dict[str, Any]:
    smoke = {"selected": True, "required": True, "collected": 2, "passed": 2}
    gates = [{"id": "tests.pass_rate", "level": "block", "on_missing": "fail",
              "status": "fail" if failed_gate else "pass", "message": "1 of 2 failed"}]
    return {
        "dirty": False,
        "completeness": [{"kind": k, "message": m} for k, m in problems],
        "tiers": tiers if tiers is not None else {
            "smoke": smoke, "unit": {"selected": False, "required": True, "collected": 0}},
        "gates": gates,
        "run": {"interrupted": interrupted, "invocation": {"target": target}},
    }


def named(asked: list[str]) -> dict[str, Any]:
    """A run asked for ``asked`` (``--pyramid-tier``, as the verdict's run says): unit passed,
    smoke (the verify tier) has no tests."""
    document = verdict(tiers={
        "unit": {"selected": "unit" in asked, "required": True, "collected": 1, "passed": 1},
        "smoke": {"selected": "smoke" in asked, "required": False, "collected": 0},
        "e2e": {"selected": "e2e" in asked, "required": False, "collected": 0}})
    document["run"]["selected_tiers"] = asked
    return document


@pytest.mark.parametrize(("document", "outcome", "reason"), [
    (verdict(), "verified", "tier(s) smoke passed against http://127.0.0.1:8001"),
    (verdict(failed_gate=True), "failed", "gate tests.pass_rate"),
    (verdict(problems=()), "unverified", "not a target run"),
    (verdict(interrupted=True), "unverified", "the run was interrupted"),
    (verdict(problems=(("target_run", "t"), ("closed_world", "a file git ignores"))),
     "unverified", "a file git ignores"),
    (verdict(problems=(("target_run", "t"), ("narrowed", "-k 'x' filtered the tests"))),
     "unverified", "-k 'x' filtered"),
    (verdict(tiers={"smoke": {"selected": True, "required": True, "collected": 2,
                              "skipped": 2}}), "unverified", "selected tier smoke did not run"),
    (verdict(tiers={"smoke": {"selected": True, "required": False, "collected": 0}}),
     "unverified", "no selected tier has tests"),
    # case 177: a verify tier named in the selection that has no tests is not verified by
    # another selected tier that passed
    (named(["unit", "smoke"]), "unverified", "selected tier smoke did not run (has no tests)"),
    (named(["unit"]), "verified", "tier(s) unit passed"),
    # no selection (every tier selected): only the tiers with tests count, as before
    (named(["unit", "smoke", "e2e"]), "verified", "tier(s) unit passed"),
    # case 233: the tests that vouch are a commit's; a dirty checkout (an edited test, an
    # untracked conftest) or a verdict naming no clean commit verifies nothing
    ({**verdict(), "dirty": True}, "unverified", "had uncommitted or untracked files"),
    ({k: v for k, v in verdict().items() if k != "dirty"}, "unverified", "names no clean commit"),
])
def test_target_outcome(document: dict[str, Any], outcome: str, reason: str) -> None:
    found = target_outcome(document)
    assert found.outcome == outcome
    assert any(reason in r for r in found.reasons), found.reasons


DEPLOYED = "c2" * 20


@pytest.mark.parametrize(("ran", "commit", "outcome", "reason"), [
    (DEPLOYED, DEPLOYED, "verified", "tier(s) smoke passed"),
    (DEPLOYED, None, "verified", "tier(s) smoke passed"),  # no deployed commit to compare
    # case 275: the deploying checkout at an older commit verified the new one with its tests
    ("c1" * 20, DEPLOYED, "unverified", f"are commit {'c1' * 6}'s, not the deployed commit"),
    (None, DEPLOYED, "unverified", "are commit (none)'s"),
])
def test_the_tests_that_vouch_are_the_deployed_commit_s(
        ran: str | None, commit: str | None, outcome: str, reason: str) -> None:
    from pytest_pyramid.verdict.trust import target_result

    document = {**verdict(), "commit": ran}
    found = target_result(document, commit=commit)
    assert found.outcome == outcome
    assert any(reason in r for r in found.reasons), found.reasons
