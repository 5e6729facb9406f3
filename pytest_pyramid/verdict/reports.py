"""Building the reports from what a run wrote: a verdict and its per-test results file.

One function for both routes, ``pyramid report VERDICT ...`` after the run (also on a merged
verdict of CI shards) and ``--pyramid-report=...`` at session end, so both give the same
files. The history is appended first, so the HTML's trends include the run it reports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_pyramid._files import write_bytes_atomic, write_text_atomic
from pytest_pyramid.errors import PyramidError, VerdictError
from pytest_pyramid.verdict import report_kinds

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from pytest_pyramid.gates.flakes import Policy
    from pytest_pyramid.verdict.records import ResultRecord



class ReportError(PyramidError):
    """A report that cannot be built from the files given (exit 3 in the CLI)."""


@dataclass
class ReportRequest:
    #: report kind (``report_kinds.KINDS``) -> the file to write
    files: dict[str, Path] = field(default_factory=dict)
    #: SQLite run history: the verdict is appended, the HTML shows its trends
    history: Path | None = None
    #: pytest's ``--junit-prefix``, for testcase classnames identical to its own
    junit_prefix: str | None = None
    #: ``[tool.pyramid.flaky]`` for the flake ledger fed with the history (None: defaults)
    flaky_policy: Policy | None = None

    def outputs(self) -> tuple[Path, ...]:
        """The files the run writes (an appended file such as GitHub's is not one)."""
        mine = tuple(p for kind, p in self.files.items() if not report_kinds.BY_NAME[kind].appends)
        return (*mine, *((self.history,) if self.history else ()))


@dataclass(frozen=True)
class ReportInputs:
    """What every writer may use: the verdict, its per-test records, the history."""

    verdict: Mapping[str, Any]
    records: list[ResultRecord] | None
    history: list[Any]
    results_problem: str | None
    request: ReportRequest
    #: the flake ledger's standing (the verdict's ``flaky_ledger``, else read after feeding
    #: the ledger), None without a history
    flaky_ledger: Mapping[str, Any] | None = None


@dataclass
class ReportOutcome:
    written: list[tuple[str, Path]] = field(default_factory=list)
    #: why per-test results are missing from the reports (None: they are all there)
    results_problem: str | None = None
    history_runs: int = 0


def parse_kinds(text: str, origin: str, *, base: Path, default_dir: Path) -> dict[str, Path]:
    """``html,ctrf=out/run.ctrf.json`` -> kind -> path: a named path relative to ``base``, a
    kind alone its default name in ``default_dir`` (the verdict's folder).

    ValueError naming ``origin`` and the bad part for an unknown kind or an empty path."""
    kinds = report_kinds.SESSION_KINDS
    found: dict[str, Path] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        kind, equals, path = part.partition("=")
        kind = kind.strip()
        if kind not in kinds:
            raise ValueError(
                f"{origin} = {text!r}: unknown report {kind!r}; "
                f"choose from {', '.join(kinds)} (optionally kind=PATH)"
            )
        if equals and not path.strip():
            raise ValueError(f"{origin} = {text!r}: {kind}= needs a file path")
        found[kind] = base / path.strip() if equals else default_dir / kinds[kind]
    if not found:
        raise ValueError(f"{origin} = {text!r}: name at least one of {', '.join(kinds)}")
    return found


def _has_tests(verdict: Mapping[str, Any]) -> bool:
    run = verdict.get("run") or {}
    tiers = verdict.get("tiers") or {}
    return bool(run.get("collected")) or any(t.get("collected") for t in tiers.values())


def read_records(
    verdict: Mapping[str, Any], verdict_path: Path
) -> tuple[list[ResultRecord] | None, str | None]:
    """The verdict's per-test records, or None and why they cannot be used. A verdict with
    no tests at all (a placeholder of a run that never started) has an empty list."""
    from pytest_pyramid.verdict.results_file import load_results

    if "results" not in verdict and not _has_tests(verdict):
        return [], None
    try:
        return load_results(verdict, verdict_path), None
    except VerdictError as exc:
        return None, str(exc)


def build_reports(
    verdict: Mapping[str, Any], verdict_path: Path, request: ReportRequest
) -> ReportOutcome:
    """Append the history, then write every report asked for.

    CTRF and JUnit need the per-test records: without them it is a :class:`ReportError`
    (a test-results file with no tests would misstate the run). The HTML and the step
    summary are still written from the verdict alone, saying what is missing."""
    outcome = ReportOutcome()
    records, problem = read_records(verdict, verdict_path)
    outcome.results_problem = problem
    missing = [k for k in request.files if report_kinds.BY_NAME[k].needs_records]
    if records is None and missing:
        wanted = " and ".join(missing)
        raise ReportError(f"cannot write the {wanted} report without per-test results: {problem}")
    history: list[Any] = []
    standing = verdict.get("flaky_ledger")
    if request.history is not None:
        history, standing = _feed_history(request, verdict, records, standing)
        outcome.history_runs = len(history)
        outcome.written.append(("history", request.history))
    import importlib

    inputs = ReportInputs(verdict, records, history, problem, request,
                          standing if isinstance(standing, dict) else None)
    for kind in report_kinds.KINDS:  # the table's order: the HTML before the summary that links it
        target = request.files.get(kind.name)
        if target is None:
            continue
        module, _, function = kind.writer.partition(":")
        getattr(importlib.import_module(module), function)(target, inputs)
        outcome.written.append((kind.name, target))
    return outcome


def _feed_history(
    request: ReportRequest, verdict: Mapping[str, Any], records: list[ResultRecord] | None,
    standing: object,
) -> tuple[list[Any], object]:
    """Append the run to the history and its attempts to the flake ledger (from the per-test
    records: without them the ledger cannot be fed, and says nothing it did not see); the
    ledger's standing when the verdict does not carry it (a merged verdict)."""
    from pytest_pyramid.gates.flakes import Policy
    from pytest_pyramid.verdict import history as store
    from pytest_pyramid.verdict.ledger import append_run, ledger_section

    assert request.history is not None
    try:
        store.append(request.history, verdict)
        if records is not None:
            append_run(request.history, verdict, records)
            if not isinstance(standing, dict):
                standing = ledger_section(request.history, request.flaky_policy or Policy())
        return store.recent(request.history), standing
    except store.HistoryError as exc:
        raise ReportError(str(exc)) from None


# -- the writers ``report_kinds.KINDS`` names: ``write(target, inputs)`` ---------------------


def _with_ledger(inputs: ReportInputs) -> Mapping[str, Any]:
    """The verdict as the renderers read it: with the ledger's standing read after feeding
    the ledger when the verdict has none of its own (a merged verdict, an older run)."""
    if inputs.flaky_ledger is None or "flaky_ledger" in inputs.verdict:
        return inputs.verdict
    return {**inputs.verdict, "flaky_ledger": inputs.flaky_ledger}


def write_html(target: Path, inputs: ReportInputs) -> None:
    from pytest_pyramid.verdict.report_html import render_html

    write_text_atomic(target, render_html(_with_ledger(inputs), inputs.records,
                                          history=inputs.history,
                                          results_problem=inputs.results_problem))


def write_ctrf(target: Path, inputs: ReportInputs) -> None:
    from pytest_pyramid.verdict.report_ctrf import render_ctrf

    document = render_ctrf(_with_ledger(inputs), inputs.records or [])
    write_text_atomic(target, json.dumps(document, separators=(",", ":"), allow_nan=False) + "\n")


def write_junit(target: Path, inputs: ReportInputs) -> None:
    from pytest_pyramid.verdict.report_junit import render_junit

    write_bytes_atomic(target, render_junit(inputs.verdict, inputs.records or [],
                                            prefix=inputs.request.junit_prefix))


def write_summary(target: Path, inputs: ReportInputs) -> None:
    from pytest_pyramid.verdict.render_github import step_summary

    html = inputs.request.files.get("html")
    hint = f"the HTML report ({html.name})" if html else "the report"
    text = step_summary(inputs.verdict, inputs.records, report_hint=hint)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as handle:  # GitHub appends
        handle.write(text)
