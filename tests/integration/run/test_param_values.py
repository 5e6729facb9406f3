"""Hostile case 400: a node id names a test only with its parameters' values. Every process
that collects a parametrized test records a digest of its values; xdist workers and CI
shards that mean other values by one id (a ``parametrize`` over a set, whose order follows
each process's hash seed) make the run not ``ready``. Made deterministic here: the values
are chosen by the collecting process itself (its worker id, its shard), as a set's order is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.cli import main as pyramid

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import ReadVerdict

IGNORE = ("pyramid-verdict*\npyramid-partial*\npyramid-results*\n.coverage*\n__pycache__/\n"
          "/stdout\n/stderr\n/runpytest-current\n")
#: the values of `case0` depend on which process collected it (a positional id)
PER_PROCESS = """
def pytest_generate_tests(metafunc):
    workerinput = getattr(metafunc.config, "workerinput", {})
    who = workerinput.get("workerid") or metafunc.config.getoption("pyramid_shard") or "main"
    metafunc.parametrize("case", [(who, 1)])

def test_case(case):
    assert case[1] == 1
"""
#: values with no stable text: which one ran under an id cannot be told between processes
OBJECTS = """
import pytest

class Payment:
    pass

@pytest.mark.parametrize("payment", [Payment(), Payment()])
def test_payment(payment):
    assert payment is not None
"""
#: plain objects (no __repr__): their type and attributes are their text, in every process
PLAIN_OBJECTS = """
import pytest

class Payment:
    def __init__(self, amount):
        self.amount = amount

@pytest.mark.parametrize("payment", [Payment(1), Payment(2)])
def test_payment(payment):
    assert payment.amount > 0
"""
#: a plain object whose attributes the collecting process chose: other values by one id
PER_PROCESS_OBJECTS = """
class Payment:
    def __init__(self, payer):
        self.payer = payer

def pytest_generate_tests(metafunc):
    workerinput = getattr(metafunc.config, "workerinput", {})
    who = workerinput.get("workerid") or metafunc.config.getoption("pyramid_shard") or "main"
    metafunc.parametrize("payment", [Payment(who)])

def test_payment(payment):
    assert payment.payer
"""
#: the same values everywhere: a parametrize over an ordered collection
STABLE = """
import pytest

@pytest.mark.parametrize("case", sorted({("alpha", 1), ("beta", 2)}))
def test_case(case):
    assert case[1] > 0
"""


def _merge(capsys: pytest.CaptureFixture[str], pytester: pytest.Pytester) -> tuple[int, str]:
    for index in (1, 2):
        result = pytester.runpytest(f"--pyramid-shard={index}/2")
        assert "INTERNALERROR" not in result.stdout.str()
    capsys.readouterr()
    status = pyramid(["merge", "--run-id", "values", "."])
    return status, capsys.readouterr().err


@pytest.mark.parametrize(("body", "n2", "shards"), [
    (PER_PROCESS, "parameter values", "other parameter values"),
    (OBJECTS, "no stable text", "no stable text"),
    (STABLE, "", ""),
    (PLAIN_OBJECTS, "", ""),
    (PER_PROCESS_OBJECTS, "parameter values", "other parameter values"),
], ids=["per-process", "objects", "stable", "plain-objects", "per-process-objects"])
def test_an_id_means_one_set_of_values_on_every_route(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    body: str, n2: str, shards: str,
) -> None:
    monkeypatch.delenv("PYRAMID_RUN_ID", raising=False)
    project({".gitignore": IGNORE, "tests/unit/test_row.py": body})
    monkeypatch.chdir(pytester.path)
    pytester.runpytest()
    assert read_verdict()["decision"] == "ready"  # one process: its id means what it ran
    pytester.runpytest("-n", "2")
    verdict = read_verdict()
    said = " ".join(p["message"] for p in verdict["completeness"])
    assert verdict["decision"] == ("incomplete" if n2 else "ready"), said
    assert n2 in said
    status, err = _merge(capsys, pytester)
    if shards == "other parameter values":  # not one selection: the merge refuses
        assert status == 3
        assert shards in err
        return
    verdict = read_verdict()
    said = " ".join(p["message"] for p in verdict["completeness"])
    assert verdict["decision"] == ("incomplete" if shards else "ready"), (status, err, said)
    assert shards in said
