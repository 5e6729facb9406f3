"""Live servers: real uvicorn, the stdlib WSGI server and real subprocesses on loopback."""

from __future__ import annotations

import sys
import textwrap
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.toolkits.live_server import (
    ServerError,
    is_asgi,
    probe,
    serve,
    serve_asgi,
    serve_command,
    serve_wsgi,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from tests.conftest import MakeProject, ReadVerdict


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    status = 200 if scope["path"] in ("/", "/health") else 404
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


class AsgiClassApp:
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await asgi_app(scope, receive, send)


class SyncOverride(AsgiClassApp):
    def __call__(self, environ: Any, start_response: Any) -> Any:  # type: ignore[override]
        return wsgi_app(environ, start_response)


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    status = "500 Broken" if environ["PATH_INFO"] == "/broken" else "200 OK"
    start_response(status, [("Content-Type", "text/plain")])
    return [b"ok"]


@pytest.mark.parametrize(
    ("app", "expected"),
    [
        (asgi_app, True),
        (AsgiClassApp(), True),
        (SyncOverride(), False),  # the subclass's own __call__ decides
        (wsgi_app, False),
        (object(), False),
    ],
)
def test_is_asgi(app: object, expected: bool) -> None:
    assert is_asgi(app) is expected


@pytest.mark.parametrize("app", [asgi_app, AsgiClassApp()])
def test_asgi_app_served_in_a_thread_and_stopped(app: object) -> None:
    with serve_asgi(app, health_path="/health") as server:
        assert server.kind == "asgi"
        assert server.host == "127.0.0.1"
        assert probe(server.url_for("/")) == 200
        assert probe(server.url_for("missing")) == 404
    assert probe(server.url_for("/"), timeout=0.5) is None


def test_wsgi_app_served_and_stopped() -> None:
    server = serve(wsgi_app)
    assert server.kind == "wsgi"
    assert probe(server.url + "/anything") == 200
    server.stop()
    server.stop()  # idempotent
    assert probe(server.url, timeout=0.5) is None


def test_unhealthy_app_is_an_error_naming_the_url() -> None:
    expected = r"/broken was not healthy within 0.5s \(last status 500\)"
    with pytest.raises(ServerError, match=expected):
        serve_wsgi(wsgi_app, health_path="/broken", timeout=0.5)


def test_command_server_fills_in_the_port_and_stops(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("hello")
    argv = [sys.executable, "-m", "http.server", "{port}", "--bind", "{host}"]
    server = serve_command(argv, cwd=tmp_path, log_path=tmp_path / "server.log")
    try:
        assert server.kind == "command"
        assert probe(server.url_for("/index.html")) == 200
    finally:
        server.stop()
    assert probe(server.url, timeout=0.5) is None


def test_command_that_dies_is_reported_with_its_output(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "import sys; print('cannot bind {port}'); sys.exit(3)"]
    with pytest.raises(ServerError, match=r"(?s)exit code 3; last output:\ncannot bind \d+"):
        serve_command(argv, log_path=tmp_path / "log.txt", timeout=60)


def test_bad_targets() -> None:
    with pytest.raises(ServerError, match="needs a command"):
        serve_command([])
    with pytest.raises(TypeError, match="only apply to commands"):
        serve(wsgi_app, cwd="/")
    with pytest.raises(TypeError, match="expected an ASGI/WSGI app or a command list"):
        serve(42)


def test_live_server_fixture_one_server_per_worker(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        **{
            "conftest.py": """
                import pytest

                def app(environ, start_response):
                    start_response("200 OK", [("Content-Type", "text/plain")])
                    return [b"pong"]

                @pytest.fixture(scope="session")
                def pyramid_live_server_app():
                    return app
            """,
            "tests/test_ports.py": """
                import os, urllib.request
                import pytest

                @pytest.mark.parametrize("n", range(4))
                def test_port(pyramid_live_server, n, tmp_path_factory):
                    with urllib.request.urlopen(pyramid_live_server.url, timeout=5) as response:
                        assert response.read() == b"pong"
                    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
                    root = tmp_path_factory.getbasetemp().parent
                    (root / f"port-{worker}-{n}").write_text(str(pyramid_live_server.port))
            """,
        }
    )
    result = pytester.runpytest_subprocess(
        "-p", "pytest_pyramid.toolkits.plugin", "-n", "2", "--basetemp", str(pytester.path / "bt")
    )
    result.assert_outcomes(passed=4)
    ports: dict[str, set[str]] = {}
    for path in (pytester.path / "bt").glob("port-*"):
        worker = path.name.split("-")[1]
        ports.setdefault(worker, set()).add(path.read_text())
    # xdist hands out the first batch round-robin: each worker gets two of the four tests.
    assert set(ports) == {"gw0", "gw1"}
    assert all(len(seen) == 1 for seen in ports.values())  # session-scoped per worker
    assert ports["gw0"] != ports["gw1"]
    assert read_verdict()["decision"] == "ready"


@pytest.mark.parametrize("requested", ["pyramid_live_server", "live_server"])
def test_live_server_without_an_app_says_what_to_define(
    pytester: pytest.Pytester, make_project: MakeProject, requested: str
) -> None:
    make_project(**{"tests/test_x.py": f"def test_x({requested}):\n    pass\n"})
    result = pytester.runpytest_subprocess("-p", "pytest_pyramid.toolkits.plugin", *NO_FRAMEWORKS)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*define a session-scoped `pyramid_live_server_app` fixture*"])


#: The aliases exist only without these plugins; tests of the aliases keep them out.
NO_FRAMEWORKS = ("-p", "no:django", "-p", "no:flask")

#: "/" answers 500, so a server only starts when its health path "/health" was followed.
HEALTH_APP = """
    import pytest

    def health_app(environ, start_response):
        ok = environ["PATH_INFO"] == "/health"
        start_response("200 OK" if ok else "500 Oops", [("Content-Type", "text/plain")])
        return [b"ok" if ok else b"oops"]
"""


@pytest.mark.parametrize(
    ("defined", "requested"),
    [
        # the old names in a conftest still configure the new fixture ...
        (("live_server_app", "live_server_health_path"), "pyramid_live_server"),
        # ... and the new names configure the old one
        (("pyramid_live_server_app", "pyramid_live_server_health_path"), "live_server"),
        (("live_server_app", "pyramid_live_server_health_path"), "live_server"),
    ],
)
def test_old_and_new_names_configure_the_same_server(
    pytester: pytest.Pytester, make_project: MakeProject,
    defined: tuple[str, str], requested: str,
) -> None:
    app_name, health_name = defined
    make_project(
        **{
            "conftest.py": HEALTH_APP + f"""
    @pytest.fixture(scope="session")
    def {app_name}():
        return health_app

    @pytest.fixture(scope="session")
    def {health_name}():
        return "/health"
""",
            "tests/test_x.py": f"""
                import urllib.request

                def test_requested_alone({requested}):
                    assert {requested}.url.startswith("http://127.0.0.1:")

                def test_served(pyramid_live_server, live_server,
                                live_server_app, pyramid_live_server_app,
                                live_server_health_path, pyramid_live_server_health_path):
                    assert live_server is pyramid_live_server
                    assert live_server_app is pyramid_live_server_app
                    assert live_server_health_path == pyramid_live_server_health_path == "/health"
                    with urllib.request.urlopen(live_server.url_for("/health"), timeout=5) as r:
                        assert r.read() == b"ok"
            """,
        }
    )
    result = pytester.runpytest_subprocess("-p", "pytest_pyramid.toolkits.plugin", *NO_FRAMEWORKS)
    result.assert_outcomes(passed=2)


LIVE_SERVER_PLUGIN = """
    import pytest

    @pytest.fixture
    def live_server():
        return "the framework's live server"
"""

ALIAS_CHECKS = """
    import pytest

    def test_theirs_wins(live_server):
        assert live_server == "the framework's live server"

    def test_ours_under_the_new_name(pyramid_live_server):
        assert pyramid_live_server.url.startswith("http://127.0.0.1:")

    def test_no_aliases(request):
        assert not request.config.pluginmanager.has_plugin("pyramid-live-server-aliases")
        with pytest.raises(pytest.FixtureLookupError):
            request.getfixturevalue("live_server_app")
"""


@pytest.mark.parametrize("load", ["conftest", "-p"])
def test_a_plugin_with_its_own_live_server_keeps_it(
    pytester: pytest.Pytester, make_project: MakeProject, load: str
) -> None:
    # What pytest-django and pytest-flask do: a plugin that defines `live_server`. Our
    # aliases are registered after every plugin, so they would shadow it: they stay away.
    conftest = HEALTH_APP + """
    @pytest.fixture(scope="session")
    def pyramid_live_server_app():
        return health_app

    @pytest.fixture(scope="session")
    def pyramid_live_server_health_path():
        return "/health"
"""
    args = ["-p", "pytest_pyramid.toolkits.plugin", *NO_FRAMEWORKS]
    if load == "conftest":
        conftest = 'pytest_plugins = ["framework_plugin"]\n' + textwrap.dedent(conftest)
    else:
        args += ["-p", "framework_plugin"]
    make_project(
        **{
            "framework_plugin.py": LIVE_SERVER_PLUGIN,
            "conftest.py": conftest,
            "tests/test_x.py": ALIAS_CHECKS,
        }
    )
    pytester.syspathinsert()
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=3)


def test_a_conftest_live_server_wins_over_the_alias(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(
        **{
            "conftest.py": LIVE_SERVER_PLUGIN,
            "tests/test_x.py": """
                def test_theirs(live_server):
                    assert live_server == "the framework's live server"
            """,
        }
    )
    result = pytester.runpytest_subprocess("-p", "pytest_pyramid.toolkits.plugin")
    result.assert_outcomes(passed=1)


def test_pytest_flask_keeps_its_live_server(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    # The real thing, where pytest-flask is installed (it is not part of the dev extra).
    pytest.importorskip("pytest_flask")
    make_project(
        **{
            "conftest.py": HEALTH_APP + """
    import flask

    @pytest.fixture(scope="session")
    def app():
        return flask.Flask("shop")

    @pytest.fixture(scope="session")
    def pyramid_live_server_app():
        return health_app

    @pytest.fixture(scope="session")
    def pyramid_live_server_health_path():
        return "/health"
""",
            "tests/test_x.py": """
                from pytest_flask.live_server import LiveServer as FlaskLiveServer

                def test_flask_live_server(live_server, pyramid_live_server):
                    assert isinstance(live_server, FlaskLiveServer)
                    assert pyramid_live_server.url.startswith("http://127.0.0.1:")
            """,
        }
    )
    result = pytester.runpytest_subprocess("-p", "pytest_pyramid.toolkits.plugin")
    result.assert_outcomes(passed=1)


def test_pyramid_serve_runs_commands_and_stops_them_at_session_end(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(
        **{
            "tests/test_cmd.py": """
                import sys, urllib.request

                def test_two_servers(pyramid_serve, tmp_path):
                    (tmp_path / "a.txt").write_text("A")
                    argv = [sys.executable, "-m", "http.server", "{port}", "--bind", "{host}"]
                    one = pyramid_serve(argv, cwd=tmp_path)
                    two = pyramid_serve(argv, cwd=tmp_path)
                    assert one.port != two.port
                    for server in (one, two):
                        with urllib.request.urlopen(server.url_for("a.txt"), timeout=5) as r:
                            assert r.read() == b"A"
                    (tmp_path.parent.parent / "ports").write_text(f"{one.port} {two.port}")
            """
        }
    )
    result = pytester.runpytest_subprocess(
        "-p", "pytest_pyramid.toolkits.plugin", "--basetemp", str(pytester.path / "bt")
    )
    result.assert_outcomes(passed=1)
    ports = (pytester.path / "ports").read_text().split()
    assert len(ports) == 2
    assert all(probe(f"http://127.0.0.1:{port}/", timeout=0.5) is None for port in ports)
