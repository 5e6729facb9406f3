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
from xml.etree import ElementTree as ET

from pytest_pyramid.verdict.report_data import coverage_of, duration, tier_order

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pytest_pyramid.verdict.records import ResultRecord

# What pytest's junitxml writes in place of characters XML 1.0 cannot hold (``bin_xml_escape``).
_ILLEGAL_XML = re.compile(
    "[^\u0009\u000a\u000d\u0020-\u007e\u0080-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_MESSAGE_CAP = 500


def bin_xml_escape(text: object) -> str:
    def replace(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"#x{code:02X}" if code <= 0xFF else f"#x{code:04X}"

    return _ILLEGAL_XML.sub(replace, str(text))


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
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
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


def _testcase(entry: ResultRecord, prefix: str | None) -> ET.Element:
    classname, name = junit_names(entry["nodeid"], prefix)
    case = ET.Element("testcase", classname=classname, name=name,
                      time=_seconds(duration(entry)))
    outcome = entry["outcome"]
    text = entry.get("message", "")
    reruns = int(entry.get("reruns", 0))
    if outcome in ("failed", "error", "unfinished"):
        tag = "failure" if outcome == "failed" else "error"
        message = "started but never finished" if outcome == "unfinished" else _headline(text)
        node = ET.SubElement(case, tag, message=message)
        node.text = bin_xml_escape(text)
        for _ in range(reruns):  # Surefire's elements for attempts before the last one
            ET.SubElement(case, "rerunFailure", type="pytest.rerun", message="failed, rerun")
    elif outcome in ("skipped", "xfailed"):
        kind = "pytest.xfail" if outcome == "xfailed" else "pytest.skip"
        node = ET.SubElement(case, "skipped", type=kind, message=_headline(text))
        node.text = bin_xml_escape(text)
    elif reruns:
        for _ in range(reruns):
            ET.SubElement(case, "flakyFailure", type="pytest.rerun",
                          message="failed, then passed on a rerun")
    return case


def _property(parent: ET.Element, name: str, value: object) -> None:
    shown = "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
    ET.SubElement(parent, "property", name=name, value=bin_xml_escape(shown))


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
    root = ET.Element("testsuites", name="pytest-pyramid")
    totals = {"tests": 0, "failures": 0, "errors": 0, "time": 0.0}
    for name in tier_order(verdict, records):
        entries = by_tier.get(name, [])
        tier = tiers.get(name, {})
        failures = sum(1 for e in entries if e["outcome"] == "failed")
        errors = sum(1 for e in entries if e["outcome"] in ("error", "unfinished"))
        skipped = sum(1 for e in entries if e["outcome"] in ("skipped", "xfailed"))
        took = sum(duration(e) for e in entries)
        suite = ET.SubElement(
            root, "testsuite", name=name, tests=str(len(entries)), failures=str(failures),
            errors=str(errors), skipped=str(skipped), time=_seconds(took),
            timestamp=str(verdict.get("created_at", "")),
        )
        properties = ET.SubElement(suite, "properties")
        percent, threshold = coverage_of(tier)
        for key, value in (
            ("pyramid.tier", name),
            ("pyramid.status", tier.get("status", "") if tier.get("selected", True)
             else "not_selected"),
            ("pyramid.required", str(bool(tier.get("required"))).lower()),
            ("pyramid.budget_s", tier.get("budget_s")),
            ("pyramid.time_s", tier.get("test_time_s")),
            ("pyramid.wall_time_s", tier.get("wall_time_s")),
            ("pyramid.coverage", percent),
            ("pyramid.coverage_threshold", threshold),
            ("pyramid.decision", verdict.get("decision")),
            ("pyramid.commit", verdict.get("commit")),
        ):
            _property(properties, key, value)
        suite.extend(_testcase(entry, prefix) for entry in entries)
        totals["tests"] += len(entries)
        totals["failures"] += failures
        totals["errors"] += errors
        totals["time"] += took
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failures"]))
    root.set("errors", str(totals["errors"]))
    root.set("time", _seconds(float(totals["time"])))
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"
