"""pytest-playwright glue, registered by the toolkit plugin when pytest-playwright is active.

Registered from ``pytest_configure``, so it comes after pytest-playwright (an entry point)
and its fixtures override pytest-playwright's, while a user's conftest still overrides ours.
Each override asks for the fixture it replaces and only adds to it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.run.metrics import record_metric

if TYPE_CHECKING:
    from pytest_pyramid.toolkits.browser import TimedPage

PLUGIN_NAME = "pyramid-e2e"


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.fixture(scope="session")
def browser_type_launch_args(
    request: pytest.FixtureRequest,
    browser_type_launch_args: dict[str, Any],
    browser_type: Any,
    connect_options: dict[str, Any] | None,
) -> Iterator[dict[str, Any]]:
    """pytest-playwright's launch options, plus a Chromium that runs here and a temp HOME.

    Without ``executable_path`` or ``channel`` (``--browser-channel``), Chromium is
    ``$PYRAMID_CHROMIUM``, else Playwright's own build when installed, else the system
    Chromium (``/usr/bin/chromium``) with headless-in-a-container flags. Without ``env``, the
    browser's HOME and XDG directories point into a temp dir, removed after the session.
    Nothing is added for a remote browser (``connect_options``): paths of this machine
    mean nothing there.
    """
    from pytest_pyramid.toolkits.browser import (
        browser_environment,
        default_chromium,
        playwright_chromium_installed,
        with_launch_defaults,
    )

    options = dict(browser_type_launch_args)
    # An indirect parametrisation reaches this, the outermost definition, not the one it
    # overrides: apply it here as pytest-playwright would.
    param = getattr(request, "param", None)
    if param is not None:
        if not isinstance(param, Mapping):
            raise pytest.UsageError(
                "browser_type_launch_args expects a mapping of launch options, "
                f"got {type(param).__name__}: {param!r}"
            )
        options.update(param)
    if connect_options:
        yield options
        return
    # Not tmp_path_factory: its paths are too long for the unix sockets Chromium creates.
    profile: Path | None = None

    def environment() -> dict[str, str]:
        nonlocal profile
        profile = Path(tempfile.mkdtemp(prefix="pyramid-browser-"))
        return browser_environment(profile)

    try:
        yield with_launch_defaults(
            options,
            browser_name=browser_type.name,
            chromium=lambda: default_chromium(
                environ=os.environ,
                bundled_installed=playwright_chromium_installed(browser_type.executable_path),
            ),
            environment=environment,
        )
    finally:
        if profile is not None:
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def delete_output_dir() -> None:
    """Replaces pytest-playwright's: the controller already emptied ``--output``.

    pytest-playwright empties ``--output`` from every xdist worker when that worker starts
    its first test, which can delete screenshots another worker already saved.
    """


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if _is_worker(config) or config.option.collectonly:
        return
    # Before any worker starts, so nothing of this run can be deleted.
    output = Path(config.getoption("--output"))
    if output.is_dir():
        shutil.rmtree(output, ignore_errors=True)


@pytest.fixture
def pyramid_page(request: pytest.FixtureRequest, page: Any) -> TimedPage:
    """pytest-playwright's ``page``, whose navigations record ``e2e.page_load_ms``."""
    from pytest_pyramid.toolkits.browser import TimedPage

    node = request.node
    assert isinstance(node, pytest.Item)

    def record(name: str, value: float, tags: Mapping[str, str]) -> None:
        record_metric(node, name, value, **tags)

    return TimedPage(page, record=record)
