"""pytest side of the coverage gates: switch contexts per tier, judge on the controller.

Measurement is pytest-cov's (``--cov``): it starts coverage in every xdist worker, and its
``pytest_runtestloop`` wrapper stops, saves and combines every process's data *before*
``pytest_sessionfinish``, so the combined data is ready whenever the core asks for gates.
This plugin only adds a dynamic context per tier (one ``switch_context`` per tier change)
and reads the combined data at the end.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from pytest_pyramid.gates.cov.config import CoverageSettings, parse_coverage_settings
from pytest_pyramid.gates.cov.sources import path_filter, resolve_sources
from pytest_pyramid.gates.cov.warning import PyramidWarning
from pytest_pyramid.run.stash import CHANGES_KEY, TIER_KEY

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Mapping

    from coverage import Coverage

    from pytest_pyramid.gates.cov.gates import CoverageReport, CoverageState
    from pytest_pyramid.results import GateResult
    from pytest_pyramid.run.summary import RunSummary

#: fixtures set up once for many tiers: their setup is recorded as the run's, not a tier's
_SHARED_SCOPES = frozenset({"session", "package"})
SHARED_FIXTURES_NAME = "pyramid-coverage-shared-fixtures"
#: the name of an xdist worker's coverage data file, in ``workeroutput``
DATA_KEY = "pyramid_cov_data_file"
#: The name this plugin is registered under.
PLUGIN_NAME = "pyramid-coverage"
#: The command-line option the core adds (``--pyramid-diff-base=REV``), read defensively.
DIFF_BASE_DEST = "pyramid_diff_base"
DIFF_BASE_HELP = (
    "git revision to compute changed-line coverage against (merge-base with HEAD); "
    "overrides [tool.pyramid.coverage] base"
)


class SettingsLike(Protocol):
    """The parts of the core's ``Settings`` this plugin reads."""

    @property
    def source(self) -> str: ...
    @property
    def raw(self) -> Mapping[str, Any]: ...
    @property
    def tier_names(self) -> tuple[str, ...]: ...
    @property
    def source_paths(self) -> tuple[str, ...]: ...


#: why the coverage gates are not judged in a run under ``coverage run -m pytest``
COVERAGE_RUN = (
    "this run is measured by `coverage run`, which pytest-pyramid does not judge: its data "
    "is saved only when the process exits (after the verdict), it may hold earlier runs' "
    "data (-a, parallel files) and, under xdist, misses the workers; pytest-cov measures "
    "exactly this run in every process and by tier: run `pytest --cov=<source>` instead"
)


def _pytest_cov(config: pytest.Config) -> Any | None:
    """pytest-cov's plugin object when it measures this run, else None."""
    plugin = config.pluginmanager.get_plugin("_cov")
    if plugin is None or getattr(plugin, "_disabled", False):
        return None
    return plugin


def _data_file_name(config: pytest.Config) -> str | None:
    """The name of the data file this process's coverage writes (pytest-cov's)."""
    plugin = _pytest_cov(config)
    cov = getattr(getattr(plugin, "cov_controller", None), "cov", None)
    if cov is None:
        return None
    try:
        return os.path.basename(str(cov.get_data().data_filename()))
    except Exception:  # coverage's own failure: then no file is this process's
        return None


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _current_coverage() -> Coverage | None:
    try:
        from coverage import Coverage
    except ImportError:
        return None
    return Coverage.current()


def _switch(context: str) -> bool:
    """Switch the running coverage's dynamic context ("" is the run's own, untiered)."""
    cov = _current_coverage()
    if cov is None:  # paused by pytest-cov's no_cover, or stopped by the test suite
        return False
    from coverage.exceptions import CoverageException, CoverageWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CoverageWarning)
            cov.switch_context(context)
    except CoverageException:
        return False
    return True


