"""End-to-end tests on pytest-playwright, with page-load timing as metrics.

pytest-playwright owns the browser (``page``, ``browser``, ``--browser-channel``,
``--screenshot``, ``--output``, ``base_url``). What is ours is small and pure, here:

* the launch defaults: when Playwright's own Chromium is not installed, the system Chromium
  (or ``$PYRAMID_CHROMIUM``) with flags that let it run headless as root in a container, and
  HOME/XDG directories in a throwaway directory, because Chromium writes into ``$HOME``;
* :class:`TimedPage`, a wrapper over a Playwright page that records ``e2e.page_load_ms``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_pyramid.errors import PyramidError

CHROMIUM_ENV = "PYRAMID_CHROMIUM"
SYSTEM_CHROMIUMS: tuple[str, ...] = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",  # containers and root CI users have no usable sandbox
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",  # loopback-only traffic in tests
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
)
#: Launch options that choose the browser binary; a user who sets one keeps it.
BINARY_OPTIONS: tuple[str, ...] = ("executable_path", "channel")
PAGE_LOAD_METRIC = "e2e.page_load_ms"
#: Resolves once the load event has finished, with the last navigation's timing entry.
NAVIGATION_TIMING_JS = """() => {
  const entries = performance.getEntriesByType('navigation');
  const entry = entries[entries.length - 1];
  return entry && entry.loadEventEnd > 0 ? entry.toJSON() : null;
}"""

Recorder = Callable[[str, float, Mapping[str, str]], None]


class BrowserError(PyramidError):
    """A browser named by the user that does not exist."""


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def playwright_chromium_installed(
    executable_path: str | None, *, exists: Callable[[Path], bool] = Path.exists
) -> bool:
    """Whether ``playwright install chromium`` (or ``--only-shell``) put a browser in place.

    ``executable_path`` is Playwright's ``browser_type.executable_path`` (the full Chromium,
    ``<root>/chromium-<rev>/chrome-linux64/chrome``). Headless launches may use the headless
    shell instead, installed next to it as ``<root>/chromium_headless_shell-<rev>/``.
    """
    if not executable_path:
        return False
    path = Path(executable_path)
    if exists(path):
        return True
    for parent in path.parents:
        name, sep, revision = parent.name.rpartition("-")
        if sep and name == "chromium":
            return exists(parent.with_name(f"chromium_headless_shell-{revision}"))
    return False


def default_chromium(
    *,
    environ: Mapping[str, str],
    bundled_installed: bool,
    candidates: Iterable[str] = SYSTEM_CHROMIUMS,
    is_executable: Callable[[str], bool] = _is_executable,
) -> str | None:
    """The Chromium to launch when the user chose none; None leaves it to Playwright.

    ``$PYRAMID_CHROMIUM`` first (an error when it is not an executable: testing with a
    browser nobody asked for is worse than stopping), then Playwright's own build when it
    is installed, then the system Chromium.
    """
    named = environ.get(CHROMIUM_ENV)
    if named:
        if not is_executable(named):
            raise BrowserError(f"${CHROMIUM_ENV} = {named!r}: not an executable file")
        return named
    if bundled_installed:
        return None
    return next((c for c in candidates if is_executable(c)), None)


def browser_environment(profile_dir: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The browser's environment: the caller's, with every home-like directory in a temp dir.

    Keep ``profile_dir`` short: Chromium puts unix sockets below these directories, and a
    socket path may not exceed 107 bytes (pytest's tmp_path often does).
    """
    env = dict(os.environ if base is None else base)
    for key, sub in (
        ("HOME", "home"),
        ("XDG_CONFIG_HOME", "home/.config"),
        ("XDG_CACHE_HOME", "home/.cache"),
        ("XDG_DATA_HOME", "home/.local/share"),
        ("XDG_RUNTIME_DIR", "runtime"),
    ):
        path = profile_dir / sub
        path.mkdir(parents=True, exist_ok=True)
        env[key] = str(path)
    (profile_dir / "runtime").chmod(0o700)
    return env


def with_launch_defaults(
    options: Mapping[str, Any],
    *,
    browser_name: str,
    chromium: Callable[[], str | None],
    environment: Callable[[], dict[str, str]],
) -> dict[str, Any]:
    """pytest-playwright's launch options plus ours, never replacing what the user set.

    * Chromium without ``executable_path`` or ``channel`` (``--browser-channel``): the
      executable ``chromium()`` picks, with :data:`CHROMIUM_ARGS` added to the user's args;
    * any browser without ``env``: ``environment()`` (HOME and XDG dirs in a temp dir).

    The callables run only when their option is actually filled in.
    """
    merged = dict(options)
    if browser_name == "chromium" and not any(merged.get(key) for key in BINARY_OPTIONS):
        executable = chromium()
        if executable:
            merged["executable_path"] = executable
            args = list(merged.get("args") or ())
            merged["args"] = args + [flag for flag in CHROMIUM_ARGS if flag not in args]
    if merged.get("env") is None:
        merged["env"] = environment()
    return merged


def page_load_ms(timing: Mapping[str, Any]) -> float | None:
    """Milliseconds from navigation start to the end of the load event (None if unfinished)."""
    start = float(timing.get("startTime", 0.0) or 0.0)
    end = float(timing.get("loadEventEnd", 0.0) or 0.0)
    if end <= 0:
        return None
    return max(0.0, end - start)


def default_page_name(url: str) -> str:
    """A metric tag for a URL: its path, with numeric segments folded to ``{id}``."""
    path = urlsplit(url).path or "/"
    return re.sub(r"/\d+(?=/|$)", "/{id}", path)


class TimedPage:
    """A Playwright page whose navigations record ``e2e.page_load_ms`` (tag ``page``).

    Every Playwright ``Page`` attribute is available directly (``pyramid_page.fill(...)``);
    ``goto`` takes a ``name`` for the metric tag. Relative URLs resolve against the
    context's ``base_url`` (pytest-playwright's ``base_url`` fixture).
    """

    def __init__(self, page: Any, *, record: Recorder) -> None:
        self._page = page
        self._record = record
        #: (page name, milliseconds) of every navigation recorded so far.
        self.loads: list[tuple[str, float]] = []

    @property
    def page(self) -> Any:
        """The underlying Playwright ``Page`` (pytest-playwright's ``page`` fixture)."""
        return self._page

    def goto(self, url: str, *, name: str | None = None, **options: Any) -> Any:
        """Navigate, wait for the load event, and record how long the page took."""
        options.setdefault("wait_until", "load")
        response = self._page.goto(url, **options)
        self.record_navigation(name)
        return response

    def record_navigation(self, name: str | None = None, *, timeout_ms: float = 30_000) -> float:
        """Record the current document's load time (e.g. after a click navigated)."""
        handle = self._page.wait_for_function(NAVIGATION_TIMING_JS, timeout=timeout_ms)
        timing = handle.json_value()
        value = page_load_ms(timing) if isinstance(timing, dict) else None
        if value is None:  # wait_for_function only resolves on a finished load event
            raise BrowserError(f"no navigation timing for {self._page.url}")
        page = name or default_page_name(self._page.url)
        self.loads.append((page, value))
        self._record(PAGE_LOAD_METRIC, value, {"page": page})
        return value

    def __getattr__(self, name: str) -> Any:
        return getattr(self._page, name)
