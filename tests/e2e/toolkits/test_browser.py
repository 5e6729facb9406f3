"""Launch defaults (pure tables) and real Chromium runs through pytest-playwright."""

from __future__ import annotations

import functools
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.toolkits.browser import (
    CHROMIUM_ARGS,
    CHROMIUM_ENV,
    BrowserError,
    browser_environment,
    default_chromium,
    default_page_name,
    page_load_ms,
    playwright_chromium_installed,
    with_launch_defaults,
)
from tests.conftest import BROWSER_ADDOPTS

if TYPE_CHECKING:
    from tests.conftest import MakeProject, ReadVerdict

SYSTEM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not os.access(SYSTEM, os.X_OK) and not os.environ.get(CHROMIUM_ENV),
    reason="no Chromium here (apt install chromium, or set PYRAMID_CHROMIUM)",
)
BUNDLED = "/pw/chromium-1255/chrome-linux64/chrome"


@pytest.mark.parametrize(
    ("executable", "existing", "expected"),
    [
        (BUNDLED, {BUNDLED}, True),
        (BUNDLED, {"/pw/chromium_headless_shell-1255"}, True),  # playwright install --only-shell
        (BUNDLED, {"/pw/chromium_headless_shell-1100"}, False),  # another revision's shell
        (BUNDLED, set(), False),
        ("/opt/chrome/chrome", set(), False),
        (None, set(), False),
    ],
)
def test_playwright_chromium_installed(
    executable: str | None, existing: set[str], expected: bool
) -> None:
    exists = lambda path: str(path) in existing  # noqa: E731
    assert playwright_chromium_installed(executable, exists=exists) is expected


@pytest.mark.parametrize(
    ("env", "bundled", "existing", "expected"),
    [
        ({CHROMIUM_ENV: "/env/chrome"}, True, {"/env/chrome", SYSTEM}, "/env/chrome"),
        ({}, True, {SYSTEM}, None),  # Playwright's own build
        ({}, False, {SYSTEM, "/usr/bin/chromium-browser"}, SYSTEM),
        ({}, False, {"/usr/bin/chromium-browser"}, "/usr/bin/chromium-browser"),
        ({CHROMIUM_ENV: ""}, False, set(), None),  # nothing: Playwright says what to install
    ],
)
def test_default_chromium_order(
    env: dict[str, str], bundled: bool, existing: set[str], expected: str | None
) -> None:
    chosen = default_chromium(
        environ=env, bundled_installed=bundled, is_executable=existing.__contains__
    )
    assert chosen == expected


def test_a_named_browser_that_is_missing_is_an_error() -> None:
    # Falling through to another browser would test with something nobody asked for.
    with pytest.raises(BrowserError, match=r"^\$PYRAMID_CHROMIUM = '/missing': not an exec"):
        default_chromium(
            environ={CHROMIUM_ENV: "/missing"}, bundled_installed=True,
            is_executable={SYSTEM}.__contains__,
        )


ENV = {"HOME": "/tmp/profile/home"}
OURS = {"executable_path": SYSTEM, "args": list(CHROMIUM_ARGS), "env": ENV}


@pytest.mark.parametrize(
    ("browser", "given", "expected"),
    [
        ("chromium", {}, OURS),
        ("chromium", {"headless": False}, {**OURS, "headless": False}),
        # the user's args first, ours added once
        ("chromium", {"args": ["--lang=de", "--no-sandbox"]},
         {**OURS, "args": ["--lang=de", "--no-sandbox"]
          + [a for a in CHROMIUM_ARGS if a != "--no-sandbox"]}),
        # a binary the user chose is left alone, with their args as they are
        ("chromium", {"channel": "chrome"}, {"channel": "chrome", "env": ENV}),
        ("chromium", {"executable_path": "/opt/c", "args": ["--x"]},
         {"executable_path": "/opt/c", "args": ["--x"], "env": ENV}),
        ("chromium", {"env": {"HOME": "/mine"}}, {**OURS, "env": {"HOME": "/mine"}}),
        ("firefox", {}, {"env": ENV}),
    ],
)
def test_launch_defaults_never_replace_what_the_user_set(
    browser: str, given: dict[str, Any], expected: dict[str, Any]
) -> None:
    def chromium() -> str:
        assert browser == "chromium"
        assert not {"channel", "executable_path"} & set(given)
        return SYSTEM

    def environment() -> dict[str, str]:
        assert "env" not in given
        return dict(ENV)

    merged = with_launch_defaults(
        given, browser_name=browser, chromium=chromium, environment=environment
    )
    assert merged == expected


def test_launch_defaults_without_a_chromium_leave_it_to_playwright() -> None:
    merged = with_launch_defaults(
        {"args": ["--x"]}, browser_name="chromium", chromium=lambda: None,
        environment=lambda: dict(ENV),
    )
    assert merged == {"args": ["--x"], "env": ENV}


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


def test_browser_environment_keeps_chromium_out_of_home(tmp_path: Path) -> None:
    env = browser_environment(tmp_path / "profile", {"PATH": "/bin", "HOME": "/root"})
    assert env["PATH"] == "/bin"
    for key in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"):
        assert Path(env[key]).is_dir()
        assert Path(env[key]).is_relative_to(tmp_path / "profile")


