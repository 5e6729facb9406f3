"""Principle: a closed world of code (issue 19 section 2; hostile round 15a, case 402). The
code a run executes comes from the tree or from the interpreter's environment; a module
imported from anywhere else (shared test helpers in a sibling checkout reached through a
tracked ``pythonpath`` or a conftest's ``sys.path.insert``) is code no tree and no
environment holds: the run is ``incomplete``, naming it, serially, under ``-n 2`` and in CI
shards + ``pyramid merge`` (one function judges: ``run/loaded.py: foreign_problems``).

The controls: the same helper committed in the tree is ``ready``, and so is a module a test
generates into a temporary folder outside the repository and imports (the run's own output,
made since it began).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.cli import main as pyramid

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import ReadVerdict

USES_HELPER = """
    from expect import expected_sum

    def test_total():
        assert 2 + 3 == expected_sum(2, 3)
"""
HELPER = "def expected_sum(a, b):\n    return a + b\n"
#: a conftest that puts the sibling folder first on sys.path, as monorepo-adjacent suites do
SIBLING_ON_PATH = """
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared-testing"))
"""
#: a module a test writes to a folder of its own outside the repository and imports (pytest's
#: ``tmp_path`` is outside it in a real run; pytester puts a nested run's inside its project)
GENERATED = """
    import importlib
    import sys
    import tempfile
    from pathlib import Path

    def test_generated():
        folder = Path(tempfile.mkdtemp(prefix="pyramid-generated-"))
        (folder / "made_here.py").write_text("VALUE = 1\\n")
        sys.path.insert(0, str(folder))
        try:
            importlib.invalidate_caches()
            import made_here
            assert made_here.VALUE == 1
        finally:
            sys.path.remove(str(folder))
"""


def _sibling(pytester: pytest.Pytester) -> None:
    folder = pytester.path.parent / "shared-testing"
    folder.mkdir(exist_ok=True)
    (folder / "expect.py").write_text(HELPER)


def _foreign(verdict: dict[str, object]) -> str:
    completeness = verdict["completeness"]
    assert isinstance(completeness, list)
    return " ".join(p["message"] for p in completeness if p["kind"] == "foreign_code")


def _judged(pytester: pytest.Pytester, route: str, read_verdict: ReadVerdict,
            capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    if route == "shards":
        for index in (1, 2):
            pytester.runpytest_subprocess(f"--pyramid-shard={index}/2")
        capsys.readouterr()
        pyramid(["merge", "--run-id", "outside", str(pytester.path)])
        assert "Traceback" not in capsys.readouterr().err
    else:
        pytester.runpytest_subprocess(*(["-n", "2"] if route == "n2" else []))
    return read_verdict()


@pytest.mark.parametrize("route", ["serial", "n2", "shards"])
@pytest.mark.parametrize("how", ["tracked-pythonpath", "conftest-sys-path"])
def test_a_helper_imported_from_outside_the_tree_and_the_environment_is_named(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, route: str,
    how: str,
) -> None:
    monkeypatch.chdir(pytester.path)
    _sibling(pytester)
    files = {"tests/integration/test_total.py": USES_HELPER}
    ini = 'pythonpath = [".", "../shared-testing"]\n'
    if how == "conftest-sys-path":
        files["tests/conftest.py"] = SIBLING_ON_PATH
        ini = 'pythonpath = ["."]\n'
    project(files, ini=ini)
    verdict = _judged(pytester, route, read_verdict, capsys)
    assert verdict["decision"] == "incomplete", verdict["reasons"]
    named = _foreign(verdict)
    assert "expect was imported from " in named, verdict["completeness"]
    assert "/shared-testing/expect.py, outside the repository and the interpreter's " \
        "environment" in named


@pytest.mark.parametrize("route", ["serial", "n2"])
def test_the_same_helper_in_the_tree_and_a_generated_module_are_ready(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, route: str,
) -> None:
    monkeypatch.chdir(pytester.path)
    project({"tests/integration/test_total.py": USES_HELPER,
             "tests/helpers/expect.py": HELPER, "tests/unit/test_generated.py": GENERATED},
            ini='pythonpath = [".", "tests/helpers"]\n')
    verdict = _judged(pytester, route, read_verdict, capsys)
    assert verdict["decision"] == "ready", verdict["completeness"]



#: the test module retimes the sibling helper, then imports it (``os.utime``, ``chmod``;
#: collected after the run began): a file from before the run, whatever its times say now
RETIMES_THEN_USES = """
    import os
    from pathlib import Path

    helper = Path(__file__).resolve().parents[3] / "shared-testing" / "expect.py"
    os.utime(helper)
    os.chmod(helper, 0o644)

    from expect import expected_sum

    def test_total():
        assert 2 + 3 == expected_sum(2, 3)
"""


@pytest.mark.parametrize("route", ["serial", "n2"])
def test_a_helper_a_test_retimes_before_importing_it_is_still_named(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, route: str,
) -> None:
    """Made since the run began is told by the file's birth time (``run/birth.py``), which
    ``touch`` and ``chmod`` leave: the hole the change time left (402's follow-up)."""
    monkeypatch.chdir(pytester.path)
    _sibling(pytester)
    project({"tests/integration/test_total.py": RETIMES_THEN_USES},
            ini='pythonpath = [".", "../shared-testing"]\n')
    verdict = _judged(pytester, route, read_verdict, capsys)
    assert verdict["decision"] == "incomplete", verdict["reasons"]
    assert "/shared-testing/expect.py, outside the repository" in _foreign(verdict)
