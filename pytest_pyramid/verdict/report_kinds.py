"""The report kinds: one table, read by every place that lists them.

``pyramid report``'s flags, ``--pyramid-report``'s accepted kinds, default file names and
help, and :func:`pytest_pyramid.verdict.reports.build_reports` all derive from ``KINDS``.
Adding a report kind is one renderer and one line here. This module is imported by the
plugin at start-up to word its option help, so it holds plain data only: a kind's writer is
named as ``"module:function"`` and imported when that report is written.
"""

from __future__ import annotations

from typing import NamedTuple


class ReportKind(NamedTuple):
    name: str
    #: the file ``--pyramid-report=<name>`` writes beside the verdict; None: the kind is for
    #: ``pyramid report`` only
    default_file: str | None
    #: built from the per-test records (refused without them, rather than misstate the run)
    needs_records: bool
    #: appended to, as its reader expects (GitHub's step summary); not an output of the run
    appends: bool
    #: ``pyramid report --<name> FILE``'s help
    help: str
    #: ``"module:function"``: ``function(target, inputs)`` writes the report
    writer: str


_WRITERS = "pytest_pyramid.verdict.reports"

KINDS: tuple[ReportKind, ...] = (
    ReportKind("html", "pyramid-report.html", False, False,
               "one self-contained HTML page: pyramid, gates, failures, trends",
               f"{_WRITERS}:write_html"),
    ReportKind("ctrf", "pyramid-report.ctrf.json", True, False, "CTRF JSON (tier = type)",
               f"{_WRITERS}:write_ctrf"),
    ReportKind("junit", "pyramid-report.junit.xml", True, False,
               "JUnit XML with one testsuite per tier", f"{_WRITERS}:write_junit"),
    ReportKind("summary", None, False, True,
               "GitHub step summary markdown, appended (e.g. $GITHUB_STEP_SUMMARY), at most "
               "64 KiB", f"{_WRITERS}:write_summary"),
)
BY_NAME: dict[str, ReportKind] = {kind.name: kind for kind in KINDS}
#: what ``--pyramid-report`` writes, and each file's name beside the verdict
SESSION_KINDS: dict[str, str] = {k.name: k.default_file for k in KINDS if k.default_file}


def session_help() -> str:
    """``--pyramid-report``'s help, worded from the table."""
    names = ", ".join(SESSION_KINDS)
    files = ", ".join(SESSION_KINDS.values())
    return (f"Reports to write after the last test, from the verdict and its results file: any "
            f"of {names}, comma-separated, each optionally kind=PATH (default: {files} beside "
            "the verdict)")