# --- through pytest-playwright ----------------------------------------------------------------


@pytest.fixture
def make_project(make_project: MakeProject) -> MakeProject:
    """These projects' tests use pytest-playwright's fixtures: it stays loaded."""
    return functools.partial(make_project, lean=BROWSER_ADDOPTS)

#: Prints the launch options a test got, without launching anything.
DUMP_LAUNCH_ARGS = """
    import json
    import pytest

    def dump(options):
        shown = {k: v for k, v in options.items() if k != "env"}
        shown["home"] = options["env"]["HOME"]
        print("LAUNCH-ARGS", json.dumps(shown, sort_keys=True))

    def test_default(browser_type_launch_args):
        dump(browser_type_launch_args)

    @pytest.mark.parametrize(
        "browser_type_launch_args", [{"executable_path": "/opt/c", "args": ["--x"]}],
        indirect=True,
    )
    def test_indirect(browser_type_launch_args):
        dump(browser_type_launch_args)
"""


def _launch_args(result: pytest.RunResult) -> list[dict[str, Any]]:
    prefix = "LAUNCH-ARGS "
    return [json.loads(line.split(prefix, 1)[1]) for line in result.outlines if prefix in line]


def test_launch_options_from_the_command_line_and_the_user_win(
    pytester: pytest.Pytester, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CHROMIUM_ENV, SYSTEM if os.access(SYSTEM, os.X_OK) else "/bin/sh")
    chosen = os.environ[CHROMIUM_ENV]
    make_project(**{"tests/test_args.py": DUMP_LAUNCH_ARGS})
    plugin = ("-p", "pytest_pyramid.toolkits.plugin", "-s")

    default, indirect = _launch_args(pytester.runpytest_subprocess(*plugin, "--headed"))
    assert default["executable_path"] == chosen
    assert default["args"] == list(CHROMIUM_ARGS)
    assert default["headless"] is False  # pytest-playwright's own option still applies
    assert Path(default["home"]).name == "home"
    assert not Path(default["home"]).exists()  # the temp HOME is gone after the session
    assert {k: indirect[k] for k in ("executable_path", "args")} == {
        "executable_path": "/opt/c", "args": ["--x"]
    }

    default, _ = _launch_args(
        pytester.runpytest_subprocess(*plugin, "--browser-channel", "chrome")
    )
    assert default["channel"] == "chrome"
    assert "executable_path" not in default
    assert "args" not in default

    # A user's own override builds on ours (and could drop any of it).
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def browser_type_launch_args(browser_type_launch_args):
            return {**browser_type_launch_args, "args": ["--mine"], "slow_mo": 5}
        """
    )
    default, _ = _launch_args(pytester.runpytest_subprocess(*plugin))
    assert default["args"] == ["--mine"]
    assert default["slow_mo"] == 5
    assert default["executable_path"] == chosen


def test_no_launch_defaults_for_a_remote_browser(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(
        **{
            "conftest.py": """
                import pytest

                @pytest.fixture(scope="session")
                def connect_options():
                    return {"ws_endpoint": "ws://127.0.0.1:9/playwright"}
            """,
            "tests/test_args.py": """
                def test_remote(browser_type_launch_args):
                    assert browser_type_launch_args == {}
            """,
        }
    )
    result = pytester.runpytest_subprocess("-p", "pytest_pyramid.toolkits.plugin")
    result.assert_outcomes(passed=1)


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
    def pyramid_live_server_app():
        return app

    @pytest.fixture(scope="session")
    def base_url(pyramid_live_server):
        return pyramid_live_server.url
"""

PAGE_TESTS = """
    import os
    import pytest

    def note(tmp_path_factory, browser, name):
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        root = tmp_path_factory.getbasetemp().parent
        (root / f"browser-{worker}-{name}").write_text(str(id(browser)))

    def test_home_then_order(pyramid_page, browser, tmp_path_factory):
        note(tmp_path_factory, browser, "order")
        pyramid_page.goto("/", name="home")
        assert pyramid_page.title() == "Home"
        pyramid_page.click("#go")
        pyramid_page.wait_for_url("**/orders/7")
        pyramid_page.record_navigation()
        assert [name for name, _ in pyramid_page.loads] == ["home", "/orders/{id}"]

    @pytest.mark.parametrize("n", range(2))
    def test_home(pyramid_page, browser, tmp_path_factory, n):
        note(tmp_path_factory, browser, f"home{n}")
        pyramid_page.goto("/", name="home")
        assert pyramid_page.page.title() == "Home"

    def test_order_page_is_wrong(pyramid_page, browser, tmp_path_factory):
        note(tmp_path_factory, browser, "wrong")
        pyramid_page.goto("/orders/7", name="order")
        assert pyramid_page.title() == "Receipt"
"""


