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

Shells and Python interpreters are known by what they are, not by their names
(``run/programs.py``: a copy of ``/bin/sh`` called ``x``, ``nice -n 5 python``, ``env -S``);
command strings are read recursively, each command with the environment the string gives it
(``sh -c "env -i python x.py"``: :func:`read_start`).

What stays unseen, and is documented so (docs/verdict.md): what a Python child process
imports or opens (its script and module arguments are hashed, its own imports are not,
unless it runs this plugin itself), and what a program from outside the repository (``git``,
``nginx``, ``sh -c`` with an inline command) reads. Pure: no pytest import.
"""

from __future__ import annotations

import os
import shlex
from typing import TYPE_CHECKING, Any, NamedTuple

from pytest_pyramid.run import programs
from pytest_pyramid.run.programs import PYTHON, SHELL, SHELLS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

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
#: the characters of a shell's operators (shlex's punctuation): ``;`` ``&&`` ``|`` ``<`` ...
_OPERATOR_CHARS = frozenset("();<>|&")
#: a shell's options after which it reads no commands at all
_NO_COMMANDS = frozenset({"--version", "--help"})
#: the script word of a shell reading its standard input (``sh -``, ``bash -s``)
STDIN = "<stdin>"
#: the entry word of a Python interpreter started without the run's variable (hostile case
#: 175): it runs the ``.pth`` line but finds no run to follow
UNRECORDED = "<unrecorded>"
#: the entry word of a shell command string whose words are computed at run time (hostile case
#: 266 f: ``d=golden; cat "$d/x"``): the files it names are not known
COMPUTED = "<computed>"
#: the entry word of another interpreter given its program on its command line (hostile case
#: 266 e: ``awk 'BEGIN { getline l < ("golden/" "x") }'``)
INLINE = "<inline>"
#: the entry word of Python children the run started to follow that never reported to it
#: (hostile case 299: a child started as another account cannot reach the run's 0700 spool)
UNREPORTED = "<unreported>"
#: the words that make an entry name no file of the tree (:func:`is_stream`)
_NO_FILE = (STDIN, UNRECORDED, COMPUTED, INLINE, UNREPORTED)


class Inline(NamedTuple):
    """How a host interpreter is given a program on its command line (:data:`INLINE_PROGRAMS`):
    its options whose value is program text, the options that take a value (the rest of the
    word or the next word; ``attached``: the rest of the word only), and whether its first
    operand is its program (awk, sed) unless an option gave one (``given``)."""

    text: frozenset[str]
    valued: frozenset[str] = frozenset()
    attached: frozenset[str] = frozenset()
    operand: bool = False
    given: frozenset[str] = frozenset()
    #: given no program at all it reads one from its standard input (perl, ruby, node)
    reads_stdin: bool = False
    #: options after which it runs no program
    no_program: frozenset[str] = frozenset()


def _f(words: str) -> frozenset[str]:
    return frozenset(words.split())


_AWK = Inline(text=_f("-e --source"), operand=True,
              valued=_f("-f --file -v --assign -F --field-separator -E --exec -i --include "
                        "-l --load -W"),
              given=_f("-e --source -f --file -E --exec"), no_program=_f("--version --help"))
_ASKING = _f("--version -v --help -h -V")
#: the host's interpreters that run a program given on their command line, by the name of
#: their file (symlinks followed) or the word that started them, with their option grammar
#: (hostile case 266). Why a table of interpreters and not of "programs that read only their
#: arguments": the second would name every host tool a suite starts (nginx, postgres, make,
#: curl) although their arguments name what they read; the class attacked is a program text
#: that puts a file name together at run time, and a program text is known by the
#: interpreter's grammar. Their inline programs are named whatever they hold (an allow-list
#: by the project's vouch: ``allow_options = ["process awk <inline>"]``); the read rule
#: still names a file such a program names literally. A program file (``awk -f x``,
#: ``perl x.pl``) is read as an argument, its own reads unseen (docs/verdict.md).
INLINE_PROGRAMS: Mapping[str, tuple[str, Inline]] = {
    **{name: ("awk", _AWK) for name in ("awk", "gawk", "mawk", "nawk", "original-awk")},
    # sed: its `e` command and `s///e` run a shell command, `r`/`w` open files
    "sed": ("sed", Inline(text=_f("-e --expression"), operand=True,
                          valued=_f("-f --file -l --line-length"),
                          given=_f("-e --expression -f --file"),
                          no_program=_f("--version --help"))),
    "perl": ("perl", Inline(text=_f("-e -E"), valued=_f("-I"), reads_stdin=True,
                            attached=_f("-M -m -x -i -l -0 -C -d -D -F"),
                            no_program=_ASKING)),
    "ruby": ("ruby", Inline(text=_f("-e"), valued=_f("-I -r -C -E --encoding"),
                            attached=_f("-x -0 -i -F -K -T -W"), reads_stdin=True,
                            no_program=_ASKING)),
    **{name: ("node", Inline(text=_f("-e --eval -p --print"),
                             valued=_f("-r --require --import --loader"), reads_stdin=True,
                             no_program=_ASKING)) for name in ("node", "nodejs")},
    "php": ("php", Inline(text=_f("-r -R -B -E"), valued=_f("-c -d -z -f"), reads_stdin=True,
                          no_program=_ASKING)),
    **{name: ("lua", Inline(text=_f("-e"), valued=_f("-l"), reads_stdin=True,
                            no_program=_ASKING)) for name in ("lua", "luajit")},
    "Rscript": ("Rscript", Inline(text=_f("-e"))),
}


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
    """Whether a word is named like a shell: the fast first check (``run/programs.py`` knows
    a started program by what it is)."""
    return program is not None and os.path.basename(program) in SHELLS


def stdin_key(shell: str) -> str:
    """The unverifiable entry of a shell reading its commands from its standard input."""
    return f"{os.path.basename(shell)} {STDIN}"


def is_stream(key: str) -> bool:
    """Whether an unverifiable entry names no file of the tree: a shell's standard input or
    computed command string, another interpreter's inline program, a Python interpreter
    started without the run's recorder (:func:`unrecorded_python`), or a program outside
    the host's installed software (:func:`unknown_key`: kept by its absolute path)."""
    head, _, word = key.rpartition(" ")
    return word in _NO_FILE and bool(head) and (
        "/" not in head or (word == UNRECORDED and head.startswith("/")))


