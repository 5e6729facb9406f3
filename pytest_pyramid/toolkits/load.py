"""Short load tests with Locust, run as a subprocess, judged by Locust's own statistics.

Locust monkey-patches the process with gevent on import, which breaks pytest (and xdist)
in the same process, so it always runs as ``python -m locust`` in a child process. The
figures are Locust's: its final requests table (what ``--csv`` writes to ``*_stats.csv``), taken
when the run has ended (see :mod:`pytest_pyramid.toolkits.locust_stats_hook`). Nothing is
recomputed here except the failure ratio, ``Failure Count / Request Count``.

A run with fewer than ``min_requests`` requests is not judged: a handful of requests makes
any percentile or throughput figure meaningless, and ``2 requests in 1 ms`` must not pass a
``load.rps >= 100`` gate.
"""

from __future__ import annotations

import csv
import io
import math
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

#: Metric names recorded for every judged run, by LoadResult attribute.
METRICS: tuple[tuple[str, str], ...] = (
    ("load.p50_ms", "p50_ms"),
    ("load.p95_ms", "p95_ms"),
    ("load.p99_ms", "p99_ms"),
    ("load.avg_ms", "avg_ms"),
    ("load.error_rate", "error_rate"),
    ("load.rps", "rps"),
)
#: Fewer requests than this and a run records no figures (``pyramid_load(min_requests=...)``).
DEFAULT_MIN_REQUESTS = 50
#: Added to the run time for start-up and the final report before the run is killed.
GRACE_S = 30.0
HOOK_FILE = Path(__file__).with_name("locust_stats_hook.py")
FINAL_STATS_ENV = "PYRAMID_LOCUST_FINAL_STATS"
AGGREGATED = "Aggregated"
#: LoadResult attribute -> column of Locust's requests table.
PERCENTILE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("p50_ms", "50%"), ("p95_ms", "95%"), ("p99_ms", "99%"),
)
REQUIRED_COLUMNS: tuple[str, ...] = (
    "Type", "Name", "Request Count", "Failure Count", "Average Response Time",
    "Max Response Time", "Requests/s", *(column for _, column in PERCENTILE_COLUMNS),
)


class LoadTestError(PyramidError):
    """Locust did not run, or produced no usable output."""


@dataclass(frozen=True)
class LoadResult:
    """Locust's aggregated figures for one run (percentiles are None without requests)."""

    requests: int
    failures: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    avg_ms: float
    max_ms: float
    error_rate: float
    rps: float
    min_requests: int = DEFAULT_MIN_REQUESTS
    #: Requests per endpoint, keyed ``"METHOD name"`` as Locust names them.
    endpoints: dict[str, int] = field(default_factory=dict)

    @property
    def not_evaluated(self) -> str | None:
        """Why this run's figures must not be judged, or None when they may be."""
        if self.requests >= self.min_requests:
            return None
        return (
            f"Locust made {self.requests} request(s), fewer than min_requests="
            f"{self.min_requests}: too few to judge, so no load.* metric was recorded and "
            "thresholds on them are not evaluated"
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "not_evaluated": self.not_evaluated}


def check_min_requests(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"min_requests must be a whole number of at least 1, got {value!r}")
    return value


def _number(row: Mapping[str, str], column: str, source: str) -> float:
    raw = row.get(column)
    try:
        value = float(raw or "")
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise LoadTestError(f"{source}: {column!r} of {row.get('Name')!r} is {raw!r}, not a number")
    return value


def _percentile(row: Mapping[str, str], column: str, source: str) -> float | None:
    # Locust writes N/A for the percentiles of an entry without requests.
    return None if row.get(column) == "N/A" else _number(row, column, source)


