"""The gates stage's turn at session end: judge the finished run and hand the judgement on.

The run stage leaves its :class:`~pytest_pyramid.run.summary.RunSummary` and ``RunEnd`` in
``config.stash``. :class:`GateJudging`, a ``pytest_sessionfinish`` wrapper that pytest
calls after every plugin's own (the run stage's included) and before the verdict writer's,
asks every gate through the one route, the ``pytest_pyramid_gates`` hook (the gate engine,
coverage, other plugins and conftests, each implementation on its own), takes the verdict
sections the same way, and leaves a :class:`Judged` in the stash. The verdict writer only
reads it: a test result flows run -> gates -> verdict and never returns to the verdict's
folder for a gate (docs/architecture.md counts the crossings).
"""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.results import GateResult, record
from pytest_pyramid.run.stash import RUN_END_KEY, RUN_KEY

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Mapping

    from pytest_pyramid.config import Settings
    from pytest_pyramid.run.summary import RunSummary


@record
class Judged:
    """What the gates stage hands the verdict stage about a finished run."""

    gates: list[GateResult]
    #: (plugin name, section mapping) from ``pytest_pyramid_verdict_sections``
    sections: list[tuple[str, object]]
    #: hook implementations that raised or answered garbage: the verdict is incomplete
    errors: list[str] = field(default_factory=list)
    #: tiers close to their time budget (a terminal warning, never a failure)
    near_budget: list[str] = field(default_factory=list)
    #: in a CI shard: the gate providers ``pyramid merge`` calls again (``judging_providers``)
    providers: list[str] = field(default_factory=list)


#: the gates' judgement of the run, left for the verdict writer
JUDGED_KEY: pytest.StashKey[Judged] = pytest.StashKey()


#: the plugins whose gates and sections ``pyramid merge`` computes again from the partials
MERGED_PROVIDERS = frozenset({"pyramid-gates", "pyramid-coverage"})


def judging_providers(config: pytest.Config) -> list[str]:
    """What gives gates besides the ones the merge computes again: plugins by name, conftest
    files by rootdir-relative path (``pyramid merge`` imports them and calls their hook on
    the merged run, as this process would on its own run)."""
    from pytest_pyramid.run.session import judging_conftests

    conftests = judging_conftests(config)
    named = {
        impl.plugin_name for impl in config.hook.pytest_pyramid_gates.get_hookimpls()
        if impl.plugin_name not in MERGED_PROVIDERS
        and Path(impl.plugin_name).name != "conftest.py"
    }
    return sorted({*named, *conftests})


def call_each(
    hook: Any,
    kwargs: Mapping[str, object],
    errors: list[str],
    skip: frozenset[str] = frozenset(),
) -> list[tuple[str, object]]:
    """Call every implementation of a pyramid hook on its own, so one that raises is
    reported (and makes the verdict incomplete) without hiding the others' results.
    Wrappers are skipped: they are not gate providers, and calling one directly would
    only return a generator."""
    results = []
    for impl in reversed(hook.get_hookimpls()):  # pluggy's own order: last registered first
        if impl.hookwrapper or getattr(impl, "wrapper", False) or impl.plugin_name in skip:
            continue
        function: Callable[..., object] = impl.function
        try:
            result = function(*(kwargs[name] for name in impl.argnames))
        except Exception as exc:  # a plugin's bug must not cost the verdict
            errors.append(f"{hook.name} of {impl.plugin_name} raised {type(exc).__name__}: {exc}")
            continue
        if result is not None:
            results.append((impl.plugin_name, result))
    return results


def collect_gates(
    config: pytest.Config,
    run: RunSummary,
    errors: list[str],
    skip: frozenset[str] = frozenset(),
) -> list[GateResult]:
    """Every gate comes through one route: the ``pytest_pyramid_gates`` hook (the gate
    engine, coverage, other plugins and conftests), each implementation called on its own;
    this stage's and ``pyramid merge``'s (which computes ``skip`` itself)."""
    gates: list[GateResult] = []
    kwargs = {"config": config, "run": run}
    for plugin, result in call_each(config.hook.pytest_pyramid_gates, kwargs, errors, skip):
        items = result if isinstance(result, (list, tuple)) else [result]
        for item in items:
            if isinstance(item, GateResult):
                gates.append(item)
            else:
                errors.append(
                    f"pytest_pyramid_gates of {plugin} returned {item!r}, not a GateResult"
                )
    return gates


def judge_shard(config: pytest.Config, run: RunSummary) -> Judged:
    """A CI shard's part: the sections of the providers ``pyramid merge`` does not compute
    again, and which providers it must call on the merged run (it judges the gates)."""
    errors: list[str] = []
    sections = call_each(config.hook.pytest_pyramid_verdict_sections,
                         {"config": config, "run": run}, errors, skip=MERGED_PROVIDERS)
    return Judged([], sections, errors, providers=judging_providers(config))


def judge_run(config: pytest.Config, settings: Settings, run: RunSummary) -> Judged:
    """The gates and the verdict sections of a finished run, each provider on its own."""
    from pytest_pyramid.gates.budgets import near_budget

    errors: list[str] = []
    gates = collect_gates(config, run, errors)
    sections = call_each(config.hook.pytest_pyramid_verdict_sections,
                         {"config": config, "run": run}, errors)
    return Judged(gates, sections, errors,
                  near_budget(run, settings.tiers, settings.budget_basis))


class GateJudging:
    """Registered on the process that writes the verdict or a CI shard's partial (the
    xdist controller, or a serial run)."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings

    # A wrapper, innermost of pyramid's (trylast, registered after the verdict writer's):
    # after every plugin's own sessionfinish, and before the writer's part.
    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> Generator[None, None, None]:
        outcome = yield
        end = self.config.stash.get(RUN_END_KEY, None)
        if end is None:
            return outcome  # nothing ran (--collect-only ...): the last verdict stays
        run = self.config.stash[RUN_KEY]
        end.close(run)
        self.config.stash[JUDGED_KEY] = (
            judge_run(self.config, self.settings, run) if end.shard is None
            else judge_shard(self.config, run))  # a shard: pyramid merge judges the gates
        return outcome
