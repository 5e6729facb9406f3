"""The `command` router runs a user script (a real process) to set weights."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.config import build_config
from pytest_pyramid.deploy.routers import make_router
from pytest_pyramid.deploy.routers.command import CommandRouter

if TYPE_CHECKING:
    from pathlib import Path

SCRIPT = """
import json, sys
weights, out = sys.argv[1], sys.argv[2]
if "127.0.0.1:666" in weights:
    sys.exit("refusing that server")
with open(out, "a") as handle:
    handle.write(json.dumps({"weights": weights, "canary": sys.argv[3]}) + "\\n")
"""


def test_command_router_applies_counts_generations_and_reports_failures(tmp_path: Path) -> None:
    script = tmp_path / "set_weights.py"
    script.write_text(SCRIPT)
    calls = tmp_path / "calls.jsonl"
    config = build_config(
        {"router": "command",
         "router_command": f"{sys.executable} {script} {{weights}} {calls} {{canary_weight}}"},
        source="p.toml", root=tmp_path,
    )
    router = make_router(config)
    assert isinstance(router, CommandRouter)
    assert router.actual() is None
    first = router.ensure_running({"127.0.0.1:1": 100})
    assert first.ok, first.message
    second = router.apply({"127.0.0.1:1": 95, "127.0.0.1:2": 5})
    assert second.ok
    assert (first.generation, second.generation) == (1, 2)
    failed = router.apply({"127.0.0.1:666": 100})
    assert not failed.ok
    assert "refusing that server" in failed.message
    live = router.actual()
    assert live is not None
    assert live.weights == {"127.0.0.1:1": 95, "127.0.0.1:2": 5}  # failure kept the old weights
    lines = [json.loads(line) for line in calls.read_text().splitlines()]
    assert lines == [{"weights": "127.0.0.1:1=100", "canary": "0"},
                     {"weights": "127.0.0.1:1=95,127.0.0.1:2=5", "canary": "5"}]
    assert router.ensure_running({"127.0.0.1:9": 100}).message == "already configured"


def test_under_run_as_the_router_command_runs_as_the_versions_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The template is the commit's: under the host's ``run_as`` its program runs as the
    account, with no supplementary group and the versions' environment (``pass_env`` only),
    never with the deploy's rights; the program reports what the kernel gave it."""
    import os
    import pwd
    import shutil
    import tempfile
    from pathlib import Path

    from pytest_pyramid.deploy import host_pins
    from tests.support.deploy.host import pin

    if os.geteuid() != 0:
        pytest.skip("needs root (to drop to nobody)")
    monkeypatch.setattr(host_pins, "HOST_ROOTS",
                        (pin(tmp_path / "host", 'run_as = "nobody"\n').parent,))
    monkeypatch.setenv("CALLERS_SECRET", "the deploy's")
    monkeypatch.setenv("PASSED", "named by pass_env")
    root = Path(tempfile.mkdtemp(prefix="pyramid-command-router-"))
    root.chmod(0o755)  # the checkout it runs in: the account may enter it
    try:
        report = "echo uid=$(id -u) groups=$(id -G) secret=$CALLERS_SECRET passed=$PASSED >&2"
        config = build_config({"router": "command", "pass_env": ["PASSED"],
                               "router_command": f"/bin/sh -c '{report}; exit 1'"},
                              source="p.toml", root=root)
        told = make_router(config).apply({"127.0.0.1:1": 100})
    finally:
        shutil.rmtree(root, ignore_errors=True)
    nobody = pwd.getpwnam("nobody")
    assert not told.ok
    assert told.message.endswith(f"uid={nobody.pw_uid} groups={nobody.pw_gid} secret= "
                                 "passed=named by pass_env"), told.message
