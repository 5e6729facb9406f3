"""The pure parts of the closed world (``run/imported.py``) and of coverage data attribution
(``cov/data_files.py``): blob ids, the import recorder in this process, the comparison with
a tree's listing, and which data files a run's processes wrote."""

from __future__ import annotations

import importlib
import json
import os
import py_compile
import sys
import unicodedata
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.gates.cov.data_files import strangers, suffix_pid
from pytest_pyramid.run.imported import (
    _CHILD,
    CodeFacts,
    CodeSeen,
    ImportRecorder,
    _Scope,
    blob_id,
    follow_child,
    nested_tree,
    outside_tree,
    parse_ls_tree,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from types import ModuleType


@pytest.mark.parametrize(
    ("data", "blob"),
    [  # what `git hash-object` gives
        (b"", "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"),
        (b"hello\n", "ce013625030ba8dba906f756967f9e9ca394464a"),
    ],
)
def test_blob_ids_are_gits(data: bytes, blob: str) -> None:
    assert blob_id(data) == blob


@pytest.fixture
def recorder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ImportRecorder]:
    """A recorder watching ``tmp_path/repo`` (on ``sys.path``), the environment ``tmp_path/env``."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "env").mkdir()
    monkeypatch.syspath_prepend(str(repo))
    monkeypatch.syspath_prepend(str(tmp_path / "env"))
    watcher = ImportRecorder(str(repo), environment=[str(tmp_path / "env")])
    watcher.install()
    before = set(sys.modules)
    try:
        yield watcher
    finally:
        watcher.uninstall()
        for name in set(sys.modules) - before:
            del sys.modules[name]


def fresh_import(name: str) -> ModuleType:
    sys.modules.pop(name, None)
    importlib.invalidate_caches()
    return importlib.import_module(name)


def test_source_is_hashed_as_the_loader_read_it(recorder: ImportRecorder, tmp_path: Path) -> None:
    (tmp_path / "repo/cw_mod_a.py").write_text("VALUE = 1\n")
    module = fresh_import("cw_mod_a")
    real = str((tmp_path / "repo/cw_mod_a.py").resolve())
    assert recorder.seen.files == {real: blob_id(b"VALUE = 1\n")}
    assert module.VALUE == 1  # the recording loader ran it as Python would
    # the second import comes from the timestamp .pyc: the source is hashed (read once)
    recorder.seen.files.clear()
    fresh_import("cw_mod_a")
    assert recorder.seen.files == {real: blob_id(b"VALUE = 1\n")}
    assert recorder.seen.unverifiable == {}


def test_reading_the_source_again_is_not_an_import(
    recorder: ImportRecorder, tmp_path: Path
) -> None:
    """A traceback reads the source again (``get_source``): only what ran is the record."""
    import inspect

    path = tmp_path / "repo/cw_mod_e.py"
    path.write_text("VALUE = 1\n")
    module = fresh_import("cw_mod_e")
    path.write_text("VALUE = 22\n")
    assert inspect.getsource(module) == "VALUE = 22\n"
    assert recorder.seen.files == {str(path.resolve()): blob_id(b"VALUE = 1\n")}
    assert recorder.seen.unverifiable == {}


def test_environment_and_outside_files_are_not_watched(
    recorder: ImportRecorder, tmp_path: Path
) -> None:
    (tmp_path / "env/cw_installed.py").write_text("X = 1\n")
    fresh_import("cw_installed")
    assert recorder.seen.files == {}


def test_a_followed_child_reports_the_projects_modules_to_the_runs_spool(
    recorder: ImportRecorder, tmp_path: Path
) -> None:
    """Case 202: a child of the run (``follow_child``: ``reports`` from the run's variable)
    imports a stale installed copy of the project's package; the fact is spooled as it
    imports (a child can end by ``os._exit``) and the run's recorder absorbs it, to judge it
    as its own (``run/loaded.py: foreign_problems``). Another installed name is not the
    project's: not reported."""
    spool = tmp_path / "spool"
    spool.mkdir()
    recorder.spool, recorder.reports = str(spool), frozenset({"cw_stale"})
    recorder.forked()
    (tmp_path / "env/cw_stale").mkdir()
    (tmp_path / "env/cw_stale/__init__.py").write_text("X = 1\n")
    (tmp_path / "env/cw_installed.py").write_text("X = 1\n")
    fresh_import("cw_stale")
    fresh_import("cw_installed")
    fact = f"cw_stale:{(tmp_path / 'env/cw_stale/__init__.py').resolve()}"
    assert recorder.loaded == {fact: None}
    run = ImportRecorder(str(tmp_path / "repo"), environment=[str(tmp_path / "env")])
    run.spool = str(spool)
    run.absorb_forks()
    assert run.loaded == {fact: None}


def test_a_child_spells_its_facts_from_the_runs_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``follow_child`` takes the names and the folder facts are relative to (the project's
    configured folder, which may lie below pytest's rootdir) from the run's variable, as
    ``loaded_code`` spells them in the run's own process."""
    project, spool = tmp_path / "repo" / "sub", tmp_path / "spool"
    project.mkdir(parents=True)
    spool.mkdir()
    (project / "cw_rel.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(project))
    monkeypatch.setattr(sys, "orig_argv", ["python", "-c", "import cw_rel"])  # not pytest
    child = follow_child(json.dumps({
        "spool": str(spool), "root": str(tmp_path / "repo"), "project": str(tmp_path / "repo"),
        "started_ns": 0, "packages": ["cw_rel"], "facts_root": str(project.resolve())}))
    assert child is not None
    try:
        fresh_import("cw_rel")
    finally:
        child.uninstall()
        _CHILD.remove(child)
        sys.modules.pop("cw_rel", None)
    assert child.loaded == {"cw_rel:cw_rel.py": None}



@pytest.mark.parametrize(("argv", "own"), [
    (["python", "-c", "import mypkg"], False),
    (["python", "-m", "pytest", "-p", "tests.localplugin"], True),  # a nested run
])
def test_a_nested_pytest_run_reports_the_runs_modules_but_its_own_trees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], own: bool
) -> None:
    """A pytest run a test starts reports the run's packages' modules it imports, as any
    child (hostile case 261: nobody reads its verdict; a stale install), but not those of
    its own tree, the folder it started in (a `-p` plugin of its own `tests` package: the
    suite's own verdict named an inner project's `tests`)."""
    spool, inner = tmp_path / "spool", tmp_path / "inner"
    spool.mkdir()
    inner.mkdir()
    monkeypatch.chdir(inner)
    monkeypatch.setattr(sys, "orig_argv", argv)
    child = follow_child(json.dumps({
        "spool": str(spool), "root": str(tmp_path / "repo"), "project": str(tmp_path / "repo"),
        "started_ns": 0, "packages": ["cw_nested"], "facts_root": str(tmp_path / "repo")}))
    assert child is not None
    try:
        assert set(child.reports) == {"cw_nested"}
        assert child.own_tree == (str(inner.resolve()) + "/" if own else None)
    finally:
        child.uninstall()
        _CHILD.remove(child)


@pytest.mark.parametrize(("cwd", "project", "own"), [
    ("tmp/inner", "repo", "tmp/inner/"),  # a pytester project elsewhere: its own tree
    ("repo", "repo", None),  # started in the run's project: its modules are the run's
    ("/", "repo", None),  # a folder holding the project
    ("repo/sub", "repo", "repo/sub/"),  # a project of its own inside the repository
    ("repo-other", "repo", "repo-other/"),  # a name that starts alike is another folder
])
def test_a_nested_runs_own_tree(tmp_path: Path, cwd: str, project: str, own: str | None
                                ) -> None:
    base = str(tmp_path.resolve())
    at = "/" if cwd == "/" else f"{base}/{cwd}"
    assert nested_tree(at, f"{base}/{project}") == (None if own is None else f"{base}/{own}")


def test_a_child_that_never_reported_is_missing_evidence(tmp_path: Path) -> None:
    """Hostile case 299: each followed Python child writes a start record first thing
    (``announce``); fewer records than the Python starts the run's processes meant to follow
    names ``python <unreported>``. Multiprocessing's own processes (no audit event: nobody
    counted them) do not stand in for a missing one."""
    spool = tmp_path / "spool"
    spool.mkdir()
    run = ImportRecorder(str(tmp_path / "repo"), environment=[str(tmp_path / "env")])
    run.spool, run.expected = str(spool), 2
    (spool / "11.jsonl").write_text(json.dumps(["started", "11", False]) + "\n")
    (spool / "12.jsonl").write_text(json.dumps(["started", "12", True]) + "\n")
    run.absorb_forks()
    assert "python <unreported>" in run.seen.unverifiable
    run = ImportRecorder(str(tmp_path / "repo"), environment=[str(tmp_path / "env")])
    spool.mkdir()
    run.spool, run.expected = str(spool), 1
    (spool / "11.jsonl").write_text(json.dumps(["started", "11", False]) + "\n"
                                    + json.dumps(["expects", "11", 1]) + "\n")
    (spool / "13.jsonl").write_text(json.dumps(["started", "13", False]) + "\n")
    run.absorb_forks()  # the child's own child (its count spooled) reported too
    assert run.seen.unverifiable == {}


def test_an_unchecked_hash_pyc_is_unverifiable(recorder: ImportRecorder, tmp_path: Path) -> None:
    source = tmp_path / "repo/cw_mod_b.py"
    source.write_text("VALUE = 1\n")
    py_compile.compile(str(source), invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    source.write_text("VALUE = 2\n")  # the bytecode still says 1, and Python runs it
    assert fresh_import("cw_mod_b").VALUE == 1
    real = str(source.resolve())
    assert "hash-based .pyc this interpreter does not check" in recorder.seen.unverifiable[real]


def test_a_checked_hash_pyc_is_verified_by_python(
    recorder: ImportRecorder, tmp_path: Path
) -> None:
    source = tmp_path / "repo/cw_mod_c.py"
    source.write_text("VALUE = 1\n")
    py_compile.compile(str(source), invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    fresh_import("cw_mod_c")
    assert recorder.seen.files == {str(source.resolve()): blob_id(b"VALUE = 1\n")}
    assert recorder.seen.unverifiable == {}


def test_sourceless_bytecode_is_unverifiable(recorder: ImportRecorder, tmp_path: Path) -> None:
    source = tmp_path / "cw_mod_d.py"
    source.write_text("VALUE = 1\n")
    py_compile.compile(str(source), cfile=str(tmp_path / "repo/cw_mod_d.pyc"))
    fresh_import("cw_mod_d")
    real = str((tmp_path / "repo/cw_mod_d.pyc").resolve())
    assert recorder.seen.unverifiable == {real: "bytecode without its source"}



def test_only_code_the_run_ran_is_imported(recorder: ImportRecorder, tmp_path: Path) -> None:
    """Hostile case 394: bytes read (a licence-header check, ``py_compile``) are in ``files``
    but vouch for no module; an import, a collected file and a late module are run code."""
    import py_compile

    read = tmp_path / "repo/cw_read_only.py"
    read.write_text("def test_x():\n    assert False\n")
    read.read_bytes()
    py_compile.compile(str(read), cfile=str(tmp_path / "out.pyc"), doraise=True)
    (tmp_path / "repo/cw_mod_ran.py").write_text("VALUE = 1\n")
    fresh_import("cw_mod_ran")
    collected = tmp_path / "repo/test_collected.py"
    collected.write_text("")
    recorder.watch_path(str(collected))
    recorder.hash_file(str(read.resolve()))  # as the sweep hashes a source read as data
    assert str(read.resolve()) in recorder.seen.files
    assert set(recorder.seen.imported) == {str((tmp_path / "repo/cw_mod_ran.py").resolve()),
                                           str(collected.resolve())}
    assert recorder.seen.to_dict()["imported"] == recorder.seen.imported

def test_collected_files_and_late_modules_are_hashed_once(
    recorder: ImportRecorder, tmp_path: Path
) -> None:
    doc = tmp_path / "repo/doc.txt"
    doc.write_text(">>> 1\n1\n")
    recorder.watch_path(str(doc))
    doc.write_text("changed after collection\n")
    recorder.watch_path(str(doc))  # already hashed: the bytes read first are the record
    assert recorder.seen.files == {str(doc.resolve()): blob_id(b">>> 1\n1\n")}


def test_the_union_of_processes_flags_a_file_read_two_ways() -> None:
    seen = CodeSeen()
    union = CodeFacts(seen)  # the facts record every worker ships (run/facts.py: agree)
    union.absorb({"files": {"/r/a.py": "1", "/r/b.py": "2"}, "unverifiable": {}})
    union.absorb({"files": {"/r/a.py": "1", "/r/b.py": "3"},
                  "unverifiable": {"/r/c.pyc": "bytecode without its source"}})
    assert seen.files == {"/r/a.py": "1", "/r/b.py": "2"}
    assert seen.unverifiable == {"/r/b.py": "read with different contents by two processes",
                                 "/r/c.pyc": "bytecode without its source"}
    union.absorb({"files": {}, "unverifiable": {}, "imported": {"/r/a.py": "imported"}})
    union.absorb({"files": {}, "unverifiable": {}})  # an older worker's: nothing imported
    assert seen.imported == {"/r/a.py": "imported"}


def test_parse_ls_tree() -> None:
    out = "\x00".join(["100644 blob aaa\ta.py", "120000 blob bbb\tlink",
                       "160000 commit ccc\tvendor/sub", "100755 blob ddd\tdir/x y.py", ""])
    assert parse_ls_tree(out) == (
        {"a.py": "aaa", "link": "bbb", "dir/x y.py": "ddd"}, ("vendor/sub",))


def seen_of(files: dict[str, str], unverifiable: dict[str, str] | None = None) -> CodeSeen:
    seen = CodeSeen()
    seen.files.update(files)
    seen.unverifiable.update(unverifiable or {})
    return seen


@pytest.mark.parametrize(
    ("files", "unverifiable", "expected"),
    [
        ({"/r/a.py": "1"}, {}, []),
        ({"/r/a.py": "2"}, {}, ["differed", "a.py"]),
        ({"/r/new.py": "1"}, {}, ["not in the tree", "new.py"]),
        ({"/elsewhere/a.py": "9"}, {}, []),  # outside the repository: not this check's
        ({"/r/vendor/sub/m.py": "9"}, {}, []),  # a submodule's commit names it
        ({"/r/a.py": "1"}, {"/r/b.pyc": "bytecode without its source"},
         ["cannot be tied", "b.pyc (bytecode without its source)"]),
        # hostile case 156: a key naming no file is shown as it is, not as a path
        ({"/r/a.py": "1"}, {"sh <stdin>": "run as a program of its own (sh reading ...)"},
         ["cannot be tied", ": sh <stdin> (run as a program of its own"]),
    ],
    ids=["same-bytes", "changed", "not-in-tree", "outside", "submodule", "unverifiable",
         "a-shell's-stdin"],
)
def test_outside_tree(
    files: dict[str, str], unverifiable: dict[str, str], expected: list[str]
) -> None:
    messages = outside_tree(seen_of(files, unverifiable), "/r", {"a.py": "1"}, ["vendor/sub"])
    if not expected:
        assert messages == []
    else:
        assert len(messages) == 1
        assert all(part in messages[0] for part in expected)


@pytest.mark.parametrize(
    ("name", "parsed"),
    [
        (".coverage.host.pid123.XabcDEFx", (123, False)),  # coverage 7.x
        (".coverage.my.host.123.Xabcx", (123, False)),  # older coverage, dotted host
        (".coverage.host.123.004567.gw0", (123, True)),  # pytest-cov, a remote worker
        (".coverage.evil", None),
        (".coveragerc", None),
        (".coverage.host.pid12.Xabcx.combine", None),  # pytest-cov's combining file
    ],
)
def test_suffix_pid(name: str, parsed: tuple[int, bool] | None) -> None:
    assert suffix_pid(name, ".coverage") == parsed


@pytest.mark.parametrize(
    ("names", "subprocesses", "expected"),
    [
        ([".coverage.h.pid7.Xax", ".coverage.h.pid8.Xbx"], False, []),  # own files
        ([".coverage.h.pid9.Xcx"], False, [".coverage.h.pid9.Xcx"]),  # another process
        ([".coverage.h.pid9.Xcx"], True, []),  # a declared subprocess's
        ([".coverage.h.pid1.Xzx"], True, [".coverage.h.pid1.Xzx"]),  # the controller's pid,
        # not its file: written by a test in the controller process
        ([".coverage.h.1.000001.gw3"], False, []),  # pytest-cov saved a remote worker's
        ([".coverage.stray"], True, [".coverage.stray"]),
    ],
)
def test_strangers(names: list[str], subprocesses: bool, expected: list[str]) -> None:
    own = {".coverage.h.pid7.Xax", ".coverage.h.pid8.Xbx"}
    assert strangers(names, ".coverage", own, 1, subprocesses=subprocesses) == expected


@pytest.mark.parametrize(
    ("flags", "mode", "unchecked"),
    [
        (0b00, "default", False),  # timestamp pyc: Python compares size and mtime
        (0b11, "default", False),  # checked hash pyc
        (0b01, "default", True),  # unchecked hash pyc
        (0b01, "always", False),  # --check-hash-based-pycs always checks it
        (0b11, "never", True),  # hostile round: --check-hash-based-pycs never skips the check
        (0b00, "never", False),
    ],
)
def test_a_hash_based_pyc_is_unchecked_as_this_interpreter_runs_it(
    flags: int, mode: str, unchecked: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import _imp

    from pytest_pyramid.run.loaded import hash_pyc_unchecked

    monkeypatch.setattr(_imp, "check_hash_based_pycs", mode)
    assert hash_pyc_unchecked(flags) is unchecked


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        (["scripts/x.py"], ["scripts/x.py"]),
        (["python scripts/x.py --conf=local.ini -q"], ["python", "scripts/x.py", "local.ini"]),
        (["cat 'my data.txt'"], ["cat", "my data.txt"]),
        (["echo 'unbalanced"], ["echo", "'unbalanced"]),
        (["--flag"], []),
        ([""], []),
        (["python", "-m", "scripts.tool"],  # the files python -m runs
         ["python", "scripts/tool.py", "scripts/tool/__main__.py", "scripts.tool"]),
        (["sh", "-c", "python -m tool"],  # a shell command's words
         ["sh", "python", "tool.py", "tool/__main__.py", "tool"]),
        # shell syntax around a file (case 146): a redirection without a space, a variable
        # assignment, a glob (expanded where the process starts), operators split off
        (["sort <data/in.txt 2>&1"], ["sort", "data/in.txt", "2", "1"]),
        (["DATA=data/in.txt sh -c 'sort \"$DATA\"'"],
         ["data/in.txt", "DATA=data/in.txt", "sh", 'sort "$DATA"']),
        (["cat data/*.txt|sort"], ["cat", "data/*.txt", "sort"]),
        (["make", "CONFIG=local.mk"], ["make", "local.mk", "CONFIG=local.mk"]),
    ],
)
def test_the_words_of_a_command_that_could_name_a_file(
    text: list[str], tokens: list[str]
) -> None:
    from pytest_pyramid.run.imported import _tokens

    assert _tokens(text) == tokens


#: a remembered schema pass's name (``schema_passes.pass_key``: a SHA-256)
PASS = "0123456789abcdef" * 4
#: an example of Hypothesis's database: ``examples/<key hash>/<value hash>``, 16 hex digits
EXAMPLE = "0123456789abcdef/fedcba9876543210"
#: files present before the recorder starts (relative to the repository)
BEFORE = ["data.json", ".git/HEAD", "__pycache__/m.cpython-311.pyc",
          ".pytest_cache/v/cache/lastfailed", f".pytest_cache/d/pytest-pyramid/{PASS}",
          ".pytest_cache/v/demo/expected", ".pytest_cache/v/cache/expected",
          ".pytest_cache/v/cache/stepwise", ".pytest_cache/d/pytest-pyramid/k", "fixture.db",
          "pkg.egg-info/entry_points.txt", ".coverage", ".coverage.h.pid1.Xax",
          ".hypothesis/examples/x", ".pyramid/durations.json", "sub/.coveragerc",
          "tests/fixtures/.coverage", ".cache/pytest/v/cache/lastfailed",
          f".cache/pytest/d/pytest-pyramid/{PASS}", ".cache/pytest/v/demo/expected",
          ".cache/pytest/v/cache/expected", "golden/.hypothesis/expected.txt",
          "golden/__pycache__/expected.txt", "tests/.pyramid/expected.txt",
          ".git/__pycache__/m.pyc", "golden.egg-info/expected.txt",
          # hostile case 293: tools' places hold only what their tool keeps there
          f".hypothesis/examples/{EXAMPLE}", ".hypothesis/expected.txt", ".git/objects/ab/cd",
          ".git/refs/heads/main", ".git/expected.txt", ".git/hooks/pre-commit",
          "fixtures/.git/HEAD", "fixtures/.git/expected.txt", "pkg.egg-info/PKG-INFO",
          "pkg-2.0.dist-info/METADATA", ".pyramid/expected.txt",
          f".hypothesis/unicode_data/{unicodedata.unidata_version}/charmap.json.gz",
          ".hypothesis/unicode_data/0.0/charmap.json.gz",
          f".hypothesis/unicode_data/{unicodedata.unidata_version}/codec-v2-utf-8.json.gz",
          f".hypothesis/unicode_data/{unicodedata.unidata_version}/expected.json.gz",
          ".hypothesis/constants/0358625fc1377a5d", ".hypothesis/constants/expected"]


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[tuple[ImportRecorder, Path]]:
    """A recording recorder over ``tmp_path/repo`` that started after :data:`BEFORE` was
    written (the audit hook is real: the test opens files and starts processes)."""
    import time

    repo = tmp_path / "repo"
    for name in BEFORE:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(name)
    watcher = ImportRecorder(str(repo), environment=[str(tmp_path / "env")],
                             cache_dir=str(repo / ".cache/pytest"))
    watcher.started_ns = time.time_ns() + 10**12  # everything on disk is from before
    watcher.install()
    try:
        yield watcher, repo
    finally:
        watcher.uninstall()


@pytest.mark.parametrize(
    ("name", "mode", "recorded"),
    [
        ("data.json", "r", True),
        ("data.json", "rb", True),
        ("data.json", "r+", True),  # read and written: what was read counts
        ("data.json", "a", False),  # written only: nothing read
        ("sub/.coveragerc", "r", True),  # a dotfile is an input like any other
        (".git/HEAD", "r", False),
        ("__pycache__/m.cpython-311.pyc", "rb", False),
        (".pytest_cache/v/cache/lastfailed", "r", False),  # pytest's own record
        (f".pytest_cache/d/pytest-pyramid/{PASS}", "r", False),  # the plugin's schema passes
        (".pytest_cache/v/cache/stepwise", "r", False),
        (".pytest_cache/v/demo/expected", "r", True),  # a value a test stored (case 114)
        # a test's own key "cache/expected" lies beside pytest's records (case 264)
        (".pytest_cache/v/cache/expected", "r", True),
        (".pytest_cache/d/pytest-pyramid/k", "r", True),  # not a pass's name
        # package metadata in the repository is a file like any other (case 293): a stale
        # egg-info of an old editable install answers importlib.metadata
        ("pkg.egg-info/entry_points.txt", "r", True),
        ("pkg.egg-info/PKG-INFO", "r", True),
        ("pkg-2.0.dist-info/METADATA", "r", True),
        (".coverage", "rb", False),  # the run's coverage data, in the repository's top
        (".coverage.h.pid1.Xax", "rb", False),
        ("tests/fixtures/.coverage", "r", True),  # named so, elsewhere: a file (case 132)
        (".cache/pytest/v/cache/lastfailed", "r", False),  # a configured cache_dir (150)
        (f".cache/pytest/d/pytest-pyramid/{PASS}", "r", False),
        (".cache/pytest/v/demo/expected", "r", True),
        (".cache/pytest/v/cache/expected", "r", True),
        # what a tool keeps where it keeps it (case 293): Hypothesis's examples by their
        # layout, git's records of a repository; this plugin reads its own state folder
        # unrecorded, so any read recorded there is an input
        (f".hypothesis/examples/{EXAMPLE}", "rb", False),
        (f".hypothesis/unicode_data/{unicodedata.unidata_version}/charmap.json.gz", "rb", False),
        (".hypothesis/unicode_data/0.0/charmap.json.gz", "rb", True),  # not this interpreter's
        (f".hypothesis/unicode_data/{unicodedata.unidata_version}/codec-v2-utf-8.json.gz", "rb",
         False),
        (f".hypothesis/unicode_data/{unicodedata.unidata_version}/expected.json.gz", "rb", True),
        (".hypothesis/constants/0358625fc1377a5d", "rb", False),  # its constants cache
        (".hypothesis/constants/expected", "rb", True),
        (".hypothesis/examples/x", "r", True),
        (".hypothesis/expected.txt", "r", True),
        (".pyramid/durations.json", "r", True),
        (".pyramid/expected.txt", "r", True),
        (".git/objects/ab/cd", "rb", False),
        (".git/refs/heads/main", "r", False),
        (".git/expected.txt", "r", True),  # not a record git keeps
        (".git/hooks/pre-commit", "r", True),  # run by git, not the commit's
        ("fixtures/.git/HEAD", "r", True),  # a .git folder that is no repository
        ("fixtures/.git/expected.txt", "r", True),
        # named like a tool's state, not where the tool keeps it (case 263)
        ("golden/.hypothesis/expected.txt", "r", True),
        ("golden/__pycache__/expected.txt", "r", True),
        ("tests/.pyramid/expected.txt", "r", True),
        (".git/__pycache__/m.pyc", "rb", False),
        ("golden.egg-info/expected.txt", "r", True),
    ],
)
def test_files_opened_for_reading_under_the_repository_are_recorded(
    opened: tuple[ImportRecorder, Path], name: str, mode: str, recorded: bool
) -> None:
    recorder, repo = opened
    with open(repo / name, mode):
        pass
    real = str((repo / name).resolve())
    assert recorder.seen.files == ({real: blob_id(name.encode())} if recorded else {})


@pytest.mark.parametrize(("code", "named"), [
    # hostile case 187: the project's own code reads git's records (another ref's blob)
    ("open(GIT + '/HEAD').close()", True),
    ("pathlib.Path(GIT, 'HEAD').read_bytes()", True),  # through the standard library
    ("open(GIT + '/HEAD', 'w').close()", False),  # written, not read
    ("open(REPO + '/data.json').close()", False),  # the tree's own file: recorded as one
])
def test_the_projects_own_code_reading_git_records_is_named(
    opened: tuple[ImportRecorder, Path], code: str, named: bool
) -> None:
    recorder, repo = opened
    head = str((repo / ".git/HEAD").resolve())
    program = compile(code, str(repo / "tests/reader.py"), "exec")  # a frame of the project
    exec(program, {"pathlib": __import__("pathlib"), "GIT": str(repo / ".git"),
                   "REPO": str(repo)})
    assert (head in recorder.seen.unverifiable) is named
    if named:
        assert "git's object store" in recorder.seen.unverifiable[head]
    open(repo / ".git/HEAD").close()  # this test's own frame is not the project's
    assert len(recorder.seen.unverifiable) == int(named)


def test_a_file_the_run_wrote_is_its_output(opened: tuple[ImportRecorder, Path]) -> None:
    import time

    recorder, repo = opened
    recorder.started_ns = time.time_ns() - 10**9  # data.json was written after this
    (repo / "data.json").read_text()
    (repo / "out.json").write_text("{}")
    (repo / "out.json").read_text()
    assert recorder.seen.files == {}


def test_nothing_is_recorded_when_not_reading(opened: tuple[ImportRecorder, Path]) -> None:
    recorder, repo = opened
    recorder.reading = False  # the session ended: the plugin's own reads follow
    (repo / "data.json").read_text()
    recorder.uninstall()  # and a run that is not recording at all
    recorder.reading = True
    (repo / "data.json").read_text()
    assert recorder.seen.files == {}


@pytest.mark.parametrize(
    "argv",
    [
        ["{python}", "data.json"],  # a script given to the interpreter, relative to cwd
        ["{python}", "{repo}/data.json"],
        ["/bin/sh", "-c", "{python} data.json"],  # through a shell
        ["{python}", "-c", "pass", "--input=data.json"],  # an option's value
    ],
)
def test_files_a_started_process_is_given_are_recorded(
    opened: tuple[ImportRecorder, Path], argv: list[str]
) -> None:
    import subprocess

    recorder, repo = opened
    (repo / "data.json").write_text("pass\n")
    recorder.started_ns += 10**12  # rewritten above, still from "before the run"
    args = [a.format(python=sys.executable, repo=repo) for a in argv]
    subprocess.run(args, cwd=repo, check=True)
    assert recorder.seen.files == {str((repo / "data.json").resolve()): blob_id(b"pass\n")}


def test_os_system_and_exec_events_are_recorded(opened: tuple[ImportRecorder, Path]) -> None:
    recorder, repo = opened
    recorder.started(  # the events' own argument shapes (os.exec*: path, args, env)
        "os.exec", ("/bin/true", ["/bin/true", str(repo / "data.json")], {}))
    recorder.started("os.system", (f"cat {repo / '.coverage'} {repo / 'sub/.coveragerc'}",))
    assert set(recorder.seen.files) == {str((repo / "data.json").resolve()),
                                        str((repo / "sub/.coveragerc").resolve())}


@pytest.mark.parametrize("changed", [False, True], ids=["as-read", "changed-after-read"])
def test_a_python_source_read_as_data_is_hashed_at_the_end(
    opened: tuple[ImportRecorder, Path], changed: bool
) -> None:
    """Not at the read: an import of it, later, is the record that can say "changed before it
    was imported"; one that is never imported is hashed at the sweep, if still as read."""
    recorder, repo = opened
    script = repo / "tool.py"
    script.write_text("X = 1\n")
    (repo / "tool.py").read_text()
    assert recorder.seen.files == {}
    if changed:
        script.write_text("X = 22\n")
    recorder.sweep({})
    real = str(script.resolve())
    if changed:
        assert recorder.seen.unverifiable == {real: "read by the run, then changed or removed"}
    else:
        assert recorder.seen.files == {real: blob_id(b"X = 1\n")}


@pytest.mark.parametrize("uri", [False, True], ids=["path", "uri"])
def test_a_sqlite_database_opened_is_recorded(
    opened: tuple[ImportRecorder, Path], uri: bool
) -> None:
    """SQLite opens its file in C: its ``sqlite3.connect`` event names it (case 110)."""
    import sqlite3

    recorder, repo = opened
    target = f"file:{repo / 'fixture.db'}?mode=ro" if uri else str(repo / "fixture.db")
    sqlite3.connect(target, uri=uri).close()
    assert recorder.seen.files == {str((repo / "fixture.db").resolve()): blob_id(b"fixture.db")}


def test_what_a_forked_child_reads_reaches_the_recording_process(
    opened: tuple[ImportRecorder, Path]
) -> None:
    """multiprocessing's fork start method: the child's memory dies with it (os._exit), so
    it spools what it read; the sweep takes it in, and a file read with other bytes than
    this process read is a finding (case 112)."""
    import os

    recorder, repo = opened
    (repo / "mine.txt").write_text("parent's bytes")
    recorder.started_ns += 10**12
    (repo / "mine.txt").read_text()
    pid = os.fork()
    if pid == 0:  # the child: read, then die without any cleanup
        try:
            (repo / "data.json").read_text()
            recorder.seen.files[str((repo / "mine.txt").resolve())] = "other bytes"
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert str((repo / "data.json").resolve()) not in recorder.seen.files
    recorder.sweep({})
    assert recorder.seen.files[str((repo / "data.json").resolve())] == blob_id(b"data.json")
    assert recorder.seen.unverifiable == {
        str((repo / "mine.txt").resolve()): "read with different contents by two processes"}
    assert recorder.spool is None  # the spool is gone


def test_a_shared_library_loaded_is_recorded(opened: tuple[ImportRecorder, Path]) -> None:
    """The dynamic loader reads it in C: the ``ctypes.dlopen`` event names it (case 131);
    a file that is not a library is refused by the loader after the event, as read."""
    import ctypes

    recorder, repo = opened
    with pytest.raises(OSError, match=r"data\.json"):
        ctypes.CDLL(str(repo / "data.json"))
    assert recorder.seen.files == {str((repo / "data.json").resolve()): blob_id(b"data.json")}


def test_a_child_outliving_the_sweep_records_without_failing(tmp_path: Path) -> None:
    """The spool is gone once the recording process swept: a forked child that imports or
    reads later must not fail for it (nothing is judged any more)."""
    from pytest_pyramid.run.imported import _Spooled

    spooled = _Spooled({}, str(tmp_path / "swept"), "files")
    spooled["/r/late.py"] = "1"
    assert spooled.setdefault("/r/late.py", "2") == "1"


def test_a_file_from_before_the_run_stays_an_input_when_only_its_inode_changed(
    opened: tuple[ImportRecorder, Path]
) -> None:
    """A chmod, a link or a rename changes the inode's ctime, not its bytes (mtime): the file
    is still from before the run, not its output (case 135)."""
    import os
    import time

    recorder, repo = opened
    now = time.time_ns()
    hour = 3600 * 10**9
    os.utime(repo / "data.json", ns=(now - hour, now - hour))  # bytes from an hour ago
    os.chmod(repo / "data.json", 0o755)
    recorder.kept.clear()  # as if a child process did both: only the file's times tell
    recorder.started_ns = now - hour // 2  # the run started after they were written
    (repo / "data.json").read_text()
    (repo / "fixture.db").read_text()  # written (mtime) after the start: an output
    assert recorder.seen.files == {str((repo / "data.json").resolve()): blob_id(b"data.json")}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("touch", "recorded"),  # its times set (os.utime): the bytes are from before
        ("append", "unverifiable"),  # written in place: what it held before is unknown
        ("rewrite", "output"),  # replaced (truncated): the run's own bytes
    ],
)
def test_what_the_run_does_to_a_file_from_before_it_decides_what_reading_it_is(
    opened: tuple[ImportRecorder, Path], change: str, expected: str
) -> None:
    """Cases 135 (``Path.touch``) and 136 (appended, then read back)."""
    recorder, repo = opened
    data = repo / "data.json"
    if change == "touch":
        data.touch()
    elif change == "append":
        with data.open("a") as out:
            out.write("+")
    else:
        data.write_text("mine")
    recorder.started_ns = 0  # from here on every inode counts as changed during the run
    data.read_text()
    real = str(data.resolve())
    seen = {"recorded": ({real: blob_id(b"data.json")}, {}),
            "unverifiable": ({}, {real: "existed before the run, which wrote to it before "
                                        "reading it: its bytes from before the run were "
                                        "not recorded"}),
            "output": ({}, {})}[expected]
    assert (recorder.seen.files, recorder.seen.unverifiable) == seen