def context_problem(cov: Coverage) -> str | None:
    """Why this coverage instance cannot record the plugin's per-tier contexts, or None."""
    dynamic = getattr(cov.config, "dynamic_context", None)
    if dynamic and dynamic != "none":
        return (
            f"the coverage configuration sets dynamic_context = {dynamic}, which overrides the "
            "per-tier contexts; remove it (pytest-cov's --cov-context=test gives per-test "
            "contexts that pytest-pyramid can map to tiers)"
        )
    core = getattr(cov, "_core", None)
    if core is not None and not getattr(core, "supports_dynamic_contexts", True):
        name = getattr(getattr(core, "tracer_class", None), "__name__", "sysmon")
        return (
            f"the coverage core in use ({name}, e.g. core = 'sysmon', the default on Python "
            "3.14+) cannot record dynamic contexts, so per-tier coverage is unavailable; set "
            'COVERAGE_CORE=ctrace or [run] core = "ctrace"'
        )
    return None


def warn_once(config: pytest.Config, message: str) -> None:
    """A warning in pytest's summary; a clean usage error if the user's filters make it one.

    ``issue_config_time_warning`` applies the user's ``filterwarnings``; under ``error``
    the warning is raised, which from ``pytest_sessionstart`` would be an INTERNALERROR.
    """
    try:
        config.issue_config_time_warning(PyramidWarning(message), stacklevel=2)
    except PyramidWarning as exc:
        raise pytest.UsageError(str(exc)) from None