def unknown_key(path: str) -> str:
    """The unverifiable entry of a started program that is not known by what it is and not
    the host's installed software (hostile case 258: ``run/programs.py: host_program``)."""
    return f"{os.path.realpath(path)} {UNRECORDED}"


def inline_key(start: programs.Start, path: str | None) -> str | None:
    """``<interpreter> <inline>`` when ``start`` runs a host interpreter given its program
    on its command line (``<interpreter> <stdin>`` when it reads it from its standard
    input), known by its file's name or the word that started it (:data:`INLINE_PROGRAMS`);
    None otherwise."""
    names = (start.name, os.path.basename(os.path.realpath(path)) if path else start.name)
    found = next((INLINE_PROGRAMS[name] for name in names if name in INLINE_PROGRAMS), None)
    if found is None:
        return None
    family, grammar = found
    given = _inline_given(start.words[1:], grammar)
    if given is None:
        return None
    return f"{family} {INLINE if given else STDIN}"


def _inline_given(args: Sequence[str], grammar: Inline) -> bool | None:
    """True when ``args`` give an interpreter program text, False when it reads its program
    from its standard input, None when it runs a program file or nothing."""
    at, given = 0, False
    while at < len(args):
        word = args[at]
        if word == "--":
            at += 1
            break
        if word in grammar.no_program:
            return None
        if not word.startswith("-") or word == "-":
            break
        name, eq, _ = word.partition("=")
        if word.startswith("--"):
            if name in grammar.text:
                return True
            given = given or name in grammar.given
            at += 1 + (name in grammar.valued and not eq)
            continue
        took = 0
        for index, char in enumerate(word[1:], 1):
            option = "-" + char
            if option in grammar.text:
                return True
            given = given or option in grammar.given
            if option in grammar.valued:
                took = 0 if word[index + 1:] else 1
                break
            if option in grammar.attached:
                break
        at += 1 + took
    if given:
        return None  # a program file (awk -f): an argument, read by the read rule
    if at < len(args):
        return True if grammar.operand else None
    return False if grammar.reads_stdin else None


class Reading(NamedTuple):
    """One process start read as the programs it runs read it (:func:`read_start`)."""

    #: the words shells run as scripts (a stream: :func:`stdin_key`)
    scripts: list[str]
    #: the Python interpreters it starts, each with the environment it gets
    pythons: list[programs.Start]
    #: the program the start itself runs (None: none, or a command string)
    top: programs.Start | None = None


