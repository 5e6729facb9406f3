"""Change risk and approvals: config, scoring, and real git repositories made in tmp_path."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.config_schema import check_table
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.gates import risk
from pytest_pyramid.results import effect_of
from tests.git_repo import git

if TYPE_CHECKING:
    from pathlib import Path

SRC = "pyproject.toml"

def checked(raw: dict[str, object]) -> risk.RiskSettings:
    """The structure through the schema (as the plugin checks it first), then the parser."""
    check_table(raw, SRC)
    return risk.parse_risk(raw, SRC)



def write(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with a ``main`` branch and a ``feature`` branch checked out."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, {"app/core.py": "x = 1\n", "README.md": "hi\n", "pyproject.toml": "[project]\n"})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    return root


def commit(repo: Path, files: dict[str, str], message: str = "change") -> None:
    write(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


ENABLED = risk.parse_risk({"risk": {"base": "main"}}, SRC)


# --- config ---------------------------------------------------------------------------------


def test_defaults_and_opt_in() -> None:
    off = risk.parse_risk({}, SRC)
    assert not off.enabled
    assert off.approvals["medium"] == risk.ApprovalRule(2, ("tech_lead", "product_owner"))
    assert off.approvals["high"].roles == ("tech_lead", "product_owner", "security_lead")
    assert off.approvals["low"] == risk.ApprovalRule(1, ("tech_lead",))
    assert risk.parse_risk({"approvals": {}}, SRC).enabled
    assert ENABLED.enabled
    assert ENABLED.base == "main"


def test_factor_override_new_factor_and_disable() -> None:
    settings = risk.parse_risk({"risk": {"factors": {
        "migrations": {"weight": 5},
        "billing": {"paths": ["billing/**"], "weight": 4, "description": "billing code"},
        "api_spec": {"weight": 0},
    }}}, SRC)
    by_id = {f.id: f for f in settings.factors}
    assert by_id["migrations"].weight == 5
    assert by_id["migrations"].paths == risk.DEFAULT_FACTORS[0].paths
    assert by_id["billing"] == risk.FactorSpec("billing", 4, ("billing/**",), "billing code")
    assert "api_spec" not in by_id


@pytest.mark.parametrize(
    ("raw", "key", "why"),
    [
        ({"risk": {"bse": "main"}}, "risk.bse", "unknown key"),
        ({"risk": {"base": ""}}, "risk.base", "git revision"),
        ({"risk": {"approval_from": "critical"}}, "risk.approval_from", "low, medium, high"),
        ({"risk": {"levels": {"medium": 5, "high": 2}}}, "risk.levels", "high must be >= medium"),
        ({"risk": {"levels": {"extreme": 9}}}, "risk.levels.extreme", "unknown key"),
        ({"risk": {"size": [{"min_lines": 0, "weight": 1}]}}, "risk.size[0].min_lines", ">= 1"),
        ({"risk": {"size": [{"min_lines": 5, "weight": 1}, {"min_lines": 5, "weight": 2}]}},
         "risk.size", "same min_lines"),
        ({"risk": {"factors": {"new": {"weight": 1}}}}, "risk.factors.new.paths", "required"),
        ({"risk": {"factors": {"new": {"paths": ["a/**"]}}}}, "risk.factors.new.weight",
         "required"),
        ({"risk": {"factors": {"migrations": {"paths": ["x"], "wieght": 1}}}},
         "risk.factors.migrations.wieght", "unknown key"),
        ({"risk": {"factors": {"size": {"weight": 1}}}}, "risk.factors.size", "risk.size"),
        ({"approvals": {"critical": {"approvals": 1, "roles": ["x"]}}}, "approvals.critical",
         "unknown key"),
        ({"approvals": {"low": {"approvals": -1, "roles": ["x"]}}}, "approvals.low.approvals",
         ">= 0"),
        ({"approvals": {"low": {"approvals": 1, "roles": []}}}, "approvals.low.roles",
         "at least one role"),
        ({"approvals": {"low": {"approvals": 1}}}, "approvals.low.roles", "required"),
    ],
)
def test_config_errors(raw: dict[str, object], key: str, why: str) -> None:
    with pytest.raises(ConfigError) as info:
        checked(raw)
    assert str(info.value).startswith(f"{SRC}: [tool.pyramid] {key} = ")
    assert why in str(info.value)


# --- scoring (pure) -------------------------------------------------------------------------


def changed(*paths: str, lines: int = 1) -> list[risk.ChangedFile]:
    return [risk.ChangedFile(p, lines, 0) for p in paths]


@pytest.mark.parametrize(
    ("files", "level", "score", "factor_ids"),
    [
        (changed("app/core.py"), "low", 0, []),
        (changed("pyproject.toml"), "low", 2, ["dependencies"]),
        (changed("app/migrations/0002_add.py"), "medium", 3, ["migrations"]),
        (changed("api/openapi.yaml", "requirements-dev.txt"), "medium", 4,
         ["api_spec", "dependencies"]),
        (changed("app/auth/login.py", "app/migrations/1.py"), "high", 6,
         ["migrations", "security"]),
        (changed("app/core.py", lines=250), "low", 1, ["size"]),
        (changed("app/core.py", lines=1500) + changed("db/schema.sql"), "medium", 5,
         ["migrations", "size"]),
    ],
)
def test_assess(files: list[risk.ChangedFile], level: str, score: float,
                factor_ids: list[str]) -> None:
    assessment = risk.assess(files, ENABLED, base="main")
    assert (assessment.level, assessment.score) == (level, score)
    assert [f.id for f in assessment.factors] == factor_ids
    assert assessment.required_approvals == ENABLED.approvals[level].approvals


def test_evidence_is_capped() -> None:
    files = changed(*[f"app/migrations/{i:04}.py" for i in range(25)])
    (hit,) = risk.assess(files, ENABLED, base="main").factors
    assert len(hit.evidence) == risk.EVIDENCE_LISTED + 1
    assert hit.evidence[-1] == "... and 5 more"


@pytest.mark.parametrize(
    ("approval_from", "files", "status", "effect"),
    [
        ("medium", changed("app/core.py"), "pass", "none"),
        ("medium", changed("app/migrations/1.py"), "fail", "approve"),
        ("high", changed("app/migrations/1.py"), "pass", "none"),
        ("low", changed("app/core.py"), "fail", "approve"),
        ("never", changed("app/auth/a.py", "app/migrations/1.py"), "pass", "none"),
    ],
)
def test_risk_gate(approval_from: str, files: list[risk.ChangedFile], status: str,
                   effect: str) -> None:
    settings = risk.parse_risk({"risk": {"base": "main", "approval_from": approval_from}}, SRC)
    gate = risk.risk_gate(risk.assess(files, settings, base="main"), settings)
    assert (gate.id, gate.level, gate.status) == ("risk.approval", "approve", status)
    assert effect_of(gate) == effect
    if status == "fail":
        assert "needs" in gate.message
        assert "approval(s) from tech_lead" in gate.message


def test_needs_approval_message_names_approvals_and_why() -> None:
    gate = risk.risk_gate(risk.assess(changed("app/migrations/1.py"), ENABLED, base="main"),
                          ENABLED)
    assert gate.message == (
        "risk medium (score 3 against main): needs 2 approval(s) from tech_lead, product_owner; "
        "because database schema migrations touched (+3: app/migrations/1.py)"
    )
    assert gate.actual == "medium"
    assert gate.threshold == "risk < medium"


# --- real git -------------------------------------------------------------------------------


def test_real_repo_committed_staged_and_untracked_changes(repo: Path) -> None:
    commit(repo, {"app/migrations/0001_init.py": "op = 1\n"})
    write(repo, {"pyproject.toml": "[project]\nname = 'x'\n"})  # tracked, not committed
    git(repo, "add", "pyproject.toml")
    write(repo, {"app/auth/token.py": "secret = 0\n"})  # untracked
    assessment = risk.assess_repo(repo, ENABLED, "main")
    assert assessment.unavailable is None
    assert assessment.files_changed == 3
    assert {f.id: f.evidence for f in assessment.factors} == {
        "migrations": ("app/migrations/0001_init.py",),
        "dependencies": ("pyproject.toml",),
        "security": ("app/auth/token.py",),
    }
    assert (assessment.level, assessment.score) == ("high", 8)
    section = assessment.to_json()
    assert section["base"] == "main"
    assert section["required_approvals"] == 3
    assert section["approver_roles"] == ["tech_lead", "product_owner", "security_lead"]
    assert section["assessed"] is True
    assert len(str(section["merge_base"])) == 40


def test_real_repo_diff_is_against_the_merge_base(repo: Path) -> None:
    commit(repo, {"app/feature.py": "y = 2\n"})
    git(repo, "checkout", "-q", "main")
    commit(repo, {"app/migrations/9.py": "z = 3\n"}, "main moved on")
    git(repo, "checkout", "-q", "feature")
    assessment = risk.assess_repo(repo, ENABLED, "main")
    # main's own migration is not part of this change
    assert (assessment.level, assessment.files_changed) == ("low", 1)


def test_real_repo_size_band(repo: Path) -> None:
    commit(repo, {"app/big.py": "".join(f"v{i} = {i}\n" for i in range(300))})
    assessment = risk.assess_repo(repo, ENABLED, "main")
    assert [(f.id, f.weight) for f in assessment.factors] == [("size", 1)]
    assert assessment.lines_changed == 300


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("no-base", "base revision 'origin/main' not found"),
        ("not-a-repo", "is not a git checkout"),
        ("shallow", "shallow clone"),
    ],
)
def test_unknown_risk_is_never_low(tmp_path: Path, repo: Path, setup: str, reason: str) -> None:
    settings = risk.parse_risk({"risk": {}}, SRC)
    target = repo
    if setup == "not-a-repo":
        target = tmp_path / "plain"
        target.mkdir()
    elif setup == "shallow":
        commit(repo, {"a.txt": "1\n"})
        commit(repo, {"b.txt": "2\n"})
        target = tmp_path / "clone"
        git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{repo}",
            str(target))
    assessment = risk.assess_repo(target, settings, "origin/main")
    assert reason in str(assessment.unavailable)
    assert assessment.level == "high"
    assert assessment.required_approvals == 3
    gate = risk.risk_gate(assessment, settings)
    assert (gate.status, gate.on_missing) == ("not_evaluated", "approve")
    assert effect_of(gate) == "approve"
    assert gate.message.startswith("risk unknown: ")
    assert "treated as high risk: needs 3 approval(s)" in gate.message
    section = assessment.to_json()
    assert section["assessed"] is False
    assert reason in str(section["reason"])
