"""Pure deploy logic: config, weights, log analysis, Argo counting, the gate, signed approvals,
state validation and rebuild, control requests, DORA stats. Tables, no processes."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pytest_pyramid.deploy import analysis, gate
from pytest_pyramid.deploy.analysis import AnalysisRun, Limits, UpstreamStats
from pytest_pyramid.deploy.approvals import Identity, sign_approval, tally, verdict_digest
from pytest_pyramid.deploy.config import KEYS, build_config, load_config
from pytest_pyramid.deploy.history import Deployment
from pytest_pyramid.deploy.processes import (
    PORT_FLOOR,
    Version,
    ephemeral_range,
    port_candidates,
)
from pytest_pyramid.deploy.sight import LogCursor
from pytest_pyramid.deploy.state import (
    StateError,
    answer,
    parse_state,
    read_answer,
    rebuild,
    send_request,
    take_requests,
    withdraw,
)
from pytest_pyramid.deploy.stats import compute
from pytest_pyramid.deploy.strategies import plan, split
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.verdict.signing import key_id
from pytest_pyramid.verdict.trust import Target, TrustPolicy
from pytest_pyramid.verdict.trust import judge as judge_trust
from tests.support.deploy.helpers import make_verdict
from tests.verdict_factory import iso

if TYPE_CHECKING:
    from pytest_pyramid.verdict.document import Verdict

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
SHA = "a" * 40
OTHER = "b" * 40
DOCS = Path(__file__).resolve().parents[3] / "docs" / "deploy.md"


# -- config -------------------------------------------------------------------------------------
def test_defaults_are_the_seed_strategy(tmp_path: Path) -> None:
    config = build_config({}, source="x", root=tmp_path)
    assert config.steps == (5, 25, 50, 100)
    assert config.error_rate_limit == 0.005
    assert config.p95_limit == 0.5
    assert config.strategy == "canary"
    assert config.router == "nginx"
    assert config.bake == 60.0
    assert config.progress_deadline == 300.0
    assert config.request_timeout == 10.0
    assert config.verdict == tmp_path / "pyramid-verdict.json"
    assert config.history_path == tmp_path / ".pyramid" / "deploy" / "history.sqlite"


@pytest.mark.parametrize(
    ("pyramid", "deploy", "expected"),
    [
        ("", "", "pyramid-verdict.json"),  # the plugin's default: one default for both
        ('verdict = "out/v.json"\n', "", "out/v.json"),  # [tool.pyramid] verdict
        ('verdict = "out/v.json"\n', 'verdict = "d.json"\n', "d.json"),  # deploy's own wins
    ],
)
def test_the_default_verdict_is_the_plugins(
    tmp_path: Path, pyramid: str, deploy: str, expected: str
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f"[tool.pyramid]\n{pyramid}[tool.pyramid.deploy]\n{deploy}")
    assert load_config(pyproject).verdict == tmp_path / expected


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("steps", [10, 100], (10, 100)),
        ("error_rate_limit", "1%", 0.01),
        ("error_rate_limit", 0.02, 0.02),
        ("p95_limit", "250ms", 0.25),
        ("max_age", "2h", 7200.0),
        ("strategy", "blue-green", "blue-green"),
        ("compare_with_stable", True, True),
        ("smoke_paths", ["/", "/api"], ("/", "/api")),
        ("bake", "0s", 0.0),
        ("bake", "90s", 90.0),
        ("progress_deadline", "2m", 120.0),
        ("request_timeout", "1500ms", 1.5),
        ("require_signature", True, True),
    ],
)
def test_config_values(tmp_path: Path, key: str, value: object, expected: object) -> None:
    assert getattr(build_config({key: value}, source="x", root=tmp_path), key) == expected


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("steps", "5,25,100", (5, 25, 100)),
        ("steps", "5%, 50%, 100%", (5, 50, 100)),
        ("port", "8081", 8081),
        ("error_rate_limit", "0.5%", 0.005),
        ("error_rate_limit", "0.02", 0.02),
        ("max_p95_ratio", "2", 2.0),
        ("compare_with_stable", "yes", True),
        ("smoke_paths", "/a, /b", ("/a", "/b")),
        ("interval", "2s", 2.0),
    ],
)
def test_flag_text_is_read_as_the_value_it_stands_for(
    tmp_path: Path, key: str, text: str, expected: object
) -> None:
    """A flag's text becomes the TOML value it stands for, then passes the same schema."""
    config = build_config({}, source="x", root=tmp_path, overrides={key: text})
    assert getattr(config, key) == expected


@pytest.mark.parametrize(
    ("key", "value", "why"),
    [
        ("steps", [5, 50], "last step must be 100"),
        ("steps", [50, 25, 100], "strictly increase"),
        ("steps", [0, 100], "between 1 and 100"),
        ("steps", [5, 5, 100], "strictly increase"),
        ("steps", [], "non-empty"),
        ("error_rate_limit", 2, "between 0 and 1"),
        ("error_rate_limit", "lots", "fraction"),
        ("p95_limit", "fast", "duration"),
        ("p95_limit", 0, "> 0"),
        ("min_requests", 0, ">= 1"),
        ("failure_limit", -1, ">= 0"),
        ("strategy", "rainbow", "canary, blue-green"),
        ("router", "haproxy", "nginx, command"),
        ("port", 70000, "<= 65535"),
        ("health_path", "healthz", "starting with '/'"),
        ("compare_with_stable", "maybe", "true or false"),
        ("request_timeout", "0s", "> 0"),
        ("progress_deadline", "soon", "duration"),
        ("trusted_keys", "abc", "list of non-empty strings"),
        ("approvers", {"alice": {"roles": ["lead"]}}, "needs key"),
        ("approvers", {"alice": {"key": "k"}}, "alice.roles: required, must be a non-empty list"),
        ("approvers", {"alice": {"key": "k", "roles": ["x"], "email": "a@b"}},
         "alice.email: unknown key; known: key, keys, roles"),
        ("deployers", {"bot": {"key": "k", "roles": ["x"]}}, "bot.roles: unknown key"),
        ("allow_dirty", True, "deploy always ships the commit itself"),
        ("colour", "blue", "unknown key"),
    ],
)
def test_bad_config_names_key_value_and_file(
    tmp_path: Path, key: str, value: object, why: str
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f"[tool.pyramid.deploy]\n{key} = {_toml(value)}\n")
    with pytest.raises(ConfigError) as info:
        load_config(pyproject)
    message = str(info.value)
    assert str(pyproject) in message
    assert f"deploy.{key}" in message
    assert why in message


def _toml(value: object) -> str:
    if isinstance(value, dict):
        inner = ", ".join(f"{k} = {_toml(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    return json.dumps(value)


def test_one_key_cannot_stand_for_two_people(tmp_path: Path) -> None:
    key = "ab" * 32
    with pytest.raises(ConfigError, match="the same key is configured for 'alice'"):
        build_config({"approvers": {"alice": {"key": key, "roles": ["lead"]}},
                      "deployers": {"bob": {"key": key}}}, source="p.toml", root=tmp_path)


def test_key_files_are_relative_to_the_pyproject(tmp_path: Path) -> None:
    config = build_config({"trusted_keys": ["keys/ci.pub", "ab" * 32]}, source="p.toml",
                          root=tmp_path)
    assert config.trusted_keys == (str(tmp_path / "keys" / "ci.pub"), "ab" * 32)


def test_cli_override_beats_file_and_is_named_as_a_flag(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.pyramid.deploy]\nsteps = [10, 100]\nmin_requests = 7\n')
    config = load_config(pyproject, {"steps": "20,60,100"})
    assert config.steps == (20, 60, 100)
    assert config.min_requests == 7
    with pytest.raises(ConfigError, match=r"command line: .*--steps = '5,50'.*last step"):
        load_config(pyproject, {"steps": "5,50"})


def test_command_router_requires_a_command(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="router_command"):
        build_config({"router": "command"}, source="p.toml", root=tmp_path)


def test_docs_list_every_key_with_its_default() -> None:
    """One source of truth: the docs table is checked against KEYS."""
    text = DOCS.read_text()
    for key, spec in KEYS.items():
        row = re.search(rf"^\| `{key}` \| ([^|]+) \|", text, re.M)
        assert row is not None, f"docs/deploy.md has no row for {key}"
        if spec.default not in (None, [], {}, ""):
            assert json.dumps(spec.default) in row.group(1), (key, row.group(1))


# -- weights and plans --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("strategy", "steps", "weights"),
    [
        ("canary", (5, 25, 50, 100), [5, 25, 50, 100]),
        ("canary", (10, 100), [10, 100]),
        ("canary", (100,), [100]),
        ("blue-green", (5, 25, 50, 100), [100]),
    ],
)
def test_plan(strategy: str, steps: tuple[int, ...], weights: list[int]) -> None:
    stages = plan(strategy, steps)
    assert [s.weight for s in stages] == weights
    assert [s.label for s in stages][-1] == f"step {len(weights)}/{len(weights)}"