def parse_stats_table(
    text: str, *, source: str, min_requests: int = DEFAULT_MIN_REQUESTS
) -> LoadResult:
    """Read Locust's requests table (``*_stats.csv`` format): its ``Aggregated`` row's
    figures, and the request count of every endpoint row."""
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise LoadTestError(
            f"{source}: not Locust's stats table, no column {missing[0]!r} (columns: {columns})"
        )
    aggregated: dict[str, str] | None = None
    endpoints: dict[str, int] = {}
    for row in reader:
        if row["Name"] == AGGREGATED and not row["Type"]:
            aggregated = row
        else:
            key = f"{row['Type']} {row['Name']}".strip()
            endpoints[key] = endpoints.get(key, 0) + int(_number(row, "Request Count", source))
    if aggregated is None:
        raise LoadTestError(f"{source}: no {AGGREGATED!r} row in Locust's stats table")
    requests = int(_number(aggregated, "Request Count", source))
    failures = int(_number(aggregated, "Failure Count", source))
    percentiles = {
        attribute: _percentile(aggregated, column, source)
        for attribute, column in PERCENTILE_COLUMNS
    }
    return LoadResult(
        requests=requests,
        failures=failures,
        p50_ms=percentiles["p50_ms"],
        p95_ms=percentiles["p95_ms"],
        p99_ms=percentiles["p99_ms"],
        avg_ms=_number(aggregated, "Average Response Time", source),
        max_ms=_number(aggregated, "Max Response Time", source),
        # Locust's own fail_ratio: a failure without a request counts as all failed.
        error_rate=failures / requests if requests else float(failures > 0),
        rps=_number(aggregated, "Requests/s", source),
        min_requests=min_requests,
        endpoints=endpoints,
    )


def locust_command(
    locustfile: str | os.PathLike[str],
    *,
    host: str,
    users: int,
    spawn_rate: float,
    run_time_s: float,
    extra_args: Sequence[str] = (),
) -> list[str]:
    if users < 1:
        raise ValueError(f"users must be at least 1, got {users}")
    if spawn_rate <= 0:
        raise ValueError(f"spawn_rate must be positive, got {spawn_rate}")
    if run_time_s < 1:
        raise ValueError(f"run_time_s must be at least 1 second, got {run_time_s}")
    # Absolute: Locust runs in its own work directory.
    path = os.path.abspath(os.fspath(locustfile))
    if "," in path:  # Locust splits -f on commas
        raise ValueError(f"locustfile path must not contain a comma: {path!r}")
    return [
        sys.executable, "-m", "locust",
        "-f", f"{path},{HOOK_FILE}",
        "--headless",
        "-u", str(users),
        "-r", f"{spawn_rate:g}",
        "-t", f"{math.ceil(run_time_s)}s",
        "--host", host,
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
    min_requests: int = DEFAULT_MIN_REQUESTS,
    workdir: Path,
    env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    timeout_s: float | None = None,
) -> LoadResult:
    """Run a locustfile headless against ``host`` and return Locust's final figures.

    The child is killed after ``run_time_s + GRACE_S`` seconds (or ``timeout_s``); its
    output (with Locust's own summary table) is kept in ``workdir/locust.log`` and quoted
    when the run fails. Locust's final requests table is ``workdir/locust_stats.csv``.
    """
    check_min_requests(min_requests)
    command = locust_command(
        locustfile, host=host, users=users, spawn_rate=spawn_rate, run_time_s=run_time_s,
        extra_args=extra_args,
    )
    workdir.mkdir(parents=True, exist_ok=True)
    stats_path = workdir / "locust_stats.csv"
    stats_path.unlink(missing_ok=True)
    log_path = workdir / "locust.log"
    child_env = dict(os.environ)
    child_env.update(env or {})
    child_env[FINAL_STATS_ENV] = str(stats_path)
    limit = timeout_s if timeout_s is not None else run_time_s + GRACE_S
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
    if completed.returncode != 0:
        raise LoadTestError(
            f"Locust exited with {completed.returncode}; log: {log_path}\n{_tail(log_path)}"
        )
    try:
        text = stats_path.read_text("utf-8")
    except OSError as exc:
        raise LoadTestError(
            f"Locust wrote no final stats to {stats_path}: {exc}\n{_tail(log_path)}"
        ) from exc
    return parse_stats_table(text, source=str(stats_path), min_requests=min_requests)


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text("utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
