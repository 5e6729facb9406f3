"""Plain-text rendering of a verdict for the terminal and `pyramid check` (pure)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_pyramid.durations import format_duration
from pytest_pyramid.verdict.report_data import budget_basis, budget_use, gate_value, shown_tiers

#: the summary is written to read in 100 columns; wider terminals get longer lines
WIDTH = 100
#: spelled out: "N/E" read as nothing to a newcomer
_STATUS_MARK = {"pass": "PASS", "fail": "FAIL", "not_evaluated": "NOT EVALUATED"}
#: the column of the figure the budget gate judges (``budget_basis``)
_TIME_HEADER = {"wall": "wall / budget", "sum": "summed / budget"}


def _tests(tier: Mapping[str, Any]) -> int:
    """Tests of the tier as pytest's own summary counts them: a module skipped at import
    counts as one skipped test there, so it does here."""
    return int(tier.get("collected", 0)) + int(tier.get("skipped_modules", 0))


def _timing(tier: Mapping[str, Any]) -> str:
    """The time the budget gate judges (wall time by default) against the budget."""
    used, budget = budget_use(tier)
    text = format_duration(used)
    if budget:
        text += f" / {format_duration(budget)} ({used / budget:.0%})"
    return text


def tier_table(verdict: Mapping[str, Any]) -> list[str]:
    tiers = shown_tiers(verdict)
    show_cov = any(isinstance(t.get("coverage"), Mapping) for t in tiers.values())
    header = (
        f"{'tier':<12}{'tests':>6}{'pass':>6}{'fail':>6}{'skip':>6}{'xfail':>6}{'xpass':>6}"
        f"  {_TIME_HEADER[budget_basis(verdict)]:<22}{'test time':>10}"
    )
    if show_cov:
        header += f"{'cov':>7}"
    lines = [header + "  status"]
    for name, tier in tiers.items():
        row = (
            f"{name:<12}{_tests(tier):>6}{tier.get('passed', 0):>6}"
            f"{tier.get('failed', 0) + tier.get('errors', 0):>6}{tier.get('skipped', 0):>6}"
            f"{tier.get('xfailed', 0):>6}{tier.get('xpassed', 0):>6}"
            f"  {_timing(tier):<22}"
            f"{format_duration(float(tier.get('test_time_s', 0.0))):>10}"
        )
        if show_cov:
            cov = tier.get("coverage") or {}
            percent = cov.get("percent") if isinstance(cov, Mapping) else None
            row += f"{'-' if percent is None else f'{percent:.1f}%':>7}"
        lines.append(f"{row}  {_status(tier)}")
    return lines


def _status(tier: Mapping[str, Any]) -> str:
    return str(tier.get("status", "")) if tier.get("selected") else "not selected"


def tier_lines(verdict: Mapping[str, Any]) -> list[str]:
    """One line per tier, for ``-q``: ``unit: 12 passed, 1 skipped in 1.2s / 30.0s``."""
    lines = []
    for name, tier in shown_tiers(verdict).items():
        if not tier.get("selected"):
            lines.append(f"{name}: not selected")
            continue
        counts = [
            (tier.get("passed", 0), "passed"),
            (tier.get("failed", 0) + tier.get("errors", 0), "failed"),
            (tier.get("skipped", 0), "skipped"),
            (tier.get("xfailed", 0), "xfailed"),
            (tier.get("xpassed", 0), "xpassed"),
        ]
        shown = ", ".join(f"{n} {what}" for n, what in counts if n) or "no tests ran"
        lines.append(f"{name}: {shown} in {_timing(tier)}")
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
    gates: Sequence[Mapping[str, Any]], *, explain: bool, width: int = WIDTH,
    messages: bool = True,
) -> list[str]:
    lines = []
    quiet = [] if explain else [g["id"] for g in gates if _no_effect(g)]
    # the status column is as wide as the widest status shown (PASS/FAIL alone keep 5)
    marks = [_STATUS_MARK.get(g["status"], g["status"]) for g in gates if g["id"] not in quiet]
    mark_width = max((len(m) for m in marks), default=4) + 1
    indent = " " * (mark_width + 8)  # messages stand under the gate id
    for gate in gates:
        if gate["id"] in quiet:
            continue
        mark = _STATUS_MARK.get(gate["status"], gate["status"])
        head = f"{mark:<{mark_width}}{gate['level']:<8}{gate['id']:<28} "
        lines.extend(
            textwrap.wrap(
                f"{head}{gate_value(gate, 'actual')} (limit {gate_value(gate, 'threshold')})",
                width=width,
                subsequent_indent=" " * min(len(head), 45),
                break_on_hyphens=False,
            )
        )
        if messages and (explain or gate["status"] != "pass"):
            if gate.get("message"):
                lines.extend(_wrapped(gate["message"], indent, width))
            if gate["status"] == "not_evaluated":
                lines.append(f"{indent}missing data policy: {gate.get('on_missing', 'fail')}")
        if explain:
            for key, detail in (gate.get("details") or {}).items():
                text = detail if isinstance(detail, str) else repr(detail)
                if len(text) > 300:
                    text = text[:297] + "..."
                lines.extend(_wrapped(f"{key}: {text}", indent, width))
    if quiet:
        lines.extend(
            _wrapped(
                f"NOT EVALUATED (no effect: skipped in this run) {', '.join(quiet)}; "
                "--pyramid-explain says why",
                "",
                width,
            )
        )
    return lines


def not_judged_line(verdict: Mapping[str, Any]) -> str | None:
    """The one line saying which gates a partial run could not judge (None: all judged)."""
    from pytest_pyramid.verdict.decision import judge

    ids = judge(verdict).not_judged
    if not ids:
        return None
    return (
        f"not judged (partial run): {', '.join(ids)} - they need the whole suite "
        "(and --cov for coverage); the exit status is pytest's own"
    )


def observe_mode(verdict: Mapping[str, Any]) -> bool:
    run = verdict.get("run", {})
    return isinstance(run, Mapping) and run.get("mode") == "observe"


def decision_lines(
    verdict: Mapping[str, Any], *, width: int = WIDTH, reasons: bool = True
) -> list[str]:
    head = f"decision: {str(verdict['decision']).upper()}"
    if observe_mode(verdict) and verdict["decision"] != "ready":
        head += " (observe mode: reported, not enforced; the exit status is pytest's own)"
    lines = [head]
    for reason in verdict.get("reasons", []) if reasons else []:
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
    ``┆`` at the edges of each tier's ``[tool.pyramid.shape]`` target where they fall
    outside its bar, and the target's test count after the status. The tiers are those of
    the tier table (empty built-in tiers left out)."""
    from pytest_pyramid.verdict.report_data import shape_targets, tier_tests

    tiers = shown_tiers(verdict)
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
        wanted = ""
        if target is not None and total:
            span = round(target * total / widest * width)
            left = (width - span) // 2
            for edge in (left, min(width + 1, left + span + 1)):
                if cells[edge] == " ":  # never drawn inside a bar: the figure says it
                    cells[edge] = _MARK
            wanted = f"  (target {target * total:.0f})"
        status = tier.get("status", "") if tier.get("selected") else "not selected"
        lines.append(f"{name:>{name_width}} {''.join(cells)} {count:>6}  {status}{wanted}")
    return lines