@pytest.mark.parametrize(
    ("weight", "expected"),
    [(0, {"s": 100}), (5, {"s": 95, "c": 5}), (50, {"s": 50, "c": 50}), (100, {"c": 100})],
)
def test_split_leaves_zero_weight_servers_out(weight: int, expected: dict[str, int]) -> None:
    assert split("s", "c", weight) == expected


# -- log analysis -------------------------------------------------------------------------------
def line(upstream: str, status: str, time_s: str, client: int = 200, *, got: str = "11",
         promised: str = "11", method: str = "GET", path: str = "/shop") -> str:
    return (f"1700000000.000|{client}|{upstream}|{status}|{time_s}|{time_s}|{got}|{promised}|"
            f"{method}|{path}")


def test_parse_lines_charges_each_attempt_to_its_server() -> None:
    window = analysis.parse_lines([
        line("127.0.0.1:1", "200", "0.010"),
        line("127.0.0.1:2", "500", "0.020", client=500),
        # retried: the canary refused the connection, stable answered
        line("127.0.0.1:2, 127.0.0.1:1", "502, 200", "0.000, 0.030"),
        # the canary timed out (request_timeout), the retry on stable answered
        line("127.0.0.1:2, 127.0.0.1:1", "504, 200", "1.000, 0.010"),
        line("-", "-", "-", client=404),
        "garbage",
        "",
    ])
    stable, canary = window.upstreams["127.0.0.1:1"], window.upstreams["127.0.0.1:2"]
    assert (stable.requests, stable.errors) == (3, 0)
    assert (canary.requests, canary.errors, canary.timeouts) == (3, 3, 1)
    assert window.client_requests == 5
    assert window.client_errors == 1
    assert window.malformed == 1


A, B = "127.0.0.1:1", "127.0.0.1:2"


@pytest.mark.parametrize(
    ("log_line", "figures"),
    [
        (line(A, "200", "0.01"), (1, 0, 0, 0)),  # a whole 2xx: the one kind of success
        # hostile case 421: a 3xx is no known success either: judged by its share, like a 4xx
        (line(A, "302", "0.01", got="0", promised="0"), (1, 0, 0, 1)),
        (line(A, "302", "0.01", got="0", promised="40"), (1, 1, 0, 0)),  # cut short
        # hostile case 374: 200 headers, then 8 of the 100 bytes promised
        (line(A, "200", "0.01", got="8", promised="100"), (1, 1, 0, 0)),
        (line(A, "200", "0.01", got="8", promised="8"), (1, 0, 0, 0)),
        # no body is owed to a HEAD request, nor with a 204 or 304 (RFC 9110)
        (line(A, "200", "0.01", got="0", promised="11", method="HEAD"), (1, 0, 0, 0)),
        (line(A, "304", "0.01", got="0", promised="50"), (1, 0, 0, 1)),
        (line(A, "204", "0.01", got="0", promised="5"), (1, 0, 0, 0)),
        # hostile case 370: a 4xx is neither success nor error until judged against stable
        (line(A, "404", "0.01", client=404), (1, 0, 1, 0)),
        (line(A, "499", "0.01", client=499), (1, 0, 1, 0)),
        (line(A, "101", "0.01"), (1, 1, 0, 0)),  # not an answer known to be whole
        (line(A, "-", "-", client=502, got="-", promised="-"), (1, 1, 0, 0)),
        # a retry: the first attempt failed before any answer; the promise is the last one's
        (line(f"{B}, {A}", "502, 200", "0.000, 0.01", got="0, 11", promised="11"), (1, 0, 0, 0)),
        (line(f"{B}, {A}", "502, 200", "0.000, 0.01", got="0, 3", promised="11"), (1, 1, 0, 0)),
        # the decoded path may hold '|': it is the last field
        (line(A, "200", "0.01", path="/a|b|c"), (1, 0, 0, 0)),
    ],
)
def test_a_request_is_a_success_only_when_known_to_be_one(
    log_line: str, figures: tuple[int, int, int, int]
) -> None:
    stats = analysis.parse_lines([log_line]).upstreams[A]
    assert (stats.requests, stats.errors, stats.rejected, stats.redirected) == figures


def test_only_a_health_success_is_no_user_served_whoever_sent_it() -> None:
    # hostile case 420: smoke_paths are the commit's word, never left out; hostile case 372: a
    # monitor's 200 on the health path is no user served; a failure there counts, whoever sent it
    probes = analysis.probe_paths("/healthz?full=1")
    assert probes == {"/healthz"}
    window = analysis.parse_lines([
        line(A, "200", "0.01", path="/healthz"), line(A, "200", "0.01", path="/healthz"),
        line(A, "500", "0.01", client=500, path="/healthz"),
        line(A, "302", "0.01", client=302, path="/healthz", got="0", promised="0"),
        line(A, "500", "0.01", client=500, method="POST", path="/order"),
        line(A, "200", "0.01", path="/order"),
        line(A, "200", "0.01", path="/healthz/deep"),  # another path: a user's
        # a retry: the canary failed the poll, stable's success is no evidence
        line(f"{B}, {A}", "502, 200", "0.000, 0.01", path="/healthz"),
    ], probes)
    stats, other = window.upstreams[A], window.upstreams[B]
    assert (stats.requests, stats.errors, stats.redirected) == (5, 2, 1)
    assert (other.requests, other.errors) == (1, 1)
    assert (window.client_requests, window.client_errors) == (5, 2)
    # a window of polls only holds no user request: it judges nothing (372)
    polls = analysis.parse_lines([line(A, "200", "0.01", path="/healthz")] * 30, probes)
    assert polls.upstreams == {}
    assert polls.client_requests == 0
    # without the health path, the same lines are all counted (the pinned log's reader)
    assert analysis.parse_lines([line(A, "200", "0.01", path="/healthz")]).upstreams[A].requests


def _nginx_error(message: str, upstream: str = A) -> str:
    return (f'2026/12/07 11:00:24 [error] 7044#7044: *25 {message}, client: 127.0.0.1, '
            f'server: , request: "GET /cart HTTP/1.1", upstream: "http://{upstream}/cart", '
            'host: "127.0.0.1:18998"')


def test_answers_cut_short_are_read_from_nginxs_error_log() -> None:
    cut = analysis.cut_short([
        _nginx_error("upstream prematurely closed connection while reading upstream"),
        _nginx_error("recv() failed (104: Connection reset by peer) while reading upstream"),
        _nginx_error("upstream prematurely closed connection while reading upstream", B),
        # before any header: logged 502 in the access log already, not charged twice
        _nginx_error("upstream prematurely closed connection while reading response header "
                     "from upstream"),
        _nginx_error("connect() failed (111: Connection refused) while connecting to upstream"),
        "garbage",
    ])
    assert cut == {A: 2, B: 1}


