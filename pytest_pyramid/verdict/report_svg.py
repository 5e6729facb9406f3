"""Inline SVG for the HTML report: the pyramid and the trend sparklines (pure, escaped).

No script, no external reference: each drawing is markup with a ``<title>`` per element for
the figures behind it, so the report works offline, as a CI artifact and under a strict
Content-Security-Policy.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from pytest_pyramid.durations import format_duration
from pytest_pyramid.gates.wording import count as plural
from pytest_pyramid.verdict.report_data import (
    budget_use,
    coverage_of,
    shown_tiers,
    tier_tests,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

STATUS_COLOURS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "skipped": "#f9a825",
    "not_run": "#9e9e9e",
    "not_selected": "#bdbdbd",
    "empty": "#e0e0e0",
}
DECISION_COLOURS = {
    "ready": "#2e7d32",
    "needs_approval": "#ef6c00",
    "blocked": "#c62828",
    "incomplete": "#7b1fa2",
}
_BAND_H = 46
_GAP = 6
_LEFT = 150  # tier names
_AREA = 440  # the pyramid's widest band
_RIGHT = 300  # time against budget, coverage against threshold
_MIN_BAND = 14


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _short(name: str, room: int = 16) -> str:
    """A tier name cut to the room left of the bands (the band's title has it whole)."""
    return name if len(name) <= room else name[: room - 1] + "…"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def tier_status(entry: Mapping[str, Any]) -> str:
    if not entry.get("selected", True):
        return "not_selected"
    return str(entry.get("status") or "empty")


#: the shape drawn for each status, so no status is told by its colour alone
_SHAPES = {
    "pass": "check", "passed": "check", "ready": "check",
    "fail": "cross", "failed": "cross", "blocked": "cross",
    "needs_approval": "triangle", "skipped": "triangle",
    "not_evaluated": "diamond", "incomplete": "diamond",
}


def status_marker(status: str, cx: float, cy: float, size: float = 12, colour: str = "") -> str:
    """A shape for a status, centred on (cx, cy): a check in a circle (passed, ready), a
    cross in a square (failed, blocked), a triangle (needs approval, skipped), a diamond
    (not evaluated, incomplete), a hollow circle (empty, not run, not selected)."""
    shape = _SHAPES.get(status, "hollow")
    fill = colour or STATUS_COLOURS.get(status) or DECISION_COLOURS.get(status) or "#9e9e9e"
    r = size / 2
    head = f'<g class="marker marker-{shape}" data-status="{_e(status)}">'
    title = f"<title>{_e(status.replace('_', ' '))}</title>"
    if shape == "check":
        body = (f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" fill="{fill}"/>'
                f'<polyline points="{cx - r * .5:.1f},{cy:.1f} {cx - r * .1:.1f},'
                f'{cy + r * .4:.1f} {cx + r * .55:.1f},{cy - r * .4:.1f}" fill="none" '
                'stroke="#fff" stroke-width="1.8"/>')
    elif shape == "cross":
        d = r * .5
        body = (f'<rect x="{cx - r:.1f}" y="{cy - r:.1f}" width="{size}" height="{size}" '
                f'fill="{fill}"/><path d="M{cx - d:.1f},{cy - d:.1f}L{cx + d:.1f},{cy + d:.1f}'
                f'M{cx + d:.1f},{cy - d:.1f}L{cx - d:.1f},{cy + d:.1f}" stroke="#fff" '
                'stroke-width="1.8"/>')
    elif shape == "triangle":
        body = (f'<polygon points="{cx:.1f},{cy - r:.1f} {cx + r:.1f},{cy + r:.1f} '
                f'{cx - r:.1f},{cy + r:.1f}" fill="{fill}"/>')
    elif shape == "diamond":
        body = (f'<polygon points="{cx:.1f},{cy - r:.1f} {cx + r:.1f},{cy:.1f} {cx:.1f},'
                f'{cy + r:.1f} {cx - r:.1f},{cy:.1f}" fill="{fill}"/>')
    else:
        body = (f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r - 1:.1f}" fill="none" '
                f'stroke="{fill}" stroke-width="2"/>')
    return head + title + body + "</g>"


def marker_icon(status: str, size: int = 12) -> str:
    """``status_marker`` as an inline SVG of its own, for legends and table cells."""
    return (f'<svg class="icon" xmlns="http://www.w3.org/2000/svg" width="{size}" '
            f'height="{size}" viewBox="0 0 {size} {size}" aria-hidden="true">'
            f"{status_marker(status, size / 2, size / 2, size)}</svg>")