class CoveragePlugin:
    """Registered in every process (serial, controller, workers) when coverage is wanted."""

    def __init__(self, settings: CoverageSettings, rootdir: Path) -> None:
        self.settings = settings
        self.rootdir = rootdir
        self._switching = False
        self._tier: str | None = None
        self._problem: str | None = None
        self._report: CoverageReport | None = None
        self._untiered = ""  # set when switching starts (the module loads only then)
        #: data files of earlier runs found (and removed) before this run measured anything
        self._foreign: list[str] = []
        #: the names of the data files the xdist workers of this run wrote
        self._workers_data: set[str] = set()
        #: data files that appeared during the run, written by none of them
        self._strangers: list[str] = []

    @classmethod
    def from_settings(cls, settings: SettingsLike, config: pytest.Config) -> CoveragePlugin:
        """Parse the coverage settings now, so a bad value stops the run at start-up."""
        cli_base = config.getoption(DIFF_BASE_DEST, None)
        if cli_base is None:  # the option's ini twin
            try:
                cli_base = config.getini(DIFF_BASE_DEST) or None
            except ValueError:  # not registered: the core plugin is not loaded
                cli_base = None
        parsed = parse_coverage_settings(
            settings.raw,
            settings.source,
            settings.tier_names,
            source_paths=settings.source_paths,
            cli_base=cli_base if isinstance(cli_base, str) else None,
        )
        return cls(parsed, Path(str(config.rootpath)))

    def wanted(self, config: pytest.Config) -> bool:
        """Worth registering: something to judge, or coverage is measured anyway."""
        return (
            self.settings.has_thresholds
            or self.settings.base is not None
            or _pytest_cov(config) is not None
        )

    # -- every process -------------------------------------------------------------

    @pytest.hookimpl(trylast=True)  # after pytest-cov started coverage in its sessionstart
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        config = session.config
        cov = _current_coverage()
        test_contexts = config.getoption("cov_context", None) == "test"
        if cov is None or _pytest_cov(config) is None:
            # Nothing to switch. Not warned about: a local run without --cov is routine, and
            # the coverage gates already say "not measured" with the way out. Under
            # `coverage run` (no pytest-cov) the measurement is the user's own: left untouched.
            return
        self._problem = context_problem(cov)
        if not _is_worker(config):
            self._foreign = self._erase_foreign_data(cov, config)
        self._switching = self._problem is None and not test_contexts
        if self._switching:
            from pytest_pyramid.gates.cov.measure import UNTIERED_CONTEXT

            self._untiered = UNTIERED_CONTEXT
            # registered only when contexts are switched: no fixture hook otherwise
            config.pluginmanager.register(SharedFixtureContext(self), SHARED_FIXTURES_NAME)
        if self._problem and not _is_worker(config):
            warn_once(config, f"pytest-pyramid: {self._problem}")

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        name = getattr(node, "workeroutput", {}).get(DATA_KEY)
        if isinstance(name, str):
            self._workers_data.add(name)

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:  # saved by now (pytest-cov's runtestloop wrapper)
            name = _data_file_name(session.config)
            if name is not None:
                workeroutput[DATA_KEY] = name

    @pytest.hookimpl(wrapper=True, trylast=True)  # inside pytest-cov's: before it combines
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        try:
            return (yield)
        finally:
            if not _is_worker(session.config):
                self._strangers = self._stranger_data(session.config)

    def _stranger_data(self, config: pytest.Config) -> list[str]:
        """Data files pytest-cov is about to combine that no process of this run wrote."""
        from pytest_pyramid.gates.cov.data_files import strangers

        plugin = _pytest_cov(config)
        controller = getattr(plugin, "cov_controller", None) if plugin is not None else None
        cov = getattr(controller, "cov", None)
        if cov is None or config.getoption("cov_append", False):
            return []
        data_file = Path(os.path.abspath(cov.config.data_file))
        names = [p.name for p in data_file.parent.glob(data_file.name + ".*")]
        own = {*self._workers_data, _data_file_name(config) or ""}
        declared = bool(os.environ.get("COVERAGE_PROCESS_START")) or "subprocess" in (
            getattr(cov.config, "patch", None) or ())
        return [str(data_file.parent / name) for name in
                strangers(names, data_file.name, own, os.getpid(), subprocesses=declared)]

    @pytest.hookimpl(tryfirst=True)  # before fixtures set up, so their lines count for the tier
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if not self._switching:
            return
        tier = item.stash.get(TIER_KEY, None) or self._untiered
        if tier == self._tier:
            return
        if _switch(tier):
            self._tier = tier

    @property
    def tier(self) -> str | None:
        """The context switched to last (None: not switched yet)."""
        return self._tier

    @staticmethod
    def _erase_foreign_data(cov: Coverage, config: pytest.Config) -> list[str]:
        """Parallel data files left by earlier runs would be combined into this run's
        figures: nothing has been measured yet, so every one of them is foreign."""
        if config.getoption("cov_append", False):
            return []  # judged as not measured instead: the user asked to fold old data in
        data_file = Path(os.path.abspath(cov.config.data_file))
        foreign = sorted(data_file.parent.glob(data_file.name + ".*"))
        removed = []
        for path in foreign:
            try:
                path.unlink()
            except OSError:
                continue
            removed.append(path.name)
        return removed

    # -- controller only (the pyramid hooks are called there, once) -----------------

    def pytest_pyramid_gates(self, config: pytest.Config, run: RunSummary) -> list[GateResult]:
        return self._evaluate(config, run).gates

    def pytest_pyramid_verdict_sections(
        self, config: pytest.Config, run: RunSummary
    ) -> dict[str, object]:
        return self._evaluate(config, run).sections

    def _evaluate(self, config: pytest.Config, run: RunSummary) -> CoverageReport:
        if self._report is None:
            from pytest_pyramid.gates.cov.gates import evaluate

            self._report = evaluate(self.settings, self.collect(config, run), run)
        return self._report

    def collect(self, config: pytest.Config, run: RunSummary) -> CoverageState:
        """Read the combined data and the git diff into a :class:`CoverageState`."""
        from pytest_pyramid.gates.cov.changed import changed_lines
        from pytest_pyramid.gates.cov.gates import CoverageState
        from pytest_pyramid.gates.cov.measure import (
            group_contexts,
            measure,
            test_context_classifier,
            tier_classifier,
        )

        mode = _mode(config)
        rootdir = str(self.rootdir)
        plugin = _pytest_cov(config)
        from pytest_pyramid.toolkits.target import target_of

        target = target_of(config)
        if target is not None:  # whatever was measured here is not the code under test
            return CoverageState(measurement=None, rootdir=rootdir, mode=mode, reason=(
                f"a target run ({target.url}): the code under test ran in the deployed "
                "server, not in this run's processes"))
        cov, reason = self._combined(config)
        if cov is None:
            return CoverageState(measurement=None, reason=reason, rootdir=rootdir, mode=mode)

        source, source_from, notes = self._source(plugin)
        keep: Callable[[str], bool] = lambda _path: True  # noqa: E731
        declared: list[str] = []
        if self.settings.coverage_source:
            dirs, files, unresolved = resolve_sources(self.settings.coverage_source, self.rootdir)
            keep = path_filter(dirs, files)
            declared = dirs
            notes.extend(
                f"{source_from} entry {entry!r} is neither a directory nor an importable package"
                for entry in unresolved
            )

        tier_reason = self._problem
        groups: dict[str, list[str]] = {}
        if tier_reason is None:
            ran = [t for t in self.settings.tier_order if run.tier_ran(t)]
            static = getattr(cov.config, "context", None) or None
            if mode == "test":
                classify = test_context_classifier({n: o.tier for n, o in run.outcomes.items()})
            else:
                classify = tier_classifier(self.settings.tier_order)
            contexts = cov.get_data().measured_contexts()
            groups = group_contexts(contexts, ran, classify, static)
        measurement = measure(cov, groups, keep=keep, declared=declared)

        changed = None
        if self.settings.base is not None:
            changed = changed_lines(self.settings.base, self.rootdir,
                                    config.stash.setdefault(CHANGES_KEY, {}))
        notes.extend(self._foreign_notes())
        return CoverageState(
            measurement=measurement,
            tier_reason=tier_reason,
            changed=changed,
            rootdir=rootdir,
            mode=mode,
            source=tuple(source),
            source_from=source_from,
            notes=tuple(notes),
        )

    def _foreign_notes(self) -> list[str]:
        if not self._foreign:
            return []
        return [
            f"removed {len(self._foreign)} coverage data file(s) of an earlier run before "
            f"measuring ({', '.join(self._foreign[:3])}): they would have been combined "
            "into this run's figures"
        ]

    def _combined(self, config: pytest.Config) -> tuple[Coverage | None, str | None]:
        """pytest-cov's combined coverage of this run, or None and why there is none."""
        plugin = _pytest_cov(config)
        controller = getattr(plugin, "cov_controller", None) if plugin is not None else None
        if controller is None:
            if _current_coverage() is not None:
                return None, COVERAGE_RUN
            why = "--no-cov was given" if config.pluginmanager.get_plugin("_cov") else "no --cov"
            return None, f"coverage was not measured ({why}): run pytest with --cov (pytest-cov)"
        if config.getoption("cov_append", False):
            return None, (
                "--cov-append folds coverage data of earlier runs into this run's "
                "figures, so they do not measure this run: run without it"
            )
        if self._strangers:
            shown = ", ".join(self._strangers[:3]) + (
                f" (+{len(self._strangers) - 3} more)" if len(self._strangers) > 3 else "")
            return None, (
                f"coverage data that no process of this run wrote appeared during the run and "
                f"would be combined into its figures: {shown}")
        cov = controller.cov
        foreign = self._foreign_config(cov) if cov is not None else None
        if foreign is None and cov is not None:
            foreign = self._variables(config, cov)
        if foreign is not None:
            return None, foreign
        combining = getattr(controller, "combining_cov", None)
        if cov is None or (combining is not None and cov is not combining):
            return None, (
                "coverage data was not combined (the run stopped before pytest-cov finished)"
            )
        return cov, None

    def export(self, config: pytest.Config, target: Path, project_dir: Path) -> dict[str, object]:
        """A CI shard's coverage: its data file (relative paths, every context kept) written
        to ``target``, and what the merge needs to judge it as an unsharded run would."""
        block: dict[str, object] = {
            "measured": False,
            "mode": _mode(config),
            "reason": None,
            "tier_reason": self._problem,
            "file": None,
            "sha256": None,
        }
        cov, reason = self._combined(config)
        if cov is None:
            block["reason"] = reason
            return block
        from pytest_pyramid.gates.cov.combine import export_data

        source, source_from, notes = self._source(_pytest_cov(config))
        sha = export_data(cov.get_data(), target, project_dir)
        config_file = getattr(cov.config, "config_file", None)
        if config_file:
            with contextlib.suppress(ValueError):  # outside the project: kept absolute
                config_file = Path(config_file).resolve().relative_to(
                    project_dir.resolve()).as_posix()
        block.update({
            "measured": True,
            "file": target.name if sha is not None else None,
            "sha256": sha,
            "static": getattr(cov.config, "context", None) or None,
            "config_file": config_file or None,
            "source": list(source),
            "source_from": source_from,
            "notes": [*notes, *self._foreign_notes()],
        })
        return block

    def _foreign_config(self, cov: Coverage) -> str | None:
        """Only the project's own coverage configuration is allowed: the file coverage.py
        finds by default in the project, tracked. Another one (``--cov-config``,
        ``COVERAGE_RCFILE``), even a tracked one, can omit or exclude the very lines a gate
        is about: its figures are not the project's."""
        from pytest_pyramid.run.filters import git_ignored

        name = getattr(cov.config, "config_file", None) or None
        own = project_coverage_config(Path(self.rootdir))
        if name is None and own is None:
            return None
        path = None if name is None else Path(os.path.realpath(name))
        if path != own:
            used = "no coverage configuration" if path is None else f"coverage configuration {path}"
            mine = ("none" if own is None else str(own))
            return (f"the run read {used}, not the project's own ({mine}, the file coverage.py "
                    "finds in the project): set by --cov-config or COVERAGE_RCFILE, its "
                    "settings (omit, exclude, source) are not the project's")
        if path is not None and git_ignored([path], self.rootdir):
            return (f"the coverage configuration {path} is ignored by git: its settings are not "
                    "part of the tested tree")
        return None

    def _variables(self, config: pytest.Config, cov: Coverage) -> str | None:
        """Variables the project's coverage configuration names, set in the environment the
        run started with or holds now (coverage read the file at the start, each xdist worker
        at its own): judged by the one function ``pyramid merge`` asks too."""
        from pytest_pyramid.gates.cov.measure import honoured_allow, variables_reason
        from pytest_pyramid.run.stash import started_environ

        settings, root = self.settings, self.rootdir
        return variables_reason(
            getattr(cov.config, "config_file", None), {**started_environ(config), **os.environ},
            root, lambda: honoured_allow(settings.allow_options, settings.source, root))

    def _source(self, plugin: Any) -> tuple[list[str], str, list[str]]:
        if self.settings.coverage_source:
            return list(self.settings.coverage_source), self.settings.coverage_source_from, []
        options = getattr(plugin, "options", None)
        cov_source = getattr(options, "cov_source", None)
        if cov_source:
            return [str(s) for s in cov_source], "--cov", []
        cov = plugin.cov_controller.cov
        configured = getattr(cov.config, "source", None) or []
        if configured:
            return [str(s) for s in configured], "coverage config", []
        return [], "", []