@pytest.mark.parametrize(("lines", "cut", "errors"), [
    # chunked (no Content-Length): only the error log knows it was cut short
    ([line(A, "200", "0.01", promised="-")] * 3, {A: 1}, 1),
    # a Content-Length answer cut short shows in both logs: one error, not two
    ([line(A, "200", "0.01", got="8", promised="100"), line(A, "200", "0.01")], {A: 1}, 1),
    # never more errors than answers (an error line may land a window early)
    ([line(A, "200", "0.01")], {A: 3}, 1),
    ([line(A, "404", "0.01", client=404)], {A: 1}, 0),
    ([line(A, "200", "0.01")], {B: 2}, 0),
])
def test_cut_answers_are_charged_to_their_upstream(
    lines: list[str], cut: dict[str, int], errors: int
) -> None:
    assert analysis.parse_lines(lines, cut=cut).upstreams[A].errors == errors


def test_a_line_of_another_format_is_malformed_never_a_success() -> None:
    window = analysis.parse_lines(["1.0|200|127.0.0.1:1|200|0.004|0.004"])  # the 6-field one
    assert (window.upstreams, window.client_requests, window.malformed) == ({}, 0, 1)


@pytest.mark.parametrize(
    ("values", "pct", "expected"),
    [([], 95, None), ([1.0], 95, 1.0), ([float(i) for i in range(1, 101)], 95, 95.0),
     ([float(i) for i in range(1, 21)], 95, 19.0), ([3.0, 1.0, 2.0], 50, 2.0)],
)
def test_percentile_nearest_rank(values: list[float], pct: float, expected: float | None) -> None:
    assert analysis.percentile(values, pct) == expected


def stats(requests: int, errors: int = 0, latency: float = 0.01, timeouts: int = 0,
          rejected: int = 0, redirected: int = 0) -> UpstreamStats:
    return UpstreamStats(requests, errors, [latency] * requests, timeouts, rejected, redirected)


@pytest.mark.parametrize(
    ("canary", "stable", "limits", "result", "reason"),
    [
        (stats(4), None, Limits(min_requests=5), "inconclusive", "4 request(s) < min_requests 5"),
        (None, None, Limits(), "inconclusive", "0 request(s)"),
        (stats(100), None, Limits(), "successful", "within limits"),
        (stats(1000, 5), None, Limits(), "successful", "within limits"),  # 0.5% is the limit
        (stats(1000, 6), None, Limits(), "failed", "error rate 0.60% > limit 0.50%"),
        (stats(100, 0, 0.6), None, Limits(), "failed", "p95 600ms > limit 500ms"),
        (stats(100, 0, 0.3), stats(100, 0, 0.1), Limits(compare_with_stable=True), "failed",
         "1.5x stable"),
        (stats(100, 0, 0.3), stats(100, 0, 0.1), Limits(), "successful", "within limits"),
        (stats(100, 0, 0.3), stats(3, 0, 0.1), Limits(compare_with_stable=True), "successful",
         "within limits"),  # too little stable data to compare with
        # below min_requests, errors that would breach the limit even at min_requests: fail now
        (stats(3, 3), None, Limits(min_requests=50), "failed", "3 error(s) in 3 request(s)"),
        (stats(2, 1, timeouts=1), None, Limits(min_requests=20), "failed", "(1 timed out)"),
        (stats(10, 1), None, Limits(min_requests=400, error_rate=0.005), "inconclusive",
         "10 request(s) < min_requests 400"),  # 1/400 = 0.25% could still pass
        (stats(100, 2, timeouts=2), None, Limits(), "failed", "2.00% (2 timed out) > limit"),
        # a window without a user request judges nothing, whatever min_requests says (372)
        (None, None, Limits(min_requests=0), "inconclusive", "0 request(s) < min_requests 1"),
        # 4xx against stable's share (370): a jump fails, the clients' own 404s do not
        (stats(100, rejected=100), stats(100), Limits(), "failed",
         "4xx share 100.00% exceeds stable 0.00%"),
        (stats(100, rejected=30), stats(100, rejected=28), Limits(), "successful",
         "within limits"),
        (stats(20, rejected=1), stats(200), Limits(), "successful", "within limits"),
        # a share above stable's that chance could still explain: not known either way yet
        (stats(20, rejected=2), stats(200, rejected=2), Limits(), "inconclusive",
         "19 request(s) < min_requests 20; 1 answered 4xx/3xx beyond stable's share"),
        (stats(3, rejected=3), stats(3), Limits(min_requests=1), "inconclusive",
         "0 request(s) < min_requests 1; 3 answered 4xx/3xx beyond stable's share"),
        (stats(40, rejected=8), stats(400, rejected=8), Limits(), "failed", "4xx share 20.00%"),
        # no stable share measured (first deployment, 100%, the watch): the absolute rule
        (stats(100, rejected=100), None, Limits(), "failed",
         "4xx share 100.00% above the absolute 20% (no stable share"),
        (stats(100, rejected=100), stats(5), Limits(), "failed", "above the absolute 20%"),
        (stats(5, rejected=5), None, Limits(), "failed", "4xx share 100.00%"),
        (stats(100, 1, rejected=99), None, Limits(), "failed", "above the absolute 20%"),
        (stats(100, 1, rejected=19), None, Limits(), "failed", "error rate 1.00%"),
        # the clients' own 4xx under the absolute share count as answers, said so
        (stats(100, rejected=10), None, Limits(), "successful",
         "judged by the absolute rule (at most 20%): no stable share"),
        # above the share, but chance could explain it at this size: not known either way
        (stats(20, rejected=6), None, Limits(), "inconclusive",
         "18 request(s) < min_requests 20; 2 answered 4xx/3xx beyond the absolute 20%"),
        (stats(2, rejected=2), None, Limits(min_requests=1), "inconclusive",
         "0 request(s) < min_requests 1; 2 answered 4xx/3xx beyond the absolute 20%"),
        # hostile cases 421, 426: 3xx by the same rule (every user sent to the sign-in page)
        (stats(100, redirected=100), stats(100), Limits(), "failed",
         "3xx share 100.00% exceeds stable 0.00%"),
        (stats(100, redirected=30), stats(100, redirected=28), Limits(), "successful",
         "within limits"),  # the clients' own redirects reach stable as often
        (stats(100, redirected=100), None, Limits(), "failed",
         "3xx share 100.00% above the absolute 20% (no stable share"),
        (stats(100, redirected=10), None, Limits(), "successful",
         "3xx share 10.00% judged by the absolute rule"),
        # small windows above the share that chance could explain pass none by one: the
        # window grows (426: the watch's 0.3 s windows of a release redirecting everyone)
        (stats(10, redirected=5), None, Limits(min_requests=1), "inconclusive",
         "3 answered 4xx/3xx beyond the absolute 20%: not told from chance yet"),
        (stats(20, redirected=6), None, Limits(), "inconclusive",
         "18 request(s) < min_requests 20; 2 answered 4xx/3xx beyond the absolute 20%"),
        # each class by its own share: 15% + 15% is within either rule
        (stats(100, rejected=15, redirected=15), stats(100, rejected=14, redirected=14),
         Limits(), "successful", "within limits"),
        (stats(100, rejected=2, redirected=60), stats(100, rejected=2, redirected=2), Limits(),
         "failed", "3xx share 60.00% exceeds stable 2.00%"),
    ],
)
def test_judge(
    canary: UpstreamStats | None, stable: UpstreamStats | None, limits: Limits, result: str,
    reason: str,
) -> None:
    measurement = analysis.judge(canary, stable, limits)
    assert measurement.result == result
    assert reason in "; ".join(measurement.reasons)