class _Walk(NamedTuple):
    """Where a reading stands: the environment and folder of the commands it reads, how
    deep in command strings, and the Python interpreters found so far."""

    env: programs.Environment
    cwd: str
    depth: int
    pythons: list[programs.Start]

    def inner(self, env: programs.Environment) -> _Walk:
        return _Walk(env, self.cwd, self.depth + 1, self.pythons)


def read_start(words: Sequence[str],
               environ: Mapping[Any, Any] | programs.Environment | None = None,
               cwd: str | None = None, *, command: bool = False) -> Reading:
    """What a process start runs, found by what its programs are (``run/programs.py``:
    the file a word resolves to, wrappers by their grammar), through shells' command strings
    (bounded depth): the scripts its shells run and the Python interpreters it starts.
    ``environ``: the environment it starts with (None: this process's); ``command``:
    ``words`` is one command string (``os.system``)."""
    walk = _Walk(programs.environment(environ), cwd or os.getcwd(), 0, [])
    if command:
        return Reading(_command_scripts(" ".join(words), walk), walk.pythons)
    top = programs.started(words, walk.env, walk.cwd)
    return Reading(_argv_scripts(words, top, walk), walk.pythons, top)


def unrecorded_python(words: Sequence[str], environ: Mapping[Any, Any] | None, variable: str,
                      values: Iterable[str], *, cwd: str | None = None,
                      command: bool = False, reading: Reading | None = None) -> str | None:
    """The unverifiable entry of a started Python interpreter (known by what it is:
    ``run/programs.py``; behind wrappers, ``#!`` lines and in command strings) whose
    environment lacks the run's ``variable`` or carries another value than ``values`` (the
    recording runs' own): it runs the ``.pth`` line but follows no run, so what it reads is
    unseen (hostile case 175: ``env={...}``, ``env -i``, a test that deleted the variable;
    ``sh -c "env -i python x.py"``). ``environ``: the environment it is started with
    (None: this process's). None when every one is followed."""
    if reading is None:
        reading = read_start(words, environ, cwd, command=command)
    kept = set(values)
    for start in reading.pythons:
        if (start.env.get(variable) not in kept
                or not programs.loads_recorder(start, cwd or os.getcwd())):
            return f"python {UNRECORDED}"  # one key for the kind: what ran is an interpreter
    return None


def unrecorded_reason(key: str, variable: str) -> str:
    """Why :func:`unrecorded_python`'s entry is unverifiable, and how to vouch for it."""
    return (f"{REASON} (a Python interpreter started without the run's recorder: its "
            f"environment drops or replaces {variable}, or it runs without site (-S) or "
            "from an installation where pytest-pyramid is not installed, so what it opens "
            f"is not followed); the tracked allow_options = [\"process {key}\"] vouches "
            "for it")


#: :func:`unreported`'s entry
UNREPORTED_KEY = f"python {UNREPORTED}"


def unreported(expected: int, started: int) -> tuple[str, str] | None:
    """The entry for the Python children a run started to follow that never reported (each
    writes a start record to the run's spool first thing, ``run/imported.py: announce``):
    ``expected`` such starts the run's processes saw, ``started`` records. Fewer records
    than starts is missing evidence: what those children read is not known. Not covered
    by the vouch for children started without the recorder (``python <unrecorded>``): the
    run meant to follow these; only the project's explicit ``process python <unreported>``
    vouches for them (a decision: a suite whose deploys run versions as another account)."""
    if started >= expected:
        return None
    missing = expected - started
    return UNREPORTED_KEY, (
        f"{REASON} ({missing} of the {expected} Python processes the run started to follow, "
        "carrying its variable, never reported to it: started as another user or group, in "
        "another root, or killed before they started), so what they opened is not known; "
        f"start them without the run's variable, or the tracked allow_options = [\"process "
        f"{UNREPORTED_KEY}\"] vouches for them")


def placed(key: str, place: Callable[[str], str]) -> str:
    """An unverifiable entry's key placed by ``place`` (made relative to a checkout, or
    absolute in another), or as it is when it names no file (:func:`stdin_key`)."""
    return key if is_stream(key) else place(key)


