"""Issue 19 section 3, one finishing route through ``pyramid merge``: a shard's partial
carries raw facts (its recorded invocation, the files its processes read with their blob
ids), and the merge judges them again with the writer's own checks
(``verdict/assemble.py``). A shard's setting from outside the project, or code outside the
tree, makes the merged verdict incomplete even when the partial was edited to say "no
findings"; a partial without the raw facts is incomplete, never a pass; the merge records
``run.invocation`` (its own and each shard's) and judges its own environment too.

The shards run as subprocesses (the closed world must see a fresh interpreter's imports),
serially and under ``-n 2``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.cli import main as pyramid
from tests.git_repo import git

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import MakeProject, ReadVerdict

MODES = [pytest.param((), id="serial"), pytest.param(("-n", "2"), id="xdist")]

FILES = {
    "tests/unit/test_u.py": "def test_a(): pass\ndef test_b(): pass\n",
    "tests/unit/test_v.py": "def test_c(): pass\ndef test_d(): pass\n",
    ".gitignore": "pyramid-verdict*\n.coverage*\n__pycache__/\n/stdout\n/stderr\n"
                  "/runpytest-current\npyramid-partial-*\n.pyramid-durations*\n"
                  "local_settings.py\n",
}

#: a test module that imports a module git ignores, when the variable asks it to
IMPORTS_IGNORED = """
import os
if os.environ.get("PYRAMID_TEST_LOCAL"):
    import local_settings  # noqa: F401
