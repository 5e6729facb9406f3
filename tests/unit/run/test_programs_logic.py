"""Programs the closed world does not follow, known by what they are (``run/programs.py``,
``run/unfollowed.py``): hostile case 258 (a copy of the interpreter or of ``/bin/sh`` one
byte longer is no known program: named by its path unless it is the host's installed
software) and case 266 (a shell command string whose words are computed at run time, another
interpreter given its program inline: named, since the files they open are not known)."""

from __future__ import annotations

import os
import shutil
import sys
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run import programs
from pytest_pyramid.run.unfollowed import (
    REASON,
    allowed,
    computed_words,
    is_stream,
    read_start,
    record,
    unrecorded_python,
    vouched,
)

if TYPE_CHECKING:
    from pathlib import Path

RUN = {"PYRAMID_RECORD_SPOOL": "run", "PATH": "/usr/bin:/bin"}


@pytest.fixture
def made(tmp_path: Path) -> dict[str, str]:
    """Real programs outside the host's installed software: copies of this interpreter and
    of /bin/sh, one byte longer (an ELF runs the same), under their own and other names."""
    folder = tmp_path / "bin"
    folder.mkdir()
    real = os.path.realpath(sys.executable)
    found = {"exe": sys.executable, "dir": str(folder)}
    for name, source, extra in [("py", real, b""), ("py1", real, b"\0"),
                                ("python3", real, b"\0"), ("sh1", "/bin/sh", b"\0"),
                                ("sh", real, b"\0")]:
        shutil.copy(source, folder / name)
        with open(folder / name, "ab") as handle:
            handle.write(extra)
        found[name] = str(folder / name)
    return found


def _unknown(path: str) -> str:
    return f"{os.path.realpath(path)} <unrecorded>"


#: (words, environment, the entries): ``{name}`` is a program of :func:`made`; ``UNKNOWN:``
#: the started program outside the host's software, named by its path
COPY_ROWS = [
    # hostile case 258 b, c: one byte longer, so no size matches; behind wrappers, in
    # command strings, under a known program's name
    (["{py1}", "-c", "print(open('golden/x').read())"], RUN, ["UNKNOWN:py1"]),
    (["{sh1}"], RUN, ["UNKNOWN:sh1"]),
    (["{sh1}", "-c", "cat golden/x"], RUN, ["UNKNOWN:sh1"]),
    (["nice", "-n", "5", "{py1}", "x.py"], RUN, ["UNKNOWN:py1"]),
    (["env", "-i", "{sh1}", "-s"], RUN, ["UNKNOWN:sh1"]),
    (["sh", "-c", "cd /tmp && {sh1} -s"], RUN, ["UNKNOWN:sh1"]),
    (["{python3}", "x.py"], RUN, ["UNKNOWN:python3"]),  # named like Python, not known as it
    (["{sh}", "-c", "print(1)"], RUN, ["UNKNOWN:sh"]),  # named like a shell: Python + 1 byte
    (["python3", "x.py"], {**RUN, "PATH": "{dir}"}, ["UNKNOWN:python3"]),  # through PATH
    # controls: a same-size copy is known by its bytes (case 240: python without the run's
    # recorder); the host's and this run's programs are not named
    (["{py}", "x.py"], {"PATH": "/bin"}, ["python <unrecorded>"]),
    (["{exe}", "x.py"], RUN, []),
    (["cat", "golden/x"], RUN, []),
    (["sh", "-c", "ls && git status"], RUN, []),
    (["/usr/bin/env", "true"], RUN, []),
]


@pytest.mark.parametrize(("words", "environ", "named"), COPY_ROWS)
def test_a_program_not_known_outside_the_hosts_software_is_named(
        made: dict[str, str], tmp_path: Path, words: list[str], environ: dict[str, str],
        named: list[str]) -> None:
    words = [word.format(**made) for word in words]
    environ = {key: value.format(**made) for key, value in environ.items()}
    found: dict[str, str] = {}
    reading = read_start(words, environ, str(tmp_path))
    record(words, lambda _: None, found, reading=reading)
    python = unrecorded_python(words, environ, "PYRAMID_RECORD_SPOOL", ["run"],
                               reading=reading)
    keys = sorted([*found, *([python] if python else [])])
    assert keys == sorted(_unknown(made[key[8:]]) if key.startswith("UNKNOWN:") else key
                          for key in named)
    for key in found:  # keyed by what ran, vouched for as a process by the same key
        assert is_stream(key)
        assert found[key].startswith(REASON)
        assert f'"process {key}"' in found[key]
        assert vouched({key: found[key]}, lambda real: "placed/" + real,
                       allowed([f"process {key}"])) == {}