def _mode(config: pytest.Config) -> str:
    """``test`` (pytest-cov's ``--cov-context=test``) or ``tier`` (the plugin's contexts)."""
    return "test" if config.getoption("cov_context", None) == "test" else "tier"


class SharedFixtureContext:
    """A session (or package) fixture is set up once per process, for every tier that uses
    it, by whichever test needs it first: its setup lines are the run's, like import lines,
    not those of the tier that happened to come first (which depends on scheduling: xdist,
    CI shards)."""

    def __init__(self, owner: CoveragePlugin) -> None:
        self.owner = owner

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Generator[None, object, object]:
        if fixturedef.scope not in _SHARED_SCOPES:
            return (yield)
        switched = _switch("")
        try:
            return (yield)
        finally:
            tier = self.owner.tier
            if switched and tier is not None:
                _switch(tier)


def register_coverage(config: pytest.Config, settings: SettingsLike) -> CoveragePlugin | None:
    """Parse the coverage settings and register the plugin when it has work to do.

    Raises :class:`~pytest_pyramid.errors.ConfigError` on a bad value (the core turns it
    into a usage error). Call it from ``pytest_configure`` in every process, workers
    included: workers need it to switch contexts.
    """
    plugin = CoveragePlugin.from_settings(settings, config)
    if not plugin.wanted(config):
        return None
    if not config.pluginmanager.has_plugin(PLUGIN_NAME):
        config.pluginmanager.register(plugin, PLUGIN_NAME)
    return plugin


#: Where coverage.py looks for its configuration when none is named, in its order: a
#: ``.coveragerc`` whatever it holds, then the first file with a coverage section.
_COVERAGE_FILES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (".coveragerc", ()),
    ("setup.cfg", ("[coverage:",)),
    ("tox.ini", ("[coverage:",)),
    ("pyproject.toml", ("[tool.coverage.", "[tool.coverage]")),
)


def project_coverage_config(project: Path) -> Path | None:
    """The coverage configuration file coverage.py reads by default in ``project``."""
    for name, sections in _COVERAGE_FILES:
        path = project / name
        if not path.is_file():
            continue
        if not sections:
            return Path(os.path.realpath(path))
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if any(section in text for section in sections):
            return Path(os.path.realpath(path))
    return None