def shell_scripts(words: Sequence[str], *, command: bool = False,
                  environ: Mapping[Any, Any] | None = None, cwd: str | None = None
                  ) -> list[str]:
    """The words a shell runs as scripts, read as the shell reads its arguments (hostile
    cases 154, 155): the started program found by what it is (``run/programs.py``: through
    wrappers with their options, ``env -S``, a copy or link of a shell under another
    name), its options skipped (``bash -e``, ``--noprofile``, ``-o pipefail``, ``--``), the
    first other word is its script; the value of ``--rcfile`` is sourced; ``-c`` gives a
    command string, whose commands are read in turn. The started shell given no script,
    ``-s`` or ``-`` reads its standard input: :func:`stdin_key` (case 156). A shell named
    later, as another program's argument (``which sh``), starts nothing, but its script word
    is still a file given to a shell. ``command``: ``words`` is one command string
    (``os.system``, ``shell=True``)."""
    return read_start(words, environ, cwd, command=command).scripts


def _argv_scripts(words: Sequence[str], top: programs.Start | None, walk: _Walk
                  ) -> list[str]:
    found = _program(top, walk)
    aside = _Walk(walk.env, walk.cwd, walk.depth + 1, [])  # not started: no interpreters
    at = 0
    while at < len(words):
        if is_shell(words[at]):
            taken, at = _shell_arguments(words, at + 1, aside)
            found += [t for t in taken if not is_stream(t)]
        else:
            at += 1
    return list(dict.fromkeys(found))


def _program(start: programs.Start | None, walk: _Walk, *, command: bool = False
             ) -> list[str]:
    """A started program's scripts when it is a shell; a Python interpreter is kept with
    the environment it gets."""
    if start is None:
        return []
    if start.kind == PYTHON:
        walk.pythons.append(start)
    if start.kind is None:
        return _other_program(start, walk)
    if start.kind != SHELL:
        return []
    found = _shell_arguments(start.words, 1, walk.inner(start.env), command=command,
                             shell=start.name)[0]
    # behind xargs its script, or its command string's words (-I {}), come from the input
    return [*found, stdin_key(start.name)] if start.from_input else found


def _other_program(start: programs.Start, walk: _Walk) -> list[str]:
    """A started program that is neither a shell, Python nor git: named when it is not the
    host's installed software (hostile case 258: a copy one byte longer) or when it is a
    host interpreter given its program inline (case 266); else followed by its words."""
    path = programs.which(start.words[0], start.env, walk.cwd) if start.words else None
    if path is not None and not programs.host_program(path):
        return [unknown_key(path)]
    key = inline_key(start, path)
    return [key] if key is not None else []


def _shell_arguments(words: Sequence[str], at: int, walk: _Walk, *, command: bool = False,
                     shell: str | None = None) -> tuple[list[str], int]:
    """A shell's scripts from its arguments starting at ``at``, and where they end
    (``command``: the words of a command string, where an operator ends them; ``shell``:
    its name in keys, by default its word's)."""
    shell = shell or os.path.basename(words[at - 1])
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
        return (_command_scripts(words[at], walk), at + 1) if at < len(words) else ([], at)
    if command and at < len(words) and set(words[at]) <= _OPERATOR_CHARS:
        return _redirected(words, at, shell, walk)
    if stdin or at >= len(words) or words[at] == "-":
        return [stdin_key(shell)], at + (at < len(words) and words[at] == "-")
    return [_script_or_stream(words[at], shell)], at + 1


def _script_or_stream(word: str, shell: str) -> str:
    """A shell's script word: a stream (``/dev/stdin``, ``/proc/self/fd/0``) is the shell
    reading code no file of the tree holds, named as its standard input is."""
    return stdin_key(shell) if word.startswith(_STREAM_PREFIXES) else word


def _redirected(words: Sequence[str], at: int, shell: str, walk: _Walk
                ) -> tuple[list[str], int]:
    """A shell of a command string whose words end at an operator: ``sh < FILE`` runs FILE
    as its script, a here-string (``<<<``) its word (a computed one is code no file holds),
    a here-document (``<<``) the string's own next lines (read as commands already); any
    other ends the command, the shell reading what is piped in."""
    while at < len(words) and set(words[at]) <= _OPERATOR_CHARS:
        word = words[at]
        if word == "<" and at + 1 < len(words):
            return [words[at + 1]], at + 2
        if word == "<<<":
            return _computed_or_read(words[at + 1] if at + 1 < len(words) else "", walk), at + 2
        if word.startswith("<<"):
            return [], at + 2
        if not (set(word) <= set("<>&") and word not in ("&", "&&")):
            break  # a pipe, a list or the end of a group: nothing more for this shell
        at += 2  # an output redirection and its target
    return [stdin_key(shell)], at