def pyramid(verdict: Mapping[str, Any], targets: Mapping[str, float]) -> str:
    """One band per tier that has tests (``shown_tiers``), the first tier (unit) at the
    bottom; width by test count, colour and a shape by status, the shape target as a dashed
    bracket under the band, time and coverage beside it."""
    tiers = shown_tiers(verdict)
    names = list(tiers)
    total = sum(tier_tests(t) for t in tiers.values())
    widest = max([tier_tests(t) for t in tiers.values()]
                 + [targets.get(n, 0.0) * total for n in names] + [1])
    height = max(1, len(names)) * (_BAND_H + _GAP) + _GAP
    width = _LEFT + _AREA + _RIGHT
    centre = _LEFT + _AREA / 2
    parts = [
        # width 100% up to its natural size: the page never scrolls sideways (800 px and up)
        f'<svg class="pyramid" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'style="max-width:100%;height:auto" '
        f'aria-label="test pyramid: {len(names)} tiers">'
    ]
    for index, name in enumerate(reversed(names)):
        entry = tiers[name]
        y = _GAP + index * (_BAND_H + _GAP)
        count = tier_tests(entry)
        status = tier_status(entry)
        band = max(_MIN_BAND, _AREA * count / widest) if count else _MIN_BAND
        colour = STATUS_COLOURS.get(status, "#9e9e9e")
        failed = int(entry.get("failed", 0)) + int(entry.get("errors", 0))
        tip = (f"{name}: {plural(count, 'test')}, {entry.get('passed', 0)} passed, "
               f"{failed} failed, {entry.get('skipped', 0)} skipped; {status}")
        parts.append(f'<g class="tier tier-{_e(status)}" data-tier="{_e(name)}" '
                     f'data-tests="{count}"><title>{_e(tip)}</title>')
        parts.append(
            f'<rect class="band" x="{centre - band / 2:.1f}" y="{y}" width="{band:.1f}" '
            f'height="{_BAND_H}" rx="3" fill="{colour}"'
            + (' fill-opacity="0.35" stroke="#757575" stroke-dasharray="3 2"' if not count else "")
            + "/>"
        )
        target = targets.get(name)
        if target is not None and total:
            # a dashed bracket in the gap under the band, never drawn inside the band
            outline = max(2.0, _AREA * target * total / widest)
            left, right, base = centre - outline / 2, centre + outline / 2, y + _BAND_H + 3
            parts.append(
                f'<path class="target" d="M{left:.1f},{base - 3}V{base}H{right:.1f}'
                f'V{base - 3}" fill="none" stroke="#212121" stroke-width="1.5" '
                f'stroke-dasharray="6 3"><title>{_e(name)} target: '
                f'{target:.0%} of {plural(total, "test")} = {target * total:.0f}</title></path>'
            )
        parts.append(
            status_marker(status, 15, y + 15)
            + f'<text x="28" y="{y + 19}" class="tier-name">{_e(_short(name))}</text>'
            f'<text x="28" y="{y + 37}" class="tier-sub">{plural(count, "test")}'
            + (f", {failed} failed" if failed else "")
            + "</text>"
        )
        parts.append(_budget_bar(entry, _LEFT + _AREA + 16, y))
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _budget_bar(entry: Mapping[str, Any], x: float, y: float) -> str:
    used, budget = budget_use(entry)  # the figure the budget gate judged
    bar_w = 150.0
    parts = []
    if budget is not None:
        share = used / budget
        fill = "#c62828" if share > 1 else "#ef6c00" if share >= 0.9 else "#1565c0"
        parts.append(
            f'<rect x="{x}" y="{y + 6}" width="{bar_w}" height="9" fill="#eceff1"/>'
            f'<rect class="time" x="{x}" y="{y + 6}" width="{bar_w * min(share, 1.0):.1f}" '
            f'height="9" fill="{fill}"><title>time {format_duration(used)} of budget '
            f"{format_duration(float(budget))} ({share:.0%})</title></rect>"
            f'<text x="{x + bar_w + 6}" y="{y + 15}" class="small">'
            f"{_e(format_duration(used))} / {_e(format_duration(float(budget)))}</text>"
        )
    else:
        parts.append(f'<text x="{x}" y="{y + 15}" class="small">'
                     f"{_e(format_duration(used))} (no budget)</text>")
    percent, threshold = coverage_of(entry)
    if percent is not None:
        below = threshold is not None and percent < threshold
        limit = f" / {_num(threshold)}%" if threshold is not None else ""
        parts.append(
            f'<text x="{x}" y="{y + 36}" class="small cov{" bad" if below else ""}">'
            f"coverage {_num(percent)}%{limit}</text>"
        )
    return "".join(parts)


#: the smallest share of its values' size a sparkline's scale spans: a 94.5 -> 94.8 change
#: moves a line by a sliver, not from the bottom to the top
MIN_RELATIVE_SPAN = 0.1
_LABEL_W = 46  # the scale's labels, right of the line