@pytest.mark.parametrize(
    ("run", "results", "actions"),
    [
        (AnalysisRun(), ["successful"], ["advance"]),
        (AnalysisRun(measurements_per_step=2), ["successful", "successful"],
         ["measure", "advance"]),
        (AnalysisRun(), ["failed"], ["rollback"]),  # failure_limit 0: first failure rolls back
        (AnalysisRun(failure_limit=1, measurements_per_step=3),
         ["failed", "successful", "failed"], ["measure", "measure", "rollback"]),
        (AnalysisRun(inconclusive_limit=2),
         ["inconclusive", "inconclusive", "inconclusive"], ["measure", "measure", "pause"]),
        (AnalysisRun(inconclusive_limit=1, measurements_per_step=2),
         ["inconclusive", "successful", "inconclusive", "successful"],
         ["measure", "measure", "measure", "advance"]),
    ],
)
def test_analysis_run_counts_like_argo(
    run: AnalysisRun, results: list[analysis.Result], actions: list[str]
) -> None:
    assert [run.record(r) for r in results] == actions


# -- sight: when a window of the router's log cannot be trusted to hold every request ---------
LINE = "1.0|200|127.0.0.1:9001|200|0.004|0.004|2|2|GET|/\n"


def _append(path: Path, count: int) -> None:
    with path.open("a") as handle:
        handle.write(LINE * count)


def _rotate(split: Path, edge: Path) -> None:
    split.rename(split.with_suffix(".1"))  # nginx still writes to the renamed file
    split.write_text("")


def _rename_and_back(split: Path, edge: Path) -> None:
    split.rename(split.with_suffix(".1"))
    _append(split.with_suffix(".1"), 2)
    split.with_suffix(".1").rename(split)


@pytest.mark.parametrize(
    ("fault", "split_lines", "edge_lines", "blind", "seen"),
    [
        (None, 4, 4, None, 4),
        (None, 0, 0, None, 0),  # no traffic: inconclusive, not blind
        (None, 0, 2, None, 0),  # an edge line may land before its split line is read
        (None, 0, 3, "logged no request while its edge answered 3", 0),
        (lambda split, edge: split.unlink(), 4, 4, "is missing (removed or renamed away)", 0),
        (lambda split, edge: split.write_text(""), 0, 0, "was rotated or truncated", 0),
        (_rotate, 3, 3, "was rotated or truncated", 3),
        (_rename_and_back, 1, 1, None, 3),  # renamed back: nothing lost
        (lambda split, edge: edge.unlink(), 0, 0, None, 0),  # no comparison without the edge's
    ],
    ids=["appended", "no-traffic", "edge-ahead", "silent-router", "removed", "truncated",
         "rotated", "renamed-back", "edge-log-gone"],
)
def test_log_cursor_says_when_a_window_is_blind(
    tmp_path: Path, fault: Any, split_lines: int, edge_lines: int, blind: str | None, seen: int
) -> None:
    split, edge = tmp_path / "split.log", tmp_path / "edge.log"
    _append(split, 7)
    _append(edge, 7)
    # from the logs' ends: older lines never count
    cursor = LogCursor(split, edge, tmp_path, probes=frozenset())
    if fault is not None:
        fault(split, edge)
    if split_lines and split.exists():
        _append(split, split_lines)
    if edge_lines:
        _append(edge, edge_lines)
    reading = cursor.read()
    assert (reading.blind is None) == (blind is None), reading.blind
    if blind is not None:
        assert blind in (reading.blind or "")
    assert len(reading.lines) == seen


def test_log_cursor_grows_an_uncommitted_window_and_moves_past_a_committed_one(
    tmp_path: Path,
) -> None:
    split = tmp_path / "split.log"
    split.write_text("")
    cursor = LogCursor(split, None, tmp_path, probes=frozenset())
    _append(split, 2)
    assert len(cursor.read().lines) == 2
    _append(split, 1)
    assert len(cursor.read().lines) == 3  # inconclusive: not committed, the window grows
    cursor.commit()
    _append(split, 1)
    assert len(cursor.read().lines) == 1
    cursor.to_end()
    assert cursor.read().lines == []


def test_a_router_without_an_access_log_is_blind(tmp_path: Path) -> None:
    cursor = LogCursor(None, None, tmp_path, probes=frozenset())
    assert "no access log" in (cursor.read().blind or "")


def test_a_blind_window_is_never_a_pass() -> None:
    good = analysis.judge(UpstreamStats(50, 0, [0.01] * 50), None, Limits())
    assert good.result == "successful"
    blind = analysis.blind("the access log is missing", good)
    assert blind.result == "inconclusive"
    assert blind.reasons == ("blind: the access log is missing",)
    assert blind.requests == 50


# -- the gate -----------------------------------------------------------------------------------
TREE = "c" * 40
RISK = {"level": "high", "score": 7.0, "factors": [], "required_approvals": 2,
        "approver_roles": ["lead", "sre"]}


def verdict_at(*, age: timedelta = timedelta(minutes=1),
               commit_age: timedelta = timedelta(hours=1), **kwargs: Any) -> dict[str, Any]:
    """A verdict made ``age`` before :data:`NOW`: the tables' values are one in every
    process (xdist workers compare them), and judged at ``NOW``."""
    data = make_verdict(SHA, **kwargs)
    data["created_at"], data["commit_time"] = iso(NOW - age), iso(NOW - commit_age)
    data["tree"] = {"digest": TREE, "head": TREE, "excluded": []}
    if kwargs.get("dirty"):
        data["tree"]["digest"] = "d" * 40  # a dirty verdict tested a tree that is not HEAD's
    return data


def target(commit: str = SHA, tree: str | None = TREE) -> Target:
    """What deploy compares with: the commit's own tree, never the working tree."""
    return Target(commit, tree, worktree=False, description=commit[:12], in_git=True)


@pytest.mark.parametrize(
    ("verdict", "where", "policy", "outcome", "reason"),
    [
        (verdict_at(), target(), TrustPolicy(), "allowed", "ready"),
        (verdict_at(), target(OTHER), TrustPolicy(), "refused", f"not {OTHER[:12]}"),
        (verdict_at(), target(tree="e" * 40), TrustPolicy(), "refused",
         f"the code it tested is not commit {SHA[:12]}"),
        (verdict_at(age=timedelta(hours=25)), target(), TrustPolicy(max_age_s=86400), "refused",
         "older than the 24h00m"),
        (verdict_at(age=timedelta(hours=-1)), target(), TrustPolicy(), "refused",
         "in the future"),
        (verdict_at(decision="blocked"), target(), TrustPolicy(), "refused",
         "decision is blocked"),
        (verdict_at(decision="incomplete"), target(), TrustPolicy(), "refused",
         "decision is incomplete"),
        (verdict_at(dirty=True), target(), TrustPolicy(), "refused", "changes not in its commit"),
        # a dirty verdict tested other code than the commit that would ship: allow_dirty or not
        (verdict_at(dirty=True), target(), TrustPolicy(allow_dirty=True), "refused",
         "changes not in its commit"),
        (verdict_at(), target(), TrustPolicy(require_signature=True), "refused", "not signed"),
        (verdict_at(decision="needs_approval", risk=RISK), target(), TrustPolicy(),
         "needs_approval", "needs 2 approval(s) from lead, sre (risk high, score 7.0); has 0"),
    ],
)
def test_gate(
    verdict: dict[str, Any], where: Target, policy: TrustPolicy, outcome: str, reason: str
) -> None:
    trust = judge_trust(cast("Verdict", verdict), target=where, policy=policy,
                        now=NOW)
    judgement = gate.judge(trust)
    assert judgement.outcome == outcome, judgement.reasons
    assert reason in "\n".join(judgement.reasons)
    assert judgement.exit_code == {"allowed": 0, "refused": 1, "needs_approval": 2}[outcome]