def _command_scripts(text: str, walk: _Walk) -> list[str]:
    """The files a shell command string runs as shell scripts: each command's program word
    (a file without a ``#!`` line is run by the shell itself), what ``.``/``source`` read,
    and the scripts of shells it starts, each command's program found by what it is (a
    wrapper's options, a shell under another name); the string's ``unset``, ``export`` and
    ``NAME=VALUE`` change the environment the commands after them get."""
    if walk.depth > programs.MAX_DEPTH:  # deeper than read: code no reading names
        return [stdin_key("sh")]
    # a word computed at run time names files no literal word shows (hostile case 266 f):
    # the string's literal commands are still read
    computed = [f"sh {COMPUTED}"] if computed_words(text) else []
    text = text.replace("\n", " ;\n")  # each line of a script starts a command
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:
        words = text.split()
    env = walk.env.copy()
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
        if word.startswith("`"):  # a command substitution starts a command of its own
            words[at], start = word.lstrip("`"), True
            continue
        if start and "=" in word and not word.startswith("="):  # NAME=VALUE before a command
            name, _, value = word.partition("=")
            env[name] = value
            at += 1
            continue
        if start and word in (".", "source") and at + 1 < len(words):
            found.append(_script_or_stream(words[at + 1], "sh"))
        elif start and word == "eval":
            # eval runs a string: one computed at run time (``eval "$(cat)"``) is code no
            # file names (hostile case 193 e); a literal one is read as a command string
            end = _command_end(words, at + 1)
            found += _computed_or_read(" ".join(words[at + 1:end]), walk.inner(env))
            at, start = end, False
            continue
        elif start and word in ("unset", "export"):
            _environment_builtin(words[at:_command_end(words, at + 1)], env)
            found.append(word)
        elif start:
            program = programs.started(words[at:], env, walk.cwd)
            found += _program(program, walk.inner(env), command=True)
            if program is None or program.kind != SHELL:
                found.append(program.words[0] if program is not None
                             and word in programs.WRAPPERS else word)
        start = False
        at += 1
    return [*computed, *found]


#: what follows a ``$`` that expands to nothing computed: the end, a blank, a closing quote
_LITERAL_AFTER_DOLLAR = frozenset(" \t\n\"")


def computed_words(text: str) -> bool:
    """Whether a shell command string has a word the shell computes when it runs: a
    parameter expansion (``$x``, ``${x}``, ``$1``), a command substitution (``$(...)``,
    backquotes), arithmetic (``$((...))``), ANSI-C or locale quoting (``$'\\x67'``), or
    bash's brace expansion (``{a,b}``, ``{1..3}``). Inside single quotes every character is
    literal; a backslash makes the next one literal."""
    quoted = escaped = False
    for at, char in enumerate(text):
        if escaped:
            escaped = False
        elif quoted:
            quoted = char != "'"
        elif char == "\\":
            escaped = True
        elif char == "'":
            quoted = True
        elif _expands(text, at):
            return True
    return False


def _expands(text: str, at: int) -> bool:
    """Whether the unquoted character at ``at`` starts an expansion."""
    char = text[at]
    if char == "`":
        return True
    if char == "$":
        return at + 1 < len(text) and text[at + 1] not in _LITERAL_AFTER_DOLLAR
    return char == "{" and _brace_expansion(text, at)


def _brace_expansion(text: str, at: int) -> bool:
    """Whether the ``{`` at ``at`` opens a brace expansion: a comma or ``..`` before its
    ``}``, no blank between (a group ``{ cmd; }`` has blanks)."""
    end = text.find("}", at)
    inner = text[at + 1:end] if end > at else ""
    return bool(inner) and not any(c.isspace() for c in inner) and (
        "," in inner or ".." in inner)


def _computed_or_read(text: str, walk: _Walk) -> list[str]:
    """Code a shell runs from a string (``eval``, a here-string): one computed at run time
    (``eval "$(cat)"``, ``sh <<< "$(cat)"``) is code no file names (hostile case 193 e); a
    literal one is read as a command string."""
    if "$" in text or "`" in text:
        return [stdin_key("sh")]
    return _command_scripts(text, walk)


