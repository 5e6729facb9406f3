"""Expensive things made once per test session and read by every test that asserts on them:
the demo suite's ``ready`` run (the release's wheel running it, reports in Chromium, the
README's sample, the shards' baseline), the release's sdist and wheel (both release tests) and
the virtualenv the wheel is installed in.

Under xdist each worker is its own process, so a session fixture alone would make them once
per worker. :func:`once` makes them once per session: the first worker to ask makes them in
the session's shared temporary folder, under an exclusive ``flock``; a worker asking meanwhile
waits for that one and reads the same folder. A failure is kept, so every test that needed the
thing fails naming it, instead of each making it again.

Not started in the background ahead of time on purpose: a demo run made while both workers run
other tests would meet more contention than it does now, and its load gates (rps, p95, Locust's
minimum requests) judge the machine's speed.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.git_repo import git
from tests.support import release

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[2]
#: what a local run of the demo leaves in suites/ (git ignores it there; a copy is a new
#: repository, so it must not carry it: the verdict's own results file would be "tracked")
DEMO_ARTIFACTS = (".pyramid", "pyramid-verdict*", "pyramid-report*", ".coverage*",
                  "__pycache__", ".pytest_cache", ".hypothesis", "pyramid-partial-*",
                  "test-results")
#: what a user's run of the demo would not have: this test run's own plugin, worker and
#: coverage state, and a fault asked for in the environment
DEMO_DROP = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_TESTRUNUID", "PYTEST_ADDOPTS",
             "PYTEST_CURRENT_TEST", "COV_CORE_SOURCE", "COV_CORE_CONFIG", "COV_CORE_DATAFILE",
             "CI_NODE_INDEX", "CI_NODE_TOTAL", "GITHUB_STEP_SUMMARY", "DEMO_FAULT")


def session_folder(factory: pytest.TempPathFactory) -> Path:
    """The temporary folder every worker of this session shares (the xdist documentation's
    recipe: a worker's base folder lives inside the session's)."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def make(root: Path, name: str, maker: Callable[[Path], object]) -> None:
    """``maker(folder)`` unless it was made (or failed) already; under the thing's lock, so
    whoever asks meanwhile waits. A failure is written down before it is raised."""
    folder, done, failed = (root / f"shared-{name}", root / f"shared-{name}.done",
                            root / f"shared-{name}.failed")
    with (root / f"shared-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if done.exists() or failed.exists():
            return
        shutil.rmtree(folder, ignore_errors=True)  # what a killed maker left half made
        folder.mkdir()
        try:
            maker(folder)
        except BaseException:
            failed.write_text(traceback.format_exc())
            raise
        done.write_text("")


def once(factory: pytest.TempPathFactory, name: str, maker: Callable[[Path], object]) -> Path:
    """``maker(folder)`` once per session, whichever worker gets to it first; its folder."""
    root = session_folder(factory)
    make(root, name, maker)
    failed = root / f"shared-{name}.failed"
    if failed.exists():
        pytest.fail(f"the shared {name} failed where it was made:\n"
                    f"{failed.read_text()[-3000:]}")
    return root / f"shared-{name}"


def committed_demo(target: Path) -> Path:
    """The demo suite copied to ``target`` and committed on its own: one tree every run of
    it tests."""
    shutil.copytree(ROOT / "suites", target, ignore=shutil.ignore_patterns(*DEMO_ARTIFACTS))
    git(target, "init", "-q")
    git(target, "add", "-A")
    git(target, "commit", "-qm", "demo")
    return target


def demo_env(folder: Path, fault: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DEMO_DROP}
    env["GIT_CEILING_DIRECTORIES"] = str(folder.parent)
    env["COLUMNS"] = "100"  # as tools/readme_samples.py records the README's samples
    if fault:
        env["DEMO_FAULT"] = fault
    return env


def run_demo(folder: Path, fault: str | None = None, python: Path | None = None) -> Path:
    """The demo suite in ``folder`` run as ``./dev demo`` runs it (its own addopts ask for the
    HTML report), by this interpreter or by ``python`` (a release's virtualenv: without this
    run's variables, as a user's shell runs it); the terminal's text in ``terminal.txt``
    beside the folder."""
    env = demo_env(folder, fault)
    if python is not None:
        env = {k: v for k, v in env.items() if k not in release.DROP}
    done = subprocess.run(
        [str(python or sys.executable), "-m", "pytest", "-n", "2", "-p", "no:randomly"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    (folder.parent / "terminal.txt").write_text(done.stdout + done.stderr)
    (folder.parent / "returncode").write_text(str(done.returncode))
    return folder


def demo_outcome(folder: Path) -> tuple[int, str]:
    """The exit code and the terminal's text of the demo run in ``folder``."""
    return (int((folder.parent / "returncode").read_text()),
            (folder.parent / "terminal.txt").read_text())


def demo_ready_run(factory: pytest.TempPathFactory) -> Path:
    """The demo suite, committed on its own, run once per session without a fault by the
    release's wheel (:func:`release_python`): its folder (verdict, results, HTML report;
    ``terminal.txt`` beside it). One run for the release's test (the wheel runs every tier),
    the reports', the README's and the shards' tests: the same kind of run, each asserting
    its own facts. Read only: a test that runs the demo again copies it
    (:func:`copy_committed`)."""
    python = release_python(factory)
    return once(factory, "demo-ready",
                lambda folder: run_demo(committed_demo(folder / "suites"), python=python)) \
        / "suites"


def demo_bug_run(factory: pytest.TempPathFactory) -> Path:
    """The same with ``DEMO_FAULT=bug`` (the failing demo)."""
    return once(factory, "demo-bug", MAKERS["demo-bug"]) / "suites"


#: the demo runs made by this interpreter, by name
MAKERS: dict[str, Callable[[Path], object]] = {
    "demo-bug": lambda folder: run_demo(committed_demo(folder / "suites"), "bug"),
}


def copy_committed(demo: Path, target: Path) -> Path:
    """The same commit in another folder (its repository copied, not what a run left)."""
    shutil.copytree(demo, target, ignore=shutil.ignore_patterns(*DEMO_ARTIFACTS))
    status = git(target, "status", "--porcelain", "--untracked-files=all")
    assert status == "", status
    return target


def release_dist(factory: pytest.TempPathFactory) -> Path:
    """The release's sdist and wheel, built once per session (tests/support/release.py)."""
    return once(factory, "release-dist", lambda folder: release.build(folder / "dist")) / "dist"


def release_python(factory: pytest.TempPathFactory) -> Path:
    """The release's wheel with every extra in a fresh virtualenv outside the repository,
    installed once per session: its python. Read only (a test that changes an install makes
    its own virtualenv)."""
    dist = release_dist(factory)
    return once(factory, "release-venv",
                lambda folder: release.install(dist, folder / "venv")) / "venv" / "bin" / "python"