def test_gate_lists_every_refusal_reason() -> None:
    verdict = verdict_at(decision="blocked", age=timedelta(days=3), dirty=True)
    judgement = gate.judge(judge_trust(
        cast("Verdict", verdict), target=target(OTHER), now=NOW,
        policy=TrustPolicy(max_age_s=86400, require_signature=True)))
    assert len(judgement.reasons) == 5, judgement.reasons


def test_gate_needs_an_identified_deployer_for_approvals() -> None:
    verdict = verdict_at(decision="needs_approval", risk=RISK)
    trust = judge_trust(cast("Verdict", verdict), target=target(), policy=TrustPolicy(),
                        now=NOW)
    judgement = gate.judge(trust, deployer_problem="who deploys?")
    assert judgement.outcome == "refused"
    assert "who deploys?" in judgement.reasons


@pytest.mark.parametrize(("environment", "hint"), [
    ("", "sign one with: pyramid approve --key YOUR_PRIVATE_KEY --role ROLE"),
    ("production", "sign one with: pyramid approve --env production --key YOUR_PRIVATE_KEY"),
])
def test_the_approval_hint_names_the_environment(environment: str, hint: str) -> None:
    verdict = verdict_at(decision="needs_approval", risk=RISK)
    trust = judge_trust(cast("Verdict", verdict), target=target(), policy=TrustPolicy(),
                        now=NOW)
    judgement = gate.judge(trust, environment=environment)
    assert judgement.outcome == "needs_approval"
    assert any(reason.startswith(hint) for reason in judgement.reasons), judgement.reasons


# -- signed approvals (real Ed25519 keys and signatures) -----------------------------------------
#: keys from fixed seeds: the envelopes in the tables are one in every process
KEYS_ = {name: Ed25519PrivateKey.from_private_bytes(hashlib.sha256(name.encode()).digest())
         for name in ("alice", "bob", "carol", "mallory")}
PEOPLE = {
    "alice": Identity("alice", ("lead",), {key_id(KEYS_["alice"].public_key()):
                                           KEYS_["alice"].public_key()}),
    "bob": Identity("bob", ("sre", "lead"), {key_id(KEYS_["bob"].public_key()):
                                             KEYS_["bob"].public_key()}),
    "carol": Identity("carol", ("sre",), {key_id(KEYS_["carol"].public_key()):
                                          KEYS_["carol"].public_key()}),
}
APPROVED = verdict_at(decision="needs_approval", risk=RISK)


def signed(who: str, role: str = "lead", *, hours: float = 1, verdict: dict[str, Any] | None
           = None, name: str | None = None) -> dict[str, object]:
    return sign_approval(verdict or APPROVED, role=role, approver=name or who, key=KEYS_[who],
                         now=NOW - timedelta(hours=hours))


def restated(who: str, **changes: object) -> dict[str, object]:
    """``who``'s own signature over a statement ``pyramid approve`` would not write: its
    keys changed (None: removed)."""
    from pytest_pyramid.deploy.approvals import PAYLOAD_TYPE
    from pytest_pyramid.verdict.signing import sign_envelope

    statement = {"verdict_digest": verdict_digest(APPROVED), "commit": APPROVED.get("commit"),
                 "role": "lead", "approver": who, "environment": "",
                 "approved_at": NOW.isoformat()}
    statement = {k: v for k, v in {**statement, **changes}.items() if v is not None}
    return sign_envelope(json.dumps(statement).encode(), PAYLOAD_TYPE, KEYS_[who])


def tampered(envelope: dict[str, object]) -> dict[str, object]:
    import base64

    statement = json.loads(base64.b64decode(str(envelope["payload"])))
    statement["role"] = "sre"
    return {**envelope, "payload": base64.b64encode(json.dumps(statement).encode()).decode()}


@pytest.mark.parametrize(
    ("envelopes", "deployer", "counted", "why"),
    [
        ([signed("alice")], None, ["alice (lead)"], ""),
        ([signed("alice"), signed("bob", "sre")], None, ["alice (lead)", "bob (sre)"], ""),
        ([signed("alice"), signed("alice", hours=2)], None, ["alice (lead)"],
         "already counted once"),
        ([None], None, [], "without a signature"),  # a row inserted into the history by hand
        ([signed("mallory")], None, [], "does not verify"),  # not a configured key
        ([signed("mallory", name="alice")], None, [], "does not verify"),  # look-alike
        ([signed("bob", name="alice")], None, [], "signed as 'alice' with bob's key"),
        ([tampered(signed("alice"))], None, [], "does not verify"),
        ([signed("carol", "lead")], None, [], "not configured for that role"),
        ([signed("bob", "qa")], None, [], "not configured for that role"),
        ([signed("alice", hours=30)], None, [], "expired"),
        ([signed("alice", hours=-1)], None, [], "in the future"),
        ([signed("alice", verdict=verdict_at(decision="needs_approval", risk=RISK,
                                             commit_age=timedelta(hours=3)))],
         None, [], "approved another verdict"),
        ([signed("alice"), signed("bob", "sre")], "alice", ["bob (sre)"],
         "the deployer's own approval does not count"),
        # a malformed statement, signed by a configured key: refused naming the key, never a
        # traceback (a naive time raised TypeError against the deploy's aware clock)
        ([restated("alice")], None, ["alice (lead)"], ""),
        ([restated("alice", approved_at=NOW.replace(tzinfo=None).isoformat())], None, [],
         "alice: the signed approval is not a valid statement: approved_at '"),
        ([restated("alice", approved_at="2026-01-01T12:00:00")], None, [],
         "approved_at '2026-01-01T12:00:00' has no time zone"),
        ([restated("alice", approved_at="yesterday")], None, [],
         "approved_at 'yesterday' is not an ISO 8601 time"),
        ([restated("alice", approved_at=1767268800)], None, [],
         "approved_at 1767268800 is not an ISO 8601 time"),
        ([restated("alice", approved_at=None, role=None)], None, [], "no role, approved_at"),
    ],
)
def test_tally_counts_valid_signatures_by_distinct_people(
    envelopes: list[dict[str, object] | None], deployer: str | None, counted: list[str], why: str
) -> None:
    result = tally(envelopes, verdict=APPROVED, people=PEOPLE, roles=["lead", "sre"],
                   now=NOW, ttl=timedelta(hours=24), deployer=deployer)
    assert list(result.counted) == counted
    assert len(result.counted) + len(result.ignored) == len(envelopes)
    assert why in "\n".join(result.ignored)


def test_tally_with_no_roles_asked_takes_any_configured_role() -> None:
    result = tally([signed("carol", "sre")], verdict=APPROVED, people=PEOPLE, roles=[],
                   now=NOW, ttl=timedelta(hours=24), deployer=None)
    assert result.counted == ("carol (sre)",)


def test_verdict_digest_changes_with_any_field() -> None:
    other = {**APPROVED, "created_at": "2020-01-01T00:00:00Z"}
    assert verdict_digest(APPROVED) != verdict_digest(other)
    assert verdict_digest(APPROVED) == verdict_digest(json.loads(json.dumps(APPROVED)))


# -- state: validation, rebuild, control requests ------------------------------------------------
def version(port: int, pid: int, started: str, commit: str = SHA, ticks: int = 1) -> Version:
    return Version(commit, port, pid, "/r", "", ticks, "cmd", started, None)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ([], "expected a JSON object"),
        ({"stable": "abc"}, "stable is not an object"),
        ({"stable": {"commit": SHA, "port": "80", "pid": 1, "release": ""}}, "port = '80'"),
        ({"stable": {"commit": SHA, "port": 80, "pid": -4, "release": ""}}, "impossible"),
        ({"rollout": {"id": 1, "commit": SHA, "strategy": "canary", "canary": {},
                      "status": "dancing"}}, "rollout.status 'dancing'"),
        ({"rollout": {"id": 1, "commit": SHA, "strategy": "canary",
                      "canary": version(1, 2, "t").as_dict(), "weight": 150}}, "not a percentage"),
        ({"state_version": 99}, "state_version 99"),
    ],
)
def test_wrong_shaped_state_is_rejected_with_a_reason(data: object, why: str) -> None:
    with pytest.raises(ValueError, match=re.escape(why)):
        parse_state(data)


