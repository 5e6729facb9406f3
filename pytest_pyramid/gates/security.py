"""Security findings of the measured source (bandit), by severity, with a SARIF 2.1.0 file.

Gate ``static.security``, level ``block``. Limits (seed: "security_hotspots: 0, blocker" and
"vulnerability_scan: critical 0, high 0, medium 5"): ``max_high = 0``, ``max_medium = 5``,
``max_low`` unlimited unless set; bandit has no "critical" severity, so its HIGH is the top.
``min_confidence`` (low|medium|high, default low) drops less certain findings from the counts.

Suppressions need a reason: bandit honours ``# nosec`` silently, so every ``# nosec`` comment
is read here and one with nothing but rule ids (``# nosec``, ``# nosec B602``) is itself a
finding (rule ``PYRAMID-NOSEC``), limited by ``max_unexplained_nosec = 0``. Write the reason
after the ids, e.g. ``# nosec B602 # argv is a constant list``.

bandit runs as ``python -m bandit -f json`` (its documented interface; the ``-f sarif`` format
needs an extra that is not installed everywhere), and the SARIF file is written from its
findings by :func:`to_sarif`, one run for bandit and one for the unexplained suppressions.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tokenize
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_pyramid.gates.specs.security import (
    DEFAULT_LIMITS,
    GATE_ID,
    SEVERITIES,
    limits_of,
    threshold_text,
)
from pytest_pyramid.gates.static import relpath
from pytest_pyramid.gates.static_run import source_gate
from pytest_pyramid.results import GateResult, Level

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from pytest_pyramid.gates.spec import Context, GateConfig
    from pytest_pyramid.gates.static import StaticInputs

NOSEC_RULE = "PYRAMID-NOSEC"
FINDINGS_LISTED = 100
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_NOSEC = re.compile(r"#\s*nosec\b:?(?P<rest>.*)$", re.IGNORECASE)
_SCOPE = re.compile(
    r"^[\s,:;]*(?:(?:B\d{3}|[a-z0-9]+(?:_[a-z0-9]+)+)(?=[\s,;]|$)[\s,;]*)*", re.IGNORECASE
)
_SEPARATORS = " \t,:;#-\u2013\u2014"


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    column: int
    rule: str
    name: str
    severity: str
    confidence: str
    text: str
    more_info: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file, "line": self.line, "rule": self.rule, "name": self.name,
            "severity": self.severity, "confidence": self.confidence, "text": self.text,
        }


class BanditUnavailable(Exception):
    """bandit could not be run; the message says why."""


def bandit_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bandit")
    except PackageNotFoundError:
        return None


def run_bandit(
    files: Sequence[Path], rootdir: Path, *, timeout_s: float = 600
) -> dict[str, object]:
    """bandit's JSON report for ``files``; raises BanditUnavailable when it cannot run."""
    if bandit_version() is None:
        raise BanditUnavailable(
            "bandit is not installed (pip install 'pytest-pyramid-verdict[security]')"
        )
    cmd = [sys.executable, "-m", "bandit", "-f", "json", "-q", *[str(f) for f in files]]
    try:
        proc = subprocess.run(
            cmd, cwd=rootdir, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        raise BanditUnavailable(f"bandit did not finish within {timeout_s:g} s") from None
    # bandit exits 1 when it found issues; anything else is a failure to scan.
    if proc.returncode not in (0, 1):
        raise BanditUnavailable(
            f"bandit exited {proc.returncode}: {proc.stderr.strip()[-500:] or proc.stdout[-500:]}"
        )
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        raise BanditUnavailable(
            f"bandit printed no JSON report: {proc.stderr.strip()[-500:]}"
        ) from None
    if not isinstance(report, dict):
        raise BanditUnavailable("bandit's report is not a JSON object")
    return report


def parse_bandit(report: Mapping[str, object], rootdir: Path) -> tuple[list[Finding], list[str]]:
    """Findings and scan errors from bandit's JSON report."""
    findings: list[Finding] = []
    raw_results = report.get("results", [])
    for item in raw_results if isinstance(raw_results, list) else []:
        if not isinstance(item, dict):
            continue
        findings.append(
            Finding(
                file=relpath(rootdir / str(item.get("filename", "?")), rootdir),
                line=int(item.get("line_number", 0) or 0),
                column=int(item.get("col_offset", 0) or 0),
                rule=str(item.get("test_id", "?")),
                name=str(item.get("test_name", "")),
                severity=str(item.get("issue_severity", "UNDEFINED")).lower(),
                confidence=str(item.get("issue_confidence", "UNDEFINED")).lower(),
                text=str(item.get("issue_text", "")),
                more_info=str(item.get("more_info", "")),
            )
        )
    errors: list[str] = []
    raw_errors = report.get("errors", [])
    for err in raw_errors if isinstance(raw_errors, list) else []:
        if isinstance(err, dict):
            name = relpath(rootdir / str(err.get("filename", "?")), rootdir)
            errors.append(f"{name}: {err.get('reason', 'error')}")
    findings.sort(key=lambda f: (f.file, f.line, f.rule))
    return findings, errors


def nosec_reason(comment: str) -> str | None:
    """The reason given in a ``# nosec`` comment ('' when none); None when it is no nosec."""
    match = _NOSEC.search(comment)
    if not match:
        return None
    # Rule ids and test names directly after "nosec" are the suppression's scope, not its reason.
    reason = _SCOPE.sub("", match["rest"]).strip(_SEPARATORS)
    return reason if re.search(r"[A-Za-z]", reason) else ""


def unexplained_nosec(source: str, name: str) -> list[Finding]:
    """A finding for every ``# nosec`` comment in ``source`` that gives no reason."""
    found: list[Finding] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return found
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        if nosec_reason(tok.string) == "":
            found.append(
                Finding(
                    file=name, line=tok.start[0], column=tok.start[1], rule=NOSEC_RULE,
                    name="nosec_without_reason", severity="medium", confidence="high",
                    text=f"suppression without a reason: {tok.string.strip()!r}; "
                    "write why after the rule ids, e.g. '# nosec B602 # argv is constant'",
                )
            )
    return found


def security_gate(
    findings: Sequence[Finding],
    nosec: Sequence[Finding],
    *,
    limits: Mapping[str, int | None] | None = None,
    max_unexplained_nosec: int = 0,
    min_confidence: str = "low",
    level: Level = "block",
    errors: Sequence[str] = (),
    files: int = 0,
    sarif_path: str | None = None,
) -> GateResult:
    limits = dict(DEFAULT_LIMITS if limits is None else limits)
    floor = SEVERITIES.index(min_confidence)
    counted = [f for f in findings if _rank(f.confidence) >= floor]
    counts = {sev: sum(1 for f in counted if f.severity == sev) for sev in SEVERITIES}
    over = [
        f"{sev} {counts[sev]} > {limit}"
        for sev, limit in ((s, limits.get(s)) for s in reversed(SEVERITIES))
        if limit is not None and counts[sev] > limit
    ]
    if len(nosec) > max_unexplained_nosec:
        over.append(f"unexplained nosec {len(nosec)} > {max_unexplained_nosec}")
    threshold = threshold_text(limits, max_unexplained_nosec)
    actual = (
        f"high {counts['high']}, medium {counts['medium']}, low {counts['low']}, "
        f"unexplained nosec {len(nosec)}"
    )
    listed = sorted([*counted, *nosec], key=lambda f: (-_rank(f.severity), f.file, f.line))
    details: dict[str, object] = {
        "files": files,
        "counts": counts | {"unexplained_nosec": len(nosec)},
        "findings": [f.to_json() for f in listed[:FINDINGS_LISTED]],
    }
    if len(listed) > FINDINGS_LISTED:
        details["findings_not_listed"] = len(listed) - FINDINGS_LISTED
    if sarif_path:
        details["sarif"] = sarif_path
    if errors:
        details["errors"] = list(errors)
    if over:
        top = ", ".join(f"{f.rule} {f.file}:{f.line}" for f in listed[:3])
        message = f"security findings over the limits ({'; '.join(over)}): {top}"
    else:
        message = f"bandit: {actual}; within the limits"
    if errors:
        message += f"; bandit could not scan {len(errors)} file(s)"
    return GateResult(
        id=GATE_ID,
        level=level,
        status="fail" if over else "pass",
        actual=actual,
        threshold=threshold,
        message=message,
        details=details,
    )


def _rank(value: str) -> int:
    return SEVERITIES.index(value) if value in SEVERITIES else 0


_SARIF_LEVEL = {"high": "error", "medium": "warning", "low": "note"}


def to_sarif(
    findings: Sequence[Finding], nosec: Sequence[Finding], *, bandit: str | None
) -> dict[str, object]:
    """A SARIF 2.1.0 log: one run for bandit's findings, one for unexplained suppressions."""
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            _sarif_run("bandit", bandit or "unknown", "https://github.com/PyCQA/bandit", findings),
            _sarif_run("pytest-pyramid", _own_version(), "https://pypi.org/project/pytest-pyramid-verdict/",
                       nosec),
        ],
    }


