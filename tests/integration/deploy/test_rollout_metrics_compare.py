"""``compare = "baseline"`` in rollout analysis (deploy/rollout_metrics.py), read from a real
HTTP server answering as Prometheus's instant-query API does: the query asked twice, with the
canary's and the fresh baseline's ``{version}`` and ``{instance}``, and the relative change held
to ``change``. Anything but a number on both sides is inconclusive, never a pass."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy import rollout_metrics
from pytest_pyramid.deploy.analysis import Measurement
from pytest_pyramid.deploy.rollout_metrics import Subject
from pytest_pyramid.gates.sources import parse_metrics
from tests.integration.gates.test_gate_external import Prometheus, prometheus

if TYPE_CHECKING:
    from pytest_pyramid.gates.sources import Metric

__all__ = ["prometheus"]  # the fixture, served per test

CANARY = Subject("c" * 40, "127.0.0.1:3001")
BASELINE = Subject("b" * 40, "127.0.0.1:3002")
QUERY = 'sum(rate(orders_total{{version="{v}",instance="{i}"}}[5m]))'


def conversion(url: str, required: bool = True) -> Metric:
    (metric,) = parse_metrics({"conversion": {
        "source": "prometheus", "url": url, "compare": "baseline", "change": ">= -0.1",
        "rollout": True, "required": required, "max_age": "60s",
        "query": QUERY.format(v="{version}", i="{instance}")}}, "pyproject.toml")
    return metric


def answer(server: Prometheus, subject: Subject, values: list[str], age: float = 0.0) -> None:
    series = [({"instance": subject.instance}, value) for value in values]
    server.answers[QUERY.format(v=subject.version, i=subject.instance)] = (series, age)


def look(result: str = "successful") -> Measurement:
    return Measurement(result, 100, 0.0, 0.01, ("access log",))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("canary", "baseline", "decision", "said"),
    [
        ((["0.029"], 0), (["0.030"], 0), "successful", ""),  # -3.3%: within -10%
        ((["0.033"], 0), (["0.030"], 0), "successful", ""),  # better is never a breach
        ((["0.011"], 0), (["0.030"], 0), "failed",
         "metric conversion: canary 0.011 vs baseline 0.03, change -63.3% breaks >= -0.1 "
         "(prometheus)"),
        (([], 0), (["0.030"], 0), "inconclusive", "canary: prometheus: 0 series"),
        ((["0.030"], 0), (["NaN"], 0), "inconclusive", "baseline: prometheus: the value is nan"),
        ((["0.030"], 0), (["0.03", "0.04"], 0), "inconclusive", "baseline: prometheus: 2 series"),
        ((["0.030"], 0), (["+Inf"], 0), "inconclusive", "not a finite number"),
        ((["0.030"], 0), (["0.030"], 120), "inconclusive", "s old (max_age 60s)"),
        ((["0.030"], 0), (["0"], 0), "inconclusive", "the baseline's value is 0 and the "
         "canary's 0.03: no relative change"),
        ((["0"], 0), (["0"], 0), "successful", ""),  # nothing on either side: no change
    ],
)
def test_the_canary_against_the_baseline_from_a_prometheus_endpoint(
    prometheus: Prometheus, canary: tuple[list[str], float], baseline: tuple[list[str], float],
    decision: str, said: str,
) -> None:
    answer(prometheus, CANARY, *canary)
    answer(prometheus, BASELINE, *baseline)
    judged = rollout_metrics.judge(look(), (conversion(prometheus.url),), CANARY,
                                   baseline=BASELINE)
    assert judged.result == decision, judged.reasons
    assert said in "; ".join(judged.reasons)
    assert sorted(prometheus.queries) == sorted(
        QUERY.format(v=s.version, i=s.instance) for s in (CANARY, BASELINE))
    record = judged.as_dict()["metrics"]
    assert isinstance(record, dict)
    line = rollout_metrics.describe(record)
    assert line.startswith("conversion ")
    assert "(bound >= -0.1)" in line


def test_no_number_of_a_metric_not_required_is_only_noted(prometheus: Prometheus) -> None:
    answer(prometheus, CANARY, ["0.030"])
    answer(prometheus, BASELINE, [])
    judged = rollout_metrics.judge(look(), (conversion(prometheus.url, required=False),),
                                   CANARY, baseline=BASELINE)
    assert judged.result == "successful"
    record = judged.as_dict()["metrics"]
    assert isinstance(record, dict)
    assert record["conversion"]["status"] == "not_evaluated"


def test_an_unreachable_endpoint_is_inconclusive(prometheus: Prometheus) -> None:
    metric = conversion(prometheus.url)
    prometheus.server.shutdown()
    prometheus.server.server_close()
    judged = rollout_metrics.judge(look(), (metric,), CANARY, baseline=BASELINE)
    assert judged.result == "inconclusive"
    assert "could not be queried" in judged.reasons[0]


@pytest.mark.parametrize("result", ["successful", "inconclusive", "failed"])
def test_a_look_without_a_baseline_is_not_compared_and_decides_nothing(
    prometheus: Prometheus, result: str
) -> None:
    """Above 50%, in the bake: no baseline at the canary's weight; the metric is noted as not
    compared (nothing read) and the look is what the rest of it says."""
    judged = rollout_metrics.judge(look(result), (conversion(prometheus.url),), CANARY)
    assert judged.result == result
    assert prometheus.queries == []
    record = judged.as_dict()["metrics"]
    assert isinstance(record, dict)
    assert record["conversion"]["status"] == "not_compared"
    assert "not_compared (no baseline with the canary's weight" in \
        rollout_metrics.describe(record)
