"""Browser discovery (pure tables) and real Chromium runs through the plugin's fixtures."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.toolkits.browser import (
    CHROMIUM_ENV,
    BrowserError,
    browser_environment,
    default_page_name,
    find_chromium,
    page_load_ms,
    screenshot_name,
)

if TYPE_CHECKING:
    from tests.conftest import MakeProject, ReadVerdict

SYSTEM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not os.access(SYSTEM, os.X_OK) and not os.environ.get(CHROMIUM_ENV),
    reason="no Chromium here (apt install chromium, or set PYRAMID_CHROMIUM)",
)


@pytest.mark.parametrize(
    ("explicit", "env", "existing", "expected"),
    [
        ("/opt/chrome", {CHROMIUM_ENV: "/env/chrome"}, {"/opt/chrome", SYSTEM}, "/opt/chrome"),
        (None, {CHROMIUM_ENV: "/env/chrome"}, {"/env/chrome", SYSTEM}, "/env/chrome"),
        (None, {}, {SYSTEM, "/usr/bin/chromium-browser"}, SYSTEM),
        (None, {}, {"/usr/bin/chromium-browser"}, "/usr/bin/chromium-browser"),
        (None, {CHROMIUM_ENV: ""}, set(), None),  # Playwright's own build
    ],
)
def test_find_chromium_order(
    explicit: str | None, env: dict[str, str], existing: set[str], expected: str | None
) -> None:
    assert find_chromium(explicit, environ=env, is_executable=existing.__contains__) == expected


@pytest.mark.parametrize(
    ("explicit", "env", "source"),
    [
        ("/missing/chrome", {}, "explicit setting = '/missing/chrome'"),
        (None, {CHROMIUM_ENV: "/missing/env"}, "$PYRAMID_CHROMIUM = '/missing/env'"),
    ],
)
def test_a_named_browser_that_is_missing_is_an_error(
    explicit: str | None, env: dict[str, str], source: str
) -> None:
    # Falling through to another browser would test with something nobody asked for.
    with pytest.raises(BrowserError, match=f"^{source.replace('$', '[$]')}: not an executable"):
        find_chromium(explicit, environ=env, is_executable={SYSTEM}.__contains__)


@pytest.mark.parametrize(
    ("timing", "expected"),
    [
        ({"startTime": 0, "loadEventEnd": 123.5}, 123.5),
        ({"startTime": 10, "loadEventEnd": 60}, 50.0),
        ({"startTime": 0, "loadEventEnd": 0}, None),  # load event not finished
        ({}, None),
    ],
)
def test_page_load_ms(timing: dict[str, float], expected: float | None) -> None:
    assert page_load_ms(timing) == expected


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("http://127.0.0.1:8000/", "/"),
        ("http://127.0.0.1:8000", "/"),
        ("http://h/orders/42", "/orders/{id}"),
        ("http://h/orders/42/lines/7?x=1", "/orders/{id}/lines/{id}"),
        ("http://h/v2/items", "/v2/items"),
    ],
)
def test_default_page_name(url: str, name: str) -> None:
    assert default_page_name(url) == name


@pytest.mark.parametrize(
    ("nodeid", "name"),
    [
        ("tests/e2e/test_x.py::test_y", "tests_e2e_test_x.py_test_y.png"),
        ("t.py::test[a/b c]", "t.py_test_a_b_c.png"),
        ("::", "test.png"),
    ],
)
def test_screenshot_name(nodeid: str, name: str) -> None:
    assert screenshot_name(nodeid) == name


def test_browser_environment_keeps_chromium_out_of_home(tmp_path: Path) -> None:
    env = browser_environment(tmp_path / "profile", {"PATH": "/bin", "HOME": "/root"})
    assert env["PATH"] == "/bin"
    for key in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"):
        assert Path(env[key]).is_dir()
        assert Path(env[key]).is_relative_to(tmp_path / "profile")


PAGE_APP = """
    import pytest

    PAGES = {
        "/": b"<title>Home</title><a id='go' href='/orders/7'>go</a>",
        "/orders/7": b"<title>Order</title><h1>Order 7</h1>",
    }

    def app(environ, start_response):
        body = PAGES.get(environ["PATH_INFO"])
        if body is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"missing"]
        start_response("200 OK", [("Content-Type", "text/html")])
        return [body]

    @pytest.fixture(scope="session")
    def live_server_app():
        return app

    @pytest.fixture(scope="session")
    def pyramid_base_url(live_server):
        return live_server.url
"""


@needs_chromium
def test_pages_record_load_times_and_failures_leave_screenshots(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        """
        [tool.pyramid.tiers.e2e]
        paths = ["tests/e2e"]
        [tool.pyramid.thresholds]
        "e2e.page_load_ms" = "< 5000"
        """,
        **{
            "conftest.py": PAGE_APP,
            "tests/e2e/test_pages.py": """
                def test_home_then_order(pyramid_page):
                    pyramid_page.goto("/", name="home")
                    assert pyramid_page.title() == "Home"
                    pyramid_page.click("#go")
                    pyramid_page.wait_for_url("**/orders/7")
                    pyramid_page.record_navigation()
                    assert [name for name, _ in pyramid_page.loads] == ["home", "/orders/{id}"]

                def test_order_page_is_wrong(pyramid_page):
                    pyramid_page.goto("/orders/7", name="order")
                    assert pyramid_page.title() == "Receipt"
            """,
        },
    )
    result = pytester.runpytest_subprocess("-p", "pytest_pyramid.toolkits.plugin", "-n", "2")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*pyramid: screenshots of failed e2e tests*"])
    verdict = read_verdict()
    assert verdict["decision"] == "blocked"
    samples = verdict["metrics"]["e2e.page_load_ms"]["samples"]
    # the failing test's page load ("order") is discarded: only passing tests are evidence
    assert sorted(s["tags"]["page"] for s in samples) == ["/orders/{id}", "home"]
    assert all(0 < s["value"] < 5000 for s in samples)
    assert {s["tier"] for s in samples} == {"e2e"}
    shots = verdict["artifacts"]["screenshots"]
    name = "tests_e2e_test_pages.py_test_order_page_is_wrong.png"
    assert shots == [f".pyramid/artifacts/screenshots/{name}"]
    assert (pytester.path / shots[0]).read_bytes().startswith(b"\x89PNG")


def test_missing_named_browser_fails_the_e2e_test_clearly(
    pytester: pytest.Pytester, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CHROMIUM_ENV, str(pytester.path / "no-such-chrome"))
    make_project(**{"tests/test_p.py": "def test_p(pyramid_page):\n    pass\n"})
    result = pytester.runpytest_subprocess("-p", "pytest_pyramid.toolkits.plugin")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*BrowserError: $PYRAMID_CHROMIUM = '*no-such-chrome': not an*"])
