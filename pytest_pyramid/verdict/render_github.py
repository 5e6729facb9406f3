"""GitHub Actions step summary: the verdict as markdown in ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.durations import format_duration

if TYPE_CHECKING:
    from collections.abc import Mapping

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
#: GitHub rejects a step summary above 1 MiB; stay well below it.
MAX_BYTES = 512 * 1024
_ICON = {"ready": "✅", "needs_approval": "🟡", "blocked": "❌", "incomplete": "⚠️"}


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def step_summary(verdict: Mapping[str, Any]) -> str:
    """Markdown for a verdict: decision and reasons, the tier table, every non-passing gate."""
    decision = str(verdict["decision"])
    lines = [f"### {_ICON.get(decision, '')} pytest-pyramid: {decision.replace('_', ' ')}", ""]
    lines += [f"- {_cell(reason)}" for reason in verdict.get("reasons", [])]
    lines += [
        "",
        "| tier | tests | passed | failed | skipped | time / budget | coverage | status |",
        "|---|---:|---:|---:|---:|---|---:|---|",
    ]
    for name, tier in verdict.get("tiers", {}).items():
        budget = tier.get("budget_s")
        timing = format_duration(float(tier.get("test_time_s", 0)))
        if budget:
            timing += f" / {format_duration(float(budget))}"
        coverage = (tier.get("coverage") or {}).get("percent")
        status = tier.get("status", "") if tier.get("selected") else "not selected"
        lines.append(
            f"| {name} | {tier.get('collected', 0)} | {tier.get('passed', 0)} "
            f"| {tier.get('failed', 0) + tier.get('errors', 0)} | {tier.get('skipped', 0)} "
            f"| {timing} | {'-' if coverage is None else f'{coverage:.1f}%'} | {status} |"
        )
    judged = [g for g in verdict.get("gates", []) if g["status"] != "pass"]
    if judged:
        lines += [
            "",
            "| gate | level | status | actual | threshold | why |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| `{_cell(g['id'])}` | {g['level']} | {g['status']} | {_cell(g.get('actual'))} "
            f"| {_cell(g.get('threshold'))} | {_cell(g.get('message', ''))} |"
            for g in judged
        ]
    text = "\n".join(lines) + "\n"
    encoded = text.encode()
    if len(encoded) > MAX_BYTES:
        text = encoded[:MAX_BYTES].decode(errors="ignore") + "\n\n(truncated)\n"
    return text


class StepSummary:
    """Registered on the controller when ``$GITHUB_STEP_SUMMARY`` names a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @pytest.hookimpl
    def pytest_pyramid_verdict_written(
        self, config: pytest.Config, verdict: dict[str, object], path: Path
    ) -> None:
        with self.path.open("a", encoding="utf-8") as handle:  # GitHub expects appends
            handle.write(step_summary(verdict))


def step_summary_path(environ: Mapping[str, str] | None = None) -> Path | None:
    value = (os.environ if environ is None else environ).get(STEP_SUMMARY_ENV, "")
    return Path(value) if value else None
