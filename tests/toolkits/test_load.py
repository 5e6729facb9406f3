"""Load results from Locust histograms (tables) and real Locust runs in a subprocess."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.toolkits.live_server import serve_wsgi
from pytest_pyramid.toolkits.load import (
    LoadTestError,
    locust_command,
    percentile,
    run_locust,
    summarize,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from pytest_pyramid.toolkits.live_server import LiveServer
    from tests.conftest import MakeProject, ReadVerdict

#: 100 samples: 90 at 10 ms, 5 at 100 ms, 4 at 200 ms, 1 at 1000 ms.
HISTOGRAM = {10.0: 90, 100.0: 5, 200.0: 4, 1000.0: 1}


@pytest.mark.parametrize(
    ("q", "expected"),
    [(0.0, 10.0), (0.5, 10.0), (0.9, 10.0), (0.91, 100.0), (0.95, 100.0), (0.96, 200.0),
     (0.99, 200.0), (1.0, 1000.0)],
)
def test_percentile_nearest_rank(q: float, expected: float) -> None:
    assert percentile(HISTOGRAM, q) == expected


@pytest.mark.parametrize(("histogram", "q"), [({}, 0.5), ({1.0: 0}, 0.5), ({1.0: 1}, 1.5)])
def test_percentile_refuses(histogram: dict[float, int], q: float) -> None:
    with pytest.raises(ValueError, match="percentile"):
        percentile(histogram, q)


def entry(name: str, requests: int, failures: int, times: dict[str, int], total_ms: float,
          start: float = 100.0, last: float = 104.0) -> dict[str, Any]:
    return {
        "name": name, "method": "GET", "num_requests": requests, "num_failures": failures,
        "response_times": times, "total_response_time": total_ms, "max_response_time": 42.0,
        "start_time": start, "last_request_timestamp": last,
    }


def test_summarize_merges_endpoints() -> None:
    result = summarize([
        entry("/a", 90, 0, {"10": 90}, 900.0, start=100.0, last=104.0),
        entry("/b", 10, 2, {"100": 5, "200": 4, "1000": 1}, 2_300.0, start=100.5, last=105.0),
    ])
    assert (result.requests, result.failures) == (100, 2)
    assert (result.p50_ms, result.p95_ms, result.p99_ms) == (10.0, 100.0, 200.0)
    assert result.avg_ms == pytest.approx(32.0)
    assert result.error_rate == pytest.approx(0.02)
    assert result.duration_s == pytest.approx(5.0)  # first start to last request
    assert result.rps == pytest.approx(20.0)
    assert result.endpoints == {"GET /a": 90, "GET /b": 10}


def test_summarize_with_a_given_duration() -> None:
    result = summarize([entry("/a", 50, 0, {"5": 50}, 250.0)], duration_s=10.0)
    assert result.rps == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([], "no endpoints"),
        ([entry("/a", 0, 0, {}, 0.0)], "made no requests"),
        ([entry("/a", 3, 0, {}, 3.0)], "without response times"),
    ],
)
def test_summarize_refuses_empty_runs(entries: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(LoadTestError, match=message):
        summarize(entries)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"users": 0}, "users"),
        ({"spawn_rate": 0}, "spawn_rate"),
        ({"run_time_s": 0.5}, "run_time_s"),
    ],
)
def test_locust_command_bounds(options: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {"users": 1, "spawn_rate": 1, "run_time_s": 1}
    with pytest.raises(ValueError, match=message):
        locust_command("f.py", host="http://h", json_base=Path("x"), **{**base, **options})


def test_locust_command_is_headless_and_bounded() -> None:
    command = locust_command(
        "f.py", host="http://h", users=3, spawn_rate=1.5, run_time_s=2.2, json_base=Path("o")
    )
    text = " ".join(command[1:])
    assert "-m locust -f f.py --headless -u 3 -r 1.5 -t 3s --host http://h --json-file o" in text
    assert "--exit-code-on-error 0" in text


LOCUSTFILE = """
from locust import HttpUser, constant, task