@pytest.mark.parametrize("made_by_the_run", [False, True], ids=["ignored-link", "run's-link"])
def test_a_file_reached_through_a_symlink_out_of_the_repository_is_in_no_tree(
    opened: tuple[ImportRecorder, Path], tmp_path: Path, made_by_the_run: bool
) -> None:
    """``tests/data -> /mnt/shared`` (git-ignored): the path is under the repository, the
    bytes are not in any tree (case 133); a link the run made itself is its output."""
    import time

    recorder, repo = opened
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "expected.json").write_text("{}")
    (repo / "tests/data").symlink_to(shared)
    if made_by_the_run:
        recorder.started_ns = time.time_ns() - 10**9  # the link is newer than the start
    (repo / "tests/data/expected.json").read_text()
    assert recorder.seen.files == {}
    assert recorder.seen.unverifiable == ({} if made_by_the_run else {
        str(repo / "tests/data/expected.json"):
            f"reached through a symlink to {(shared / 'expected.json').resolve()}, outside "
            "the repository"})


def test_an_extension_module_loaded_from_its_file_is_recorded(
    opened: tuple[ImportRecorder, Path]
) -> None:
    """``spec_from_file_location`` on a locally built extension asks no finder: the
    ``import`` event of ``_imp.create_dynamic`` names the file (case 134)."""
    import importlib.util
    import shutil
    from pathlib import Path

    recorder, repo = opened
    import resource

    if not getattr(resource, "__file__", None):  # an interpreter built with it inside
        pytest.skip("no shared-library standard module to copy")
    original = Path(resource.__file__)
    built = repo / "build" / original.name
    built.parent.mkdir()
    shutil.copy(original, built)
    recorder.started_ns += 10**12  # copied above, still "before the run"
    spec = importlib.util.spec_from_file_location("resource", built)
    assert spec is not None
    importlib.util.module_from_spec(spec)
    assert recorder.seen.files == {str(built.resolve()): blob_id(built.read_bytes())}


