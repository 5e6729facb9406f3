"""Fixtures of the tier toolkits (a pytest plugin; importing it loads no heavy tool).

Register with ``-p pytest_pyramid.toolkits.plugin`` or ``pytest_plugins = [...]`` in a
conftest. Servers, browsers and pact directories are per xdist worker; the controller
alone cleans stale files at session start and lists Playwright's artifacts in the verdict.

At configure time this plugin registers, when they apply:

* :mod:`~pytest_pyramid.toolkits.e2e_plugin` (pytest-playwright is active): launch defaults,
  ``pyramid_page``;
* :mod:`~pytest_pyramid.toolkits.base_url_plugin` (pytest-playwright's own ``base_url``
  fallback is active): the same fixture without pytest 9.2's deprecation warning;
* :mod:`~pytest_pyramid.toolkits.aliases` (no other plugin provides ``live_server``): the old
  ``live_server*`` names;
* :mod:`~pytest_pyramid.toolkits.services.plugin` (a selected tier uses the services:
  ``[tool.pyramid.services] tiers``): ``pyramid_postgres``, ``pyramid_redis``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.run.metrics import record_metric
from pytest_pyramid.toolkits.pairs import (
    ALIASES_PLUGIN,
    APP_PAIR,
    HEALTH_PAIR,
    default_health_path,
    follow_alias,
    missing_app,
)

if TYPE_CHECKING:
    import os

    from pytest_pyramid.run.summary import RunSummary
    from pytest_pyramid.toolkits.browser import TimedPage
    from pytest_pyramid.toolkits.contract import StateHandler, VerificationResult
    from pytest_pyramid.toolkits.live_server import LiveServer
    from pytest_pyramid.toolkits.load import LoadResult


#: Where toolkits keep files, relative to the rootdir.
STATE_DIR = ".pyramid"
PHASE_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
COLLECTOR_NAME = "pyramid-toolkit-artifacts"
#: pytest-playwright's report properties (``playwright_<kind>``) and the verdict key of each.
PLAYWRIGHT_ARTIFACTS: Mapping[str, str] = {
    "playwright_screenshot": "screenshots",
    "playwright_trace": "traces",
    "playwright_video": "videos",
}
#: A load run with too few requests to judge travels to the controller under this key.
LOAD_NOT_EVALUATED = "pyramid.load_not_evaluated"
#: Plugins known to define ``live_server`` (entry point names of pytest-django, pytest-flask).
LIVE_SERVER_PLUGINS: tuple[str, ...] = ("django", "flask")
PLAYWRIGHT_MODULE = "pytest_playwright.pytest_playwright"
#: the database fixtures' plugin (toolkits/services/plugin.py: PLUGIN_NAME)
SERVICES_PLUGIN = "pyramid-services"


def pact_dir(config: pytest.Config) -> Path:
    return config.rootpath / STATE_DIR / "pacts"


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


class ArtifactCollector:
    """Controller side: gathers what workers attached to reports, adds it to the verdict."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.artifacts: dict[str, list[str]] = {}
        self.load_not_evaluated: list[str] = []

    def _relative(self, value: object) -> str:
        # pytest-playwright reports paths relative to the invocation directory (or absolute).
        path = Path(self.config.invocation_params.dir, str(value))
        try:
            return path.relative_to(self.config.rootpath).as_posix()
        except ValueError:
            return str(path)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for key, value in report.user_properties:
            kind = PLAYWRIGHT_ARTIFACTS.get(key)
            if kind is not None:
                paths = self.artifacts.setdefault(kind, [])
                path = self._relative(value)
                if path not in paths:
                    paths.append(path)
            elif key == LOAD_NOT_EVALUATED:
                self.load_not_evaluated.append(f"{report.nodeid}: {value}")

    @pytest.hookimpl(optionalhook=True)
    def pytest_pyramid_verdict_sections(
        self, config: pytest.Config, run: RunSummary
    ) -> dict[str, object] | None:
        if not self.artifacts:
            return None
        return {"artifacts": {kind: sorted(paths) for kind, paths in self.artifacts.items()}}

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        for kind, paths in sorted(self.artifacts.items()):
            terminalreporter.write_sep("-", f"pyramid: Playwright {kind} of failed tests")
            for path in sorted(paths):
                terminalreporter.write_line(path)
        if self.load_not_evaluated:
            terminalreporter.write_sep("-", "pyramid: load runs too small to judge (no load.*)")
            for line in self.load_not_evaluated:
                terminalreporter.write_line(line)