class Visitor(HttpUser):
    wait_time = constant(0.05)

    @task(3)
    def ok(self):
        self.client.get("/ok")

    @task(1)
    def broken(self):
        self.client.get("/broken")
"""


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    status = "500 Internal Server Error" if environ["PATH_INFO"] == "/broken" else "200 OK"
    start_response(status, [("Content-Type", "text/plain")])
    return [b"x"]


@pytest.fixture(scope="module")
def target() -> Iterator[LiveServer]:
    with serve_wsgi(app) as server:
        yield server


def test_real_locust_run_counts_errors(tmp_path: Path, target: LiveServer) -> None:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(LOCUSTFILE)
    result = run_locust(
        locustfile, host=target.url, users=2, spawn_rate=2, run_time_s=2, workdir=tmp_path / "w"
    )
    assert result.requests > 10
    assert set(result.endpoints) == {"GET /ok", "GET /broken"}
    assert result.failures == result.endpoints["GET /broken"]
    assert 0.1 < result.error_rate < 0.5  # one request in four fails
    assert 0 < result.p50_ms <= result.p95_ms <= result.p99_ms <= result.max_ms + 1
    assert math.isfinite(result.rps)
    assert result.rps > 0


def test_locust_failure_quotes_its_output(tmp_path: Path, target: LiveServer) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("raise SystemExit('no users here')\n")
    with pytest.raises(LoadTestError, match=r"(?s)Locust exited with 1.*no users here"):
        run_locust(broken, host=target.url, run_time_s=1, workdir=tmp_path / "w")


def test_locust_killed_after_its_timeout(tmp_path: Path, target: LiveServer) -> None:
    slow = tmp_path / "slow.py"
    slow.write_text("import time\ntime.sleep(60)\n")
    with pytest.raises(LoadTestError, match=r"did not finish within 2s"):
        run_locust(slow, host=target.url, run_time_s=1, timeout_s=2, workdir=tmp_path / "w")


def test_pyramid_load_records_metrics_for_the_gates(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        """
        [tool.pyramid.tiers.performance]
        paths = ["tests/performance"]
        [tool.pyramid.thresholds]
        "load.error_rate" = "< 0.005"
        "load.rps" = ">= 1"
        """,
        **{
            "conftest.py": """
                import pytest

                def app(environ, start_response):
                    failing = environ["PATH_INFO"] == "/broken"
                    start_response("500 Oops" if failing else "200 OK", [])
                    return [b"x"]

                @pytest.fixture(scope="session")
                def live_server_app():
                    return app
            """,
            "tests/performance/locustfile.py": LOCUSTFILE,
            "tests/performance/test_load.py": """
                from pathlib import Path

                def test_load(live_server, pyramid_load):
                    here = Path(__file__).with_name("locustfile.py")
                    result = pyramid_load(here, host=live_server.url, users=2, spawn_rate=2,
                                          run_time_s=2, scenario="smoke")
                    assert result.requests > 0
            """,
        },
    )
    result = pytester.runpytest_subprocess("-p", "pytest_pyramid.toolkits.plugin")
    result.assert_outcomes(passed=1)
    verdict = read_verdict()
    metrics = verdict["metrics"]
    for name in ("p50_ms", "p95_ms", "p99_ms", "avg_ms", "error_rate", "rps"):
        (sample,) = metrics[f"load.{name}"]["samples"]
        assert sample["tier"] == "performance"
        assert sample["tags"] == {"scenario": "smoke"}
    gates = {gate["id"]: gate for gate in verdict["gates"]}
    assert gates["metric.load.error_rate"]["status"] == "fail"  # the /broken endpoint
    assert gates["metric.load.rps"]["status"] == "pass"
    assert verdict["decision"] == "blocked"
