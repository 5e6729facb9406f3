"""Where a read lands (run/landing.py): SQLite's ``file:`` URI by SQLite's rules, and a
command string's words placed after its literal ``cd``s (hostile cases 300 and 305)."""

from __future__ import annotations

import pytest

from pytest_pyramid.run.imported import _argument_folders
from pytest_pyramid.run.landing import (
    SqliteFiles,
    Word,
    child_spelling,
    command_words,
    sqlite_files,
)
from pytest_pyramid.run.programs import Start, environment


@pytest.mark.parametrize(
    ("database", "files"),
    [
        ("golden/ref.db", SqliteFiles(["golden/ref.db"])),
        (":memory:", SqliteFiles([])),
        ("", SqliteFiles([])),
        # the event does not say uri=True: the string as a file name, and the URI's path
        ("file:golden/ref.db", SqliteFiles(["file:golden/ref.db", "golden/ref.db"])),
        ("file:golden/ref.db?mode=ro", SqliteFiles(["file:golden/ref.db?mode=ro",
                                                    "golden/ref.db"])),
        ("file:///srv/app/golden/ref.db?immutable=1",  # Path.as_uri(): absolute
         SqliteFiles(["file:///srv/app/golden/ref.db?immutable=1", "/srv/app/golden/ref.db"])),
        ("file://localhost/srv/ref.db", SqliteFiles(["file://localhost/srv/ref.db",
                                                     "/srv/ref.db"])),
        ("file:/srv/ref.db#part", SqliteFiles(["file:/srv/ref.db#part", "/srv/ref.db"])),
        ("FILE:ref.db", SqliteFiles(["FILE:ref.db", "ref.db"])),  # the scheme without case
        # percent-decoding: %HH is the byte, %00 ends the part, a stray % is itself
        ("file:golden/r%65f.db?mode=ro", SqliteFiles(["file:golden/r%65f.db?mode=ro",
                                                      "golden/ref.db"])),
        ("file:my%20data.db", SqliteFiles(["file:my%20data.db", "my data.db"])),
        ("file:ref.db%00.txt", SqliteFiles(["file:ref.db%00.txt", "ref.db"])),
        ("file:ref%zz.db", SqliteFiles(["file:ref%zz.db", "ref%zz.db"])),
        # no file: in memory, a temporary database
        ("file::memory:", SqliteFiles(["file::memory:"])),
        ("file:ref.db?mode=memory", SqliteFiles(["file:ref.db?mode=memory"])),
        ("file:ref.db?mode=%6demory", SqliteFiles(["file:ref.db?mode=%6demory"])),
        ("file:", SqliteFiles(["file:"])),
        # an authority SQLite does not open on this host: named, never skipped
        ("file://server/share/ref.db", SqliteFiles(
            ["file://server/share/ref.db"],
            "authority 'server' (SQLite opens only an empty one or localhost)")),
    ],
)
def test_the_files_a_sqlite_connection_may_read(database: str, files: SqliteFiles) -> None:
    assert sqlite_files(database) == files


@pytest.mark.parametrize(
    ("text", "placed"),
    [
        ("cat expected.txt", [("cat", "/r", "cat"), ("expected.txt", "/r", "cat")]),
        ("cd golden && cat expected.txt",
         [("cd", "/r", "cd"), ("golden", "/r", "cd"),
          ("cat", "/r/golden", "cat"), ("expected.txt", "/r/golden", "cat")]),
        ("cd /abs; cat x", [("cd", "/r", "cd"), ("/abs", "/r", "cd"),
                            ("cat", "/abs", "cat"), ("x", "/abs", "cat")]),
        ("cd -P a/b\ncat x", [("cd", "/r", "cd"), ("-P", "/r", "cd"), ("a/b", "/r", "cd"),
                              ("cat", "/r/a/b", "cat"), ("x", "/r/a/b", "cat")]),
        # a subshell gives its folder back
        ("(cd a && cat x); cat y", [("cd", "/r", "cd"), ("a", "/r", "cd"),
                                    ("cat", "/r/a", "cat"), ("x", "/r/a", "cat"),
                                    ("cat", "/r", "cat"), ("y", "/r", "cat")]),
        ("pushd a; cat x; popd; cat y",
         [("pushd", "/r", "pushd"), ("a", "/r", "pushd"), ("cat", "/r/a", "cat"),
          ("x", "/r/a", "cat"), ("popd", "/r/a", "popd"), ("cat", "/r", "cat"),
          ("y", "/r", "cat")]),
        ("cd; cat x", [("cd", "/r", "cd"), ("cat", "/home/u", "cat"), ("x", "/home/u", "cat")]),
        ("cd - && cat x", [("cd", "/r", "cd"), ("-", "/r", "cd"),  # the folder before: kept
                           ("cat", "/r", "cat"), ("x", "/r", "cat")]),
        ("X=a/b cp -r golden out", [("X=a/b", "/r", ""), ("cp", "/r", "cp"), ("-r", "/r", "cp"),
                                    ("golden", "/r", "cp"), ("out", "/r", "cp")]),
        ("sort <data.txt | uniq", [("sort", "/r", "sort"), ("data.txt", "/r", "sort"),
                                   ("uniq", "/r", "uniq")]),
    ],
)
def test_a_command_strings_words_are_placed_after_its_cd(
    text: str, placed: list[tuple[str, str, str]]
) -> None:
    assert command_words(text, "/r", "/home/u") == [Word(*entry) for entry in placed]


@pytest.mark.parametrize(
    ("word", "spelled"),
    [
        ("expected.txt", "expected.txt"),
        ("/proc/self/cwd/expected.txt", "/r/golden/expected.txt"),  # the child's own folder
        ("/proc/thread-self/cwd/a/b", "/r/golden/a/b"),
        ("/proc/self/root/etc/hosts", "/etc/hosts"),
        ("/proc/self/fd/3", "/proc/self/fd/3"),  # a descriptor: left as it is
        ("/proc/1/cwd/x", "/proc/1/cwd/x"),  # another process's: the parent resolves it
    ],
)
def test_a_childs_own_proc_entries_are_its_own(word: str, spelled: str) -> None:
    assert child_spelling(word, "/r/golden") == spelled


def _start(words: list[str], cwd: str) -> Start:
    return Start(None, words[0], words, environment({}), cwd=cwd)


@pytest.mark.parametrize(
    ("texts", "top", "placed"),
    [
        # no wrapper moved the child: every word in the start's folder
        (["cat", "x"], _start(["cat", "x"], "/r"), [("cat", "/r", "cat"), ("x", "/r", "cat")]),
        # env -C DIR: the wrapped program's arguments in DIR, the wrapper's words where it starts
        (["env", "-C", "golden", "cat", "x"], _start(["cat", "x"], "/r/golden"),
         [("env", "/r", "env"), ("-C", "/r", "env"), ("golden", "/r", "env"),
          ("cat", "/r", "env"), ("x", "/r/golden", "cat")]),
        # words the wrapper rewrote (env -S): each word in both folders
        (["env", "-C", "g", "-S", "cat x"], _start(["cat", "x"], "/r/g"),
         [(w, f, "cat") for w in ("env", "-C", "g", "-S", "cat x") for f in ("/r", "/r/g")]),
    ],
)
def test_a_starts_words_are_placed_in_the_childs_folder(
    texts: list[str], top: Start, placed: list[tuple[str, str, str]]
) -> None:
    assert _argument_folders(texts, "/r", top) == [Word(*entry) for entry in placed]
