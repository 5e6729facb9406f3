"""The deployed code does not hold its supervisor's rights (hostile case 225): with the host's
``run_as`` (deploy/host_pins.py), a deploy run as root starts every version as that account.

Real nginx, a real deploy as root, a real account (``nobody``): the version itself tries what
case 225's version did, from inside, and reports what the kernel answered."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.host_pins import Account
from pytest_pyramid.deploy.processes import start_ticks, writable_by
from tests.support.deploy import host
from tests.support.deploy.fixtures import _project

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.deploy.helpers import Project

#: the suite's own interpreter lies under /root, which nobody cannot enter
SYSTEM_PYTHON = Path("/usr/bin/python3")

#: the version: at its start (its supervisor holds the lease) it attacks as case 225's did
APP = '''
import errno, http.server, json, os, signal, sys
from pathlib import Path
release = Path(os.environ["PYRAMID_RELEASE"])
work = release
while work.name != "releases" and work != work.parent:
    work = work.parent
work = work.parent
def attempt(act):
    try:
        act()
        return "done"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))
supervisor = int(json.loads((work / "supervisor.lease").read_text().strip("\\0 \\n"))["pid"])
report = {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
          "supervisor": supervisor,
          "kill": attempt(lambda: os.kill(supervisor, signal.SIGKILL)),
          "lease": attempt(lambda: open(work / "supervisor.lease", "r+b").close()),
          "state": attempt(lambda: open(work / "state.json", "ab").close()),
          "create": attempt(lambda: open(work / "planted", "xb").close()),
          "release": attempt(lambda: open(release / "planted", "xb").close())}
print("PROBE " + json.dumps(report), flush=True)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        data = b"v1 as nobody\\n"
        self.send_response(200); self.send_header("Content-Length", str(len(data)))
        self.end_headers(); self.wfile.write(data)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
'''


@pytest.fixture
def open_project(nginx: str) -> Iterator[Project]:
    """A project in a folder ``nobody`` may enter (pytest's own tmp_path is root's alone)."""
    if os.geteuid() != 0 or not SYSTEM_PYTHON.exists():
        pytest.skip("needs root (to drop to nobody) and /usr/bin/python3")
    base = Path(tempfile.mkdtemp(prefix="pyramid-run-as-"))
    base.chmod(0o755)
    try:
        project_of = _project(base, nginx)
        project = next(project_of)
        yield project
        _stop_versions(project)
        with contextlib.suppress(StopIteration):
            next(project_of)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _stop_versions(project: Project) -> None:
    """The versions this test started, by the registry's pid and start time (they wrote no
    pid file: they may not write anything here)."""
    for record in (project.work_dir / "registry").glob("*.json"):
        with contextlib.suppress(OSError, ValueError, KeyError, ProcessLookupError):
            data = json.loads(record.read_text())
            if start_ticks(int(data["pid"])) == data["start_ticks"]:
                os.kill(int(data["pid"]), signal.SIGKILL)


def _status_ids(pid: int) -> tuple[list[str], list[str], str]:
    lines = dict(line.split(":", 1) for line in
                 Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return lines["Uid"].split(), lines["Gid"].split(), lines["Groups"].strip()


def test_versions_run_as_the_host_s_account_and_cannot_touch_their_supervisor(
    open_project: Project,
) -> None:
    project = open_project
    nobody = pwd.getpwnam("nobody")
    host.pin(host.folder(project.root), 'run_as = "nobody"\n')
    (project.root / "app.py").write_text(APP)
    project.write_config(command=f"{SYSTEM_PYTHON} app.py {{port}}")
    first = project.commit("v1: the takeover of case 225 is in the code")

    # a work folder the account could write is refused before anything is judged or started
    project.work_dir.mkdir(parents=True)
    project.work_dir.chmod(0o777)
    refused = project.run("deploy")
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert f"{project.work_dir} is writable by nobody" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (project.work_dir / "registry").exists()  # nothing was started
    project.work_dir.chmod(0o755)
    # a folder above the release that the account could write: it could swap the release
    # folder for its own (hostile case 280), so refused before anything starts too
    open_folder = project.root.parent / "open"
    open_folder.mkdir(mode=0o777)
    open_folder.chmod(0o777)
    refused = project.run("deploy", "--release-dir", str(open_folder / "rel"))
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert f"{open_folder}, a folder on the path to the release folder" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (project.work_dir / "registry").exists()

    result = project.run("deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[deploy] versions run as nobody:nogroup" in result.stdout
    stable = project.state()["stable"]
    assert stable["commit"] == first
    uids, gids, groups = _status_ids(int(stable["pid"]))
    assert uids == [str(nobody.pw_uid)] * 4
    assert gids == [str(nobody.pw_gid)] * 4
    assert groups == ""  # none of the deploy's groups

    log = Path(stable["log"]).read_text()
    probe = json.loads(log.split("PROBE ", 1)[1].splitlines()[0])
    assert (probe["uid"], probe["gid"], probe["groups"]) == (nobody.pw_uid, nobody.pw_gid, [])
    assert probe["kill"] == "EPERM"  # its SIGKILL to the supervisor holding the lease failed
    assert {probe[k] for k in ("lease", "state", "create", "release")} == {"EACCES"}
    assert not (project.work_dir / "planted").exists()
    account = Account("nobody", nobody.pw_uid, nobody.pw_gid, "nogroup")
    assert [p for p in project.work_dir.rglob("*") if writable_by(p, account)] == []
    status = project.run("status")
    assert status.returncode == 0, status.stdout  # healthy and idle: the supervisor finished


#: the verify tier's test: it passes only when it runs as the account and cannot open the
#: deploy's state for writing (run as the deploy's account, it fails: the run is "failed")
SMOKE_AS_ACCOUNT = '''
import os
import urllib.request
from pathlib import Path


def test_runs_as_the_versions_account(base_url):
    assert os.getuid() == {uid} and os.getgroups() == []
    try:
        open(Path({work!r}) / "state.json", "ab").close()
    except PermissionError:
        pass
    else:
        raise AssertionError("the verify run could write the deploy's state")
    with urllib.request.urlopen(base_url + "/", timeout=10) as response:
        assert response.status == 200
'''


def test_the_verify_tier_runs_as_the_host_s_account_and_writes_nothing_of_the_deploy_s(
    open_project: Project, account_python: Path,
) -> None:
    import subprocess

    from tests.e2e.deploy.test_verify_tiers import commit_tracked, with_smoke_tier

    project = open_project
    nobody = pwd.getpwnam("nobody")
    host.pin(host.folder(project.root), 'run_as = "nobody"\n')
    (project.root / "app.py").write_text(APP)
    with_smoke_tier(project, SMOKE_AS_ACCOUNT.format(uid=nobody.pw_uid,
                                                     work=str(project.work_dir)))
    project.write_config(pyramid={"tiers": {"smoke": {"paths": ["tests/smoke"]}}},
                         command=f"{SYSTEM_PYTHON} app.py {{port}}",
                         verify={"tier": "smoke", "when": ["pre-traffic"], "timeout": "90s"})
    commit_tracked(project, "v1: verified by a tier that must run as nobody")

    # the suite's own interpreter lies under /root: nobody could not run the tier with it,
    # so the deploy is refused before anything is judged or started
    refused = project.run("deploy")
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "nobody (run_as, " in refused.stderr
    assert "cannot enter /root" in refused.stderr
    assert not (project.work_dir / "registry").exists()

    # the same deploy, installed where nobody may read it
    argv = [str(account_python), "-I", "-c", host.LAUNCH, str(host.folder(project.root)),
            "deploy"]
    result = subprocess.run(argv, cwd=project.root, capture_output=True, text=True,
                            timeout=240, env=project.environ(), check=False)
    print(result.stdout, result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "verify tier smoke verified (pre-traffic" in result.stdout
    runs = (project.work_dir / "verify" / "1" / "verify.jsonl").read_text().splitlines()
    assert [json.loads(line)["outcome"] for line in runs] == ["verified"]
    verdict = Path(json.loads(runs[0])["verdict"])
    assert verdict.parent == project.work_dir / "verify" / "1"  # copied into the deploy's own
    assert verdict.stat().st_uid == 0
    assert not list(verdict.parent.glob("*.scratch"))  # the account's scratch folder is gone
    account = Account("nobody", nobody.pw_uid, nobody.pw_gid, "nogroup")
    assert [p for p in project.work_dir.rglob("*") if writable_by(p, account)] == []
