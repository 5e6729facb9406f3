"""Hostile cases 300, 303 and 305: a read is placed by where it lands, not by how its path is
spelled. A git-ignored ``golden/`` outside the test folders answers each test through another
spelling: a link the test made outside the repository, ``/proc/self/cwd``, a ``cd`` in a
command string, ``env -C``, a folder handed to ``cp -r``, SQLite's ``file:`` URI (absolute,
percent-encoded). Each row is ``incomplete`` naming the file, serial and under ``-n 2``; the
same spellings of tracked files stay ``ready``."""

from __future__ import annotations

import os
import sqlite3
import textwrap
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run.imported import ImportRecorder
from tests.integration.run.test_closed_world import MODES, closed_world, run

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.conftest import ReadVerdict

IGNORED = {".gitignore": "pyramid-verdict*\n.coverage*\n__pycache__/\n/stdout\n/stderr\n"
                         "/runpytest-current\ngolden/\n"}
HEAD = """
    import os, sqlite3, subprocess
    from pathlib import Path
    GOLDEN = Path(__file__).resolve().parents[2] / "golden"
"""
ROWS = {
    "symlink_in_tmp_path": """
        def test_row(tmp_path):
            (tmp_path / "data").symlink_to(GOLDEN)
            assert (tmp_path / "data" / "expected.txt").read_text() == "4\\n"
    """,
    "hard_link_in_tmp_path": """
        def test_row(tmp_path):
            os.link(GOLDEN / "expected.txt", tmp_path / "expected.txt")
            assert (tmp_path / "expected.txt").read_text() == "4\\n"
    """,
    "moved_out_of_the_repository": """
        import shutil
        def test_row(tmp_path):
            shutil.move(GOLDEN / "expected.txt", tmp_path / "expected.txt")
            assert (tmp_path / "expected.txt").read_text() == "4\\n"
    """,
    "proc_self_cwd": """
        def test_row():
            assert open("/proc/self/cwd/golden/expected.txt").read() == "4\\n"
    """,
    "cd_in_a_command_string": """
        def test_row():
            out = subprocess.run("cd golden && cat expected.txt", shell=True,
                                 capture_output=True, text=True, check=True).stdout
            assert out == "4\\n"
    """,
    "env_chdir": """
        def test_row():
            out = subprocess.run(["env", "-C", "golden", "cat", "expected.txt"],
                                 capture_output=True, text=True, check=True).stdout
            assert out == "4\\n"
    """,
    "folder_argument": """
        def test_row(tmp_path):
            subprocess.run(["cp", "-r", "golden", str(tmp_path / "data")], check=True)
            assert (tmp_path / "data" / "expected.txt").read_text() == "4\\n"
    """,
    "sqlite_absolute_uri": """
        def test_row():
            uri = (GOLDEN / "ref.db").as_uri() + "?mode=ro"
            db = sqlite3.connect(uri, uri=True)
            assert db.execute("select v from t").fetchone() == (4,)
    """,
    "sqlite_percent_encoded_uri": """
        def test_row():
            db = sqlite3.connect("file:golden/r%65f.db?immutable=1", uri=True)
            assert db.execute("select v from t").fetchone() == (4,)
    """,
}


def golden(root: Path, folder: str = "golden") -> None:
    (root / folder).mkdir(exist_ok=True)
    (root / folder / "expected.txt").write_text("4\n")
    db = sqlite3.connect(root / folder / "ref.db")
    db.execute("create table t(v)")
    db.execute("insert into t values (4)")
    db.commit()
    db.close()


@pytest.mark.parametrize("mode", MODES[:1])  # -n 2: the folded test below
@pytest.mark.parametrize("row", sorted(ROWS))
def test_an_ignored_file_read_by_another_spelling_is_incomplete(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...], row: str,
) -> None:
    root = project({**IGNORED}, later={
        "tests/unit/test_row.py": textwrap.dedent(HEAD) + textwrap.dedent(ROWS[row])})
    golden(root)
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["decision"] == "incomplete", verdict["completeness"]
    named = "golden/ref.db" if row.startswith("sqlite") else "golden/expected.txt"
    assert any(named in message for message in closed_world(verdict)), verdict["completeness"]


#: the rows three at a time: the verdict's message lists five files before "(+N more)"
FOLDS = [sorted(ROWS)[start:start + 3] for start in range(0, len(ROWS), 3)]


