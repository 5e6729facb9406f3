"""Issue 19 sections 2 and 5, end to end: the run executed only the code of the tree its
verdict names (every file imported from the repository or collected from, hashed as it was
read), and its coverage figures come only from data its own processes wrote. Each row runs
serial and under ``-n 2``."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

# git and commit are re-exported: rows written elsewhere import them from here
from tests.git_repo import commit as commit
from tests.git_repo import git as git

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import ReadVerdict

MODES = [pytest.param((), id="serial"), pytest.param(("-n", "2"), id="xdist")]
#: the rows whose -n 2 proof is a folded run (test_..._folded_xdist below): serial only here
SERIAL = [pytest.param((), id="serial")]

BASE = {
    "tests/unit/test_u.py": "def test_a(): pass\n",
    # pytester's own files of a subprocess run (stdout, stderr, its basetemp) are not code
    ".gitignore": "pyramid-verdict*\n.coverage*\n__pycache__/\n/stdout\n/stderr\n"
                  "/runpytest-current\n",
}


def closed_world(verdict: dict[str, Any]) -> list[str]:
    return [p["message"] for p in verdict["completeness"] if p["kind"] == "closed_world"]


def run(pytester: pytest.Pytester, mode: tuple[str, ...], *args: str) -> None:
    # a subprocess: the finder the plugin installs must see the imports of a fresh
    # interpreter, as a real run does (in-process, pytester's own modules are cached)
    pytester.runpytest_subprocess("-p", "no:randomly", *mode, *args)


IMPORTS_HELPER = {
    "tests/unit/test_uses.py": """
        import helper
        def test_uses(): assert helper.VALUE == 1
    """,
}


@pytest.mark.parametrize("mode", SERIAL)
def test_tracked_code_as_committed_is_ready(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    project({**IMPORTS_HELPER, "tests/unit/helper.py": "VALUE = 1\n",
             "tests/unit/conftest.py": "X = 1\n"})
    run(pytester, mode)
    verdict = read_verdict()
    assert (verdict["decision"], verdict["dirty"], closed_world(verdict)) == ("ready", False, [])


@pytest.mark.parametrize("mode", SERIAL)
def test_an_ignored_module_a_test_imports_is_incomplete(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    # local settings beside a tracked module, kept out of git
    project({**IMPORTS_HELPER, "tests/unit/helper.py": "from local_settings import VALUE\n",
             ".gitignore": BASE[".gitignore"] + "local_settings.py\n"},
            later={"tests/unit/local_settings.py": "VALUE = 1\n"})
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["decision"] == "incomplete"
    assert any("not in the tree" in m and "tests/unit/local_settings.py" in m
               for m in closed_world(verdict)), verdict["completeness"]


@pytest.mark.parametrize("mode", SERIAL)
def test_a_module_created_during_the_run_and_imported_is_incomplete(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    project({"tests/unit/test_new.py": """
        import importlib, sys
        from pathlib import Path
        def test_new():
            Path(__file__).with_name("fresh.py").write_text("VALUE = 1\\n")
            importlib.invalidate_caches()
            import fresh
            assert fresh.VALUE == 1
    """})
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["decision"] == "incomplete"
    assert any("tests/unit/fresh.py" in m for m in closed_world(verdict))


@pytest.mark.parametrize("mode", MODES)
def test_an_untracked_module_present_at_start_makes_the_run_dirty_not_unnamed(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    """Untracked and not ignored: it is in the working tree the digest names (``dirty``), so
    the verdict names the code that ran; ``pyramid check`` refuses a dirty verdict."""
    project(IMPORTS_HELPER, later={"tests/unit/helper.py": "VALUE = 1\n"})
    run(pytester, mode)
    verdict = read_verdict()
    assert (verdict["dirty"], closed_world(verdict)) == (True, [])


@pytest.mark.parametrize("mode", SERIAL)
def test_an_ignored_conftest_is_incomplete(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    project({".gitignore": BASE[".gitignore"] + "tests/unit/conftest.py\n"},
            later={"tests/unit/conftest.py": "import pytest\n"})
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["decision"] == "incomplete"
    assert any("tests/unit/conftest.py" in m for m in closed_world(verdict))


@pytest.mark.parametrize("mode", MODES)
def test_a_module_changed_before_import_and_restored_before_the_end_is_incomplete(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    """Both digests (start and end) see the committed file: only its hash at import tells."""
    project({"tests/unit/lazy.py": "VALUE = 1\n", "tests/unit/test_swap.py": """
        from pathlib import Path
        def test_swap():
            path = Path(__file__).with_name("lazy.py")
            committed = path.read_bytes()
            path.write_text("VALUE = 2\\n")
            try:
                import lazy
                assert lazy.VALUE == 2
            finally:
                path.write_bytes(committed)
    """})
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["decision"] == "incomplete"
    assert any("differed" in m and "tests/unit/lazy.py" in m for m in closed_world(verdict))
    assert not any(p["kind"] == "tree_changed" for p in verdict["completeness"])


@pytest.mark.parametrize("mode", SERIAL)
def test_a_sourceless_pyc_is_incomplete_even_when_tracked(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    _sourceless_pyc(pytester.path)
    project({"tests/unit/test_c.py": """
        import compiled
        def test_c(): assert compiled.VALUE == 1
    """})
    assert git(pytester.path, "ls-files", "tests/unit/compiled.pyc")  # tracked
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["decision"] == "incomplete"
    assert any("tests/unit/compiled.pyc (bytecode without its source)" in m
               for m in closed_world(verdict))


@pytest.mark.parametrize("mode", SERIAL)
def test_an_ignored_doctest_text_file_is_incomplete(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    project({".gitignore": BASE[".gitignore"] + "*.txt\n"},
            later={"tests/unit/test_doc.txt": ">>> 1 + 1\n2\n"},
            ini='doctest_glob = ["test_*.txt"]\n')
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["tiers"]["unit"]["passed"] == 2  # the text file was collected and ran
    assert verdict["decision"] == "incomplete"
    assert any("tests/unit/test_doc.txt" in m for m in closed_world(verdict))


@pytest.mark.parametrize("mode", MODES)
def test_a_report_written_over_the_configuration_does_not_launder_it(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    """An uncommitted edit of pyproject.toml that the run read, then overwritten by a
    report: the digest must not name the committed file instead."""
    root = project({})
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\nexclude = []\n")  # the uncommitted edit
    run(pytester, mode, "--pyramid-report=html=pyproject.toml")
    verdict = read_verdict()
    assert verdict["decision"] == "incomplete"
    assert "pyproject.toml" not in verdict["tree"]["excluded"]
    assert any(p["kind"] == "output_over_source" and "pyproject.toml" in p["message"]
               for p in verdict["completeness"])


COVERED = {
    "mypkg/__init__.py": "def f():\n    return 1\n",
    "tests/unit/test_f.py": """
        import mypkg
        def test_f(): assert mypkg.f() == 1
    """,
    "tests/unit/test_drop.py": """
        import os
        def test_drop():
            if os.environ.get("PYRAMID_TEST_DROP"):  # data of some other process
                with open(".coverage.elsewhere.pid4242.Xabcdefx", "wb"):
                    pass
    """,
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("drop", [False, True], ids=["own-data", "foreign-data-dropped"])
def test_coverage_data_no_process_of_the_run_wrote_is_not_evaluated(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...], drop: bool, monkeypatch: pytest.MonkeyPatch,
) -> None:
    project(COVERED, config="[tool.pyramid.coverage]\ntotal = 50\n")
    if drop:
        monkeypatch.setenv("PYRAMID_TEST_DROP", "1")
    run(pytester, mode, "--cov=mypkg", "--cov-report=")
    verdict = read_verdict()
    gate = next(g for g in verdict["gates"] if g["id"] == "coverage.total")
    if drop:
        assert gate["status"] == "not_evaluated"
        assert ".coverage.elsewhere.pid4242.Xabcdefx" in gate["message"]
        assert verdict["decision"] != "ready"
    else:
        assert (gate["status"], verdict["decision"]) == ("pass", "ready"), json.dumps(gate)



def shards_and_merge(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, root: Path,
                     mode: tuple[str, ...]) -> None:
    """Run the project as two CI shards of one run, then ``pyramid merge`` them."""
    from pytest_pyramid.cli import main

    monkeypatch.setenv("PYRAMID_RUN_ID", "closed-world-1")
    for index in (1, 2):
        run(pytester, mode, f"--pyramid-shard={index}/2")
    monkeypatch.chdir(root)
    main(["merge", "pyramid-partial-1-of-2.json", "pyramid-partial-2-of-2.json"])


SWAP = {"tests/unit/lazy.py": "VALUE = 1\n", "tests/unit/test_swap.py": """
    import os
    from pathlib import Path
    def test_swap():
        if not os.environ.get("PYRAMID_TEST_SWAP"):
            return
        path = Path(__file__).with_name("lazy.py")
        committed = path.read_bytes()
        path.write_text("VALUE = 2\\n")
        try:
            import lazy
            assert lazy.VALUE == 2
        finally:
            path.write_bytes(committed)