@needs_chromium
def test_pages_record_load_times_and_failures_leave_screenshots(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = pytester.path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    make_project(
        """
        [tool.pyramid.tiers.e2e]
        paths = ["tests/e2e"]
        """,
        ini='filterwarnings = ["error"]',
        **{"conftest.py": PAGE_APP, "tests/e2e/test_pages.py": PAGE_TESTS},
    )
    stale = pytester.path / "test-results" / "old" / "test-failed-1.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"stale")
    result = pytester.runpytest_subprocess(
        "-p", "pytest_pyramid.toolkits.plugin", "-n", "2", "--screenshot", "only-on-failure",
        "--basetemp", str(pytester.path / "bt"),
    )
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*pyramid: Playwright screenshots of failed tests*"])
    verdict = read_verdict()
    assert verdict["decision"] == "blocked"
    samples = verdict["metrics"]["e2e.page_load_ms"]["samples"]
    # the failing test's page load ("order") is discarded: only passing tests are evidence
    names = sorted(s["tags"]["page"] for s in samples)
    assert names == ["/orders/{id}", "home", "home", "home"]
    assert all(math.isfinite(s["value"]) and s["value"] >= 0 for s in samples)
    assert {s["tier"] for s in samples} == {"e2e"}
    # pytest-playwright's screenshot, listed in the verdict; the stale one is gone.
    shots = verdict["artifacts"]["screenshots"]
    folder = "test-results/tests-e2e-test-pages-py-test-order-page-is-wrong-chromium"
    assert shots == [f"{folder}/test-failed-1.png"]
    assert (pytester.path / shots[0]).read_bytes().startswith(b"\x89PNG")
    assert not stale.exists()
    # Each worker ran tests in one browser of its own (xdist's first batch is round-robin).
    browsers: dict[str, set[str]] = {}
    for path in (pytester.path / "bt").glob("browser-*"):
        browsers.setdefault(path.name.split("-")[1], set()).add(path.read_text())
    assert set(browsers) == {"gw0", "gw1"}
    assert all(len(ids) == 1 for ids in browsers.values())
    # Chromium wrote into the temp HOME the plugin gave it, not into $HOME.
    assert not (home / ".config" / "chromium").exists()


@needs_chromium
def test_a_screenshot_survives_another_worker_starting_late(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    # pytest-playwright empties --output when each xdist worker starts its first test; a
    # worker starting after another one's failure would delete that screenshot.
    make_project(
        **{
            "conftest.py": PAGE_APP + """
    import time
    from pathlib import Path

    STARTED = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(item):
        if item.name == "test_late[chromium]" and not STARTED:
            STARTED.append(item)
            deadline = time.monotonic() + 60
            while not list(Path("test-results").glob("*/*.png")):
                assert time.monotonic() < deadline, "the other worker saved no screenshot"
                time.sleep(0.05)
""",
            # e2e: a tier whose per-test timeout leaves room for the wait below
            "tests/e2e/test_fails.py": """
                def test_fails(page):
                    page.set_content("<title>x</title>")
                    assert page.title() == "y"
            """,
            "tests/e2e/test_late.py": """
                def test_late(page):
                    page.set_content("<title>x</title>")
                    assert page.title() == "x"
            """,
        }
    )
    result = pytester.runpytest_subprocess(
        "-p", "pytest_pyramid.toolkits.plugin", "-n", "2", "--dist", "loadfile",
        "--screenshot", "only-on-failure",
    )
    result.assert_outcomes(passed=1, failed=1)
    (shot,) = read_verdict()["artifacts"]["screenshots"]
    assert (pytester.path / shot).is_file()


def test_base_url_from_the_command_line_without_a_deprecation_warning(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    # pytest-playwright's own base_url fallback is an instance-method fixture, which pytest
    # 9.2 deprecates; under filterwarnings = error every test using `page` would error.
    make_project(
        ini='filterwarnings = ["error"]',
        **{
            "tests/test_url.py": """
                def test_base_url(base_url, browser_context_args):
                    assert base_url == "http://127.0.0.1:9/shop"
                    assert browser_context_args["base_url"] == base_url
            """
        },
    )
    result = pytester.runpytest_subprocess(
        "-p", "pytest_pyramid.toolkits.plugin", "--base-url", "http://127.0.0.1:9/shop"
    )
    result.assert_outcomes(passed=1)


def test_missing_named_browser_fails_the_e2e_test_clearly(
    pytester: pytest.Pytester, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CHROMIUM_ENV, str(pytester.path / "no-such-chrome"))
    make_project(**{"tests/test_p.py": "def test_p(pyramid_page):\n    pass\n"})
    result = pytester.runpytest_subprocess("-p", "pytest_pyramid.toolkits.plugin")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*BrowserError: $PYRAMID_CHROMIUM = '*no-such-chrome': not an*"])


def test_pyramid_page_without_pytest_playwright_says_what_to_install(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(**{"tests/test_p.py": "def test_p(pyramid_page):\n    pass\n"})
    result = pytester.runpytest_subprocess(
        "-p", "pytest_pyramid.toolkits.plugin", "-p", "no:playwright"
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*pyramid_page is built on pytest-playwright*[[]e2e[]]*"])
