"""Deploy notifications (deploy/notify.py) against a real loopback HTTP receiver: delivered
with the reasons, retried with a bound, never blocking or raising, failures logged."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.notify import Notifier, Webhook, body, parse_notify, schema
from pytest_pyramid.errors import ConfigError
from tests.support.deploy.helpers import Receiver, receiving

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.support.deploy.helpers import Project


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


def test_an_event_reaches_the_webhook_with_its_reasons(receiver: Receiver, tmp_path: Path) -> None:
    notifier = Notifier([Webhook(receiver.url)], tmp_path, service="shop")
    notifier.send("rolled_back", "canary p95 812ms > 500ms", {"release": "abc123", "weight": 25})
    notifier.wait(30)
    (sent,) = receiver.bodies
    assert sent["text"] == "pyramid shop: rolled back: canary p95 812ms > 500ms"
    assert (sent["event"], sent["details"]) == ("rolled_back", {"release": "abc123", "weight": 25})
    assert not (tmp_path / "notify.log").exists()


def test_only_the_events_a_webhook_asked_for(receiver: Receiver, tmp_path: Path) -> None:
    notifier = Notifier([Webhook(receiver.url, events=("refused",))], tmp_path)
    notifier.send("started", "v2 at 5%")
    notifier.send("refused", "the verdict is not ready")
    notifier.wait(30)
    assert [b["event"] for b in receiver.bodies] == ["refused"]


def test_a_failing_receiver_is_retried_then_delivered(receiver: Receiver, tmp_path: Path) -> None:
    receiver.statuses = [500, 503]
    notifier = Notifier([Webhook(receiver.url, retries=2)], tmp_path)
    notifier.send("promoted", "v2 serves 100%")
    notifier.wait(60)
    assert len(receiver.bodies) == 3
    assert not (tmp_path / "notify.log").exists()


def test_retries_are_bounded_and_the_failure_is_logged(receiver: Receiver, tmp_path: Path) -> None:
    receiver.statuses = [500, 500, 500, 500]
    notifier = Notifier([Webhook(receiver.url, retries=1)], tmp_path)
    notifier.send("refused", "no approval")
    notifier.wait(60)
    assert len(receiver.bodies) == 2  # the first attempt and one retry, no more
    log = (tmp_path / "notify.log").read_text()
    assert "refused to " + receiver.url in log
    assert "not delivered after 2 attempt(s): HTTP 500" in log


def test_a_hanging_receiver_never_holds_the_deploy(receiver: Receiver, tmp_path: Path) -> None:
    receiver.hold = threading.Event()
    notifier = Notifier([Webhook(receiver.url, retries=0, timeout_s=30)], tmp_path)
    notifier.send("rolled_back", "errors 12%")  # returns while the receiver still holds it
    assert receiver.arrived.wait(30)
    assert not receiver.hold.is_set()  # send() came back before the receiver answered
    receiver.hold.set()
    notifier.wait(60)


def test_an_unreachable_receiver_or_a_full_disk_never_raises(tmp_path: Path) -> None:
    notifier = Notifier([Webhook("http://127.0.0.1:9/hook", retries=0)], tmp_path)
    notifier.send("started", "v2 at 5%")
    notifier.wait(60)
    assert "not delivered" in (tmp_path / "notify.log").read_text()
    gone = Notifier([Webhook("http://127.0.0.1:9/hook", retries=0)], tmp_path / "missing")
    gone.send("started", "v2 at 5%")  # the log cannot be written either: dropped, no error
    gone.wait(60)


@pytest.mark.parametrize(("raw", "needle"), [
    ("yes", "notify = 'yes': must be a table"),
    ({"slack": "x"}, "notify.slack = 'x': unknown key"),
    ({"webhooks": {"url": "x"}}, "notify.webhooks = {'url': 'x'}: must be a list"),
    ({"webhooks": [{"url": "ftp://x"}]}, "notify.webhooks[0].url = 'ftp://x': must be an http"),
    ({"webhooks": [{"url": "http://x", "events": ["deployed"]}]},
     "notify.webhooks[0].events = ['deployed']: must be a list of: started"),
    ({"webhooks": [{"url": "http://x", "retries": 9}]}, "retries = 9: must be a whole number"),
    ({"webhooks": [{"url": "http://x", "timeout": "later"}]}, "timeout = 'later': expected"),
    ({"webhooks": [{"url": "http://x", "colour": 1}]}, "colour = 1: unknown key"),
])
def test_a_bad_notify_table_names_the_key_the_value_and_the_file(raw: object, needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_notify(raw, "pyproject.toml")
    assert needle in str(info.value)


def test_a_good_table_and_the_shipped_schema() -> None:
    (hook,) = parse_notify({"webhooks": [{"url": "http://x/h", "events": ["refused"],
                                          "timeout": "2s", "retries": 0}]}, "pyproject.toml")
    assert hook == Webhook("http://x/h", ("refused",), 2.0, 0)
    from importlib import resources

    shipped = json.loads(resources.files("pytest_pyramid").joinpath("config.schema.json")
                         .read_text("utf-8"))
    assert shipped["properties"]["notify"] == schema()


def test_the_body_is_slack_compatible() -> None:
    data = json.loads(body("needs_approval", "shop", "risk high: 2 approvals", {"n": 2}))
    assert data["text"] == "pyramid shop: needs approval: risk high: 2 approvals"


# -- sent by the deploy ------------------------------------------------------------------------
def test_a_refused_deploy_and_one_needing_approval_are_told(
    repo: Project, receiver: Receiver, tmp_path: Path
) -> None:
    hooks = {"webhooks": [{"url": receiver.url}]}
    repo.write_config(pyramid={"notify": hooks})
    repo.commit("v1", decision="blocked")
    refused = repo.run("deploy", "--dry-run")
    assert refused.returncode == 1
    assert receiver.events(1) == ["refused"]
    told = receiver.bodies[0]
    assert told["text"].startswith("pyramid service: refused: ")
    assert told["details"]["reasons"]
    assert "blocked" in told["text"]
    keys = tmp_path / "keys"
    keys.mkdir()
    for name in ("alice", "carol"):
        assert repo.run("keygen", str(keys / name)).returncode == 0
    repo.write_config(pyramid={"notify": hooks},
                      approvers={"alice": {"key": str(keys / "alice.pub"), "roles": ["lead"]}},
                      deployers={"carol": {"key": str(keys / "carol.pub")}})
    repo.commit("v2", decision="needs_approval",
                risk={"level": "high", "score": 7.0, "factors": [], "required_approvals": 1,
                      "approver_roles": ["lead"]})
    asked = repo.run("deploy", "--dry-run", "--deployer-key", str(keys / "carol.key"))
    assert asked.returncode == 2, asked.stdout
    assert receiver.events(2) == ["refused", "needs_approval"]
    assert "needs 1 approval(s) from lead" in receiver.bodies[1]["text"]


def test_a_bad_notify_table_is_refused_by_the_deploy(repo: Project) -> None:
    repo.write_config(pyramid={"notify": {"webhooks": [{"url": "ftp://x"}]}})
    repo.commit("v1")
    result = repo.run("deploy", "--dry-run")
    assert result.returncode == 3
    assert "notify.webhooks[0].url" in result.stderr


@pytest.mark.parametrize(("outcome", "event", "said"), [
    ("succeeded", "promoted", "#7 cccccccccccc: every step passed"),
    ("rolled_back", "rolled_back", "#7 cccccccccccc: every step passed"),
    ("aborted", "rolled_back", "#7 cccccccccccc: aborted: every step passed"),
    ("failed", "rolled_back", "#7 cccccccccccc: failed: every step passed"),
    ("unchanged", None, ""),
])
def test_a_rollouts_outcome_is_told_as_its_event(
    receiver: Receiver, tmp_path: Path, outcome: str, event: str | None, said: str
) -> None:
    from pytest_pyramid.deploy.config import build_config
    from pytest_pyramid.deploy.notify import tell_outcome

    config = build_config({}, source="pyproject.toml", root=tmp_path,
                          notify={"webhooks": [{"url": receiver.url}]})
    tell_outcome(config, 7, "c" * 40, outcome, "every step passed")
    if event is None:
        assert receiver.bodies == []  # nothing was rolled out: nothing to tell
        return
    assert receiver.events(1) == [event]
    assert said in receiver.bodies[0]["text"]
    assert receiver.bodies[0]["details"]["outcome"] == outcome