"""}


@pytest.mark.parametrize("mode", MODES)
def test_shards_carry_the_closed_world_into_the_merge(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, mode: tuple[str, ...],
) -> None:
    """As committed, the merge of the shards is ready; a module changed before its import
    is named (``test_shards_carry_files_read_into_the_merge``, one run with a file read)."""
    root = project({**SWAP, ".gitignore": BASE[".gitignore"] + "pyramid-partial-*\n"})
    shards_and_merge(pytester, monkeypatch, root, mode)
    verdict = read_verdict()
    assert (verdict["decision"], closed_world(verdict)) == ("ready", [])


#: the second xdist worker reads helper.py with other bytes than the first (after the first
#: has imported it, then puts the committed bytes back): the same file, read two ways
READ_TWO_WAYS = {
    "helper.py": "VALUE = 1\n",
    "tests/unit/conftest.py": """
        import os, pathlib, time
        root = pathlib.Path(__file__).parents[2]
        marker, helper = root / "first-has-read", root / "helper.py"
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        if worker == "gw1":
            deadline = time.monotonic() + 120
            while not marker.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            committed = helper.read_bytes()
            helper.write_text("VALUE = 2\\n")
            try:
                import helper as _helper
            finally:
                helper.write_bytes(committed)
        else:
            import helper as _helper
            marker.touch()
    """,
}


@pytest.mark.parametrize("mode", MODES)
def test_a_file_two_processes_read_with_different_bytes_is_a_finding(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, mode: tuple[str, ...],
) -> None:
    # this suite's own xdist worker id must not reach the inner run's processes
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    project({**READ_TWO_WAYS,
             ".gitignore": BASE[".gitignore"] + "first-has-read\n"})
    run(pytester, mode, "-p", "no:cacheprovider")
    verdict = read_verdict()
    found = closed_world(verdict)
    if not mode:  # one process read it once, as committed
        assert (verdict["decision"], found) == ("ready", [])
        return
    assert verdict["decision"] == "incomplete"
    assert any("helper.py" in m and "different contents by two processes" in m
               for m in found), found


#: files a test reads or runs rather than imports (hostile round 2, cases 85 and 101): each
#: row is (files committed, files written after the commit, what the verdict says)
READ_DATA = """
    import json
    from pathlib import Path
    def test_data():
        data = Path(__file__).parents[1] / "data" / "expected.json"
        assert json.loads(data.read_text()) == {"result": 5}
