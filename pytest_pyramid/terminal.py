"""Plain-text rendering of a verdict for the terminal and `pyramid check` (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pytest_pyramid.durations import format_duration

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


def gate_lines(gates: Sequence[Mapping[str, Any]], *, explain: bool) -> list[str]:
    lines = []
    for gate in gates:
        mark = _STATUS_MARK.get(gate["status"], gate["status"])
        line = (
            f"{mark:<5}{gate['level']:<8}{gate['id']:<28} "
            f"{_value(gate.get('actual'))} (limit {_value(gate.get('threshold'))})"
        )
        lines.append(line)
        if explain or gate["status"] != "pass":
            if gate.get("message"):
                lines.append(f"{'':13}{gate['message']}")
            if gate["status"] == "not_evaluated":
                lines.append(f"{'':13}missing data policy: {gate.get('on_missing', 'fail')}")
        if explain:
            for key, detail in (gate.get("details") or {}).items():
                text = detail if isinstance(detail, str) else repr(detail)
                if len(text) > 300:
                    text = text[:297] + "..."
                lines.append(f"{'':13}{key}: {text}")
    return lines


def decision_lines(verdict: Mapping[str, Any]) -> list[str]:
    lines = [f"decision: {str(verdict['decision']).upper()}"]
    lines.extend(f"  - {reason}" for reason in verdict.get("reasons", []))
    return lines


def render(verdict: Mapping[str, Any], *, explain: bool = False) -> list[str]:
    lines = tier_table(verdict)
    gates = verdict.get("gates", [])
    if gates:
        lines.append("")
        lines.append("gates:")
        lines.extend(gate_lines(gates, explain=explain))
    lines.append("")
    lines.extend(decision_lines(verdict))
    return lines
