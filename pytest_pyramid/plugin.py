"""pytest entry point: options, ini twins, markers, and registration of the active parts.

Without a ``[tool.pyramid]`` table, a pyramid ini option or a pyramid command-line option
the plugin only registers its markers: installing it never changes another project's run.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.config import BUILTIN_TIERS, Settings, parse_settings, read_pyproject_table
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.stash import SETTINGS_KEY

if TYPE_CHECKING:
    from collections.abc import Callable

_INI_BOOL = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_pyramid import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pyramid", "pyramid tiers, budgets and release verdict")
    group.addoption(
        "--tier",
        dest="pyramid_tier",
        metavar="NAMES",
        default=None,
        help="run only these tiers and/or groups, comma-separated (fast, unit,contract, all)",
    )
    group.addoption(
        "--tier-fail-fast",
        dest="pyramid_fail_fast",
        action="store_true",
        default=None,
        help="stop before the next tier once a tier has a failure (also under xdist)",
    )
    group.addoption(
        "--pyramid-verdict",
        dest="pyramid_verdict",
        metavar="PATH",
        default=None,
        help="where to write the verdict JSON (default: [tool.pyramid] verdict)",
    )
    group.addoption(
        "--pyramid-explain",
        dest="pyramid_explain",
        action="store_true",
        default=False,
        help="print every gate with its measured value, threshold, level and why",
    )
    group.addoption(
        "--pyramid",
        dest="pyramid_enable",
        action="store_true",
        default=False,
        help="activate pytest-pyramid even without a [tool.pyramid] table",
    )
    group.addoption(
        "--pyramid-diff-base",
        dest="pyramid_diff_base",
        metavar="REV",
        default=None,
        help="base revision for changed-line coverage and risk (default: config base)",
    )
    parser.addini(
        "pyramid_verdict", "verdict path (mirror of [tool.pyramid] verdict)", default=None
    )
    parser.addini(
        "pyramid_default_tier", "tier of tests with no marker or path match", default=None
    )
    parser.addini("pyramid_strict", "a test without a tier is a collection error", default=None)
    parser.addini("pyramid_fail_fast", "stop before the next tier after a failure", default=None)


@pytest.hookimpl(tryfirst=True)  # before pytest-timeout's, which reads the default limit
def pytest_configure(config: pytest.Config) -> None:
    for name, default in BUILTIN_TIERS.items():
        config.addinivalue_line("markers", f"{name}: pyramid tier - {default.description}")
    settings = _load_settings(config)
    if settings is None:
        return
    for name, spec in settings.tiers.items():
        if name not in BUILTIN_TIERS:
            config.addinivalue_line("markers", f"{name}: pyramid tier - {spec.description}")
    config.stash[SETTINGS_KEY] = settings
    _register_parts(config, settings)


def _ini_overrides(config: pytest.Config) -> dict[str, object]:
    overrides: dict[str, object] = {}
    for key in ("verdict", "default_tier", "strict", "fail_fast"):
        value = config.getini(f"pyramid_{key}")
        if value in (None, "", []):
            continue
        if key in ("strict", "fail_fast"):
            text = str(value).strip().lower()
            if text not in _INI_BOOL:
                raise pytest.UsageError(
                    f"{config.inipath}: pyramid_{key} = {value!r}: expected true or false"
                )
            overrides[key] = _INI_BOOL[text]
        else:
            overrides[key] = str(value)
    return overrides


def _cli_given(config: pytest.Config) -> bool:
    return any(
        config.getoption(name)
        for name in (
            "pyramid_tier",
            "pyramid_fail_fast",
            "pyramid_verdict",
            "pyramid_explain",
            "pyramid_enable",
        )
    )


def _load_settings(config: pytest.Config) -> Settings | None:
    inipath = config.inipath
    pyproject = (
        inipath
        if inipath is not None and inipath.name == "pyproject.toml"
        else config.rootpath / "pyproject.toml"
    )
    try:
        table = read_pyproject_table(pyproject)
        overrides = _ini_overrides(config)
        if table is None and not overrides and not _cli_given(config):
            return None
        return parse_settings(table or {}, str(pyproject), config.rootpath, overrides)
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-pyramid: {exc}") from None


def _register_parts(config: pytest.Config, settings: Settings) -> None:
    from pytest_pyramid.session import PyramidSession

    try:
        selected = settings.resolve_selection(config.getoption("pyramid_tier") or "all")
    except ValueError as exc:
        raise pytest.UsageError(f"pytest-pyramid: {exc}") from None
    verdict_option = config.getoption("pyramid_verdict")
    verdict_path = (
        Path(config.invocation_params.dir, verdict_option)
        if verdict_option
        else config.rootpath / settings.verdict
    )
    if verdict_path.is_dir():
        origin = "--pyramid-verdict" if verdict_option else f"{settings.source}: verdict"
        raise pytest.UsageError(
            f"pytest-pyramid: {origin} = {str(verdict_path)!r} is a directory, not a file"
        )
    fail_fast = bool(config.getoption("pyramid_fail_fast")) or settings.fail_fast
    owner = PyramidSession(
        config,
        settings,
        selected,
        verdict_path=verdict_path.resolve(),
        explain=bool(config.getoption("pyramid_explain")),
        fail_fast=fail_fast,
    )
    config.pluginmanager.register(owner, "pyramid-session")
    if owner.limits.enforced and hasattr(signal, "SIGALRM"):
        from pytest_pyramid.timer import SignalTimer

        config.pluginmanager.register(SignalTimer(), "pyramid-timer")
    from pytest_pyramid.cov.plugin import register_coverage

    try:  # coverage switches contexts in every process, workers included
        register_coverage(config, settings)
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-pyramid: {exc}") from None

    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        sync_dir = workerinput.get("pyramid_sync_dir")
        if sync_dir:
            from pytest_pyramid.distributed import WorkerBarrier, WorkerSkip

            barrier = WorkerBarrier(owner, Path(sync_dir))
            config.pluginmanager.register(barrier, "pyramid-barrier")
            config.pluginmanager.register(WorkerSkip(barrier), "pyramid-barrier-skip")
        return
    if owner.distributed:
        from pytest_pyramid.distributed import ControllerHooks

        config.pluginmanager.register(ControllerHooks(owner), "pyramid-controller")
    elif fail_fast:
        from pytest_pyramid.session import SerialFailFast

        config.pluginmanager.register(SerialFailFast(owner), "pyramid-fail-fast")
    _register_gate_parts(config, settings)


def _register_gate_parts(config: pytest.Config, settings: Settings) -> None:
    """The gate engine judges on the controller (or the serial process) only."""
    from pytest_pyramid.github import StepSummary, step_summary_path

    summary_path = step_summary_path()
    if summary_path is not None:
        config.pluginmanager.register(StepSummary(summary_path), "pyramid-github")
    from pytest_pyramid.gates.engine import GateEngine

    try:
        engine = GateEngine.from_settings(
            settings, risk_base=config.getoption("pyramid_diff_base")
        )
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-pyramid: {exc}") from None
    config.pluginmanager.register(engine, "pyramid-gates")


@pytest.fixture
def pyramid_metric(request: pytest.FixtureRequest) -> Callable[..., None]:
    """Record a named number for the verdict: ``pyramid_metric("api.p95_ms", 123.4)``.

    Samples travel with the test's reports (also from xdist workers) and are judged by
    ``[tool.pyramid.thresholds]``; extra keyword arguments become string tags.
    """
    from pytest_pyramid.metrics import record_metric

    def record(name: str, value: float, **tags: str) -> None:
        record_metric(request.node, name, value, **tags)

    return record