"""
RUN_SCRIPT = """
    import subprocess, sys
    from pathlib import Path
    def test_script():
        root = Path(__file__).resolve().parents[2]
        out = subprocess.run([sys.executable, "scripts/local_check.py"], cwd=root,
                             capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "ok"
"""
WRITE_THEN_READ = """
    from pathlib import Path
    def test_output():
        out = Path(__file__).parents[1] / "data" / "expected.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text('{"result": 5}')
        assert out.read_text() == '{"result": 5}'
"""
READ_IN_A_FORKED_CHILD = """
    import json, multiprocessing
    from pathlib import Path
    DATA = Path(__file__).parents[1] / "data" / "expected.json"
    def load(_):
        return json.loads(DATA.read_text())
    def test_pool():
        with multiprocessing.get_context("fork").Pool(1) as pool:
            assert pool.map(load, [0]) == [{"result": 5}]
"""
IGNORED = BASE[".gitignore"] + "tests/data/\nscripts/local_*\n"
INPUTS = {
    "ignored-data-read": (
        {"tests/unit/test_data.py": READ_DATA, ".gitignore": IGNORED},
        {"tests/data/expected.json": '{"result": 5}'}, "tests/data/expected.json"),
    "ignored-script-run": (
        {"tests/unit/test_script.py": RUN_SCRIPT, ".gitignore": IGNORED},
        {"scripts/local_check.py": "print('ok')\n"}, "scripts/local_check.py"),
    "ignored-data-read-in-a-forked-child": (
        {"tests/unit/test_pool.py": READ_IN_A_FORKED_CHILD, ".gitignore": IGNORED},
        {"tests/data/expected.json": '{"result": 5}'}, "tests/data/expected.json"),
    "tracked-data-read": (
        {"tests/unit/test_data.py": READ_DATA, "tests/data/expected.json": '{"result": 5}'},
        {}, None),
    "tracked-script-run": (
        {"tests/unit/test_script.py": RUN_SCRIPT, "scripts/local_check.py": "print('ok')\n"},
        {}, None),
    "written-by-the-run-then-read": (
        {"tests/unit/test_output.py": WRITE_THEN_READ, ".gitignore": IGNORED}, {}, None),
}


#: the cases whose -n 2 proof is a folded run; the others' file would be another's here (the
#: forked child reads the data file the first case reads; the run writes the file the tracked
#: case reads)
INPUTS_FOLDED = ("ignored-data-read", "ignored-script-run", "tracked-data-read",
                 "tracked-script-run")


@pytest.mark.parametrize(("case", "mode"), [
    pytest.param(case, mode.values[0], id=f"{case}-{mode.id}")
    for case in INPUTS for mode in MODES if not mode.values[0] or case not in INPUTS_FOLDED
])
def test_files_the_tests_read_or_run_must_be_the_trees(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...], case: str,
) -> None:
    files, later, named = INPUTS[case]
    project(files, later=later)
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["tiers"]["unit"]["passed"] == 2, verdict["tiers"]["unit"]
    if named is None:
        assert (verdict["decision"], closed_world(verdict)) == ("ready", [])
        return
    assert verdict["decision"] == "incomplete"
    assert any("not in the tree" in m and named in m for m in closed_world(verdict)), (
        verdict["completeness"])


@pytest.mark.parametrize("mode", MODES)
def test_shards_carry_files_read_into_the_merge(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, mode: tuple[str, ...],
) -> None:
    """Whichever shard ran the test that read the ignored file, the merge names it; and
    whichever ran the test that changed a module before importing it (``SWAP``), the merge
    names that module. One pair of shards holds both (CI time): each is its own file, its own
    test and its own finding, neither can give the other's."""
    files, later, named = INPUTS["ignored-data-read"]
    root = project({**files, **SWAP, ".gitignore": IGNORED + "pyramid-partial-*\n"},
                   later=later)
    monkeypatch.setenv("PYRAMID_TEST_SWAP", "1")
    shards_and_merge(pytester, monkeypatch, root, mode)
    verdict = read_verdict()
    assert verdict["decision"] == "incomplete"
    assert any(str(named) in m for m in closed_world(verdict)), verdict["completeness"]
    assert any("differed" in m and "tests/unit/lazy.py" in m for m in closed_world(verdict)), (
        verdict["completeness"])


LOOKS_AT_IGNORED = """
    from pathlib import Path
    import pytest
    def test_known_broken_locally():
        data = Path(__file__).parents[1] / "data"
        if (data / ".skip-broken").exists():  # no read: os.stat raises no audit event
            pytest.skip("known broken locally")
        assert False, "a real bug"
    def test_writes_its_own_output():
        out = Path(__file__).parents[1] / "output" / "log.txt"
        out.parent.mkdir(exist_ok=True)
        out.write_text("the run's own output, not an input")
"""


# the workspace rule's ways round (stop 32's review): a test that touches an ignored file it
# looked at (both its times move past the cut: "the run's own output"), deletes it ("gone"), or
# patches ``Popen.communicate`` to answer for the listing (here while collecting, as a test
# module's import does; a test's own patch comes later still)
EVADES_THE_LISTING = """
    import os
    import subprocess
    from pathlib import Path
    import pytest

    LOCAL = Path(__file__).parents[1] / "local"
    _real = subprocess.Popen.communicate
    def _quiet(self, *args, **kwargs):
        if "ls-files" in self.args and "--ignored" in self.args:
            self.wait()
            return b"", None
        return _real(self, *args, **kwargs)
    subprocess.Popen.communicate = _quiet

    def test_touches_what_it_looked_at():
        if (LOCAL / ".skip-touched").exists():  # looked at, then made to look like output
            os.utime(LOCAL / ".skip-touched")
            pytest.skip("known broken locally")
        assert False, "a real bug"
    def test_deletes_what_it_looked_at():
        if (LOCAL / ".skip-deleted").exists():
            (LOCAL / ".skip-deleted").unlink()
            pytest.skip("known broken locally")
        assert False, "a real bug"
"""


@pytest.mark.parametrize("mode", MODES)
def test_an_ignored_file_lying_in_the_test_folders_is_named(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    """Hostile case 205: an answer taken from an ignored file's presence (or listing, link,
    size) is not seen as a read; the file lying in the test folders is named instead, while
    what the run itself writes there is not. The listing and the files' times are read when
    collection ends, through functions bound at import, so a test that touches or deletes
    what it looked at, or a patched ``Popen.communicate``, changes nothing."""
    project({"tests/unit/test_look.py": LOOKS_AT_IGNORED,
             "tests/unit/test_evade.py": EVADES_THE_LISTING,
             "tests/local/cases.txt": "tracked: the folder is listed file by file\n",
             ".gitignore": BASE[".gitignore"] + "tests/data/\ntests/output/\n"
                                                "tests/local/.skip-*\n"},
            # hostile 250, 251, 262: a cache tag, a pyvenv.cfg or a __pycache__ folder
            # anyone can write does not make an entry the run's own state
            later={"tests/data/.skip-broken": "", "tests/local/.skip-touched": "",
                   "tests/local/.skip-deleted": "", "tests/data/pyvenv.cfg": "",
                   "tests/data/CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55",
                   "tests/unit/__pycache__/skip-broken": ""})
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["tiers"]["unit"]["skipped"] == 3, verdict["tiers"]["unit"]
    assert not (pytester.path / "tests/local/.skip-deleted").exists()  # the attack ran
    assert verdict["decision"] == "incomplete"
    named = [m for m in closed_world(verdict) if "git-ignored, lying in the test folders" in m]
    assert len(named) == 1, verdict["completeness"]
    for name in ("tests/data (", "tests/local/.skip-touched (", "tests/local/.skip-deleted (",
                 "tests/unit/__pycache__/skip-broken ("):
        assert name in named[0], named
    # the run's own output, and its bytecode (tests/unit/__pycache__/*.pyc, written while
    # collecting, before the listing): not named
    assert "tests/output" not in named[0], named
    assert ".pyc" not in named[0], named


#: the code under test writes into a folder it expects to exist (a clean clone has none)
DELIVERS = """
    from pathlib import Path
    def test_deliver(tmp_path):
        top = Path(__file__).resolve().parents[2]
        (top / "{folder}" / "m.txt").write_text("hi")
        (top / "{folder}" / "m.txt").unlink()
"""


@pytest.mark.parametrize("mode", SERIAL)
@pytest.mark.parametrize(("folder", "named"), [
    ("outbox", "outbox"),
    ("tests/fixtures/outbox", "tests/fixtures"),  # a folder of empty folders: one entry
], ids=["at-the-top", "in-the-test-folders"])
def test_an_empty_folder_anywhere_in_the_checkout_is_named(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...], folder: str, named: str,
) -> None:
    """Hostile case 313: git tracks files, so no listing and no tree names an empty folder,
    and a test can depend on it, at the top of the checkout (c) as in the test folders (b)."""
    project({"tests/unit/test_deliver.py": DELIVERS.format(folder=folder)})
    (pytester.path / folder).mkdir(parents=True)
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["decision"] == "incomplete"
    assert any(f"{named} (" in message for message in closed_world(verdict)), \
        verdict["completeness"]


@pytest.mark.parametrize("mode", MODES)
def test_an_earlier_runs_basetemp_beside_the_runs_own_is_not_named(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    """pytester hands each run of a project a numbered ``--basetemp`` inside it
    (``runpytest-0``, then ``runpytest-1``), made before the run: the second run finds the
    first's, empty when no test asked for a ``tmp_path``. Pytest's own, left out by what it
    is: numbered beside the run's own ``--basetemp``, holding nothing (the shard tests'
    second shard)."""
    project({})
    run(pytester, mode)
    assert read_verdict()["decision"] == "ready"
    assert [p.name for p in pytester.path.glob("runpytest-[0-9]*")] == ["runpytest-0"]
    run(pytester, mode)
    verdict = read_verdict()
    assert (verdict["decision"], closed_world(verdict)) == ("ready", [])


SKIPS_ON_THE_MARKER = """
    from pathlib import Path
    import pytest
    MARK = Path(__file__).parents[1] / "local" / ".skip-broken"
    def test_known_broken_locally():
        if MARK.exists():
            pytest.skip("known broken locally")
        assert False, "a real bug"
"""
#: the tests' own git, first on PATH from a tracked `-p` plugin (imported before any hook of
#: the plugin, so before the first look too): its `ls-files` answers nothing
STUB_GIT = '#!/bin/sh\ncase "$*" in *ls-files*) exit 0 ;; esac\nexec {git} "$@"\n'
STUB_ON_PATH = """
    import os
    from pathlib import Path
    os.environ["PATH"] = f"{Path(__file__).parent / 'tests/shims'}{os.pathsep}{os.environ['PATH']}"
"""
#: a one-shot marker looked at and consumed at import ("skip once")
CONSUMED = """
    from pathlib import Path
    MARK = Path(__file__).parent / "{folder}local" / ".skip-broken"
    SKIP_ONCE = MARK.exists()
    MARK.unlink(missing_ok=True)
"""
SKIPS_ONCE = """
    import pytest
    from tests.unit.{module} import SKIP_ONCE
    def test_known_broken_locally():
        if SKIP_ONCE:
            pytest.skip("known broken locally (once)")
        assert False, "a real bug"
"""


@pytest.mark.parametrize("shape", ["stub-git-on-path", "consumed-by-a-test-module",
                                   "consumed-by-a-conftest"])
@pytest.mark.parametrize("mode", MODES)
def test_the_workspace_is_looked_at_before_the_projects_code_runs(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...], shape: str,
) -> None:
    """Hostile case 294: the listing's git is found on the host's standard path, not on a
    PATH the project's code changed (b: a tracked `-p` plugin, which runs before any of the
    plugin's hooks, where a conftest's change is already before the first look); the
    workspace is looked at
    before the first conftest is imported too, so a marker a test module (c) or a conftest
    (under -n 2: the controller's, before any worker started) consumed at import is named."""
    import shutil

    # a file of a tracked folder: once consumed, nothing of it is left to list
    files = {".gitignore": BASE[".gitignore"] + "tests/local/.skip-*\n",
             "tests/local/cases.txt": "tracked\n", "tests/__init__.py": "",
             "tests/unit/__init__.py": ""}
    if shape == "stub-git-on-path":
        files.update({"tests/shims/git": STUB_GIT.format(git=shutil.which("git")),
                      "shimplug.py": STUB_ON_PATH,
                      "tests/unit/test_marker.py": SKIPS_ON_THE_MARKER})
    elif shape == "consumed-by-a-test-module":
        files.update({"tests/unit/marker.py": "", "tests/unit/test_marker.py":
                      CONSUMED.format(folder="../") + SKIPS_ONCE.replace(
                          "from tests.unit.{module} import SKIP_ONCE", "")})
    else:
        files.update({"tests/conftest.py": CONSUMED.format(folder=""),
                      "tests/unit/test_marker.py": SKIPS_ONCE.format(module="conftest")
                      .replace("tests.unit.conftest", "tests.conftest")})
    root = project(files, later={"tests/local/.skip-broken": ""},
                   addopts="-p shimplug" if shape == "stub-git-on-path" else "")
    (root / "tests/shims/git").chmod(0o755) if shape == "stub-git-on-path" else None
    run(pytester, mode)
    verdict = read_verdict()
    assert not (root / "tests/local/.skip-broken").exists() or shape == "stub-git-on-path"
    # serially the test skips; under -n 2 the process that consumed the marker may not be
    # the one that runs the test (it then fails): never ready, and the marker is named
    assert verdict["decision"] != "ready", verdict["reasons"]
    if not mode:
        assert verdict["tiers"]["unit"]["skipped"] == 1, verdict["tiers"]["unit"]
    assert any("tests/local/.skip-broken (" in m and "git-ignored, lying in the test folders" in m
               for m in closed_world(verdict)), verdict["completeness"]


# -- the -n 2 proofs folded: one project holding several rows' files, one -n 2 run ----------
# Every fact here is observed by the worker that ran the test (an import, a file read, a
# collected file) and reaches the verdict through the controller's union of what the workers
# shipped (run/facts.py); one run per fold takes each row's fact through that path, and the
# verdict names each. The rows left with an xdist twin of their own above: a fact of two
# workers (bytes read two ways), the coverage data of the workers' processes, the shards'
# merge, the controller's own look before any worker (the workspace), pytester's basetemps,
# and rows whose files or assertions would clash with another's (the tree changed, an
# ignored file looked at).
FOLD_IGNORED = (BASE[".gitignore"] + "local_settings.py\ntests/unit/conftest.py\n"
                "tests/unit/test_doc.txt\ntests/data/\nscripts/local_*\n")


def _sourceless_pyc(root: Path) -> None:
    source = root / "compiled_src.py"
    source.write_text("VALUE = 1\n")
    (root / "tests/unit").mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-c", "import py_compile, sys; "
                    "py_compile.compile(sys.argv[1], cfile=sys.argv[2])", str(source),
                    str(root / "tests/unit/compiled.pyc")], check=True)
    source.unlink()


