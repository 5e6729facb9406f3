"""``pyramid report``: reports from a verdict and its per-test results file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pytest_pyramid.cli._common import UsageFailure, _print

if TYPE_CHECKING:
    import argparse

    from pytest_pyramid.cli._common import Commands


def add(commands: Commands) -> None:
    report = commands.add_parser(
        "report",
        help="build reports from a verdict and its per-test results file (after the run, "
        "also for a merged verdict of CI shards)",
    )
    report.add_argument("verdict", nargs="?", default=None, help="path of the verdict JSON")
    from pytest_pyramid.verdict.report_kinds import KINDS

    for kind in KINDS:  # one flag per report kind of the table
        report.add_argument(f"--{kind.name}", type=Path, metavar="FILE",
                            help=kind.help.replace("%", "%%"))
    report.add_argument("--history", type=Path, metavar="DB",
                        help="SQLite run history: append this verdict, show the last 30 runs")
    report.add_argument("--junit-prefix", default=None, metavar="STR",
                        help="what pytest's --junit-prefix was, for identical classnames")
    report.set_defaults(func=cmd_report, verdict_from_project=True)


def cmd_report(args: argparse.Namespace) -> int:
    from pytest_pyramid.errors import VerdictError
    from pytest_pyramid.verdict.document import load_verdict
    from pytest_pyramid.verdict.report_kinds import KINDS
    from pytest_pyramid.verdict.reports import ReportError, ReportRequest, build_reports

    path = Path(args.verdict)
    files = {kind.name: getattr(args, kind.name) for kind in KINDS
             if getattr(args, kind.name) is not None}
    request = ReportRequest(files=files, history=args.history, junit_prefix=args.junit_prefix)
    if args.history is not None:
        from pytest_pyramid.cli.flaky import project_policy

        request.flaky_policy = project_policy()
    targets = {f"--{name}": target for name, target in files.items()}
    if args.history is not None:
        targets["--history"] = args.history
    if not targets:
        raise UsageFailure("name at least one output: "
                           + ", ".join(f"--{kind.name}" for kind in KINDS) + " or --history")
    for flag, target in targets.items():
        if target.is_dir():
            raise UsageFailure(f"{flag} {target}: is a directory, not a file")
    try:
        verdict = load_verdict(path)
        outcome = build_reports(verdict, path, request)
    except (VerdictError, ReportError) as exc:
        raise UsageFailure(str(exc)) from None
    if outcome.results_problem:
        _print(f"note: {outcome.results_problem}", err=True)
    for kind, target in outcome.written:
        extra = f" ({outcome.history_runs} run(s) in the trend)" if kind == "history" else ""
        _print(f"{kind}: {target}{extra}")
    return 0

