"""Per-upstream figures from access-log lines, and Argo-style judgement of measurements.

The router writes one line per request in ``LOG_FORMAT``. A request nginx retried on another
server lists every attempt (``a, b``); each attempt is charged to the server that made it, so a
canary that refuses connections shows errors even when the retry hid them from the client.
A time-out (``request_timeout`` ran out: nginx logs 504 for that attempt) is an error too,
counted apart so the reason can say so.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

# '|' never occurs in these variables, unlike ' ' and ',' which do in $upstream_addr.
LOG_FORMAT = "$msec|$status|$upstream_addr|$upstream_status|$upstream_response_time|$request_time"

Result = Literal["successful", "failed", "inconclusive"]
Action = Literal["measure", "advance", "rollback", "pause"]


@dataclass
class UpstreamStats:
    requests: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    timeouts: int = 0

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None

    @property
    def p95(self) -> float | None:
        return percentile(self.latencies, 95)


@dataclass(frozen=True)
class LogWindow:
    """What a slice of the access log says, per upstream, plus what clients saw."""

    upstreams: Mapping[str, UpstreamStats]
    client_requests: int
    client_errors: int
    malformed: int


def percentile(values: Iterable[float], pct: float) -> float | None:
    """Nearest-rank percentile (a value that was actually observed), None without data."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _split(field_value: str) -> list[str]:
    # " : " separates attempts across internal redirects, ", " across retries.
    return [part.strip() for part in field_value.replace(" : ", ", ").split(",")]


def parse_lines(lines: Iterable[str]) -> LogWindow:
    upstreams: dict[str, UpstreamStats] = {}
    client_requests = client_errors = malformed = 0
    for line in lines:
        parts = line.rstrip("\n").split("|")
        if len(parts) != 6:
            if line.strip():
                malformed += 1
            continue
        _, status, addrs, statuses, times, _ = parts
        if not status.isdigit():
            malformed += 1
            continue
        client_requests += 1
        if int(status) >= 500:
            client_errors += 1
        if addrs == "-":
            continue
        for addr, up_status, up_time in zip(
            _split(addrs), _split(statuses), _split(times), strict=False
        ):
            if not addr or addr == "-":
                continue
            stats = upstreams.setdefault(addr, UpstreamStats())
            stats.requests += 1
            # A connection error shows as 502/504 or as "-" (no response at all).
            if not up_status.isdigit() or int(up_status) >= 500:
                stats.errors += 1
            if up_status == "504":
                stats.timeouts += 1
            with contextlib.suppress(ValueError):
                stats.latencies.append(float(up_time))
    return LogWindow(upstreams, client_requests, client_errors, malformed)


@dataclass(frozen=True)
class Limits:
    error_rate: float = 0.005
    p95: float = 0.5
    min_requests: int = 20
    compare_with_stable: bool = False
    max_p95_ratio: float = 1.5
    max_error_rate_delta: float = 0.005


@dataclass(frozen=True)
class Measurement:
    result: Result
    requests: int
    error_rate: float | None
    p95: float | None
    reasons: tuple[str, ...]
    stable_requests: int = 0
    stable_error_rate: float | None = None
    stable_p95: float | None = None
    #: judge = "nonparametric": the look's numbers (nonparametric.Look.as_dict), kept so a
    #: person can see why it decided as it did
    comparison: Mapping[str, object] | None = None
    #: metric sources judged at this look (deploy/rollout_metrics.py): name -> reading
    metrics: Mapping[str, object] | None = None

    def as_dict(self) -> dict[str, object]:
        return ({} if self.comparison is None else {"comparison": dict(self.comparison)}) | (
            {} if self.metrics is None else {"metrics": dict(self.metrics)}) | {
            "result": self.result,
            "requests": self.requests,
            "error_rate": self.error_rate,
            "p95_s": self.p95,
            "reasons": list(self.reasons),
            "stable_requests": self.stable_requests,
            "stable_error_rate": self.stable_error_rate,
            "stable_p95_s": self.stable_p95,
        }


def blind(why: str, seen: Measurement) -> Measurement:
    """A window the analysis cannot trust to hold every request (sight.py): inconclusive
    whatever it showed, never a pass; its figures are kept for the record."""
    return Measurement("inconclusive", seen.requests, seen.error_rate, seen.p95,
                       (f"blind: {why}",), seen.stable_requests, seen.stable_error_rate,
                       seen.stable_p95, seen.comparison, seen.metrics)


