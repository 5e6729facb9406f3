"""End-to-end tests in Chromium through Playwright, with page-load timing as metrics.

The browser is found without a download: an explicit path, then ``$PYRAMID_CHROMIUM``,
then the system Chromium, then Playwright's own build. It runs headless with a throwaway
profile (HOME and the XDG directories point into a temp dir, so nothing lands in ~).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    from pathlib import Path

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
PAGE_LOAD_METRIC = "e2e.page_load_ms"
#: Resolves once the load event has finished, with the last navigation's timing entry.
NAVIGATION_TIMING_JS = """() => {
  const entries = performance.getEntriesByType('navigation');
  const entry = entries[entries.length - 1];
  return entry && entry.loadEventEnd > 0 ? entry.toJSON() : null;
}"""

Recorder = Callable[[str, float, Mapping[str, str]], None]


class BrowserError(PyramidError):
    """No usable browser, or a browser that would not start."""


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_chromium(
    explicit: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    candidates: Iterable[str] = SYSTEM_CHROMIUMS,
    is_executable: Callable[[str], bool] = _is_executable,
) -> str | None:
    """The Chromium executable to launch, or None for Playwright's bundled browser.

    An explicit path or ``$PYRAMID_CHROMIUM`` that does not exist is an error, never a
    silent fall-through to another browser.
    """
    env = os.environ if environ is None else environ
    settings = (("explicit setting", explicit), (f"${CHROMIUM_ENV}", env.get(CHROMIUM_ENV)))
    for source, value in settings:
        if value:
            if not is_executable(value):
                raise BrowserError(f"{source} = {value!r}: not an executable file")
            return value
    for candidate in candidates:
        if is_executable(candidate):
            return candidate
    return None


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


def launch_chromium(
    playwright: Any,
    *,
    executable: str | None,
    profile_dir: Path,
    headless: bool = True,
    extra_args: Iterable[str] = (),
) -> Any:
    """Launch Chromium through a started ``sync_playwright()`` object."""
    options: dict[str, Any] = {
        "headless": headless,
        "args": [*CHROMIUM_ARGS, *extra_args],
        "env": browser_environment(profile_dir),
    }
    if executable:
        options["executable_path"] = executable
    try:
        return playwright.chromium.launch(**options)
    except Exception as exc:
        where = executable or "Playwright's bundled Chromium"
        raise BrowserError(
            f"cannot launch {where}: {exc}\nSet ${CHROMIUM_ENV} to a Chromium executable,"
            " install the system package (apt install chromium) or run"
            " `playwright install chromium`."
        ) from exc


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


def screenshot_name(nodeid: str) -> str:
    """A file name for a test's screenshot that is safe on every filesystem."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", nodeid).strip("_")
    return (cleaned[:150] or "test") + ".png"


class TimedPage:
    """A Playwright page whose navigations record ``e2e.page_load_ms`` (tag ``page``).

    Every Playwright ``Page`` attribute is available directly (``pyramid_page.fill(...)``);
    ``goto`` takes a path relative to ``base_url`` and a ``name`` for the metric tag.
    """

    def __init__(self, page: Any, *, base_url: str | None, record: Recorder) -> None:
        self._page = page
        self._base_url = base_url
        self._record = record
        #: (page name, milliseconds) of every navigation recorded so far.
        self.loads: list[tuple[str, float]] = []

    @property
    def page(self) -> Any:
        """The underlying Playwright ``Page``."""
        return self._page

    def url_for(self, url: str) -> str:
        if self._base_url and not urlsplit(url).scheme:
            return urljoin(self._base_url.rstrip("/") + "/", url.lstrip("/"))
        return url

    def goto(self, url: str, *, name: str | None = None, **options: Any) -> Any:
        """Navigate, wait for the load event, and record how long the page took."""
        options.setdefault("wait_until", "load")
        response = self._page.goto(self.url_for(url), **options)
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
