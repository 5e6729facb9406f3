"""What a gate is, to the engine: a :class:`GateSpec` declared in one file of ``gates/specs/``.

Adding a gate means adding one spec file: the engine finds every module of that package
that defines ``SPEC`` and loops over them. A spec module is small and imports nothing
heavy; the gate's logic (radon, bandit, git) is imported inside ``evaluate`` when the gate
runs. A spec declares its id, default level and missing-data policy, its options for
``[tool.pyramid.gates]`` (each with one default and one JSON Schema), how it reads its own
section of ``[tool.pyramid]`` at start-up, and how it judges a finished run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.results import record

if TYPE_CHECKING:
    import datetime as dt

    from pytest_pyramid.config import Settings
    from pytest_pyramid.gates.flaky import QuarantineEntry
    from pytest_pyramid.gates.static import StaticSettings
    from pytest_pyramid.results import Level, OnMissing
    from pytest_pyramid.run.changes import Memo
    from pytest_pyramid.run.summary import RunSummary

#: a JSON Schema fragment: what an option of ``[tool.pyramid.gates]`` accepts
OptionSchema = dict[str, Any]


# -- option schemas: the gates part of the shipped schema is generated from them -----------------


def whole(minimum: int) -> OptionSchema:
    return {"type": "integer", "minimum": minimum}


percent: OptionSchema = {"type": "number", "minimum": 0, "maximum": 100}
positive: OptionSchema = {"type": "number", "exclusiveMinimum": 0}
str_list: OptionSchema = {"type": "array", "items": {"type": "string", "minLength": 1}}


def one_of(*choices: str) -> OptionSchema:
    return {"type": "string", "enum": list(choices)}


@record(frozen=True)
class Option:
    """One configurable option of a gate: its default and the schema of its values."""

    default: object
    #: what the option accepts; ``[tool.pyramid.gates]`` is validated against it
    schema: OptionSchema = field(hash=False)


@record(frozen=True)
class GateConfig:
    """A gate's level, missing-data policy and options after ``[tool.pyramid.gates]``."""

    level: Level
    on_missing: OnMissing
    options: Mapping[str, Any]
    explicit_level: bool = False

    def opt(self, name: str) -> Any:
        return self.options[name]


class Setup:
    """What every gate may read at start-up; shared sections are parsed once, on demand."""

    def __init__(
        self,
        settings: Settings,
        *,
        today: dt.date | None = None,
        risk_base: str | None = None,
        environ: Mapping[str, str] | None = None,
        changes: Memo | None = None,
    ) -> None:
        self.settings = settings
        self.raw: Mapping[str, Any] = settings.raw
        self.source = settings.source
        self.rootdir = Path(settings.rootdir)
        self.tier_names = tuple(settings.tier_names)
        self.source_paths = tuple(settings.source_paths)
        self._today = today
        self.risk_base = risk_base
        self.environ = os.environ if environ is None else environ
        #: what changed since each base (run/changes.py), shared with the run's other stages
        self.changes: Memo = {} if changes is None else changes

    @property
    def today(self) -> dt.date:
        """The day expiry is judged on: UTC (``gates/flaky.utc_today``), unless given."""
        if self._today is not None:
            return self._today
        from pytest_pyramid.gates.flaky import utc_today

        return utc_today()

    @cached_property
    def quarantine(self) -> tuple[QuarantineEntry, ...]:
        raw = self.raw.get("quarantine")
        if not raw:  # no entries (most projects): nothing to parse, the parser not imported
            return ()
        from pytest_pyramid.gates.flaky import parse_quarantine

        return parse_quarantine(raw, self.source)

    @cached_property
    def static(self) -> StaticSettings:
        from pytest_pyramid.gates.static import parse_static

        return parse_static(self.raw.get("static"), self.source, self.tier_names)

    @cached_property
    def quarantine_untracked(self) -> str | None:
        """Why the quarantine entries excuse nothing: the file holding them is not tracked by
        git (only the project's committed configuration may excuse a failure); None when
        they are honoured. One ``git ls-files``, only when there are entries."""
        if not self.quarantine:
            return None
        from pytest_pyramid.run.invocation import git_tracked

        source = Path(self.source)
        if git_tracked([source], self.rootdir):
            return None
        return (f"the quarantine entries in {source} are not honoured: the file is not tracked "
                "by git (only the project's committed configuration may excuse a failure)")

    @property
    def active_quarantine(self) -> frozenset[str]:
        if self.quarantine_untracked is not None:
            return frozenset()
        today = self.today
        return frozenset(e.test for e in self.quarantine if not e.expired(today))


class Context:
    """One finished run, as every gate sees it; per-run shared work is done once."""

    def __init__(self, setup: Setup, run: RunSummary) -> None:
        self.setup = setup
        self.run = run
        self.quarantined = setup.active_quarantine
        #: static-gate inputs computed once for the four static gates
        self.shared: dict[str, Any] = {}

    @cached_property
    def not_selected(self) -> frozenset[str]:
        """Tiers with tests that this run did not select (their metrics are not missing)."""
        return frozenset(
            name for name, stats in self.run.tiers.items() if not stats.selected and stats.has_tests
        )


def _always(setup: Setup, config: GateConfig) -> object:
    return config


def _configured(setup: Setup) -> bool:
    return True


def with_static(setup: Setup, config: GateConfig) -> GateConfig:
    """``prepare`` of the static gates: ``[tool.pyramid.static]`` is read at start-up."""
    _ = setup.static
    return config


#: a function, or ``"module:function"`` imported when first called: a spec can name its
#: implementation without importing it (the implementation imports the spec's constants)
Ref = Callable[..., Any] | str


def resolve(ref: Ref) -> Callable[..., Any]:
    if callable(ref):
        return ref
    from importlib import import_module

    module, _, name = ref.partition(":")
    function: Callable[..., Any] = getattr(import_module(module), name)
    return function


@record(frozen=True)
class GateSpec:
    """One gate (or a family such as ``budget.*`` whose ids the gate itself names)."""

    id: str
    level: Level
    #: ``(state, Context) -> list[GateResult]``
    evaluate: Ref
    on_missing: OnMissing = "fail"
    options: Mapping[str, Option] = field(default_factory=dict)
    #: position in the verdict's list of gates (lower first)
    order: int = 500
    #: whether the project configured this gate at all (cheap: no implementation import)
    active: Callable[[Setup], bool] = _configured
    #: ``(Setup, GateConfig) -> state``: read the gate's own section at start-up (ConfigError
    #: on a bad value); None: the gate is not configured and does not run
    prepare: Ref = _always
    #: ``(state, Context) -> Mapping``: verdict sections (``metrics``, ``flaky``, ``risk`` ...)
    sections: Ref | None = None
    #: a key of ``[tool.pyramid.gates]``; families configure their level elsewhere
    configurable: bool = True
    #: why the gate is not configurable there, for the error message
    configured_in: str = ""