def test_a_path_that_leaves_the_repository_by_dotdot_is_not_a_symlink_out(
    opened: tuple[ImportRecorder, Path], tmp_path: Path
) -> None:
    """``pythonpath = ["../common"]`` gives paths that start with the repository's and leave
    it by ``..``: outside the project, as before, not "reached through a symlink"."""
    recorder, repo = opened
    (tmp_path / "common.py").write_text("X = 1\n")
    assert recorder.scope.locate(f"{repo}/../common.py") == (None, None)
    assert recorder.scope.locate(f"{repo}/../repo/data.json") == (
        str((repo / "data.json").resolve()), None)
    with open(f"{repo}/../common.py"):
        pass
    assert (recorder.seen.files, recorder.seen.unverifiable) == ({}, {})


@pytest.mark.parametrize(("environment", "path", "projects"), [
    # the interpreter's prefix holds the repository (Debian's /usr over /usr/src/app: hostile
    # case 181): the repository's files are still the project's
    pytest.param(("/usr", "/usr/lib/python3"), "/usr/src/app/pkg/mod.py", True, id="prefix-holds"),
    # the install scheme's folders do not hold it: what is under them is the environment
    pytest.param(("/usr", "/usr/src/app/.venv/lib"), "/usr/src/app/.venv/lib/x.py", False,
                 id="venv-inside"),
    pytest.param(("/opt/py",), "/usr/src/app/pkg/mod.py", True, id="elsewhere"),
])
def test_a_folder_holding_the_repository_is_not_the_environment(
    environment: tuple[str, ...], path: str, projects: bool,
) -> None:
    scope = _Scope("/usr/src/app", environment)
    assert (scope.locate(path)[0] is not None) is projects


