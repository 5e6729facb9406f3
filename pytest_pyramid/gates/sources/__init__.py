"""Metric sources beyond the tests' own samples (issue 23 section 3): one number per metric,
read from Prometheus, a file or a command, for verdict gates (``external.<name>``) or, with
``rollout = true``, for the deploy's rollout analysis instead (deploy/rollout_metrics.py: read
at every look with ``{version}`` = the new version's commit).

``[tool.pyramid.metrics.<name>]``::

    source = "prometheus"            # a kind below: one module of this package each
    url = "http://127.0.0.1:9090"    # prometheus: the server; file: path; command: argv
    query = 'sum(rate(orders_total{version="{version}"}[5m]))'
    threshold = ">= 0.02"            # the thresholds grammar (gates/thresholds.py)
    max_age = "10m"                  # older data is stale
    required = true                  # stale/missing data: fails (true) or only warns
    timeout = "5s"
    rollout = false                  # true: judged at each look of a rollout, not as a gate

or, in a rollout with ``judge = "nonparametric"``, the canary's figure against its fresh
baseline's, bounded as a relative change (``{instance}``: the process read, host:port)::

    query = 'sum(rate(orders_total{instance="{instance}"}[5m]))'  # orders per second
    compare = "baseline"
    change = ">= -0.1"               # (canary - baseline) / |baseline|: at most 10% lower
    rollout = true

Adding a kind means adding a module here that defines ``KIND``, ``OPTIONS`` (its keys: name ->
what they must be) and ``fetch`` and one line in ``KINDS``. Whatever cannot be read as exactly
one finite, fresh number (empty, several series, NaN, infinite, stale, an error, a time-out) is a
:class:`Reading` with no value and the reason: never a pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol

from pytest_pyramid.config_schema import key_text
from pytest_pyramid.durations import now as clock
from pytest_pyramid.durations import parse_duration
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.gates.thresholds import Expression, parse_expression

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

#: the kinds of source: KIND -> module (one line each)
KINDS = {
    "prometheus": "pytest_pyramid.gates.sources.prometheus",
    "file": "pytest_pyramid.gates.sources.file",
    "command": "pytest_pyramid.gates.sources.command",
}
#: keys every metric table may hold, whatever its source
COMMON = ("source", "threshold", "compare", "change", "max_age", "required", "timeout", "level",
          "rollout")
DEFAULT_TIMEOUT_S = 5.0
DEFAULT_MAX_AGE_S = 600.0
#: what ``compare`` may say: the canary's figure against the rollout's fresh baseline's
COMPARES = ("baseline",)
#: the refusals of the compare grammar: one text, said by the parser and by the schema
COMPARE_NEEDS_ROLLOUT = ("compare = 'baseline' needs rollout = true: only a rollout has a "
                         "canary and a baseline to compare")
THRESHOLD_WITH_COMPARE = ("with compare = 'baseline' the bound is on the relative change: "
                          "give change (e.g. '>= -0.1'), not threshold")
CHANGE_WITHOUT_COMPARE = "change bounds a comparison: only with compare = 'baseline'"


class SourceError(Exception):
    """The source gave no usable number; the message says why, for the gate's reason."""


@dataclass(frozen=True)
class Raw:
    """What a source returned: the number and when it was measured (epoch seconds), if known."""

    value: float
    timestamp: float | None = None


@dataclass(frozen=True)
class Spawn:
    """How a command source's process starts when its caller decides: a rollout runs the
    commit's probe as the versions run (deploy/rollout_metrics.py: the host's ``run_as``, the
    versions' allow-listed environment), and reads a file source's path with the account's
    rights (``user``: file.py reads it by a host program started as the account). None: as
    this process, with its environment."""

    env: Mapping[str, str]
    user: int | None = None
    group: int | None = None


class Kind(Protocol):
    KIND: str
    #: the kind's own keys: name -> JSON Schema fragment (with a description)
    OPTIONS: Mapping[str, Mapping[str, Any]]

    def fetch(self, metric: Metric, version: str, timeout: float, instance: str = "",
              root: str = "", spawn: Spawn | None = None) -> Raw: ...


