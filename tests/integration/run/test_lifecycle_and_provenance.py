"""A verdict outlives its run: no stale ``ready`` survives a failed start, informational
invocations leave it alone, it names the tree that was tested, its coverage measures this
run, and no secret that could sign it is visible to the code under test."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.cli import main as pyramid
from tests.conftest import strict_json
from tests.git_repo import git as git  # re-exported: rows written elsewhere import it here
from tests.support.top_level import top_level

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import MakeProject, ReadVerdict

FILES = {
    "tests/unit/test_u.py": "def test_a(): pass\n",
    "tests/integration/test_i.py": "def test_i(): pass\n",
}


def ready_project(pytester: pytest.Pytester, make_project: MakeProject, config: str = "") -> Path:
    make_project(config, **FILES)
    assert pytester.runpytest().ret == 0
    verdict = pytester.path / "pyramid-verdict.json"
    assert strict_json(verdict.read_text())["decision"] == "ready"
    return verdict


# -- 6. no stale ready survives a failed start ---------------------------------------------------


@pytest.mark.parametrize(
    ("files", "config", "args", "reason"),
    [
        ({"conftest.py": "import no_such_module_here\n"}, "", (), "a conftest could not be loaded"),
        (
            {"conftest.py": "def pytest_configure(config):\n    raise RuntimeError('boom')\n"},
            "",
            (),
            "before the test session started",
        ),
        ({}, "strict = 1\n", (), "the run could not start"),
        ({}, "", ("--no-such-option",), "has not finished"),
        ({}, "", ("--tier=nope",), "the run could not start"),
        (
            {"conftest.py": "def pytest_sessionstart(session):\n    raise RuntimeError('x')\n"},
            "",
            (),
            "before the test session started",
        ),
    ],
    ids=[
        "conftest-import-error",
        "configure-error",
        "bad-table",
        "usage-error",
        "unknown-tier",
        "sessionstart-error",
    ],
)
def test_a_failed_start_replaces_an_earlier_ready_verdict(
    pytester: pytest.Pytester,
    make_project: MakeProject,
    read_verdict: ReadVerdict,
    files: dict[str, str],
    config: str,
    args: tuple[str, ...],
    reason: str,
) -> None:
    ready_project(pytester, make_project)
    make_project(config, **FILES, **files)
    result = pytester.runpytest(*args)
    assert result.ret != 0
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert any(reason in r for r in data["reasons"]), data["reasons"]
    assert pyramid(["check", str(pytester.path / "pyramid-verdict.json")]) == 1


@pytest.mark.parametrize(
    "args",
    [
        ("--fixtures",),
        ("--markers",),
        ("--co",),
        ("--setup-plan",),
        ("--setup-only",),
        ("--version",),
        ("--help",),
        ("--fixtures-per-test",),
        ("--collect-only", "-q"),
    ],
)
def test_informational_invocations_leave_the_verdict_alone(
    pytester: pytest.Pytester, make_project: MakeProject, args: tuple[str, ...]
) -> None:
    verdict = ready_project(pytester, make_project)
    before = verdict.read_bytes()
    pytester.runpytest(*args)
    assert verdict.read_bytes() == before


def test_a_run_that_dies_mid_way_leaves_incomplete(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    ready_project(pytester, make_project)
    make_project(**{**FILES, "tests/unit/test_u.py": "import os\ndef test_a(): os._exit(3)\n"})
    assert pytester.runpytest_subprocess().ret == 3
    assert read_verdict()["decision"] == "incomplete"


# -- 7. the code that was tested is the code that is named ---------------------------------------


@pytest.fixture
def committed(pytester: pytest.Pytester, make_project: MakeProject) -> Path:
    """A pyramid project committed to git; the verdict itself is not ignored."""
    make_project(**FILES)
    git(pytester.path, "init", "-q")
    git(pytester.path, "add", "-A")
    git(pytester.path, "commit", "-qm", "one")
    return pytester.path


def test_a_clean_tree_is_named_and_checked_against_the_working_tree(
    pytester: pytest.Pytester,
    committed: Path,
    read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    top_level(monkeypatch)  # a verdict `pyramid check` accepts: a top-level run's
    assert pytester.runpytest().ret == 0
    data = read_verdict()
    head_tree = git(committed, "rev-parse", "HEAD^{tree}")
    assert (data["dirty"], data["tree"]["digest"], data["tree"]["head"]) == (
        False,
        head_tree,
        head_tree,
    )
    monkeypatch.chdir(committed)
    verdict = str(committed / "pyramid-verdict.json")
    assert pyramid(["check", verdict]) == 0
    (committed / "tests/unit/test_u.py").write_text("def test_a(): assert False\n")
    assert pyramid(["check", verdict]) == 3  # edited after the run: not the tested code


def test_an_untracked_source_file_makes_the_run_dirty(
    pytester: pytest.Pytester,
    committed: Path,
    read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (committed / "helpers.py").write_text("PATCHED = True\n")
    top_level(monkeypatch)  # a verdict `pyramid check` accepts but for the dirty tree
    pytester.runpytest()
    data = read_verdict()
    assert data["dirty"] is True
    assert data["tree"]["digest"] != data["tree"]["head"]
    monkeypatch.chdir(committed)
    verdict = str(committed / "pyramid-verdict.json")
    assert pyramid(["check", verdict]) == 3
    assert "changes not in its commit" in capsys.readouterr().err
    assert pyramid(["check", verdict, "--allow-dirty"]) == 0


def test_a_tree_edited_while_the_tests_run_is_incomplete(
    pytester: pytest.Pytester, committed: Path, read_verdict: ReadVerdict
) -> None:
    (committed / "tests/unit/test_u.py").write_text(
        textwrap.dedent("""
        from pathlib import Path
        def test_a():
            Path(__file__).with_name("test_x.py").write_text("")  # a new file: not the code
            Path(__file__).parents[2].joinpath("tests/integration/test_i.py").write_text(
                "def test_i(): assert True  # rewritten by a test\\n")
    """)
    )
    git(committed, "commit", "-qam", "two")
    pytester.runpytest("-p", "no:randomly")
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert any(
        "changed while the tests ran: tests/integration/test_i.py" in r for r in data["reasons"]
    ), data["reasons"]


# -- 10. nothing that could sign a verdict is visible to the tests -------------------------------


@pytest.mark.parametrize("workers", [0, 2])
def test_a_signing_secret_in_the_environment_never_reaches_the_tests(
    pytester: pytest.Pytester,
    make_project: MakeProject,
    monkeypatch: pytest.MonkeyPatch,
    workers: int,
) -> None:
    monkeypatch.setenv("PYRAMID_SIGNING_KEY", "secret")
    make_project(
        **{
            "tests/unit/test_u.py": """
            import os
            def test_no_secret():
                assert "PYRAMID_SIGNING_KEY" not in os.environ
        """,
        }
    )
    args = ["-n", str(workers)] if workers else []
    pytester.runpytest_subprocess(*args).assert_outcomes(passed=1)


def test_the_plugin_never_signs(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    ready_project(pytester, make_project)
    assert "signature" not in read_verdict()
    assert not (pytester.path / "pyramid-verdict.json.intoto.jsonl").exists()


# -- 5. coverage measures this run ----------------------------------------------------------------

COV_PROJECT = {
    "mypkg/__init__.py": "",
    "mypkg/core.py": "def add(a, b):\n    return a + b\n\n\ndef never():\n    return 1\n",
    "tests/unit/test_core.py": (
        "from mypkg.core import add\ndef test_add(): assert add(1, 2) == 3\n"
    ),
}


@pytest.mark.skipif(sys.platform == "win32", reason="subprocess coverage paths")
def test_cov_append_does_not_count_as_this_runs_coverage(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    pytest.importorskip("pytest_cov")
    make_project('source = ["mypkg"]\n[tool.pyramid.coverage]\ntotal = 50\n', **COV_PROJECT)
    assert pytester.runpytest_subprocess("--cov=mypkg", "--cov-report=").ret == 0
    assert read_verdict()["decision"] == "ready"
    pytester.runpytest_subprocess("--cov=mypkg", "--cov-report=", "--cov-append")
    data = read_verdict()
    gate = next(g for g in data["gates"] if g["id"] == "coverage.total")
    assert gate["status"] == "not_evaluated"
    assert "--cov-append" in gate["message"]
    assert data["decision"] == "blocked"


def test_coverage_data_left_by_an_earlier_run_is_not_combined(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    pytest.importorskip("pytest_cov")
    make_project(
        'source = ["mypkg"]\n[tool.pyramid.coverage]\ntotal = 90\n',
        **{**COV_PROJECT, "tests/unit/test_core.py": "def test_nothing(): pass\n"},
    )
    # an earlier run's parallel data file that covers every line of mypkg
    script = (
        "import coverage, mypkg.core as c\n"
        "cov = coverage.Coverage(data_suffix='stale.1', source=['mypkg'])\n"
        "cov.start()\nimport importlib; importlib.reload(c); c.add(1, 2); c.never()\n"
        "cov.stop(); cov.save()\n"
    )
    subprocess.run(
        [sys.executable, "-c", script],
        cwd=pytester.path,
        check=True,
        env={**os.environ, "PYTHONPATH": str(pytester.path)},
    )
    assert list(pytester.path.glob(".coverage.stale.1"))
    pytester.runpytest_subprocess("--cov=mypkg", "--cov-report=")
    data = read_verdict()
    gate = next(g for g in data["gates"] if g["id"] == "coverage.total")
    assert gate["status"] == "fail", gate  # the stale data would have made it 100 %
    assert not list(pytester.path.glob(".coverage.stale.1"))


# -- 4. metrics come from passing tests only ----------------------------------------------------


def test_discarded_metric_samples_are_named_by_explain(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(**{
        **FILES,
        "tests/unit/test_m.py": """
            import pytest
            def test_ok(pyramid_metric):
                pyramid_metric("api.ms", 1.0)
            def test_skipped(pyramid_metric):
                pyramid_metric("api.ms", 9999.0)
                pytest.skip("no server")
        """,
    })
    result = pytester.runpytest("--pyramid-explain")
    result.stdout.fnmatch_lines([
        "*1 metric sample(s) discarded: recorded by tests that did not pass*",
        "*api.ms from tests/unit/test_m.py::test_skipped (skipped)*",
    ])
    data = read_verdict()
    assert [s["value"] for s in data["metrics"]["api.ms"]["samples"]] == [1.0]
    assert data["run"]["metrics_discarded"] == 1


@pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])
def test_a_threshold_whose_samples_were_all_discarded_says_why(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int,
) -> None:
    make_project('[tool.pyramid.thresholds]\n"api.ms" = "< 100"\n', **{
        **FILES,
        "tests/unit/test_m.py": """
            import pytest
            @pytest.mark.parametrize("n", [1, 2, 3])
            def test_fails(pyramid_metric, n):
                pyramid_metric("api.ms", 5.0)
                assert False
        """,
    })
    pytester.runpytest(*(["-n", str(workers)] if workers else []))
    (gate,) = [g for g in read_verdict()["gates"] if g["id"] == "metric.api.ms"]
    assert gate["status"] == "not_evaluated"  # and so blocking (on_missing fail), as before
    assert "3 samples discarded: recorded by tests that did not pass" in gate["message"]
    assert "never recorded" not in gate["message"]


# -- 7. what the tree digest cannot name -------------------------------------------------------


def test_a_gitignored_pytest_ini_that_replaces_the_config_is_seen(
    pytester: pytest.Pytester, committed: Path, read_verdict: ReadVerdict
) -> None:
    (committed / ".gitignore").write_text(".pytest.ini\n")
    git(committed, "add", "-A")
    git(committed, "commit", "-qm", "ignore")
    (committed / ".pytest.ini").write_text("[pytest]\npython_files = test_u.py\n")
    pytester.runpytest()
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert any("files that git ignores shaped the run" in r and ".pytest.ini" in r
               for r in data["reasons"]), data["reasons"]


def test_a_gitignored_pyramid_toml_that_sets_the_gates_is_seen(
    pytester: pytest.Pytester, committed: Path, read_verdict: ReadVerdict
) -> None:
    # a setup.cfg-style project: pytest's settings elsewhere, [tool.pyramid] in pyramid.toml,
    # which a clone of the commit would not have
    pyproject = committed / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().split("[tool.pyramid]")[0])
    (committed / ".gitignore").write_text("pyramid.toml\n")
    git(committed, "add", "-A")
    git(committed, "commit", "-qm", "config kept out of the tree")
    (committed / "pyramid.toml").write_text('verdict = "pyramid-verdict.json"\n')
    pytester.runpytest()
    data = read_verdict()
    assert data["config"]["file"].endswith("pyramid.toml")
    assert data["decision"] == "incomplete"
    assert any("files that git ignores shaped the run" in r and "pyramid.toml" in r
               for r in data["reasons"]), data["reasons"]


@pytest.mark.parametrize("route", ["serial", "n2", "shards"])
def test_a_symlink_out_of_the_repository_is_not_named_code(
    pytester: pytest.Pytester, committed: Path, read_verdict: ReadVerdict, tmp_path_factory: Any,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], route: str,
) -> None:
    """The same check on every route: the writer's, a shard's and the merge's (one
    function, verdict/assemble.py)."""
    outside = tmp_path_factory.mktemp("outside") / "helper.py"
    outside.write_text("VALUE = 1\n")
    (committed / "helper.py").symlink_to(outside)
    git(committed, "add", "-A")
    git(committed, "commit", "-qm", "link")
    if route == "shards":
        monkeypatch.setenv("PYRAMID_RUN_ID", "ci-1")
        for index in (1, 2):
            pytester.runpytest(f"--pyramid-shard={index}/2")
        monkeypatch.chdir(committed)
        assert pyramid(["merge", "."]) == 1, capsys.readouterr()
    else:
        pytester.runpytest(*(["-n", "2"] if route == "n2" else []))
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert any("helper.py is a symlink to" in r for r in data["reasons"]), data["reasons"]


def test_uncommitted_changes_inside_a_submodule_are_not_clean(
    pytester: pytest.Pytester, committed: Path, read_verdict: ReadVerdict, tmp_path_factory: Any
) -> None:
    lib = tmp_path_factory.mktemp("lib")
    git(lib, "init", "-q")
    (lib / "vlib.py").write_text("def add(a, b):\n    return a - b\n")
    git(lib, "add", "-A")
    git(lib, "commit", "-qm", "lib")
    git(committed, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib),
        "vendor/lib")
    git(committed, "commit", "-qm", "submodule")
    (committed / "vendor/lib/vlib.py").write_text("def add(a, b):\n    return a + b\n")
    pytester.runpytest()
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert any("submodule vendor/lib has changes not in its commit" in r
               for r in data["reasons"]), data["reasons"]


def test_bytecode_not_checked_against_its_source_is_not_the_tree(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    import py_compile

    make_project('source = ["mypkg"]\n', **{
        **FILES,
        "mypkg/__init__.py": "",
        "mypkg/core.py": "def add(a, b):\n    return a - b\n",
        "tests/unit/test_u.py": "from mypkg.core import add\ndef test_a(): assert add(1, 2) == 3\n",
    })
    fixed = pytester.path / "fixed.py"
    fixed.write_text("def add(a, b):\n    return a + b\n")
    cache = pytester.path / "mypkg" / "__pycache__"
    cache.mkdir()
    tag = sys.implementation.cache_tag
    py_compile.compile(str(fixed), cfile=str(cache / f"core.{tag}.pyc"),
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    pytester.runpytest_subprocess("-p", "no:cacheprovider")
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert any("mypkg.core ran from bytecode Python does not check" in r
               for r in data["reasons"]), data["reasons"]
