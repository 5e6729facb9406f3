"""The gate engine: every built-in gate beyond pass rate and budgets, as one pytest plugin object.

The core constructs it with :meth:`GateEngine.from_settings` in ``pytest_configure`` (all
configuration is parsed there, so bad config fails at start-up) and registers it on the xdist
controller or the serial process only. At session end it answers two hooks:

- ``pytest_pyramid_gates``: metric thresholds, flaky tests, quarantine expiry, pyramid shape,
  static gates (complexity, duplication, security, dependency audit) and ``risk.approval``;
- ``pytest_pyramid_verdict_sections``: ``metrics``, ``risk``, ``artifacts`` and ``flaky``.

Per-gate overrides live in ``[tool.pyramid.gates]``: a level string or a table with ``level``,
``on_missing`` and the gate's own options; unknown gate ids and options are errors::

    [tool.pyramid.gates]
    "static.complexity" = "block"
    "static.duplication" = { threshold = 5, min_tokens = 70 }
    "static.security" = { max_medium = 0 }
    "tests.flaky" = { level = "approve", threshold = 2 }
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pytest_pyramid.errors import ConfigError
from pytest_pyramid.gates import catalog
from pytest_pyramid.gates.flaky import (
    QuarantineEntry,
    flaky_gate,
    flaky_section,
    parse_quarantine,
    quarantine_gate,
)
from pytest_pyramid.gates.static import (
    ResultCache,
    StaticSettings,
    parse_static,
    relpath,
    source_files,
    source_hash,
    static_requested,
)
from pytest_pyramid.results import (
    GateResult,
    Level,
    OnMissing,
    parse_level,
    parse_on_missing,
)

if TYPE_CHECKING:
    import pytest

    from pytest_pyramid.config import Settings
    from pytest_pyramid.gates import risk as risk_mod
    from pytest_pyramid.gates.shape import ShapeSpec
    from pytest_pyramid.gates.thresholds import Threshold
    from pytest_pyramid.summary import RunSummary

STATIC_GATES = catalog.STATIC_GATES


# --- [tool.pyramid.gates] -------------------------------------------------------------------

Validator = Callable[[object, str, str], object]


def _int(minimum: int) -> Validator:
    def check(value: object, key: str, source: str) -> object:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ConfigError(key, value, source, f"must be a whole number >= {minimum}")
        return value
    return check


def _percent(value: object, key: str, source: str) -> object:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        raise ConfigError(key, value, source, "must be a percentage in 0..100")
    return float(value)


def _positive(value: object, key: str, source: str) -> object:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(key, value, source, "must be a number > 0")
    return float(value)


def _str_list(value: object, key: str, source: str) -> object:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(key, value, source, "must be a list of non-empty strings")
    return tuple(value)


def _confidence(value: object, key: str, source: str) -> object:
    if value not in catalog.SEVERITIES:
        raise ConfigError(key, value, source, "must be one of " + ", ".join(catalog.SEVERITIES))
    return value


@dataclass(frozen=True)
class GateDefaults:
    level: Level
    on_missing: OnMissing
    options: Mapping[str, tuple[object, Validator]] = field(default_factory=dict)


GATE_DEFAULTS: Mapping[str, GateDefaults] = {
    "tests.flaky": GateDefaults("warn", "fail", {"threshold": (0, _int(0))}),
    "tests.quarantine": GateDefaults("block", "fail"),
    "pyramid.shape": GateDefaults("warn", "fail"),
    catalog.COMPLEXITY: GateDefaults(
        "warn", "fail", {"threshold": (catalog.COMPLEXITY_THRESHOLD, _int(1))}
    ),
    catalog.DUPLICATION: GateDefaults("block", "fail", {
        "threshold": (catalog.DUPLICATION_THRESHOLD, _percent),
        "min_tokens": (catalog.DUPLICATION_MIN_TOKENS, _int(10)),
        "min_lines": (catalog.DUPLICATION_MIN_LINES, _int(1)),
    }),
    catalog.SECURITY: GateDefaults("block", "fail", {
        "max_high": (catalog.SECURITY_LIMITS["high"], _int(0)),
        "max_medium": (catalog.SECURITY_LIMITS["medium"], _int(0)),
        "max_low": (catalog.SECURITY_LIMITS["low"], _int(0)),
        "max_unexplained_nosec": (0, _int(0)),
        "min_confidence": ("low", _confidence),
    }),
    catalog.AUDIT: GateDefaults("block", catalog.AUDIT_ON_MISSING, {
        "threshold": (catalog.AUDIT_THRESHOLD, _int(0)),
        "command": (None, _str_list),
        "requirements": ((), _str_list),
        "args": ((), _str_list),
        "ignore": ((), _str_list),
        "timeout_s": (catalog.AUDIT_TIMEOUT_S, _positive),
    }),
    catalog.RISK: GateDefaults("approve", "approve"),
}


@dataclass(frozen=True)
class GateConfig:
    level: Level
    on_missing: OnMissing
    options: Mapping[str, Any]
    explicit_level: bool = False

    def opt(self, name: str) -> Any:
        return self.options[name]


def parse_gate_overrides(table: object, source: str) -> dict[str, GateConfig]:
    """``[tool.pyramid.gates]`` merged over the defaults, validated strictly."""
    if table is None:
        table = {}
    if not isinstance(table, Mapping):
        raise ConfigError("gates", table, source, "must be a table of gate id = level or table")
    for gate_id in table:
        if str(gate_id).startswith("metric."):
            raise ConfigError(
                f'gates."{gate_id}"', table[gate_id], source,
                "metric gates take their level from [tool.pyramid.thresholds] (long form)",
            )
        if gate_id not in GATE_DEFAULTS:
            raise ConfigError(
                f'gates."{gate_id}"', table[gate_id], source,
                "unknown gate id; known: " + ", ".join(GATE_DEFAULTS),
            )
    configs: dict[str, GateConfig] = {}
    for gate_id, defaults in GATE_DEFAULTS.items():
        raw = table.get(gate_id)
        key = f'gates."{gate_id}"'
        options = {name: default for name, (default, _) in defaults.options.items()}
        level, on_missing, explicit = defaults.level, defaults.on_missing, False
        if isinstance(raw, str):
            raw = {"level": raw}
        if raw is not None and not isinstance(raw, Mapping):
            raise ConfigError(key, raw, source, "must be a level string or a table")
        for name, value in (raw or {}).items():
            if name == "level":
                level, explicit = parse_level(value, f"{key}.level", source), True
            elif name == "on_missing":
                on_missing = parse_on_missing(value, f"{key}.on_missing", source)
            elif name in defaults.options:
                options[name] = defaults.options[name][1](value, f"{key}.{name}", source)
            else:
                allowed = ["level", "on_missing", *defaults.options]
                raise ConfigError(f"{key}.{name}", value, source,
                                  "unknown option; allowed: " + ", ".join(allowed))
        configs[gate_id] = GateConfig(level, on_missing, options, explicit)
    return configs


# --- the engine -----------------------------------------------------------------------------


@dataclass
class Evaluation:
    gates: list[GateResult]
    sections: dict[str, object]


class GateEngine:
    """Judges a finished run; one instance per session, registered as a pytest plugin."""

    def __init__(
        self,
        *,
        source: str,
        rootdir: Path,
        source_paths: tuple[str, ...],
        tier_names: tuple[str, ...],
        thresholds: tuple[Threshold, ...] = (),
        quarantine: tuple[QuarantineEntry, ...] = (),
        shape: ShapeSpec | None = None,
        static: StaticSettings | None = None,
        gates: Mapping[str, GateConfig] | None = None,
        risk: risk_mod.RiskSettings | None = None,
        risk_base: str | None = None,
        today: dt.date | None = None,
    ) -> None:
        self.source = source
        self.rootdir = rootdir
        self.source_paths = source_paths
        self.tier_names = tier_names
        self.thresholds = thresholds
        self.quarantine = quarantine
        self.shape = shape
        self.static = static or StaticSettings()
        self.gates = dict(gates) if gates is not None else parse_gate_overrides(None, source)
        #: None: no [tool.pyramid.risk] / [tool.pyramid.approvals] and no base, nothing to assess
        self.risk = risk
        self.risk_base = risk_base
        self._today = today
        self._memo: tuple[weakref.ref[RunSummary], Evaluation] | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        today: dt.date | None = None,
        risk_base: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> GateEngine:
        """Parse every gate section of ``[tool.pyramid]`` now; raises ConfigError on bad config.

        ``risk_base`` (e.g. from a command-line option) wins over ``PYRAMID_RISK_BASE``, which
        wins over ``[tool.pyramid.risk] base``.
        """
        raw: Mapping[str, Any] = settings.raw
        source = settings.source
        tier_names = tuple(settings.tier_names)
        gates = parse_gate_overrides(raw.get("gates"), source)
        # shape and thresholds are opt-in sections: their modules load only when present
        shape = None
        if raw.get("shape") is not None:
            from pytest_pyramid.gates.shape import parse_shape

            shape = parse_shape(raw.get("shape"), source, tier_names)
        thresholds: tuple[Threshold, ...] = ()
        if raw.get("thresholds") is not None:
            from pytest_pyramid.gates.thresholds import parse_thresholds

            thresholds = parse_thresholds(raw["thresholds"], source, tier_names=tier_names)
        shape_override = gates["pyramid.shape"]
        if shape is not None and shape_override.explicit_level:
            if isinstance(raw.get("shape"), Mapping) and "level" in raw["shape"]:
                raise ConfigError(
                    'gates."pyramid.shape".level', shape_override.level, source,
                    "the shape level is also set in [tool.pyramid.shape]; set it in one place",
                )
            shape = replace(shape, level=shape_override.level)
        env = os.environ if environ is None else environ
        base = risk_base or env.get(catalog.RISK_BASE_ENV) or None
        risk = None
        if base or raw.get("risk") is not None or raw.get("approvals") is not None:
            from pytest_pyramid.gates.risk import parse_risk

            risk_gate = gates[catalog.RISK]
            risk = replace(
                parse_risk(raw, source), level=risk_gate.level, on_missing=risk_gate.on_missing
            )
        return cls(
            source=source,
            rootdir=Path(settings.rootdir),
            source_paths=tuple(settings.source_paths),
            tier_names=tier_names,
            thresholds=thresholds,
            quarantine=parse_quarantine(raw.get("quarantine"), source),
            shape=shape,
            static=parse_static(raw.get("static"), source, tier_names),
            gates=gates,
            risk=risk,
            risk_base=base,
            today=today,
        )

    # -- public helpers ------------------------------------------------------------------------

    @property
    def today(self) -> dt.date:
        return self._today or dt.date.today()

    @property
    def active_quarantine(self) -> frozenset[str]:
        return frozenset(e.test for e in self.quarantine if not e.expired(self.today))

    def evaluate(self, run: RunSummary) -> Evaluation:
        """All gates and sections for ``run``, computed once however often it is asked."""
        if self._memo is not None and self._memo[0]() is run:
            return self._memo[1]
        gates: list[GateResult] = []
        sections: dict[str, object] = {}
        not_selected = frozenset(
            name for name, stats in run.tiers.items() if not stats.selected and stats.has_tests
        )
        if self.thresholds or run.metrics:
            from pytest_pyramid.gates.thresholds import evaluate_thresholds, metrics_section

            gates.extend(
                evaluate_thresholds(self.thresholds, run.metrics, tiers_not_selected=not_selected)
            )
            if run.metrics:
                sections["metrics"] = metrics_section(run.metrics, self.thresholds)

        active = self.active_quarantine
        flaky_cfg = self.gates["tests.flaky"]
        if flaky_cfg.level != "off":
            gates.append(flaky_gate(run.outcomes, threshold=flaky_cfg.opt("threshold"),
                                    level=flaky_cfg.level, quarantined=active,
                                    on_missing=flaky_cfg.on_missing))
        flaky = flaky_section(run.outcomes, active)
        if flaky:
            sections["flaky"] = flaky
        q_cfg = self.gates["tests.quarantine"]
        if self.quarantine and q_cfg.level != "off":
            gates.append(quarantine_gate(self.quarantine, self.today, level=q_cfg.level))

        if self.shape is not None and self.shape.level != "off":
            from pytest_pyramid.gates.shape import shape_gate

            gates.append(shape_gate(self.shape, run.tiers))

        static_gates, artifacts = self._static(run)
        gates.extend(static_gates)
        if artifacts:
            sections["artifacts"] = artifacts

        assessment = self.assess_risk()
        if assessment is not None and self.risk is not None:
            sections["risk"] = assessment.to_json()
            if self.risk.level != "off":
                from pytest_pyramid.gates.risk import risk_gate

                gates.append(risk_gate(assessment, self.risk))

        evaluation = Evaluation(gates, sections)
        self._memo = (weakref.ref(run), evaluation)
        return evaluation

    def assess_risk(self) -> risk_mod.RiskAssessment | None:
        """The change's risk, or None when risk assessment is not configured."""
        if self.risk is None or (not self.risk.enabled and self.risk_base is None):
            return None
        from pytest_pyramid.gates.risk import assess_repo

        return assess_repo(self.rootdir, self.risk, self.risk_base or self.risk.base)

    # -- static gates --------------------------------------------------------------------------

    def _static(self, run: RunSummary) -> tuple[list[GateResult], dict[str, object]]:
        wanted = [g for g in STATIC_GATES if self.gates[g].level != "off"]
        if not wanted or self.static.enabled is False:
            return [], {}
        stats = run.tiers.get(self.static.tier)
        requested, why = static_requested(
            self.static,
            tier_selected=bool(stats and stats.selected),
            tier_has_tests=bool(stats and stats.has_tests),
        )
        if not requested:
            return [self._skipped(g, f"static gates not run: {why}") for g in wanted], {}
        files, missing = source_files(self.rootdir, self.source_paths, self.static.exclude)
        cache = ResultCache(self.rootdir, enabled=self.static.cache)
        results: list[GateResult] = []
        artifacts: dict[str, object] = {}
        source_gates = [g for g in wanted if g != catalog.AUDIT]
        if source_gates and not files:
            if not self.source_paths:
                why = "no measured source: set top-level source = [\"pkg\"] in [tool.pyramid]"
            else:
                why = f"no Python files under source = {list(self.source_paths)}"
                if missing:
                    why += f" (not found: {', '.join(missing)})"
            for gate_id in source_gates:
                cfg = self.gates[gate_id]
                results.append(GateResult(id=gate_id, level=cfg.level, status="not_evaluated",
                                          threshold=self._static_threshold(gate_id),
                                          message=why, on_missing=cfg.on_missing))
            source_gates = []
        files_key = source_hash(files, self.rootdir, {"missing": missing}) if source_gates else ""
        for gate_id in source_gates:
            result, sarif = self._cached_source_gate(gate_id, files, files_key, cache)
            if sarif is not None:
                path = self.rootdir / self.static.sarif
                from pytest_pyramid._files import write_json_atomic

                write_json_atomic(path, sarif)
                artifacts["sarif"] = relpath(path, self.rootdir)
            if missing:
                result = replace(result, details={**result.details, "sources_not_found": missing})
            results.append(result)
        if catalog.AUDIT in wanted:
            results.append(self._audit(cache))
        return results, artifacts

    def _skipped(self, gate_id: str, why: str) -> GateResult:
        return GateResult(id=gate_id, level=self.gates[gate_id].level, status="not_evaluated",
                          threshold=self._static_threshold(gate_id), message=why,
                          on_missing="skip")

    def _static_threshold(self, gate_id: str) -> float | int | str:
        """The limit a static gate would have been judged against, also when it was not run."""
        cfg = self.gates[gate_id]
        if gate_id == catalog.SECURITY:
            limits = {"high": cfg.opt("max_high"), "medium": cfg.opt("max_medium"),
                      "low": cfg.opt("max_low")}
            return catalog.security_threshold_text(limits, cfg.opt("max_unexplained_nosec"))
        threshold: float | int = cfg.opt("threshold")
        return threshold

    def _cached_source_gate(
        self, gate_id: str, files: list[Path], files_key: str, cache: ResultCache
    ) -> tuple[GateResult, dict[str, object] | None]:
        from pytest_pyramid.gates import complexity, duplication, security

        cfg = self.gates[gate_id]
        tool = {
            complexity.GATE_ID: complexity.radon_version,
            duplication.GATE_ID: lambda: duplication.DETECTOR_VERSION,
            security.GATE_ID: security.bandit_version,
        }[gate_id]()
        key = _key(files_key, {"gate": gate_id, "tool": tool, "options": dict(cfg.options),
                               "sarif": self.static.sarif})
        hit = cache.load(gate_id, key)
        if hit is not None:
            result, extra = hit
            sarif = extra.get("sarif")
            return (
                replace(result, level=cfg.level, on_missing=cfg.on_missing),
                cast("dict[str, object]", sarif) if isinstance(sarif, dict) else None,
            )
        sarif_out: dict[str, object] | None = None
        if gate_id == complexity.GATE_ID:
            result = complexity.run(files, self.rootdir, threshold=cfg.opt("threshold"),
                                    level=cfg.level)
        elif gate_id == duplication.GATE_ID:
            result = duplication.run(files, self.rootdir, threshold=cfg.opt("threshold"),
                                     level=cfg.level, min_tokens=cfg.opt("min_tokens"),
                                     min_lines=cfg.opt("min_lines"))
        else:
            limits = {"high": cfg.opt("max_high"), "medium": cfg.opt("max_medium"),
                      "low": cfg.opt("max_low")}
            result, sarif_out = security.run(
                files, self.rootdir, level=cfg.level, limits=limits,
                max_unexplained_nosec=cfg.opt("max_unexplained_nosec"),
                min_confidence=cfg.opt("min_confidence"), sarif_path=self.static.sarif,
            )
        result = replace(result, on_missing=cfg.on_missing)
        # A tool that could not run is not cached: installing it must take effect at once.
        if tool is not None and result.status != "not_evaluated":
            cache.store(gate_id, key, result, {"sarif": sarif_out} if sarif_out else None)
        return result, sarif_out

    def _audit(self, cache: ResultCache) -> GateResult:
        from pytest_pyramid.gates import audit

        cfg = self.gates[audit.GATE_ID]
        requirements = [self.rootdir / r for r in cfg.opt("requirements")]
        options = {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.options.items()}
        # Advisories change daily even when the environment does not: the key includes the date.
        key = _key(audit.environment_fingerprint(requirements),
                   {"options": options, "date": dt.datetime.now(dt.timezone.utc).date()})
        hit = cache.load(audit.GATE_ID, key)
        if hit is not None:
            return replace(hit[0], level=cfg.level, on_missing=cfg.on_missing)
        result = audit.run(
            self.rootdir, level=cfg.level, on_missing=cfg.on_missing,
            threshold=cfg.opt("threshold"), command=cfg.opt("command"),
            requirements=cfg.opt("requirements"), args=cfg.opt("args"),
            ignore=cfg.opt("ignore"), timeout_s=cfg.opt("timeout_s"),
        )
        # An audit that could not be made (offline, service down) is retried on the next run,
        # not remembered for the rest of the day.
        if result.status != "not_evaluated":
            cache.store(audit.GATE_ID, key, result)
        return result

    # -- hooks -----------------------------------------------------------------------------------

    def pytest_pyramid_gates(self, config: pytest.Config, run: RunSummary) -> list[GateResult]:
        return list(self.evaluate(run).gates)

    def pytest_pyramid_verdict_sections(
        self, config: pytest.Config, run: RunSummary
    ) -> dict[str, object]:
        return dict(self.evaluate(run).sections)


def _key(base: str, extra: Mapping[str, object]) -> str:
    text = json.dumps(extra, sort_keys=True, default=str)
    return hashlib.sha256(base.encode() + b"\0" + text.encode()).hexdigest()