#: two folds, as the verdict's message lists five files before "(+N more)": imports (an
#: ignored module, a module made during the run, an ignored conftest, a tracked sourceless
#: .pyc) and reads (an ignored doctest file, data file read and script run, empty folders at
#: the top and in the test folders); each: files, files written after the commit, the names
#: a "not in the tree" message gives, the other names the closed world's messages give
FOLDS: dict[str, tuple[dict[str, str], dict[str, str], tuple[str, ...], tuple[str, ...]]] = {
    "imports": ({
        **IMPORTS_HELPER, "tests/unit/helper.py": "from local_settings import VALUE\n",
        "tests/unit/test_new.py": """
            import importlib, sys
            from pathlib import Path
            def test_new():
                Path(__file__).with_name("fresh.py").write_text("VALUE = 1\\n")
                importlib.invalidate_caches()
                import fresh
                assert fresh.VALUE == 1
        """,
        "tests/unit/test_c.py": "import compiled\ndef test_c(): assert compiled.VALUE == 1\n",
    }, {"tests/unit/local_settings.py": "VALUE = 1\n", "tests/unit/conftest.py": "import pytest\n"},
        ("tests/unit/local_settings.py",),
        ("tests/unit/fresh.py", "tests/unit/conftest.py",
         "tests/unit/compiled.pyc (bytecode without its source)")),
    "reads": ({
        "tests/unit/test_data.py": READ_DATA, "tests/unit/test_script.py": RUN_SCRIPT,
        "tests/unit/test_deliver_top.py": DELIVERS.format(folder="outbox"),
        "tests/unit/test_deliver_deep.py": DELIVERS.format(folder="tests/fixtures/outbox"),
    }, {"tests/unit/test_doc.txt": ">>> 1 + 1\n2\n",
        "tests/data/expected.json": '{"result": 5}', "scripts/local_check.py": "print('ok')\n"},
        ("tests/data/expected.json", "scripts/local_check.py"),
        ("tests/unit/test_doc.txt", "tests/fixtures (", " outbox (")),
}


