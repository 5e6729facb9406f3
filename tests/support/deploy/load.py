"""A bounded loopback load client that counts every request, as three kinds of client do it.

* ``keepalive``: one ``http.client`` connection reused for every request (what a service
  calling another service does); a failure closes it and the next request reconnects;
* ``session``: a ``requests.Session`` (urllib3's pool, its default retry policy);
* ``fresh``: a new connection per request (``urllib.request``, ``Connection: close``).

Each kind runs in its own thread and paces itself to ``rate / 3`` requests a second. The run is
bounded by ``max_seconds`` and ``max_requests``. Every request is recorded with its wall-clock
start and end (comparable with the history's timestamps), whether it succeeded (a 2xx), and
who served it (the first word of the body) or what went wrong. Nothing here depends on how
many requests fit in a window: tests assert on what was recorded being consistent.
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit

KINDS = ("keepalive", "session", "fresh")
Call = Callable[[], tuple[bool, str]]
Close = Callable[[], None]


@dataclass(frozen=True)
class Request:
    kind: str
    started: float  # time.time()
    ended: float
    ok: bool
    #: the first word of the body (the serving version) or what failed (HTTP 502, reset, ...)
    served: str

    @property
    def ended_at(self) -> datetime:
        return datetime.fromtimestamp(self.ended, timezone.utc)


@dataclass
class Clients:
    url: str
    rate: float = 150.0
    max_seconds: float = 180.0
    max_requests: int = 60_000
    timeout: float = 60.0
    kinds: tuple[str, ...] = KINDS
    results: list[Request] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    # -- the three clients --------------------------------------------------------------------
    def _keepalive(self) -> tuple[Call, Close]:
        parts = urlsplit(self.url)
        state: dict[str, http.client.HTTPConnection | None] = {"conn": None}

        def call() -> tuple[bool, str]:
            conn = state["conn"]
            if conn is None:
                conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port,
                                                  timeout=self.timeout)
                state["conn"] = conn
            try:
                conn.request("GET", parts.path or "/")
                response = conn.getresponse()
                body = response.read().decode("utf-8", "replace")
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                state["conn"] = None
                return False, type(exc).__name__
            return _judge(response.status, body)

        def close() -> None:
            if state["conn"] is not None:
                state["conn"].close()

        return call, close

    def _session(self) -> tuple[Call, Close]:
        import requests

        session = requests.Session()

        def call() -> tuple[bool, str]:
            try:
                response = session.get(self.url, timeout=self.timeout)
            except requests.RequestException as exc:
                return False, type(exc).__name__
            return _judge(response.status_code, response.text)

        return call, session.close

    def _fresh(self) -> tuple[Call, Close]:
        def call() -> tuple[bool, str]:
            try:
                with urllib.request.urlopen(self.url, timeout=self.timeout) as response:
                    return _judge(response.status, response.read().decode("utf-8", "replace"))
            except urllib.error.HTTPError as exc:
                return False, f"HTTP {exc.code}"
            except (OSError, http.client.HTTPException) as exc:
                return False, type(exc).__name__

        return call, lambda: None

    def _work(self, kind: str) -> None:
        call, close = {"keepalive": self._keepalive, "session": self._session,
                       "fresh": self._fresh}[kind]()
        try:
            self._loop(kind, call)
        finally:
            close()

    def _loop(self, kind: str, call: Call) -> None:
        pause = len(self.kinds) / self.rate
        deadline = time.monotonic() + self.max_seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            with self._lock:
                if len(self.results) >= self.max_requests:
                    return
            began = time.time()
            slot = time.monotonic() + pause
            ok, served = call()
            with self._lock:
                self.results.append(Request(kind, began, time.time(), ok, served))
            rest = slot - time.monotonic()
            if rest > 0:
                self._stop.wait(rest)

    # -- running ------------------------------------------------------------------------------
    def __enter__(self) -> Clients:
        for kind in self.kinds:
            thread = threading.Thread(target=self._work, args=(kind,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 15)

    def wait_for(self, count: int, timeout: float = 60.0) -> None:
        """Wait (a bounded time) until ``count`` requests in all have been recorded."""
        deadline = time.monotonic() + timeout
        while len(self.results) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.results) >= count, f"only {len(self.results)} requests in {timeout}s"

    def settle_on(self, version: str, requests: int = 30) -> None:
        """Every request started from now on (the next ``requests`` of them, at least one of
        each kind) succeeds and is served by ``version``."""
        mark = time.time()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            later = self.since(mark)
            if len(later) >= requests and {r.kind for r in later} >= set(self.kinds):
                break
            time.sleep(0.02)
        later = self.since(mark)
        assert later, "no request was answered at all"
        assert all(r.ok for r in later), Counter(r.served for r in later if not r.ok)
        assert {r.served for r in later} == {version[:12]}, Counter(r.served for r in later)

    # -- figures ------------------------------------------------------------------------------
    def since(self, moment: float) -> list[Request]:
        with self._lock:
            return [r for r in self.results if r.started >= moment]

    @property
    def sent(self) -> int:
        return len(self.results)

    @property
    def failures(self) -> list[Request]:
        return [r for r in self.results if not r.ok]

    def failed_by_kind(self) -> dict[str, int]:
        counts = dict.fromkeys(self.kinds, 0)
        for r in self.failures:
            counts[r.kind] += 1
        return counts

    def sent_by_kind(self) -> dict[str, int]:
        return dict(Counter(r.kind for r in self.results))

    def served_by(self) -> Counter[str]:
        return Counter(r.served for r in self.results if r.ok)

    def failing_for(self) -> float | None:
        """Seconds from the start of the first failed request to the end of the last one."""
        failures = self.failures
        if not failures:
            return None
        return round(max(r.ended for r in failures) - min(r.started for r in failures), 3)

    def failed_after_recovery(self, moment: float) -> list[Request]:
        """Requests that failed after their own client had succeeded again since ``moment``.

        Judged per client, in the order its one thread sent them: across threads a start time
        says nothing about which request reached the port first (a thread can be descheduled
        between noting its start and connecting), so "a failure that started after the first
        success" is a race with the scheduler, while a failure after this client's own success
        is a real second outage."""
        late: list[Request] = []
        with self._lock:
            ordered = [r for r in self.results if r.started >= moment]
        for kind in self.kinds:
            recovered = False
            for r in (r for r in ordered if r.kind == kind):
                recovered = recovered or r.ok
                if recovered and not r.ok:
                    late.append(r)
        return late

    def summary(self) -> dict[str, object]:
        return {"sent": self.sent, "failed": len(self.failures),
                "sent_by_kind": self.sent_by_kind(), "failed_by_kind": self.failed_by_kind(),
                "errors": dict(Counter(r.served for r in self.failures)),
                "failing_for_s": self.failing_for()}


def _judge(status: int, body: str) -> tuple[bool, str]:
    if 200 <= status < 300:
        return True, body.split(" ", 1)[0].strip()
    return False, f"HTTP {status}"