def test_state_round_trips() -> None:
    state = parse_state({"stable": version(1, 2, "t").as_dict(), "previous": None})
    assert parse_state(state.as_dict()).stable == state.stable


@pytest.mark.parametrize(
    ("weights", "alive", "stable", "canary", "status"),
    [
        (None, [], None, None, None),
        ({"127.0.0.1:1": 100}, [version(1, 10, "t1")], 1, None, None),
        ({"127.0.0.1:1": 95, "127.0.0.1:2": 5}, [version(2, 11, "t2"), version(1, 10, "t1")],
         1, 2, "running"),
        # the newer version serves everything while the older still runs: a bake
        ({"127.0.0.1:2": 100}, [version(1, 10, "t1"), version(2, 11, "t2")], 1, 2, "baking"),
        # a newer version runs without traffic: it was being started
        ({"127.0.0.1:1": 100}, [version(1, 10, "t1"), version(2, 11, "t2")], 1, 2, "starting"),
        (None, [version(1, 10, "t1")], 1, None, None),
        # the wall clock stepped back between the two starts: the kernel's start times
        # still say which is stable, so an abort never sends all traffic to the new one
        ({"127.0.0.1:1": 95, "127.0.0.1:2": 5},
         [version(2, 11, "t0", ticks=200), version(1, 10, "t9", ticks=100)], 1, 2, "running"),
        ({"127.0.0.1:2": 100}, [version(1, 10, "t9", ticks=100), version(2, 11, "t0", ticks=200)],
         1, 2, "baking"),
    ],
)
def test_rebuild_from_router_and_registry(
    weights: dict[str, int] | None, alive: list[Version], stable: int | None,
    canary: int | None, status: str | None,
) -> None:
    state, _ = rebuild(weights, alive)
    assert (state.stable.port if state.stable else None) == stable
    assert (state.rollout.canary.port if state.rollout else None) == canary
    assert (state.rollout.status if state.rollout else None) == status


@pytest.mark.parametrize(
    ("weights", "alive", "why"),
    [
        ({"127.0.0.1:9": 100}, [], "no registered process"),
        (None, [version(1, 10, "t1"), version(2, 11, "t2"), version(3, 12, "t3")],
         "cannot tell which version is which"),
    ],
)
def test_rebuild_refuses_what_it_cannot_tell(
    weights: dict[str, int] | None, alive: list[Version], why: str
) -> None:
    with pytest.raises(StateError, match=why):
        rebuild(weights, alive)


def test_control_requests_are_consumed_exactly_once(tmp_path: Path) -> None:
    first = send_request(tmp_path, 7, "promote", "lead")
    second = send_request(tmp_path, 8, "abort", "oncall")
    taken = take_requests(tmp_path)
    assert [(r.rollout, r.action, r.by) for r in taken] == [(7, "promote", "lead"),
                                                            (8, "abort", "oncall")]
    assert take_requests(tmp_path) == []  # consumed
    assert not withdraw(tmp_path, first)  # already taken: cannot be withdrawn
    answer(tmp_path, taken[0], done=False, message="not this rollout")
    assert read_answer(tmp_path, first.nonce) == (False, "not this rollout")
    assert read_answer(tmp_path, first.nonce) is None  # an answer is read once
    third = send_request(tmp_path, 9, "promote", "x")
    assert withdraw(tmp_path, third)  # still waiting: withdrawn, and gone
    assert take_requests(tmp_path) == []
    assert second.nonce != first.nonce
    assert list((tmp_path / "control").iterdir()) == []


# -- stats: the DORA definitions against a known history -----------------------------------------
def row(ident: int, outcome: str, *, days_ago: float = 1, kind: str = "deploy",
        exposed: float | None = 0.0, restored: float | None = None, lead_hours: float = 2,
        dry: bool = False, reverted_after: float | None = None, rollback: float | None = None,
        ) -> Deployment:
    """``exposed``/``restored``/``reverted_after``: seconds after the start (None: never)."""
    start = NOW - timedelta(days=days_ago)

    def at(seconds: float | None) -> datetime | None:
        return None if seconds is None else start + timedelta(seconds=seconds)

    return Deployment(
        ident, start, start + timedelta(minutes=2), SHA, start - timedelta(hours=lead_hours),
        "canary", dry, outcome, "", 120.0, rollback, kind, at(exposed), at(restored),
        99 if reverted_after is not None else None, at(reverted_after))


HISTORY = [
    row(1, "succeeded", days_ago=10, lead_hours=1),
    row(2, "succeeded", days_ago=9, lead_hours=3),
    row(3, "succeeded", days_ago=8, lead_hours=5, reverted_after=600),  # reverted later
    row(4, "rolled_back", days_ago=7, restored=20, rollback=0.2),  # canary rolled back
    row(5, "rolled_back", days_ago=6, restored=90, rollback=0.4),  # failed during its bake
    row(6, "aborted", days_ago=5, restored=40),  # aborted by a human after exposure
    row(7, "aborted", days_ago=4, exposed=None),  # failed its health check: never exposed
    row(8, "refused", days_ago=3, exposed=None),
    row(9, "unchanged", days_ago=2, exposed=None),  # no-op: the commit already served
    row(10, "succeeded", days_ago=1, dry=True),  # dry runs never count
    row(11, "succeeded", days_ago=40),  # outside the 30-day window
    row(12, "succeeded", days_ago=8, kind="rollback", exposed=None),  # the revert of #3
]


def test_stats_follow_the_dora_definitions() -> None:
    figures = compute(HISTORY, now=NOW)
    assert figures.attempts == 9
    assert (figures.refused, figures.unchanged) == (1, 1)
    assert figures.deployments == 6  # 1-6 reached users; 7-9 did not
    assert figures.succeeded == 3
    assert figures.change_failures == 4  # 3 (reverted), 4, 5, 6
    assert figures.change_failure_rate == pytest.approx(4 / 6)
    assert figures.rollbacks == 1
    # covered: from the first attempt in the window (10 days ago), not the whole 30 days
    assert figures.covered_days == pytest.approx(10.0)
    assert figures.deployment_frequency_per_day == pytest.approx(3 / 10)
    # restore times: 600 s (reverted), 20 s, 90 s, 40 s -> median 65 s
    assert figures.median_time_to_restore_s == pytest.approx(65.0)
    assert figures.median_lead_time_s == pytest.approx((3 * 3600) + 120)
    assert figures.median_rollback_s == pytest.approx(0.3)


#: the fault-injection history: (id, outcome, reason, cause) of the rollouts that did not succeed
ENDED = [
    (3, "rolled_back", "step 1/4 5%: error rate 100.00% > limit 0.50%", "change"),
    (4, "rolled_back", "router failed during step 2/4 25%: split nginx master gone", "router"),
    (5, "aborted", "rollout #5 of 0123456789ab was left running at 25% (its deploy process is "
                   "gone); the new version took over", "interrupted"),
    (6, "rolled_back", "bake: p95 608ms > limit 500ms", "change"),
    (7, "aborted", "aborted by oncall at step 2/4", "change"),  # a person judged it failing
    (8, "aborted", "deploy interrupted", "interrupted"),
    (9, "failed", "step 3/4 50%: error rate 3.00% > limit 0.50%; rollback failed: router: "
                  "reload refused; then abort by oncall", "change"),
    (10, "aborted", "rollout #10 was left running at 5% (its deploy process is gone); stable "
                    "is not healthy, so the new version took over", "stable"),
]