@pytest.mark.parametrize("fold", list(FOLDS))
def test_code_and_files_not_in_the_tree_are_named_folded_xdist(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    fold: str,
) -> None:
    """Several rows' facts at once under -n 2 (:data:`FOLDS`), each named."""
    files, later, not_in_tree, named = FOLDS[fold]
    if fold == "imports":
        _sourceless_pyc(pytester.path)
    root = project({**files, ".gitignore": FOLD_IGNORED}, later=later,
                   ini='doctest_glob = ["test_*.txt"]\n')
    if fold == "imports":
        assert git(root, "ls-files", "tests/unit/compiled.pyc")  # tracked
    else:
        for folder in ("outbox", "tests/fixtures/outbox"):
            (root / folder).mkdir(parents=True)
    run(pytester, ("-n", "2"))
    verdict = read_verdict()
    # every test ran and passed (the doctest file too): each fact was met, none broke a test
    tests = sum(1 for name in (*files, *later) if "/test_" in name) + 1  # BASE's test_a
    assert verdict["tiers"]["unit"]["passed"] == tests, verdict["tiers"]["unit"]
    assert verdict["decision"] == "incomplete"
    found = closed_world(verdict)
    for name in not_in_tree:
        assert any("not in the tree" in m and name in m for m in found), (name, found)
    for name in named:
        assert any(name in m for m in found), (name, found)


def test_tracked_code_and_files_are_ready_folded_xdist(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
) -> None:
    """Under -n 2 at once: tracked code imported as committed (a conftest too), a tracked data
    file read and a tracked script run."""
    project({**IMPORTS_HELPER, "tests/unit/helper.py": "VALUE = 1\n",
             "tests/unit/conftest.py": "X = 1\n", "tests/unit/test_data.py": READ_DATA,
             "tests/data/expected.json": '{"result": 5}', "tests/unit/test_script.py": RUN_SCRIPT,
             "scripts/local_check.py": "print('ok')\n"})
    run(pytester, ("-n", "2"))
    verdict = read_verdict()
    assert verdict["tiers"]["unit"]["passed"] == 4, verdict["tiers"]["unit"]
    assert (verdict["decision"], verdict["dirty"], closed_world(verdict)) == ("ready", False, [])
