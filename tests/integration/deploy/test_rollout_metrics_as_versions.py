"""A rollout's ``command`` metric is the commit's code, so it runs as the versions run
(deploy/rollout_metrics.py ``reader``, hostile case 273): as the host's ``run_as`` account with
no supplementary group, in its release, with the versions' allow-listed environment. Real
processes: the commit's probe reports, as its number, what the kernel and its environment gave
it."""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy import host_pins
from pytest_pyramid.deploy.rollout_metrics import Subject, reader
from pytest_pyramid.gates.sources import parse_metrics
from tests.support.deploy.host import pin

if TYPE_CHECKING:
    from collections.abc import Iterator

#: the suite's interpreter lies under /root or /work, which nobody may not enter
SYSTEM_PYTHON = "/usr/bin/python3"

#: the commit's probe: argv[1] names what to report, as its number
PROBE = '''
import os, sys
what = sys.argv[1]
if what == "uid":
    print(os.getuid())
elif what == "groups":
    print(len(os.getgroups()))
elif what == "lease":  # could it open the deploy's lease for writing (as case 273's did)?
    try:
        open(sys.argv[2], "ab").close()
        print(1)
    except OSError:
        print(0)
else:  # an environment variable: set or not
    print(int(what in os.environ))
'''


@pytest.fixture
def release() -> Iterator[Path]:
    """A release folder the account may enter and read (pytest's tmp_path is root's alone)."""
    base = Path(tempfile.mkdtemp(prefix="pyramid-metric-"))
    base.chmod(0o755)
    (base / "probe.py").write_text(PROBE)
    (base / "supervisor.lease").write_text("{}")
    yield base
    shutil.rmtree(base, ignore_errors=True)


def figures(release: Path, pass_env: tuple[str, ...] = ()) -> dict[str, float | None]:
    read = reader(pass_env)
    found: dict[str, float | None] = {}
    for what in ("uid", "groups", "lease", "CALLERS_SECRET", "PASSED", "PYRAMID_COMMIT"):
        (metric,) = parse_metrics({"probe": {
            "source": "command", "threshold": ">= 0", "rollout": True,
            "command": [SYSTEM_PYTHON, "probe.py", what, str(release / "supervisor.lease")]}},
            "pyproject.toml")
        reading = read(metric, Subject("c" * 40, "127.0.0.1:3001", str(release)))
        assert reading.value is not None, reading.reason
        found[what] = reading.value
    return found


def test_a_rollout_s_command_metric_runs_as_the_versions_run(
    release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    if os.geteuid() != 0 or not Path(SYSTEM_PYTHON).exists():
        pytest.skip("needs root (to drop to nobody) and /usr/bin/python3")
    monkeypatch.setenv("CALLERS_SECRET", "from the deploy's caller")
    monkeypatch.setenv("PASSED", "named by the commit's pass_env")
    monkeypatch.setattr(host_pins, "HOST_ROOTS", (tmp_path / "no-host",))

    # without run_as: the deploy's account, but never the deploy's environment
    assert figures(release) == {"uid": 0, "groups": len(os.getgroups()), "lease": 1,
                                "CALLERS_SECRET": 0, "PASSED": 0, "PYRAMID_COMMIT": 1}

    monkeypatch.setattr(host_pins, "HOST_ROOTS",
                        (pin(tmp_path / "host", 'run_as = "nobody"\n').parent,))
    nobody = pwd.getpwnam("nobody").pw_uid
    assert figures(release, ("PASSED",)) == {
        "uid": nobody, "groups": 0, "lease": 0,  # the lease is root's: not its to open
        "CALLERS_SECRET": 0, "PASSED": 1, "PYRAMID_COMMIT": 1}


def test_a_rollout_s_file_metric_is_read_with_the_versions_rights(
    release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The path is the commit's word: under run_as it is read as the account (a host program
    started as it), so a file only the deploy may read is no number, and none of its bytes
    reach the reason; one the account may read is read as before, its mtime the timestamp."""
    if os.geteuid() != 0:
        pytest.skip("needs root (to drop to nobody)")
    (release / "open.json").write_text('{"value": 0.5}')
    (release / "open.json").chmod(0o644)
    (release / "secret.json").write_text("s3cr3t-of-the-deploy")
    (release / "secret.json").chmod(0o600)
    (release / "secret-number").write_text("42")
    (release / "secret-number").chmod(0o600)

    def reading(path: str) -> tuple[float | None, str]:
        (metric,) = parse_metrics({"figure": {"source": "file", "path": path,
                                              "threshold": ">= 0", "rollout": True}},
                                  "pyproject.toml")
        found = reader(())(metric, Subject("c" * 40, "127.0.0.1:3001", str(release)))
        return found.value, found.reason

    monkeypatch.setattr(host_pins, "HOST_ROOTS", (tmp_path / "no-host",))
    assert reading("secret-number") == (42.0, "")  # without run_as: the deploy's own rights
    monkeypatch.setattr(host_pins, "HOST_ROOTS",
                        (pin(tmp_path / "host", 'run_as = "nobody"\n').parent,))
    assert reading("open.json")[0] == 0.5
    for path in ("secret-number", "secret.json", str(release / "secret.json")):
        value, reason = reading(path)
        assert value is None
        assert f"could not be read as uid {pwd.getpwnam('nobody').pw_uid}" in reason
        assert "Permission denied" in reason
        assert "s3cr3t" not in reason
