"""pytest entry point: options, ini twins, markers, and registration of the active parts.

Without a ``[tool.pyramid]`` table, a pyramid ini option or a pyramid command-line option
the plugin only registers its markers: installing it never changes another project's run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.config import DEFAULT_VERDICT, Settings
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.foreign import problem
from pytest_pyramid.markers import OPTIONS, add_hookspecs, add_ini_options
from pytest_pyramid.run import early
from pytest_pyramid.run.filters import informational

# with the plugin, so that its STARTUP names the modules loaded before it (the environment's)
from pytest_pyramid.run.loaded import package_names
from pytest_pyramid.run.stash import (
    CHANGES_KEY,
    EXPLAINED_KEY,
    FINISHED_KEY,
    PLACEHOLDER_KEY,
    SCHEMA_PASSES_KEY,
    SETTINGS_KEY,
    STARTED_KEY,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Mapping
    from typing import Any

    from pytest_pyramid.run.session import PyramidSession
    from pytest_pyramid.run.shard import ShardSpec
    from pytest_pyramid.schema_passes import SchemaPasses
    from pytest_pyramid.verdict.reports import ReportRequest

# the other project's pytest_pyramid entry point names this module too: stop with one line
# before pluggy registers it twice (guard.py says the same when it is loaded first)
if (_problem := problem()) is not None:
    raise pytest.UsageError(_problem)

#: environment variables that must never reach code under test (a signing secret there
#: would let a test produce a validly signed verdict); the starting environment's copy never
#: holds them either (run/early.py)
SECRET_ENV = early.SECRET_ENV



def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    # once, whichever of the two entry points loads first (markers keeps them with -p no:pyramid)
    add_hookspecs(pluginmanager)


_METAVARS = {"pyramid_tier": "NAMES", "pyramid_verdict": "PATH", "pyramid_shard": "I/N|auto",
             "pyramid_durations": "PATH", "pyramid_report": "KINDS", "pyramid_history": "PATH",
             "pyramid_target": "URL"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pyramid", "pyramid tiers, budgets and release verdict")
    for option, alias, ini, text, flag in OPTIONS:
        names = [option] if alias is None else [option, alias]
        if flag:
            group.addoption(*names, dest=ini, action="store_true", default=None, help=text)
        else:
            metavar = _METAVARS.get(ini, "REV")
            group.addoption(*names, dest=ini, metavar=metavar, default=None, help=text)
    # the ini twins belong to the always-on part: a project's pyramid_* keys load without us
    add_ini_options(parser)


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
    from pytest_pyramid.project import PYPROJECT, locate

    # pytest found the rootdir walking up already: the project is the one configured there
    directory = _project_dir(config)
    found = locate(directory, upward=False)
    return (found.path, found.table) if found is not None else (directory / PYPROJECT, None)


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


def _raw_table(config: pytest.Config) -> Mapping[str, Any]:
    """The ``[tool.pyramid]`` table as written, before it is checked ({} when it cannot be
    read: the configuration's error comes at pytest_configure)."""
    try:
        return _config_file(config)[1] or {}
    except ConfigError:
        return {}


def _ini_overrides_given(config: pytest.Config) -> bool:
    return any(ini_value(config, f"pyramid_{key}") is not None for key in _INI_KEYS)


def _replace_placeholder(config: pytest.Config, reason: str) -> None:
    """Say why the run ended before judging anything, in the placeholder's place."""
    path = config.stash.get(PLACEHOLDER_KEY, None)
    if path is None or config.stash.get(FINISHED_KEY, False):
        return
    shard = _stashed_shard(config)
    with contextlib.suppress(OSError):  # the placeholder written at start says incomplete
        if shard is None:
            from pytest_pyramid.verdict.writer import write_placeholder

            write_placeholder(Path(path), reason)
        else:
            from pytest_pyramid.verdict.partial import write_placeholder_partial

            write_placeholder_partial(Path(path), shard.index, shard.total, shard.source, reason)
        config.stash[EXPLAINED_KEY] = True


def _stashed_shard(config: pytest.Config) -> ShardSpec | None:
    if "pytest_pyramid.run.sharding" not in sys.modules:
        return None  # no shard was asked for: the module was never needed
    from pytest_pyramid.run.sharding import SHARD_KEY

    return config.stash.get(SHARD_KEY, None)


def _shard(config: pytest.Config) -> ShardSpec | None:
    """The CI shard this run is (``--pyramid-shard`` or its ini twin), parsed once."""
    option = getattr(config.known_args_namespace, "pyramid_shard", None)
    ini = ini_value(config, "pyramid_shard")
    if not option and not ini:
        return None
    from pytest_pyramid.run.sharding import SHARD_KEY, shard_from_config

    spec = config.stash.get(SHARD_KEY, None)
    if spec is None:
        from pytest_pyramid.run.stash import started_environ

        # the CI's shard variables as the job set them, not as a -p plugin left them
        spec = shard_from_config(option, ini, started_environ(config), str(config.inipath))
        if spec is not None:
            config.stash[SHARD_KEY] = spec
    return spec


def _partial_placeholder_now(path: Path, shard: ShardSpec) -> None:
    from pytest_pyramid.verdict.document import utc_now_iso
    from pytest_pyramid.verdict.partial import write_placeholder_partial

    write_placeholder_partial(
        path, shard.index, shard.total, shard.source,
        f"the shard that writes this partial started at {utc_now_iso()} and has not finished "
        "(still running, or it stopped: see its output)",
    )


def _shard_replaces_verdict(path: Path, shard: ShardSpec) -> None:
    from pytest_pyramid.verdict.document import utc_now_iso
    from pytest_pyramid.verdict.writer import write_placeholder

    write_placeholder(
        path,
        f"CI shard {shard.index}/{shard.total} ran here at {utc_now_iso()}: a shard judges "
        "nothing, the verdict comes from `pyramid merge` of every shard's partial",
    )


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
    from pytest_pyramid.run.stash import ENVIRON_KEY

    # the environment the process started with, before any of the project's code ran: a -p
    # plugin (imported at pytest's pre-parse, before this hook) or a conftest that sets a
    # variable at import is not the job's environment (hostile cases 254, 296)
    config.stash[ENVIRON_KEY] = _starting_environ()
    from pytest_pyramid.run.stash import TOP_BEFORE_KEY

    # what the tools loaded before the project's first code (run/distributions.py)
    config.stash[TOP_BEFORE_KEY] = frozenset(name for name in sys.modules if "." not in name)
    # Every process writes it, xdist workers included (an environment variable is no proof of
    # being one): a worker starts during the controller's run, always before its verdict.
    if not informational(config.known_args_namespace):
        found = _early_verdict_path(config)
        if found is not None:
            path, origin = found
            if path.is_dir():
                raise pytest.UsageError(
                    f"pytest-pyramid: {origin} = {str(path)!r} is a directory, not a file"
                )
            shard = _shard(config)
            try:
                if shard is None:
                    _placeholder_now(path)
                else:  # a shard writes no verdict: its partial stands in for it
                    from pytest_pyramid.verdict.partial import partial_path

                    if path.is_file():  # an older verdict here no longer speaks for the tree
                        _shard_replaces_verdict(path, shard)
                    path = partial_path(path, shard.index, shard.total)
                    _partial_placeholder_now(path, shard)
            except OSError as exc:  # say so before any test runs, not after the whole suite
                raise pytest.UsageError(
                    f"pytest-pyramid: cannot write the verdict to {path}: {exc.strerror or exc}"
                ) from None
            config.stash[PLACEHOLDER_KEY] = str(path.resolve())
            _watch_from_now(config)
    early = sys.modules.get("pytest_pyramid.run.early")  # started by the .pth line
    if early is not None and PLACEHOLDER_KEY not in config.stash:
        early.discard()  # a run that records nothing keeps nothing from its start-up
    try:
        return (yield)
    except BaseException as exc:
        _stop_watching_imports(config)  # pytest unconfigures nothing when this fails
        _replace_placeholder(
            config, f"a conftest could not be loaded: {type(exc).__name__}: {str(exc)[:300]}"
        )
        raise


def _watch_from_now(config: pytest.Config) -> None:
    """What an active run takes before the first conftest is imported: which git the
    judgement runs and with what (``run/_git.py``), the recorder, the workspace's first look
    (hostile case 294 c), and the rewrite cache's check (before the rewriter reads a cached
    module)."""
    from pytest_pyramid.run import rewrite_cache
    from pytest_pyramid.run._git import begin
    from pytest_pyramid.run.closed_world import first_look, install

    begin()
    install(config, config.rootpath)
    first_look(config, _raw_table(config))
    rewrite_cache.install()


def _starting_environ() -> dict[str, str]:
    """The run's starting environment: the copy ``run/early.py`` took at interpreter start,
    else (a process nothing watched from its start, a second run in the same process)
    ``os.environ`` now, before the first conftest. The repository's modules imported before
    then are named as unwatched (``run/closed_world.py: UNWATCHED``): what they set is not
    known."""
    started = early.claim_environ()
    return started if started is not None else dict(os.environ)


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
            _stop_watching_imports(config)
            return
        config.stash[SETTINGS_KEY] = settings
        from pytest_pyramid.toolkits.target import target_of

        target_of(config)  # a bad --pyramid-target stops the run before any test
        _register_parts(config, settings)
    except pytest.UsageError as exc:
        _replace_placeholder(config, f"the run could not start: {exc}")
        raise


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[STARTED_KEY] = True
    _save_schema_passes(session.config)


def _stop_watching_imports(config: pytest.Config) -> None:
    if "pytest_pyramid.run.closed_world" in sys.modules:  # else never installed
        from pytest_pyramid.run.closed_world import uninstall

        uninstall(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    """pytest_configure is historic (no wrappers): an error in another plugin's configure is
    seen here, as a run that wrote its placeholder and never started a session."""
    _stop_watching_imports(config)
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
        from pytest_pyramid.project import Project, ProjectFile

        # a worker's controller checked the same table before it started the worker
        checked = hasattr(config, "workerinput")
        from pytest_pyramid.run._git import tree_files

        # `source` resolved against the tree (config.py: source_path), as every stage reads it
        project = Project(ProjectFile(pyproject, table or {}), tree=tree_files)
        return project.settings_for(overrides, config.rootpath, schema_checked=checked,
                                    passes=None if checked else _schema_passes(config))
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-pyramid: {exc}") from None


#: our folder in pytest's cache (``config.cache.mkdir``): tables known to pass the schema
_CACHE_FOLDER = "pytest-pyramid"


def _schema_passes(config: pytest.Config) -> SchemaPasses:
    """Tables that passed the schema before, from pytest's cache: a table found there needs
    no jsonschema import (see ``schema_passes``). The cache plugin's configure runs after
    ours, so its folder is found as ``Cache.for_config`` finds it; ``-p no:cacheprovider``
    (no ``cache_dir`` option): no cache, every run checks."""
    from pytest_pyramid.schema_passes import SchemaPasses

    folder = None
    if config.pluginmanager.get_plugin("cacheprovider") is not None:
        with contextlib.suppress(ValueError):
            named = os.path.expandvars(os.path.expanduser(str(config.getini("cache_dir"))))
            folder = config.rootpath / named / "d" / _CACHE_FOLDER
    passes = SchemaPasses(folder)
    config.stash[SCHEMA_PASSES_KEY] = passes
    return passes


def _save_schema_passes(config: pytest.Config) -> None:
    """Once ``config.cache`` exists: its ``mkdir`` also writes the cache's ``.gitignore``."""
    passes = config.stash.get(SCHEMA_PASSES_KEY, None)
    cache = getattr(config, "cache", None)
    if passes is None or not passes.new or cache is None:
        return
    try:
        folder = cache.mkdir(_CACHE_FOLDER)
    except OSError:
        return  # an unwritable cache costs the next run a check, nothing else
    passes.save(folder)


def _register_parts(config: pytest.Config, settings: Settings) -> None:
    from pytest_pyramid.run.session import PyramidSession

    try:
        tiers = option_value(config, "pyramid_tier")
        selected = settings.resolve_selection(str(tiers or "all"), "--pyramid-tier")
    except ValueError as exc:
        raise pytest.UsageError(f"pytest-pyramid: {exc}") from None
    verdict_option = config.getoption("pyramid_verdict")
    from pytest_pyramid.project import configured_folder

    project_dir = configured_folder(settings.source)
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
    shard = _shard(config)
    target = verdict_path
    if shard is not None:
        from pytest_pyramid.verdict.partial import partial_path

        target = partial_path(verdict_path, shard.index, shard.total)
    placeholder = config.stash.get(PLACEHOLDER_KEY, None)
    writes = not hasattr(config, "workerinput") and not informational(config.option)
    if writes and placeholder != str(target.resolve()):
        # not written early (plugin loaded late), or the table named another path
        config.stash[PLACEHOLDER_KEY] = str(target.resolve())
        try:
            if shard is None:
                _placeholder_now(target)
            else:
                _partial_placeholder_now(target, shard)
        except OSError as exc:
            raise pytest.UsageError(
                f"pytest-pyramid: cannot write the verdict to {target}: "
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
    from pytest_pyramid.run.collection import facts_registry
    from pytest_pyramid.run.facts import register_facts
    from pytest_pyramid.run.refusals import RETURN_FILTERS, RefusalWatch, RefusedTests

    refused = RefusedTests()  # tests on disk pytest refused (every worker and shard ships it)
    register_facts(facts_registry(config), "refused", refused)
    config.pluginmanager.register(RefusalWatch(refused), "pyramid-refusals")
    # a test that returns its comparison threw the answer away: it fails (hostile case 301 g);
    # after the project's own filters, so none of them turns it back into a warning; unittest's
    # word for a TestCase method alike (441)
    for line in RETURN_FILTERS:
        config.addinivalue_line("filterwarnings", line)
    from pytest_pyramid.run.closed_world import ClosedWorld, install

    # installed at start-up already, unless the plugin was loaded late (-p, a conftest)
    recorder = install(config, config.rootpath)
    # its followed children report the modules of the run's source, as this process does
    recorder.send_packages(package_names(settings.source_paths, project_dir), str(project_dir))
    config.pluginmanager.register(ClosedWorld(recorder, is_worker=owner.is_worker,
                                              distributed=owner.distributed),
                                  "pyramid-closed-world")
    if shard is not None:
        _register_shard(config, owner, shard, project_dir, controller=writes)
    limits = owner.limits
    armed = limits.default is not None or limits.marks or limits.user_override
    if limits.enforced and armed and hasattr(signal, "SIGALRM"):
        from pytest_pyramid.run.timer import SignalTimer

        config.pluginmanager.register(SignalTimer(owner.timer_fired), "pyramid-timer")
    # repeats in the processes that run tests: serial, or an xdist worker
    _register_arrival(config, settings, repeats=not owner.distributed)
    from pytest_pyramid.gates.cov.plugin import register_coverage

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
    _register_gate_parts(config, settings, judged=shard is None)
    if writes:
        from pytest_pyramid.verdict.writer import VerdictWriter

        # a shard has no verdict to report on: `pyramid report` on the merged one does that
        reports = _report_request(config, verdict_path.resolve()) if shard is None else None
        writer = VerdictWriter(
            config,
            settings,
            verdict_path.resolve(),
            effective_limits=owner.limits.effective,
            config_file=_relative(Path(settings.source), project_dir),
            explain=bool(option_value(config, "pyramid_explain")),
            shard=shard,
            diff_base=_text(option_value(config, "pyramid_diff_base")),
            outputs=reports.outputs() if reports is not None else (),
        )
        config.pluginmanager.register(writer, "pyramid-verdict")
        # after the writer: its sessionfinish wrapper is inside the writer's, so it runs first
        from pytest_pyramid.gates.judging import GateJudging

        config.pluginmanager.register(GateJudging(config, settings), "pyramid-judging")
        if reports is not None:
            writer.ledger_db = reports.history
            from pytest_pyramid.verdict.session_reports import SessionReports

            config.pluginmanager.register(SessionReports(reports), "pyramid-reports")


def _register_arrival(config: pytest.Config, settings: Settings, *, repeats: bool) -> None:
    """Flaky on arrival (run/arrival.py): registered before the xdist barrier's skip, so a
    test of a tier the barrier skips is skipped before it is repeated (pluggy calls the
    later-registered of two ``tryfirst`` hooks first). ``repeats``: this process runs tests
    (serial, or an xdist worker); an xdist controller only checks that the ledger reads, so
    a bad one stops the run before any test, in one line."""
    from pytest_pyramid.run.arrival import ArrivalSettings

    arrival = ArrivalSettings.from_table(settings.raw.get("flaky"))
    if not arrival.enabled or informational(config.option):
        return
    from pytest_pyramid.run.changes import resolve_base

    try:
        found = resolve_base(settings.raw, _text(option_value(config, "pyramid_diff_base")),
                             "arrival")
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-pyramid: {exc}") from None
    seen = _ledger_seen(config)
    if found is None and seen is None:
        return  # nothing is repeated blind; the gate says why (run/arrival.arrival_status)
    if not repeats:  # the xdist controller repeats nothing
        return
    from pytest_pyramid.run.closed_world import RECORDER_KEY
    from pytest_pyramid.run.repeater import ArrivalRepeater

    repeater = ArrivalRepeater(settings, arrival, None if found is None else found[0], seen,
                               recorder=config.stash.get(RECORDER_KEY, None))
    config.pluginmanager.register(repeater, "pyramid-arrival")


def _ledger_seen(config: pytest.Config) -> frozenset[str] | None:
    """The node ids the run's flake ledger (``--pyramid-history``) holds; None without one, or
    when it holds no run yet (run/arrival.ledger_seen)."""
    named = _path_option(config, "pyramid_history", "--pyramid-history")
    if named is None:
        return None
    value, base, origin = named
    path = (base / str(value)).resolve()
    from pytest_pyramid.run.arrival import ledger_seen
    from pytest_pyramid.run.imported import unrecorded

    try:
        with unrecorded():  # the plugin's bookkeeping, not an input of the tests
            return ledger_seen(path)
    except ValueError as exc:
        raise pytest.UsageError(f"pytest-pyramid: {origin}: {exc}") from None


def _path_option(config: pytest.Config, name: str, option: str) -> tuple[object, Path, str] | None:
    """A path option's value, the folder it is relative to and where it came from: the
    command line (relative to where pytest was started), else the ini file (to the rootdir)."""
    value, base, origin = config.getoption(name, None), Path(config.invocation_params.dir), option
    if value is None:
        value, base = ini_value(config, name), config.rootpath
        origin = f"{config.inipath}: {name}"
    return None if value is None else (value, base, origin)


def _report_request(config: pytest.Config, verdict_path: Path) -> ReportRequest | None:
    """``--pyramid-report`` / ``--pyramid-history`` (or their ini twins), checked before any
    test runs. Paths on the command line are relative to where pytest was started, paths in
    the ini file to the rootdir; a report named without a path goes beside the verdict."""
    given: list[tuple[str, object, Path, str]] = []
    for name, option in (("pyramid_report", "--pyramid-report"),
                         ("pyramid_history", "--pyramid-history")):
        named = _path_option(config, name, option)
        if named is not None:
            given.append((name, *named))
    if not given:
        return None  # most runs: the reports' module (and its dataclasses) is not imported
    from pytest_pyramid.verdict.reports import ReportRequest, parse_kinds

    request = ReportRequest(junit_prefix=config.getoption("junitprefix", None))
    for name, value, base, origin in given:
        if name == "pyramid_history":
            request.history = (base / str(value)).resolve()
            if request.history.is_dir():
                raise pytest.UsageError(
                    f"pytest-pyramid: {origin} = {str(value)!r} is a directory, not a file"
                )
            continue
        try:
            kinds = parse_kinds(str(value), origin, base=base, default_dir=verdict_path.parent)
        except ValueError as exc:
            raise pytest.UsageError(f"pytest-pyramid: {exc}") from None
        for kind, target in kinds.items():
            if target.is_dir():
                raise pytest.UsageError(
                    f"pytest-pyramid: {origin}: {kind} report {str(target)!r} is a directory"
                )
            request.files[kind] = target.resolve()
    if request.history is None and not request.files:
        return None
    return request


def _relative(path: Path, start: Path) -> str:
    try:
        return path.resolve().relative_to(start).as_posix()
    except ValueError:
        return str(path)


def _register_shard(
    config: pytest.Config,
    owner: PyramidSession,
    shard: ShardSpec,
    project_dir: Path,
    *,
    controller: bool,
) -> None:
    """Every process that collects splits alike; only the controller acknowledges it."""
    from pytest_pyramid.run.sharding import (
        ShardSplit,
        durations_path,
        read_durations,
        touch_status_file,
    )

    path, origin = durations_path(
        config.getoption("pyramid_durations", None),
        ini_value(config, "pyramid_durations"),
        invocation_dir=config.invocation_params.dir,
        rootdir=config.rootpath,
        project_dir=project_dir,
    )
    from pytest_pyramid.run.imported import unrecorded

    with unrecorded():  # the plugin's bookkeeping (judged by its digest), not a test's input
        durations, digest = read_durations(path, origin)
    split = ShardSplit(owner, shard, durations, path, digest)
    config.pluginmanager.register(split, "pyramid-shard")
    if controller:
        touch_status_file(shard)


def _register_gate_parts(config: pytest.Config, settings: Settings, *, judged: bool) -> None:
    """The gate engine judges on the controller (or the serial process) only; a CI shard
    only validates the gates' configuration (``pyramid merge`` judges)."""
    from pytest_pyramid.verdict.render_github import StepSummary, step_summary_path

    summary_path = step_summary_path()
    if summary_path is not None and judged:
        config.pluginmanager.register(StepSummary(summary_path), "pyramid-github")
    from pytest_pyramid.gates.engine import GateEngine
    from pytest_pyramid.run.stash import started_environ

    try:
        engine = GateEngine.from_settings(
            settings, risk_base=_text(option_value(config, "pyramid_diff_base")),
            passes=config.stash.get(SCHEMA_PASSES_KEY, None),
            changes=config.stash.setdefault(CHANGES_KEY, {}),
            # the environment the run started with (PYRAMID_RISK_BASE ...): the gates judge
            # after the session, and a test may have left os.environ changed (hostile 206)
            environ=started_environ(config),
        )
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-pyramid: {exc}") from None
    if judged:
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
