"""What a deploy target asks of every commit (deploy/requirements.py): the approvals it needs
on top of the verdict's, the host's and the checkout's together, and the gate's answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.deploy import gate
from pytest_pyramid.deploy.approvals import Standing, Tally
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
    assert approvals_in_force(staging, trust("ready"), bare) == ()  # staging asks none
    production = load_config(layout, env="production", cwd=layout)
    (asked,) = approvals_in_force(production, trust("ready"), bare)
    assert (asked.required, asked.roles) == (1, ("release_manager",))
    assert asked.sentence == ("production needs 1 approval(s) from release_manager "
                              "(required by this checkout)")
    none, alice = Standing(asked, Tally(counted=())), Standing(asked, Tally(counted=("alice",)))
    judged = gate.judge(trust("ready"), approvals=(none,), approval_needed=True)
    assert (judged.outcome, judged.exit_code) == ("needs_approval", 2)
    assert judged.reasons[0].startswith("production needs 1 approval(s)")
    given = gate.judge(trust("ready"), approvals=(alice,), approval_needed=True)
    assert given.allowed
    assert "approved by alice" in given.reasons[0]
    missing_deployer = gate.judge(trust("ready"), approvals=(alice,),
                                  deployer_problem="who deploys?", approval_needed=True)
    assert missing_deployer.outcome == "refused"


@pytest.mark.parametrize(
    ("host", "verdict", "expected"),
    [
        # the host asks more than the checkout: the larger count, the host's roles
        ('[environments.production]\nrequired_approvals = 2\napprover_roles = ["sre"]\n',
         trust("ready"), [(2, ("sre",))]),
        # a needs_approval verdict asking 3 from lead: its requirement and the target's, each
        # on its own (never merged into "3 from lead or release_manager")
        ("", trust("needs_approval", Approvals(3, ("lead",), "needs 3")),
         [(3, ("lead",)), (1, ("release_manager",))]),
    ],
)
def test_the_host_and_the_verdict_only_add_to_what_the_checkout_asks(
    layout: Path, host: str, verdict: Trust, expected: list[tuple[int, tuple[str, ...]]]
) -> None:
    folder = layout / "host" / "pyramid"
    folder.mkdir(parents=True)
    (folder / "deploy.toml").write_text(host)
    production = load_config(layout, env="production", cwd=layout)
    asked = approvals_in_force(production, verdict, (layout / "host" / "pyramid",))
    assert [(one.required, one.roles) for one in asked] == expected


def test_a_checkout_that_drops_its_approvals_is_held_to_the_host_s(layout: Path) -> None:
    (layout / "pyproject.toml").write_text(PROJECT.replace("required_approvals = 1\n", ""))
    folder = layout / "host" / "pyramid"
    folder.mkdir(parents=True)
    (folder / "deploy.toml").write_text("[environments.production]\nrequired_approvals = 1\n")
    production = load_config(layout, env="production", cwd=layout)
    assert production.required_approvals == 0
    (asked,) = approvals_in_force(production, trust("ready"),
                                  (layout / "host" / "pyramid",))
    assert "required by the host" in asked.sentence


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
        assert asked == ()
        return
    assert asked[0].required == expected[0]
    assert asked[0].sentence.startswith(expected[1])


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
    assert [one.roles for one in asked] == [expected]


# -- each approval requirement holds on its own (the verdict's risk row and the target's) -------
def _approve(who: str, role: str, verdict: Any) -> dict[str, object]:
    from datetime import datetime, timedelta, timezone

    from pytest_pyramid.deploy.approvals import sign_approval
    from tests.unit.deploy.test_deploy_logic import KEYS_

    return sign_approval(verdict, role=role, approver=who, key=KEYS_[who],
                         now=datetime.now(timezone.utc) - timedelta(hours=1),
                         environment="production")


LEAD, SRE, ANY = ("lead",), ("sre",), ()


@pytest.mark.parametrize(
    ("verdict_asks", "target_asks", "signers", "missing"),
    [
        # the verdict's alone, the target's alone
        ((1, LEAD), None, [("alice", "lead")], []),
        ((1, LEAD), None, [("carol", "sre")], ["needs 1 more from lead (asked by the verdict)"]),
        (None, (1, SRE), [("carol", "sre")], []),
        # disjoint roles: a lead's approval is not an sre's (a merged "1 from lead or sre"
        # let it pass)
        ((1, LEAD), (1, SRE), [("alice", "lead")],
         ["needs 1 more from sre (asked by production, required by this checkout)"]),
        ((1, LEAD), (1, SRE), [("alice", "lead"), ("carol", "sre")], []),
        # one person configured for both roles counts for each only in the role signed
        ((1, LEAD), (1, SRE), [("bob", "lead")],
         ["needs 1 more from sre (asked by production, required by this checkout)"]),
        ((1, LEAD), (1, SRE), [("bob", "lead"), ("bob", "sre")], []),
        # overlapping roles: one approval in a role both allow satisfies both
        ((1, ("lead", "sre")), (1, SRE), [("carol", "sre")], []),
        ((1, ("lead", "sre")), (1, SRE), [("alice", "lead")],
         ["needs 1 more from sre (asked by production, required by this checkout)"]),
        # an open list on one side never opens the other one
        ((1, ANY), (1, SRE), [("alice", "lead")],
         ["needs 1 more from sre (asked by production, required by this checkout)"]),
        ((1, LEAD), (1, ANY), [("carol", "sre")],
         ["needs 1 more from lead (asked by the verdict)"]),
        # counts 2 + 1: a person counts once per requirement, the larger count is not enough
        ((2, ("lead", "sre")), (1, SRE), [("carol", "sre"), ("carol", "sre")],
         ["needs 1 more from lead, sre (asked by the verdict)"]),
        ((2, ("lead", "sre")), (1, SRE), [("carol", "sre"), ("alice", "lead")], []),
    ],
)
def test_each_approval_requirement_holds_on_its_own(
    tmp_path: Path, verdict_asks: tuple[int, tuple[str, ...]] | None,
    target_asks: tuple[int, tuple[str, ...]] | None, signers: list[tuple[str, str]],
    missing: list[str],
) -> None:
    from datetime import datetime, timedelta, timezone

    from pytest_pyramid.deploy.approvals import tally_each
    from tests.unit.deploy.test_deploy_logic import PEOPLE

    env = "" if target_asks is None else (
        f"required_approvals = {target_asks[0]}\napprover_roles = {list(target_asks[1])!r}\n")
    (tmp_path / "pyproject.toml").write_text(PROJECT.replace(
        'required_approvals = 1\napprover_roles = ["release_manager"]\n', env.replace("'", '"')))
    production = load_config(tmp_path, env="production", cwd=tmp_path)
    verdict = trust("ready") if verdict_asks is None else trust(
        "needs_approval", Approvals(*verdict_asks, f"needs {verdict_asks[0]} approval(s)"))
    asked = approvals_in_force(production, verdict, (tmp_path / "no-host",))
    assert len(asked) == (verdict_asks is not None) + (target_asks is not None)
    standings = tally_each(asked, [_approve(who, role, verdict.verdict) for who, role in signers],
                           verdict=verdict.verdict, people=PEOPLE, now=datetime.now(timezone.utc),
                           ttl=timedelta(hours=24), deployer=None, environment="production")
    judged = gate.judge(verdict, approvals=standings, approval_needed=True,
                        environment="production")
    assert judged.outcome == ("needs_approval" if missing else "allowed")
    assert [line for line in judged.reasons if line.startswith("needs ") and " more " in line] \
        == missing


# -- the first use of a target the host has no record of (hostile case 281) -------------------
FIRST = '[environments.production]\nrequires = "staging"\nrequired_approvals = 1\n'


@pytest.mark.parametrize(
    ("host", "env", "recorded", "expected"),
    [
        # case 281: a staging deploy to a port the host knows nothing of may be production's
        (FIRST, "staging", False, [(1, (), "production")]),
        # a real deploy recorded the target (the anchors record's serves, the targets index)
        (FIRST, "staging", True, []),
        # production's own first use: its own requirements hold, nothing weaker to stand in
        (FIRST, "production", False, []),
        # production's staging-first cannot hold on a first use: a person stands for it
        ('[environments.production]\nrequires = "staging"\n', "staging", False,
         [(1, (), "production")]),
        # the strictest count and its roles, each environment's on its own
        ('[environments.production]\nrequired_approvals = 2\napprover_roles = ["sre"]\n'
         '[environments.qa]\nrequired_approvals = 1\napprover_roles = ["qa_lead"]\n',
         "staging", False, [(2, ("sre",), "production"), (1, ("qa_lead",), "qa")]),
        # the host pins production's port: a port it does not pin is not production's
        (FIRST + "port = 9000\n", "staging", False, []),
        # the host pins staging's own target: known
        ('[environments.staging]\nport = 9001\n' + FIRST, "staging", False, []),
        ('[environments.staging]\nwork_dir = "s"\n' + FIRST, "staging", False, []),
        # requirements lifted by the host: nothing stronger to be
        ('[environments.production]\nrequires = ""\n', "staging", False, []),
        # no host file pins anything: the checkout's word, as before
        (None, "staging", False, []),
    ],
    ids=["case-281", "recorded", "own-first-use", "requires-only", "each-own-roles",
         "port-pinned", "own-port-pinned", "own-folder-pinned", "lifted", "no-host"],
)
def test_an_unrecorded_target_takes_the_approvals_of_any_environment_it_may_be(
    layout: Path, host: str | None, env: str, recorded: bool,
    expected: list[tuple[int, tuple[str, ...], str]],
) -> None:
    folder = layout / "host" / "pyramid"
    folder.mkdir(parents=True)
    if host is not None:
        (folder / "deploy.toml").write_text(host)
    config = load_config(layout, env=env, cwd=layout)
    asked = [one for one in approvals_in_force(config, trust("ready"), (folder,),
                                               recorded_target=recorded)
             if "first use" in one.by]
    assert [(one.required, one.roles) for one in asked] == [(n, r) for n, r, _ in expected]
    for one, (_, _, name) in zip(asked, expected, strict=True):
        assert f"the first use of a target the host has no record of, which may be {name}'s" \
            in one.sentence
        assert f"pin environments.{name}.port there" in one.sentence
        assert str(folder / "deploy.toml") in one.sentence