@pytest.mark.parametrize("rows", FOLDS, ids=["-".join(r[:12] for r in rows) for rows in FOLDS])
def test_ignored_files_read_by_other_spellings_are_incomplete_folded_xdist(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    rows: list[str],
) -> None:
    """Several rows at once under -n 2, each with a golden folder of its own (so no row's read
    stands in for another's): a read is placed in the worker that made it, and the controller's
    union of the workers' reads names each row's file."""
    folders = {row: f"golden_{row}" for row in rows}
    root = project({".gitignore": IGNORED[".gitignore"] + "".join(
        f"{folder}/\n" for folder in folders.values())}, later={
        f"tests/unit/test_row_{row}.py": (textwrap.dedent(HEAD) + textwrap.dedent(ROWS[row]))
        .replace("golden", folder) for row, folder in folders.items()})
    for folder in folders.values():
        golden(root, folder)
    run(pytester, ("-n", "2"))
    verdict = read_verdict()
    assert verdict["tiers"]["unit"]["passed"] == 1 + len(rows), verdict["tiers"]["unit"]
    assert verdict["decision"] == "incomplete", verdict["completeness"]
    found = closed_world(verdict)
    for row, folder in folders.items():
        named = f"{folder}/ref.db" if row.startswith("sqlite") else f"{folder}/expected.txt"
        assert any(named in message for message in found), (row, found)


TRACKED = """
    def test_links(tmp_path):
        (tmp_path / "data").symlink_to(GOLDEN)
        os.link(GOLDEN / "expected.txt", tmp_path / "hard.txt")
        assert (tmp_path / "data" / "expected.txt").read_text() == "4\\n"
        assert open("/proc/self/cwd/golden/expected.txt").read() == "4\\n"

    def test_programs(tmp_path):
        subprocess.run(["cp", "-r", "golden", str(tmp_path / "copy")], check=True)
        out = subprocess.run("cd golden && cat expected.txt", shell=True,
                             capture_output=True, text=True, check=True).stdout
        assert out == (tmp_path / "copy" / "expected.txt").read_text()

    def test_sqlite():
        db = sqlite3.connect((GOLDEN / "ref.db").as_uri() + "?mode=ro", uri=True)
        assert db.execute("select v from t").fetchone() == (4,)
"""


@pytest.mark.parametrize("mode", MODES)
def test_the_same_spellings_of_tracked_files_are_ready(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    golden(pytester.path)
    project({"tests/unit/test_row.py": HEAD + TRACKED})
    run(pytester, mode)
    verdict = read_verdict()
    assert (verdict["decision"], closed_world(verdict)) == ("ready", []), verdict["completeness"]


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[ImportRecorder]:
    """A recorder for a repository in ``tmp_path/repo`` (as an in-process run installs one),
    through the real audit hook."""
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    golden(tmp_path / "repo")
    recorder = ImportRecorder(str(tmp_path / "repo"), environment=())
    # the repository's files were there before the run: a file made within the kernel's
    # clock tick before the recorder started would otherwise be the run's own output
    newest = max(path.lstat().st_ctime_ns for path in (tmp_path / "repo").rglob("*"))
    recorder.started_ns = max(recorder.started_ns, newest + 1)
    recorder.install()
    try:
        yield recorder
    finally:
        recorder.uninstall()


def test_a_sqlite_uri_sqlite_would_not_place_is_named(
        tmp_path: Path, recorder: ImportRecorder) -> None:
    with pytest.raises(sqlite3.OperationalError):
        sqlite3.connect("file://server/share/ref.db?mode=ro", uri=True)
    assert [why for why in recorder.seen.unverifiable.values()] == [
        "a SQLite URI whose file cannot be placed: authority 'server' (SQLite opens only an "
        "empty one or localhost)"]


def test_a_link_made_outside_is_read_where_it_lands(
        tmp_path: Path, recorder: ImportRecorder) -> None:
    expected = os.path.realpath(tmp_path / "repo" / "golden" / "expected.txt")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "data").symlink_to(tmp_path / "repo" / "golden")
    assert expected not in recorder.seen.files
    assert (tmp_path / "outside" / "data" / "expected.txt").read_text() == "4\n"
    assert expected in recorder.seen.files
