"""pytest entry point: options, ini twins, markers, and registration of the active parts.

Without a ``[tool.pyramid]`` table, a pyramid ini option or a pyramid command-line option
the plugin only registers its markers: installing it never changes another project's run.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.config import (
    BUILTIN_TIERS,
    DEFAULT_VERDICT,
    Settings,
    parse_settings,
    read_pyproject_table,
)
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.run.filters import informational
from pytest_pyramid.stash import (
    EXPLAINED_KEY,
    FINISHED_KEY,
    PLACEHOLDER_KEY,
    SETTINGS_KEY,
    STARTED_KEY,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

#: environment variables that must never reach code under test (a signing secret there
#: would let a test produce a validly signed verdict)
SECRET_ENV = ("PYRAMID_SIGNING_KEY",)

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


def _pyproject_path(config: pytest.Config) -> Path:
    inipath = config.inipath
    if inipath is not None and inipath.name == "pyproject.toml":
        return inipath
    return config.rootpath / "pyproject.toml"


def _early_verdict_path(config: pytest.Config) -> tuple[Path, str] | None:
    """Where this run's verdict goes (and what said so), known before the configuration is
    validated; None when the plugin is not active in this project."""
    namespace = config.known_args_namespace
    option = getattr(namespace, "pyramid_verdict", None)
    try:
        table = read_pyproject_table(_pyproject_path(config))
    except ConfigError:
        table = {}  # invalid TOML: still a pyramid project if it says so anywhere
    ini = config.getini("pyramid_verdict")
    cli = any(getattr(namespace, dest, None) for dest in _CLI_DESTS)
    if table is None and not ini and not cli and not _ini_overrides_given(config):
        return None
    if option:
        return Path(config.invocation_params.dir, option), "--pyramid-verdict"
    if ini:
        return config.rootpath / str(ini), f"{config.inipath}: pyramid_verdict"
    value = (table or {}).get("verdict")
    named = value if isinstance(value, str) and value.strip() else DEFAULT_VERDICT
    # relative to the file that names it, as every path in [tool.pyramid]
    pyproject = _pyproject_path(config)
    return pyproject.parent / named, f"{pyproject}: [tool.pyramid] verdict"


def _ini_overrides_given(config: pytest.Config) -> bool:
    return any(config.getini(f"pyramid_{key}") not in (None, "", []) for key in _INI_KEYS)


def _replace_placeholder(config: pytest.Config, reason: str) -> None:
    """Say why the run ended before judging anything, in the placeholder's place."""
    path = config.stash.get(PLACEHOLDER_KEY, None)
    if path is None or config.stash.get(FINISHED_KEY, False):
        return
    from pytest_pyramid.verdict.writer import write_placeholder

    with contextlib.suppress(OSError):  # the placeholder written at start says incomplete
        write_placeholder(Path(path), reason)
        config.stash[EXPLAINED_KEY] = True


def _placeholder_now(path: Path) -> None:
    from pytest_pyramid.verdict.document import utc_now_iso
    from pytest_pyramid.verdict.writer import write_placeholder

    write_placeholder(
        path,
        f"the run that writes this verdict started at {utc_now_iso()} and has not finished "
        "(still running, or it stopped before judging: see its output)",
    )


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> Generator[None, None, None]:
    """The earliest moment the verdict path is known: no older ``ready`` verdict survives a
    run that dies from here on (a conftest that does not import, a bad configuration, an
    error in another plugin's configure)."""
    for name in SECRET_ENV:
        os.environ.pop(name, None)
    config = early_config
    worker = "PYTEST_XDIST_WORKER" in os.environ  # workers: the controller wrote it already
    if not worker and not informational(config.known_args_namespace):
        found = _early_verdict_path(config)
        if found is not None:
            path, origin = found
            if path.is_dir():
                raise pytest.UsageError(
                    f"pytest-pyramid: {origin} = {str(path)!r} is a directory, not a file"
                )
            try:
                _placeholder_now(path)
            except OSError as exc:  # say so before any test runs, not after the whole suite
                raise pytest.UsageError(
                    f"pytest-pyramid: cannot write the verdict to {path}: {exc.strerror or exc}"
                ) from None
            config.stash[PLACEHOLDER_KEY] = str(path.resolve())
    try:
        return (yield)
    except BaseException as exc:
        _replace_placeholder(
            config, f"a conftest could not be loaded: {type(exc).__name__}: {str(exc)[:300]}"
        )
        raise


@pytest.hookimpl(tryfirst=True)  # before pytest-timeout's, which reads the default limit
def pytest_configure(config: pytest.Config) -> None:
    for name in SECRET_ENV:
        os.environ.pop(name, None)
    for name, default in BUILTIN_TIERS.items():
        config.addinivalue_line("markers", f"{name}: pyramid tier - {default.description}")
    try:
        settings = _load_settings(config)
        if settings is None:
            return
        for name, spec in settings.tiers.items():
            if name not in BUILTIN_TIERS:
                config.addinivalue_line("markers", f"{name}: pyramid tier - {spec.description}")
        config.stash[SETTINGS_KEY] = settings
        _register_parts(config, settings)
    except pytest.UsageError as exc:
        _replace_placeholder(config, f"the run could not start: {exc}")
        raise


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[STARTED_KEY] = True


