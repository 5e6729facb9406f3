"""Pact files and verification: pure helpers, then real pact-python runs under xdist."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.toolkits.contract import (
    ContractError,
    PactFile,
    PactResult,
    VerificationResult,
    _guarded,
    clear_pacts,
    mismatches_of,
    pact_files,
    read_pact,
)

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import MakeProject, ReadVerdict


def write_pact(directory: Path, consumer: str, provider: str, interactions: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{consumer}-{provider}.json"
    path.write_text(json.dumps({
        "consumer": {"name": consumer},
        "provider": {"name": provider},
        "interactions": [{"description": f"i{n}"} for n in range(interactions)],
    }))
    return path


def test_pact_files_by_provider(tmp_path: Path) -> None:
    web = write_pact(tmp_path, "web", "api", 2)
    write_pact(tmp_path, "web", "billing", 1)
    mobile = write_pact(tmp_path, "mobile", "api", 3)
    assert pact_files(tmp_path, "api") == [
        PactFile(mobile, "mobile", "api", 3), PactFile(web, "web", "api", 2)
    ]
    assert len(pact_files(tmp_path)) == 3
    assert pact_files(tmp_path / "missing") == []


def test_clear_pacts_removes_only_pact_files(tmp_path: Path) -> None:
    write_pact(tmp_path, "a", "b", 1)
    (tmp_path / "notes.txt").write_text("keep")
    assert clear_pacts(tmp_path) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert clear_pacts(tmp_path / "missing") == 0


@pytest.mark.parametrize("text", ["not json", "{}", '{"consumer": {"name": "x"}}'])
def test_unreadable_pact_names_the_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ContractError, match=r"bad\.json: not a readable pact file"):
        read_pact(path)


@pytest.mark.parametrize(
    ("results", "lines"),
    [
        ({"errors": []}, []),
        (
            {"errors": [{"interaction": "get item", "mismatch": {"mismatches": [
                {"mismatch": "expected 404 but was 500", "type": "StatusMismatch"},
                {"expected": "application/json", "type": "HeaderMismatch"},
            ]}}]},
            ["get item: expected 404 but was 500", "get item: expected 'application/json'"],
        ),
        (
            {"errors": [{"interaction": "list", "mismatch": {"message": "connection refused"}}]},
            ["list: connection refused"],
        ),
        ({"errors": [{"mismatch": "plain text"}]}, ["?: plain text"]),
    ],
)
def test_mismatches_of(results: dict[str, Any], lines: list[str]) -> None:
    assert mismatches_of(results) == lines


def test_verification_result_counts_and_report(tmp_path: Path) -> None:
    good = PactFile(tmp_path / "web-api.json", "web", "api", 2)
    bad = PactFile(tmp_path / "cli-api.json", "cli", "api", 3)
    result = VerificationResult("api", [
        PactResult(good, True, "all OK"),
        PactResult(bad, False, "verifier output", [
            "Verifying a pact between cli and api Given x - get: expected 1",
            "Verifying a pact between cli and api Given x - get: expected 2",
            "list: refused",
        ], ["'x': KeyError: 'y'"]),
    ])
    assert (result.verified, result.unverified, result.interactions, result.ok) == (1, 1, 5, False)
    assert result.report().splitlines() == [  # grouped, each once; no transcript beside them
        "pact cli-api.json (cli -> api):",
        "  Given x - get:",
        "    - expected 1",
        "    - expected 2",
        "  list:",
        "    - refused",
        "  - state handler error: 'x': KeyError: 'y'",
    ]
    crashed = VerificationResult("api", [PactResult(bad, False, "  the verifier crashed  ")])
    assert crashed.report().splitlines() == [  # nothing structured: the transcript is all there is
        "pact cli-api.json (cli -> api):", "the verifier crashed"]
    assert not VerificationResult("api", []).ok  # nothing verified is not "all verified"


def test_state_handlers_get_what_they_ask_for_and_never_raise() -> None:
    calls: list[tuple[str, object]] = []
    errors: list[str] = []

    def no_args() -> None:
        calls.append(("no_args", None))

    def with_parameters(parameters: dict[str, Any] | None) -> None:
        calls.append(("with_parameters", parameters))

    def broken() -> None:
        raise KeyError("stock")

    handlers = _guarded(
        {"a": no_args, "b": with_parameters, "c": broken}, errors
    )
    handlers["a"]("a", "setup", {"id": 1})
    handlers["b"]("b", "setup", {"id": 2})
    handlers["c"]("c", "setup", None)
    assert calls == [("no_args", None), ("with_parameters", {"id": 2})]
    assert errors == ["'c': KeyError: 'stock'"]


PROVIDER_CONFTEST = """
    import json, os
    import pytest

    THINGS = {}

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        thing_id = path.rsplit("/", 1)[-1]
        if path == "/health":
            status, body = "200 OK", {"ok": True}
        elif os.environ.get("BROKEN_PROVIDER") and thing_id == "2":
            status, body = "500 Internal Server Error", {"detail": "boom"}
        elif thing_id in THINGS:
            status, body = "200 OK", THINGS[thing_id]
        else:
            status, body = "404 Not Found", {"detail": "no such thing"}
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    @pytest.fixture(scope="session")
    def pyramid_live_server_app():
        return app

    @pytest.fixture(scope="session")
    def pyramid_live_server_health_path():
        return "/health"
