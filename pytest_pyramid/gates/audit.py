"""Known vulnerabilities in the installed dependencies (pip-audit), never an all-clear on nothing.

Gate ``static.audit``: level ``block``, threshold 0 known vulnerabilities (seed:
"dependency_scan: critical 0, high 0"; pip-audit reports no severities, so every known
vulnerability counts). ``on_missing`` defaults to ``warn``: a machine without access to the
vulnerability service must not be blocked, but the gate says plainly that nothing was audited;
set ``on_missing = "fail"`` where CI has network.

pip-audit without ``--strict`` prints "No known vulnerabilities found" and exits 0 even when
every package was *skipped* (service unreachable, package not on the index). So the JSON report
is read package by package: a skipped package is "not audited", and unless every package was
audited (editable installs excepted: they are the project itself) the gate is ``not_evaluated``
with the reason, never a pass. Vulnerabilities that were found fail the gate regardless.

Which pip-audit: ``command`` from config; else ``python -m pip_audit`` when it is importable in
this interpreter; else a ``pip-audit`` on PATH pointed at this interpreter's site-packages with
``--path``. ``requirements = ["requirements.txt"]`` audits pinned files instead of the
environment (``-r FILE --no-deps --disable-pip``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pytest_pyramid.durations import utc_now
from pytest_pyramid.gates.specs.audit import (
    DEFAULT_ON_MISSING,
    DEFAULT_THRESHOLD,
    DEFAULT_TIMEOUT_S,
    GATE_ID,
)
from pytest_pyramid.gates.static import cache_key
from pytest_pyramid.gates.static_run import idle, inputs_for
from pytest_pyramid.results import GateResult, Level, OnMissing

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_pyramid.gates.spec import Context, GateConfig

LISTED = 50
_EDITABLE = "distribution marked as editable"


@dataclass(frozen=True)
class Vulnerability:
    package: str
    version: str
    id: str
    aliases: tuple[str, ...] = ()
    fix_versions: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"package": self.package, "version": self.version, "id": self.id,
                "aliases": list(self.aliases), "fix_versions": list(self.fix_versions)}


@dataclass(frozen=True)
class AuditReport:
    audited: tuple[str, ...] = ()
    skipped: Mapping[str, str] = field(default_factory=dict)
    editable: tuple[str, ...] = ()
    vulnerabilities: tuple[Vulnerability, ...] = ()


class AuditUnavailable(Exception):
    """pip-audit could not be run or said nothing usable; the message says why."""


def parse_audit(report: object) -> AuditReport:
    """Read pip-audit's ``--format json`` report (``{"dependencies": [...], "fixes": [...]}``)."""
    if not isinstance(report, Mapping) or not isinstance(report.get("dependencies"), list):
        raise AuditUnavailable("pip-audit's JSON report has no 'dependencies' list")
    audited: list[str] = []
    skipped: dict[str, str] = {}
    editable: list[str] = []
    vulns: list[Vulnerability] = []
    for dep in report["dependencies"]:
        if not isinstance(dep, Mapping):
            continue
        name = str(dep.get("name", "?"))
        reason = dep.get("skip_reason")
        if reason is not None:
            if str(reason).strip() == _EDITABLE:
                editable.append(name)
            else:
                skipped[name] = str(reason)
            continue
        audited.append(name)
        for vuln in dep.get("vulns") or []:
            if isinstance(vuln, Mapping):
                vulns.append(
                    Vulnerability(
                        package=name,
                        version=str(dep.get("version", "?")),
                        id=str(vuln.get("id", "?")),
                        aliases=tuple(map(str, vuln.get("aliases") or ())),
                        fix_versions=tuple(map(str, vuln.get("fix_versions") or ())),
                    )
                )
    return AuditReport(tuple(audited), skipped, tuple(editable), tuple(vulns))


def audit_gate(
    report: AuditReport,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    level: Level = "block",
    on_missing: OnMissing = DEFAULT_ON_MISSING,
    ignore: Sequence[str] = (),
) -> GateResult:
    ignored = set(ignore)
    counted = [v for v in report.vulnerabilities
               if v.id not in ignored and not ignored.intersection(v.aliases)]
    details: dict[str, object] = {
        "audited": len(report.audited),
        "skipped": dict(list(report.skipped.items())[:LISTED]),
        "vulnerabilities": [v.to_json() for v in counted[:LISTED]],
    }
    if len(report.skipped) > LISTED:
        details["skipped_not_listed"] = len(report.skipped) - LISTED
    if report.editable:
        details["editable_not_audited"] = list(report.editable)
    if ignore:
        details["ignored"] = sorted(ignored)
    total = len(report.audited) + len(report.skipped)
    if len(counted) > threshold:
        named = ", ".join(f"{v.package} {v.version}: {v.id}" for v in counted[:5])
        message = f"{len(counted)} known vulnerabilit{'y' if len(counted) == 1 else 'ies'} " \
                  f"(max {threshold}): {named}"
        if report.skipped:
            message += f"; {len(report.skipped)} more package(s) could not be audited"
        return GateResult(id=GATE_ID, level=level, status="fail", actual=len(counted),
                          threshold=threshold, message=message, on_missing=on_missing,
                          details=details)
    if report.skipped or not report.audited:
        first = next(iter(report.skipped.values()), "no packages to audit")
        message = (
            f"pip-audit could not audit {len(report.skipped)} of {total} package(s), so "
            f"'no known vulnerabilities' would mean nothing (e.g. {first!r})"
        )
        if on_missing == "warn":
            message += "; on_missing = 'warn' so an offline machine is not blocked"
        return GateResult(id=GATE_ID, level=level, status="not_evaluated", actual=None,
                          threshold=threshold, message=message, on_missing=on_missing,
                          details=details)
    return GateResult(
        id=GATE_ID, level=level, status="pass", actual=len(counted), threshold=threshold,
        message=f"{len(report.audited)} package(s) audited, {len(counted)} known "
                f"vulnerabilit{'y' if len(counted) == 1 else 'ies'} (max {threshold})",
        on_missing=on_missing, details=details,
    )


