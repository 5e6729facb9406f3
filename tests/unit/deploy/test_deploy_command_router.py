"""The `command` router runs a user script (a real process) to set weights."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

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