def test_c(): pass
def test_d(): pass
"""


@pytest.fixture
def project(pytester: pytest.Pytester, make_project: MakeProject,
            monkeypatch: pytest.MonkeyPatch) -> Path:
    make_project(**{**FILES, "tests/unit/test_v.py": IMPORTS_IGNORED})
    git(pytester.path, "init", "-q")
    git(pytester.path, "add", "-A")
    git(pytester.path, "commit", "-qm", "project")
    monkeypatch.chdir(pytester.path)
    monkeypatch.setenv("PYRAMID_RUN_ID", "merge-facts")
    for name in ("PYTEST_BASE_URL", "PYRAMID_TEST_LOCAL"):
        monkeypatch.delenv(name, raising=False)
    return pytester.path


def shards(pytester: pytest.Pytester, mode: tuple[str, ...],
           env_of: dict[int, dict[str, str]] | None = None) -> None:
    """Both shards of two, each with its own extra environment (``env_of[index]``). The
    ignored module lies in the test folder only for a run that imports it: lying there, it
    is named whether imported or not (run/workspace.py)."""
    if any("PYRAMID_TEST_LOCAL" in env for env in (env_of or {}).values()):
        (pytester.path / "tests/unit/local_settings.py").write_text("DEBUG = True\n")
    for index in (1, 2):
        with pytest.MonkeyPatch.context() as patch:
            for name, value in (env_of or {}).get(index, {}).items():
                patch.setenv(name, value)
            pytester.runpytest_subprocess("-p", "no:randomly", *mode,
                                          f"--pyramid-shard={index}/2")


def edit(root: Path, index: int, change: Any) -> None:
    path = root / f"pyramid-partial-{index}-of-2.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def merge(capsys: pytest.CaptureFixture[str], read_verdict: ReadVerdict) -> dict[str, Any]:
    capsys.readouterr()
    pyramid(["merge", "."])
    assert "Traceback" not in capsys.readouterr().err
    return read_verdict()


def messages(verdict: dict[str, Any], kind: str) -> list[str]:
    return [p["message"] for p in verdict["completeness"] if p["kind"] == kind]


def say_nothing(data: dict[str, Any]) -> None:
    """A forged partial: no findings, nothing filtered, not interrupted."""
    data["completeness"] = []
    data["run"]["filtered"] = []
    data["run"]["interrupted"] = False


#: fault -> (environment of shard 1, problem kind, words the problem names)
FAULTS = {
    "unknown_variable": ({"PYTEST_BASE_URL": "http://elsewhere"}, "narrowed",
                         ("shard 1/2", "PYTEST_BASE_URL")),
    "ignored_module": ({"PYRAMID_TEST_LOCAL": "1"}, "closed_world",
                       ("tests/unit/local_settings.py",)),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_shards_raw_facts_are_judged_again_by_the_merge(
    pytester: pytest.Pytester, project: Path, read_verdict: ReadVerdict,
    capsys: pytest.CaptureFixture[str], mode: tuple[str, ...], fault: str,
) -> None:
    """One pair of shards, merged twice: as written, then with every finding removed from
    both partials (the merge reads only the partials, so the second merge sees the forgery
    alone; the first one's verdict is removed before it)."""
    env, kind, words = FAULTS[fault]
    shards(pytester, mode, {1: env})
    for forged in (False, True):
        if forged:
            (project / "pyramid-verdict.json").unlink()
            edit(project, 1, say_nothing)
            edit(project, 2, say_nothing)
        verdict = merge(capsys, read_verdict)
        assert verdict["decision"] == "incomplete", forged
        named = [m for m in messages(verdict, kind) if all(w in m for w in words)]
        assert named, (forged, verdict["completeness"])


@pytest.mark.parametrize("mode", MODES)
def test_clean_shards_merge_to_ready_with_every_invocation_recorded(
    pytester: pytest.Pytester, project: Path, read_verdict: ReadVerdict,
    capsys: pytest.CaptureFixture[str], mode: tuple[str, ...],
) -> None:
    shards(pytester, mode)
    verdict = merge(capsys, read_verdict)
    assert (verdict["decision"], verdict["completeness"]) == ("ready", [])
    invocation = verdict["run"]["invocation"]
    assert sorted(invocation["shards"]) == ["1/2", "2/2"]
    assert invocation["sources"][0]["source"] == "pyramid merge"
    shard_args = invocation["shards"]["1/2"]["sources"][-1]["args"]
    assert "--pyramid-shard=1/2" in shard_args


def test_a_partial_without_raw_facts_is_incomplete_never_a_pass(
    pytester: pytest.Pytester, project: Path, read_verdict: ReadVerdict,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One pair of shards; shard 2's partial as written is put back before each forgery
    (absent, null, not an object), and the last verdict removed before each merge."""
    shards(pytester, ())
    written = (project / "pyramid-partial-2-of-2.json").read_bytes()
    for value in ("absent", "null", "not-an-object"):
        (project / "pyramid-partial-2-of-2.json").write_bytes(written)
        (project / "pyramid-verdict.json").unlink(missing_ok=True)
        _without_raw_facts(project, read_verdict, capsys, value)


def _without_raw_facts(project: Path, read_verdict: ReadVerdict,
                       capsys: pytest.CaptureFixture[str], value: str) -> None:
    def strip(data: dict[str, Any]) -> None:
        say_nothing(data)
        for key in ("invocation", "closed_world"):
            if value == "absent":
                del data[key]
            else:
                data[key] = None if value == "null" else ["forged"]

    edit(project, 2, strip)
    if value == "not-an-object":  # the schema refuses the partial: no judgement at all
        assert pyramid(["merge", "."]) == 3
        assert read_verdict()["decision"] == "incomplete"
        return
    verdict = merge(capsys, read_verdict)
    assert verdict["decision"] == "incomplete", value
    assert any("shard 2/2" in m and "no invocation was recorded" in m
               for m in messages(verdict, "narrowed")), (value, verdict["completeness"])
    assert any("shard 2/2" in m and "no closed-world facts" in m
               for m in messages(verdict, "closed_world")), (value, verdict["completeness"])


def test_closed_world_facts_that_leave_out_a_test_file_are_not_vouched_for(
    pytester: pytest.Pytester, project: Path, read_verdict: ReadVerdict,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shards(pytester, ())

    def hide(data: dict[str, Any]) -> None:
        say_nothing(data)
        files = data["closed_world"]["files"]
        for name in [n for n in files if n.startswith("tests/unit/test_")]:
            del files[name]

    edit(project, 1, hide)
    verdict = merge(capsys, read_verdict)
    assert verdict["decision"] == "incomplete"
    assert any("do not list the files its tests were collected from" in m
               for m in messages(verdict, "closed_world")), verdict["completeness"]


def test_the_merges_own_environment_and_diff_base_are_judged(
    pytester: pytest.Pytester, project: Path, read_verdict: ReadVerdict,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One pair of clean shards merged three times, each merge with one setting of its own
    (the partials are only read; the last verdict is removed before each merge)."""
    shards(pytester, ())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTEST_BASE_URL", "http://elsewhere")
        verdict = merge(capsys, read_verdict)
    assert verdict["decision"] == "incomplete"
    assert any(m.startswith("pyramid merge: environment variable PYTEST_BASE_URL")
               for m in messages(verdict, "narrowed")), verdict["completeness"]
    assert verdict["run"]["invocation"]["environment"]["PYTEST_BASE_URL"] == "http://elsewhere"
    # ``pyramid merge --diff-base HEAD`` left no changed line to judge (hostile case 75): the
    # merge's base is the run's ``--pyramid-diff-base``, judged as that option
    for merge_args in (["--diff-base", "HEAD"], ["--diff-base=HEAD"]):
        (project / "pyramid-verdict.json").unlink()
        capsys.readouterr()
        pyramid(["merge", ".", *merge_args])
        assert "Traceback" not in capsys.readouterr().err
        verdict = read_verdict()
        assert verdict["decision"] == "incomplete", merge_args
        assert any(m.startswith("pyramid merge: --diff-base (from pyramid merge) changes how "
                                "the run is judged") for m in messages(verdict, "narrowed")), (
            merge_args, verdict["completeness"])


#: a conftest gate whose pytest_configure cannot run where the merge runs
BREAKS_IN_MERGE = """
import os
from pytest_pyramid.gates import GateResult
def pytest_configure(config):
    if os.environ.get("PYRAMID_TEST_BREAK"):
        raise RuntimeError("no database here")
def pytest_pyramid_gates(config, run):
    return [GateResult("project.db", "block", "pass", 1, 1)]
"""


def test_a_provider_that_cannot_be_configured_in_the_merge_is_refused_and_named(
    pytester: pytest.Pytester, project: Path, read_verdict: ReadVerdict,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    (project / "tests/unit/conftest.py").write_text(BREAKS_IN_MERGE)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "a gate")
    shards(pytester, ())
    monkeypatch.setenv("PYRAMID_TEST_BREAK", "1")
    verdict = merge(capsys, read_verdict)
    assert verdict["decision"] == "incomplete"
    assert "project.db" not in {gate["id"] for gate in verdict["gates"]}
    assert any("pytest_configure of tests/unit/conftest.py raised RuntimeError" in m
               for m in messages(verdict, "plugin_error")), verdict["completeness"]


@pytest.mark.parametrize(("addopts", "args", "decision"), [
    ("", ("-o", "pyramid_diff_base=HEAD"), "incomplete"),
    ("--pyramid-diff-base=HEAD", (), "ready"),
], ids=["shards-own-base", "tracked-base"])
def test_the_merge_takes_its_diff_base_from_the_tracked_configuration(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    addopts: str, args: tuple[str, ...], decision: str,
) -> None:
    """Hostile round 2, case 91: the merge judged changed lines against the first partial's
    base. Its base is the project's tracked configuration's (or its own --diff-base); a
    shard's other base is named, not taken."""
    make_project(addopts=addopts, **FILES)
    git(pytester.path, "init", "-q")
    git(pytester.path, "add", "-A")
    git(pytester.path, "commit", "-qm", "project")
    monkeypatch.chdir(pytester.path)
    monkeypatch.setenv("PYRAMID_RUN_ID", "merge-base")
    for index in (1, 2):
        pytester.runpytest_subprocess("-p", "no:randomly", *args, f"--pyramid-shard={index}/2")
    verdict = merge(capsys, read_verdict)
    assert verdict["decision"] == decision, verdict["reasons"]
    said = messages(verdict, "narrowed")
    named = [m for m in said if m.startswith("shard 1/2, 2/2 judged changed lines against "
                                             "diff base 'HEAD', the merge against the "
                                             "configured base")]
    assert bool(named) == (decision != "ready"), said


def test_a_shards_narrowing_is_a_raw_fact_the_merge_judges_again(
    project: Path, pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str],
    read_verdict: ReadVerdict,
) -> None:
    """``--confcutdir`` (like ``-c`` and ``--lf``) travels as a raw fact in the shard's
    recorded invocation (``narrowing``), so a partial edited to say nothing still carries it
    and the merge names it with the writer's function (``invocation.narrowing_fact_reasons``)."""
    for index, extra in ((1, ["--confcutdir=tests"]), (2, [])):
        pytester.runpytest_subprocess("-p", "no:randomly", f"--pyramid-shard={index}/2", *extra)
    edit(project, 1, say_nothing)
    verdict = merge(capsys, read_verdict)
    assert verdict["decision"] == "incomplete"
    assert any("--confcutdir tests: conftest files above it were not loaded" in m
               for m in messages(verdict, "narrowed")), verdict["completeness"]


#: a test module that loads the project's package ``mypkg`` from a copy outside its folder
LOADS_A_COPY = """
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "elsewhere"))
import mypkg
def test_a(): assert mypkg.VALUE == 2
def test_b(): pass
"""


def test_a_shards_loaded_modules_are_raw_facts_the_merge_judges_again(
    pytester: pytest.Pytester, project: Path, read_verdict: ReadVerdict,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The project's package loaded from a copy elsewhere (issue 19 section 2's foreign
    code) travels as raw facts (``closed_world.loaded``): partials edited to say nothing
    still merge to ``incomplete``, named by the writer's own function
    (``run/loaded.py: foreign_problems``), and a partial without them is not vouched for.
    Serial shards only: the xdist workers' union of the same facts is
    tests/integration/run/test_default_source.py's ``n2`` rows (CI time)."""
    (project / "mypkg").mkdir()
    (project / "mypkg/__init__.py").write_text("VALUE = 1\n")
    (project / "elsewhere/mypkg").mkdir(parents=True)
    (project / "elsewhere/mypkg/__init__.py").write_text("VALUE = 2\n")
    (project / "tests/unit/test_u.py").write_text(LOADS_A_COPY)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "a copy of the package elsewhere")
    shards(pytester, ())
    edit(project, 1, say_nothing)

    def drop_facts(data: dict[str, Any]) -> None:
        say_nothing(data)
        del data["closed_world"]["loaded"]

    edit(project, 2, drop_facts)
    verdict = merge(capsys, read_verdict)
    assert verdict["decision"] == "incomplete"
    said = messages(verdict, "foreign_code")
    assert any(m.startswith("shard 1/2: the code under test is not the tree's: mypkg was "
                            "imported from elsewhere/mypkg/__init__.py") for m in said), said
    assert any(m.startswith("shard 2/2: no facts on the modules the run loaded") for m in said)