def audit_command(configured: Sequence[str] | None = None) -> list[str] | None:
    """The pip-audit argv prefix to use, or None when no pip-audit can be found."""
    if configured:
        return list(configured)
    if importlib.util.find_spec("pip_audit") is not None:
        return [sys.executable, "-m", "pip_audit"]
    found = shutil.which("pip-audit")
    if found:
        # A pip-audit from another environment audits that environment unless told our path.
        return [found, "--path", sysconfig.get_paths()["purelib"]]
    return None


def environment_fingerprint(requirements: Sequence[Path]) -> str:
    """What the audit depends on besides the date: installed distributions or the pinned files."""
    from importlib.metadata import distributions

    digest = hashlib.sha256()
    if requirements:
        for path in requirements:
            digest.update(str(path).encode() + b"\0")
            digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    else:
        names = sorted(
            f"{d.metadata['Name']}=={d.version}" for d in distributions() if d.metadata["Name"]
        )
        digest.update("\n".join(names).encode())
    return digest.hexdigest()


def run_audit(
    command: Sequence[str],
    rootdir: Path,
    *,
    requirements: Sequence[str] = (),
    args: Sequence[str] = (),
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> AuditReport:
    argv = [*command, "--format", "json", "--progress-spinner", "off"]
    if requirements:
        for req in requirements:
            argv += ["-r", req]
        argv += ["--no-deps", "--disable-pip"]
    else:
        argv.append("--skip-editable")
    argv += list(args)
    try:
        proc = subprocess.run(
            argv, cwd=rootdir, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except FileNotFoundError as exc:
        raise AuditUnavailable(f"cannot run pip-audit: {exc}") from None
    except subprocess.TimeoutExpired:
        raise AuditUnavailable(f"pip-audit did not finish within {timeout_s:g} s") from None
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        tail = (proc.stderr.strip() or proc.stdout.strip())[-500:]
        raise AuditUnavailable(
            f"pip-audit exited {proc.returncode} without a report: {tail}"
        ) from None
    return parse_audit(data)


def run(
    rootdir: Path,
    *,
    level: Level,
    on_missing: OnMissing = DEFAULT_ON_MISSING,
    threshold: int = DEFAULT_THRESHOLD,
    command: Sequence[str] | None = None,
    requirements: Sequence[str] = (),
    args: Sequence[str] = (),
    ignore: Sequence[str] = (),
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> GateResult:
    argv = audit_command(command)
    if argv is None:
        return GateResult(
            id=GATE_ID, level=level, status="not_evaluated", actual=None, threshold=threshold,
            message="pip-audit is not installed, so no dependency was audited "
                    "(pip install pip-audit)",
            on_missing=on_missing,
        )
    try:
        report = run_audit(argv, rootdir, requirements=requirements, args=args,
                           timeout_s=timeout_s)
    except AuditUnavailable as exc:
        return GateResult(
            id=GATE_ID, level=level, status="not_evaluated", actual=None, threshold=threshold,
            message=f"{exc}; no dependency was audited", on_missing=on_missing,
        )
    return audit_gate(report, threshold=threshold, level=level, on_missing=on_missing,
                      ignore=ignore)


# -- the gate as the engine runs it (its spec: gates/specs/audit.py) -------------------------------


def evaluate(config: GateConfig, ctx: Context) -> list[GateResult]:
    skipped = idle(ctx, GATE_ID, config, config.opt("threshold"))
    if skipped is not None:
        return skipped
    inputs = inputs_for(ctx)
    rootdir = ctx.setup.rootdir
    requirements = [rootdir / r for r in config.opt("requirements")]
    options = {k: list(v) if isinstance(v, tuple) else v for k, v in config.options.items()}
    # Advisories change daily even when the environment does not: the key includes the date,
    # from the judgement's one clock (a test that left datetime patched must not pick the
    # answer cached on another day).
    key = cache_key(environment_fingerprint(requirements),
                    {"options": options, "date": utc_now().date()})
    hit = inputs.cache.load(GATE_ID, key)
    if hit is not None:
        return [replace(hit[0], level=config.level, on_missing=config.on_missing)]
    result = run(
        rootdir, level=config.level, on_missing=config.on_missing,
        threshold=config.opt("threshold"), command=config.opt("command"),
        requirements=config.opt("requirements"), args=config.opt("args"),
        ignore=config.opt("ignore"), timeout_s=config.opt("timeout_s"),
    )
    # An audit that could not be made (offline, service down) is retried on the next run,
    # not remembered for the rest of the day.
    if result.status != "not_evaluated":
        inputs.cache.store(GATE_ID, key, result)
    return [result]
