"""``--pyramid-report`` and ``--pyramid-history`` at session end (a plugin of the verdict stage).

Nothing here runs while tests run: the reports are built once the verdict and its results
file are written, from those files, exactly as ``pyramid report`` builds them. A report that
cannot be written is said in the terminal summary; it never changes the verdict or the exit
status (the verdict is the promise, the reports are views of it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_pyramid.verdict.reports import ReportRequest


class SessionReports:
    def __init__(self, request: ReportRequest) -> None:
        self.request = request
        self.lines: list[tuple[str, bool]] = []

    @pytest.hookimpl
    def pytest_pyramid_verdict_written(
        self, config: pytest.Config, verdict: dict[str, Any], path: Path
    ) -> None:
        from pytest_pyramid.verdict.reports import build_reports

        try:
            outcome = build_reports(verdict, path, self.request)
        except (PyramidError, OSError) as exc:
            self.lines.append((f"pyramid: reports not written: {exc}", True))
            return
        if outcome.results_problem:
            self.lines.append((f"pyramid: {outcome.results_problem}", True))
        for kind, target in outcome.written:
            if kind == "history":
                self.lines.append(
                    (f"run history: {target} ({outcome.history_runs} run(s) in the trend)", False)
                )
            else:
                self.lines.append((f"{kind} report written to {target}", False))

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        for line, bad in self.lines:
            terminalreporter.write_line(line, **({"yellow": True} if bad else {}))
