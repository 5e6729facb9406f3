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
    DEFAULT_VERDICT,
    Settings,
    find_config,
    parse_settings,
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
    from collections.abc import Callable, Generator, Mapping
    from typing import Any

#: environment variables that must never reach code under test (a signing secret there
#: would let a test produce a validly signed verdict)
SECRET_ENV = ("PYRAMID_SIGNING_KEY",)



def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_pyramid import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


TIER_HELP = (
    "Run only these tiers and/or groups, comma-separated: fast, unit,contract, all "
    "(a partial run: its verdict is incomplete)"
)
FAIL_FAST_HELP = "Stop before the next tier once a tier has a failure (also under xdist)"
VERDICT_HELP = "Where to write the verdict JSON (default: [tool.pyramid] verdict)"
EXPLAIN_HELP = "Print every gate with its measured value, threshold, level and why"
ENABLE_HELP = "Activate pytest-pyramid even without a [tool.pyramid] table"
DIFF_BASE_HELP = "Base revision for changed-line coverage and risk (default: the config's base)"
DEFAULT_TIER_HELP = "Tier of tests with no tier marker and no path match (default: unit)"
STRICT_HELP = "A test without a tier marker or path match is an error"

#: (option, alias, ini name, help, bool?) - every option has an ini twin with the same help
OPTIONS = (
    ("--pyramid-tier", "--tier", "pyramid_tier", TIER_HELP, False),
    ("--pyramid-fail-fast", "--tier-fail-fast", "pyramid_fail_fast", FAIL_FAST_HELP, True),
    ("--pyramid-verdict", None, "pyramid_verdict", VERDICT_HELP, False),
    ("--pyramid-explain", None, "pyramid_explain", EXPLAIN_HELP, True),
    ("--pyramid", None, "pyramid_enable", ENABLE_HELP, True),
    ("--pyramid-diff-base", None, "pyramid_diff_base", DIFF_BASE_HELP, False),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pyramid", "pyramid tiers, budgets and release verdict")
    for option, alias, ini, text, flag in OPTIONS:
        names = [option] if alias is None else [option, alias]
        if flag:
            group.addoption(*names, dest=ini, action="store_true", default=None, help=text)
        else:
            metavar = {"pyramid_tier": "NAMES", "pyramid_verdict": "PATH"}.get(ini, "REV")
            group.addoption(*names, dest=ini, metavar=metavar, default=None, help=text)
        if flag:
            parser.addini(ini, text, type="bool", default=None)
        else:
            parser.addini(ini, text, type="string", default=None)
    parser.addini("pyramid_default_tier", DEFAULT_TIER_HELP, default=None)
    parser.addini("pyramid_strict", STRICT_HELP, type="bool", default=None)


def option_value(config: pytest.Config, name: str) -> object:
    """The command line's value of a pyramid option, else its ini twin's (None: neither)."""
    value = config.getoption(name, None)
    if value is not None:
        return value
    return ini_value(config, name)


def ini_value(config: pytest.Config, name: str) -> object:
    try:
        value = config.getini(name)
    except (pytest.UsageError, ValueError) as exc:  # pytest's message lacks the key
        raise pytest.UsageError(f"pytest-pyramid: {config.inipath}: {name}: {exc}") from None
    return None if value in ("", []) else value


def _project_dir(config: pytest.Config) -> Path:
    inipath = config.inipath
    if inipath is not None and inipath.name == "pyproject.toml":
        return inipath.parent
    return config.rootpath


def _config_file(config: pytest.Config) -> tuple[Path, Mapping[str, Any] | None]:
    """The project's configuration: ``[tool.pyramid]`` in pyproject.toml, else a standalone
    ``pyramid.toml`` beside it (setup.cfg / tox.ini projects); the table is None when
    neither exists."""
    directory = _project_dir(config)
    found = find_config(directory)
    return found if found is not None else (directory / "pyproject.toml", None)


def _early_verdict_path(config: pytest.Config) -> tuple[Path, str] | None:
    """Where this run's verdict goes (and what said so), known before the configuration is
    validated; None when the plugin is not active in this project."""
    namespace = config.known_args_namespace
    option = getattr(namespace, "pyramid_verdict", None)
    try:
        source, table = _config_file(config)
    except ConfigError:
        # invalid TOML, or both files: still a pyramid project, and the error comes later
        source, table = _project_dir(config) / "pyproject.toml", {}
    ini = ini_value(config, "pyramid_verdict")
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
    return source.parent / named, f"{source}: verdict"


def _ini_overrides_given(config: pytest.Config) -> bool:
    return any(ini_value(config, f"pyramid_{key}") is not None for key in _INI_KEYS)


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
    from pytest_pyramid import markers

    if not config.pluginmanager.has_plugin(markers.PLUGIN_NAME):
        # loaded without its entry points (PYTEST_DISABLE_PLUGIN_AUTOLOAD, -p pytest_pyramid...)
        markers.pytest_configure(config)
    try:
        settings = _load_settings(config)
        if settings is None:
            return
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


#: ini options that mirror [tool.pyramid] keys (the ini wins over the table)
_INI_KEYS = ("verdict", "default_tier", "strict", "fail_fast")
_CLI_DESTS = tuple(ini for _, _, ini, _, _ in OPTIONS)


def _ini_overrides(config: pytest.Config) -> dict[str, object]:
    overrides: dict[str, object] = {}
    for key in _INI_KEYS:
        value = ini_value(config, f"pyramid_{key}")
        if value is not None:
            overrides[key] = value if isinstance(value, bool) else str(value)
    return overrides


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _cli_given(config: pytest.Config) -> bool:
    return any(option_value(config, name) for name in _CLI_DESTS)


def _load_settings(config: pytest.Config) -> Settings | None:
    try:
        pyproject, table = _config_file(config)
        overrides = _ini_overrides(config)
        if table is None and not overrides and not _cli_given(config):
            return None
        # a worker's controller checked the same table before it started the worker
        checked = hasattr(config, "workerinput")
        return parse_settings(
            table or {}, str(pyproject), config.rootpath, overrides, schema_checked=checked
        )
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-pyramid: {exc}") from None


def _register_parts(config: pytest.Config, settings: Settings) -> None:
    from pytest_pyramid.run.session import PyramidSession

    try:
        tiers = option_value(config, "pyramid_tier")
        selected = settings.resolve_selection(str(tiers or "all"), "--pyramid-tier")
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
    fail_fast = bool(option_value(config, "pyramid_fail_fast")) or settings.fail_fast
    owner = PyramidSession(
        config,
        settings,
        selected,
        fail_fast=fail_fast,
        project_dir=project_dir,
    )
    config.pluginmanager.register(owner, "pyramid-session")
    from pytest_pyramid.run.session import LateMarkers

    config.pluginmanager.register(LateMarkers(owner), "pyramid-late-markers")
    limits = owner.limits
    armed = limits.default is not None or limits.marks or limits.user_override
    if limits.enforced and armed and hasattr(signal, "SIGALRM"):
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
            explain=bool(option_value(config, "pyramid_explain")),
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
            settings, risk_base=_text(option_value(config, "pyramid_diff_base"))
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