def live_server_owner(config: pytest.Config) -> str | None:
    """The plugin that already provides ``live_server`` (pytest-django, pytest-flask ...)."""
    manager = config.pluginmanager
    for name in LIVE_SERVER_PLUGINS:
        if manager.has_plugin(name):
            return name
    for plugin in manager.get_plugins():
        try:
            found = getattr(plugin, "live_server", None) is not None
        except Exception:  # an exotic plugin object; it cannot be a fixture module
            found = False
        if found:
            return manager.get_name(plugin) or repr(plugin)
    return None


def playwright_active(config: pytest.Config) -> bool:
    module = sys.modules.get(PLAYWRIGHT_MODULE)
    return module is not None and config.pluginmanager.is_registered(module)


def pytest_configure(config: pytest.Config) -> None:
    manager = config.pluginmanager
    if not manager.has_plugin(COLLECTOR_NAME):
        manager.register(ArtifactCollector(config), COLLECTOR_NAME)
    if playwright_active(config):
        from pytest_pyramid.toolkits import base_url_plugin, e2e_plugin

        if not manager.has_plugin(e2e_plugin.PLUGIN_NAME):
            manager.register(e2e_plugin, e2e_plugin.PLUGIN_NAME)
        if manager.has_plugin(base_url_plugin.PLAYWRIGHT_FALLBACK) and not manager.has_plugin(
            base_url_plugin.PLUGIN_NAME
        ):
            manager.register(base_url_plugin, base_url_plugin.PLUGIN_NAME)
    _target_base_url(config)
    from pytest_pyramid.toolkits import aliases

    if not manager.has_plugin(ALIASES_PLUGIN) and live_server_owner(config) is None:
        manager.register(aliases, ALIASES_PLUGIN)
    from pytest_pyramid.toolkits.services.selection import services_wanted

    # only when a selected tier uses them: --pyramid-tier=fast pays for no service
    if not manager.has_plugin(SERVICES_PLUGIN) and services_wanted(config):
        from pytest_pyramid.toolkits.services import plugin as services

        manager.register(services, SERVICES_PLUGIN)


#: pytest-base-url's plugin name: its ``base_url`` fixture reads the ``base_url`` option
BASE_URL_PLUGIN = "base_url"


def _target_base_url(config: pytest.Config) -> None:
    """In a target run ``base_url`` is the target, whichever plugin defines the fixture."""
    from pytest_pyramid.toolkits import base_url_plugin
    from pytest_pyramid.toolkits.target import target_of

    target = target_of(config)
    if target is None:
        return
    manager = config.pluginmanager
    if manager.has_plugin(BASE_URL_PLUGIN):
        config.option.base_url = target.url
    elif not manager.has_plugin(base_url_plugin.PLUGIN_NAME):
        manager.register(base_url_plugin, base_url_plugin.PLUGIN_NAME)


def pytest_sessionstart(session: pytest.Session) -> None:
    # The controller's sessionstart runs before xdist starts any worker, so files cleaned
    # here cannot be ones this run's workers already wrote.
    # Only directories under .pyramid/, which belong to this plugin, are touched.
    if _is_worker(session.config):
        return
    from pytest_pyramid.toolkits.contract import clear_pacts

    clear_pacts(pact_dir(session.config))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash.setdefault(PHASE_REPORTS, {})[report.when] = report
    return report


def _call_passed(node: pytest.Item) -> bool:
    call = node.stash.get(PHASE_REPORTS, {}).get("call")
    return call is not None and call.passed


# --- live servers -------------------------------------------------------------------------