def _tick(value: float) -> str:
    """A scale label: three significant digits (0.095, 94.5, 43.1), whole numbers from 100."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def spark_scale(known: Sequence[float], unit: str = "") -> tuple[float, float]:
    """The value range a sparkline draws: its values' range, widened to at least
    ``MIN_RELATIVE_SPAN`` of the largest magnitude around their middle, kept at or above 0
    for values that cannot be negative, within 0-100 for percentages."""
    low, high = min(known), max(known)
    least = MIN_RELATIVE_SPAN * max(abs(low), abs(high)) or 1.0
    if high - low < least:
        middle = (low + high) / 2
        low, high = middle - least / 2, middle + least / 2
    if min(known) >= 0 and low < 0:
        low, high = 0.0, high - low
    if unit.strip() == "%" and high > 100 >= max(known):
        low, high = max(0.0, low - (high - 100)), 100.0
    return low, high


def sparkline(
    values: Sequence[float | None],
    *,
    labels: Sequence[str],
    reordered: Sequence[bool] = (),
    missing_before: Sequence[int] = (),
    width: int = 150,
    height: int = 40,
    unit: str = "",
) -> str:
    """A small line chart over runs, its scale labelled at the right (top and bottom of the
    range drawn, see ``spark_scale``). A missing value breaks the line (never
    interpolated); a gap in the CI's run numbers is a dashed vertical mark, a reordered run
    a red ring."""
    count = len(values)
    known = [v for v in values if v is not None]
    if not known:
        return '<span class="muted">no data</span>'
    low, high = spark_scale(known, unit)
    span = high - low
    pad = 5
    plot = width - _LABEL_W
    step = (plot - 2 * pad) / max(1, count - 1)

    def point(index: int, value: float) -> tuple[float, float]:
        return pad + index * step, height - pad - (value - low) / span * (height - 2 * pad)

    scale = f"scale {_tick(low)}{unit} to {_tick(high)}{unit}"
    parts = [f'<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{_e(scale)}">',
             f'<line x1="{plot - 2}" y1="{pad}" x2="{plot - 2}" y2="{height - pad}" '
             'stroke="#bdbdbd"/>',
             f'<text class="scale-high small" x="{plot + 1}" y="{pad + 4}">'
             f"{_e(_tick(high))}{_e(unit)}</text>",
             f'<text class="scale-low small" x="{plot + 1}" y="{height - pad + 3}">'
             f"{_e(_tick(low))}{_e(unit)}</text>"]
    run: list[str] = []
    segments: list[list[str]] = []
    for index, value in enumerate(values):
        if value is None:
            if run:
                segments.append(run)
            run = []
            continue
        x, y = point(index, value)
        run.append(f"{x:.1f},{y:.1f}")
    if run:
        segments.append(run)
    for segment in segments:
        if len(segment) > 1:
            parts.append(f'<polyline points="{" ".join(segment)}" fill="none" '
                         'stroke="#1565c0" stroke-width="1.5"/>')
    for index, value in enumerate(values):
        x = pad + index * step
        if index < len(missing_before) and missing_before[index]:
            gap_x = x - step / 2
            parts.append(
                f'<line class="gap" x1="{gap_x:.1f}" y1="2" x2="{gap_x:.1f}" y2="{height - 2}" '
                f'stroke="#9e9e9e" stroke-dasharray="2 2"><title>{missing_before[index]} '
                "run(s) missing from the history here</title></line>"
            )
        if value is None:
            continue
        _, y = point(index, value)
        label = labels[index] if index < len(labels) else ""
        odd = index < len(reordered) and reordered[index]
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{3.5 if odd else 2}" '
            + ('fill="none" stroke="#c62828" stroke-width="1.5" class="reordered"' if odd
               else 'fill="#1565c0"')
            + f"><title>{_e(label)}: {_e(_num(value))}{_e(unit)}"
            + (" (older than the run before it: appended out of order)" if odd else "")
            + "</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def decision_strip(decisions: Sequence[str], labels: Sequence[str]) -> str:
    """One mark per run, coloured by its decision and shaped by it (``status_marker``)."""
    size, gap = 12, 3
    width = max(1, len(decisions)) * (size + gap)
    parts = [f'<svg class="strip" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{size}" viewBox="0 0 {width} {size}">']
    for index, decision in enumerate(decisions):
        label = labels[index] if index < len(labels) else ""
        marker = status_marker(decision, index * (size + gap) + size / 2, size / 2, size,
                               DECISION_COLOURS.get(decision, "#9e9e9e"))
        parts.append(marker.replace("<title>", f"<title>{_e(label)}: ", 1))
    parts.append("</svg>")
    return "".join(parts)
