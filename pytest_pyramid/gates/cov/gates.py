"""Coverage gates and verdict sections from measured figures: pure, no pytest, no coverage.

A missing figure is never a pass and never 0 %: it is ``not_evaluated`` with the reason.
``on_missing`` is ``fail`` when evidence that should exist is missing (nothing measured,
no git, base not found) and ``skip`` when there is nothing to judge by design (a tier not
selected with ``--tier``, fewer changed lines than ``min_changed_lines``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pytest_pyramid.gates.cov.changed import ChangedLines, cap_listing
from pytest_pyramid.gates.cov.measure import TOTAL, Measurement, Numbers
from pytest_pyramid.results import GateResult, Level, OnMissing

if TYPE_CHECKING:
    from pytest_pyramid.gates.cov.config import CoverageSettings
    from pytest_pyramid.run.summary import RunSummary

MAX_WARNINGS_LISTED = 10


@dataclass(frozen=True)
class CoverageState:
    """What the plugin found at session end, before judging it."""

    measurement: Measurement | None
    #: Why nothing could be measured (no ``--cov``, data not combined ...).
    reason: str | None = None
    #: Why per-tier figures are unavailable although a total exists (sysmon core ...).
    tier_reason: str | None = None
    changed: ChangedLines | None = None
    rootdir: str = ""
    #: ``tier`` (plugin-switched contexts) or ``test`` (pytest-cov ``--cov-context=test``).
    mode: str = "tier"
    source: tuple[str, ...] = ()
    source_from: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChangedFigure:
    """Coverage of the changed executable lines."""

    lines_total: int
    lines_covered: int
    uncovered: dict[str, frozenset[int]] = field(default_factory=dict)
    files_changed: int = 0
    files_not_measured: int = 0

    @property
    def percent(self) -> float | None:
        if self.lines_total == 0:
            return None
        return 100.0 * self.lines_covered / self.lines_total


@dataclass
class CoverageReport:
    gates: list[GateResult]
    sections: dict[str, object]


def changed_figure(measurement: Measurement, changed: ChangedLines, rootdir: str) -> ChangedFigure:
    """Intersect changed lines with the statements of the reported (measured) files."""
    total = covered = 0
    uncovered: dict[str, frozenset[int]] = {}
    not_measured = 0
    for path, lines in changed.files.items():
        info = measurement.files.get(path)
        if info is None:
            not_measured += 1
            continue
        executable = lines & info.statements
        missing = executable & info.missing
        total += len(executable)
        covered += len(executable) - len(missing)
        if missing:
            uncovered[_display(path, rootdir)] = frozenset(missing)
    return ChangedFigure(
        lines_total=total,
        lines_covered=covered,
        uncovered=uncovered,
        files_changed=len(changed.files),
        files_not_measured=not_measured,
    )


def _display(path: str, rootdir: str) -> str:
    if rootdir:
        try:
            rel = os.path.relpath(path, rootdir)
        except ValueError:  # another drive on Windows
            return path
        if not rel.startswith(".."):
            return rel.replace(os.sep, "/")
    return path


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def passes(covered: int, total: int, threshold: float) -> bool:
    """At least ``threshold`` percent; 100 means every single line, not "rounds to 100"."""
    if threshold >= 100:
        return covered == total
    return round(100.0 * covered / total, 2) >= threshold


def _not_evaluated(
    gate_id: str, level: Level, threshold: float, reason: str, on_missing: OnMissing = "fail"
) -> GateResult:
    return GateResult(
        id=gate_id,
        level=level,
        status="not_evaluated",
        actual=None,
        threshold=threshold,
        message=reason,
        on_missing=on_missing,
    )


def _judged(
    gate_id: str,
    level: Level,
    threshold: float,
    numbers: Numbers,
    what: str,
    details: dict[str, object],
) -> GateResult:
    percent = numbers.percent
    assert percent is not None
    ok = passes(
        numbers.lines_covered + numbers.branches_covered,
        numbers.statements + numbers.branches,
        threshold,
    )
    message = f"{what}: {percent:.2f}% {'>=' if ok else '<'} {threshold:g}%"
    return GateResult(
        id=gate_id,
        level=level,
        status="pass" if ok else "fail",
        actual=_rounded(percent),
        threshold=threshold,
        message=message,
        details=details,
    )


def _numbers_details(numbers: Numbers, branch: bool) -> dict[str, object]:
    details: dict[str, object] = {
        "lines_covered": numbers.lines_covered,
        "lines_total": numbers.statements,
    }
    if branch:
        details["branches_covered"] = numbers.branches_covered
        details["branches_total"] = numbers.branches
    return details


def _tier_absence(run: RunSummary, tier: str) -> tuple[str, OnMissing] | None:
    """Why a tier has no coverage figure in this run, or None when it ran."""
    stats = run.tiers.get(tier)
    if stats is None or not stats.selected:
        return f"tier {tier!r} was not selected in this run", "skip"
    if stats.executed == 0:
        if stats.collected == 0:
            return f"tier {tier!r} has no tests in this run", "fail"
        return f"no test of tier {tier!r} ran ({stats.collected} collected, none executed)", "fail"
    return None


def evaluate(settings: CoverageSettings, state: CoverageState, run: RunSummary) -> CoverageReport:
    """The coverage gates and the ``coverage`` / ``tiers.*.coverage`` verdict sections."""
    gates: list[GateResult] = []
    branch = bool(state.measurement and state.measurement.branch)
    tier_sections: dict[str, dict[str, object]] = {}
    for tier in settings.tier_order:
        section, gate = _tier_coverage(settings, state, run, tier, branch)
        if section is not None:
            tier_sections[tier] = {"coverage": section}
        if gate is not None:
            gates.append(gate)
    total = _total(settings, state, run, branch)
    if total.gate is not None:
        gates.append(total.gate)
    changed_section, changed_gate = _changed(settings, state)
    if changed_gate is not None:
        gates.append(changed_gate)
    sections: dict[str, object] = {
        "coverage": _coverage_section(settings, state, total, branch, changed_section)
    }
    if tier_sections:
        sections["tiers"] = tier_sections
    return CoverageReport(gates=gates, sections=sections)


def _tier_coverage(
    settings: CoverageSettings, state: CoverageState, run: RunSummary, tier: str, branch: bool
) -> tuple[dict[str, object] | None, GateResult | None]:
    """One tier's ``tiers.<tier>.coverage`` section (None: not shown) and its gate (None:
    no gate configured, or it is off)."""
    spec = settings.tier_threshold(tier)
    absent = _tier_absence(run, tier)
    reason, numbers = _tier_numbers(state, tier, absent)
    section: dict[str, object] = {"percent": None, "fail_under": spec.threshold if spec else None}
    if numbers is not None:
        section.update({"percent": _rounded(numbers.percent), **_numbers_details(numbers, branch)})
    else:
        section["reason"] = reason
    shown = section if spec is not None or reason is None else None
    if spec is None or spec.level == "off":
        return shown, None
    gate_id = f"coverage.{tier}"
    if numbers is None:
        on_missing: OnMissing = "fail"
        if absent is not None and not state.reason and not state.tier_reason:
            on_missing = absent[1]
        return shown, _not_evaluated(gate_id, spec.level, spec.threshold, str(reason), on_missing)
    m = state.measurement
    details = {**_numbers_details(numbers, branch),
               "contexts": len(m.contexts.get(tier, [])) if m else 0}
    return shown, _judged(gate_id, spec.level, spec.threshold, numbers, f"{tier} tier coverage",
                          details)


def _tier_numbers(
    state: CoverageState, tier: str, absent: tuple[str, OnMissing] | None
) -> tuple[str | None, Numbers | None]:
    """(why the tier has no figure, its figure): exactly one of them is None."""
    reason = state.reason or state.tier_reason or (absent[0] if absent else None)
    if reason is not None:
        return reason, None
    m = state.measurement
    numbers = m.groups.get(tier) if m is not None else None
    if numbers is None or numbers.percent is None:
        return "no executable statements were measured", None
    return None, numbers


@dataclass(frozen=True)
class _Total:
    """The whole run's figure: its numbers, why there are none, the tiers that ran."""

    numbers: Numbers | None
    reason: str | None
    ran: list[str]
    gate: GateResult | None