def _sarif_run(
    tool: str, version: str, uri: str, findings: Sequence[Finding]
) -> dict[str, object]:
    rules: dict[str, dict[str, object]] = {}
    for f in findings:
        rule: dict[str, object] = {"id": f.rule, "name": f.name or f.rule,
                                   "shortDescription": {"text": f.name or f.rule}}
        if f.more_info:
            rule["helpUri"] = f.more_info
        rules.setdefault(f.rule, rule)
    index = {rule_id: n for n, rule_id in enumerate(rules)}
    results = [
        {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": _SARIF_LEVEL.get(f.severity, "warning"),
            "message": {"text": f.text},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": f.file, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": max(1, f.line), "startColumn": f.column + 1},
                }
            }],
            "properties": {"issue_severity": f.severity.upper(),
                           "issue_confidence": f.confidence.upper()},
        }
        for f in findings
    ]
    return {
        "tool": {"driver": {"name": tool, "version": version, "informationUri": uri,
                            "rules": list(rules.values())}},
        "results": results,
        "columnKind": "unicodeCodePoints",
    }


def _own_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from pytest_pyramid import DISTRIBUTION

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"


def run(
    files: Sequence[Path],
    rootdir: Path,
    *,
    level: Level,
    limits: Mapping[str, int | None] | None = None,
    max_unexplained_nosec: int = 0,
    min_confidence: str = "low",
    sarif_path: str | None = None,
) -> tuple[GateResult, dict[str, object] | None]:
    """Scan, judge and build the SARIF log (None when bandit could not run)."""
    try:
        report = run_bandit(files, rootdir)
    except BanditUnavailable as exc:
        return GateResult(
            id=GATE_ID, level=level, status="not_evaluated", actual=None,
            threshold=threshold_text(limits, max_unexplained_nosec), message=str(exc),
        ), None
    findings, errors = parse_bandit(report, rootdir)
    nosec: list[Finding] = []
    for path in files:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        nosec.extend(unexplained_nosec(text, relpath(path, rootdir)))
    gate = security_gate(
        findings, nosec, limits=limits, max_unexplained_nosec=max_unexplained_nosec,
        min_confidence=min_confidence, level=level, errors=errors, files=len(files),
        sarif_path=sarif_path,
    )
    return gate, to_sarif(findings, nosec, bandit=bandit_version())


# -- the gate as the engine runs it (its spec: gates/specs/security.py) ----------------------------


def evaluate(config: GateConfig, ctx: Context) -> list[GateResult]:
    sarif_path = ctx.setup.static.sarif

    def compute(inputs: StaticInputs) -> tuple[GateResult, dict[str, object] | None]:
        return run(
            inputs.files, ctx.setup.rootdir, level=config.level, limits=limits_of(config),
            max_unexplained_nosec=config.opt("max_unexplained_nosec"),
            min_confidence=config.opt("min_confidence"), sarif_path=sarif_path,
        )

    threshold = threshold_text(limits_of(config), config.opt("max_unexplained_nosec"))
    results, sarif = source_gate(
        ctx, GATE_ID, config, threshold, tool_version=bandit_version,
        compute=compute, extra_key={"sarif": sarif_path},
    )
    if sarif is not None:
        from pytest_pyramid._files import write_json_atomic

        path = ctx.setup.rootdir / sarif_path
        write_json_atomic(path, sarif)
        ctx.shared["sarif"] = relpath(path, ctx.setup.rootdir)
    return results