class ServerPool:
    """Starts servers on demand and stops them all at the end of the session."""

    def __init__(self, log_dir: Path) -> None:
        self._servers: list[LiveServer] = []
        self._log_dir = log_dir

    def __call__(self, target: Any, *, health_path: str = "/", **options: Any) -> LiveServer:
        from pytest_pyramid.toolkits.live_server import serve

        if isinstance(target, (list, tuple)) and "log_path" not in options:
            self._log_dir.mkdir(parents=True, exist_ok=True)
            options["log_path"] = self._log_dir / f"server-{len(self._servers)}.log"
        server = serve(target, health_path=health_path, **options)
        self._servers.append(server)
        return server

    def stop_all(self) -> None:
        errors: list[BaseException] = []
        while self._servers:
            try:
                self._servers.pop().stop()
            except Exception as exc:  # stop the others anyway
                errors.append(exc)
        if errors:
            raise errors[0]


@pytest.fixture(scope="session")
def pyramid_serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    """``pyramid_serve(app_or_argv, health_path="/", ...) -> LiveServer``, stopped at the end."""
    pool = ServerPool(tmp_path_factory.mktemp("servers"))
    yield pool
    pool.stop_all()


def _aliases_active(config: pytest.Config) -> bool:
    return config.pluginmanager.has_plugin(ALIASES_PLUGIN)


@pytest.fixture(scope="session")
def pyramid_live_server_app(request: pytest.FixtureRequest) -> Any:
    """Override in a conftest: the ASGI/WSGI app (or command list) ``pyramid_live_server``
    serves. (Where the ``live_server*`` aliases are active, ``live_server_app`` works too.)"""
    if _aliases_active(request.config):
        return follow_alias(request, APP_PAIR, "live_server_app", missing_app)
    return missing_app()


@pytest.fixture(scope="session")
def pyramid_live_server_health_path(request: pytest.FixtureRequest) -> str:
    """Override to change the URL path ``pyramid_live_server`` polls before handing it out."""
    if _aliases_active(request.config):
        value: str = follow_alias(
            request, HEALTH_PAIR, "live_server_health_path", default_health_path
        )
        return value
    return default_health_path()


@pytest.fixture(scope="session")
def pyramid_live_server(request: pytest.FixtureRequest, pyramid_serve: ServerPool) -> LiveServer:
    """``pyramid_live_server_app`` served on 127.0.0.1 (one server per xdist worker); in a
    target run (``--pyramid-target``) the deployed server itself: nothing is started."""
    from pytest_pyramid.toolkits.target import target_of

    target = target_of(request.config)
    if target is not None:
        from pytest_pyramid.toolkits.live_server import LiveServer

        return LiveServer(target.host, target.port, "target", lambda: None, scheme=target.scheme)
    app = request.getfixturevalue("pyramid_live_server_app")
    health_path = request.getfixturevalue("pyramid_live_server_health_path")
    return pyramid_serve(app, health_path=health_path)


# --- browser -------------------------------------------------------------------------------


@pytest.fixture
def pyramid_page() -> TimedPage:
    """pytest-playwright's ``page`` recording ``e2e.page_load_ms`` (needs pytest-playwright)."""
    # Replaced by pytest_pyramid.toolkits.e2e_plugin whenever pytest-playwright is active.
    pytest.fail(
        "pyramid_page is built on pytest-playwright, which is not active here: "
        "pip install 'pytest-pyramid-verdict[e2e]' (and do not disable it with -p no:playwright)",
        pytrace=False,
    )


# --- contracts -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pyramid_pact_dir(request: pytest.FixtureRequest) -> Path:
    """Where consumer tests write pacts (cleaned at session start by the controller)."""
    path = pact_dir(request.config)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def pyramid_pact(
    request: pytest.FixtureRequest, pyramid_pact_dir: Path
) -> Iterator[Callable[[str, str], Any]]:
    """``pyramid_pact(consumer, provider) -> Pact``; written to the pact dir if the test passes."""
    from pytest_pyramid.toolkits.contract import new_pact, write_pact

    created: list[Any] = []

    def make(consumer: str, provider: str) -> Any:
        pact = new_pact(consumer, provider)
        created.append(pact)
        return pact

    yield make
    node = request.node
    assert isinstance(node, pytest.Item)
    # A failed consumer test did not prove its interactions: keep them out of the contract.
    if _call_passed(node):
        for pact in created:
            write_pact(pact, pyramid_pact_dir)


