"""Processes the closed world cannot follow (hostile case 121).

The recorder (``run/imported.py``) is an audit hook of the run's own Python processes: it
sees every file they open, import or hand to a process they start, and forked children
through a spool. It does not see inside a process started from a program: what a shell
script, a binary or another interpreter opens or starts in turn is invisible (a tracked
``scripts/check.sh`` that runs a git-ignored ``local_check.py``). No mechanism reaches those
grandchildren without changing the environment every child of the run inherits (an
``LD_PRELOAD`` or ``ptrace`` tracer for any program, a ``sitecustomize`` on ``PYTHONPATH``
for Python ones), which would also reach the project's own nested runs and tools.

So the limit is named instead of guessed over: a file of the repository *run as a program
that is not Python* - an executable with a ``#!`` line for another interpreter, a compiled
binary, or any file handed to a shell as its script - is code of the tree whose own process
starts are not followed. It becomes an *unverifiable* entry of the closed world (the run is
``incomplete``, naming it) unless the project's tracked configuration vouches for it:
``[tool.pyramid] allow_options = ["process scripts/check.sh"]``.

What stays unseen, and is documented so (docs/verdict.md): what a Python child process
imports or opens (its script and module arguments are hashed, its own imports are not,
unless it runs this plugin itself), and what a program from outside the repository (``git``,
``nginx``, ``sh -c`` with an inline command) reads. Pure: no pytest import.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

#: programs that run the file they are given as a script of their own language
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox"})
#: the start of every reason this module gives: the allowance strips it by this prefix
REASON = "run as a program of its own"
#: an ``allow_options`` entry vouching for a program: "process PATH" (relative to the top)
ALLOW_PREFIX = "process "
_HEAD = 256


def program_kind(real: str, *, by_shell: bool) -> str | None:
    """What kind of program the file is when it is run, or None when the run's recorder
    follows it (a Python script: its file is hashed; a data file named in an argument)."""
    try:
        with open(real, "rb") as handle:
            head = handle.read(_HEAD)
    except OSError:
        return None
    if head.startswith(b"\x7fELF"):
        return "a compiled binary"
    if head.startswith(b"#!"):
        line = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        words = line.split()
        interpreter = os.path.basename(words[-1] if words[:1] and words[0].endswith("/env")
                                       and len(words) > 1 else words[0]) if words else "?"
        if interpreter.startswith("python"):
            return None
        return f"a {interpreter} script"
    if by_shell and not real.endswith((".py", ".pyw")):
        return "a shell script"
    return None


def is_shell(program: str | None) -> bool:
    return program is not None and os.path.basename(program) in SHELLS


def record(tokens: Iterable[str], resolve: Callable[[str], str | None],
           unverifiable: dict[str, str]) -> None:
    """Each token of a started command that names a repository file run as a program of
    its own: recorded as unverifiable (``resolve``: the recorder's path rule, None for a
    path that is not the project's). The first token is the program."""
    shell = False
    for at, token in enumerate(tokens):
        if at == 0:
            shell = is_shell(token)
        real = resolve(token)
        if real is None or real in unverifiable:
            continue
        kind = program_kind(real, by_shell=shell and at == 1)  # the shell's script
        if kind is not None:
            unverifiable[real] = (f"{REASON} ({kind}): the processes it starts are not "
                                  "followed, so the code they run is not known; the tracked "
                                  "allow_options = [\"process PATH\"] vouches for it")


def allowed(allow: Iterable[str]) -> frozenset[str]:
    """The repository paths the project vouches for with ``allow_options = ["process
    PATH"]``."""
    return frozenset(entry[len(ALLOW_PREFIX):].strip().strip("/") for entry in allow
                     if entry.startswith(ALLOW_PREFIX))


def vouched(unverifiable: Mapping[str, str], relative: Callable[[str], str],
            paths: frozenset[str]) -> dict[str, str]:
    """``unverifiable`` without the programs the project vouched for."""
    return {real: why for real, why in unverifiable.items()
            if not (why.startswith(REASON) and relative(real) in paths)}
