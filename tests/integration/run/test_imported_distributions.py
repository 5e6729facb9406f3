"""Principle: the release runs on what was tested (hostile case 466). The verdict records the
installed distributions the run's code imported (``run.distributions``: name, version, a
digest of its RECORD's code lines), taken once per process at its session end and unioned in
every route: serially, from ``-n 2``'s workers, and from CI shards through ``pyramid merge``
(``run/distributions.py``). The deploy gate compares them with the release's interpreter
(tests/unit/deploy/test_libraries_logic.py, tests/e2e/deploy/test_release_libraries.py).

The distribution is real metadata in a folder named ``site-packages`` on the run's
``PYTHONPATH`` (an install location by its name, as a Debian or user site is)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.cli import main as pyramid
from pytest_pyramid.run.dist_probe import record_digest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import ReadVerdict

USES_PRICING = """
    import pricing

    def test_rate():
        assert pricing.RATE == 2
"""
PLAIN = """
    def test_rate():
        assert 1 + 1 == 2
"""
RECORD = ("pricing/__init__.py,sha256=bcXqN0d2Tq5M1m0Qp0kO4W2u1Z3bqJvJw0r0hJ6B2zM,9\n"
          "pricing-2.0.dist-info/METADATA,,\npricing-2.0.dist-info/RECORD,,\n")


@pytest.fixture
def site(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``pricing`` 2.0, installed (its dist-info) in a site-packages folder on PYTHONPATH."""
    folder = tmp_path_factory.mktemp("installed") / "site-packages"
    (folder / "pricing").mkdir(parents=True)
    (folder / "pricing" / "__init__.py").write_text("RATE = 2\n")
    info = folder / "pricing-2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pricing\nVersion: 2.0\n")
    (info / "RECORD").write_text(RECORD)
    monkeypatch.setenv("PYTHONPATH", str(folder))
    return folder


def _recorded(pytester: pytest.Pytester, route: str, read_verdict: ReadVerdict,
              capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    if route == "shards":
        for index in (1, 2):
            pytester.runpytest_subprocess(f"--pyramid-shard={index}/2")
        capsys.readouterr()
        pyramid(["merge", "--run-id", "dists", str(pytester.path)])
        assert "Traceback" not in capsys.readouterr().err
    else:
        pytester.runpytest_subprocess(*(["-n", "2"] if route == "n2" else []))
    recorded = read_verdict()["run"]["distributions"]
    assert isinstance(recorded, list)
    return recorded


@pytest.mark.parametrize("route", ["serial", "n2", "shards"])
def test_an_imported_distribution_is_recorded_in_every_route(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, site: Path,
    route: str,
) -> None:
    monkeypatch.chdir(pytester.path)
    # two test modules: under -n 2 and in two shards, one process imports pricing, one not
    project({"tests/unit/test_pricing.py": USES_PRICING, "tests/unit/test_plain.py": PLAIN})
    recorded = _recorded(pytester, route, read_verdict, capsys)
    assert {"name": "pricing", "version": "2.0", "record": record_digest(RECORD),
            "harness": False} in recorded, recorded
    # pytest and its plugins were loaded before the project's first code: not the tested code's
    assert "pytest" not in {row["name"] for row in recorded}


def test_a_distribution_nothing_imported_is_not_recorded(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, site: Path,
) -> None:
    monkeypatch.chdir(pytester.path)
    project({"tests/unit/test_plain.py": PLAIN})
    assert "pricing" not in {row["name"] for row in
                             _recorded(pytester, "serial", read_verdict, capsys)}