#: what a nested run's recorder holds: two entries that name no file and a file of its tree
NESTED_ENTRIES = ("sh <stdin>", "python <unrecorded>", "inner/check.sh")


@pytest.mark.parametrize("parent", ["outer", "inner"], ids=["another-tree", "same-tree"])
def test_a_nested_run_hands_on_everything_it_saw_whatever_tree_it_judged(
    tmp_path: Path, parent: str,
) -> None:
    """Hostile case 291: a pytest run a test starts (``adopt_child``) reports what it read to
    the run that started it, entries that name no file too, whatever tree it judged: nobody
    reads its verdict, and the outer test's outcome may rest on what its shell read."""
    for name in ("inner", "outer", "spool"):
        (tmp_path / name).mkdir()
    nested = ImportRecorder(str(tmp_path / "inner"), environment=())
    nested.parent_spool, nested.parent_root = str(tmp_path / "spool"), str(tmp_path / parent)
    nested.seen.unverifiable = {
        str(tmp_path / key) if "/" in key else key: "why" for key in NESTED_ENTRIES}
    nested.report_to_parent()
    lines = [json.loads(line) for spooled in (tmp_path / "spool").iterdir()
             for line in spooled.read_text().splitlines()]
    assert {key.replace(f"{tmp_path}/", "") for _, key, _ in lines} == set(NESTED_ENTRIES)


