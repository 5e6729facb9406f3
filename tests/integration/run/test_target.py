"""``--pyramid-target=URL``: the fixtures resolve to a real server started here, the verdict
names the target run (never ``ready``, from any source) and says what the run itself found
(``verified`` / ``failed``), serial and under ``-n 2``."""

from __future__ import annotations

import http.server
import threading
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.cli import main as pyramid
from pytest_pyramid.verdict.decision import target_outcome
from tests.git_repo import commit, git
from tests.integration.run.test_closed_world import BASE

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.conftest import MakeProject, ReadVerdict

MODES = [pytest.param((), id="serial"), pytest.param(("-n", "2"), id="xdist")]

CONFIG = """
[tool.pyramid.tiers.unit]
paths = ["tests/unit"]
[tool.pyramid.tiers.smoke]
paths = ["tests/smoke"]
"""
FILES = {
    "conftest.py": """
        import pytest
        pytest_plugins = ["pytest_pyramid.toolkits.plugin"]

        @pytest.fixture(scope="session")
        def pyramid_live_server_app():
            raise AssertionError("a target run starts no server of its own")
    """,
    "tests/smoke/test_smoke.py": """
        import urllib.request

        def get(url):
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, response.read().decode()

        def test_health(pyramid_live_server):
            assert get(pyramid_live_server.url + "/health") == (200, "ok")

        def test_order(pyramid_live_server, base_url):
            assert base_url == pyramid_live_server.url
            assert get(base_url + "/order") == (200, "ok")

        def test_two_more(pyramid_live_server):
            assert pyramid_live_server.kind == "target"

        def test_three(pyramid_live_server):
            assert pyramid_live_server.url.startswith("http://127.0.0.1:")
    """,
}


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 500 if self.path in self.server.broken else 200  # type: ignore[attr-defined]
        body = b"ok" if status == 200 else b"broken"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[http.server.ThreadingHTTPServer]:
    """A real HTTP server on a kernel-chosen port: /order answers 500 when listed broken."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.broken = set()  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=30)


def url(httpd: http.server.ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{httpd.server_address[1]}"


@pytest.fixture
def project(pytester: pytest.Pytester, make_project: MakeProject) -> pytest.Pytester:
    # a shard's partial is a run output, like the verdict; so are pytester's subprocess folders
    gitignore = BASE[".gitignore"] + "pyramid-partial-*\n.pyramid/\n/runpytest-*/\n"
    make_project(CONFIG, **{**BASE, **FILES, ".gitignore": gitignore})
    git(pytester.path, "init", "-q")
    commit(pytester.path)
    return pytester


def targets(verdict: dict[str, Any]) -> list[str]:
    return [p["message"] for p in verdict["completeness"] if p["kind"] == "target_run"]


@pytest.mark.parametrize("mode", MODES)
def test_a_passing_target_run_is_verified_and_never_ready(
    project: pytest.Pytester, server: http.server.ThreadingHTTPServer, read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    result = project.runpytest_subprocess(*mode, "--pyramid-tier=smoke",
                                          f"--pyramid-target={url(server)}/")
    result.assert_outcomes(passed=4)
    verdict = read_verdict()
    assert verdict["decision"] == "incomplete"
    assert [url(server) in m for m in targets(verdict)] == [True], verdict["reasons"]
    assert verdict["run"]["invocation"]["target"] == url(server)
    found = target_outcome(verdict)
    assert (found.outcome, found.target) == ("verified", url(server)), found.reasons
    # coverage was not the code under test: never a failure of the target run
    assert all(g["status"] != "fail" for g in verdict["gates"])


@pytest.mark.parametrize("mode", MODES)
def test_a_failing_target_run_is_failed(
    project: pytest.Pytester, server: http.server.ThreadingHTTPServer, read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    server.broken.add("/order")  # type: ignore[attr-defined]
    result = project.runpytest_subprocess(*mode, "--pyramid-tier=smoke",
                                          f"--pyramid-target={url(server)}")
    result.assert_outcomes(passed=3, failed=1)
    verdict = read_verdict()
    assert verdict["decision"] == "blocked"
    found = target_outcome(verdict)
    assert found.outcome == "failed"
    assert any("tests.pass_rate" in reason for reason in found.reasons)


def test_a_target_in_the_project_s_own_tracked_configuration_is_still_never_ready(
    pytester: pytest.Pytester, make_project: MakeProject,
    server: http.server.ThreadingHTTPServer, read_verdict: ReadVerdict,
) -> None:
    make_project(CONFIG, ini=f'pyramid_target = "{url(server)}"', **{**BASE, **FILES})
    git(pytester.path, "init", "-q")
    commit(pytester.path)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=5)
    verdict = read_verdict()
    assert verdict["decision"] == "incomplete"
    assert len(targets(verdict)) == 1
    assert verdict["reasons"] == targets(verdict)
    found = target_outcome(verdict)
    assert found.outcome == "verified", found.reasons


def test_an_ordinary_run_is_no_target_run(
    project: pytest.Pytester, read_verdict: ReadVerdict,
) -> None:
    project.runpytest_subprocess("--pyramid-tier=unit").assert_outcomes(passed=1)
    verdict = read_verdict()
    assert targets(verdict) == []
    assert target_outcome(verdict).outcome == "unverified"


@pytest.mark.parametrize(("value", "why"), [
    ("ftp://127.0.0.1:1", "expected http://HOST"),
    ("http://127.0.0.1:8080/shop", "without a path"),
    ("http://user:pw@127.0.0.1:1", "credentials"),
    ("http://127.0.0.1:99999", "not a URL"),
])
def test_a_bad_target_stops_the_run_naming_it(
    project: pytest.Pytester, value: str, why: str,
) -> None:
    result = project.runpytest_subprocess(f"--pyramid-target={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--pyramid-target = {value!r}*{why}*"])
    assert "Traceback" not in result.stderr.str()


def test_sharded_target_runs_merge_to_a_target_run(
    project: pytest.Pytester, server: http.server.ThreadingHTTPServer, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """The merge judges each shard's recorded invocation again: the target stays named."""
    monkeypatch.chdir(project.path)
    for index in (1, 2):
        result = project.runpytest_subprocess(f"--pyramid-shard={index}/2",
                                              f"--pyramid-target={url(server)}")
        assert "INTERNALERROR" not in result.stdout.str()
    capsys.readouterr()
    pyramid(["merge", "--run-id", "target", "."])
    assert "Traceback" not in capsys.readouterr().err
    verdict = read_verdict()
    assert verdict["decision"] == "incomplete"
    assert [url(server) in m for m in targets(verdict)] == [True], verdict["reasons"]
