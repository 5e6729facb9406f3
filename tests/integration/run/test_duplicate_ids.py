"""Items that share a node id (a data-driven collector yielding two cases of one name:
tools/hostile cases 35 and 36): the run is incomplete naming the id, and each collected item
counts once in its tier - by item, not by node id - serially, under ``-n 2`` (the two items
on one worker or on two) and through CI shards + ``pyramid merge``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.cli import main as pyramid

if TYPE_CHECKING:
    from tests.conftest import MakeProject, ReadVerdict

CASES_CONFTEST = """
    import pytest

    class CaseItem(pytest.Item):
        def __init__(self, *, expected, **kw):
            super().__init__(**kw)
            self.expected = expected
        def runtest(self):
            assert 1 + 1 == self.expected
        def reportinfo(self):
            return self.path, 0, self.name

    class CaseFile(pytest.File):
        def collect(self):
            for line in self.path.read_text().splitlines():
                if line.strip():
                    name, expected = line.split(":")
                    yield CaseItem.from_parent(self, name=name.strip(),
                                               expected=int(expected))

    def pytest_collect_file(parent, file_path):
        if file_path.suffix == ".cases" and file_path.name.startswith("test_"):
            return CaseFile.from_parent(parent, path=file_path)
"""

#: the failing case first or last (case 36 / case 35)
ORDERS = {"pass_then_fail": "sum_one: 2\nsum_one: 3\n",
          "fail_then_pass": "sum_one: 3\nsum_one: 2\n"}


def unit_counts(verdict: dict[str, Any]) -> tuple[int, int, int]:
    unit = verdict["tiers"]["unit"]
    return unit["collected"], unit["passed"], unit["failed"]


@pytest.mark.parametrize("route", ["serial", "n2", "shards-2"])
@pytest.mark.parametrize("order", list(ORDERS))
def test_items_sharing_a_node_id_each_count_once(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], route: str,
    order: str,
) -> None:
    make_project(**{
        "tests/unit/conftest.py": CASES_CONFTEST,
        "tests/unit/test_sums.cases": ORDERS[order],
        "tests/unit/test_core.py": "def test_add(): pass\n",
        "tests/integration/test_int.py": "def test_int(): pass\n",
    })
    monkeypatch.chdir(pytester.path)
    if route == "shards-2":
        for index in (1, 2):
            pytester.runpytest(f"--pyramid-shard={index}/2")
        capsys.readouterr()
        pyramid(["merge", "--run-id", "duplicates", "."])
        assert "Traceback" not in capsys.readouterr().err
    else:
        pytester.runpytest(*(["-n", "2"] if route == "n2" else []))
    verdict = read_verdict()
    assert verdict["decision"] != "ready"
    assert any(p["kind"] == "duplicate_ids" and "test_sums.cases::sum_one" in p["message"]
               for p in verdict["completeness"]), verdict["completeness"]
    # three items in unit (test_add and two sum_one cases): two passed, one failed
    assert unit_counts(verdict) == (3, 2, 1)