def hand_computed_history() -> list[Deployment]:
    ended = [replace(row(ident, outcome, days_ago=8 - ident, restored=30), reason=reason,
                     cause=cause) for ident, outcome, reason, cause in ENDED]
    return [row(1, "succeeded", days_ago=7), row(2, "succeeded", days_ago=6), *ended,
            row(11, "succeeded", days_ago=0.5)]


def assert_hand_computed_figures(history: list[Deployment]) -> None:
    """Seven deployments, two of them bad changes. The router killed mid-rollout and a deploy
    process SIGKILLed (reconciled by the next command) ended rollouts, but not because their
    change failed: 2/7 = 29%, not 4/7 = 57%."""
    seven = [d for d in history if d.id <= 6 or d.id == 11]  # the seven deployments
    figures = compute(seven, now=NOW)
    assert (figures.deployments, figures.change_failures, figures.interrupted) == (7, 2, 2)
    assert figures.change_failure_rate == pytest.approx(2 / 7)  # 28.6%; it read 4/7 = 57.1%
    everything = compute(history, now=NOW)
    assert (everything.change_failures, everything.interrupted) == (4, 4)  # 3, 6, 7, 9
    assert everything.change_failure_rate == pytest.approx(4 / 11)


def test_change_failure_rate_against_a_hand_computed_history() -> None:
    assert_hand_computed_figures(hand_computed_history())


def test_the_change_failure_rate_reads_the_recorded_cause_not_the_reason_text() -> None:
    # a reason that reads like an interruption, but the recorded cause is the change
    worded = replace(row(3, "rolled_back", restored=30), cause="change",
                     reason="step 1/4 5%: error rate 9% > limit (deploy interrupted earlier)")
    assert compute([worded], now=NOW).change_failures == 1
    assert compute([replace(worded, cause="router")], now=NOW).change_failures == 0


def _version_0_file(path: Path) -> None:
    """A history file as pytest-pyramid wrote it before causes were recorded."""
    import sqlite3

    from pytest_pyramid.deploy.history import _SCHEMA

    with sqlite3.connect(path) as db:
        db.executescript(_SCHEMA)
        for column in ("kind TEXT NOT NULL DEFAULT 'deploy'", "exposed_at TEXT",
                       "restored_at TEXT", "reverted_by INTEGER", "reverted_at TEXT"):
            db.execute(f"ALTER TABLE deployments ADD COLUMN {column}")
        for d in hand_computed_history():
            db.execute(
                "INSERT INTO deployments (id, started_at, finished_at, commit_sha, commit_time,"
                " strategy, dry_run, outcome, reason, duration_s, exposed_at, restored_at)"
                " VALUES (?, ?, ?, ?, ?, 'canary', 0, ?, ?, 120.0, ?, ?)",
                (d.id, d.started_at.isoformat(), d.finished_at and d.finished_at.isoformat(),
                 d.commit, d.commit_time and d.commit_time.isoformat(), d.outcome, d.reason,
                 d.exposed_at and d.exposed_at.isoformat(),
                 d.restored_at and d.restored_at.isoformat()))


def test_an_older_history_file_is_migrated_to_recorded_causes(tmp_path: Path) -> None:
    import sqlite3

    from pytest_pyramid.deploy.history import SCHEMA_VERSION, History

    path = tmp_path / "history.sqlite"
    _version_0_file(path)
    migrated = sorted(History(path).deployments(), key=lambda d: d.id)
    assert {d.id: d.cause for d in migrated if d.cause} == \
        {ident: cause for ident, _, _, cause in ENDED}
    assert_hand_computed_figures(migrated)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        db.execute("UPDATE deployments SET reason = 'deploy interrupted' WHERE id = 3")
    # from version 1 on the reason text is never read again: #3 stays a change failure
    assert {d.id: d.cause for d in History(path).deployments()}[3] == "change"


def test_a_history_file_from_a_newer_version_is_not_written(tmp_path: Path) -> None:
    import sqlite3

    from pytest_pyramid.deploy.history import SCHEMA_VERSION, History

    path = tmp_path / "history.sqlite"
    History(path)
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    warnings: list[str] = []
    History(path, warn=warnings.append)
    assert any(f"schema version {SCHEMA_VERSION + 1}" in w for w in warnings), warnings


def test_a_finished_row_records_its_cause_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    from pytest_pyramid.deploy.history import History

    history = History(tmp_path / "h.sqlite")
    ident = history.start(commit=SHA, commit_time=None, strategy="canary", dry_run=False,
                          verdict_path="v")
    with pytest.raises(ValueError, match="unknown cause 'gremlins'"):
        history.finish(ident, outcome="aborted", reason="", cause="gremlins")
    history.finish(ident, outcome="rolled_back", reason="", cause="blind")
    ok = history.start(commit=SHA, commit_time=None, strategy="canary", dry_run=False,
                       verdict_path="v")
    history.finish(ok, outcome="succeeded", reason="", cause="router")
    causes = {d.id: d.cause for d in history.deployments()}
    assert causes == {ident: "blind", ok: None}  # a success has no cause


def test_deployment_frequency_over_less_than_a_day_is_per_day() -> None:
    recent = [row(1, "succeeded", days_ago=0.01), row(2, "succeeded", days_ago=0.005)]
    figures = compute(recent, now=NOW)
    assert figures.covered_days == pytest.approx(0.01)
    assert figures.deployment_frequency_per_day == pytest.approx(2.0)  # 2 in (at least) a day


def test_stats_no_data_is_not_zero() -> None:
    figures = compute([], now=NOW)
    assert figures.change_failure_rate is None
    assert figures.median_time_to_restore_s is None
    assert figures.median_lead_time_s is None
    assert figures.deployment_frequency_per_day is None
    assert figures.covered_days is None


@pytest.mark.parametrize("table", [
    {},
    {"steps": [10, 100], "interval": "2s", "nginx_include": "extra.conf", "lease_timeout": "1s",
     "trusted_keys": ["ab" * 32], "approvers": {"alice": {"key": "cd" * 32, "roles": ["lead"]}},
     "smoke_paths": ["/a", "/b"], "history": "h.sqlite"},
])
def test_a_supervisor_job_carries_the_exact_configuration(
    tmp_path: Path, table: dict[str, object]
) -> None:
    from pytest_pyramid.deploy.supervisor import Job, config_from_json, config_to_json, new_job

    config = build_config(table, source="p.toml", root=tmp_path)
    assert config_from_json(json.loads(json.dumps(config_to_json(config)))) == config
    job = new_job(config, "deploy", commit="a" * 40, commit_time=None, redeploy=True)
    assert Job.from_dict(json.loads(json.dumps(job.as_dict()))) == job



def test_control_requests_are_taken_in_the_order_made_whatever_the_file_times(
    tmp_path: Path,
) -> None:
    import os

    first = send_request(tmp_path, 7, "abort", "oncall")
    second = send_request(tmp_path, 7, "promote", "lead")
    # a wall-clock step back: the later request's file looks older
    os.utime(next((tmp_path / "control").glob(f"*{second.nonce}*")), (1, 1))
    assert [r.nonce for r in take_requests(tmp_path)] == [first.nonce, second.nonce]


def test_history_durations_ignore_a_clock_step(tmp_path: Path) -> None:
    import sqlite3

    from pytest_pyramid.deploy.history import History

    history = History(tmp_path / "h.sqlite")
    row = history.start(commit="a" * 40, commit_time=None, strategy="canary", dry_run=False,
                        verdict_path="v")
    other = History(tmp_path / "h.sqlite").start(commit="b" * 40, commit_time=None,
                                                 strategy="canary", dry_run=False,
                                                 verdict_path="v")
    with sqlite3.connect(tmp_path / "h.sqlite") as db:  # as if the clock had jumped back 1h
        db.execute("UPDATE deployments SET started_at = '2999-01-01T00:00:00Z'")
    history.finish(row, outcome="succeeded", reason="")
    History(tmp_path / "h.sqlite").finish(other, outcome="aborted", reason="")
    rows = {d.id: d for d in history.deployments()}
    duration = rows[row].duration_s
    assert duration is not None
    assert duration > 0  # this process's monotonic clock: not the clamped wall-clock span
    assert rows[other].duration_s == 0.0  # another process's row: clamped, never negative
    assert (rows[row].outcome, rows[other].outcome) == ("succeeded", "aborted")


