"""The CI templates (examples/, docs/shards.md): linted (actionlint for GitHub), and checked against
what the plugin writes and what ``pyramid merge`` accepts, so they cannot drift."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_pyramid.cli import build_parser
from pytest_pyramid.run.sharding import DEFAULT_DURATIONS
from pytest_pyramid.verdict.partial import coverage_name, partial_name
from pytest_pyramid.verdict.results_file import results_path_for

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GITHUB = EXAMPLES / "github-actions.yml"
GITLAB = EXAMPLES / "gitlab-ci.yml"


def actionlint() -> str:
    found = shutil.which("actionlint") or shutil.which("actionlint", path=str(
        Path(sys.executable).parent))
    if found is None:
        pytest.skip("actionlint is not installed (the dev extra installs it)")
    return found


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([actionlint(), "-no-color", str(path)], capture_output=True,
                          text=True, timeout=60, check=False)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def merge_args(command: str) -> Any:
    """Parse a `pyramid merge ...` line with the real CLI parser."""
    words = shlex.split(command)
    assert words[:2] == ["pyramid", "merge"]
    return build_parser().parse_args(words[1:])


def uploads_partials(patterns: list[str]) -> bool:
    names = [partial_name(2, 4), coverage_name(2, 4)]
    return all(any(fnmatch(name, pattern) for pattern in patterns) for name in names)


def test_actionlint_passes_the_github_workflow() -> None:
    result = lint(GITHUB)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(GITHUB.read_text().replace("matrix.shard }}/", "matrix.shards }}/"))
    result = lint(broken)
    assert result.returncode == 1
    assert 'property "shards" is not defined' in result.stdout


def test_the_github_workflow_shards_uploads_and_merges() -> None:
    workflow = load(GITHUB)
    shard, merge = workflow["jobs"]["shard"], workflow["jobs"]["merge"]
    shards = shard["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, len(shards) + 1))  # 1..N: shards count from 1
    assert shard["strategy"]["fail-fast"] is False
    run = next(s["run"] for s in shard["steps"] if "pytest" in s.get("run", ""))
    assert "--pyramid-shard=${{ matrix.shard }}/${{ strategy.job-total }}" in run
    upload = next(s for s in shard["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["if"] == "always()"
    assert uploads_partials(upload["with"]["path"].split())
    assert merge["needs"] == "shard"
    assert merge["if"] == "always()"
    command = next(s["run"] for s in merge["steps"] if "pyramid merge" in s.get("run", ""))
    args = merge_args(command)
    assert args.durations_out == DEFAULT_DURATIONS
    download = next(s for s in merge["steps"] if "download-artifact" in s.get("uses", ""))
    assert args.partials == [download["with"]["path"]]
    assert "merge-multiple" not in download["with"]  # retried attempts keep their files
    caches = [s for job in (shard, merge) for s in job["steps"] if "cache" in s.get("uses", "")]
    assert {s["with"]["path"] for s in caches} == {DEFAULT_DURATIONS}
    # only the merge saves the durations; shards only restore them
    assert [s["uses"].split("@")[0] for s in shard["steps"] if s in caches] == [
        "actions/cache/restore"]
    assert any(s.get("uses", "").startswith("actions/cache/save") for s in merge["steps"])


def cli_args(line: str) -> Any:
    """Parse a `pyramid ...` line with the real CLI parser (a renamed option fails here)."""
    words = shlex.split(line)
    assert words[0] == "pyramid"
    return build_parser().parse_args(words[1:])


def test_the_github_workflow_gives_fast_feedback_first() -> None:
    workflow = load(GITHUB)
    fast = workflow["jobs"]["fast"]
    run = next(s["run"] for s in fast["steps"] if "pytest" in s.get("run", ""))
    assert "--pyramid-tier=fast" in run
    assert "-n auto" in run
    assert workflow["jobs"]["shard"]["needs"] == "fast"


def test_the_github_workflow_annotates_and_keeps_the_verdict() -> None:
    merge = load(GITHUB)["jobs"]["merge"]
    merged = merge_args(next(s["run"] for s in merge["steps"]
                             if "pyramid merge" in s.get("run", "")))
    report = next(s for s in merge["steps"] if "pyramid check" in s.get("run", ""))
    assert report["if"] == "always()"  # a blocked merge still annotates its failing gates
    lines = [line for line in report["run"].splitlines() if line.strip()]
    check = cli_args(next(line for line in lines if line.startswith("pyramid check")))
    assert check.format == "github"
    assert check.verdict == merged.output
    summary = cli_args(next(line for line in lines if line.startswith("pyramid report")))
    assert summary.summary == Path("$GITHUB_STEP_SUMMARY")
    upload = next(s for s in merge["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["if"] == "always()"
    uploaded = upload["with"]["path"].split()
    verdict = Path(merged.output)
    assert str(verdict) in uploaded
    assert results_path_for(verdict).name in uploaded  # the reports' per-test detail
    assert str(summary.html) in uploaded


def test_the_gitlab_pipeline_shards_uploads_and_merges() -> None:
    pipeline = load(GITLAB)
    tests, verdict = pipeline["tests"], pipeline["verdict"]
    assert isinstance(tests["parallel"], int)
    assert tests["parallel"] >= 2
    assert any("--pyramid-shard=auto" in line for line in tests["script"])
    assert tests["artifacts"]["when"] == "always"
    assert uploads_partials(tests["artifacts"]["paths"])
    assert tests["cache"]["policy"] == "pull"  # shards never write the durations
    assert tests["cache"]["paths"] == [DEFAULT_DURATIONS]
    assert verdict["when"] == "always"
    assert verdict["needs"] == [{"job": "tests", "artifacts": True}]
    assert pipeline["stages"].index(verdict["stage"]) > pipeline["stages"].index(tests["stage"])
    command = next(line for line in verdict["script"] if line.startswith("pyramid merge"))
    args = merge_args(command)
    assert all(fnmatch(partial_name(3, 4), p) for p in args.partials)
    assert args.durations_out == DEFAULT_DURATIONS
    assert verdict["cache"]["policy"] == "pull-push"
    assert verdict["cache"]["key"] == tests["cache"]["key"]
    assert verdict["artifacts"]["when"] == "always"
