"""Deploy notifications (issue 23 section 5): webhooks told when a rollout starts, is promoted,
rolled back or refused, or needs an approval, with the reasons.

``[tool.pyramid.notify]``::

    [[tool.pyramid.notify.webhooks]]
    url = "https://hooks.slack.com/services/..."   # Slack-compatible: {"text": ...}
    events = ["rolled_back", "refused"]             # default: every event
    timeout = "5s"                                  # per attempt
    retries = 2                                     # after the first attempt

A notification never blocks or breaks a deploy: it is sent from a thread after the deploy
acted, each attempt bounded by ``timeout``, retried ``retries`` times with a doubling pause,
and every failure is written to ``notify.log`` in the work folder (and dropped when even that
cannot be written). The body is Slack's incoming-webhook JSON (``text``) plus the event and
its details as fields, which Slack ignores and other receivers can read.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pytest_pyramid.config_schema import key_text
from pytest_pyramid.durations import parse_duration
from pytest_pyramid.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

EVENTS = ("started", "promoted", "rolled_back", "refused", "needs_approval")
DEFAULT_TIMEOUT_S = 5.0
DEFAULT_RETRIES = 2
MAX_RETRIES = 5
FIRST_PAUSE_S = 0.5
LOG_NAME = "notify.log"
#: how long a command that is about to exit waits for its deliveries (each is bounded anyway;
#: the process's end must not hang on a silent receiver)
EXIT_WAIT_S = 5.0
#: a rollout's outcome (rollout.Outcome.outcome) -> the event it is told as
OUTCOME_EVENTS = {"succeeded": "promoted", "rolled_back": "rolled_back",
                  "aborted": "rolled_back", "failed": "rolled_back"}


@dataclass(frozen=True)
class Webhook:
    url: str
    events: tuple[str, ...] = EVENTS
    timeout_s: float = DEFAULT_TIMEOUT_S
    retries: int = DEFAULT_RETRIES


def schema() -> dict[str, Any]:
    """``[tool.pyramid.notify]`` in the shipped schema (``python -m pytest_pyramid.deploy.schema``
    writes it)."""
    hook = {
        "type": "object",
        "required": ["url"],
        "properties": {
            "url": {"type": "string", "pattern": "^https?://", "description": "where to POST"},
            "events": {"type": "array", "items": {"type": "string", "enum": list(EVENTS)},
                       "description": "which events (default: all)"},
            "timeout": {"$ref": "#/definitions/duration", "description": "per attempt"},
            "retries": {"type": "integer", "minimum": 0, "maximum": MAX_RETRIES},
        },
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "description": "deploy notifications: webhooks (Slack-compatible JSON)",
        "properties": {"webhooks": {"type": "array", "items": hook}},
        "additionalProperties": False,
    }


def parse_notify(raw: object, source: str) -> tuple[Webhook, ...]:
    """The webhooks of ``[tool.pyramid.notify]``; a bad value is a ConfigError naming it."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise ConfigError("notify", raw, source, "must be a table")
    for key in raw:
        if key != "webhooks":
            raise ConfigError(key_text(("notify", key)), raw[key], source,
                              "unknown key (allowed: webhooks)")
    hooks = raw.get("webhooks", [])
    if not isinstance(hooks, list):
        raise ConfigError("notify.webhooks", hooks, source, "must be a list of tables")
    return tuple(_webhook(i, hook, source) for i, hook in enumerate(hooks))


def _webhook(index: int, hook: object, source: str) -> Webhook:
    def bad(key: str, value: object, why: str) -> ConfigError:
        return ConfigError(key_text(("notify", "webhooks", index, key)), value, source, why)

    if not isinstance(hook, dict):
        raise ConfigError(key_text(("notify", "webhooks", index)), hook, source, "must be a table")
    for key in hook:
        if key not in ("url", "events", "timeout", "retries"):
            raise bad(key, hook[key], "unknown key (allowed: url, events, timeout, retries)")
    url = hook.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise bad("url", url, "must be an http:// or https:// address")
    events = hook.get("events", list(EVENTS))
    if not isinstance(events, list) or not events or any(e not in EVENTS for e in events):
        raise bad("events", events, f"must be a list of: {', '.join(EVENTS)}")
    try:
        timeout = parse_duration(hook.get("timeout", DEFAULT_TIMEOUT_S))
    except ValueError as exc:
        raise bad("timeout", hook.get("timeout"), str(exc)) from None
    if timeout <= 0:
        raise bad("timeout", hook.get("timeout"), "must be more than 0")
    retries = hook.get("retries", DEFAULT_RETRIES)
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
        raise bad("retries", retries, f"must be a whole number from 0 to {MAX_RETRIES}")
    return Webhook(url, tuple(events), timeout, retries)