def test_a_repository_program_reached_through_path_is_named_by_its_path(
        tmp_path: Path) -> None:
    """A compiled program of the repository, started by a bare word through ``PATH``: the
    repository's own program, named by its path as case 121 names it (not as an unknown)."""
    binary = tmp_path / "tools" / "check"
    binary.parent.mkdir()
    shutil.copy("/bin/true", binary)
    with open(binary, "ab") as handle:
        handle.write(b"\0")
    found: dict[str, str] = {}

    def resolve(token: str) -> str | None:
        path = tmp_path / token
        return str(path) if path.exists() and path.is_relative_to(tmp_path) else None

    environ = {"PATH": f"{binary.parent}:/usr/bin:/bin"}
    record(["check"], resolve, found, reading=read_start(["check"], environ, str(tmp_path)))
    assert list(found) == [str(binary)]
    assert "a compiled binary" in found[str(binary)]


@pytest.mark.parametrize(("path", "host"), [
    ("/usr/bin/awk", True),
    ("/bin/sh", True),
    ("/usr/lib/postgresql/15/bin/postgres", True),  # the host's packages: under /usr
    (sys.executable, True),  # this run's environment
    ("/tmp/bin/tool", False),
    ("/root/.cache/tool", False),
    ("/usrx/bin/tool", False),  # a prefix of a name is not the folder
])
def test_the_hosts_installed_software(path: str, host: bool) -> None:
    assert programs.host_program(path) is host


#: hostile case 266: another interpreter given its program on the command line
INLINE_ROWS = [
    (["awk", 'BEGIN { f = "golden/" "x"; getline l < f; print l }'], ["awk <inline>"]),
    (["awk", "-F:", "{print $1}", "f"], ["awk <inline>"]),
    (["awk", "-v", "x=1", "{print x}", "f"], ["awk <inline>"]),
    (["gawk", "--source", "BEGIN{}", "-f", "p.awk"], ["awk <inline>"]),
    (["mawk", "-W", "interactive", "{print}"], ["awk <inline>"]),
    (["perl", "-e", "open F, '<', 'golden/x'"], ["perl <inline>"]),
    (["perl", "-ne", "print"], ["perl <inline>"]),
    (["perl", "-Mstrict", "-wE", "say 1"], ["perl <inline>"]),
    (["perl"], ["perl <stdin>"]),  # its program from its standard input
    (["ruby", "-rjson", "-e", "x"], ["ruby <inline>"]),
    (["node", "--eval=require('fs')"], ["node <inline>"]),
    (["nodejs", "-pe", "1"], ["node <inline>"]),
    (["sed", "r golden/x"], ["sed <inline>"]),
    (["sed", "-n", "-e", "1p", "f"], ["sed <inline>"]),
    (["php", "-r", "echo 1;"], ["php <inline>"]),
    (["env", "-i", "perl", "-e", "1"], ["perl <inline>"]),  # behind a wrapper
    (["sh", "-c", "awk 'BEGIN{}' && echo"], ["awk <inline>"]),  # in a command string
    # controls: a program file is an argument (its literal name is read by the read rule),
    # or the program runs none
    (["awk", "-f", "prog.awk", "data"], []),
    (["sed", "-f", "s.sed", "f"], []),
    (["perl", "-Ilib", "x.pl"], []),
    (["perl", "--version"], []),
    (["node", "x.js"], []),
    (["cat", "golden/x"], []),
    (["sort", "-k", "2", "f"], []),
]


@pytest.mark.parametrize(("words", "named"), INLINE_ROWS)
def test_an_interpreters_inline_program_is_named(tmp_path: Path, words: list[str],
                                                 named: list[str]) -> None:
    found: dict[str, str] = {}
    record(words, lambda _: None, found,
           reading=read_start(words, {"PATH": "/usr/bin:/bin"}, str(tmp_path)))
    assert sorted(found) == named
    assert all(is_stream(key) and why.startswith(REASON) for key, why in found.items())


@pytest.mark.parametrize(("text", "computed"), [
    ('d=golden; cat "$d/expected.txt"', True),  # hostile case 266 f
    ("cat ${d}/x", True),
    ("cat $(echo golden)/x", True),
    ("echo $((1 + 2))", True),
    ("cat `echo golden`/x", True),
    ("cat $'\\x67olden/x'", True),  # ANSI-C quoting hides the name from the literal words
    ("cat $1", True),
    ("cat {golden,other}/x", True),  # bash's brace expansion
    ("cat x{1..3}", True),
    ('cat "golden/x"', False),
    ("cat 'golden/$d'", False),  # single quotes: literal
    ("echo \\$HOME", False),  # escaped
    ("echo $", False),
    ("{ cat x; } > out", False),  # a group, not an expansion
    ("python x.py && git status", False),
])
def test_a_command_string_with_computed_words(text: str, computed: bool) -> None:
    assert computed_words(text) is computed
    found: dict[str, str] = {}
    record(["sh", "-c", text], lambda _: None, found)
    assert ("sh <computed>" in found) is computed


@pytest.mark.parametrize(("key", "stream"), [
    ("/tmp/bin/tool <unrecorded>", True),
    ("awk <inline>", True),
    ("sh <computed>", True),
    ("sh <stdin>", True),
    ("/r/scripts/check.sh", False),
    ("a/b <inline>", False),  # a relative path is a file of the tree
    ("/r/x <stdin>", False),
    ("<inline>", False),
])
def test_entries_that_name_no_file_of_the_tree(key: str, stream: bool) -> None:
    assert is_stream(key) is stream
