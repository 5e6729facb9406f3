"""Risk of a change against a base revision, and the approvals it needs.

Config (risk assessment is opt-in: it runs when ``[tool.pyramid.risk]`` or
``[tool.pyramid.approvals]`` exists, or a base is given by ``PYRAMID_RISK_BASE``)::

    [tool.pyramid.risk]
    base = "origin/main"          # env PYRAMID_RISK_BASE (or the core's option) overrides it
    approval_from = "medium"      # risk.approval fails from this level up: low|medium|high|never
    levels = { medium = 3, high = 6 }   # score bounds (score >= bound)
    size = [{ min_lines = 200, weight = 1 }, { min_lines = 1000, weight = 2 }]

    [tool.pyramid.risk.factors.migrations]     # override a default factor or add one
    paths = ["**/migrations/**", "**/alembic/**"]
    weight = 3

    [tool.pyramid.approvals]
    low = { approvals = 1, roles = ["tech_lead"] }
    medium = { approvals = 2, roles = ["tech_lead", "product_owner"] }
    high = { approvals = 3, roles = ["tech_lead", "product_owner", "security_lead"] }

A factor adds its weight once when any changed file matches one of its globs (``**`` = any
directories; a glob without ``/`` matches a file name anywhere); its evidence lists the files.
The diff is the working tree (tracked changes and untracked files) against the merge base of
``base`` and HEAD, i.e. what the tests just ran on (``run/changes.py``, shared with flaky on
arrival and the coverage gate). When git, the repository or the base is
missing (a shallow CI clone), the assessment says so, takes the ``high`` row of the approval
matrix and the gate is ``not_evaluated``: unknown risk is never reported as low.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from pytest_pyramid.errors import ConfigError
from pytest_pyramid.gates.specs.risk import GATE_ID, diff_base
from pytest_pyramid.globs import glob_match
from pytest_pyramid.results import GateResult, Level, OnMissing
from pytest_pyramid.run.changes import since

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from pytest_pyramid.gates.spec import Context, GateConfig, Setup
    from pytest_pyramid.run.changes import Changes, Memo

RiskLevel = Literal["low", "medium", "high"]
RISK_LEVELS: tuple[RiskLevel, ...] = ("low", "medium", "high")
DEFAULT_BASE = "origin/main"
EVIDENCE_LISTED = 20


@dataclass(frozen=True)
class FactorSpec:
    id: str
    weight: float
    paths: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class SizeBand:
    min_lines: int
    weight: float


@dataclass(frozen=True)
class ApprovalRule:
    approvals: int
    roles: tuple[str, ...]


DEFAULT_FACTORS: tuple[FactorSpec, ...] = (
    FactorSpec("migrations", 3, ("**/migrations/**", "**/alembic/**", "*.sql"),
               "database schema migrations touched"),
    FactorSpec("api_spec", 2, ("**/openapi*.json", "**/openapi*.yaml", "**/openapi*.yml",
                               "**/swagger*.json", "**/swagger*.yaml", "**/swagger*.yml"),
               "public API (OpenAPI) spec changed"),
    FactorSpec("dependencies", 2, ("pyproject.toml", "requirements*.txt", "requirements/*.txt",
                                   "poetry.lock", "uv.lock", "Pipfile", "Pipfile.lock",
                                   "setup.py", "setup.cfg", "constraints*.txt",
                                   "package.json", "package-lock.json"),
               "dependency files changed"),
    FactorSpec("security", 3, ("**/auth/**", "**/security/**", "*auth*.py", "*crypto*.py",
                               "*permission*.py", "*secret*.py"),
               "security-sensitive paths touched"),
)
DEFAULT_SIZE: tuple[SizeBand, ...] = (SizeBand(200, 1), SizeBand(1000, 2))
DEFAULT_BOUNDS: Mapping[str, float] = {"medium": 3, "high": 6}
DEFAULT_APPROVALS: Mapping[str, ApprovalRule] = {
    "low": ApprovalRule(1, ("tech_lead",)),
    "medium": ApprovalRule(2, ("tech_lead", "product_owner")),
    "high": ApprovalRule(3, ("tech_lead", "product_owner", "security_lead")),
}


@dataclass(frozen=True)
class RiskSettings:
    enabled: bool = False
    base: str = DEFAULT_BASE
    approval_from: RiskLevel | Literal["never"] = "medium"
    bounds: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_BOUNDS))
    size: tuple[SizeBand, ...] = DEFAULT_SIZE
    factors: tuple[FactorSpec, ...] = DEFAULT_FACTORS
    approvals: Mapping[str, ApprovalRule] = field(default_factory=lambda: dict(DEFAULT_APPROVALS))
    level: Level = "approve"
    on_missing: OnMissing = "approve"


@dataclass(frozen=True)
class ChangedFile:
    path: str
    added: int
    deleted: int


@dataclass(frozen=True)
class FactorHit:
    id: str
    weight: float
    evidence: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class RiskAssessment:
    level: RiskLevel
    score: float
    base: str | None
    factors: tuple[FactorHit, ...]
    required_approvals: int
    approver_roles: tuple[str, ...]
    files_changed: int = 0
    lines_changed: int = 0
    unavailable: str | None = None
    merge_base: str | None = None

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "level": self.level,
            "score": self.score,
            "base": self.base,
            "factors": [
                {"id": f.id, "weight": f.weight, "evidence": list(f.evidence)}
                | ({"description": f.description} if f.description else {})
                for f in self.factors
            ],
            "required_approvals": self.required_approvals,
            "approver_roles": list(self.approver_roles),
            "assessed": self.unavailable is None,
            "files_changed": self.files_changed,
            "lines_changed": self.lines_changed,
        }
        if self.merge_base:
            data["merge_base"] = self.merge_base
        if self.unavailable is not None:
            data["reason"] = self.unavailable
        return data


# --- config -------------------------------------------------------------------------------


def parse_risk(raw: Mapping[str, Any], source: str) -> RiskSettings:
    """``[tool.pyramid.risk]`` and ``[tool.pyramid.approvals]`` as the schema checked them,
    plus what it cannot say (bounds in order, distinct size bands, a new factor's fields)."""
    table: Mapping[str, Any] | None = raw.get("risk")
    approvals_raw: Mapping[str, Any] | None = raw.get("approvals")
    enabled = table is not None or approvals_raw is not None
    table = table or {}
    return RiskSettings(
        enabled=enabled,
        base=str(table.get("base", DEFAULT_BASE)).strip(),
        approval_from=table.get("approval_from", "medium"),
        bounds=_parse_bounds(table.get("levels"), source),
        size=_parse_size(table.get("size"), source),
        factors=_parse_factors(table.get("factors"), source),
        approvals=_parse_approvals(approvals_raw, source),
    )


def checked_risk(raw: Mapping[str, Any], source: str) -> RiskSettings:
    """:func:`parse_risk` of a table the schema has not checked yet (a deploy reads the
    tables of commits from git): its ``risk`` and ``approvals`` parts through the schema
    first, so a malformed one is a ConfigError naming the key, never a crash."""
    from pytest_pyramid.config_schema import check_part

    for part in ("risk", "approvals"):
        if part in raw:
            check_part(part, raw[part], source)
    return parse_risk(raw, source)


def _parse_bounds(value: Mapping[str, float] | None, source: str) -> dict[str, float]:
    bounds = {**DEFAULT_BOUNDS, **{str(k): float(v) for k, v in (value or {}).items()}}
    if bounds["high"] < bounds["medium"]:
        raise ConfigError("risk.levels", dict(value or {}), source, "high must be >= medium")
    return bounds


def _parse_size(value: list[Mapping[str, Any]] | None, source: str) -> tuple[SizeBand, ...]:
    if value is None:
        return DEFAULT_SIZE
    bands = [SizeBand(int(band["min_lines"]), float(band["weight"])) for band in value]
    mins = [b.min_lines for b in bands]
    if len(set(mins)) != len(mins):
        raise ConfigError("risk.size", value, source, "two bands have the same min_lines")
    return tuple(sorted(bands, key=lambda b: b.min_lines))


def _parse_factors(
    value: Mapping[str, Mapping[str, Any]] | None, source: str
) -> tuple[FactorSpec, ...]:
    factors = {f.id: f for f in DEFAULT_FACTORS}
    for name, spec in (value or {}).items():
        key = f"risk.factors.{name}"
        default = factors.get(name)
        # a default factor may change one field; a new one names its paths and weight
        paths = spec.get("paths", list(default.paths) if default else None)
        if paths is None:
            raise ConfigError(f"{key}.paths", None, source,
                              "required for a new factor: a non-empty list of globs")
        weight = spec.get("weight", default.weight if default else None)
        if weight is None:
            raise ConfigError(f"{key}.weight", None, source,
                              "required for a new factor: a number >= 0 (0 disables it)")
        description = spec.get("description", default.description if default else "")
        factors[name] = FactorSpec(name, float(weight), tuple(p.strip() for p in paths),
                                   description)
    return tuple(f for f in factors.values() if f.weight > 0)


def _parse_approvals(
    value: Mapping[str, Mapping[str, Any]] | None, source: str
) -> dict[str, ApprovalRule]:
    approvals = dict(DEFAULT_APPROVALS)
    for name, rule in (value or {}).items():
        count, roles = int(rule["approvals"]), tuple(rule["roles"])
        if count > 0 and not roles:
            raise ConfigError(f"approvals.{name}.roles", list(roles), source,
                              "at least one role must approve")
        approvals[name] = ApprovalRule(count, roles)
    return approvals


# --- the change ------------------------------------------------------------------------------


def changed_files(changes: Changes) -> list[ChangedFile]:
    """The changed files (``run/changes.py``) with the lines they add and delete: a binary
    file weighs one added line, an untracked file all of its lines."""
    files = {path: ChangedFile(path, 1 if added is None else added, deleted or 0)
             for path, added, deleted in changes.tracked}
    top = changes.top
    for path in changes.untracked:
        if path in files or top is None:
            continue
        try:
            lines = len((top / path).read_bytes().splitlines())
        except OSError:
            lines = 1
        files[path] = ChangedFile(path, lines, 0)
    return sorted(files.values(), key=lambda f: f.path)


# --- assessment -----------------------------------------------------------------------------


def level_for(score: float, bounds: Mapping[str, float]) -> RiskLevel:
    if score >= bounds["high"]:
        return "high"
    if score >= bounds["medium"]:
        return "medium"
    return "low"


def assess(
    files: Sequence[ChangedFile], settings: RiskSettings, *, base: str | None,
    merge_base: str | None = None,
) -> RiskAssessment:
    hits: list[FactorHit] = []
    for factor in settings.factors:
        matched = [f.path for f in files if any(glob_match(g, f.path) for g in factor.paths)]
        if matched:
            evidence = matched[:EVIDENCE_LISTED]
            if len(matched) > EVIDENCE_LISTED:
                evidence.append(f"... and {len(matched) - EVIDENCE_LISTED} more")
            hits.append(FactorHit(factor.id, factor.weight, tuple(evidence), factor.description))
    lines = sum(f.added + f.deleted for f in files)
    band = next((b for b in reversed(settings.size) if lines >= b.min_lines), None)
    if band is not None and band.weight > 0:
        hits.append(FactorHit(
            "size", band.weight,
            (f"{lines} lines changed in {len(files)} file(s) (band >= {band.min_lines})",),
            "size of the diff",
        ))
    score = float(sum(h.weight for h in hits))
    level = level_for(score, settings.bounds)
    rule = settings.approvals[level]
    return RiskAssessment(
        level=level, score=score, base=base, factors=tuple(hits),
        required_approvals=rule.approvals, approver_roles=rule.roles,
        files_changed=len(files), lines_changed=lines, merge_base=merge_base,
    )


def unavailable(settings: RiskSettings, base: str | None, reason: str) -> RiskAssessment:
    """An assessment that could not be made: the highest approval row, and the reason."""
    rule = settings.approvals["high"]
    return RiskAssessment(
        level="high", score=0.0, base=base, factors=(), required_approvals=rule.approvals,
        approver_roles=rule.roles, unavailable=reason,
    )


def assess_repo(repo: Path, settings: RiskSettings, base: str,
                memo: Memo | None = None) -> RiskAssessment:
    """The change since ``base`` seen from ``repo``, read through the run's ``memo``."""
    changes = since({} if memo is None else memo, repo, base)
    if changes.reason is not None:
        return unavailable(settings, base, changes.reason)
    return assess(changed_files(changes), settings, base=base, merge_base=changes.merge_base)


def risk_gate(assessment: RiskAssessment, settings: RiskSettings) -> GateResult:
    threshold = (
        "never" if settings.approval_from == "never" else f"risk < {settings.approval_from}"
    )
    rule = f"{assessment.required_approvals} approval(s) from " + ", ".join(
        assessment.approver_roles
    )
    if assessment.unavailable is not None:
        return GateResult(
            id=GATE_ID, level=settings.level, status="not_evaluated", actual=None,
            threshold=threshold,
            message=f"risk unknown: {assessment.unavailable}; treated as high risk: needs {rule}",
            on_missing=settings.on_missing,
            details=assessment.to_json(),
        )
    why = "; ".join(f"{h.description or h.id} (+{h.weight:g}: {_brief(h.evidence)})"
                    for h in assessment.factors) or "no risk factor matched"
    needs = settings.approval_from != "never" and RISK_LEVELS.index(assessment.level) >= (
        RISK_LEVELS.index(settings.approval_from)
    )
    head = f"risk {assessment.level} (score {assessment.score:g} against {assessment.base})"
    message = f"{head}: needs {rule}; because {why}" if needs else f"{head}: {why}"
    return GateResult(
        id=GATE_ID, level=settings.level, status="fail" if needs else "pass",
        actual=assessment.level, threshold=threshold, message=message,
        on_missing=settings.on_missing, details=assessment.to_json(),
    )


def _brief(evidence: Sequence[str]) -> str:
    shown = ", ".join(evidence[:3])
    return shown + (f" +{len(evidence) - 3} more" if len(evidence) > 3 else "")


# -- at the deploy: the change against what serves, under rules a commit may only tighten ----


#: ``approval_from``, loosest first: "never" asks no approval, "low" asks it of every change
APPROVAL_FROM_RANKS: tuple[str, ...] = ("never", "high", "medium", "low")

#: one rule kept from the older table: its key, the value kept, the commit's value
Kept = tuple[str, str, str]


def stricter_risk(old: RiskSettings, new: RiskSettings) -> tuple[RiskSettings, list[Kept]]:
    """``new`` (a commit's risk rules) wherever it is at least as strict as ``old`` (those
    of the release the target serves), else ``old``'s, rule by rule (hostile case 463: a
    commit adding a migration set the migrations factor's weight to 0): ``approval_from``
    by rank, each level bound (smaller asks sooner), the size bands (kept whole where the
    commit's weigh less at any size), each factor (the larger weight, every path of both),
    each approval row (the larger count, the commit's roles only where they narrow the old
    ones). A table ``old`` has and the commit removed is kept. The commit's tightenings stay;
    its loosenings count once it has deployed. Pure: deploy/arguments.py says what was kept."""
    if not old.enabled:
        return new, []
    kept: list[Kept] = []
    approval_from = new.approval_from
    if APPROVAL_FROM_RANKS.index(new.approval_from) < APPROVAL_FROM_RANKS.index(
            old.approval_from):
        approval_from = old.approval_from
        kept.append(("risk.approval_from", repr(old.approval_from), repr(new.approval_from)))
    bounds = {name: min(old.bounds[name], new.bounds[name]) for name in DEFAULT_BOUNDS}
    kept += [(f"risk.levels.{name}", f"{old.bounds[name]:g}", f"{new.bounds[name]:g}")
             for name in DEFAULT_BOUNDS if bounds[name] != new.bounds[name]]
    size = new.size
    if _lighter(new.size, old.size):
        size = old.size
        kept.append(("risk.size", _bands(old.size), _bands(new.size)))
    factors, said = _stricter_factors(old.factors, new.factors)
    approvals, said_rows = _stricter_approvals(old.approvals, new.approvals)
    if not new.enabled:
        kept.insert(0, ("risk", "the assessment", "its removal of [tool.pyramid.risk] "
                                                  "and [tool.pyramid.approvals]"))
    return replace(new, enabled=True, approval_from=approval_from, bounds=bounds, size=size,
                   factors=factors, approvals=approvals), [*kept, *said, *said_rows]


def _band_weight(bands: Sequence[SizeBand], lines: int) -> float:
    band = next((b for b in reversed(bands) if lines >= b.min_lines), None)
    return 0.0 if band is None else band.weight


def _lighter(new: Sequence[SizeBand], old: Sequence[SizeBand]) -> bool:
    """Whether ``new``'s bands weigh less than ``old``'s at some size (both are steps that
    change only at a band's ``min_lines``)."""
    edges = {b.min_lines for b in (*new, *old)}
    return any(_band_weight(new, n) < _band_weight(old, n) for n in edges)


def _bands(bands: Sequence[SizeBand]) -> str:
    return "[" + ", ".join(f"{b.min_lines}+ lines: {b.weight:g}" for b in bands) + "]"


def _stricter_factors(old: Sequence[FactorSpec], new: Sequence[FactorSpec]
                      ) -> tuple[tuple[FactorSpec, ...], list[Kept]]:
    """Each factor of both: the larger weight and every path of both (a factor the commit
    dropped or set to 0 is absent from ``new``: parse_risk leaves weight 0 out)."""
    theirs = {f.id: f for f in new}
    found = dict(theirs)
    kept: list[Kept] = []
    for factor in old:
        mine = theirs.get(factor.id)
        if mine is None:
            found[factor.id] = factor
            kept.append((f"risk.factors.{factor.id}", f"weight {factor.weight:g}",
                         "weight 0 (or none)"))
            continue
        paths = (*mine.paths, *(p for p in factor.paths if p not in mine.paths))
        weight = max(mine.weight, factor.weight)
        if weight != mine.weight:
            kept.append((f"risk.factors.{factor.id}", f"weight {factor.weight:g}",
                         f"weight {mine.weight:g}"))
        if paths != mine.paths:
            kept.append((f"risk.factors.{factor.id}.paths",
                         ", ".join(p for p in factor.paths if p not in mine.paths),
                         "their removal"))
        found[factor.id] = replace(mine, weight=weight, paths=paths)
    return tuple(found.values()), kept


def _stricter_approvals(old: Mapping[str, ApprovalRule], new: Mapping[str, ApprovalRule]
                        ) -> tuple[dict[str, ApprovalRule], list[Kept]]:
    found: dict[str, ApprovalRule] = {}
    kept: list[Kept] = []
    for level in RISK_LEVELS:
        was, mine = old[level], new[level]
        narrower = not was.roles or (bool(mine.roles) and {r.casefold() for r in mine.roles}
                                     <= {r.casefold() for r in was.roles})
        found[level] = ApprovalRule(max(was.approvals, mine.approvals),
                                    mine.roles if narrower else was.roles)
        if found[level] != mine:
            kept.append((f"approvals.{level}", _rule_text(found[level]), _rule_text(mine)))
    return found, kept


def _rule_text(rule: ApprovalRule) -> str:
    return f"{rule.approvals} from {', '.join(rule.roles) or 'any role'}"


def risk_tables(settings: RiskSettings) -> dict[str, Any]:
    """``[tool.pyramid.risk]`` and ``[tool.pyramid.approvals]`` that :func:`parse_risk` reads
    back as ``settings`` (empty when not enabled): how a deploy job carries them as JSON."""
    if not settings.enabled:
        return {}
    factors: dict[str, Any] = {f.id: {"paths": list(f.paths), "weight": f.weight,
                                      "description": f.description} for f in settings.factors}
    # a default factor left out (weight 0) must stay out when read back
    factors.update({f.id: {"weight": 0} for f in DEFAULT_FACTORS if f.id not in factors})
    return {
        "risk": {"base": settings.base, "approval_from": settings.approval_from,
                 "levels": dict(settings.bounds),
                 "size": [{"min_lines": b.min_lines, "weight": b.weight} for b in settings.size],
                 "factors": factors},
        "approvals": {level: {"approvals": rule.approvals, "roles": list(rule.roles)}
                      for level, rule in settings.approvals.items()},
    }


def assessed_level(verdict_risk: object, commit: str) -> RiskLevel | None:
    """The level a verdict's risk section gives the change ``commit`` makes, or None when it
    gives none: no section, not assessed, or assessed against a base that resolves to
    ``commit`` itself (hostile case 462: CI on main after a merge, ``base = "main"`` = HEAD,
    an empty change judged low: no change was assessed at all)."""
    if not isinstance(verdict_risk, Mapping) or verdict_risk.get("assessed") is False:
        return None
    level = verdict_risk.get("level")
    if level not in RISK_LEVELS or empty_change(verdict_risk, commit):
        return None
    found: RiskLevel = level
    return found


def empty_change(verdict_risk: object, commit: str) -> bool:
    """Whether a verdict's risk section was assessed against ``commit`` itself."""
    return isinstance(verdict_risk, Mapping) and bool(commit) and (
        verdict_risk.get("merge_base") == commit)


def at_deploy(shipped: RiskAssessment, verdict_level: RiskLevel | None,
              settings: RiskSettings) -> RiskAssessment:
    """The larger of two assessments (:func:`risk_gate` judges it): ``shipped``, the change
    against what the target serves under ``settings``, raised to ``verdict_level`` (the
    verdict's own, :func:`assessed_level`) with ``settings``' approval row when that is
    larger. An unavailable ``shipped`` stays unavailable: unknown risk is never low."""
    if shipped.unavailable is not None or verdict_level is None or (
            RISK_LEVELS.index(verdict_level) <= RISK_LEVELS.index(shipped.level)):
        return shipped
    rule = settings.approvals[verdict_level]
    return replace(shipped, level=verdict_level, required_approvals=rule.approvals,
                   approver_roles=rule.roles)


# -- the gate as the engine runs it (its spec: gates/specs/risk.py) --------------------------------


def prepare(setup: Setup, config: GateConfig) -> RiskSettings:
    return replace(parse_risk(setup.raw, setup.source), level=config.level,
                   on_missing=config.on_missing)


def _assessment(settings: RiskSettings, ctx: Context) -> RiskAssessment | None:
    if "risk" in ctx.shared:
        found: RiskAssessment | None = ctx.shared["risk"]
        return found
    base = diff_base(ctx.setup)
    assessment = None
    if settings.enabled or base is not None:
        assessment = assess_repo(ctx.setup.rootdir, settings, base or settings.base,
                                 ctx.setup.changes)
    ctx.shared["risk"] = assessment
    return assessment


def evaluate(settings: RiskSettings, ctx: Context) -> list[GateResult]:
    assessment = _assessment(settings, ctx)
    if assessment is None or settings.level == "off":
        return []
    return [risk_gate(assessment, settings)]


def sections(settings: RiskSettings, ctx: Context) -> Mapping[str, object]:
    assessment = _assessment(settings, ctx)
    return {"risk": assessment.to_json()} if assessment is not None else {}