VerifyPacts = Callable[..., "VerificationResult"]


@pytest.fixture
def pyramid_verify_pacts(request: pytest.FixtureRequest, pyramid_pact_dir: Path) -> VerifyPacts:
    """``pyramid_verify_pacts(provider, provider_url, state_handlers={...}) -> result``.

    Records ``contract.verified``, ``contract.unverified`` and ``contract.interactions``
    and fails the test with every mismatch when a pact is not honoured.
    """
    from pytest_pyramid.toolkits.contract import (
        INTERACTIONS_METRIC,
        UNVERIFIED_METRIC,
        VERIFIED_METRIC,
        ContractVerificationError,
        verify_pacts,
    )

    node = request.node
    assert isinstance(node, pytest.Item)

    def verify(
        provider: str,
        provider_url: str,
        *,
        state_handlers: Mapping[str, StateHandler] | None = None,
        teardown: bool = False,
        directory: Path | None = None,
    ) -> VerificationResult:
        __tracebackhide__ = True
        result = verify_pacts(
            provider, provider_url, directory or pyramid_pact_dir,
            state_handlers=state_handlers, teardown=teardown,
        )
        record_metric(node, VERIFIED_METRIC, result.verified, provider=provider)
        record_metric(node, UNVERIFIED_METRIC, result.unverified, provider=provider)
        record_metric(node, INTERACTIONS_METRIC, result.interactions, provider=provider)
        if not result.ok:
            raise ContractVerificationError(
                f"{result.unverified} of {len(result.pacts)} pact(s) with {provider!r} not"
                f" verified:\n{result.report()}"
            )
        return result

    return verify


# --- load ----------------------------------------------------------------------------------

RunLoad = Callable[..., "LoadResult"]


@pytest.fixture
def pyramid_load(request: pytest.FixtureRequest, tmp_path: Path) -> RunLoad:
    """``pyramid_load(locustfile, host=URL, users=10, spawn_rate=10, run_time_s=5,
    min_requests=50, **tags) -> LoadResult`` (``host`` defaults to ``--pyramid-target``).

    Runs Locust in a subprocess and records Locust's own final aggregated figures as
    ``load.p50_ms``, ``load.p95_ms``, ``load.p99_ms``, ``load.avg_ms``, ``load.error_rate``
    and ``load.rps`` with ``tags`` - unless the run made fewer than ``min_requests``
    requests: then nothing is recorded (thresholds on them are not evaluated) and the
    result and the test's report say why.
    """
    from pytest_pyramid.toolkits.load import DEFAULT_MIN_REQUESTS, METRICS, run_locust

    node = request.node
    assert isinstance(node, pytest.Item)
    runs = 0

    def run(
        locustfile: str | os.PathLike[str],
        *,
        host: str | None = None,
        users: int = 10,
        spawn_rate: float = 10,
        run_time_s: float = 5,
        min_requests: int = DEFAULT_MIN_REQUESTS,
        env: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
        extra_args: Sequence[str] = (),
        **tags: str,
    ) -> LoadResult:
        nonlocal runs
        runs += 1
        host = host or _load_host(request.config)
        result = run_locust(
            locustfile, host=host, users=users, spawn_rate=spawn_rate, run_time_s=run_time_s,
            min_requests=min_requests, workdir=tmp_path / f"locust-{runs}", env=env,
            timeout_s=timeout_s, extra_args=extra_args,
        )
        if result.not_evaluated is None:
            for metric, attribute in METRICS:
                record_metric(node, metric, getattr(result, attribute), **tags)
        else:
            node.add_report_section("call", "pyramid load", result.not_evaluated)
            node.user_properties.append((LOAD_NOT_EVALUATED, result.not_evaluated))
        return result

    return run


def _load_host(config: pytest.Config) -> str:
    from pytest_pyramid.toolkits.target import target_of

    target = target_of(config)
    if target is None:
        pytest.fail("pyramid_load needs host=URL (or a target run: --pyramid-target=URL)",
                    pytrace=False)
    return target.url