"""

CONTRACT_TESTS = """
    import json, os, urllib.error, urllib.request
    import pytest
    from pact import match
    from conftest import THINGS

    def get(url):
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def test_thing_exists(pyramid_pact):
        pact = pyramid_pact("web", "things")
        (pact.upon_receiving("thing 1").given("thing 1 exists")
            .with_request("GET", "/things/1").will_respond_with(200)
            .with_body({"id": match.int(1), "name": match.str("one")},
                       content_type="application/json"))
        with pact.serve(addr="127.0.0.1") as server:
            assert get(f"{server.url}/things/1")[0] == 200

    def test_thing_missing(pyramid_pact):
        pact = pyramid_pact("web", "things")
        (pact.upon_receiving("thing 2 is missing").given("no thing 2")
            .with_request("GET", "/things/2").will_respond_with(404))
        with pact.serve(addr="127.0.0.1") as server:
            assert get(f"{server.url}/things/2")[0] == 404

    def test_consumer_that_fails_writes_nothing(pyramid_pact):
        pact = pyramid_pact("web", "things")
        (pact.upon_receiving("never proven").with_request("GET", "/things/3")
            .will_respond_with(200))
        with pact.serve(addr="127.0.0.1") as server:
            get(f"{server.url}/things/3")
        assert os.environ.get("CONSUMER_BUG") is None

    def test_provider(pyramid_live_server, pyramid_verify_pacts):
        def thing_1_exists(parameters):
            THINGS.clear()
            THINGS["1"] = {"id": 1, "name": "the first"}

        def no_thing_2():
            THINGS.pop("2", None)

        result = pyramid_verify_pacts("things", pyramid_live_server.url, state_handlers={
            "thing 1 exists": thing_1_exists, "no thing 2": no_thing_2,
        })
        assert result.verified == 1
"""


@pytest.fixture
def contract_project(make_project: MakeProject) -> Path:
    root = make_project(
        """
        [tool.pyramid.tiers.contract]
        paths = ["tests/contract"]
        [tool.pyramid.thresholds]
        "contract.unverified" = "== 0"
        """,
        **{"conftest.py": PROVIDER_CONFTEST, "tests/contract/test_things.py": CONTRACT_TESTS},
    )
    # A stale pact from an earlier run: verifying it would fail ("old" asks for nothing real).
    write_pact(root / ".pyramid" / "pacts", "old", "things", 1)
    return root


def test_pacts_merged_across_tests_and_verified(
    pytester: pytest.Pytester, contract_project: Path, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONSUMER_BUG", "1")
    result = pytester.runpytest_subprocess(
        "-p", "pytest_pyramid.toolkits.plugin", "-n", "2", "--dist", "loadfile"
    )
    result.assert_outcomes(passed=3, failed=1)
    pacts = pact_files(contract_project / ".pyramid" / "pacts")
    assert [(p.consumer, p.provider, p.interactions) for p in pacts] == [("web", "things", 2)]
    data = json.loads(pacts[0].path.read_text())
    assert sorted(i["description"] for i in data["interactions"]) == [
        "thing 1", "thing 2 is missing"
    ]
    metrics = read_verdict()["metrics"]
    assert metrics["contract.verified"]["samples"][0]["value"] == 1
    assert metrics["contract.unverified"]["samples"][0]["value"] == 0
    assert metrics["contract.interactions"]["samples"][0]["value"] == 2
    assert metrics["contract.unverified"]["samples"][0]["tags"] == {"provider": "things"}


def test_broken_provider_fails_with_its_mismatches(
    pytester: pytest.Pytester, contract_project: Path, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONSUMER_BUG", "1")
    monkeypatch.setenv("BROKEN_PROVIDER", "1")
    result = pytester.runpytest_subprocess(
        "-p", "pytest_pyramid.toolkits.plugin", "-n", "2", "--dist", "loadfile"
    )
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines([
        "*ContractVerificationError: 1 of 1 pact(s) with 'things' not verified:",
        "*pact web-things.json (web -> things):",
        "*  Given no thing 2 - thing 2 is missing:",
        "*    - expected 404 but was 500",
    ])
    # the verifier's transcript (its captured output) is not repeated in the error itself
    errors = [line for line in result.stdout.lines if line.startswith("E")]
    assert not [line for line in errors if "Failures:" in line]
    verdict = read_verdict()
    # the failed verification test's own figures are not evidence: the gate has no sample
    assert "contract.unverified" not in verdict.get("metrics", {})
    assert verdict["run"]["metrics_discarded"] == 3
    gates = {gate["id"]: gate for gate in verdict["gates"]}
    assert gates["metric.contract.unverified"]["status"] == "not_evaluated"
    assert verdict["decision"] == "blocked"
