"""One pytester project judged through a route: serially, under ``-n 2``, or as two CI shards
merged by ``pyramid merge`` (the routes every refusal fact must take alike)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_pyramid.cli import main as pyramid

if TYPE_CHECKING:
    import pytest

    from tests.conftest import ReadVerdict


def judged(pytester: pytest.Pytester, route: str, read: ReadVerdict,
           capsys: pytest.CaptureFixture[str], run_id: str) -> dict[str, Any]:
    """The verdict of the project in ``pytester`` run by ``route`` ("serial", "n2", "shards";
    the shards merged under ``run_id``)."""
    if route == "shards":
        for index in (1, 2):
            result = pytester.runpytest(f"--pyramid-shard={index}/2")
            assert "INTERNALERROR" not in result.stdout.str()
        capsys.readouterr()
        pyramid(["merge", "--run-id", run_id, "."])
        assert "Traceback" not in capsys.readouterr().err
    else:
        result = pytester.runpytest(*(["-n", "2"] if route == "n2" else []))
        assert "INTERNALERROR" not in result.stdout.str()
    return read()
