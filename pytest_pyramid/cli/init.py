"""``pyramid init``: propose a first ``[tool.pyramid]`` from the project and measured runs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.cli._common import UsageFailure, _positive_int, _print, _project

if TYPE_CHECKING:
    import argparse

    from pytest_pyramid.cli._common import Commands


def add(commands: Commands) -> None:
    from pytest_pyramid.cli._adopt import RUNS

    init = commands.add_parser(
        "init",
        help="propose a first [tool.pyramid] from the project and one measured run of its "
        "suite; shows the diff and asks before writing",
    )
    init.add_argument("path", nargs="?", default=".", help="the project (default: here)")
    init.add_argument("--write", action="store_true", help="write without asking (scripts)")
    init.add_argument("--runs", type=_positive_int, default=RUNS, metavar="N",
                      help="measuring runs; budgets come from the slowest (default: %(default)s)")
    init.add_argument("--remeasure", action="store_true",
                      help="a configured project: measure it again with its own configuration "
                      "and show each tier's budget beside the proposed one (writes nothing)")
    init.add_argument("--no-run", action="store_true",
                      help="propose tiers only: no measuring run, no budgets or thresholds")
    init.add_argument("--observe", action="store_true",
                      help='start in observe mode (mode = "observe": gates reported, the exit '
                      "status stays pytest's own)")
    init.set_defaults(func=cmd_init)


def _measure(project: Any, plan: Any, runs: int, *, own_config: bool = False) -> Any:
    """Run the suite ``runs`` times with the proposal in a temporary pyramid.toml (observe
    mode, no budgets) and read what the verdicts measured. Leaves nothing in the project:
    the verdict, coverage data and pytest's cache go to a temporary folder, no bytecode is
    written, and each run's own output is kept back (it would show gates the proposal turns
    off) except when it fails."""
    import importlib.util
    import tempfile

    import pytest_pyramid.cli._adopt as adopt
    from pytest_pyramid.project import STANDALONE

    coverage = bool(project.source) and importlib.util.find_spec("pytest_cov") is not None
    probe = project.root / STANDALONE
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(1, runs + 1):
            # a configured project (`--remeasure`) is measured with its own configuration
            if not own_config:
                probe.write_text(
                    adopt.render(project, plan, None, measuring=True, coverage=coverage)
                )
            try:
                measured = _measure_once(project, Path(tmp), index, runs, coverage=coverage)
                if measured is None and coverage:  # the project's coverage set-up clashes
                    coverage = False
                    if not own_config:
                        probe.write_text(adopt.render(project, plan, None, measuring=True))
                    measured = _measure_once(project, Path(tmp), index, runs, coverage=False)
            finally:
                if not own_config:
                    probe.unlink(missing_ok=True)
            if measured is None:
                raise UsageFailure(f"{project.root}: the measuring run collected no test")
            found.append(measured)
    measured = adopt.slowest(found)
    if measured.failed:
        _print(f"note: {measured.failed} test(s) failed in the measuring run; its figures are "
               "used anyway", err=True)
    return measured


def _measure_once(project: Any, tmp: Path, index: int, runs: int, *, coverage: bool) -> Any:
    """One measuring run; None: it collected no test (or wrote no verdict) with --cov."""
    import json
    import os
    import subprocess

    import pytest_pyramid.cli._adopt as adopt

    verdict = tmp / f"verdict-{index}.json"
    verdict.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pytest", f"--pyramid-verdict={verdict}",
               "-p", "no:cacheprovider", "-q"]
    if coverage:
        command += [f"--cov={source}" for source in project.source] + ["--cov-report="]
    env = {**os.environ, "COVERAGE_FILE": str(tmp / ".coverage"), "PYTHONDONTWRITEBYTECODE": "1"}
    _print(f"measuring {index}/{runs}: {' '.join(command[1:])}")
    sys.stdout.flush()
    result = subprocess.run(command, cwd=project.root, env=env, check=False,
                            capture_output=True, text=True)
    measured = None
    if verdict.is_file():
        measured = adopt.read_measurement(json.loads(verdict.read_text("utf-8")))
    if measured is not None and measured.tests:
        total = sum(measured.tests.values())
        _print(f"  {total} test{'' if total == 1 else 's'} in {measured.duration_s:.1f}s "
               f"(exit {result.returncode})")
        return measured
    tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-3:])
    if coverage:
        _print(f"  no test measured with --cov (exit {result.returncode}): the project's own "
               "coverage configuration may clash with --cov; measuring again without "
               f"coverage. Its output ended:\n{tail}", err=True)
        return None
    if measured is None:
        raise UsageFailure(
            f"{project.root}: the measuring run (exit {result.returncode}) wrote no verdict; "
            f"its output ended:\n{tail}"
        )
    return None


def _ignore_outputs(root: Path) -> str:
    """Add the run's output files to the project's .gitignore; what was added, in words."""
    import pytest_pyramid.cli._adopt as adopt
    from pytest_pyramid._files import write_text_atomic

    path = root / ".gitignore"
    existing = path.read_text("utf-8") if path.is_file() else ""
    lines = adopt.gitignore_lines(existing)
    if not lines:
        return ""
    head = existing if not existing or existing.endswith("\n") else existing + "\n"
    write_text_atomic(path, head + "# pytest-pyramid's run outputs\n" + "\n".join(lines) + "\n")
    return f"{path.name}: added {', '.join(lines)}"


def _remeasure(root: Path, runs: int) -> int:
    """Measure a configured project with its own configuration and print, per tier, its
    budget next to the one ``pyramid init`` would propose now (nothing is written)."""
    import pytest_pyramid.cli._adopt as adopt
    from pytest_pyramid.durations import format_duration

    settings = _project(str(root)).settings
    project = adopt.inspect(root)
    measured = _measure(project, None, runs, own_config=True)
    for name, spec in settings.tiers.items():
        if name not in measured.wall_s:
            continue
        now = "no budget" if spec.budget is None else f"budget {format_duration(spec.budget)}"
        wall = measured.wall_s[name]
        _print(f"{name}: {now}; proposed {adopt.nice_budget(wall)} "
               f"({adopt.budget_comment(wall, measured.runs)})")
    _print("not written: edit the budgets in the configuration to take the proposal")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    """Propose a first [tool.pyramid] from the project and one measured run; write it after
    showing the diff and asking (``--write``: without asking)."""
    import difflib

    import pytest_pyramid.cli._adopt as adopt
    from pytest_pyramid._files import write_text_atomic
    from pytest_pyramid.errors import ConfigError

    root = Path(args.path).resolve()
    try:
        already = adopt.configured(root)
    except ConfigError as exc:
        raise UsageFailure(str(exc)) from None
    if already is not None:
        if args.remeasure:
            return _remeasure(root, args.runs)
        raise UsageFailure(
            f"{already}: pytest-pyramid is configured already (`pyramid config check` "
            "validates it; `pyramid init --remeasure` measures its budgets again)"
        )
    project = adopt.inspect(root)
    plan = adopt.propose(project)
    measured = None if args.no_run else _measure(project, plan, args.runs)
    text = adopt.render(project, plan, measured, observe=args.observe)
    target = project.target
    before = target.read_text("utf-8") if target.is_file() else ""
    after = before.rstrip("\n") + ("\n\n" if before.strip() else "") + text
    _print("".join(difflib.unified_diff(
        before.splitlines(True), after.splitlines(True), f"{target.name} (now)",
        f"{target.name} (proposed)",
    )).rstrip("\n"))
    if not args.write:
        if not sys.stdin.isatty():
            _print(f"not written: `pyramid init --write` writes it to {target}")
            return 0
        answer = input(f"write this to {target}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            _print("not written")
            return 0
    write_text_atomic(target, after)
    ignored = _ignore_outputs(root)
    _print(f"{target}: written" + (f"; {ignored}" if ignored else "") + ". Next: `pyramid "
           "config check`, commit the change (a verdict of a tree with uncommitted changes is "
           "not ready), then `pytest` for the first verdict (docs/adopting.md)")
    return 0

