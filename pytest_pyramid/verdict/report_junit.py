"""JUnit XML for CI test views: one ``<testsuite>`` per tier (pure).

A separate file, so pytest's own ``--junitxml`` stays as it is. Each testcase's ``classname``
and ``name`` are derived from the node id exactly as pytest's junitxml derives them (pytest
9's ``mangle_test_address``; ``--junit-prefix`` as ``prefix``), so CI test-history keys do
not change when a project switches to this file. Per-tier figures (budget, time, coverage,
status) are ``<properties>`` of the tier's testsuite, where the common JUnit XSD
(``junit-10.xsd`` beside this module) allows them; nothing is written inside a testcase but
the outcome elements it defines.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pytest_pyramid.verdict.report_data import coverage_of, duration, tier_order

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pytest_pyramid.verdict.records import ResultRecord

# What pytest's junitxml writes in place of characters XML 1.0 cannot hold (``bin_xml_escape``).
_ILLEGAL_XML = re.compile(
    "[^\u0009\u000a\u000d\u0020-\u007e\u0080-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_MESSAGE_CAP = 500


def _replace(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"#x{code:02X}" if code <= 0xFF else f"#x{code:04X}"


def bin_xml_escape(text: object) -> str:
    value = str(text)
    if value.isascii() and value.isprintable():  # the common case, without the regex
        return value
    return _ILLEGAL_XML.sub(_replace, value)


def junit_names(nodeid: str, prefix: str | None = None) -> tuple[str, str]:
    """(classname, name) of a node id, as pytest's junitxml writes them."""
    path, sep, tail = nodeid.partition("::")
    if not sep:  # no "::": all of it is a path, even with "[" in it
        names = [path]
    else:
        head, bracket, params = tail.partition("[")
        names = [path, *head.split("::")]
        if bracket:
            names[-1] += f"[{params.removesuffix(']')}]"
    names[0] = names[0].replace("/", ".")
    if names[0].endswith(".py"):
        names[0] = names[0][:-3]
    classnames = names[:-1]
    if prefix:
        classnames.insert(0, prefix)
    return bin_xml_escape(".".join(classnames)), bin_xml_escape(names[-1])


def _headline(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    found = next((line[1:].strip() for line in lines if line.startswith("E ")), None)
    return bin_xml_escape((found or (lines[0].strip() if lines else ""))[:_MESSAGE_CAP])


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _attr(text: object) -> str:
    """An attribute value: legal XML characters only, markup and quotes escaped (what
    ElementTree writes, by hand: 50,000 testcases as elements take seconds)."""
    value = bin_xml_escape(text)
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "\n" in value or "\r" in value or "\t" in value:
        value = value.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#09;")
    return value


def _body(text: str) -> str:
    value = bin_xml_escape(text)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _testcase(entry: ResultRecord, prefix: str | None) -> str:
    classname, name = junit_names(entry["nodeid"], prefix)
    seconds = (entry.get("setup_s", 0.0) + entry.get("call_s", 0.0)
               + entry.get("teardown_s", 0.0))
    head = (f'<testcase classname="{_attr(classname)}" name="{_attr(name)}" '
            f'time="{seconds:.3f}"')
    outcome = entry["outcome"]
    reruns = int(entry.get("reruns", 0))
    if outcome == "passed" and not reruns:
        return head + " />"
    text = entry.get("message", "")
    parts = [head, ">"]
    if outcome in ("failed", "error", "unfinished"):
        tag = "failure" if outcome == "failed" else "error"
        message = "started but never finished" if outcome == "unfinished" else _headline(text)
        parts.append(f'<{tag} message="{_attr(message)}">{_body(text)}</{tag}>')
        # Surefire's element for each attempt before the last one
        parts.extend('<rerunFailure type="pytest.rerun" message="failed, rerun" />'
                     for _ in range(reruns))
    elif outcome in ("skipped", "xfailed"):
        kind = "pytest.xfail" if outcome == "xfailed" else "pytest.skip"
        parts.append(f'<skipped type="{kind}" message="{_attr(_headline(text))}">'
                     f"{_body(text)}</skipped>")
    elif reruns:
        parts.extend('<flakyFailure type="pytest.rerun" message="failed, then passed on a '
                     'rerun" />' for _ in range(reruns))
    parts.append("</testcase>")
    return "".join(parts)


def _property(name: str, value: object) -> str:
    shown = "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
    return f'<property name="{_attr(name)}" value="{_attr(shown)}" />'


def render_junit(
    verdict: Mapping[str, Any],
    records: Sequence[ResultRecord],
    *,
    prefix: str | None = None,
) -> bytes:
    """The JUnit XML document (UTF-8 bytes with an XML declaration)."""
    by_tier: dict[str, list[ResultRecord]] = {}
    for entry in records:
        by_tier.setdefault(entry["tier"], []).append(entry)
    tiers: Mapping[str, Mapping[str, Any]] = verdict.get("tiers") or {}
    suites: list[str] = []
    tests = failures_total = errors_total = 0
    took_total = 0.0
    for name in tier_order(verdict, records):
        entries = by_tier.get(name, [])
        tier = tiers.get(name, {})
        failures = sum(1 for e in entries if e["outcome"] == "failed")
        errors = sum(1 for e in entries if e["outcome"] in ("error", "unfinished"))
        skipped = sum(1 for e in entries if e["outcome"] in ("skipped", "xfailed"))
        took = sum(duration(e) for e in entries)
        percent, threshold = coverage_of(tier)
        status = tier.get("status", "") if tier.get("selected", True) else "not_selected"
        properties = "".join(_property(key, value) for key, value in (
            ("pyramid.tier", name),
            ("pyramid.status", status),
            ("pyramid.required", str(bool(tier.get("required"))).lower()),
            ("pyramid.budget_s", tier.get("budget_s")),
            ("pyramid.time_s", tier.get("test_time_s")),
            ("pyramid.wall_time_s", tier.get("wall_time_s")),
            ("pyramid.coverage", percent),
            ("pyramid.coverage_threshold", threshold),
            ("pyramid.decision", verdict.get("decision")),
            ("pyramid.commit", verdict.get("commit")),
        ))
        suites.append(
            f'<testsuite name="{_attr(name)}" tests="{len(entries)}" failures="{failures}" '
            f'errors="{errors}" skipped="{skipped}" time="{_seconds(took)}" '
            f'timestamp="{_attr(verdict.get("created_at", ""))}">'
            f"<properties>{properties}</properties>"
            + "\n".join(_testcase(entry, prefix) for entry in entries)
            + "</testsuite>"
        )
        tests += len(entries)
        failures_total += failures
        errors_total += errors
        took_total += took
    head = (f'<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="pytest-pyramid" '
            f'tests="{tests}" failures="{failures_total}" errors="{errors_total}" '
            f'time="{_seconds(took_total)}">')
    return (head + "\n".join(suites) + "</testsuites>\n").encode("utf-8")
