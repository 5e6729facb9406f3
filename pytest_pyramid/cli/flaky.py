"""``pyramid flaky report|quarantine|release``: the flake ledger read, and proposals written
as a reviewable diff of the project's tracked configuration (``verdict/quarantine_file.py``).

The ledger is the run history's SQLite file (``--history DB``, else the ``pyramid_history``
option of pytest's configuration in the project's folder). ``quarantine`` and ``release``
print the diff and change nothing without ``--write``; even then only the committed file
excuses a failure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    import argparse

    from pytest_pyramid.gates.flakes import Policy, Standing
    from pytest_pyramid.gates.flaky import QuarantineEntry
    from pytest_pyramid.project import Project


class FlakyError(PyramidError):
    """Input the flaky commands cannot use (exit 3, one line)."""


def add_command(commands: Any) -> None:
    """Register ``flaky`` on the ``pyramid`` parser's subcommands."""
    flaky = commands.add_parser(
        "flaky", help="the flake ledger: report flaky and broken tests, propose quarantine "
        "entries and their release")
    actions = flaky.add_subparsers(dest="flaky_command", metavar="ACTION", required=True)
    report = actions.add_parser("report", help="flaky, broken, quarantined (with expiry) and "
                                "releasable tests, with the run ids that prove it")
    report.add_argument("--json", action="store_true", help="print JSON instead of text")
    quarantine = actions.add_parser(
        "quarantine", help="propose [[tool.pyramid.quarantine]] entries for proven-flaky "
        "tests (owner from CODEOWNERS, evidence, rate, expiry) as a diff")
    release = actions.add_parser(
        "release", help="propose removing entries whose test passed release_after runs in "
        "a row, with the chance a still-flaky test would have")
    for parser in (quarantine, release):
        parser.add_argument("--write", action="store_true",
                            help="write the diff into the project file (review and commit it)")
    for parser in (report, quarantine, release):
        parser.add_argument("--history", type=Path, default=None, metavar="DB",
                            help="the run history / flake ledger (default: the project's "
                            "pyramid_history ini option)")
        parser.add_argument("--config", type=Path, default=None, metavar="FILE",
                            help="the project's pyproject.toml or pyramid.toml (default: the "
                            "project at or above this folder)")
    flaky.set_defaults(func=run)


def project_policy() -> Policy:
    """``[tool.pyramid.flaky]`` of the project at or above this folder, for ``pyramid report
    --history`` (defaults outside a project: a report can be built anywhere)."""
    from pytest_pyramid.gates.flakes import Policy, policy_from
    from pytest_pyramid.project import NoProject, load

    try:
        project = load()
    except NoProject:
        return Policy()
    _ = project.settings  # validated: a bad [tool.pyramid.flaky] is named, not half-used
    return policy_from(project.table.get("flaky"))


def _out(text: str) -> None:
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    sys.stdout.write(text.encode(encoding, "replace").decode(encoding, "replace") + "\n")


def run(args: argparse.Namespace) -> int:
    from pytest_pyramid.gates.flakes import policy_from
    from pytest_pyramid.gates.flaky import parse_quarantine
    from pytest_pyramid.project import load

    project = load(config=args.config)
    _ = project.settings  # the whole table validated: a bad key is named before anything
    policy = policy_from(project.table.get("flaky"))
    database = _database(args.history, project)
    entries = parse_quarantine(project.table.get("quarantine"), project.source)
    standings, outages, sizes = _read(database, policy)
    if args.flaky_command == "report":
        return _report(args, standings, outages, entries, policy)
    if args.flaky_command == "quarantine":
        return _quarantine(args, project, standings, entries, sizes, policy)
    return _release(args, project, standings, entries, policy)


def _database(given: Path | None, project: Project) -> Path:
    from pytest_pyramid.project import pytest_ini_option

    if given is not None:
        path = given
    elif (value := pytest_ini_option(project.folder, "pyramid_history")) is not None:
        path = project.folder / value
    else:
        raise FlakyError("no flake ledger named: pass --history DB or set pyramid_history in "
                         "pytest's configuration (`pytest --pyramid-history=DB` feeds it)")
    if not path.is_file():
        raise FlakyError(f"{path}: no run history there yet: `pytest --pyramid-history={path}` "
                         "feeds the ledger with every run")
    return path


def _read(
    database: Path, policy: Policy
) -> tuple[dict[str, Standing], list[str], dict[str, int]]:
    """Standings, outage runs, and each tier's size in the newest run."""
    from pytest_pyramid.gates.flakes import standings
    from pytest_pyramid.verdict.ledger import load_runs, span

    runs = load_runs(database, span(policy))
    if not runs:
        raise FlakyError(f"{database}: the flake ledger holds no run yet")
    found, outages = standings(runs, policy)
    sizes: dict[str, int] = {}
    for tier, _attempts in runs[-1].tests.values():
        sizes[tier] = sizes.get(tier, 0) + 1
    return found, outages, sizes


