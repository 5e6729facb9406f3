"""deploy/verify.py without nginx: a verify run is a real pytest subprocess against a real
HTTP server; a time-out kills its whole process group and is a failure, a run that cannot
start is unverified; the schema and the parser refuse the same verify tables."""

from __future__ import annotations

import http.server
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.config_schema import check_part
from pytest_pyramid.deploy.config import VerifySettings, build_config
from pytest_pyramid.deploy.verify import Running, records, run_tier
from pytest_pyramid.errors import ConfigError
from tests.git_repo import commit, git

if TYPE_CHECKING:
    from collections.abc import Iterator

PYPROJECT = """\
[tool.pytest.ini_options]
addopts = "-p no:schemathesis -p no:locust -p no:pact -p no:playwright \
-p no:anyio -p no:platformdirs"
[tool.pyramid.tiers.smoke]
paths = ["tests/smoke"]
"""
SMOKE = """\
import os, subprocess, sys, time, urllib.request


def test_the_target_answers(pyramid_live_server):
    with urllib.request.urlopen(pyramid_live_server.url + "/", timeout=10) as response:
        assert response.status == 200


def test_hangs_when_told(tmp_path):
    if os.environ.get("VERIFY_HANG"):
        # a child in the run's process group, as a server a test starts would be
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        with open(os.environ["VERIFY_HANG"], "w") as handle:
            handle.write(str(child.pid))
        time.sleep(600)
"""


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def target() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=30)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "tests" / "smoke").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "conftest.py").write_text('pytest_plugins = ["pytest_pyramid.toolkits.plugin"]\n')
    (root / "tests" / "smoke" / "test_smoke.py").write_text(SMOKE)
    (root / ".gitignore").write_text(".pyramid/\n__pycache__/\n")
    git(root, "init", "-q")
    commit(root)
    return root


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"


def test_a_passing_tier_is_verified_and_recorded(project: Path, target: str) -> None:
    work = project / ".pyramid" / "deploy"
    run = run_tier(VerifySettings("smoke", ("pre-traffic",), 120.0), phase="pre-traffic",
                   url=target, root=project, out_dir=work / "verify" / "7")
    assert (run.outcome, run.exit_code) == ("verified", 0), run.reasons
    assert [r["outcome"] for r in records(work, 7)] == ["verified"]
    assert records(work, 8) == []


def test_a_timeout_is_a_failure_and_kills_the_process_group(
    project: Path, target: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    child_file = tmp_path / "child.pid"
    monkeypatch.setenv("VERIFY_HANG", str(child_file))
    # a time-out far shorter than pytest's start: nothing ends the run before wait() is asked,
    # so the test waits (as long as the machine needs) until the hanging test's child exists,
    # then lets the run time out; how long pytest took to start does not matter
    running = Running.start(VerifySettings("smoke", ("pre-traffic",), 1.0), phase="pre-traffic",
                            url=target, root=project, out_dir=tmp_path / "out")
    assert running.process is not None, running.problem
    deadline = time.monotonic() + 120
    while not child_file.exists() or not child_file.read_text():
        assert running.process.poll() is None, running.log.read_text()
        assert time.monotonic() < deadline, "the hanging test never started its child"
        time.sleep(0.05)
    child = int(child_file.read_text())
    running.wait()
    run = running.result()
    assert run.outcome == "failed"
    assert run.exit_code is None
    assert "timed out after 1.0s" in run.reasons[0]
    assert "killed with its process group" in run.reasons[0]
    deadline = time.monotonic() + 30
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child)


def test_a_run_that_cannot_start_is_unverified_naming_why(project: Path, target: str,
                                                          tmp_path: Path) -> None:
    run = run_tier(VerifySettings("nosuchtier", ("pre-traffic",), 120.0), phase="pre-traffic",
                   url=target, root=project, out_dir=tmp_path / "out")
    assert run.outcome == "unverified"
    assert any("unknown tier or group 'nosuchtier'" in reason for reason in run.reasons)


@pytest.mark.parametrize(("table", "message"), [
    ({"when": ["pre-traffic"]}, "tier"),
    ({"tier": "smoke", "when": ["every-step"]}, "expected one of pre-traffic, each-step"),
    ({"tier": "smoke", "when": []}, "non-empty list"),
    ({"tier": "smoke", "when": ["pre-traffic", "pre-traffic"]}, "distinct"),
    ({"tier": "smoke", "timeout": "0s"}, "duration > 0"),
    ({"tier": "smoke", "retries": 2}, "retries: unknown key; known: tier, when, timeout"),
    ({"tier": "smoke test"}, "tier or group name"),
])
def test_the_schema_and_the_parser_refuse_the_same_verify_tables(
    tmp_path: Path, table: dict[str, object], message: str,
) -> None:
    with pytest.raises(ConfigError, match=r"deploy\.verify") as refused:
        build_config({"verify": table}, source="p.toml", root=tmp_path)
    assert message in str(refused.value)
    with pytest.raises(ConfigError, match="verify"):  # the shipped schema: pytest, config check
        check_part("deploy", {"verify": table}, "p.toml")


def test_a_verify_table_is_parsed_with_its_defaults(tmp_path: Path) -> None:
    config = build_config({"verify": {"tier": "smoke"}}, source="p.toml", root=tmp_path)
    assert config.verify == VerifySettings("smoke", ("pre-traffic",), 120.0)
    assert build_config({}, source="p.toml", root=tmp_path).verify is None