def render(
    verdict: Mapping[str, Any],
    *,
    explain: bool = False,
    verbosity: int = 0,
    width: int = WIDTH,
) -> list[str]:
    """The terminal summary. ``-q`` (verbosity < 0): one line per tier, the gates that did
    not pass, the decision. Default: the tier table, the gates that did not pass (and how
    many did), the decision and its reasons. ``-v`` or ``--pyramid-explain``: every gate
    (explain adds each gate's message and details)."""
    gates = list(verdict.get("gates", []))
    full = explain or verbosity > 0
    shown = gates if full else [g for g in gates if g["status"] != "pass"]
    passed = len(gates) - len(shown)
    if verbosity < 0:
        lines = tier_lines(verdict)
        failing = [g for g in shown if not _no_effect(g)]
        lines.extend(gate_lines(failing, explain=False, width=width, messages=False))
        lines.extend(decision_lines(verdict, width=width, reasons=False))
    else:
        lines = pyramid_lines(verdict)
        if lines:
            lines.append("")
        lines.extend(tier_table(verdict))
        if gates:
            lines.append("")
            lines.append("gates:")
            lines.extend(gate_lines(shown, explain=explain, width=width))
            if passed:
                lines.append(f"{passed} gate(s) passed (-v or --pyramid-explain lists them)")
        lines.append("")
        lines.extend(decision_lines(verdict, width=width))
    skipped = not_judged_line(verdict)
    if skipped is not None:
        lines.append(skipped)
    return lines
