"""Metric sources (gates/sources/): the configuration table, each kind's answer read as exactly
one finite, fresh number or a reason. Pure; the gate end to end is in test_gate_external.py."""

from __future__ import annotations

import json
import shutil
import sys
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.errors import ConfigError
from pytest_pyramid.gates.sources import Metric, Raw, SourceError, parse_metrics, read, schema
from pytest_pyramid.gates.sources.file import parse_text
from pytest_pyramid.gates.sources.prometheus import parse_response

if TYPE_CHECKING:
    from pathlib import Path

PROM = {"source": "prometheus", "url": "http://127.0.0.1:9", "query": "up", "threshold": "> 0"}
#: the canary's figure against the fresh baseline's, in a rollout (deploy/rollout_metrics.py)
COMPARED = {**{k: v for k, v in PROM.items() if k != "threshold"}, "compare": "baseline",
            "change": ">= -0.1", "rollout": True}


@pytest.mark.parametrize(("table", "needle"), [
    ({"source": "statsd"}, "metrics.m.source = 'statsd': must be one of command, file, prometheus"),
    ({**PROM, "colour": "red"}, "metrics.m.colour = 'red': unknown key for source 'prometheus'"),
    ({k: v for k, v in PROM.items() if k != "query"}, "metrics.m.query = None: required"),
    ({k: v for k, v in PROM.items() if k != "threshold"}, "metrics.m.threshold = None: required"),
    ({**PROM, "compare": "baseline"}, "metrics.m.compare = 'baseline': compare = 'baseline' "
     "needs rollout = true"),
    ({**COMPARED, "compare": "stable"}, "metrics.m.compare = 'stable': must be one of baseline"),
    ({**COMPARED, "threshold": "> 0"}, "metrics.m.threshold = '> 0': with compare = 'baseline' "
     "the bound is on the relative change: give change"),
    ({k: v for k, v in COMPARED.items() if k != "change"}, "metrics.m.change = None: required"),
    ({**COMPARED, "change": "p95 < 1"}, "metrics.m.change = 'p95 < 1': a source gives one"),
    ({**PROM, "change": ">= -0.1"}, "metrics.m.change = '>= -0.1': change bounds a comparison: "
     "only with compare = 'baseline'"),
    ({**PROM, "threshold": "about 3"}, "metrics.m.threshold = 'about 3': expected"),
    ({**PROM, "threshold": "p95 < 3"}, "a source gives one number: no aggregate"),
    ({**PROM, "max_age": "soon"}, "metrics.m.max_age = 'soon': expected a duration"),
    ({**PROM, "timeout": 0}, "metrics.m.timeout = 0: must be more than 0"),
    ({**PROM, "required": "yes"}, "metrics.m.required = 'yes': must be true or false"),
    ({**PROM, "level": "off"}, "metrics.m.level = 'off': must be block, approve or warn"),
    ({**PROM, "rollout": "yes"}, "metrics.m.rollout = 'yes': must be true or false"),
])
def test_a_bad_metric_table_names_the_key_the_value_and_the_file(
    table: dict[str, Any], needle: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_metrics({"m": table}, "pyproject.toml")
    assert needle in str(info.value)
    assert str(info.value).startswith("pyproject.toml: [tool.pyramid] ")


def test_a_good_table_reads_with_its_defaults() -> None:
    (metric,) = parse_metrics({"conversion": PROM}, "pyproject.toml")
    assert metric.gate_id == "external.conversion"
    assert (metric.required, metric.level, metric.max_age_s, metric.timeout_s) == (
        True, "block", 600.0, 5.0)
    assert metric.threshold is not None
    assert metric.threshold.text == "> 0"


def vector(*values: str, ts: float = 1_000.0) -> bytes:
    result = [{"metric": {"version": f"v{i}"}, "value": [ts, v]} for i, v in enumerate(values)]
    return json.dumps({"status": "success",
                       "data": {"resultType": "vector", "result": result}}).encode()


@pytest.mark.parametrize(("body", "expected"), [
    (vector("0.25"), Raw(0.25, 1_000.0)),
    (json.dumps({"status": "success", "data": {"resultType": "scalar",
                                               "result": [5.0, "3"]}}).encode(), Raw(3.0, 5.0)),
])
def test_prometheus_one_series_is_one_number(body: bytes, expected: Raw) -> None:
    assert parse_response(body) == expected


@pytest.mark.parametrize(("body", "needle"), [
    (vector(), "0 series (exactly one expected"),
    (vector("1", "2"), "2 series (exactly one expected"),
    (b"<html>", "not JSON"),
    (json.dumps({"status": "error", "errorType": "bad_data",
                 "error": "parse error at char 4"}).encode(), "parse error at char 4"),
    (json.dumps({"status": "success", "data": {"resultType": "matrix", "result": []}}).encode(),
     "a matrix result"),
    (vector("lots"), "'lots' is not a number"),
])
def test_prometheus_anything_but_one_number_is_a_reason(body: bytes, needle: str) -> None:
    with pytest.raises(SourceError, match=needle.replace("(", r"\(")):
        parse_response(body)


@pytest.mark.parametrize(("text", "expected"), [
    ("0.5\n", Raw(0.5, 100.0)),
    ('{"value": 2, "timestamp": 50}', Raw(2.0, 50.0)),
    ('{"value": "NaN"}', None),  # parsed, then refused by read() as not finite
])
def test_file_text(text: str, expected: Raw | None) -> None:
    raw = parse_text(text, 100.0)
    if expected is None:
        assert raw.value != raw.value  # NaN
    else:
        assert raw == expected


@pytest.mark.parametrize("text", ["true", '{"timestamp": 3}', '{"value": [1]}', "soon",
                                  '{"value": 1, "timestamp": "today"}'])
def test_file_text_that_is_not_a_number_is_a_reason(text: str) -> None:
    with pytest.raises(SourceError):
        parse_text(text, 0.0)


def metric(tmp_path: Path, body: str, **extra: Any) -> Metric:
    path = tmp_path / "value.json"
    path.write_text(body)
    (found,) = parse_metrics({"m": {"source": "file", "path": str(path), "threshold": "< 1",
                                    **extra}}, "pyproject.toml")
    return found


@pytest.mark.parametrize(("body", "value", "reason"), [
    ('{"value": 0.5, "timestamp": 990}', 0.5, ""),
    ('{"value": 0.5, "timestamp": 100}', None, "the value is 900s old (max_age 600s)"),
    ('{"value": "Infinity", "timestamp": 990}', None, "not a finite number"),
    ('{"value": "NaN", "timestamp": 990}', None, "not a finite number"),
])
def test_read_refuses_stale_and_non_finite_numbers(
    tmp_path: Path, body: str, value: float | None, reason: str
) -> None:
    reading = read(metric(tmp_path, body), "abc", now=1_000.0)
    assert reading.value == value
    assert reason in reading.reason


def test_a_missing_file_is_a_reason(tmp_path: Path) -> None:
    found = metric(tmp_path, "1")
    (tmp_path / "value.json").unlink()
    reading = read(found, "abc")
    assert reading.value is None
    assert "could not be read" in reading.reason


def test_a_command_gets_the_version_and_its_failures_are_reasons(tmp_path: Path) -> None:
    script = "import sys; v = sys.argv[1]; print(len(v)) if v != 'bad' else sys.exit('no data')"
    (found,) = parse_metrics({"m": {"source": "command", "threshold": "< 1",
                                    "command": [sys.executable, "-c", script, "{version}"]}},
                             "pyproject.toml")
    assert read(found, "abcdef").value == 6.0
    failed = read(found, "bad")
    assert failed.value is None
    assert "exited 1 no data" in failed.reason


def test_a_relative_command_or_file_is_read_in_root_not_the_current_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hostile case 232: a rollout reads its metric in the release (``root``), so the deploying
    checkout's edited probe or planted file (the current folder) is not what judges it."""
    release, checkout = tmp_path / "release", tmp_path / "checkout"
    for folder, value in ((release, 0), (checkout, 5)):
        (folder / "ops").mkdir(parents=True)
        (folder / "ops" / "probe.py").write_text(f"print({value})\n")
        (folder / "ops" / "value.json").write_text(json.dumps({"value": value}))
    monkeypatch.chdir(checkout)
    metrics = parse_metrics({
        "c": {"source": "command", "threshold": ">= 1",
              "command": [sys.executable, "ops/probe.py", "{version}"]},
        "f": {"source": "file", "threshold": ">= 1", "path": "ops/value.json"}},
        "pyproject.toml")
    assert [read(m, "abc", root=str(release)).value for m in metrics] == [0.0, 0.0]
    # without a root (a test run's gate): the current folder, the run's project, as before
    assert [read(m, "abc").value for m in metrics] == [5.0, 5.0]


def test_a_command_that_hangs_times_out(tmp_path: Path) -> None:
    # not a Python child: one the test run follows and kills before its interpreter reaches
    # the recorder's start record is missing evidence for the suite's verdict (hostile 299)
    hang = [shutil.which("sleep") or "/bin/sleep", "30"]
    (found,) = parse_metrics({"m": {"source": "command", "threshold": "< 1", "timeout": "200ms",
                                    "command": hang}}, "pyproject.toml")
    reading = read(found, "x")
    assert reading.value is None
    assert "did not finish in 0.2s" in reading.reason


def test_the_shipped_schema_holds_the_generated_metrics_part() -> None:
    from importlib import resources

    shipped = json.loads(resources.files("pytest_pyramid").joinpath("config.schema.json")
                         .read_text("utf-8"))
    assert shipped["properties"]["metrics"] == schema()


def test_a_compared_table_bounds_the_relative_change() -> None:
    (metric,) = parse_metrics({"m": COMPARED}, "pyproject.toml")
    assert (metric.compare, metric.threshold.text, metric.rollout) == ("baseline", ">= -0.1", True)


def test_instance_is_the_process_read(tmp_path: Path) -> None:
    script = "import sys; print(len(sys.argv[1]) + len(sys.argv[2]))"
    (found,) = parse_metrics({"m": {"source": "command", "threshold": "< 1", "command": [
        sys.executable, "-c", script, "{version}", "{instance}"]}}, "pyproject.toml")
    assert read(found, "abc", instance="127.0.0.1:80").value == 3 + 12


@pytest.mark.parametrize("table", [
    {k: v for k, v in PROM.items() if k != "threshold"},
    {**PROM, "compare": "baseline"},
    {**COMPARED, "rollout": False},
    {**COMPARED, "threshold": "> 0"},
    {k: v for k, v in COMPARED.items() if k != "change"},
    {**PROM, "change": ">= -0.1"},
    {**PROM, "colour": "red"},
    {**PROM, "required": "yes"},
    {**PROM, "rollout": "yes"},
])
def test_the_schema_refuses_what_the_parser_refuses(table: dict[str, Any]) -> None:
    """One rule, two readers: `pyramid config check` (the schema) and the gate's parser."""
    from pytest_pyramid.config_schema import check_part

    with pytest.raises(ConfigError):
        parse_metrics({"m": table}, "pyproject.toml")
    with pytest.raises(ConfigError):
        check_part("metrics", {"m": table}, "pyproject.toml")
    check_part("metrics", {"m": PROM}, "pyproject.toml")  # and both take a good table
    check_part("metrics", {"m": COMPARED}, "pyproject.toml")
