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
