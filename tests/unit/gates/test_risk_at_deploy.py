"""The deploy's risk rules (hostile cases 462, 463): pure rows for the rules a commit may only
tighten (gates/risk.py: stricter_risk, deploy/arguments.py: anchored_risk), a verdict's
assessment of an empty change, the larger of two levels; and the change between two commits
from real git (run/changes.py: between)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pytest_pyramid.config_schema import check_table
from pytest_pyramid.deploy.arguments import anchored_risk
from pytest_pyramid.deploy.config import project_config
from pytest_pyramid.gates import risk
from pytest_pyramid.run.changes import between
from tests.git_repo import git

SRC = "pyproject.toml"
ON = {"risk": {"base": "main"}}


def settings(raw: dict[str, Any]) -> risk.RiskSettings:
    check_table(raw, SRC)
    return risk.parse_risk(raw, SRC)


def factor(found: risk.RiskSettings, name: str) -> risk.FactorSpec:
    """The factor ``name`` (a zero-weight one, which parse_risk leaves out: weight 0)."""
    return next((f for f in found.factors if f.id == name), risk.FactorSpec(name, 0, ()))


# --- a commit may only tighten the rules it is judged by ----------------------------------


@pytest.mark.parametrize(("new", "keys", "check"), [
    pytest.param({"risk": {"base": "main", "factors": {"migrations": {"weight": 0}}}},
                 ["risk.factors.migrations"],
                 lambda s: factor(s, "migrations").weight == 3, id="factor-zeroed"),
    pytest.param({"risk": {"base": "main", "factors": {"migrations": {"paths": ["x/*"]}}}},
                 ["risk.factors.migrations.paths"],
                 lambda s: {"x/*", "*.sql"} <= set(factor(s, "migrations").paths),
                 id="factor-paths-dropped"),
    pytest.param({"risk": {"base": "main", "approval_from": "never"}}, ["risk.approval_from"],
                 lambda s: s.approval_from == "medium", id="approval-from-never"),
    pytest.param({"risk": {"base": "main", "approval_from": "high"}}, ["risk.approval_from"],
                 lambda s: s.approval_from == "medium", id="approval-from-higher"),
    pytest.param({"risk": {"base": "main", "levels": {"medium": 50, "high": 60}}},
                 ["risk.levels.medium", "risk.levels.high"],
                 lambda s: dict(s.bounds) == {"medium": 3, "high": 6}, id="levels-raised"),
    pytest.param({"risk": {"base": "main", "size": [{"min_lines": 5000, "weight": 1}]}},
                 ["risk.size"], lambda s: s.size == risk.DEFAULT_SIZE, id="size-lighter"),
    pytest.param({"approvals": {"medium": {"approvals": 0, "roles": []}}},
                 ["approvals.medium"],
                 lambda s: s.approvals["medium"] == risk.DEFAULT_APPROVALS["medium"],
                 id="approvals-fewer"),
    pytest.param({"approvals": {"medium": {"approvals": 2, "roles": ["tech_lead", "intern"]}}},
                 ["approvals.medium"],
                 lambda s: s.approvals["medium"].roles == ("tech_lead", "product_owner"),
                 id="approvals-other-roles"),
    pytest.param({}, ["risk"], lambda s: s.enabled and factor(s, "migrations").weight == 3,
                 id="tables-removed"),
])
def test_a_loosening_keeps_the_serving_release_s_rule(
        new: dict[str, Any], keys: list[str], check: Any) -> None:
    found, kept = risk.stricter_risk(settings(ON), settings(new))
    assert [key for key, _, _ in kept] == keys
    assert check(found)


@pytest.mark.parametrize("new", [
    pytest.param({"risk": {"base": "main", "approval_from": "low"}}, id="approval-from-lower"),
    pytest.param({"risk": {"base": "main", "levels": {"medium": 1, "high": 2}}}, id="levels"),
    pytest.param({"risk": {"base": "main", "factors": {
        "migrations": {"weight": 5}, "billing": {"paths": ["billing/**"], "weight": 3}}}},
        id="factor-heavier-and-new"),
    pytest.param({"risk": {"base": "main", "size": [{"min_lines": 100, "weight": 2}]}},
                 id="size-heavier"),
    pytest.param({"approvals": {"medium": {"approvals": 3, "roles": ["tech_lead"]}}},
                 id="approvals-more-narrower"),
])
def test_a_tightening_is_the_commit_s_at_once(new: dict[str, Any]) -> None:
    theirs = settings(new)
    found, kept = risk.stricter_risk(settings(ON), theirs)
    assert kept == []
    assert found == theirs


def test_a_serving_release_without_risk_rules_keeps_nothing() -> None:
    theirs = settings({"risk": {"base": "main", "approval_from": "never"}})
    assert risk.stricter_risk(settings({}), theirs) == (theirs, [])


@pytest.mark.parametrize("raw", [
    ON,
    {"risk": {"approval_from": "low", "levels": {"medium": 2, "high": 9},
              "size": [{"min_lines": 10, "weight": 0.5}],
              "factors": {"security": {"weight": 0}, "billing": {"paths": ["b/**"],
                                                                 "weight": 1}}},
     "approvals": {"low": {"approvals": 0, "roles": []}}},
])
def test_the_tables_a_job_carries_read_back_as_the_same_rules(raw: dict[str, Any]) -> None:
    found = settings(raw)
    tables = risk.risk_tables(found)
    assert settings(tables) == found
    assert risk.risk_tables(settings({})) == {}


def _config(pyramid: dict[str, Any]) -> Any:
    return project_config(str(Path("/srv/app") / SRC), pyramid)


def test_anchored_risk_says_what_it_kept_and_from_which_commit() -> None:
    base = _config({"risk": {"base": "main"}})
    given = _config({"risk": {"base": "main", "factors": {"migrations": {"weight": 0}}}})
    kept, said = anchored_risk(base, given, "c0ffee" * 7)
    assert len(said) == 1
    assert said[0].startswith("risk.factors.migrations: kept weight 3, not this commit's ")
    assert "c0ffeec0ffee, the last release deployed here" in said[0]
    assert factor(settings(kept["risk"]), "migrations").weight == 3
    assert anchored_risk(given, base, "c0ffee" * 7) == ({}, [])  # a tightening


def test_a_serving_table_the_schema_refuses_is_judged_by_the_built_in_rules() -> None:
    base = replace(_config({}), risk={"risk": {"approval_from": "sometimes"}})
    given = _config({"risk": {"approval_from": "never"}})
    kept, said = anchored_risk(base, given, "c0ffee" * 7)
    assert settings(kept["risk"]).approval_from == "medium"
    assert [line.split(":")[0] for line in said] == ["risk.approval_from"]


# --- the verdict's own level, and the larger of two ---------------------------------------

COMMIT = "a" * 40


@pytest.mark.parametrize(("section", "level"), [
    pytest.param(None, None, id="no-section"),
    pytest.param({"level": "medium", "assessed": False}, None, id="not-assessed"),
    pytest.param({"level": "low", "merge_base": COMMIT}, None, id="against-itself"),
    pytest.param({"level": "medium", "merge_base": "b" * 40}, "medium", id="a-real-change"),
    pytest.param({"level": "medium"}, "medium", id="no-merge-base-recorded"),
    pytest.param({"level": "severe", "merge_base": "b" * 40}, None, id="unknown-level"),
])
def test_the_verdict_s_level_counts_only_for_a_change_it_assessed(
        section: object, level: str | None) -> None:
    assert risk.assessed_level(section, COMMIT) == level


def _shipped(level: risk.RiskLevel) -> risk.RiskAssessment:
    rule = risk.DEFAULT_APPROVALS[level]
    return risk.RiskAssessment(level, 0.0, "serving", (), rule.approvals, rule.roles)


@pytest.mark.parametrize(("shipped", "verdict", "level", "approvals"), [
    pytest.param("low", "medium", "medium", 2, id="the-verdict-s-larger"),
    pytest.param("high", "low", "high", 3, id="the-shipped-change-s-larger"),
    pytest.param("medium", None, "medium", 2, id="no-verdict-level"),
])
def test_the_deploy_asks_for_the_larger_of_the_two_levels(
        shipped: risk.RiskLevel, verdict: risk.RiskLevel | None, level: str,
        approvals: int) -> None:
    found = risk.at_deploy(_shipped(shipped), verdict, settings(ON))
    assert (found.level, found.required_approvals) == (level, approvals)


def test_an_unknown_shipped_change_stays_unknown() -> None:
    unknown = risk.unavailable(settings(ON), "serving", "no such commit")
    found = risk.at_deploy(unknown, "low", settings(ON))
    assert risk.risk_gate(found, settings(ON)).status == "not_evaluated"


# --- the change between two commits -------------------------------------------------------


def test_between_two_commits_and_from_nothing(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "app.py").write_text("x = 1\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "one")
    one = git(root, "rev-parse", "HEAD")
    (root / "migrations").mkdir()
    (root / "migrations" / "0002.sql").write_text("ALTER TABLE t DROP c;\nSELECT 1;\n")
    (root / "untracked.txt").write_text("not in any commit\n")
    git(root, "add", "migrations")
    git(root, "commit", "-q", "-m", "two")
    two = git(root, "rev-parse", "HEAD")
    assert between(root, one, two).tracked == (("migrations/0002.sql", 2, 0),)
    assert {p for p, _, _ in between(root, None, two).tracked} == {"app.py",
                                                                     "migrations/0002.sql"}
    assert between(root, two, two).tracked == ()
    missing = between(root, "f" * 40, two)
    assert missing.reason is not None
    assert missing.tracked == ()
