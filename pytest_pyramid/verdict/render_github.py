"""GitHub Actions step summary: the verdict as markdown in ``$GITHUB_STEP_SUMMARY``.

GitHub drops a step summary over its cap whole, it does not cut it; so the summary is
built to a budget (64 KiB): decision, reasons and the tier table first, then the gates
that did not pass, then the first failures, each item added only while it fits, and a line
saying how many more the report holds.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.durations import format_duration

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pytest_pyramid.verdict.records import ResultRecord

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
#: the summary's size budget; GitHub's own cap is 1 MiB per step
MAX_BYTES = 64 * 1024
FAILURES_SHOWN = 20
_CELL_CAP = 300
_FAILURE_TEXT_CAP = 1500
_ICON = {"ready": "✅", "needs_approval": "🟡", "blocked": "❌", "incomplete": "⚠️"}


def _cell(value: object, cap: int = _CELL_CAP) -> str:
    """A table cell: never the word ``None`` (a value not measured is ``-``)."""
    text = "-" if value is None else str(value).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= cap else text[: cap - 3] + "..."


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks in ``text``."""
    longest, run = 0, 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def _failure_block(entry: ResultRecord) -> str:
    text = entry.get("message", "") or entry["outcome"]
    if len(text) > _FAILURE_TEXT_CAP:
        text = text[:_FAILURE_TEXT_CAP] + "\n... (cut)"
    fence = _fence(text)
    name = entry["nodeid"].replace("<", "&lt;").replace(">", "&gt;")
    return (f"<details><summary><code>{name}</code> ({entry['tier']}, {entry['outcome']})"
            f"</summary>\n\n{fence}\n{text}\n{fence}\n\n</details>\n")


def step_summary(
    verdict: Mapping[str, Any],
    records: Sequence[ResultRecord] | None = None,
    *,
    limit: int = MAX_BYTES,
    report_hint: str = "the report",
) -> str:
    """Markdown for a verdict, never over ``limit`` bytes (UTF-8)."""
    from pytest_pyramid.verdict.report_data import (
        BASIS_LABEL,
        budget_basis,
        budget_use,
        failures,
        gate_value,
        shown_tiers,
        status_label,
        tier_order,
    )

    decision = str(verdict["decision"])
    head = [f"### {_ICON.get(decision, '')} pytest-pyramid: {decision.replace('_', ' ')}", ""]
    head += [f"- {_cell(reason)}" for reason in verdict.get("reasons", [])[:20]]
    head += [
        "",
        "| tier | tests | passed | failed | skipped "
        f"| {BASIS_LABEL[budget_basis(verdict)]} / budget | coverage | status |",
        "|---|---:|---:|---:|---:|---|---:|---|",
    ]
    for name, tier in shown_tiers(verdict).items():
        used, budget = budget_use(tier)
        timing = format_duration(used)
        if budget:
            timing += f" / {format_duration(budget)} ({used / budget:.0%})"
        coverage = (tier.get("coverage") or {}).get("percent")
        status = status_label(str(tier.get("status", "")) if tier.get("selected")
                              else "not_selected")
        head.append(
            f"| {_cell(name)} | {tier.get('collected', 0)} | {tier.get('passed', 0)} "
            f"| {tier.get('failed', 0) + tier.get('errors', 0)} | {tier.get('skipped', 0)} "
            f"| {timing} | {'-' if coverage is None else f'{coverage:.1f}%'} | {status} |"
        )
    text = "\n".join(head) + "\n"
    size = len(text.encode())
    # room kept for the closing "N more" line, so it always fits
    reserve = 200

    def fits(piece: str, up_to: int = limit) -> bool:
        nonlocal text, size
        cost = len(piece.encode())
        if size + cost + reserve > up_to:
            return False
        text += piece
        size += cost
        return True

    # the gates may take half of what is left, so the failures always get the other half
    gates_up_to = size + max(0, limit - size - reserve) // 2
    omitted_gates = 0
    judged = [g for g in verdict.get("gates", []) if g["status"] != "pass"]
    if judged and fits(
        "\n| gate | level | status | actual | threshold | why |\n|---|---|---|---|---|---|\n",
        gates_up_to,
    ):
        for index, gate in enumerate(judged):
            row = (f"| `{_cell(gate['id'])}` | {gate['level']} "
                   f"| {status_label(str(gate['status']))} "
                   f"| {_cell(gate_value(gate, 'actual'))} "
                   f"| {_cell(gate_value(gate, 'threshold'))} "
                   f"| {_cell(gate.get('message', ''))} |\n")
            if not fits(row, gates_up_to):
                omitted_gates = len(judged) - index
                break
    elif judged:
        omitted_gates = len(judged)

    failing = failures(records or (), tier_order(verdict, records or ()))
    shown = 0
    if failing and fits(f"\n#### Failures ({len(failing)})\n\n"):
        for entry in failing[:FAILURES_SHOWN]:
            if not fits(_failure_block(entry)):
                break
            shown += 1
    omitted = len(failing) - shown
    notes = []
    if omitted_gates:
        notes.append(f"{omitted_gates} more gate(s)")
    if omitted:
        notes.append(f"{omitted} more failure(s)")
    if notes:
        text += f"\n{' and '.join(notes)} in {report_hint}.\n"
    return text


class StepSummary:
    """Registered on the controller when ``$GITHUB_STEP_SUMMARY`` names a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @pytest.hookimpl
    def pytest_pyramid_verdict_written(
        self, config: pytest.Config, verdict: dict[str, object], path: Path
    ) -> None:
        from pytest_pyramid.run.stash import RUN_KEY
        from pytest_pyramid.verdict.records import records

        run = config.stash.get(RUN_KEY, None)
        entries = records(run) if run is not None else None
        with self.path.open("a", encoding="utf-8") as handle:  # GitHub expects appends
            handle.write(step_summary(verdict, entries))


def step_summary_path(environ: Mapping[str, str] | None = None) -> Path | None:
    value = (os.environ if environ is None else environ).get(STEP_SUMMARY_ENV, "")
    return Path(value) if value else None