def body(event: str, service: str, summary: str, details: Mapping[str, object]) -> bytes:
    """Slack's incoming-webhook JSON: ``text`` for people, the rest for programs."""
    text = f"pyramid {service}: {event.replace('_', ' ')}: {summary}"
    return json.dumps({"text": text, "event": event, "service": service,
                       "details": dict(details)}, default=str).encode()


class Notifier:
    """Sends each event to the webhooks that asked for it, from threads; ``wait`` lets a
    short-lived command finish its deliveries (each bounded) before it exits."""

    def __init__(self, hooks: Sequence[Webhook], work_dir: Path, service: str = "service") -> None:
        self.hooks = tuple(hooks)
        self.log_path = work_dir / LOG_NAME
        self.service = service
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def send(self, event: str, summary: str, details: Mapping[str, object] | None = None) -> None:
        """Never raises, never waits for a receiver."""
        if event not in EVENTS:
            raise ValueError(f"unknown notification event {event!r}")  # a bug of ours
        data = body(event, self.service, summary, details or {})
        self._threads = [t for t in self._threads if t.is_alive()]  # a long-lived supervisor
        for hook in self.hooks:
            if event in hook.events:
                thread = threading.Thread(target=self._deliver, args=(hook, event, data),
                                          name=f"pyramid-notify-{event}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def wait(self, limit_s: float | None = None) -> None:
        """Until every delivery ended, or ``limit_s`` passed (a delivery's own bound otherwise:
        attempts x timeout plus the pauses)."""
        deadline = None if limit_s is None else time.monotonic() + limit_s
        for thread in self._threads:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            thread.join(left)

    def _deliver(self, hook: Webhook, event: str, data: bytes) -> None:
        pause = FIRST_PAUSE_S
        why = ""
        for attempt in range(hook.retries + 1):
            why = post(hook.url, data, hook.timeout_s)
            if not why:
                return
            if attempt < hook.retries:
                time.sleep(pause)
                pause *= 2
        self._log(f"{event} to {hook.url}: not delivered after {hook.retries + 1} attempt(s): "
                  f"{why}")

    def _log(self, line: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with self._lock:
            try:
                with open(self.log_path, "a", encoding="utf-8") as handle:
                    handle.write(f"{stamp} {line}\n")
            except OSError:
                pass  # a full disk must not break the deploy for a notification


def post(url: str, data: bytes, timeout: float) -> str:
    """POST the JSON; "" when the receiver took it (2xx), else why not."""
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(65536)
            return ""
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return str(getattr(exc, "reason", exc))


class DeployConfig(Protocol):
    """What of deploy/config.py's DeployConfig a notification uses (config.py imports this
    module to validate ``[tool.pyramid.notify]``, not the other way round)."""

    @property
    def notify(self) -> Mapping[str, Any]: ...

    @property
    def source(self) -> str: ...

    @property
    def work_dir(self) -> Path: ...

    @property
    def root(self) -> Path: ...


def for_config(config: DeployConfig) -> Notifier:
    """The deploy's notifier (no webhooks: sends nothing)."""
    hooks = parse_notify(dict(config.notify), config.source) if config.notify else ()
    return Notifier(hooks, config.work_dir, service=config.root.name)


def tell(config: DeployConfig, event: str, summary: str,
         details: Mapping[str, object] | None = None, *, wait_s: float = 0.0) -> None:
    """Send ``event`` to the configured webhooks; with ``wait_s``, give the deliveries that
    long (a command about to exit). Never raises for a receiver, never blocks longer."""
    notifier = for_config(config)
    if not notifier.hooks:
        return
    notifier.send(event, summary, details)
    if wait_s > 0:
        notifier.wait(wait_s)


def tell_outcome(config: DeployConfig, deployment_id: int, commit: str, outcome: str,
                 reason: str, *, wait_s: float = EXIT_WAIT_S) -> None:
    """A rollout ended: promoted, or rolled back (aborted and failed too, said in the text)."""
    event = OUTCOME_EVENTS.get(outcome)
    if event is None:  # "unchanged": nothing was rolled out
        return
    said = "" if outcome in ("succeeded", "rolled_back") else f"{outcome}: "
    tell(config, event, f"#{deployment_id} {commit[:12]}: {said}{reason}",
         {"deployment": deployment_id, "commit": commit, "outcome": outcome, "reason": reason},
         wait_s=wait_s)