@pytest.mark.parametrize("inner", ["elsewhere", "repo/suites"])
def test_a_shell_an_in_process_nested_run_starts_is_named_by_every_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inner: str,
) -> None:
    """In one process (pytester's in-process run inside a run) every recorder sees every
    start, and names a program that names no file, whatever tree the inner run judges
    (hostile case 291 c)."""
    from pytest_pyramid.run import imported

    (tmp_path / inner).mkdir(parents=True)
    outer = ImportRecorder(str(tmp_path / "repo"), environment=())
    nested = ImportRecorder(str(tmp_path / inner), environment=())
    monkeypatch.setattr(imported, "_RECORDING", [outer, nested])
    for recorder in (outer, nested):
        recorder.started("os.exec", ("/bin/sh", ["sh", "-s"], {}))
    assert "sh <stdin>" in outer.seen.unverifiable
    assert "sh <stdin>" in nested.seen.unverifiable


def test_an_in_process_nested_run_hands_on_what_its_children_spooled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its children carry the inner run's variable and spool to it: the outer recorder never
    sees them. Adopted, the inner run reports to the outer run's spool, swept or not
    (``parseconfigure`` ends without a session)."""
    from pytest_pyramid.run import imported

    outer = ImportRecorder(str(tmp_path / "repo"), environment=())
    outer.spool, outer.variable = str(tmp_path / "outer-spool"), "{}"
    nested = ImportRecorder(str(tmp_path / "elsewhere"), environment=())
    (tmp_path / "outer-spool").mkdir()
    monkeypatch.setattr(imported, "_RECORDING", [outer, nested])
    nested.adopt_child()
    assert nested.parent_spool == outer.spool
    nested.spool = str(tmp_path / "inner-spool")
    (tmp_path / "inner-spool").mkdir()
    read = str(tmp_path / "repo/golden.txt")
    (tmp_path / "inner-spool/7.jsonl").write_text(json.dumps(["files", read, "ab"]) + "\n")
    # as the run's own follow_children left it: the variable is put back as it was
    nested._variable_before = os.environ.get("PYRAMID_RECORD_SPOOL")
    nested.uninstall()
    outer.absorb_forks()
    assert outer.seen.files == {read: "ab"}
