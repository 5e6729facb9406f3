"""Plain-text rendering of a verdict for the terminal and `pyramid check` (pure)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_pyramid.durations import format_duration

#: the summary is written to read in 100 columns; wider terminals get longer lines
WIDTH = 100
_STATUS_MARK = {"pass": "PASS", "fail": "FAIL", "not_evaluated": "N/E"}


def _value(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def tier_table(verdict: Mapping[str, Any]) -> list[str]:
    tiers: Mapping[str, Any] = verdict.get("tiers", {})
    show_cov = any(isinstance(t.get("coverage"), Mapping) for t in tiers.values())
    header = (
        f"{'tier':<12}{'tests':>6}{'pass':>6}{'fail':>6}{'skip':>6}  {'time / budget':<22}"
        f"{'wall':>7}"
    )
    if show_cov:
        header += f"{'cov':>7}"
    lines = [header + "  status"]
    for name, tier in tiers.items():
        budget = tier.get("budget_s")
        used = float(tier.get("test_time_s", 0.0))
        timing = format_duration(used)
        if budget:
            timing += f" / {format_duration(float(budget))} ({used / float(budget):.0%})"
        row = (
            f"{name:<12}{tier.get('collected', 0):>6}{tier.get('passed', 0):>6}"
            f"{tier.get('failed', 0) + tier.get('errors', 0):>6}{tier.get('skipped', 0):>6}"
            f"  {timing:<22}{format_duration(float(tier.get('wall_time_s', 0.0))):>7}"
        )
        if show_cov:
            cov = tier.get("coverage") or {}
            percent = cov.get("percent") if isinstance(cov, Mapping) else None
            row += f"{'-' if percent is None else f'{percent:.1f}%':>7}"
        status = tier.get("status", "")
        if not tier.get("selected"):
            status = "not selected"
        lines.append(f"{row}  {status}")
    return lines


def _wrapped(text: str, indent: str, width: int) -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_on_hyphens=False,
    ) or [indent]


def _no_effect(gate: Mapping[str, Any]) -> bool:
    return gate["status"] == "not_evaluated" and gate.get("on_missing") == "skip"


def gate_lines(
    gates: Sequence[Mapping[str, Any]], *, explain: bool, width: int = WIDTH
) -> list[str]:
    lines = []
    quiet = [] if explain else [g["id"] for g in gates if _no_effect(g)]
    for gate in gates:
        if gate["id"] in quiet:
            continue
        mark = _STATUS_MARK.get(gate["status"], gate["status"])
        head = f"{mark:<5}{gate['level']:<8}{gate['id']:<28} "
        lines.extend(
            textwrap.wrap(
                f"{head}{_value(gate.get('actual'))} (limit {_value(gate.get('threshold'))})",
                width=width,
                subsequent_indent=" " * min(len(head), 45),
                break_on_hyphens=False,
            )
        )
        if explain or gate["status"] != "pass":
            if gate.get("message"):
                lines.extend(_wrapped(gate["message"], " " * 13, width))
            if gate["status"] == "not_evaluated":
                lines.append(f"{'':13}missing data policy: {gate.get('on_missing', 'fail')}")
        if explain:
            for key, detail in (gate.get("details") or {}).items():
                text = detail if isinstance(detail, str) else repr(detail)
                if len(text) > 300:
                    text = text[:297] + "..."
                lines.extend(_wrapped(f"{key}: {text}", " " * 13, width))
    if quiet:
        lines.extend(
            _wrapped(
                f"N/E  (no effect: skipped in this run) {', '.join(quiet)}; "
                "--pyramid-explain says why",
                "",
                width,
            )
        )
    return lines


def decision_lines(verdict: Mapping[str, Any], *, width: int = WIDTH) -> list[str]:
    lines = [f"decision: {str(verdict['decision']).upper()}"]
    for reason in verdict.get("reasons", []):
        lines.extend(
            textwrap.wrap(
                reason,
                width=width,
                initial_indent="  - ",
                subsequent_indent="    ",
                break_on_hyphens=False,
            )
        )
    return lines


#: the widest band of the terminal pyramid, in characters
PYRAMID_WIDTH = 40
_BAR, _MARK = "█", "┆"


def pyramid_lines(
    verdict: Mapping[str, Any],
    targets: Mapping[str, float] | None = None,
    *,
    width: int = PYRAMID_WIDTH,
) -> list[str]:
    """The tiers as a pyramid of bars (first tier at the bottom), width by test count, with
    ``┆`` at the edges of each tier's ``[tool.pyramid.shape]`` target."""
    from pytest_pyramid.verdict.report_data import shape_targets, tier_tests

    tiers: Mapping[str, Any] = verdict.get("tiers", {})
    if not tiers:
        return []
    if targets is None:
        targets = shape_targets(verdict)
    total = sum(tier_tests(t) for t in tiers.values())
    widest = max([tier_tests(t) for t in tiers.values()]
                 + [share * total for share in targets.values()] + [1])
    name_width = max(len(name) for name in tiers)
    lines = ["pyramid: tests per tier" + (f"; {_MARK} = shape target" if targets else "")]
    for name in reversed(list(tiers)):
        tier = tiers[name]
        count = tier_tests(tier)
        cells = [" "] * (width + 2)
        bar = max(1, round(count / widest * width)) if count else 0
        start = 1 + (width - bar) // 2
        for index in range(start, start + bar):
            cells[index] = _BAR
        target = targets.get(name)
        if target is not None and total:
            span = round(target * total / widest * width)
            left = (width - span) // 2
            cells[left] = cells[min(width + 1, left + span + 1)] = _MARK
        status = tier.get("status", "") if tier.get("selected") else "not selected"
        lines.append(f"{name:>{name_width}} {''.join(cells)} {count:>6}  {status}")
    return lines


def render(verdict: Mapping[str, Any], *, explain: bool = False, width: int = WIDTH) -> list[str]:
    lines = pyramid_lines(verdict)
    if lines:
        lines.append("")
    lines.extend(tier_table(verdict))
    gates = verdict.get("gates", [])
    if gates:
        lines.append("")
        lines.append("gates:")
        lines.extend(gate_lines(gates, explain=explain, width=width))
    lines.append("")
    lines.extend(decision_lines(verdict, width=width))
    return lines
