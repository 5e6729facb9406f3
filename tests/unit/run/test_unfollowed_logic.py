"""Processes the closed world cannot follow (hostile case 121; ``run/unfollowed.py``): a
repository file run as a program that is not Python is named as unverifiable, unless the
project's tracked ``allow_options = ["process PATH"]`` vouches for it. End to end in
``test_closed_world.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run.unfollowed import (
    REASON,
    allowed,
    is_stream,
    program_kind,
    read_start,
    record,
    shell_scripts,
    started_words,
    unrecorded_python,
    unrecorded_reason,
    unreported,
    vouched,
)

if TYPE_CHECKING:
    from pathlib import Path

FILES = {
    "check.sh": b"#!/bin/sh\nexec python3 local.py\n",
    "env_bash": b"#!/usr/bin/env bash\necho hi\n",
    "tool": b"#!/usr/bin/env python3\nprint(1)\n",
    "script.py": b"print(1)\n",
    "binary": b"\x7fELF\x02\x01\x01" + bytes(20),
    "data.txt": b"not a program\n",
    "noshebang": b"echo hi\n",
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name, body in FILES.items():
        (tmp_path / name).write_bytes(body)
    return tmp_path


@pytest.mark.parametrize(("name", "by_shell", "kind"), [
    ("check.sh", False, "a sh script"),
    ("env_bash", False, "a bash script"),
    ("binary", False, "a compiled binary"),
    ("tool", False, None),  # Python: its file is hashed, the run follows it that far
    ("script.py", True, "a shell script"),  # `sh setup.py` runs shell code, whatever the name
    ("data.txt", False, None),  # a data file in an argument is an input, not a program
    ("noshebang", False, None),
    ("noshebang", True, "a shell script"),  # `sh noshebang`: the shell runs it
    ("missing", True, None),
])
def test_program_kind(tree: Path, name: str, by_shell: bool, kind: str | None) -> None:
    assert program_kind(str(tree / name), by_shell=by_shell) == kind


@pytest.mark.parametrize(("command", "named"), [
    (["check.sh"], ["check.sh"]),
    (["/bin/sh", "noshebang", "data.txt"], ["noshebang"]),
    (["bash", "check.sh"], ["check.sh"]),
    (["python3", "script.py", "data.txt"], []),
    (["env_bash", "binary"], ["env_bash", "binary"]),
    (["git", "status"], []),  # outside the repository: not the tree's code
    # hostile case 154: a shell's script without a `#!` line, as the audit event starts it
    (["/bin/sh", "-c", "noshebang"], ["noshebang"]),  # subprocess.run(..., shell=True)
    (["/usr/bin/sh", "noshebang"], ["noshebang"]),
    # hostile case 155: options before the script, the shell behind another program
    (["bash", "-e", "noshebang"], ["noshebang"]),
    (["bash", "--noprofile", "-o", "pipefail", "--", "noshebang", "data.txt"], ["noshebang"]),
    (["env", "sh", "noshebang"], ["noshebang"]),
    (["nice", "-n", "5", "bash", "noshebang"], ["noshebang"]),
    (["bash", "-ec", "FOO=1 ./noshebang data.txt && . ./noshebang"], ["noshebang"]),
    (["sh", "-c", "python3 script.py data.txt > data.txt"], []),  # Python's file, then data
    (["sh", "-c", "cat data.txt | sort"], []),
    # hostile case 157: what runs the file decides, not its name
    (["sh", "script.py"], ["script.py"]),
    (["python3", "script.py", "noshebang"], []),  # an argument of Python, not a program
    # hostile case 156: a shell given neither a script nor -c reads its commands from its
    # standard input (`stdin=open(x)`, `input=`), which no file and no argument shows
    (["sh"], ["sh <stdin>"]),
    (["/usr/bin/bash", "-s", "data.txt"], ["bash <stdin>"]),  # -s: the words are $1 ...
    (["bash", "-es"], ["bash <stdin>"]),
    (["sh", "-"], ["sh <stdin>"]),
    (["sh", "-e", "--"], ["sh <stdin>"]),
    (["env", "FOO=1", "nice", "-n", "5", "bash"], ["bash <stdin>"]),
    (["bash", "--version"], []),  # reads no commands
    (["which", "sh"], []),  # a shell named as another program's argument is not started
    (["sh", "-c", "cat data.txt | sh -e"], ["sh <stdin>"]),
    (["sh", "-c", "sh < noshebang"], ["noshebang"]),  # the redirected file is its script
    (["sh", "-c", "bash <<EOF\necho hi\nEOF\n"], []),  # a here-document: the string's own
    # hostile case 193: a stream given as the script, a computed eval, a restricted shell
    (["sh", "/dev/stdin"], ["sh <stdin>"]),
    (["bash", "/proc/self/fd/0"], ["bash <stdin>"]),
    (["bash", "-c", ". /dev/stdin"], ["sh <stdin>"]),
    (["sh", "-c", 'eval "$(cat)"'], ["sh <stdin>", "sh <computed>"]),
    (["sh", "-c", "eval ./noshebang; cat data.txt"], ["noshebang"]),  # a literal: read as is
    (["rbash"], ["rbash <stdin>"]),
])
def test_record_names_the_programs_of_the_repository(tree: Path, command: list[str],
                                                       named: list[str]) -> None:
    found: dict[str, str] = {}

    def resolve(token: str) -> str | None:
        path = tree / token  # the recorder's rule: only paths under the repository
        return str(path) if path.exists() and path.is_relative_to(tree) else None

    record(command, resolve, found)
    assert sorted(found) == sorted(name if is_stream(name) else str(tree / name)
                                   for name in named)
    assert all(why.startswith(REASON) for why in found.values())


@pytest.mark.parametrize(("command", "scripts"), [
    ("noshebang", ["noshebang"]),  # os.system: a shell runs the command
    ("sh noshebang > /dev/null 2>&1", ["noshebang"]),
    ("cd x; exec ./run.sh <in.txt", ["cd", "./run.sh"]),
    ("A=1 B=2 bash -x ./run.sh", ["./run.sh"]),
    ("echo hi >> out.txt || source ./env.sh", ["echo", "./env.sh"]),
    ("cd x\n./run.sh --fast\n", ["cd", "./run.sh"]),  # each line starts a command
    ("cat x.sh | sh", ["cat", "sh <stdin>"]),
    ("sh > log.txt 2>&1; echo", ["sh <stdin>", "echo"]),
    ("sh -e < ./run.sh > out.txt", ["./run.sh"]),
    ("sh\n", ["sh <stdin>"]),
    ("eval `cat`; ./run.sh", ["sh <computed>", "sh <stdin>", "./run.sh"]),  # case 193
    ("source /dev/fd/0", ["sh <stdin>"]),
    ("bash <<< './run.sh --fast'", ["./run.sh"]),  # a literal here-string: read as commands
])
def test_a_command_string_is_read_as_the_shell_reads_it(command: str, scripts: list[str]) -> None:
    assert shell_scripts([command], command=True) == scripts


def test_the_started_program_is_the_executable_not_the_name_in_argv() -> None:
    assert started_words(["/bin/sh", "sh", "-c", "x"]) == ["/bin/sh", "-c", "x"]
    assert started_words([None, "sh", "x"]) == ["sh", "x"]
    assert started_words([None, "echo hi"]) == ["echo hi"]  # os.system's command


def test_the_project_vouches_for_a_program_by_its_path() -> None:
    unverifiable = {"/r/scripts/check.sh": f"{REASON} (a sh script): ...",
                    "/r/other.sh": f"{REASON} (a sh script): ...",
                    "bash <stdin>": f"{REASON} (bash reading its commands from its ...",
                    "/r/scripts/mod.pyc": "bytecode without its source"}
    paths = allowed(["-p xdist", "process scripts/check.sh", "process /other.sh/",
                     "process bash <stdin>"])
    assert paths == {"scripts/check.sh", "other.sh", "bash <stdin>"}
    assert vouched(unverifiable, lambda real: real.removeprefix("/r/"), paths) == {
        "/r/scripts/mod.pyc": "bytecode without its source"}
    assert vouched(unverifiable, lambda real: real.removeprefix("/r/"),
                   allowed([])) == unverifiable


RUN = {"PYRAMID_RECORD_SPOOL": "run", "PATH": "/bin"}


@pytest.mark.parametrize(("words", "environ", "key"), [
    # hostile case 175: a Python child that runs the .pth line but finds no run to follow
    (["/v/bin/python", "-c", "x"], {"PATH": "/bin"}, "python <unrecorded>"),  # env={...}
    (["env", "-i", "/usr/bin/python3", "-c", "x"], RUN, "python <unrecorded>"),
    (["env", "--ignore-environment", "python3.11", "x.py"], RUN, "python <unrecorded>"),
    (["env", "-u", "PYRAMID_RECORD_SPOOL", "python", "x.py"], RUN, "python <unrecorded>"),
    (["env", "--unset=PYRAMID_RECORD_SPOOL", "python", "x.py"], RUN, "python <unrecorded>"),
    (["env", "-uPYRAMID_RECORD_SPOOL", "python", "x.py"], RUN, "python <unrecorded>"),
    (["env", "PYRAMID_RECORD_SPOOL=forged", "python", "x.py"], RUN, "python <unrecorded>"),
    (["nice", "env", "-i", "python", "x.py"], RUN, "python <unrecorded>"),
    (["python", "x.py"], {"PYRAMID_RECORD_SPOOL": "an outer run's"}, "python <unrecorded>"),
    ([b"python", "x.py"], {b"PATH": b"/bin"}, "python <unrecorded>"),  # bytes (os.exec)
    # followed: the run's value, or not a Python interpreter
    (["/v/bin/python", "-c", "x"], RUN, None),
    (["python", "x.py"], {"PYRAMID_RECORD_SPOOL": "nested"}, None),  # an inner run's own
    (["env", "-i", "PYRAMID_RECORD_SPOOL=run", "python", "x.py"], RUN, None),
    (["env", "-u", "OTHER", "python", "x.py"], RUN, None),
    (["env", "-i", "git", "status"], RUN, None),
    # a shell's command string is read with the shell's environment (issue 19)
    (["sh", "-c", "python x.py"], {}, "python <unrecorded>"),
    (["sh", "-c", "python x.py"], RUN, None),
    (["env"], {}, None),
])
def test_a_python_child_without_the_runs_variable_is_named(
        words: list[str], environ: dict[str, str], key: str | None) -> None:
    words = [w.decode() if isinstance(w, bytes) else w for w in words]
    assert unrecorded_python(words, environ, "PYRAMID_RECORD_SPOOL", ["run", "nested"]) == key
    if key is not None:  # keyed by what ran, not a path; vouched for as a process
        assert is_stream(key)
        reason = unrecorded_reason(key, "PYRAMID_RECORD_SPOOL")
        assert reason.startswith(REASON)
        assert "PYRAMID_RECORD_SPOOL" in reason
        assert vouched({key: reason}, lambda real: "/placed/" + real,
                       allowed([f"process {key}"])) == {}


#: issue 19: programs known by what they are, not by their names (``run/programs.py``).
#: ``{sh}``: a copy of /bin/sh under another name, ``{py}``: a copy of this interpreter,
#: ``{link}``: a symlink to it called ``runner``
PROGRAM_ROWS = [
    # a shell copied under another name, reading its standard input
    (["{sh}", "-s"], RUN, "stdin"),
    (["{sh}"], RUN, "stdin"),
    # wrappers with options, by their grammar
    (["nice", "-n", "5", "sh"], RUN, "stdin"),
    (["timeout", "10", "sh"], RUN, "stdin"),
    (["timeout", "-s", "KILL", "-k", "5", "10", "bash", "-s"], RUN, "stdin"),
    (["env", "-S", "sh -s"], RUN, "stdin"),
    (["stdbuf", "-o0", "sh"], RUN, "stdin"),
    (["setsid", "-w", "sh"], RUN, "stdin"),
    (["ionice", "-c", "3", "sh"], RUN, "stdin"),
    (["taskset", "1", "sh"], RUN, "stdin"),
    (["chrt", "-f", "10", "sh"], RUN, "stdin"),
    (["xargs", "-n", "1", "sh"], RUN, "stdin"),
    (["flock", "lock", "sh"], RUN, "stdin"),
    (["flock", "lock", "-c", "sh -s"], RUN, "stdin"),
    (["busybox", "sh"], RUN, "stdin"),
    (["strace", "-f", "sh"], RUN, "stdin"),  # a wrapper no table knows: what it runs
    (["command", "-v", "sh"], RUN, None),  # runs nothing
    (["ls", "-l", "/bin/sh"], RUN, None),  # the host's ls runs none of its arguments
    # nested command strings
    (["sh", "-c", "timeout 10 {sh} -s"], RUN, "stdin"),
    (["bash", "-c", "exec -a foo sh -s"], RUN, "stdin"),
    (["sh", "-c", "sh -c 'nice -n 5 bash -s'"], RUN, "stdin"),
    (["sh", "-c", "echo `sh -s`"], RUN, "stdin"),  # a command substitution's own command
    (["bash", "-c", 'sh <<< "$(cat)"'], RUN, "stdin"),  # a computed here-string
    (["xargs", "-I{{}}", "sh", "-c", "{{}}"], RUN, "stdin"),  # the command string is the input
    # Python interpreters under other names, behind wrappers, in command strings
    (["{py}", "-c", "x"], {"PATH": "/bin"}, "python"),
    (["{link}", "x.py"], {"PATH": "/bin"}, "python"),
    (["{exe}", "x.py"], RUN, None),  # this run's own interpreter, with the run's variable
    # with the variable, but not running the line: a link or copy outside this environment
    # (no pyvenv.cfg beside it: the base installation, where pytest-pyramid is not
    # installed), or without site
    (["{link}", "x.py"], RUN, "python"),
    (["{py}", "x.py"], RUN, "python"),
    (["{exe}", "-S", "x.py"], RUN, "python"),
    (["{exe}", "-X", "dev", "-Sc", "x"], RUN, "python"),
    (["{exe}", "-c", "x", "-S"], RUN, None),  # -S is the script's argument here
    (["nice", "-n", "5", "python3", "x.py"], {"PATH": "/usr/bin:/bin"}, "python"),
    (["env", "-S", "python3 -c x"], {"PATH": "/usr/bin:/bin"}, "python"),
    (["env", "-S", "-i python3 -c x"], RUN, "python"),
    (["sh", "-c", "env -i python3 x.py"], RUN, "python"),
    (["sh", "-c", "unset PYRAMID_RECORD_SPOOL; python3 x.py"], RUN, "python"),
    (["sh", "-c", "PYRAMID_RECORD_SPOOL= {link} x.py"], RUN, "python"),
    (["sh", "-c", "exec -c python3 x.py"], RUN, "python"),  # exec -c: an empty environment
    (["sh", "-c", "cd x && {exe} x.py"], RUN, None),  # the run's variable kept: followed
]


@pytest.fixture
def copies(tmp_path: Path) -> dict[str, str]:
    """Real files: /bin/sh and this interpreter copied under other names, and a link."""
    import shutil
    import sys

    shutil.copy("/bin/sh", tmp_path / "x")
    shutil.copy(sys.executable, tmp_path / "tool")
    (tmp_path / "runner").symlink_to(sys.executable)
    return {"sh": str(tmp_path / "x"), "py": str(tmp_path / "tool"),
            "link": str(tmp_path / "runner"), "exe": sys.executable}


@pytest.mark.parametrize(("words", "environ", "named"), PROGRAM_ROWS)
def test_programs_are_known_by_what_they_are(
        copies: dict[str, str], tmp_path: Path, words: list[str], environ: dict[str, str],
        named: str | None) -> None:
    """A shell reading its standard input, or a Python interpreter without the run's
    variable, is named whatever it is called, behind whichever wrapper, in a command string
    inside a command string; the key says what ran (a copy of dash is ``dash``)."""
    words = [word.format(**copies) for word in words]
    found: dict[str, str] = {}
    reading = read_start(words, environ, str(tmp_path))
    record(words, lambda _: None, found, reading=reading)
    python = unrecorded_python(words, environ, "PYRAMID_RECORD_SPOOL", ["run"],
                               reading=reading)
    if named == "stdin":  # a computed command string is named as well (hostile case 266)
        assert sorted(key.split()[1] for key in found if key != "sh <computed>") == [
            "<stdin>"], found
        assert python is None
    elif named is None:
        assert (found, python) == ({}, None)
    else:
        assert (found, python) == ({}, f"{named} <unrecorded>")


def test_a_copied_shell_is_keyed_by_what_it_is(copies: dict[str, str], tmp_path: Path) -> None:
    """A copy of /bin/sh called ``x`` is the host's shell it copies (dash on Debian), so an
    entry vouching for ``sh <stdin>`` does not vouch for it; ``sh`` itself keeps its name."""
    import os

    found: dict[str, str] = {}
    record([copies["sh"], "-s"], lambda _: None, found)
    record(["sh"], lambda _: None, found)
    assert sorted(found) == sorted({f"{os.path.basename(os.path.realpath('/bin/sh'))} <stdin>",
                                    "sh <stdin>"})


@pytest.mark.parametrize(("expected", "started", "named"), [
    (0, 0, False),  # no Python child meant to be followed
    (2, 2, False),  # every one reported
    (1, 3, False),  # more records: a shell's loop, a re-exec (never fewer starts than seen)
    (2, 1, True),  # one never reported (hostile case 299: started as another account)
    (1, 0, True),
])
def test_python_children_the_run_meant_to_follow_that_never_reported_are_named(
    expected: int, started: int, named: bool,
) -> None:
    found = unreported(expected, started)
    assert (found is not None) is named
    if found is not None:
        key, why = found
        assert key == "python <unreported>"
        assert is_stream(key)
        assert f"{expected - started} of the {expected}" in why


def test_the_vouch_for_unrecorded_children_does_not_cover_unreported_ones() -> None:
    """Children the run meant to follow that never reported are not children started
    without the recorder: only the project's own ``process python <unreported>`` covers
    them (hostile case 299 d)."""
    key, why = unreported(1, 0) or ("", "")
    entries = {key: why, "python <unrecorded>": unrecorded_reason("python <unrecorded>", "V")}
    kept = vouched(entries, lambda path: path, allowed(["process python <unrecorded>"]))
    assert list(kept) == [key]
    kept = vouched(entries, lambda path: path, allowed(["process python <unreported>"]))
    assert list(kept) == ["python <unrecorded>"]
