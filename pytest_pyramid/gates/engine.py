"""The gate engine: every gate of ``gates/specs/``, as one pytest plugin object.

The engine knows no gate by name. It finds the specs (one file each), applies
``[tool.pyramid.gates]`` to their levels and options, lets each read its own section of
``[tool.pyramid]`` at start-up (so bad configuration fails before any test runs), and at
session end loops over them. It answers two hooks, on the xdist controller (or the serial
process) only:

- ``pytest_pyramid_gates``: the results of every active gate, in the specs' order;
- ``pytest_pyramid_verdict_sections``: the sections they contribute (``metrics``, ``flaky``,
  ``risk``, ``artifacts`` ...).

Per-gate overrides live in ``[tool.pyramid.gates]``: a level string or a table with
``level``, ``on_missing`` and the gate's own options; unknown gate ids and options are
errors::

    [tool.pyramid.gates]
    "static.complexity" = "block"
    "static.duplication" = { threshold = 5, min_tokens = 70 }
    "tests.flaky" = { level = "approve", threshold = 2 }
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from pytest_pyramid.config_schema import check
from pytest_pyramid.gates.spec import Context, GateConfig, GateSpec, Setup, resolve
from pytest_pyramid.results import LEVELS, ON_MISSING, record

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Sequence

    import pytest

    from pytest_pyramid.config import Settings
    from pytest_pyramid.results import GateResult
    from pytest_pyramid.run.changes import Memo
    from pytest_pyramid.run.summary import RunSummary
    from pytest_pyramid.schema_passes import SchemaPasses


@lru_cache(maxsize=1)
def discover() -> tuple[GateSpec, ...]:
    """Every ``SPEC`` in ``pytest_pyramid.gates.specs``, in report order."""
    import importlib

    from pytest_pyramid.gates import specs

    found: list[GateSpec] = []
    for name in _module_names(specs.__path__):
        module = importlib.import_module(f"{specs.__name__}.{name}")
        spec = getattr(module, "SPEC", None)
        if isinstance(spec, GateSpec):
            found.append(spec)
    return tuple(sorted(found, key=lambda s: (s.order, s.id)))


def _module_names(folders: Sequence[str]) -> list[str]:
    """The modules and packages of a package's folders, as ``pkgutil.iter_modules`` names
    them for a package on disk (sorted, the first folder's wins, no dotted names); without
    importing ``pkgutil`` (0.5 ms of every run's start-up, for one listing)."""
    import os

    found: dict[str, None] = {}
    for folder in folders:
        try:
            entries = sorted(os.listdir(folder))
        except OSError:
            continue
        for entry in entries:
            stem, dot, suffix = entry.partition(".")
            if dot and suffix == "py" and stem != "__init__":
                found.setdefault(stem)
            elif not dot and os.path.isfile(os.path.join(folder, entry, "__init__.py")):
                found.setdefault(entry)
    return list(found)


def parse_gate_overrides(
    table: object,
    source: str,
    specs: tuple[GateSpec, ...] | None = None,
    passes: SchemaPasses | None = None,
) -> dict[str, GateConfig]:
    """``[tool.pyramid.gates]`` over the configurable specs' defaults, validated against the
    schema the specs give (so a gate added by a spec file is checked like the built-in ones;
    ``passes``: tables known to have passed it, see ``schema_passes``)."""
    specs = discover() if specs is None else specs
    table = {} if table is None else table
    check(gates_schema(specs), table, source, ("gates",), passes=passes)
    assert isinstance(table, Mapping)
    return {spec.id: _gate_config(spec, table.get(spec.id))
            for spec in specs if spec.configurable}


def _gate_config(spec: GateSpec, raw: object) -> GateConfig:
    options = {name: option.default for name, option in spec.options.items()}
    level, on_missing, explicit = spec.level, spec.on_missing, False
    if isinstance(raw, str):
        raw = {"level": raw}
    for name, value in cast("Mapping[str, Any]", raw or {}).items():
        if name == "level":
            level, explicit = value, True
        elif name == "on_missing":
            on_missing = value
        else:
            options[name] = _option_value(value)
    return GateConfig(level, on_missing, options, explicit)


def _option_value(value: object) -> object:
    """Lists become tuples: a gate's options are shared, never mutated."""
    return tuple(value) if isinstance(value, list) else value


def gates_schema(specs: Sequence[GateSpec]) -> dict[str, Any]:
    """``[tool.pyramid.gates]``: a level string or a table per configurable gate id."""
    level = {"type": "string", "enum": list(LEVELS)}
    properties: dict[str, Any] = {}
    patterns: dict[str, Any] = {}
    for spec in specs:
        if not spec.configurable:
            fixed = {"not": {}, "x-message": spec.configured_in}
            if spec.id.endswith(".*"):
                patterns["^" + re.escape(spec.id[:-1])] = fixed
            else:
                properties[spec.id] = fixed
            continue
        table = {
            "type": "object",
            "properties": {
                "level": level,
                "on_missing": {"type": "string", "enum": list(ON_MISSING)},
                **{name: option.schema for name, option in spec.options.items()},
            },
            "additionalProperties": False,
            "x-unknown": "unknown option",
        }
        properties[spec.id] = {
            "anyOf": [level, table],
            "x-message": "must be a level string or a table",
        }
    return {
        "type": "object",
        "description": "per gate: a level (block, approve, warn, off) or a table with level, "
        "on_missing and the gate's own options",
        "properties": properties,
        "patternProperties": patterns,
        "additionalProperties": False,
        "x-unknown": "unknown gate id",
    }


@record
class Evaluation:
    """What every active gate gave for one run: results and verdict sections."""

    gates: list[GateResult]
    sections: dict[str, object]


@record(frozen=True)
class Prepared:
    """A gate spec with its configuration and the state its ``prepare`` read."""

    spec: GateSpec
    config: GateConfig
    state: object


class GateEngine:
    """Judges a finished run; one instance per session, registered as a pytest plugin."""

    def __init__(self, setup: Setup, prepared: list[Prepared]) -> None:
        self.setup = setup
        self.prepared = prepared
        self._memo: tuple[weakref.ref[RunSummary], Evaluation] | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        today: dt.date | None = None,
        risk_base: str | None = None,
        environ: Mapping[str, str] | None = None,
        passes: SchemaPasses | None = None,
        changes: Memo | None = None,
    ) -> GateEngine:
        """Prepare every spec now; raises ConfigError on bad configuration.

        ``risk_base`` (e.g. from a command-line option) wins over ``PYRAMID_RISK_BASE``,
        which wins over ``[tool.pyramid.risk] base``. ``passes``: see ``schema_passes``.
        ``changes``: the run's memo of what changed since a base (``run/changes.py``).
        """
        setup = Setup(settings, today=today, risk_base=risk_base, environ=environ,
                      changes=changes)
        specs = discover()
        configs = parse_gate_overrides(setup.raw.get("gates"), setup.source, specs, passes)
        prepared = []
        for spec in specs:
            config = configs.get(spec.id) or GateConfig(spec.level, spec.on_missing, {
                name: option.default for name, option in spec.options.items()
            })
            if not spec.active(setup):
                continue
            state = resolve(spec.prepare)(setup, config)
            if state is not None:
                prepared.append(Prepared(spec, config, state))
        return cls(setup, prepared)

    @property
    def active_quarantine(self) -> frozenset[str]:
        return self.setup.active_quarantine

    def evaluate(self, run: RunSummary) -> Evaluation:
        """All gates and sections for ``run``, computed once however often it is asked."""
        if self._memo is not None and self._memo[0]() is run:
            return self._memo[1]
        ctx = Context(self.setup, run)
        gates: list[GateResult] = []
        sections: dict[str, Any] = {}
        for item in self.prepared:
            if item.config.level != "off":
                gates.extend(resolve(item.spec.evaluate)(item.state, ctx))
            if item.spec.sections is not None:
                for key, value in resolve(item.spec.sections)(item.state, ctx).items():
                    if isinstance(value, Mapping) and isinstance(sections.get(key), dict):
                        sections[key].update(value)
                    else:
                        sections[key] = dict(value) if isinstance(value, Mapping) else value
        evaluation = Evaluation(gates, sections)
        self._memo = (weakref.ref(run), evaluation)
        return evaluation

    # -- hooks -----------------------------------------------------------------------------------

    def pytest_pyramid_gates(self, config: pytest.Config, run: RunSummary) -> list[GateResult]:
        return list(self.evaluate(run).gates)

    def pytest_pyramid_verdict_sections(
        self, config: pytest.Config, run: RunSummary
    ) -> dict[str, object]:
        return dict(self.evaluate(run).sections)
