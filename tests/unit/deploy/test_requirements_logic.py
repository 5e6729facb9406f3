"""What a deploy target asks of every commit (deploy/requirements.py): the approvals it needs
on top of the verdict's, the host's and the checkout's together, and the gate's answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.deploy import gate
from pytest_pyramid.deploy.approvals import Tally
from pytest_pyramid.deploy.config import load_config
from pytest_pyramid.deploy.requirements import approvals_in_force
from pytest_pyramid.verdict.trust import Approvals, Target, Trust, TrustPolicy

if TYPE_CHECKING:
    from pathlib import Path

PROJECT = """
[tool.pyramid.deploy]
command = "serve --port {port}"
[tool.pyramid.deploy.environments.staging]
port = 9001
[tool.pyramid.deploy.environments.production]
port = 9000
required_approvals = 1
approver_roles = ["release_manager"]
"""


ONE = Approvals(1, (), "")


def trust(decision: str, approvals: Approvals = ONE) -> Trust:
    verdict: Any = {"decision": decision, "commit": "a" * 40}
    return Trust(verdict, None, Target("a" * 40), TrustPolicy(), (), approvals)


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PROJECT)
    return tmp_path


def test_a_ready_verdict_needs_the_approvals_its_environment_asks(layout: Path) -> None:
    bare = (layout / "no-host",)
    staging = load_config(layout, env="staging", cwd=layout)
    assert approvals_in_force(staging, trust("ready"), bare) is None  # staging asks none
    production = load_config(layout, env="production", cwd=layout)
    asked = approvals_in_force(production, trust("ready"), bare)
    assert asked is not None
    assert (asked.approvals.required, asked.approvals.roles) == (1, ("release_manager",))
    assert asked.approvals.sentence == ("production needs 1 approval(s) from release_manager "
                                        "(required by this checkout)")
    judged = gate.judge(asked, approvals=Tally(counted=()), approval_needed=True)
    assert (judged.outcome, judged.exit_code) == ("needs_approval", 2)
    assert judged.reasons[0].startswith("production needs 1 approval(s)")
    given = gate.judge(asked, approvals=Tally(counted=("alice",)), approval_needed=True)
    assert given.allowed
    assert "approved by alice" in given.reasons[0]
    missing_deployer = gate.judge(asked, approvals=Tally(counted=("alice",)),
                                  deployer_problem="who deploys?", approval_needed=True)
    assert missing_deployer.outcome == "refused"


@pytest.mark.parametrize(
    ("host", "verdict", "expected"),
    [
        # the host asks more than the checkout: the larger count, the host's roles
        ('[environments.production]\nrequired_approvals = 2\napprover_roles = ["sre"]\n',
         trust("ready"), (2, ("sre",))),
        # a needs_approval verdict asking 3 from lead: the larger count, either role
        ("", trust("needs_approval", Approvals(3, ("lead",), "needs 3")),
         (3, ("lead", "release_manager"))),
    ],
)
def test_the_host_and_the_verdict_only_add_to_what_the_checkout_asks(
    layout: Path, host: str, verdict: Trust, expected: tuple[int, tuple[str, ...]]
) -> None:
    folder = layout / "host" / "pyramid"
    folder.mkdir(parents=True)
    (folder / "deploy.toml").write_text(host)
    production = load_config(layout, env="production", cwd=layout)
    asked = approvals_in_force(production, verdict, (layout / "host" / "pyramid",))
    assert asked is not None
    assert (asked.approvals.required, asked.approvals.roles) == expected


def test_a_checkout_that_drops_its_approvals_is_held_to_the_host_s(layout: Path) -> None:
    (layout / "pyproject.toml").write_text(PROJECT.replace("required_approvals = 1\n", ""))
    folder = layout / "host" / "pyramid"
    folder.mkdir(parents=True)
    (folder / "deploy.toml").write_text("[environments.production]\nrequired_approvals = 1\n")
    production = load_config(layout, env="production", cwd=layout)
    assert production.required_approvals == 0
    asked = approvals_in_force(production, trust("ready"),
                               (layout / "host" / "pyramid",))
    assert asked is not None
    assert "required by the host" in asked.approvals.sentence


# -- requires recorded on the host (the anchors record): a commit cannot drop its own --------
RECORDED = (("staging", 7200.0),)


@pytest.mark.parametrize(
    ("checkout", "host", "expected"),
    [
        # the checkout dropped requires, no host file: the record holds production to it
        ("", None, ["staging 2h by this host's anchors record (RECORD)"]),
        # the checkout asks for it too, with a wider window: the record's narrower one holds
        ('requires = "staging"\nrequires_within = "5h"\n', None,
         ["staging 2h by this host's anchors record (RECORD) and this checkout"]),
        # the checkout adds another environment: both hold
        ('requires = "qa"\n', None,
         ["qa 72h by this checkout", "staging 2h by this host's anchors record (RECORD)"]),
        # the host's file says otherwise: its word replaces the record's, "" included
        ("", '[environments.production]\nrequires = ""\n', []),
        ("", '[environments.production]\nrequires = "qa"\n', ["qa 72h by the host (HOST)"]),
        # a host table without `requires` leaves the record in force, its window bounds it
        ("", '[environments.production]\nrequires_within = "1h"\n',
         ["staging 1h by this host's anchors record (RECORD)"]),
    ],
)
def test_a_recorded_requirement_stays_in_force_until_the_host_says_otherwise(
    tmp_path: Path, checkout: str, host: str | None, expected: list[str]
) -> None:
    from pytest_pyramid.deploy.requirements import in_force
    from pytest_pyramid.deploy.trust_record import record_path

    (tmp_path / "pyproject.toml").write_text(
        PROJECT.replace("required_approvals = 1\n", checkout)
        + "[tool.pyramid.deploy.environments.qa]\nport = 9002\n")
    folder = tmp_path / "host" / "pyramid"
    folder.mkdir(parents=True)
    if host is not None:
        (folder / "deploy.toml").write_text(host)
    production = load_config(tmp_path, env="production", cwd=tmp_path)
    found = in_force(production, (tmp_path / "host" / "pyramid",), RECORDED)
    where = {"RECORD": str(record_path(production.work_dir)), "HOST": str(folder / "deploy.toml")}
    assert sorted(f"{n.environment} {n.within / 3600:g}h by {n.origin}" for n in found) == [
        line.replace("RECORD", where["RECORD"]).replace("HOST", where["HOST"])
        for line in expected]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        # no host file: the record's count holds a checkout that dropped its own
        (None, (1, "production needs 1 approval(s) (any approver) (required by this host's "
                   "anchors record)")),
        # the host's own count, 0 included, replaces the record's
        ("[environments.production]\nrequired_approvals = 0\n", None),
        ("[environments.production]\nrequired_approvals = 2\n",
         (2, "production needs 2 approval(s) (any approver) (required by the host (")),
    ],
)
def test_a_recorded_approval_count_holds_until_the_host_says_otherwise(
    layout: Path, host: str | None, expected: tuple[int, str] | None
) -> None:
    (layout / "pyproject.toml").write_text(
        PROJECT.replace("required_approvals = 1\n", "").replace(
            'approver_roles = ["release_manager"]\n', ""))
    folder = layout / "host" / "pyramid"
    folder.mkdir(parents=True)
    if host is not None:
        (folder / "deploy.toml").write_text(host)
    production = load_config(layout, env="production", cwd=layout)
    assert production.required_approvals == 0  # the checkout asks for none any more
    asked = approvals_in_force(production, trust("ready"),
                               (layout / "host" / "pyramid",), recorded=1)
    if expected is None:
        assert asked is None
        return
    assert asked is not None
    assert asked.approvals.required == expected[0]
    assert asked.approvals.sentence.startswith(expected[1])


@pytest.mark.parametrize(
    ("checkout", "host", "expected"),
    [
        # the checkout dropped its roles: the recorded ones still hold
        ("", None, ("release_manager",)),
        # other roles in the checkout do not replace the recorded ones
        ('approver_roles = ["intern"]\n', None, ("release_manager",)),
        # the host's roles are the host's word
        ("", '[environments.production]\napprover_roles = ["cto"]\n', ("cto",)),
    ],
)
def test_recorded_approver_roles_hold_until_the_host_says_otherwise(
    layout: Path, checkout: str, host: str | None, expected: tuple[str, ...]
) -> None:
    (layout / "pyproject.toml").write_text(
        PROJECT.replace('approver_roles = ["release_manager"]\n', checkout))
    folder = layout / "host" / "pyramid"
    folder.mkdir(parents=True)
    if host is not None:
        (folder / "deploy.toml").write_text(host)
    production = load_config(layout, env="production", cwd=layout)
    asked = approvals_in_force(production, trust("ready"), (folder,), recorded=1,
                               recorded_roles=("release_manager",))
    assert asked is not None
    assert asked.approvals.roles == expected
