"""each-step verify, the pure parts: a passed run counts only when the router's pinned log
proves every request reached the new version; the split's pinned route as rendered; which
routers may be asked for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_pyramid.deploy.config import build_config
from pytest_pyramid.deploy.routers.nginx import Instance, render_edge, render_split
from pytest_pyramid.deploy.step_verify import misrouted, routed
from pytest_pyramid.deploy.verify import VerifyRun
from pytest_pyramid.errors import ConfigError

CANARY, STABLE = "127.0.0.1:5002", "127.0.0.1:5001"


def line(addr: str, status: int = 200) -> str:
    return f"1.0|{status}|{addr}|{status}|0.004|0.005|2|2|GET|/"


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        ([line(CANARY), line(CANARY, 500)], None),  # a failing answer is still the canary's
        ([], "no request of the run reached the new version"),
        ([line(CANARY), line(STABLE)], f"did not all reach the new version {CANARY}: 1 to "
                                       f"{STABLE}"),
        ([line(f"{STABLE}, {CANARY}")], "1 to 127.0.0.1:5001"),  # a retry elsewhere counts
        ([line(CANARY), "garbage"], "1 line(s) it cannot read"),
    ],
)
def test_the_pinned_log_must_prove_every_request_reached_the_new_version(
    tmp_path: Path, lines: list[str], problem: str | None
) -> None:
    log = tmp_path / "pinned.log"
    log.write_text("earlier|500|127.0.0.9:1|500|0.1|0.1\n" + "".join(f"{x}\n" for x in lines))
    offset = len(log.read_text().splitlines()[0]) + 1  # the run's window starts after it
    found = misrouted(CANARY, log, offset)
    assert (found is None) if problem is None else (problem in str(found))


def test_no_pinned_log_at_all_is_never_a_pass(tmp_path: Path) -> None:
    assert "nothing was verified" in str(misrouted(CANARY, tmp_path / "missing.log", 0))
    assert "nothing was verified" in str(misrouted(CANARY, None, 0))


def _run(outcome: str) -> VerifyRun:
    return VerifyRun("each-step", "smoke", "http://127.0.0.1:9", outcome, ("why",), "v.json",
                     "v.log", 0, 1.0, "step 1/2 50%")


def test_a_passed_run_that_was_not_routed_to_the_new_version_is_unverified(
    tmp_path: Path,
) -> None:
    log = tmp_path / "pinned.log"
    log.write_text(line(STABLE) + "\n")
    judged = routed(_run("verified"), CANARY, log, 0)
    assert judged.outcome == "unverified"
    assert not judged.passed
    assert "1 to 127.0.0.1:5001" in judged.reasons[-1]
    failed = _run("failed")
    assert routed(failed, CANARY, log, 0) is failed  # a failure stays what its verdict says
    log.write_text(line(CANARY) + "\n")
    assert routed(_run("verified"), CANARY, log, 0).passed


def test_the_split_pins_only_when_told_and_the_edge_never_passes_a_client_s_pin() -> None:
    split = Instance("split", Path("/w/split"))
    args = {"instance": split, "port": 1, "admin_port": 2, "generation": 3,
            "request_timeout": 10.0, "drain_timeout": 5.0}
    plain = render_split(weights={STABLE: 100}, **args)  # type: ignore[arg-type]
    assert "pyramid_pinned" not in plain
    assert "proxy_pass http://pyramid_app;" in plain
    pinned = render_split(weights={STABLE: 95, CANARY: 5}, pinned=CANARY,
                          **args)  # type: ignore[arg-type]
    assert f"upstream pyramid_pinned {{\n        server {CANARY};" in pinned
    assert "canary pyramid_pinned;" in pinned
    assert "default pyramid_app;" in pinned
    assert "access_log /w/split/logs/access.log pyramid if=$pyramid_user;" in pinned
    assert "access_log /w/split/logs/pinned.log pyramid if=$pyramid_pinned;" in pinned
    assert f"pinned={CANARY}" in pinned  # the admin port says what is pinned
    with pytest.raises(ValueError, match="has no weight"):
        render_split(weights={STABLE: 100}, pinned=CANARY, **args)  # type: ignore[arg-type]
    edge, _ = render_edge(instance=Instance("edge", Path("/w/edge")), port=1, admin_port=2,
                          split_port=3, request_timeout=10.0, drain_timeout=5.0,
                          verify_port=4)
    public, verify_server = edge.split("listen 127.0.0.1:4;")
    assert 'proxy_set_header X-Pyramid-Target "";' in public  # a client's header is dropped
    assert 'proxy_set_header X-Pyramid-Target "canary";' in verify_server


def test_each_step_needs_a_router_with_a_pinned_route(tmp_path: Path) -> None:
    verify = {"tier": "smoke", "when": ["pre-traffic", "each-step"]}
    config = build_config({"verify": verify}, source="pyproject.toml", root=tmp_path)
    assert config.verify is not None
    assert config.verify.when == ("pre-traffic", "each-step")
    with pytest.raises(ConfigError, match=r"deploy\.verify\.when.*router = 'command' cannot"):
        build_config({"verify": verify, "router": "command", "router_command": "set {weights}",
                      "access_log": "a.log"}, source="pyproject.toml", root=tmp_path)
    with pytest.raises(ConfigError, match="expected one of pre-traffic, each-step, post-"):
        build_config({"verify": {"tier": "smoke", "when": ["every-step"]}},
                     source="pyproject.toml", root=tmp_path)
