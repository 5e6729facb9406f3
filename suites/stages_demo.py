"""Staging, then production, with the production approval asked and given (`./dev stages`).

    ../.venv/bin/python stages_demo.py [--keep]

A small service in a fresh git repository of its own (a temporary folder: the demo shop's
project keeps its single deploy target), with two environments behind real nginx:

0. the project declares ``staging`` and ``production`` (production: ``required_approvals = 1``
   from a ``release_manager``); the deploy host's configuration (``$XDG_CONFIG_HOME/pyramid/
   deploy.toml``, here a folder of the demo's) pins ``requires = "staging"`` for production:
   a commit cannot drop it; keys for the approver (alice) and the deployer (release-bot);
1. its tests run: a ``ready`` verdict for HEAD;
2. ``pyramid deploy --env production``: refused, staging never deployed the commit;
3. ``pyramid deploy --env staging``: deployed;
4. ``pyramid deploy --env production --deployer-key release-bot.key``: "needs approval";
5. ``pyramid approve --env production --key alice.key``;
6. the same production deploy again: approved by alice, deployed;
7. ``pyramid history``, ``status`` and ``stats`` of production;
8. ``pyramid stop`` of both environments, always.

Exit 0 when every step did what it should, 1 otherwise. ``--keep`` leaves the folder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

APP = '''"""The stages demo's service: /health and /api/hello (which version answers)."""
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def answer(path):
    if path == "/health":
        return 200, b"ok\\n"
    if path.startswith("/api/"):
        return 200, f"hello from {os.environ.get('PYRAMID_COMMIT', 'dev')[:12]}\\n".encode()
    return 404, b"not found\\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        status, body = answer(self.path)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        return None


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
'''
TESTS = '''from app import answer


def test_health():
    assert answer("/health") == (200, b"ok\\n")


def test_an_unknown_path_is_404():
    assert answer("/nope")[0] == 404
'''
PROJECT = """[tool.pyramid]
verdict = "pyramid-verdict.json"

[tool.pyramid.tiers.unit]
paths = ["tests"]

[tool.pyramid.deploy]
command = "{python} app.py {{port}}"
health_path = "/health"
interval = "0.5s"
measurements = 1
min_requests = 5
watch = "off"
approvers = {{ alice = {{ key = "keys/alice.pub", roles = ["release_manager"] }} }}
deployers = {{ release-bot = {{ key = "keys/release-bot.pub" }} }}

[tool.pyramid.deploy.environments.staging]
port = {staging}

[tool.pyramid.deploy.environments.production]
port = {production}
required_approvals = 1
approver_roles = ["release_manager"]

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
"""
#: the deploy host's own configuration: production requires staging whatever a commit says
HOST = """[environments.production]
requires = "staging"
requires_within = "24h"
"""


def say(text: str = "") -> None:
    print(text, flush=True)


def banner(text: str) -> None:
    say()
    say(f"=== {text}")


class Stages:
    """The demo's project, host folder and the commands run in them."""

    def __init__(self, folder: Path) -> None:
        from pytest_pyramid.deploy.processes import free_port

        self.root = folder / "service"
        self.host = folder / "host-config"
        self.ports = {"staging": free_port(), "production": free_port()}
        self.env = {**os.environ, "XDG_CONFIG_HOME": str(self.host)}
        for name in ("PYRAMID_SIGNING_KEY", "PYTEST_ADDOPTS"):  # never the caller's
            self.env.pop(name, None)

    def run(self, *argv: str, show: str | None = None) -> int:
        say(f"$ {show or ' '.join(argv)}")
        try:
            done = subprocess.run(argv, cwd=self.root, env=self.env, timeout=240, check=False)
        except subprocess.TimeoutExpired:
            say("(did not finish within 240s)")
            return 124
        say(f"(exit {done.returncode})")
        return done.returncode

    def pyramid(self, *args: str) -> int:
        return self.run(sys.executable, "-m", "pytest_pyramid", *args,
                        show="pyramid " + " ".join(args))

    def git(self, *args: str) -> None:
        subprocess.run(["git", *args], cwd=self.root, check=True, capture_output=True)

    def make(self) -> None:
        self.root.mkdir(parents=True)
        (self.root / "tests").mkdir()
        (self.root / "app.py").write_text(APP)
        (self.root / "tests" / "test_app.py").write_text(TESTS)
        (self.root / "pyproject.toml").write_text(PROJECT.format(
            python=sys.executable, staging=self.ports["staging"],
            production=self.ports["production"]))
        (self.root / ".gitignore").write_text(
            "pyramid-verdict.json*\npyramid-report*\n.pyramid/\n__pycache__/\n.pytest_cache/\n"
            "keys/*.key\n")
        (self.host / "pyramid").mkdir(parents=True)
        (self.host / "pyramid" / "deploy.toml").write_text(HOST)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "demo@example.com")
        self.git("config", "user.name", "Demo")


def steps(stages: Stages) -> list[str]:
    """Steps 0-7; what went wrong (empty: every step did what it should)."""
    problems: list[str] = []

    def expect(code: int, wanted: int, what: str) -> None:
        if code != wanted:
            problems.append(f"{what}: exit {code}, expected {wanted}")

    banner("0. two environments; the host pins production's requirement")
    stages.make()
    say((stages.root / "pyproject.toml").read_text().split("[tool.pyramid.deploy]", 1)[1]
        .split("[tool.pytest", 1)[0].strip())
    say(f"# the host's {stages.host / 'pyramid' / 'deploy.toml'}:")
    say(HOST.strip())
    (stages.root / "keys").mkdir()
    for person in ("alice", "release-bot"):
        expect(stages.pyramid("keygen", f"keys/{person}"), 0, f"keygen {person}")
    stages.git("add", "-A")
    stages.git("commit", "-q", "-m", "the stages demo service")

    banner("1. its tests: a ready verdict for HEAD")
    expect(stages.run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                      show="pytest -q"), 0, "the tests")

    deployer = ("--deployer-key", "keys/release-bot.key")
    banner("2. production before staging: refused")
    expect(stages.pyramid("deploy", "--env", "production", *deployer), 1,
           "production before staging")

    banner("3. staging")
    expect(stages.pyramid("deploy", "--env", "staging"), 0, "the staging deploy")

    banner("4. production: the approval is asked")
    expect(stages.pyramid("deploy", "--env", "production", *deployer), 2,
           "production without its approval")

    banner("5. the release manager approves")
    expect(stages.pyramid("approve", "--env", "production", "--key", "keys/alice.key"), 0,
           "pyramid approve")

    banner("6. production, approved")
    expect(stages.pyramid("deploy", "--env", "production", *deployer), 0,
           "the approved production deploy")

    banner("7. production's own history, status and DORA figures")
    stages.pyramid("history", "--env", "production")
    expect(stages.pyramid("status", "--env", "production"), 0, "production's status")
    stages.pyramid("stats", "--env", "production")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--keep", action="store_true", help="leave the demo's folder")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="pyramid-stages-"))
    stages = Stages(folder)
    try:
        problems = steps(stages)
    except KeyboardInterrupt:
        problems = ["interrupted"]
    finally:
        banner("8. teardown")
        for env in ("production", "staging"):
            if stages.root.exists():
                stages.pyramid("stop", "--env", env)
        if args.keep:
            say(f"[demo] kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    say()
    for line in problems:
        say(f"[demo] FAILED: {line}")
    if not problems:
        say("[demo] done: production refused before staging, staging deployed, production's "
            "approval asked, given and counted, production deployed; nothing left running")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
