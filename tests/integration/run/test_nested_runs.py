"""Principle: a nested run hands on everything it saw to the run that started it, whatever
tree it judged: nobody reads its verdict, and the outer test's outcome may rest on what it
saw (hostile case 291: an inner run's shell read the outer checkout's ignored data). Its
shells reading their standard input (``sh <stdin>``) are the outer run's entries, in-process
and in a subprocess alike. An earlier in-process run that failed in pytest's argument parsing
after its recorder started must not leave the variable naming its spool (pytest unconfigures
nothing then): every later child of the process, the outer run's own too, would report to no
run. One outer test replays that order: the failed run, nested runs whose test feeds a shell
on its standard input (in-process and in a subprocess), then the outer run's own children,
which it still names."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.integration.run.test_closed_world import BASE, MODES, closed_world, run

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import ReadVerdict

NESTED_THEN_OWN = {
    "conftest.py": 'pytest_plugins = ["pytester"]\n',
    ".gitignore": BASE[".gitignore"] + "local.txt\n",
    "tests/unit/test_nested.py": '''
        import subprocess
        import sys
        from pathlib import Path

        INNER = """
        import subprocess
        def test_shell():
            out = subprocess.run(["sh"], input="echo ok", capture_output=True, text=True)
            assert out.stdout == "ok\\\\n"
        """
        LEAN = "-p no:cacheprovider -p no:playwright -p no:schemathesis"

        def test_nested_runs_then_this_runs_own_children(pytester):
            root = Path(__file__).resolve().parents[2]
            pytester.makefile(".toml", pyproject=f'[tool.pytest.ini_options]\\naddopts = "{LEAN}"'
                              '\\n[tool.pyramid]\\n')
            pytester.makepyfile(test_inner=INNER)
            # stops in pytest's argument parsing, after its recorder started
            assert pytester.runpytest_inprocess("--no-such-option").ret == 4
            assert pytester.runpytest_inprocess().ret == 0
            assert pytester.runpytest_subprocess().ret == 0
            out = subprocess.run([sys.executable, "-c", "print(open('local.txt').read())"],
                                 cwd=root, capture_output=True, text=True, check=True)
            assert out.stdout.strip() == "secret"
            out = subprocess.run(["bash", "-s"], input="echo ok", capture_output=True, text=True)
            assert out.stdout == "ok\\n"
    ''',
}


@pytest.mark.parametrize("mode", MODES)
def test_a_nested_runs_shells_are_handed_on_and_the_outer_run_still_sees_its_children(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    tmp_path_factory: pytest.TempPathFactory, mode: tuple[str, ...],
) -> None:
    project(NESTED_THEN_OWN, later={"local.txt": "secret\n"}, addopts="-p no:playwright")
    # the nested projects outside this repository, as in the suite's own runs (pytester's
    # default places them in the repository's folder, whose code they would then be)
    run(pytester, mode, f"--basetemp={tmp_path_factory.mktemp('nested')}")
    verdict = read_verdict()
    assert verdict["tiers"]["unit"]["passed"] == 2, verdict["tiers"]["unit"]
    said = " ".join(closed_world(verdict))
    assert "local.txt" in said, said  # its own child read it after the failed run
    assert "bash <stdin>" in said, said  # its own shell
    assert "sh <stdin>" in said.replace("bash <stdin>", ""), said  # the nested runs'


#: hostile case 291: the outer test's outcome comes from an inner run's shell reading the outer
#: checkout's git-ignored file on its standard input; nobody reads the inner verdict
INNER_SHELL_READS_OUTER = '''
    import subprocess
    import sys
    from pathlib import Path

    GOLDEN = Path(__file__).resolve().parents[2] / "golden.txt"
    INNER = """
    import subprocess
    def test_inner():
        out = subprocess.run(["sh"], input="cat %s", capture_output=True, text=True).stdout
        assert out.strip() == "ok"
    """
    LEAN = "-p no:cacheprovider -p no:playwright -p no:schemathesis"

    def test_outer(pytester):
        pytester.makefile(".toml", pyproject=f'[tool.pytest.ini_options]\\naddopts = "{LEAN}"'
                          '\\n[tool.pyramid]\\n')
        pytester.makepyfile(test_inner=INNER % GOLDEN)
        assert pytester.{how}().ret == 0
'''


@pytest.mark.parametrize("how", ["runpytest_subprocess", "runpytest_inprocess"])
@pytest.mark.parametrize("mode", MODES)
def test_an_inner_runs_shell_is_the_outer_runs_whatever_tree_the_inner_run_judged(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    tmp_path_factory: pytest.TempPathFactory, mode: tuple[str, ...], how: str,
) -> None:
    project({"conftest.py": 'pytest_plugins = ["pytester"]\n',
             ".gitignore": BASE[".gitignore"] + "golden.txt\n",
             "tests/unit/test_outer.py": INNER_SHELL_READS_OUTER.replace("{how}", how)},
            later={"golden.txt": "ok\n"}, addopts="-p no:playwright")
    run(pytester, mode, f"--basetemp={tmp_path_factory.mktemp('nested')}")
    verdict = read_verdict()
    assert verdict["tiers"]["unit"]["passed"] == 2, verdict["tiers"]["unit"]
    assert verdict["decision"] == "incomplete"
    said = " ".join(closed_world(verdict))
    assert "sh <stdin>" in said, said