@dataclass(frozen=True)
class Metric:
    name: str
    source: str
    options: Mapping[str, Any] = field(hash=False)
    threshold: Expression
    max_age_s: float = DEFAULT_MAX_AGE_S
    required: bool = True
    timeout_s: float = DEFAULT_TIMEOUT_S
    level: str = "block"
    #: judged during rollouts (the new version's figure), not as a verdict gate
    rollout: bool = False
    #: "baseline": ``threshold`` bounds the relative change (canary - baseline) / |baseline|
    #: (the table's ``change``), read with ``{version}`` and ``{instance}`` of each side
    compare: str | None = None

    @property
    def gate_id(self) -> str:
        return f"external.{self.name}"


@dataclass(frozen=True)
class Reading:
    value: float | None
    reason: str = ""
    age_s: float | None = None


def kind(name: str) -> Kind:
    module: Any = import_module(KINDS[name])
    return module  # type: ignore[no-any-return]


def parse_metrics(raw: object, source_file: str) -> tuple[Metric, ...]:
    """``[tool.pyramid.metrics]``; a bad key or value is a ConfigError naming it."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise ConfigError("metrics", raw, source_file, "must be a table of metric tables")
    return tuple(_parse_one(str(name), table, source_file) for name, table in raw.items())


def _parse_one(name: str, table: object, source_file: str) -> Metric:
    def bad(key: str, value: object, why: str) -> ConfigError:
        return ConfigError(key_text(("metrics", name, key)), value, source_file, why)

    if not isinstance(table, dict):
        raise ConfigError(key_text(("metrics", name)), table, source_file, "must be a table")
    source = table.get("source")
    if source not in KINDS:
        raise bad("source", source, f"must be one of {', '.join(sorted(KINDS))}")
    options = kind(str(source)).OPTIONS
    for key in table:
        if key not in COMMON and key not in options:
            allowed = ", ".join(sorted({*COMMON, *options}))
            raise bad(key, table[key], f"unknown key for source {source!r} (allowed: {allowed})")
    for key, what in options.items():
        if key not in table:
            raise bad(key, None, f"required for source {source!r}: {what['description']}")
    compare = _compared(table, bad)
    bound = "change" if compare else "threshold"
    threshold = table.get(bound)
    if threshold is None:
        example = "'>= -0.1' (at most 10% lower)" if compare else "'>= 0.02'"
        raise bad(bound, threshold, f"required: '<operator> <number>', e.g. {example}")
    try:
        expression = parse_expression(str(threshold))
    except ValueError as exc:
        raise bad(bound, threshold, str(exc)) from None
    if expression.aggregate not in (None, "last"):
        raise bad(bound, threshold, "a source gives one number: no aggregate")
    seconds = {}
    for key, default in (("max_age", DEFAULT_MAX_AGE_S), ("timeout", DEFAULT_TIMEOUT_S)):
        try:
            seconds[key] = parse_duration(table.get(key, default))
        except ValueError as exc:
            raise bad(key, table.get(key), str(exc)) from None
        if seconds[key] <= 0:
            raise bad(key, table.get(key), "must be more than 0")
    required = table.get("required", True)
    if not isinstance(required, bool):
        raise bad("required", required, "must be true or false")
    rollout = table.get("rollout", False)
    if not isinstance(rollout, bool):
        raise bad("rollout", rollout, "must be true or false")
    level = table.get("level", "block")
    if level not in ("block", "approve", "warn"):
        raise bad("level", level, "must be block, approve or warn")
    return Metric(
        name=name, source=str(source), options={k: table[k] for k in options},
        threshold=expression, max_age_s=seconds["max_age"],
        required=required, timeout_s=seconds["timeout"], level=str(level), rollout=rollout,
        compare=compare,
    )


def _compared(table: Mapping[str, Any], bad: Callable[[str, object, str], ConfigError]
              ) -> str | None:
    """``compare`` and what goes with it (the schema says the same: one rule, two readers)."""
    if "compare" not in table:
        if "change" in table:
            raise bad("change", table["change"], CHANGE_WITHOUT_COMPARE)
        return None
    compare = table["compare"]
    if compare not in COMPARES:
        raise bad("compare", compare, f"must be one of {', '.join(COMPARES)}")
    if table.get("rollout") is not True:
        raise bad("compare", compare, COMPARE_NEEDS_ROLLOUT)
    if "threshold" in table:
        raise bad("threshold", table["threshold"], THRESHOLD_WITH_COMPARE)
    return str(compare)


def schema() -> dict[str, Any]:
    """The ``metrics`` part of the shipped ``[tool.pyramid]`` schema, generated from the kinds
    (``python -m pytest_pyramid.gates.schema`` writes it)."""
    properties: dict[str, Any] = {
        "source": {"type": "string", "enum": sorted(KINDS),
                   "description": "where the number is read"},
        "threshold": {"type": "string", "description": "'<operator> <number>', e.g. '>= 0.02'"},
        "compare": {"type": "string", "enum": list(COMPARES),
                    "description": "baseline: with rollout = true, the canary's figure against "
                    "the fresh baseline's ({version} and {instance} of each), bounded by change"},
        "change": {"type": "string", "description": "with compare: bound on the relative change "
                   "(canary - baseline) / |baseline|, e.g. '>= -0.1'"},
        "max_age": {"$ref": "#/definitions/duration", "description": "older data is stale"},
        "required": {"type": "boolean", "description": "missing or stale data fails (true)"},
        "timeout": {"$ref": "#/definitions/duration", "description": "how long a read may take"},
        "level": {"type": "string", "enum": ["block", "approve", "warn"]},
        "rollout": {"type": "boolean", "description": "true: judged at each look of a rollout "
                    "with {version} = the new version's commit, not as a verdict gate"},
    }
    for name in sorted(KINDS):
        for key, fragment in kind(name).OPTIONS.items():
            properties.setdefault(key, dict(fragment))
    return {
        "type": "object",
        "description": "metrics read from outside the run: [tool.pyramid.metrics.<name>]",
        "additionalProperties": {
            "type": "object", "required": ["source"], "properties": properties,
            "additionalProperties": False,
            "if": {"required": ["compare"]},
            "then": {"required": ["change"], "properties": {
                "rollout": {"const": True, "x-message": COMPARE_NEEDS_ROLLOUT},
                "threshold": {"not": {}, "x-message": THRESHOLD_WITH_COMPARE}},
                "allOf": [{"required": ["rollout"], "x-message": COMPARE_NEEDS_ROLLOUT}]},
            "else": {"required": ["threshold"], "properties": {
                "change": {"not": {}, "x-message": CHANGE_WITHOUT_COMPARE}}},
        },
    }


def read(metric: Metric, version: str, now: float | None = None, instance: str = "",
         root: str = "", spawn: Spawn | None = None) -> Reading:
    """One number from the metric's source, or why there is none (``instance``: the process
    read, host:port, for ``{instance}``; ``root``: the folder a relative command or file is
    the commit's in, a rollout's release; empty: the current folder, the run's project;
    ``spawn``: how a command starts, see :class:`Spawn`)."""
    try:
        raw = kind(metric.source).fetch(metric, version, metric.timeout_s, instance, root,
                                        spawn)
    except SourceError as exc:
        return Reading(None, f"{metric.source}: {exc}")
    if not math.isfinite(raw.value):
        return Reading(None, f"{metric.source}: the value is {raw.value} (not a finite number)")
    if raw.timestamp is None:
        return Reading(raw.value)
    age = (clock() if now is None else now) - raw.timestamp
    if age > metric.max_age_s:
        return Reading(None, f"{metric.source}: the value is {age:.0f}s old "
                             f"(max_age {metric.max_age_s:.0f}s)", age)
    return Reading(raw.value, age_s=max(age, 0.0))


def substitute(text: str, version: str, instance: str = "") -> str:
    """``{version}`` in a query, path or argument: the commit being judged; ``{instance}``:
    the process judged (host:port, as Prometheus labels a scrape target), in a rollout."""
    return text.replace("{version}", version).replace("{instance}", instance)