def pytest_unconfigure(config: pytest.Config) -> None:
    """pytest_configure is historic (no wrappers): an error in another plugin's configure is
    seen here, as a run that wrote its placeholder and never started a session."""
    if config.stash.get(FINISHED_KEY, False) or config.stash.get(PLACEHOLDER_KEY, None) is None:
        return
    if config.stash.get(EXPLAINED_KEY, False):
        return  # the placeholder already says what went wrong
    if not config.stash.get(STARTED_KEY, False):
        _replace_placeholder(
            config,
            "pytest stopped before the test session started (a configuration error, or an "
            "error in a plugin's pytest_configure: see its output)",
        )


_INI_KEYS = ("verdict", "default_tier", "strict", "fail_fast")
_CLI_DESTS = (
    "pyramid_tier", "pyramid_fail_fast", "pyramid_verdict", "pyramid_explain", "pyramid_enable"
)


def _ini_overrides(config: pytest.Config) -> dict[str, object]:
    overrides: dict[str, object] = {}
    for key in _INI_KEYS:
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
    return any(config.getoption(name) for name in _CLI_DESTS)


def _load_settings(config: pytest.Config) -> Settings | None:
    pyproject = _pyproject_path(config)
    try:
        table = read_pyproject_table(pyproject)
        overrides = _ini_overrides(config)
        if table is None and not overrides and not _cli_given(config):
            return None
        return parse_settings(table or {}, str(pyproject), config.rootpath, overrides)
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-pyramid: {exc}") from None


def _register_parts(config: pytest.Config, settings: Settings) -> None:
    from pytest_pyramid.run.session import PyramidSession

    try:
        selected = settings.resolve_selection(config.getoption("pyramid_tier") or "all")
    except ValueError as exc:
        raise pytest.UsageError(f"pytest-pyramid: {exc}") from None
    verdict_option = config.getoption("pyramid_verdict")
    project_dir = Path(settings.source).resolve().parent
    verdict_path = (
        Path(config.invocation_params.dir, verdict_option)
        if verdict_option
        else project_dir / settings.verdict
    )
    if verdict_path.is_dir():
        origin = "--pyramid-verdict" if verdict_option else f"{settings.source}: verdict"
        raise pytest.UsageError(
            f"pytest-pyramid: {origin} = {str(verdict_path)!r} is a directory, not a file"
        )
    placeholder = config.stash.get(PLACEHOLDER_KEY, None)
    writes = not hasattr(config, "workerinput") and not informational(config.option)
    if writes and placeholder != str(verdict_path.resolve()):
        # not written early (plugin loaded late), or the table named another path
        config.stash[PLACEHOLDER_KEY] = str(verdict_path.resolve())
        try:
            _placeholder_now(verdict_path)
        except OSError as exc:
            raise pytest.UsageError(
                f"pytest-pyramid: cannot write the verdict to {verdict_path}: "
                f"{exc.strerror or exc}"
            ) from None
    fail_fast = bool(config.getoption("pyramid_fail_fast")) or settings.fail_fast
    owner = PyramidSession(
        config,
        settings,
        selected,
        fail_fast=fail_fast,
        project_dir=project_dir,
    )
    config.pluginmanager.register(owner, "pyramid-session")
    if owner.limits.enforced and hasattr(signal, "SIGALRM"):
        from pytest_pyramid.run.timer import SignalTimer

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
            from pytest_pyramid.run.distributed import WorkerBarrier, WorkerSkip

            barrier = WorkerBarrier(owner, Path(sync_dir))
            config.pluginmanager.register(barrier, "pyramid-barrier")
            config.pluginmanager.register(WorkerSkip(barrier), "pyramid-barrier-skip")
        return
    if owner.distributed:
        from pytest_pyramid.run.distributed import ControllerHooks

        config.pluginmanager.register(ControllerHooks(owner), "pyramid-controller")
    elif fail_fast:
        from pytest_pyramid.run.session import SerialFailFast

        config.pluginmanager.register(SerialFailFast(owner), "pyramid-fail-fast")
    _register_gate_parts(config, settings)
    if writes:
        from pytest_pyramid.verdict.writer import VerdictWriter

        writer = VerdictWriter(
            config,
            settings,
            verdict_path.resolve(),
            effective_limits=owner.limits.effective,
            config_file=_relative(Path(settings.source), project_dir),
            explain=bool(config.getoption("pyramid_explain")),
        )
        config.pluginmanager.register(writer, "pyramid-verdict")


def _relative(path: Path, start: Path) -> str:
    try:
        return path.resolve().relative_to(start).as_posix()
    except ValueError:
        return str(path)


def _register_gate_parts(config: pytest.Config, settings: Settings) -> None:
    """The gate engine judges on the controller (or the serial process) only."""
    from pytest_pyramid.verdict.render_github import StepSummary, step_summary_path

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
    from pytest_pyramid.run.metrics import record_metric

    def record(name: str, value: float, **tags: str) -> None:
        record_metric(request.node, name, value, **tags)

    return record
