"""What changed since a base (run/changes.py): which base each stage takes, and one ask of git
that flaky on arrival, the risk gate and the coverage gate share (real repositories)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.config import parse_settings
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.gates import risk
from pytest_pyramid.gates.cov.changed import changed_lines
from pytest_pyramid.run import changes
from pytest_pyramid.run.arrival import arrival_status
from tests.git_repo import git
from tests.unit.gates.test_risk import commit, repo, write

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["repo"]  # the fixture, imported

BOTH = {"coverage": {"base": "cov-base"}, "risk": {"base": "risk-base"}}
ENV = {changes.BASE_ENV: "env-base"}


@pytest.mark.parametrize(
    ("stage", "raw", "cli", "environ", "expected"),
    [
        # the command line wins everywhere
        ("arrival", BOTH, "cli-base", ENV, ("cli-base", "--pyramid-diff-base")),
        ("coverage", BOTH, "cli-base", ENV, ("cli-base", "--pyramid-diff-base")),
        ("risk", BOTH, "cli-base", ENV, ("cli-base", "--pyramid-diff-base")),
        # then the environment variable, which coverage does not read
        ("arrival", BOTH, None, ENV, ("env-base", "PYRAMID_RISK_BASE")),
        ("coverage", BOTH, None, ENV, ("cov-base", "[tool.pyramid.coverage] base")),
        ("risk", BOTH, None, ENV, ("env-base", "PYRAMID_RISK_BASE")),
        # then the tracked tables: each gate its own, arrival either (coverage's first)
        ("arrival", BOTH, None, {}, ("cov-base", "[tool.pyramid.coverage] base")),
        ("risk", BOTH, None, {}, ("risk-base", "[tool.pyramid.risk] base")),
        ("arrival", {"risk": {"base": "risk-base"}}, None, {},
         ("risk-base", "[tool.pyramid.risk] base")),
        ("coverage", {"risk": {"base": "risk-base"}}, None, {}, None),
        ("risk", {"coverage": {"base": "cov-base"}}, None, {}, None),
        # an empty variable names nothing
        ("arrival", {}, None, {changes.BASE_ENV: ""}, None),
        ("risk", {"risk": {}}, None, {}, None),
    ],
)
def test_each_stage_takes_its_base_from_one_table(
    stage: changes.Stage, raw: dict[str, Any], cli: str | None, environ: dict[str, str],
    expected: tuple[str, str] | None,
) -> None:
    assert changes.resolve_base(raw, cli, stage, environ) == expected


@pytest.mark.parametrize(
    ("cli", "environ", "key", "source"),
    [
        ("", {}, "--pyramid-diff-base", "command line"),
        ("-x", {}, "--pyramid-diff-base", "command line"),
        (None, {changes.BASE_ENV: "--output=x"}, "PYRAMID_RISK_BASE", "environment"),
    ],
)
@pytest.mark.parametrize("stage", ["arrival", "coverage", "risk"])
def test_a_base_git_would_read_as_an_option_is_refused_naming_it(
    stage: changes.Stage, cli: str | None, environ: dict[str, str], key: str, source: str
) -> None:
    if stage == "coverage" and key == "PYRAMID_RISK_BASE":
        assert changes.resolve_base({}, cli, stage, environ) is None  # not read there
        return
    with pytest.raises(ConfigError) as info:
        changes.resolve_base({}, cli, stage, environ)
    assert (info.value.key, info.value.source) == (key, source)
    assert "must be a git revision" in info.value.why


def test_the_stages_share_one_ask_and_agree(repo: Path) -> None:
    """Arrival, risk and coverage read one memo: git is asked once for the base, and the
    three see the same merge base and files (the coverage lines come from the same base)."""
    commit(repo, {"tests/test_new.py": "def test_a():\n    pass\n"})
    write(repo, {"app/core.py": "x = 1\ny = 2\n", "notes.txt": "untracked\n"})
    memo: changes.Memo = {}
    settings = parse_settings({"coverage": {"base": "main"}}, str(repo / "pyproject.toml"),
                              repo, {})
    assert arrival_status(settings, None, memo, environ={}) == ("main", "")
    assessment = risk.assess_repo(repo, risk.parse_risk({"risk": {}}, "x"), "main", memo)
    lines = changed_lines("main", repo, memo)
    assert list(memo) == [(str(repo), "main")]
    found = memo[(str(repo), "main")]
    assert found.names() == {"tests/test_new.py", "app/core.py", "notes.txt"}
    assert assessment.merge_base == lines.merge_base == found.merge_base \
        == git(repo, "merge-base", "main", "HEAD").strip()
    assert assessment.files_changed == 3
    real = os.path.realpath
    assert lines.files == {real(repo / "tests/test_new.py"): frozenset({1, 2}),
                           real(repo / "app/core.py"): frozenset({2})}
    # asked again: the same answer, git not asked
    assert changes.since(memo, repo, "main") is found


def test_the_untracked_files_are_the_repositorys_not_the_folders(repo: Path) -> None:
    """Asked from a sub-folder (a project in a monorepo), every path is relative to the
    repository's top, tracked and untracked alike."""
    write(repo, {"app/new.py": "z = 1\n", "other/loose.txt": "1\n2\n"})
    found = changes.changes_since(repo / "app", "main")
    assert found.top is not None
    assert os.path.samefile(found.top, repo)
    assert found.untracked == ("app/new.py", "other/loose.txt")
    assessment = risk.assess_repo(repo / "app", risk.parse_risk({"risk": {}}, "x"), "main")
    assert assessment.lines_changed == 3


def test_a_binary_file_has_no_line_counts(repo: Path) -> None:
    (repo / "blob.bin").write_bytes(b"\x00\x01\x02")
    git(repo, "add", "blob.bin")
    found = changes.changes_since(repo, "main")
    assert found.tracked == (("blob.bin", None, None),)
    assert risk.changed_files(found) == [risk.ChangedFile("blob.bin", 1, 0)]


def test_an_unknown_base_is_a_reason_in_every_stage(repo: Path) -> None:
    memo: changes.Memo = {}
    settings = parse_settings({}, str(repo / "pyproject.toml"), repo, {})
    base, why = arrival_status(settings, "nope", memo, environ={})
    assert base is None
    assert why == "base 'nope' (from --pyramid-diff-base): base revision 'nope' not found"
    assert risk.assess_repo(repo, risk.parse_risk({}, "x"), "nope", memo).unavailable \
        == "base revision 'nope' not found"
    assert changed_lines("nope", repo, memo).reason == "base revision 'nope' not found"
    assert len(memo) == 1