def _command_end(words: Sequence[str], at: int) -> int:
    while at < len(words) and not (words[at] and set(words[at]) <= _OPERATOR_CHARS):
        at += 1
    return at


def _environment_builtin(words: Sequence[str], env: programs.Environment) -> None:
    """``unset NAME ...`` and ``export -n NAME`` drop variables from the environment of
    the commands after them; ``export NAME=VALUE`` sets one."""
    drop = words[0] == "unset" or "-n" in words[1:]
    for word in words[1:]:
        if word.startswith("-"):
            continue
        name, eq, value = word.partition("=")
        if eq and not drop:
            env[name] = value
        elif drop:
            env.pop(name)


def started_words(texts: Sequence[str | None]) -> list[str]:
    """The program as it was started and its arguments, from an audit event's program and
    argument vector (whose first item only names the program: ``executable`` wins)."""
    program, *argv = texts
    return [word for word in (program or (argv[0] if argv else None), *argv[1:]) if word]


def record(words: Sequence[str], resolve: Callable[[str], str | None],
           unverifiable: dict[str, str], *, command: bool = False,
           named: Iterable[str] = (), reading: Reading | None = None) -> None:
    """Each word of a started command that names a repository file run as a program of
    its own: recorded as unverifiable (``resolve``: the recorder's path rule, None for a
    path that is not the project's). ``words``: the program and its arguments as started
    (``command``: one shell command string, as ``os.system`` takes it); ``named``: the
    other words that could name a file (an option's value, a shell command's words). A
    file with a ``#!`` line for another interpreter, or a binary, is a program wherever it
    is named; a file a shell runs as its script is one whatever its first line
    (shell_scripts; ``reading``: the start already read, with its environment and folder).
    An entry that names no file is every recording run's in the process: a nested run's
    too, which hands it on (hostile case 291)."""
    if reading is None:
        reading = read_start(words, command=command)
    scripts = set(reading.scripts)
    for key in sorted(filter(is_stream, scripts)):
        scripts.discard(key)
        program = key.rpartition(" ")[0]
        if program.startswith("/") and resolve(program) is not None:
            scripts.add(program)  # the repository's own program: named by its path below
            continue
        unverifiable.setdefault(key, stream_reason(key))
    for word in dict.fromkeys([*words, *named, *scripts]):
        real = resolve(word)
        if real is None or real in unverifiable:
            continue
        kind = program_kind(real, by_shell=word in scripts)
        if kind is not None:
            unverifiable[real] = (f"{REASON} ({kind}): the processes it starts are not "
                                  "followed, so the code they run is not known; the tracked "
                                  "allow_options = [\"process PATH\"] vouches for it")


def stream_reason(key: str) -> str:
    """Why an entry that names no file of the tree (:func:`is_stream`) is unverifiable."""
    program, _, word = key.rpartition(" ")
    why = {
        STDIN: f"{program} reading its commands from its standard input): no file names "
               "them",
        COMPUTED: "a shell command string with words computed when it runs: a parameter "
                  "expansion, a command substitution or arithmetic): the files they name "
                  "are not known",
        INLINE: f"{program} given its program on its command line): the files that "
                "program opens are not followed",
        UNRECORDED: "a program outside the host's installed software that is not known by "
                    "what it is, a shell, Python or git by its file or its bytes): what it "
                    "runs and opens is not followed",
    }[word]
    return (f"{REASON} ({why}, so the code they run is not known; the tracked allow_options "
            f"= [\"process {key}\"] vouches for it")


def allowed(allow: Iterable[str]) -> frozenset[str]:
    """The repository paths the project vouches for with ``allow_options = ["process
    PATH"]`` (and the shells reading their standard input: ``"process sh <stdin>"``)."""
    return frozenset(entry[len(ALLOW_PREFIX):].strip().strip("/") for entry in allow
                     if entry.startswith(ALLOW_PREFIX))


def vouched(unverifiable: Mapping[str, str], relative: Callable[[str], str],
            paths: frozenset[str]) -> dict[str, str]:
    """``unverifiable`` without the programs the project vouched for."""
    return {real: why for real, why in unverifiable.items()
            if not (why.startswith(REASON) and placed(real, relative).strip("/") in paths)}
