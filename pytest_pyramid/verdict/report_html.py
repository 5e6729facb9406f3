"""The HTML report: one self-contained file a release manager reads (pure).

No script, no stylesheet or image from elsewhere, no framework: inline CSS and inline SVG
under a Content-Security-Policy that allows nothing else, so the file works offline and as a
CI artifact, and a test name that carries markup stays text. Its size is bounded whatever
the suite's: passing tests are counted per module, not listed; failures are listed with
capped text up to a budget, then by name, then counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from pytest_pyramid.durations import format_duration
from pytest_pyramid.gates.flakes import describe
from pytest_pyramid.verdict import report_data as data
from pytest_pyramid.verdict.report_data import gate_value, shown_tiers, status_label
from pytest_pyramid.verdict.report_svg import (
    DECISION_COLOURS,
    STATUS_COLOURS,
    decision_strip,
    marker_icon,
    pyramid,
    sparkline,
    tier_status,
)

if TYPE_CHECKING:
    from pytest_pyramid.verdict.history import HistoryRow
    from pytest_pyramid.verdict.records import ResultRecord

#: each failure's text is cut here in the page (the results file keeps the run's own cap)
FAILURE_TEXT_CAP = 3000
#: failure text in the page all together; past it failures are listed by name only
FAILURE_TEXT_BUDGET = 900_000
#: failures listed at all (by name past the text budget); the rest are counted
FAILURES_LISTED = 2000
MODULE_ROWS = 300
SLOWEST_PER_TIER = 10
FLAKY_LISTED = 200
GATE_COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "not_evaluated": "#7b1fa2"}
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#212121;
background:#fafafa}
main{max-width:1120px;margin:0 auto;padding:0 20px 40px}
header.decision{color:#fff;padding:18px 0;margin:0 0 18px}
header.decision>div{max-width:1120px;margin:0 auto;padding:0 20px}
header.decision h1{margin:0;font-size:26px;letter-spacing:.02em}
header.decision ul{margin:6px 0 0;padding-left:20px}
header.decision .meta{opacity:.9;font-size:13px;margin-top:8px}
h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #e0e0e0;padding-bottom:4px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.num{white-space:nowrap}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{white-space:pre-wrap;word-break:break-word;background:#f5f5f5;padding:8px;margin:4px 0;
max-height:360px;overflow:auto}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;color:#fff;font-size:12px;
white-space:nowrap}
.muted{color:#757575}.small{font-size:12px;fill:#424242}
.tier-name{font-weight:600;font-size:14px}.tier-sub{font-size:12px;fill:#616161}
.cov.bad{fill:#c62828;font-weight:600}
.warn{background:#fff3e0;border-left:4px solid #ef6c00;padding:8px 12px}
details{background:#fff;border-bottom:1px solid #eee;padding:4px 8px}
summary{cursor:pointer}
.legend span{margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px}
.trend td{vertical-align:middle}
td code,li code,summary code,td.why{overflow-wrap:anywhere}
td.gid{min-width:9.5em}
td.name{overflow-wrap:anywhere;min-width:5em}
svg.icon{vertical-align:-1px;margin-right:4px}
@media (max-width:900px){main{padding:0 10px 30px}th,td{padding:3px 4px}
header.decision>div{padding:0 10px}}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _value(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _breakable(name: str) -> str:
    """A dotted name escaped, with a line-break opportunity after each dot (a narrow
    column breaks ``metric.load.p95_ms`` between its parts, not inside them)."""
    return ".<wbr>".join(_e(part) for part in name.split("."))


def _badge(text: str, colour: str) -> str:
    return f'<span class="badge" style="background:{colour}">{_e(text)}</span>'


def _cut(text: str, cap: int) -> str:
    return text if len(text) <= cap else text[: cap - 12] + "\n... (cut)"


def render_html(
    verdict: Mapping[str, Any],
    records: Sequence[ResultRecord] | None,
    *,
    history: Sequence[HistoryRow] = (),
    results_problem: str | None = None,
) -> str:
    """The report page. ``records`` None: no per-test results (``results_problem`` says why)."""
    order = data.tier_order(verdict, records or ())
    decision = str(verdict.get("decision", "incomplete"))
    commit = str(verdict.get("commit") or "no commit")
    out: list[str] = [
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>pytest-pyramid: {_e(decision.replace('_', ' '))} - {_e(commit[:12])}</title>",
        f"<style>{_CSS}</style></head><body>",
    ]
    out.append(_header(verdict, decision))
    out.append("<main>")
    if results_problem:
        out.append(f'<p class="warn" id="results-problem">Per-test results are not shown: '
                   f"{_e(results_problem)}</p>")
    out.append(_pyramid_section(verdict))
    out.append(_tier_table(verdict))
    out.append(_gates(verdict))
    out.append(_completeness(verdict))
    out.append(_risk(verdict))
    if records is not None:
        out.append(_failures(records, order))
        out.append(_flaky(verdict, records))
        out.append(_slowest(records, order))
        out.append(_modules(records, order))
    else:
        out.append(_flaky(verdict, ()))
    out.append(_trends(verdict, history))
    tool = verdict.get("tool") or {}
    out.append(
        f'<p class="muted">written by {_e(tool.get("name", "pytest-pyramid"))} '
        f'{_e(tool.get("version", ""))} from the verdict of {_e(verdict.get("created_at", ""))}'
        "</p></main></body></html>\n"
    )
    return "".join(out)


def _header(verdict: Mapping[str, Any], decision: str) -> str:
    colour = DECISION_COLOURS.get(decision, "#616161")
    reasons = "".join(f"<li>{_e(r)}</li>" for r in verdict.get("reasons", []))
    run = verdict.get("run") or {}
    meta = [
        f"commit <code>{_e(str(verdict.get('commit') or 'none')[:12])}</code>",
        f"branch {_e(verdict.get('branch') or '-')}",
        f"created {_e(verdict.get('created_at', ''))}",
        f"ran {_e(format_duration(float(run.get('duration_s', 0.0) or 0.0)))}"
        f" on {_e(run.get('workers', 0) or 1)} worker(s)",
    ]
    if verdict.get("dirty"):
        meta.append("<b>tested tree differs from its commit</b>")
    if verdict.get("run_id"):
        meta.append(f"run {_e(verdict['run_id'])}")
    return (
        f'<header class="decision" id="decision" data-decision="{_e(decision)}" '
        f'style="background:{colour}"><div><h1>{_e(status_label(decision).upper())}</h1>'
        f"<ul>{reasons}</ul><div class=\"meta\">{' · '.join(meta)}</div></div></header>"
    )


def _pyramid_section(verdict: Mapping[str, Any]) -> str:
    targets = data.shape_targets(verdict)
    legend = "".join(
        f'<span>{marker_icon(name)}{_e(name.replace("_", " "))}</span>'
        for name in STATUS_COLOURS
    )
    if targets:
        legend += ('<span><i style="border:1.5px dashed #212121;border-top:none;height:5px">'
                   '</i>shape target (under its band)</span>')
    return (
        '<section id="pyramid"><h2>Pyramid</h2>'
        f"{pyramid(verdict, targets)}"
        f'<div class="legend">{legend}</div></section>'
    )


def _tier_table(verdict: Mapping[str, Any]) -> str:
    # the budget column shows what the budget gate judged; the other figure stands beside it
    basis = data.budget_basis(verdict)
    other = "sum" if basis == "wall" else "wall"
    other_key = "test_time_s" if other == "sum" else "wall_time_s"
    rows = []
    for name, tier in shown_tiers(verdict).items():
        status = tier_status(tier)
        used, budget = data.budget_use(tier)
        timing = format_duration(used)
        if budget:
            timing += f" / {format_duration(budget)} ({used / budget:.0%})"
        percent, threshold = data.coverage_of(tier)
        cov = "-" if percent is None else f"{percent:.1f}%"
        if percent is not None and threshold is not None:
            cov += f" / {threshold:g}%"
        failed = int(tier.get("failed", 0)) + int(tier.get("errors", 0))
        rows.append(
            f'<tr data-tier="{_e(name)}"><td class="name">{_e(name)}</td>'
            f'<td class="num">{_e(tier.get("collected", 0))}</td>'
            f'<td class="num">{_e(tier.get("passed", 0))}</td><td class="num">{failed}</td>'
            f'<td class="num">{_e(tier.get("skipped", 0))}</td>'
            f'<td class="num">{_e(tier.get("xfailed", 0))}</td>'
            f'<td class="num">{_e(tier.get("never_ran", 0))}</td><td>{_e(timing)}</td>'
            f"<td>{_e(format_duration(float(tier.get(other_key, 0.0) or 0.0)))}</td>"
            f"<td>{_e(cov)}</td>"
            f"<td>{_badge(status_label(status), STATUS_COLOURS.get(status, '#9e9e9e'))}"
            f"{' <span class=muted>required</span>' if tier.get('required') else ''}</td></tr>"
        )
    return (
        '<section id="tiers"><h2>Tiers</h2><table><thead><tr><th>tier</th>'
        '<th class="num">tests</th><th class="num">passed</th><th class="num">failed</th>'
        '<th class="num">skipped</th><th class="num">xfailed</th><th class="num">never ran</th>'
        f"<th>{data.BASIS_LABEL[basis]} / budget</th><th>{data.BASIS_LABEL[other]}</th>"
        "<th>coverage / threshold</th><th>status</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _gates(verdict: Mapping[str, Any]) -> str:
    gates = verdict.get("gates") or []
    if not gates:
        return '<section id="gates"><h2>Gates</h2><p class="muted">no gate was judged</p></section>'
    rank = {"fail": 0, "not_evaluated": 1, "pass": 2}
    level_rank = {"block": 0, "approve": 1, "warn": 2}
    ordered = sorted(
        gates, key=lambda g: (rank.get(g["status"], 3), level_rank.get(g["level"], 3))
    )
    rows = []
    for gate in ordered:
        status = str(gate["status"])
        missing = (f' <span class="muted">(if missing: {_e(gate.get("on_missing", "fail"))})'
                   "</span>" if status == "not_evaluated" else "")
        rows.append(
            f'<tr class="gate gate-{_e(status)}" data-gate="{_e(gate["id"])}">'
            f'<td class="gid"><code>{_breakable(gate["id"])}</code></td>'
            f'<td>{_e(gate["level"])}</td>'
            f"<td>{_badge(status_label(status), GATE_COLOURS.get(status, '#616161'))}"
            f"{missing}</td><td>{_e(gate_value(gate, 'actual'))}</td>"
            f"<td>{_e(gate_value(gate, 'threshold'))}</td>"
            f"<td class=\"why\">{_e(gate.get('message', ''))}</td>"
            "</tr>"
        )
    failing = sum(1 for g in gates if g["status"] == "fail")
    missing_count = sum(1 for g in gates if g["status"] == "not_evaluated")
    return (
        f'<section id="gates"><h2>Gates <span class="muted">({len(gates)}: {failing} failed, '
        f"{missing_count} not evaluated)</span></h2><table><thead><tr><th>gate</th>"
        "<th>level</th><th>status</th><th>measured</th><th>threshold</th><th>why</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _completeness(verdict: Mapping[str, Any]) -> str:
    problems = verdict.get("completeness") or []
    if not problems:
        return ""
    items = "".join(
        f"<li><b>{_e(p.get('kind', ''))}</b>: {_e(p.get('message', ''))}</li>" for p in problems
    )
    return (f'<section id="completeness"><h2>Why the run cannot vouch for the whole suite</h2>'
            f"<ul>{items}</ul></section>")


def _risk(verdict: Mapping[str, Any]) -> str:
    risk = verdict.get("risk")
    if not isinstance(risk, Mapping):
        if verdict.get("decision") != "needs_approval":
            return ""
        risk = {"level": "not assessed", "factors": []}
    from pytest_pyramid.verdict.decision import approvals_needed

    factors = "".join(
        f"<tr><td><code>{_e(f.get('id', ''))}</code></td>"
        f"<td class=\"num\">{_e(_value(f.get('weight')))}</td>"
        f"<td>{_e('; '.join(str(x) for x in f.get('evidence', [])[:10]))}</td></tr>"
        for f in risk.get("factors", [])
    )
    if verdict.get("decision") == "needs_approval":
        _, _, sentence = approvals_needed(verdict)
        approvals = f"<p><b>{_e(sentence)}</b></p>"
    else:
        roles = ", ".join(str(r) for r in risk.get("approver_roles", [])) or "any role"
        approvals = (f"<p>Approvals this risk asks for when a gate needs them: "
                     f"{_e(risk.get('required_approvals', 0))} ({_e(roles)})</p>")
    return (
        f'<section id="risk"><h2>Risk and approvals: {_e(risk.get("level", ""))} '
        f'<span class="muted">(score {_e(_value(risk.get("score")))})</span></h2>'
        f"{approvals}"
        + (f'<table><thead><tr><th>factor</th><th class="num">weight</th><th>evidence</th>'
           f"</tr></thead><tbody>{factors}</tbody></table>" if factors else "")
        + "</section>"
    )


def _failures(records: Sequence[ResultRecord], order: Sequence[str]) -> str:
    found = data.failures(records, order)
    if not found:
        return '<section id="failures"><h2>Failures</h2><p class="muted">none</p></section>'
    parts = [f'<section id="failures"><h2>Failures <span class="muted">({len(found)})</span>'
             "</h2>"]
    budget = FAILURE_TEXT_BUDGET
    named: list[str] = []
    for entry in found[:FAILURES_LISTED]:
        head = (f"<code>{_e(entry['nodeid'])}</code> <span class=\"muted\">{_e(entry['tier'])}"
                f" · {_e(entry['outcome'])} · "
                f"{_e(format_duration(data.duration(entry)))}</span>")
        text = _cut(entry.get("message", ""), FAILURE_TEXT_CAP)
        if budget > 0:
            budget -= len(text)
            parts.append(f'<details class="failure" data-tier="{_e(entry["tier"])}">'
                         f"<summary>{head}</summary><pre>{_e(text)}</pre></details>")
        else:
            named.append(f"<li>{head}</li>")
    if named:
        parts.append(f'<p class="muted">{len(named)} more failure(s), text left out to keep '
                     f"this page small (the results file has it):</p><ul>{''.join(named)}</ul>")
    if len(found) > FAILURES_LISTED:
        parts.append(f'<p class="muted">... and {len(found) - FAILURES_LISTED} more failures '
                     "in the results file.</p>")
    parts.append("</section>")
    return "".join(parts)


def _flaky(verdict: Mapping[str, Any], records: Sequence[ResultRecord]) -> str:
    listed = verdict.get("flaky")
    rows: list[tuple[str, str, int, bool]] = []
    if isinstance(listed, list) and listed:
        rows = [
            (str(f.get("nodeid", "")), str(f.get("tier", "")), int(f.get("reruns", 0) or 0),
             bool(f.get("quarantined")))
            for f in listed if isinstance(f, Mapping)
        ]
    else:
        rows = [(e["nodeid"], e["tier"], int(e.get("reruns", 0)), False)
                for e in data.flaky(records)]
    entries, excused = data.quarantine(verdict)
    ledger = _ledger(verdict.get("flaky_ledger"))
    if not rows and not entries and not excused and not ledger:
        return ('<section id="flaky"><h2>Flaky and quarantined tests</h2>'
                '<p class="muted">none</p></section>')
    parts = ['<section id="flaky"><h2>Flaky and quarantined tests</h2>']
    if rows:
        body = "".join(
            f'<tr><td><code>{_e(n)}</code></td><td class="name">{_e(t)}</td>'
            f'<td class="num">{r}</td>'
            f"<td>{'yes' if q else ''}</td></tr>"
            for n, t, r, q in rows[:FLAKY_LISTED]
        )
        more = (f'<p class="muted">... and {len(rows) - FLAKY_LISTED} more</p>'
                if len(rows) > FLAKY_LISTED else "")
        parts.append('<table><thead><tr><th>passed after reruns</th><th>tier</th>'
                     f'<th class="num">reruns</th><th>quarantined</th></tr></thead>'
                     f"<tbody>{body}</tbody></table>{more}")
    if entries:
        body = "".join(
            f"<tr><td><code>{_e(q.get('test', ''))}</code></td><td>{_e(q.get('owner', ''))}</td>"
            f"<td>{_e(q.get('expires', ''))}</td><td>{_e(q['state'])}</td>"
            f"<td>{_e(q.get('reason', ''))}</td></tr>"
            for q in entries
        )
        parts.append('<h3>Quarantine</h3><table><thead><tr><th>test</th><th>owner</th>'
                     "<th>expires</th><th>state</th><th>reason</th></tr></thead>"
                     f"<tbody>{body}</tbody></table>")
    if excused:
        items = "".join(f"<li><code>{_e(n)}</code></li>" for n in excused[:FLAKY_LISTED])
        parts.append(f"<p>Failures excused by quarantine:</p><ul>{items}</ul>")
    parts.append(ledger)
    parts.append("</section>")
    return "".join(parts)


def _ledger(standing: object) -> str:
    """The flake ledger's table: status, first-attempt failure rate with its 95% interval,
    the run ids that prove it."""
    if not isinstance(standing, Mapping):
        return ""
    tests = [t for t in standing.get("tests") or () if isinstance(t, Mapping)]
    outages = standing.get("outages") or []
    head = (f'<h3 id="ledger">Flake ledger <span class="muted">(last {_e(standing.get("runs"))} '
            f"counted runs of {_e(standing.get('branch') or 'every branch')}, "
            f"{len(outages)} outage run(s) left out)</span></h3>")
    if not tests:
        return head + '<p class="muted">every test stable over the window</p>'
    body = "".join(
        f"<tr><td><code>{_e(t.get('nodeid', ''))}</code></td><td>{_e(t.get('tier', ''))}</td>"
        f"<td>{_e(t.get('status', ''))}</td><td>{_e(describe(t))}</td>"
        f"<td>{_e(', '.join(str(r) for r in (t.get('evidence') or [])[:5]))}</td></tr>"
        for t in tests[:FLAKY_LISTED]
    )
    return (head + "<table><thead><tr><th>test</th><th>tier</th><th>status</th>"
            "<th>first-attempt failure rate</th><th>evidence (run ids)</th></tr></thead>"
            f"<tbody>{body}</tbody></table>")


def _slowest(records: Sequence[ResultRecord], order: Sequence[str]) -> str:
    slow = data.slowest_per_tier(records, SLOWEST_PER_TIER)
    if not slow:
        return ""
    parts = [f'<section id="slowest"><h2>Slowest tests per tier '
             f'<span class="muted">(top {SLOWEST_PER_TIER})</span></h2><table><thead><tr>'
             '<th>tier</th><th>test</th><th class="num">time</th></tr></thead><tbody>']
    for tier in order:
        for nodeid, seconds in slow.get(tier, []):
            parts.append(f'<tr data-tier="{_e(tier)}"><td class="name">{_e(tier)}</td>'
                         f"<td><code>{_e(nodeid)}</code></td>"
                         f'<td class="num">{_e(format_duration(seconds))}</td></tr>')
    parts.append("</tbody></table></section>")
    return "".join(parts)


def _modules(records: Sequence[ResultRecord], order: Sequence[str]) -> str:
    rows, left_modules, left_tests = data.module_summary(records, order, MODULE_ROWS)
    if not rows:
        return ""
    body = []
    for row in rows:
        counts = row.counts
        other = sum(n for k, n in counts.items()
                    if k not in ("passed", "failed", "error", "unfinished", "skipped"))
        body.append(
            f'<tr data-tier="{_e(row.tier)}"><td class="name">{_e(row.tier)}</td>'
            f"<td><code>{_e(row.module)}</code></td><td class=\"num\">{row.tests}</td>"
            f'<td class="num">{counts.get("passed", 0)}</td>'
            f'<td class="num">{row.failing}</td><td class="num">{counts.get("skipped", 0)}</td>'
            f'<td class="num">{other}</td>'
            f'<td class="num">{_e(format_duration(row.time_s))}</td></tr>'
        )
    more = (f'<p class="muted">... and {left_modules} more module(s) with {left_tests} '
            "test(s), all passing or the smallest.</p>" if left_modules else "")
    return (
        '<section id="modules"><h2>Tests per module</h2><table><thead><tr><th>tier</th>'
        '<th>module</th><th class="num">tests</th><th class="num">passed</th>'
        '<th class="num">failed</th><th class="num">skipped</th><th class="num">xfail/xpass</th>'
        f'<th class="num">time</th></tr></thead><tbody>{"".join(body)}</tbody></table>{more}'
        "</section>"
    )


def _trends(verdict: Mapping[str, Any], history: Sequence[HistoryRow]) -> str:
    if not history:
        return ('<section id="trends"><h2>Trends</h2><p class="muted">No run history: run '
                "with <code>--pyramid-history PATH</code> (or <code>pyramid report --history "
                "PATH</code>) to see the last 30 runs here.</p></section>")
    labels = [
        f"#{r.run_number if r.run_number is not None else r.seq} {r.created_at} "
        f"{(r.commit or '')[:8]}"
        for r in history
    ]
    reordered = [r.reordered for r in history]
    missing = [r.missing_before for r in history]

    def spark(values: Sequence[float | None], unit: str = "") -> str:
        return sparkline(values, labels=labels, reordered=reordered, missing_before=missing,
                         unit=unit)

    def last(values: Sequence[float | None], fmt: str = "{:g}") -> str:
        return fmt.format(values[-1]) if values and values[-1] is not None else "-"

    # the tiers the report lists, and any other tier that had tests in one of the runs
    tiers = list(shown_tiers(verdict))
    for row in history:
        for name, figures in row.tiers.items():
            if name not in tiers and _number(figures.get("tests")):
                tiers.append(name)
    rows = []
    for name in tiers:
        counts = [_number(r.tiers.get(name, {}).get("tests")) for r in history]
        times = [_number(r.tiers.get(name, {}).get("time_s")) for r in history]
        cover = [_number(r.tiers.get(name, {}).get("coverage")) for r in history]
        rows.append(
            f'<tr data-tier="{_e(name)}"><td class="name">{_e(name)}</td><td>{spark(counts)}</td>'
            f'<td class="num">{last(counts)}</td><td>{spark(times, " s")}</td>'
            f'<td class="num">{last(times, "{:.2f} s")}</td><td>{spark(cover, "%")}</td>'
            f'<td class="num">{last(cover, "{:.1f}%")}</td></tr>'
        )
    metric_rows = []
    for name in data.key_metrics(verdict):
        values = [_number(r.metrics.get(name)) for r in history]
        metric_rows.append(f"<tr><td><code>{_e(name)}</code></td><td>{spark(values)}</td>"
                           f'<td class="num">{last(values)}</td></tr>')
    flags = []
    if any(reordered):
        flags.append(f"{sum(reordered)} run(s) appended out of order (red rings)")
    if any(missing):
        flags.append(f"{sum(missing)} run(s) missing between runs shown (dashed marks)")
    note = (f'<p class="warn" id="continuity">History continuity: {_e("; ".join(flags))}.</p>'
            if flags else "")
    strip = decision_strip([r.decision for r in history], labels)
    strip += '<span class="legend"> ' + "".join(
        f"<span>{marker_icon(name)}{_e(name.replace('_', ' '))}</span>"
        for name in DECISION_COLOURS
    ) + "</span>"
    return (
        f'<section id="trends"><h2>Trends <span class="muted">(last {len(history)} runs, '
        f"oldest first)</span></h2>{note}<p>Decisions: {strip}</p>"
        '<table class="trend"><thead><tr><th>tier</th><th>tests</th><th class="num">now</th>'
        '<th>test time</th><th class="num">now</th><th>coverage</th><th class="num">now</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        + (f'<h3>Metrics</h3><table class="trend"><thead><tr><th>metric</th><th>trend</th>'
           f'<th class="num">now</th></tr></thead><tbody>{"".join(metric_rows)}</tbody></table>'
           if metric_rows else "")
        + "</section>"
    )


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
