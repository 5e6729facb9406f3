"""Short load tests with Locust, run as a subprocess, summarised into metrics.

Locust monkey-patches the process with gevent on import, which breaks pytest (and xdist)
in the same process, so it always runs as ``python -m locust`` in a child process. Its
``--json-file`` output holds per-endpoint latency histograms; percentiles, error rate and
throughput are computed here from those histograms.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path

#: Metric names recorded for every run, by LoadResult attribute.
METRICS: tuple[tuple[str, str], ...] = (
    ("load.p50_ms", "p50_ms"),
    ("load.p95_ms", "p95_ms"),
    ("load.p99_ms", "p99_ms"),
    ("load.avg_ms", "avg_ms"),
    ("load.error_rate", "error_rate"),
    ("load.rps", "rps"),
)
#: Added to the run time for start-up and the final report before the run is killed.
GRACE_S = 30.0


class LoadTestError(PyramidError):
    """Locust did not run, or produced no usable output."""


@dataclass(frozen=True)
class LoadResult:
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    avg_ms: float
    max_ms: float
    error_rate: float
    rps: float
    duration_s: float
    endpoints: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def merge_histograms(
    histograms: Iterable[Mapping[str, int] | Mapping[int, int]],
) -> dict[float, int]:
    merged: dict[float, int] = {}
    for histogram in histograms:
        for bucket, count in histogram.items():
            key = float(bucket)
            merged[key] = merged.get(key, 0) + int(count)
    return merged


def percentile(histogram: Mapping[float, int], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1) of a ``{value: count}`` histogram.

    The smallest bucket value below or at which at least ``ceil(q * n)`` samples lie;
    Locust's buckets are already rounded (exact below 100 ms, to 10 ms below 1 s, then
    to 100 ms), so the result has the histogram's resolution.
    """
    if not 0 <= q <= 1:
        raise ValueError(f"percentile must be within 0..1, got {q!r}")
    total = sum(histogram.values())
    if total <= 0:
        raise ValueError("percentile of an empty histogram")
    rank = max(1, math.ceil(q * total))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)  # pragma: no cover - unreachable, rank <= total


def summarize(
    entries: Sequence[Mapping[str, Any]], *, duration_s: float | None = None
) -> LoadResult:
    """Aggregate Locust's ``--json-file`` entries (one per endpoint) into one result.

    Throughput uses the span from the first request's start to the last request when
    ``duration_s`` is not given; that span excludes Locust's start-up and shutdown.
    """
    if not entries:
        raise LoadTestError("Locust reported no endpoints: no request was made")
    requests = sum(int(e.get("num_requests", 0)) for e in entries)
    failures = sum(int(e.get("num_failures", 0)) for e in entries)
    if requests <= 0:
        raise LoadTestError("Locust made no requests (is the host reachable? the run too short?)")
    histogram = merge_histograms(e.get("response_times", {}) for e in entries)
    if not histogram:
        raise LoadTestError("Locust reported requests without response times")
    total_ms = sum(float(e.get("total_response_time", 0.0)) for e in entries)
    if duration_s is None:
        starts = [float(e["start_time"]) for e in entries if e.get("start_time")]
        ends = [
            float(e["last_request_timestamp"]) for e in entries if e.get("last_request_timestamp")
        ]
        duration_s = (max(ends) - min(starts)) if starts and ends else 0.0
    duration_s = max(duration_s, 1e-3)
    endpoints: dict[str, int] = {}
    for e in entries:
        key = f"{e.get('method', '')} {e.get('name', '')}".strip()
        endpoints[key] = endpoints.get(key, 0) + int(e.get("num_requests", 0))
    return LoadResult(
        requests=requests,
        failures=failures,
        p50_ms=percentile(histogram, 0.50),
        p95_ms=percentile(histogram, 0.95),
        p99_ms=percentile(histogram, 0.99),
        avg_ms=total_ms / requests,
        max_ms=max(float(e.get("max_response_time", 0.0) or 0.0) for e in entries),
        error_rate=failures / requests,
        rps=requests / duration_s,
        duration_s=duration_s,
        endpoints=endpoints,
    )


def locust_command(
    locustfile: str | os.PathLike[str],
    *,
    host: str,
    users: int,
    spawn_rate: float,
    run_time_s: float,
    json_base: Path,
    extra_args: Sequence[str] = (),
) -> list[str]:
    if users < 1:
        raise ValueError(f"users must be at least 1, got {users}")
    if spawn_rate <= 0:
        raise ValueError(f"spawn_rate must be positive, got {spawn_rate}")
    if run_time_s < 1:
        raise ValueError(f"run_time_s must be at least 1 second, got {run_time_s}")
    return [
        sys.executable, "-m", "locust",
        "-f", os.fspath(locustfile),
        "--headless",
        "-u", str(users),
        "-r", f"{spawn_rate:g}",
        "-t", f"{math.ceil(run_time_s)}s",
        "--host", host,
        "--json-file", str(json_base),
        "--skip-log",
        "--only-summary",
        # Failures are judged by the error-rate gate, not by Locust's exit code.
        "--exit-code-on-error", "0",
        "--stop-timeout", "2",
        *extra_args,
    ]


def run_locust(
    locustfile: str | os.PathLike[str],
    *,
    host: str,
    users: int = 10,
    spawn_rate: float = 10,
    run_time_s: float = 5,
    workdir: Path,
    env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    timeout_s: float | None = None,
) -> LoadResult:
    """Run a locustfile headless against ``host`` and summarise what it measured.

    The child is killed after ``run_time_s + GRACE_S`` seconds (or ``timeout_s``); its
    output is kept in ``workdir/locust.log`` and quoted when the run fails.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    json_base = workdir / "locust-stats"
    json_path = json_base.with_suffix(".json")
    json_path.unlink(missing_ok=True)
    log_path = workdir / "locust.log"
    command = locust_command(
        locustfile, host=host, users=users, spawn_rate=spawn_rate, run_time_s=run_time_s,
        json_base=json_base, extra_args=extra_args,
    )
    child_env = dict(os.environ)
    child_env.update(env or {})
    limit = timeout_s if timeout_s is not None else run_time_s + GRACE_S
    started = time.monotonic()
    with open(log_path, "wb") as log:
        try:
            completed = subprocess.run(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=child_env, cwd=workdir, timeout=limit, check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise LoadTestError(
                f"Locust did not finish within {limit:g}s; log: {log_path}\n{_tail(log_path)}"
            ) from exc
    elapsed = time.monotonic() - started
    if completed.returncode != 0:
        raise LoadTestError(
            f"Locust exited with {completed.returncode} after {elapsed:.1f}s; log: {log_path}\n"
            f"{_tail(log_path)}"
        )
    try:
        entries = json.loads(json_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise LoadTestError(f"no Locust stats in {json_path}: {exc}\n{_tail(log_path)}") from exc
    if not isinstance(entries, list):
        raise LoadTestError(f"{json_path}: expected a list of endpoint stats")
    return summarize(entries)


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text("utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
