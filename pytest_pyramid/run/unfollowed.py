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

A shell started with neither a script nor ``-c`` (``["sh"]`` with ``stdin=``, ``bash -s``,
``cat x | sh``) runs commands no file names and no argument shows (hostile case 156): by the
same allow-list it is an unverifiable entry too, keyed by what ran, not by a path
(``"sh <stdin>"``: :func:`stdin_key`; every consumer of the entries shows such a key as it
is, :func:`placed`), and vouched for the same way: ``allow_options = ["process sh <stdin>"]``.
When a command string feeds the shell a file (``sh < x``), that file is its script.

What stays unseen, and is documented so (docs/verdict.md): what a Python child process
imports or opens (its script and module arguments are hashed, its own imports are not,
unless it runs this plugin itself), and what a program from outside the repository (``git``,
``nginx``, ``sh -c`` with an inline command) reads. Pure: no pytest import.
"""

from __future__ import annotations

import os
import shlex
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

#: programs that run the file they are given as a script of their own language
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash",
                    # restricted and other shells read their commands the same way (hostile
                    # case 193 h: Debian's rbash)
                    "rbash", "rksh", "rzsh", "posh", "yash", "lksh", "pdksh"})
#: a script path that is no file of any tree: the shell reads a stream (its own standard
#: input, a descriptor, a pipe: ``sh /dev/stdin``, ``. /proc/self/fd/0``; hostile case 193)
_STREAM_PREFIXES = ("/dev/", "/proc/")
#: the start of every reason this module gives: the allowance strips it by this prefix
REASON = "run as a program of its own"
#: an ``allow_options`` entry vouching for a program: "process PATH" (relative to the top)
ALLOW_PREFIX = "process "
_HEAD = 256
#: a shell's options that take the next word as their value (bash's ``-o pipefail``)
_VALUED = frozenset({"-o", "+o", "-O", "+O"})
#: a shell's options whose value is a file it sources: a script of the shell
_SOURCING = frozenset({"--rcfile", "--init-file"})
#: words of a shell command string after which the next word is still the command
_BUILTINS = frozenset({"exec", "command", "time", "nohup", "env", "nice"})
#: the characters of a shell's operators (shlex's punctuation): ``;`` ``&&`` ``|`` ``<`` ...
_OPERATOR_CHARS = frozenset("();<>|&")
#: programs that start the program named after their options as theirs (``env sh``): a
#: shell behind them still reads the started process's standard input
_WRAPPERS = frozenset({"env", "nice", "nohup", "time", "exec", "command", "busybox",
                       "setsid", "stdbuf"})
#: a shell's options after which it reads no commands at all
_NO_COMMANDS = frozenset({"--version", "--help"})
#: the script word of a shell reading its standard input (``sh -``, ``bash -s``)
STDIN = "<stdin>"
#: the entry word of a Python interpreter started without the run's variable (hostile case
#: 175): it runs the ``.pth`` line but finds no run to follow
UNRECORDED = "<unrecorded>"
#: ``env``'s options that clear its environment, and the ones that remove one variable
_ENV_CLEAR = frozenset({"-i", "--ignore-environment", "-"})
_ENV_UNSET = ("-u", "--unset")


def program_kind(real: str, *, by_shell: bool) -> str | None:
    """What kind of program the file is when it is run, or None when the run's recorder
    follows it (a Python script: its file is hashed; a data file named in an argument).
    ``by_shell``: a shell runs the file as its script (``sh FILE``, ``. FILE``, or a command
    of a shell without a ``#!`` line, which the shell runs itself when ``exec`` refuses it):
    then it is a shell script whatever its name says (hostile case 157: ``sh setup.py``)."""
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
    return "a shell script" if by_shell else None


def is_shell(program: str | None) -> bool:
    return program is not None and os.path.basename(program) in SHELLS


def stdin_key(shell: str) -> str:
    """The unverifiable entry of a shell reading its commands from its standard input."""
    return f"{os.path.basename(shell)} {STDIN}"


def is_stream(key: str) -> bool:
    """Whether an unverifiable entry names no file: a shell's standard input, or a Python
    interpreter started without the run's recorder (:func:`unrecorded_python`)."""
    return key.endswith((f" {STDIN}", f" {UNRECORDED}")) and "/" not in key


def unrecorded_python(words: Sequence[str], environ: Mapping[Any, Any], variable: str,
                      values: Iterable[str]) -> str | None:
    """The unverifiable entry of a started Python interpreter (its program's name starts
    with ``python``, directly or behind ``env``, ``nice`` ...) whose environment lacks the
    run's ``variable`` or carries another value than ``values`` (the recording runs' own):
    it runs the ``.pth`` line but follows no run, so what it reads is unseen (hostile case
    175: ``env={...}``, ``env -i``, a test that deleted the variable). ``environ``: the
    environment it is started with (``os.environ`` when the event has none); ``env``'s own
    ``-i``, ``-u NAME`` and ``NAME=VALUE`` are applied. None when it is followed."""
    env = {os.fsdecode(k): os.fsdecode(v) for k, v in environ.items()}
    at = 0
    while at < len(words) and os.path.basename(words[at]) in _WRAPPERS:
        is_env = os.path.basename(words[at]) == "env"
        at += 1
        while at < len(words) and (words[at].startswith("-") or (is_env and "=" in words[at])):
            word = words[at]
            if is_env and word in _ENV_CLEAR:
                env.clear()
            elif is_env and word.startswith(_ENV_UNSET):
                name = word.partition("=")[2] if "=" in word else word[2:]
                if not name or word in _ENV_UNSET:
                    at += 1
                    name = words[at] if at < len(words) else ""
                env.pop(name, None)
            elif is_env and not word.startswith("-"):
                name, _, value = word.partition("=")
                env[name] = value
            at += 1
    if at >= len(words) or not os.path.basename(words[at]).startswith("python"):
        return None
    if env.get(variable) in set(values):
        return None
    return f"{os.path.basename(words[at])} {UNRECORDED}"


def unrecorded_reason(key: str, variable: str) -> str:
    """Why :func:`unrecorded_python`'s entry is unverifiable, and how to vouch for it."""
    return (f"{REASON} (a Python interpreter started without the run's recorder: its "
            f"environment drops or replaces {variable}, so what it opens is not followed); "
            f"the tracked allow_options = [\"process {key}\"] vouches for it")


def placed(key: str, place: Callable[[str], str]) -> str:
    """An unverifiable entry's key placed by ``place`` (made relative to a checkout, or
    absolute in another), or as it is when it names no file (:func:`stdin_key`)."""
    return key if is_stream(key) else place(key)


def shell_scripts(words: Sequence[str], *, command: bool = False) -> list[str]:
    """The words a shell runs as scripts, read as the shell reads its arguments (hostile
    cases 154, 155): after a shell's name wherever it stands (``env sh``, ``nice bash``,
    ``busybox sh``), its options skipped (``bash -e``, ``--noprofile``, ``-o pipefail``,
    ``--``), the first other word is its script; the value of ``--rcfile`` is sourced;
    ``-c`` gives a command string, whose commands are read in turn. A shell in the started
    program's place (first, or behind ``env``, ``nice`` ...) given no script, ``-s`` or
    ``-`` reads its standard input: :func:`stdin_key` (case 156; a shell named later is an
    argument of another program, ``which sh``). ``command``: ``words`` is one command string
    (``os.system``, ``shell=True``)."""
    if command:
        return _command_scripts(" ".join(words))
    program = _program_shell(words)
    found: list[str] = []
    at = 0
    while at < len(words):
        if is_shell(words[at]):
            place = at
            taken, at = _shell_arguments(words, at + 1)
            found += [t for t in taken if place == program or not is_stream(t)]
        else:
            at += 1
    return found


def _program_shell(words: Sequence[str]) -> int | None:
    """Where the shell the started process runs stands in its words, if it runs one: first,
    or behind wrappers with their options, numbers and ``NAME=VALUE`` words."""
    for at, word in enumerate(words):
        if is_shell(word):
            return at
        if not (os.path.basename(word) in _WRAPPERS
                or (at and (word.startswith("-") or "=" in word or word.isdigit()))):
            return None
    return None


def _shell_arguments(words: Sequence[str], at: int, *, command: bool = False
                     ) -> tuple[list[str], int]:
    """A shell's scripts from its arguments starting at ``at``, and where they end
    (``command``: the words of a command string, where an operator ends them)."""
    shell = words[at - 1]
    inline = stdin = False
    while at < len(words):
        word = words[at]
        if word == "--":
            at += 1
            break
        if word in _NO_COMMANDS:
            return [], at + 1
        if word in _SOURCING and at + 1 < len(words):
            return [words[at + 1]], at + 2
        if word in _VALUED:
            at += 2
            continue
        if word[:1] in "-+" and len(word) > 1:
            short = word[:2] != "--"
            inline = inline or (short and "c" in word[1:])
            stdin = stdin or (short and word[0] == "-" and "s" in word[1:])
            at += 1
            continue
        break
    if inline:  # -c COMMAND: the shell's own command string, read as the shell reads it
        return (_command_scripts(words[at]), at + 1) if at < len(words) else ([], at)
    if command and at < len(words) and set(words[at]) <= _OPERATOR_CHARS:
        return _redirected(words, at, shell)
    if stdin or at >= len(words) or words[at] == "-":
        return [stdin_key(shell)], at + (at < len(words) and words[at] == "-")
    return [_script_or_stream(words[at], shell)], at + 1


def _script_or_stream(word: str, shell: str) -> str:
    """A shell's script word: a stream (``/dev/stdin``, ``/proc/self/fd/0``) is the shell
    reading code no file of the tree holds, named as its standard input is."""
    return stdin_key(shell) if word.startswith(_STREAM_PREFIXES) else word


def _redirected(words: Sequence[str], at: int, shell: str) -> tuple[list[str], int]:
    """A shell of a command string whose words end at an operator: ``sh < FILE`` runs FILE
    as its script, a here-document (``<<``) the string's own next lines (read as commands
    already); any other ends the command, the shell reading what is piped in."""
    while at < len(words) and set(words[at]) <= _OPERATOR_CHARS:
        word = words[at]
        if word == "<" and at + 1 < len(words):
            return [words[at + 1]], at + 2
        if word.startswith("<<"):
            return [], at + 2
        if not (set(word) <= set("<>&") and word not in ("&", "&&")):
            break  # a pipe, a list or the end of a group: nothing more for this shell
        at += 2  # an output redirection and its target
    return [stdin_key(shell)], at


def _command_scripts(text: str) -> list[str]:
    """The files a shell command string runs as shell scripts: each command's program word
    (a file without a ``#!`` line is run by the shell itself), what ``.``/``source`` read,
    and the scripts of shells it starts."""
    text = text.replace("\n", " ;\n")  # each line of a script starts a command
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:
        words = text.split()
    found: list[str] = []
    start = True
    at = 0
    while at < len(words):
        word = words[at]
        if word and set(word) <= _OPERATOR_CHARS:
            # a redirection's target is a file, not a command; other operators start one
            redirect = set(word) <= set("<>&") and word not in ("&", "&&")
            at += 2 if redirect else 1
            start = start or not redirect
            continue
        if start and "=" in word and not word.startswith("="):  # NAME=VALUE before a command
            at += 1
            continue
        if start and word in (".", "source") and at + 1 < len(words):
            found.append(_script_or_stream(words[at + 1], "sh"))
        elif start and word == "eval":
            # eval runs a string: one computed at run time (``eval "$(cat)"``) is code no
            # file names (hostile case 193 e); a literal one is read as a command string
            end = at + 1
            while end < len(words) and not (words[end] and set(words[end]) <= _OPERATOR_CHARS):
                end += 1
            rest = " ".join(words[at + 1:end])
            found += ([stdin_key("sh")] if "$" in rest or "`" in rest
                      else _command_scripts(rest))
            at, start = end, False
            continue
        elif start and word in _BUILTINS:  # `exec FILE`, `command FILE`: FILE is the command
            at += 1
            continue
        elif start and is_shell(word):
            taken, _ = _shell_arguments(words, at + 1, command=True)
            found += taken
        elif start:
            found.append(word)
        start = False
        at += 1
    return found


def started_words(texts: Sequence[str | None]) -> list[str]:
    """The program as it was started and its arguments, from an audit event's program and
    argument vector (whose first item only names the program: ``executable`` wins)."""
    program, *argv = texts
    return [word for word in (program or (argv[0] if argv else None), *argv[1:]) if word]


def record(words: Sequence[str], resolve: Callable[[str], str | None],
           unverifiable: dict[str, str], *, command: bool = False,
           named: Iterable[str] = ()) -> None:
    """Each word of a started command that names a repository file run as a program of
    its own: recorded as unverifiable (``resolve``: the recorder's path rule, None for a
    path that is not the project's). ``words``: the program and its arguments as started
    (``command``: one shell command string, as ``os.system`` takes it); ``named``: the
    other words that could name a file (an option's value, a shell command's words). A
    file with a ``#!`` line for another interpreter, or a binary, is a program wherever it
    is named; a file a shell runs as its script is one whatever its first line
    (shell_scripts)."""
    scripts = set(shell_scripts(words, command=command))
    for key in sorted(filter(is_stream, scripts)):
        unverifiable.setdefault(key, (
            f"{REASON} ({key.split()[0]} reading its commands from its standard input): no "
            "file names them, so the code they run is not known; the tracked allow_options "
            f"= [\"process {key}\"] vouches for it"))
        scripts.discard(key)
    for word in dict.fromkeys([*words, *named, *scripts]):
        real = resolve(word)
        if real is None or real in unverifiable:
            continue
        kind = program_kind(real, by_shell=word in scripts)
        if kind is not None:
            unverifiable[real] = (f"{REASON} ({kind}): the processes it starts are not "
                                  "followed, so the code they run is not known; the tracked "
                                  "allow_options = [\"process PATH\"] vouches for it")


def allowed(allow: Iterable[str]) -> frozenset[str]:
    """The repository paths the project vouches for with ``allow_options = ["process
    PATH"]`` (and the shells reading their standard input: ``"process sh <stdin>"``)."""
    return frozenset(entry[len(ALLOW_PREFIX):].strip().strip("/") for entry in allow
                     if entry.startswith(ALLOW_PREFIX))


def vouched(unverifiable: Mapping[str, str], relative: Callable[[str], str],
            paths: frozenset[str]) -> dict[str, str]:
    """``unverifiable`` without the programs the project vouched for."""
    return {real: why for real, why in unverifiable.items()
            if not (why.startswith(REASON) and placed(real, relative) in paths)}