# -- rollout progress: what a resumed supervisor continues from ----------------------------------
GOOD_PROGRESS = {"phase": "bake", "stage": 4, "watched_s": 9.5, "successes": 0,
                 "log_offset": 1200, "log_inode": 77}


@pytest.mark.parametrize(
    ("changes", "kept"),
    [
        ({}, True),
        ({"log_inode": None}, True),
        ({"phase": "soak"}, False),
        ({"watched_s": -1.0}, False),
        ({"watched_s": "9.5"}, False),
        ({"watched_s": True}, False),
        ({"successes": -2}, False),
        ({"log_offset": 1.5}, False),
        ({"stage": None}, False),
        ({"log_inode": "77"}, False),
    ],
)
def test_a_progress_record_is_used_only_when_well_formed(
    changes: dict[str, Any], kept: bool
) -> None:
    from pytest_pyramid.deploy.state import Progress

    progress = Progress.from_dict({**GOOD_PROGRESS, **changes})
    assert (progress is not None) == kept
    if progress is not None:
        assert progress.as_dict() == {**GOOD_PROGRESS, **changes}
    assert Progress.from_dict(None) is None


# -- ports for versions and nginx: never from the kernel's ephemeral range --------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("32768\t60999\n", (32768, 60999)),
    ("1024 65535", (1024, 65535)),
    ("", (32768, 60999)),  # unreadable: Linux's default
    ("garbage", (32768, 60999)),
])
def test_ephemeral_range_is_read_from_the_kernel_setting(
    text: str, expected: tuple[int, int]
) -> None:
    assert ephemeral_range(text) == expected


@pytest.mark.parametrize(("ephemeral", "first", "last", "count"), [
    ((32768, 60999), PORT_FLOOR, 65535, (32768 - PORT_FLOOR) + (65535 - 60999)),
    ((40000, 65535), PORT_FLOOR, 39999, 40000 - PORT_FLOOR),
    ((1024, 65535), None, None, 0),  # nothing outside it: the kernel's own pick
])
def test_port_candidates_lie_outside_the_ephemeral_range(
    ephemeral: tuple[int, int], first: int | None, last: int | None, count: int
) -> None:
    found = port_candidates(ephemeral)
    assert len(found) == count
    assert (found[0] if found else None, found[-1] if found else None) == (first, last)
    assert not any(ephemeral[0] <= port <= ephemeral[1] for port in found)


# -- a stop signal's rollback closes its history row before the old handlers are back ------------
class _Settler:
    """Stands in for the Deployer: ``settle`` is the rollback a stop signal starts."""

    def settle(self, state: Any, *, action: str, why: str, cause: str) -> Any:
        from pytest_pyramid.deploy.rollout import Outcome

        state.rollout = None
        return Outcome(1, "aborted", why, cause=cause)


def test_the_row_is_closed_while_a_second_stop_signal_is_still_ignored() -> None:
    import signal

    from pytest_pyramid.deploy.service import _guarded
    from pytest_pyramid.deploy.state import DeployState, Rollout

    state = DeployState(rollout=Rollout(7, SHA, "canary", version(9, 1, "")))
    during: list[object] = []
    before = signal.getsignal(signal.SIGTERM)

    def interrupted() -> Any:
        raise KeyboardInterrupt  # what the first SIGTERM's handler raises

    outcome = _guarded(cast("Any", _Settler()), state, lambda line: None, interrupted,
                       lambda done: during.append(signal.getsignal(signal.SIGTERM)))
    assert (outcome.outcome, outcome.cause) == ("aborted", "interrupted")
    assert len(during) == 1
    assert during[0] not in (before, signal.SIG_DFL)  # a SIGTERM now is noted, not fatal
    assert signal.getsignal(signal.SIGTERM) == before


# -- whether the deploy lock is held: read from the kernel's table, never by taking it ------------
@pytest.mark.parametrize(("line", "held"), [
    ("1: FLOCK  ADVISORY  WRITE 4902 {id} 0 EOF", True),
    ("1: -> FLOCK  ADVISORY  WRITE 4903 {id} 0 EOF", False),  # a waiter, not a holder
    ("2: POSIX  ADVISORY  WRITE 4902 {id} 0 EOF", False),  # fcntl locks are not ours
    ("1: FLOCK  ADVISORY  WRITE 4902 00:00:1 0 EOF", False),  # another file
    ("", False),
])
def test_the_deploy_lock_is_seen_held_in_the_kernels_table(
    tmp_path: Path, line: str, held: bool
) -> None:
    import os

    from pytest_pyramid.deploy.state import flock_held

    lock = tmp_path / "deploy.lock"
    lock.touch()
    info = lock.stat()
    ident = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    assert flock_held(lock, line.format(id=ident)) is held


def test_asking_whether_the_lock_is_free_never_takes_it(tmp_path: Path) -> None:
    """Taking the lock to find out wrote the asker's pid into the file (and, for that moment,
    refused a deploy starting just then)."""
    from pytest_pyramid.deploy.state import deploy_lock, lock_free

    assert lock_free(tmp_path)
    (tmp_path / "deploy.lock").write_text("12345")  # the last holder's pid
    assert lock_free(tmp_path)
    assert (tmp_path / "deploy.lock").read_text() == "12345"
    with deploy_lock(tmp_path):
        assert not lock_free(tmp_path)
    assert lock_free(tmp_path)


@pytest.mark.parametrize(("signed_for", "deploy_to", "counted"), [
    ("production", "production", True),
    ("staging", "production", False),  # hostile case 164: staging's approval handed to production
    ("", "production", False),  # an approval of a deploy without environments
    ("production", "", False),
    ("", "", True),
])
def test_an_approval_counts_only_for_the_environment_it_names(
    signed_for: str, deploy_to: str, counted: bool
) -> None:
    envelope = sign_approval(APPROVED, role="lead", approver="alice", key=KEYS_["alice"],
                             now=NOW, environment=signed_for)
    result = tally([envelope], verdict=APPROVED, people=PEOPLE, roles=["lead"],
                   now=NOW, ttl=timedelta(hours=24), deployer=None,
                   environment=deploy_to)
    assert result.counted == (("alice (lead)",) if counted else ())
    assert counted or "approved the deploy to" in result.ignored[0]


def test_the_verdicts_a_gate_saw_are_kept_in_the_history(tmp_path: Path) -> None:
    """Hostile case 375: what the gate saw is history (deploy/replays.py reads it whatever
    became of ``verdicts.jsonl``); the same verdict seen twice is one row; a file from
    before the table reads as none, and another folder's is read without a byte written."""
    import sqlite3

    from pytest_pyramid.deploy.history import History, seen_read_only

    path = tmp_path / "history.sqlite"
    with sqlite3.connect(path) as db:  # a history from before the table
        db.execute("CREATE TABLE deployments (id INTEGER PRIMARY KEY)")
    assert seen_read_only(path) == []
    history = History(path)
    ready = {"commit": "a" * 40, "created_at": "t1", "digest": "d1", "decision": "ready"}
    blocked = {**ready, "created_at": "t2", "digest": "d2", "decision": "blocked"}
    for entry in (ready, blocked, ready):
        history.record_seen(entry)
    history.close()
    assert history.seen_verdicts() == [ready, blocked]
    before = path.read_bytes()
    assert seen_read_only(path) == [ready, blocked]
    assert path.read_bytes() == before