def _total(
    settings: CoverageSettings, state: CoverageState, run: RunSummary, branch: bool
) -> _Total:
    m = state.measurement
    total_numbers = m.groups.get(TOTAL) if m is not None else None
    ran = [t for t in settings.tier_order if _tier_absence(run, t) is None]
    total_reason = state.reason
    if total_reason is None and not ran and not any(s.executed for s in run.tiers.values()):
        total_reason = "no test ran"
    if total_reason is None and (total_numbers is None or total_numbers.percent is None):
        total_reason = "no executable statements were measured (check coverage_source and --cov)"
    gate = None
    if settings.total is not None and settings.total_level != "off":
        gate = _total_gate(settings, run, total_numbers, total_reason, ran, branch)
    return _Total(total_numbers, total_reason, ran, gate)


def _total_gate(
    settings: CoverageSettings, run: RunSummary, total_numbers: Numbers | None,
    total_reason: str | None, ran: list[str], branch: bool,
) -> GateResult:
    assert settings.total is not None
    left_out = sorted(n for n, st in run.tiers.items() if not st.selected and st.has_tests)
    if total_reason is None and total_numbers is not None and left_out:
        # A partial run (e.g. --tier=fast before a commit) is incomplete anyway; judging
        # the whole-suite bar on it would only block every such run.
        return _not_evaluated(
            "coverage.total",
            settings.total_level,
            settings.total,
            f"total coverage needs every tier; this run left out {', '.join(left_out)}"
            f" (measured {total_numbers.percent or 0:.2f}% on the tiers that ran)",
            "skip",
        )
    if total_reason is not None or total_numbers is None:
        return _not_evaluated(
            "coverage.total", settings.total_level, settings.total, str(total_reason)
        )
    return _judged(
        "coverage.total",
        settings.total_level,
        settings.total,
        total_numbers,
        "total coverage",
        {**_numbers_details(total_numbers, branch), "tiers": ran},
    )


