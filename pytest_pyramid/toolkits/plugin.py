"""Fixtures of the tier toolkits (a pytest plugin; importing it loads no heavy tool).

Register with ``-p pytest_pyramid.toolkits.plugin`` or ``pytest_plugins = [...]`` in a
conftest. Servers, browsers and pact directories are per xdist worker; the controller
alone cleans stale files at session start and lists screenshots in the verdict.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.metrics import record_metric

if TYPE_CHECKING:

    from pytest_pyramid.summary import RunSummary
    from pytest_pyramid.toolkits.browser import TimedPage
    from pytest_pyramid.toolkits.contract import StateHandler, VerificationResult
    from pytest_pyramid.toolkits.live_server import LiveServer
    from pytest_pyramid.toolkits.load import LoadResult

#: Where toolkits keep files, relative to the rootdir.
STATE_DIR = ".pyramid"
SCREENSHOT_PROPERTY = "pyramid.screenshot"
PHASE_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
COLLECTOR_NAME = "pyramid-toolkit-artifacts"


def pact_dir(config: pytest.Config) -> Path:
    return config.rootpath / STATE_DIR / "pacts"


def screenshot_dir(config: pytest.Config) -> Path:
    return config.rootpath / STATE_DIR / "artifacts" / "screenshots"


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


class ArtifactCollector:
    """Controller side: gathers what workers attached to reports, adds it to the verdict."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.screenshots: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for key, value in report.user_properties:
            if key == SCREENSHOT_PROPERTY and value not in self.screenshots:
                self.screenshots.append(str(value))

    @pytest.hookimpl(optionalhook=True)
    def pytest_pyramid_verdict_sections(
        self, config: pytest.Config, run: RunSummary
    ) -> dict[str, object] | None:
        if not self.screenshots:
            return None
        return {"artifacts": {"screenshots": sorted(self.screenshots)}}

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.screenshots:
            terminalreporter.write_sep("-", "pyramid: screenshots of failed e2e tests")
            for path in sorted(self.screenshots):
                terminalreporter.write_line(path)


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(COLLECTOR_NAME):
        config.pluginmanager.register(ArtifactCollector(config), COLLECTOR_NAME)


def pytest_sessionstart(session: pytest.Session) -> None:
    # The controller's sessionstart runs before xdist starts any worker, so files cleaned
    # here cannot be ones this run's workers already wrote.
    # Only directories under .pyramid/, which belong to this plugin, are touched.
    if _is_worker(session.config):
        return
    from pytest_pyramid.toolkits.contract import clear_pacts

    clear_pacts(pact_dir(session.config))
    shots = screenshot_dir(session.config)
    if shots.is_dir():
        for old in shots.glob("*.png"):
            old.unlink(missing_ok=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash.setdefault(PHASE_REPORTS, {})[report.when] = report
    return report


def _call_failed(node: pytest.Item) -> bool:
    reports = node.stash.get(PHASE_REPORTS, {})
    call = reports.get("call")
    return call is not None and call.failed


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


@pytest.fixture(scope="session")
def live_server_app() -> Any:
    """Override in a conftest: the ASGI/WSGI app (or command list) ``live_server`` serves."""
    raise pytest.UsageError(
        "the live_server fixture needs an app: define a session-scoped `live_server_app` "
        "fixture returning an ASGI or WSGI app (or a command list with {port})"
    )


@pytest.fixture(scope="session")
def live_server_health_path() -> str:
    """Override to change the URL path ``live_server`` polls before handing out the server."""
    return "/"


@pytest.fixture(scope="session")
def live_server(
    pyramid_serve: ServerPool, live_server_app: Any, live_server_health_path: str
) -> LiveServer:
    """``live_server_app`` served on 127.0.0.1 (one server per xdist worker)."""
    return pyramid_serve(live_server_app, health_path=live_server_health_path)


# --- browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pyramid_chromium_executable() -> str | None:
    """The Chromium to launch (None: Playwright's bundled one); override to pin a path."""
    from pytest_pyramid.toolkits.browser import find_chromium

    return find_chromium()


@pytest.fixture(scope="session")
def pyramid_browser(pyramid_chromium_executable: str | None) -> Iterator[Any]:
    """A headless Chromium (Playwright ``Browser``) for this worker."""
    import shutil
    import tempfile

    from playwright.sync_api import sync_playwright

    from pytest_pyramid.toolkits.browser import launch_chromium

    # Not tmp_path_factory: its paths are too long for the unix sockets Chromium creates.
    profile = Path(tempfile.mkdtemp(prefix="pyramid-chromium-"))
    playwright = sync_playwright().start()
    try:
        browser = launch_chromium(
            playwright, executable=pyramid_chromium_executable, profile_dir=profile
        )
        yield browser
        browser.close()
    finally:
        playwright.stop()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def pyramid_base_url() -> str | None:
    """Base URL for ``pyramid_page.goto(path)``; override (e.g. ``return live_server.url``)."""
    return None


@pytest.fixture
def pyramid_page(
    request: pytest.FixtureRequest, pyramid_browser: Any, pyramid_base_url: str | None
) -> Iterator[TimedPage]:
    """A fresh page (own context) whose navigations record ``e2e.page_load_ms``.

    When the test fails, a full-page screenshot is saved under
    ``<rootdir>/.pyramid/artifacts/screenshots/`` and listed in the verdict.
    """
    from pytest_pyramid.toolkits.browser import TimedPage, screenshot_name

    node = request.node
    assert isinstance(node, pytest.Item)

    def record(name: str, value: float, tags: Mapping[str, str]) -> None:
        record_metric(node, name, value, **tags)

    context = pyramid_browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield TimedPage(page, base_url=pyramid_base_url, record=record)
        if _call_failed(node):
            target = screenshot_dir(request.config) / screenshot_name(node.nodeid)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(target), full_page=True)
            except Exception as exc:  # a crashed page must not hide the test's own failure
                node.add_report_section("teardown", "screenshot", f"no screenshot: {exc}")
            else:
                relative = os.path.relpath(target, request.config.rootpath)
                node.user_properties.append((SCREENSHOT_PROPERTY, relative))
    finally:
        context.close()


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
    """``pyramid_load(locustfile, host=URL, users=10, spawn_rate=10, run_time_s=5, **tags)``.

    Runs Locust in a subprocess and records ``load.p50_ms``, ``load.p95_ms``,
    ``load.p99_ms``, ``load.avg_ms``, ``load.error_rate`` and ``load.rps`` with ``tags``.
    """
    from pytest_pyramid.toolkits.load import METRICS, run_locust

    node = request.node
    assert isinstance(node, pytest.Item)

    def run(
        locustfile: str | os.PathLike[str],
        *,
        host: str,
        users: int = 10,
        spawn_rate: float = 10,
        run_time_s: float = 5,
        env: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
        **tags: str,
    ) -> LoadResult:
        result = run_locust(
            locustfile, host=host, users=users, spawn_rate=spawn_rate, run_time_s=run_time_s,
            workdir=tmp_path / "locust", env=env, timeout_s=timeout_s,
        )
        for metric, attribute in METRICS:
            record_metric(node, metric, getattr(result, attribute), **tags)
        return result

    return run
