"""``external.<name>`` gates end to end: a pytester project in git whose
``[tool.pyramid.metrics]`` reads a real HTTP server answering as Prometheus's query API does
(``GET /api/v1/query``), serial and under ``-n 2``."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

from tests.git_repo import init_repo

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.conftest import MakeProject, ReadVerdict

MODES = [pytest.param((), id="serial"), pytest.param(("-n", "2"), id="xdist")]


class Prometheus:
    """A loopback server with Prometheus's instant-query answer shape; ``series`` is what the
    next query gets (``answers``: what one query text gets instead, its samples ``age_s``
    old), ``queries`` what it was asked."""

    def __init__(self) -> None:
        self.series: list[tuple[dict[str, str], str]] = []
        self.answers: dict[str, tuple[list[tuple[dict[str, str], str]], float]] = {}
        self.queries: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urllib.parse.urlparse(self.path)
                query = urllib.parse.parse_qs(url.query).get("query", [""])[0]
                owner.queries.append(query)
                import time

                series, age = owner.answers.get(query, (owner.series, 0.0))
                result = [{"metric": labels, "value": [time.time() - age, value]}
                          for labels, value in series]
                body = json.dumps({"status": "success",
                                   "data": {"resultType": "vector", "result": result}}).encode()
                self.send_response(200 if url.path == "/api/v1/query" else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def prometheus() -> Iterator[Prometheus]:
    server = Prometheus()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def project(make_project: MakeProject, pytester: pytest.Pytester, metrics: str) -> str:
    make_project(metrics, **{
        "tests/unit/test_u.py": "def test_u(): pass\n",
        ".gitignore": "pyramid-verdict*\n__pycache__/\n/stdout\n/stderr\n",
    })
    return init_repo(pytester.path)


def conversion(url: str, extra: str = "") -> str:
    return f"""
        [tool.pyramid.metrics.conversion]
        source = "prometheus"
        url = "{url}"
        query = 'sum(rate(orders_total{{version="{{version}}"}}[5m]))'
        threshold = ">= 0.02"
        {extra}
    """


def gate(verdict: dict[str, Any], gate_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [g for g in verdict["gates"] if g["id"] == gate_id]
    assert len(found) == 1, [g["id"] for g in verdict["gates"]]
    return found[0]


@pytest.mark.parametrize("mode", MODES)
def test_a_number_that_meets_its_threshold_passes_and_the_query_names_the_commit(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    prometheus: Prometheus, mode: tuple[str, ...],
) -> None:
    commit = project(make_project, pytester, conversion(prometheus.url))
    prometheus.series = [({"job": "shop"}, "0.031")]
    pytester.runpytest_subprocess(*mode)
    verdict = read_verdict()
    result = gate(verdict, "external.conversion")
    assert (result["status"], result["actual"], result["threshold"]) == ("pass", 0.031, ">= 0.02")
    assert prometheus.queries == [f'sum(rate(orders_total{{version="{commit}"}}[5m]))']
    assert verdict["decision"] == "ready", verdict


@pytest.mark.parametrize("mode", MODES)
def test_a_number_below_its_threshold_blocks(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    prometheus: Prometheus, mode: tuple[str, ...],
) -> None:
    project(make_project, pytester, conversion(prometheus.url))
    prometheus.series = [({"job": "shop"}, "0.011")]
    pytester.runpytest_subprocess(*mode)
    verdict = read_verdict()
    assert gate(verdict, "external.conversion")["status"] == "fail"
    assert verdict["decision"] == "blocked"


@pytest.mark.parametrize(("series", "needle"), [
    ([], "0 series"),
    ([({"pod": "a"}, "0.03"), ({"pod": "b"}, "0.05")], "2 series"),
    ([({}, "NaN")], "not a finite number"),
    ([({}, "+Inf")], "not a finite number"),
])
def test_no_single_finite_number_is_never_a_pass(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    prometheus: Prometheus, series: list[tuple[dict[str, str], str]], needle: str,
) -> None:
    project(make_project, pytester, conversion(prometheus.url))
    prometheus.series = series
    pytester.runpytest_subprocess()
    verdict = read_verdict()
    result = gate(verdict, "external.conversion")
    assert result["status"] == "not_evaluated"
    assert needle in result["message"]
    assert verdict["decision"] != "ready"


def test_an_unreachable_server_is_not_evaluated_and_optional_metrics_only_warn(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
) -> None:
    project(make_project, pytester, conversion("http://127.0.0.1:9", "required = false"))
    pytester.runpytest_subprocess()
    verdict = read_verdict()
    result = gate(verdict, "external.conversion")
    assert result["status"] == "not_evaluated"
    assert "could not be queried" in result["message"]
    assert verdict["decision"] == "ready"  # required = false: a warning, said in the verdict


def test_a_bad_metric_table_is_a_usage_error_naming_it(
    pytester: pytest.Pytester, make_project: MakeProject,
) -> None:
    project(make_project, pytester, conversion("http://127.0.0.1:9", 'colour = "red"'))
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*metrics.conversion.colour = 'red'*unknown key*"])
