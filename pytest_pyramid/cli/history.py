"""``pyramid history --runs``: the test-run history, on the deploy module's ``history``."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_pyramid.cli._common import UsageFailure, _print

if TYPE_CHECKING:
    from pytest_pyramid.cli._common import Commands


def add(commands: Commands) -> None:
    """``pyramid history --runs``: the test-run history, on the deploy module's ``history``
    command (which keeps its meaning without ``--runs``), or on a command of its own when
    the deploy module is absent. Deploy's ``--history``, ``--limit`` and ``--json`` are
    reused when it has them."""
    history = commands.choices.get("history")
    deployments = None
    if history is None:
        history = commands.add_parser("history", help="list the test-run history (--runs)")
    else:
        deployments = history.get_default("func")
    history.add_argument(
        "--runs", nargs="?", const="", default=None, metavar="DB",
        help="list the test-run history (pytest --pyramid-history) instead of deployments; "
        "DB defaults to --history, else the project's pyramid_history ini option",
    )
    for flag, options in (("--limit", {"type": int, "default": 20}),
                          ("--json", {"action": "store_true"}),
                          ("--history", {"default": None})):
        with contextlib.suppress(argparse.ArgumentError):  # deploy's own: same meaning
            history.add_argument(flag, **options)

    def dispatch(args: argparse.Namespace) -> int:
        if args.runs is not None or deployments is None:
            return cmd_runs(args)
        code: int = deployments(args)
        return code

    history.set_defaults(func=dispatch)



def cmd_runs(args: argparse.Namespace) -> int:
    """``pyramid history --runs [DB]``: the test-run history, oldest of the window first."""
    import json

    from pytest_pyramid.verdict.history import HistoryError, recent

    database = _runs_database(args)
    if not database.is_file():
        raise UsageFailure(f"{database}: no run history there yet: `pytest "
                           f"--pyramid-history={database}` appends each run to it")
    try:
        rows = recent(database, max(1, args.limit))
    except HistoryError as exc:
        raise UsageFailure(str(exc)) from None
    if args.json:
        _print(json.dumps([
            {"seq": r.seq, "run_id": r.run_id, "run_number": r.run_number,
             "created_at": r.created_at, "commit": r.commit, "branch": r.branch,
             "decision": r.decision, "tests": r.tests, "failed": r.failed,
             "duration_s": r.duration_s, "tiers": r.tiers, "metrics": r.metrics,
             "reordered": r.reordered, "missing_before": r.missing_before}
            for r in rows
        ], indent=2))
        return 0
    _print(f"{'#':>5}  {'run':>6}  {'created':<20}  {'commit':<10}  {'branch':<16}  "
           f"{'decision':<14}  {'tests':>6}  {'failed':>6}  tiers")
    for row in rows:
        flags = []
        if row.missing_before:
            flags.append(f"({row.missing_before} run(s) missing before)")
        if row.reordered:
            flags.append("(older than the row before)")
        tiers = " ".join(f"{name}:{t.get('tests', 0)}" for name, t in row.tiers.items())
        number = "-" if row.run_number is None else str(row.run_number)
        _print(f"{row.seq:>5}  {number:>6}  {row.created_at:<20}  {(row.commit or '-')[:10]:<10}"
               f"  {(row.branch or '-')[:16]:<16}  {row.decision:<14}  {row.tests:>6}  "
               f"{row.failed:>6}  {tiers} {' '.join(flags)}".rstrip())
    return 0


def _runs_database(args: argparse.Namespace) -> Path:
    """``--runs DB``, else ``--history DB``, else ``pyramid_history`` of pytest's
    configuration in the project's folder (the ini file pytest reads it from)."""
    if args.runs:
        return Path(args.runs)
    if getattr(args, "history", None):
        return Path(args.history)
    from pytest_pyramid.project import locate, pytest_ini_option

    # pytest resolves the option against its rootdir: the project's folder
    start = Path.cwd()
    found = locate(start)
    if found is not None and (value := pytest_ini_option(found.folder, "pyramid_history")):
        return found.folder / value
    raise UsageFailure(
        f"no run history named: looked for --runs DB, --history DB and pyramid_history in "
        f"pytest's configuration of the project found from {start}; enable it with "
        "pyramid_history = \"FILE\" there (or `pytest --pyramid-history=FILE`), then "
        "`pyramid history --runs`"
    )