def _report(
    args: argparse.Namespace, standings: dict[str, Standing], outages: list[str],
    entries: tuple[QuarantineEntry, ...], policy: Policy,
) -> int:
    from pytest_pyramid.gates.flakes import describe
    from pytest_pyramid.gates.flaky import utc_today
    from pytest_pyramid.verdict.quarantine_file import plan_release

    today = utc_today()
    released, _waiting = plan_release(standings, entries, policy)
    shown = {k: [s.to_json() for s in sorted(standings.values(), key=lambda s: s.nodeid)
                 if s.status == k] for k in ("flaky", "broken")}
    document = {
        **shown,
        "quarantined": [{**e.to_json(), "expired": e.expired(today)} for e in entries],
        "releasable": [{"test": r.entry.test, "clean_runs": r.clean_runs,
                        "chance_at_5": round(r.chance_at_5, 4)} for r in released],
        "outages": outages,
        "policy": {"window": policy.window, "branch": policy.branch,
                   "release_after": policy.release_after, "max_share": policy.max_share},
    }
    if args.json:
        _out(json.dumps(document, indent=2))
        return 0
    for kind in ("flaky", "broken"):
        _out(f"{kind}: {len(shown[kind])}")
        for shown_test in shown[kind]:
            runs = ", ".join(str(r) for r in shown_test["evidence"])  # type: ignore[attr-defined]
            _out(f"  {shown_test['nodeid']} [{shown_test['tier']}] {describe(shown_test)}; "
                 f"evidence: runs {runs}")
    _out(f"quarantined: {len(entries)}")
    for entry in entries:
        state = "EXPIRED" if entry.expired(today) else "expires"
        _out(f"  {entry.test} (owner {entry.owner}, {state} {entry.expires.isoformat()})")
    _out(f"releasable: {len(released)}")
    for release in released:
        _out(f"  {release.entry.test}: {release.clean_runs} clean runs in a row (a test still "
             f"flaky at 5% passes that many with chance {release.chance_at_5:.1%})")
    if outages:
        _out(f"outage runs left out of every statistic: {', '.join(outages)}")
    return 0


def _quarantine(
    args: argparse.Namespace, project: Project, standings: dict[str, Standing],
    entries: tuple[QuarantineEntry, ...], sizes: dict[str, int], policy: Policy,
) -> int:
    from pytest_pyramid.gates.flaky import utc_today
    from pytest_pyramid.verdict.quarantine_file import (
        header_for,
        plan_quarantine,
        with_proposals,
    )

    today = utc_today()
    plan = plan_quarantine(standings, entries, sizes, _owners(project.folder), today, policy)
    for nodeid, why in sorted(plan.left_out.items()):
        _out(f"not proposed: {nodeid}: {why}")
    if not plan.proposed:
        _out("no quarantine entry to propose")
        return 0
    before = project.path.read_text(encoding="utf-8")
    after = with_proposals(before, plan.proposed, header_for(project.source), today)
    _check(after, project, {e.test for e in entries} | {p.entry.test for p in plan.proposed})
    return _show_or_write(args, project, before, after, f"{len(plan.proposed)} entr"
                          f"{'y' if len(plan.proposed) == 1 else 'ies'} proposed")


def _release(
    args: argparse.Namespace, project: Project, standings: dict[str, Standing],
    entries: tuple[QuarantineEntry, ...], policy: Policy,
) -> int:
    from pytest_pyramid.project import table_from_text
    from pytest_pyramid.verdict.quarantine_file import header_for, plan_release, without_entries

    released, waiting = plan_release(standings, entries, policy)
    for test, why in sorted(waiting.items()):
        _out(f"kept: {test}: {why}")
    if not released:
        _out("no quarantine entry to release")
        return 0
    for item in released:
        _out(f"release: {item.entry.test}: {item.clean_runs} clean runs in a row; a test still "
             f"flaky at 5% passes that many with chance {item.chance_at_5:.1%}")
    before = project.path.read_text(encoding="utf-8")

    def test_of(block: str) -> str | None:
        table = table_from_text(block, project.source) or {}
        found = table.get("quarantine") or [{}]
        test = found[0].get("test") if isinstance(found, list) and found else None
        return str(test).strip() if test is not None else None

    gone = {item.entry.test for item in released}
    after = without_entries(before, gone, header_for(project.source), test_of)
    _check(after, project, {e.test for e in entries} - gone)
    return _show_or_write(args, project, before, after, f"{len(gone)} entr"
                          f"{'y' if len(gone) == 1 else 'ies'} released")


def _owners(folder: Path) -> list[Any]:
    from pytest_pyramid.verdict.quarantine_file import CODEOWNERS_PATHS, parse_codeowners

    for name in CODEOWNERS_PATHS:
        path = folder / name
        if path.is_file():
            return parse_codeowners(path.read_text(encoding="utf-8", errors="replace"))
    return []


def _check(text: str, project: Project, expected: set[str]) -> None:
    """The edited file parses, and its quarantine holds exactly the expected tests: an edit
    that would change anything else is refused, not written."""
    from pytest_pyramid.gates.flaky import parse_quarantine
    from pytest_pyramid.project import table_from_text

    table = table_from_text(text, project.source) or {}
    found = {e.test for e in parse_quarantine(table.get("quarantine"), project.source)}
    if found != expected:
        raise FlakyError(f"{project.path}: the edit would leave the quarantine entries "
                         f"{sorted(found)}, not {sorted(expected)}; edit the file by hand")


def _show_or_write(
    args: argparse.Namespace, project: Project, before: str, after: str, what: str
) -> int:
    from pytest_pyramid._files import write_text_atomic
    from pytest_pyramid.verdict.quarantine_file import unified

    _out(unified(before, after, project.path.name).rstrip("\n"))
    if args.write:
        write_text_atomic(project.path, after)
        _out(f"{what}: written to {project.path}; review and commit it (only a committed "
             "entry excuses a failure)")
    else:
        _out(f"{what}: nothing written (--write writes it)")
    return 0


#: the registry's name for this command's parser (cli/__init__.py COMMANDS)
add = add_command