def _coverage_section(
    settings: CoverageSettings, state: CoverageState, total: _Total, branch: bool,
    changed_section: dict[str, object] | None,
) -> dict[str, object]:
    """The verdict's ``coverage`` section."""
    m = state.measurement
    coverage: dict[str, object] = {
        "measured": state.reason is None and m is not None,
        "mode": state.mode,
        "branch": branch,
        "source": list(state.source),
        "source_from": state.source_from,
        "percent": None,
        "fail_under": settings.total,
    }
    if total.reason is None and total.numbers is not None:
        coverage.update(
            {
                "percent": _rounded(total.numbers.percent),
                **_numbers_details(total.numbers, branch),
                "files": total.numbers.files,
                "tiers": total.ran,
            }
        )
    else:
        coverage["reason"] = total.reason
    if state.tier_reason:
        coverage["tier_reason"] = state.tier_reason
    if changed_section is not None:
        coverage["changed_lines"] = changed_section
    notes = [*state.notes, *(m.warnings if m else [])]
    if notes:
        coverage["warnings"] = notes[:MAX_WARNINGS_LISTED]
    return coverage


def _changed(
    settings: CoverageSettings, state: CoverageState
) -> tuple[dict[str, object] | None, GateResult | None]:
    threshold = settings.changed_lines
    if threshold is None and settings.base is None:
        return None, None
    level = settings.changed_lines_level
    section: dict[str, object] = {
        "base": settings.base,
        "merge_base": state.changed.merge_base if state.changed else None,
        "percent": None,
        "fail_under": threshold,
        "min_changed_lines": settings.min_changed_lines,
    }
    on_missing: OnMissing = "fail"
    figure: ChangedFigure | None = None
    reason = _changed_unavailable(settings, state)
    if reason is None:
        # _changed_unavailable said both are there
        assert state.measurement is not None
        assert state.changed is not None
        figure = changed_figure(state.measurement, state.changed, state.rootdir)
        reason, on_missing = _changed_figure(section, figure, settings)
    if reason is not None:
        section["reason"] = reason
    if threshold is None or level == "off":
        return section, None
    if reason is not None or figure is None:
        return section, _not_evaluated(
            "coverage.changed_lines", level, threshold, reason or "", on_missing
        )
    return section, _changed_gate(settings, section, figure, level, threshold)


def _changed_unavailable(settings: CoverageSettings, state: CoverageState) -> str | None:
    """Why there is no changed-lines figure to compute (None: there is)."""
    if state.reason is not None or state.measurement is None:
        return state.reason or "no coverage data"
    if settings.base is None:
        return "no base revision: set [tool.pyramid.coverage] base or pass --pyramid-diff-base"
    if state.changed is None:
        return "changed lines were not computed"
    return state.changed.reason


def _changed_figure(
    section: dict[str, object], figure: ChangedFigure, settings: CoverageSettings
) -> tuple[str | None, OnMissing]:
    """Fill the section from the figure; (why it cannot be judged, its on_missing)."""
    section.update(
        {
            "lines_total": figure.lines_total,
            "lines_covered": figure.lines_covered,
            "files_changed": figure.files_changed,
            "files_not_measured": figure.files_not_measured,
        }
    )
    listing, left_out = cap_listing(figure.uncovered, settings.max_uncovered_files)
    if listing:
        section["uncovered"] = listing
    if left_out:
        section["uncovered_files_not_listed"] = left_out
    if figure.lines_total == 0:
        return "no changed executable lines in the measured files", "skip"
    if figure.lines_total < settings.min_changed_lines:
        return (
            f"only {figure.lines_total} changed executable lines "
            f"(< min_changed_lines = {settings.min_changed_lines})"
        ), "skip"
    section["percent"] = _rounded(figure.percent)
    return None, "fail"


def _changed_gate(
    settings: CoverageSettings, section: dict[str, object], figure: ChangedFigure,
    level: Level, threshold: float,
) -> GateResult:
    ok = passes(figure.lines_covered, figure.lines_total, threshold)
    percent = figure.percent or 0.0
    message = (
        f"changed lines since {settings.base}: "
        f"{figure.lines_covered}/{figure.lines_total} covered, "
        f"{percent:.2f}% {'>=' if ok else '<'} {threshold:g}%"
    )
    details: dict[str, object] = {
        k: section[k]
        for k in (
            "base",
            "merge_base",
            "lines_covered",
            "lines_total",
            "uncovered",
            "uncovered_files_not_listed",
        )
        if k in section
    }
    return GateResult(
        id="coverage.changed_lines",
        level=level,
        status="pass" if ok else "fail",
        actual=_rounded(figure.percent),
        threshold=threshold,
        message=message,
        details=details,
    )