def judge(
    canary: UpstreamStats | None, stable: UpstreamStats | None, limits: Limits
) -> Measurement:
    """One measurement: too little traffic is inconclusive, never a silent pass."""
    canary = canary or UpstreamStats()
    stable = stable or UpstreamStats()

    def make(result: Result, reasons: tuple[str, ...]) -> Measurement:
        return Measurement(
            result, canary.requests, canary.error_rate, canary.p95, reasons,
            stable.requests, stable.error_rate, stable.p95,
        )

    timeouts = f" ({canary.timeouts} timed out)" if canary.timeouts else ""
    if canary.requests < limits.min_requests:
        # Fail fast: when the errors already seen would breach the limit even if every request
        # still missing up to min_requests succeeded, more data cannot change the result.
        if canary.errors > limits.error_rate * limits.min_requests:
            return make("failed", (
                f"{canary.errors} error(s){timeouts} in {canary.requests} request(s): above "
                f"the {limits.error_rate:.2%} limit even at min_requests {limits.min_requests}",
            ))
        why = f"{canary.requests} request(s) < min_requests {limits.min_requests}"
        return make("inconclusive", (why,))
    breaches: list[str] = []
    rate = canary.error_rate or 0.0
    if rate > limits.error_rate:
        breaches.append(f"error rate {rate:.2%}{timeouts} > limit {limits.error_rate:.2%}")
    p95 = canary.p95
    if p95 is not None and p95 > limits.p95:
        breaches.append(f"p95 {p95 * 1000:.0f}ms > limit {limits.p95 * 1000:.0f}ms")
    if limits.compare_with_stable and stable.requests >= limits.min_requests:
        stable_rate = stable.error_rate or 0.0
        if rate - stable_rate > limits.max_error_rate_delta:
            breaches.append(
                f"error rate {rate:.2%} exceeds stable {stable_rate:.2%} "
                f"by more than {limits.max_error_rate_delta:.2%}"
            )
        if p95 is not None and stable.p95 and p95 > stable.p95 * limits.max_p95_ratio:
            breaches.append(
                f"p95 {p95 * 1000:.0f}ms > {limits.max_p95_ratio}x stable "
                f"{stable.p95 * 1000:.0f}ms"
            )
    if breaches:
        return make("failed", tuple(breaches))
    return make("successful", ("within limits",))


@dataclass
class AnalysisRun:
    """Counts measurements across a rollout the way Argo Rollouts does.

    More than ``failure_limit`` failed measurements -> rollback. More than
    ``inconclusive_limit`` inconclusive measurements in a row -> pause for a human. (A window
    the analysis cannot read is blind, not Argo's "error": rollout.py pauses on it at once and
    ``blind_timeout`` bounds it.) A step advances after ``measurements_per_step`` successful
    measurements.
    """

    failure_limit: int = 0
    inconclusive_limit: int = 3
    measurements_per_step: int = 1
    failures: int = 0
    consecutive_inconclusive: int = 0
    step_successes: int = 0
    #: judge = "nonparametric": looks that ran the tests so far (each spent its share of alpha),
    #: carried over from the rollout's durable record when a supervisor resumes it
    looks: int = 0
    #: the share of the rollout's alpha those looks spent
    alpha_spent: float = 0.0
    #: called after a look is counted and before its tests run: the rollout writes the count
    #: to its state first, so a supervisor killed during the look never spends it twice
    on_look: Callable[[], None] | None = None

    def spend_look(self, alpha: float) -> int:
        """Count the next look (which spends ``alpha``) durably; its number (1-based)."""
        self.looks += 1
        self.alpha_spent += alpha
        if self.on_look is not None:
            self.on_look()
        return self.looks

    def new_step(self) -> None:
        self.step_successes = 0
        self.consecutive_inconclusive = 0

    def record(self, result: Result) -> Action:
        if result == "failed":
            self.failures += 1
            self.consecutive_inconclusive = 0
            return "rollback" if self.failures > self.failure_limit else "measure"
        if result == "inconclusive":
            self.consecutive_inconclusive += 1
            return "pause" if self.consecutive_inconclusive > self.inconclusive_limit else "measure"
        self.consecutive_inconclusive = 0
        self.step_successes += 1
        return "advance" if self.step_successes >= self.measurements_per_step else "measure"
