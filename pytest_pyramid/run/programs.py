"""What a started program is, known by the file it resolves to, not by its name (issue 19:
the closed world's child processes).

The closed world names a child it cannot follow (``run/unfollowed.py``: a shell reading code
no file holds, a Python interpreter without the run's recorder) and reads what a ``git``
child reads (``run/git_reads.py``). Recognising those programs by a list of names is a
deny-list in disguise: a shell copied or linked under another name (``cp /bin/sh /tmp/x``,
``ln -s $(command -v python3) runner``), or a wrapper with options (``nice -n 5 python``,
``timeout 10 sh``, ``env -S "python -c ..."``), would be an unknown program, silently trusted.
So a started program is recognised by what runs:

- its word is resolved as ``execvpe`` resolves it, through the ``PATH`` of the environment
  the child gets (relative to the folder it starts in), symlinks followed;
- shells, Python interpreters and git are known by the real file: its ``(st_dev, st_ino)``
  against the host's shells (``/etc/shells`` and the shell names in the host's program
  folders), this run's interpreters (``sys.executable``, ``sys._base_executable``) and the
  host's git; a copy by its bytes (a digest, computed only for a file the size of a known
  program, at most once per ``(dev, ino, size, mtime_ns)`` in a process);
- a file with a ``#!`` line runs its interpreter, as the kernel starts it;
- wrappers are one table with their option grammar (:data:`WRAPPERS`: which options take a
  value, how many words come before the program), so the wrapped program is found whatever
  options precede it; ``env -S`` splits its string; a wrapper's name is trusted only for the
  host's own program (in a system folder) or a shell builtin;
- any other program (a wrapper this table does not know, ``strace``, ``sudo``) runs the first
  later word that resolves to a program, when one does (leaning to naming a child: the
  allow-list), unless it is one of :data:`NOT_RUNNING`, the host's programs known to run
  none of their arguments (``which sh`` starts no shell).

Names are kept only as a fast first check that leans towards naming: a word called like a
shell is a shell. What stays out of reach is deliberate evasion (docs/verdict.md): a
program that builds a shell at run time, or a static binary that embeds one.

Process starts only (the recorder's audit events), never a per-test path. Pure: no pytest
import.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

SHELL, PYTHON, GIT = "shell", "python", "git"
#: names of programs that run the file they are given as a script of their own language: the
#: fast first check (a word so named is a shell, whatever it resolves to: the check leans to
#: naming the child)
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash",
                    # restricted and other shells read their commands the same way (hostile
                    # case 193 h: Debian's rbash)
                    "rbash", "rksh", "rzsh", "posh", "yash", "lksh", "pdksh"})
#: the host's program folders: a wrapper's or a harmless program's name is trusted there only
#: (a shell copied to ``./env`` is not ``env``)
SYSTEM_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
#: how many wrappers, ``#!`` lines and unknown programs one start is followed through
MAX_HOPS = 12
#: how deep command strings are read inside command strings (``sh -c "bash -c '...'"``)
MAX_DEPTH = 6
_HEAD = 256
_CHUNK = 1 << 20
_OPERATOR_CHARS = frozenset("();<>|&")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


class Grammar(NamedTuple):
    """A wrapper's command line: its options, then ``positional`` words (``timeout``'s
    duration), then the program it runs with that program's arguments."""

    #: options whose value is the next word or attached (``-n 5``, ``-n5``, ``--adjustment=5``)
    valued: frozenset[str] = frozenset()
    #: words before the program (``timeout 10``, ``taskset 1``, ``chrt 10``, ``flock FILE``)
    positional: int = 0
    #: options after which it runs no program (``command -v``, ``taskset -p``)
    no_program: frozenset[str] = frozenset()
    #: options whose value is a command string run by ``sh -c`` (``flock -c``)
    command: frozenset[str] = frozenset()
    #: options that clear the environment the program gets (``env -i``, ``exec -c``)
    clears: frozenset[str] = frozenset()
    #: options whose value is a variable removed from it (``env -u``)
    unsets: frozenset[str] = frozenset()
    #: options whose value is split into words that replace it (``env -S``)
    splits: frozenset[str] = frozenset()
    #: options whose value is the folder the program starts in (``env -C``)
    chdir: frozenset[str] = frozenset()
    #: ``NAME=VALUE`` words set the environment (``env``)
    assigns: bool = False
    #: it appends words read from its input to the program's (``xargs``): a shell's script
    #: or its command string's values come from the input
    from_input: bool = False


def _f(words: str) -> frozenset[str]:
    return frozenset(words.split())


#: programs that start the program named after their options, with the options' grammar
WRAPPERS: Mapping[str, Grammar] = {
    "env": Grammar(valued=_f("-u --unset -C --chdir -S --split-string"),
                   clears=_f("-i --ignore-environment -"), unsets=_f("-u --unset"),
                   splits=_f("-S --split-string"), chdir=_f("-C --chdir"), assigns=True,
                   no_program=_f("--help --version")),
    "nice": Grammar(valued=_f("-n --adjustment")),
    "nohup": Grammar(),
    "time": Grammar(valued=_f("-f --format -o --output")),
    "timeout": Grammar(valued=_f("-s --signal -k --kill-after"), positional=1),
    "stdbuf": Grammar(valued=_f("-i --input -o --output -e --error")),
    "setsid": Grammar(),
    "ionice": Grammar(valued=_f("-c --class -n --classdata"),
                      no_program=_f("-p --pid -P --pgid -u --uid")),
    "taskset": Grammar(positional=1, no_program=_f("-p --pid")),
    "chrt": Grammar(valued=_f("-T --sched-runtime -P --sched-period -D --sched-deadline"),
                    positional=1, no_program=_f("-p --pid -m --max")),
    "xargs": Grammar(valued=_f("-a --arg-file -d --delimiter -E -I -L -n --max-args -P "
                               "--max-procs -s --max-chars --process-slot-var"),
                     from_input=True),
    "flock": Grammar(valued=_f("-w --timeout --wait -E --conflict-exit-code"), positional=1,
                     command=_f("-c --command")),
    "busybox": Grammar(),
    # shell builtins: in a command string the shell runs them itself
    "exec": Grammar(valued=_f("-a"), clears=_f("-c")),
    "command": Grammar(no_program=_f("-v -V")),
    "builtin": Grammar(),
}
#: words a shell runs itself before the command they lead (a command string's own grammar:
#: builtins with the grammar above, reserved words with none)
BUILTIN_WRAPPERS = frozenset({"exec", "command", "builtin", "time", "!", "if", "then",
                              "else", "elif", "do", "while", "until", "{"})
#: the host's programs that run none of their arguments (names trusted in a system folder
#: only): a later word that resolves to a shell is a file or a name to them (``which sh``)
NOT_RUNNING = _f("""
    which whereis type file ls stat cat cp ln mv rm install readlink realpath chmod chown
    touch mkdir rmdir sha256sum sha1sum md5sum ldd test [ echo printf basename dirname head
    tail wc diff cmp grep egrep fgrep strings du df tar true false sleep kill ps id whoami
    uname date sort uniq cut tr tee od hexdump xxd cd pwd export unset read set shift
    local declare typeset return exit wait trap umask ulimit alias unalias hash help
""")


class Start(NamedTuple):
    """A program a process start runs: what it is (``kind``: :data:`SHELL`, :data:`PYTHON`,
    :data:`GIT`, or None for another), the name it goes by in an entry's key, its words (its
    own first, then its arguments; a command string's operators after them) and the
    environment it starts with."""

    kind: str | None
    name: str
    words: list[str]
    env: Environment
    #: a wrapper before it appends words from its input (``xargs sh -c``)
    from_input: bool = False
    #: the folder it starts in (a wrapper's ``env -C DIR`` changes it): its arguments are
    #: relative to it (hostile case 300)
    cwd: str = ""


class _Known(NamedTuple):
    by_id: dict[tuple[int, int], tuple[str, str]]
    by_size: dict[int, list[tuple[str, str, str]]]
    #: a shell's name as the host's program folders resolve it: (dev, ino)
    host_names: dict[str, tuple[int, int]]
    system: frozenset[str]


_KNOWN: list[_Known] = []
#: (dev, ino, size, mtime_ns) -> the file's digest, each distinct program hashed at most once
_DIGESTS: dict[tuple[int, int, int, int], str] = {}


class Environment:
    """The environment a child gets, read lazily from the mapping it starts with (a process
    start's own, ``os.environ``, or ``os.exec``'s with bytes), with the changes wrappers and
    command strings make (``env -i``, ``-u NAME``, ``NAME=VALUE``, ``unset``): a start reads
    two or three variables of it, so nothing is copied."""

    __slots__ = ("_base", "_changed", "_cleared", "found")

    def __init__(self, base: Mapping[Any, Any]) -> None:
        self._base = base
        self._changed: dict[str, str | None] = {}
        self._cleared = False
        #: what words resolved to while this one start is read (shared by its copies: the
        #: files do not change within the audit event)
        self.found: dict[tuple[str, str, str | None], str | None] = {}

    def get(self, key: str, default: str | None = None) -> str | None:
        if key in self._changed:
            value = self._changed[key]
            return default if value is None else value
        if self._cleared:
            return default
        found = self._base.get(key)
        if found is None and not isinstance(self._base, type(os.environ)):
            found = self._base.get(os.fsencode(key))  # os.execve's bytes environment
        return os.fsdecode(found) if isinstance(found, (str, bytes)) else default

    def __setitem__(self, key: str, value: str) -> None:
        self._changed[key] = value

    def pop(self, key: str) -> None:
        self._changed[key] = None

    def clear(self) -> None:
        self._changed.clear()
        self._cleared = True

    def copy(self) -> Environment:
        other = Environment(self._base)
        other._changed, other._cleared = dict(self._changed), self._cleared
        other.found = self.found
        return other


def environment(env: Mapping[Any, Any] | Environment | None) -> Environment:
    """The environment a child gets (``None``: this process's own)."""
    if isinstance(env, Environment):
        return env
    return Environment(os.environ if env is None else env)


def which(word: str, env: Environment, cwd: str) -> str | None:
    """The file ``word`` starts, as ``execvpe`` finds it: a word with a ``/`` from ``cwd``,
    another through the ``PATH`` the child gets; None when nothing runs."""
    if not word:
        return None
    key = (word, cwd, None if "/" in word else env.get("PATH"))
    if key not in env.found:
        env.found[key] = _which(word, key[2], cwd)
    return env.found[key]


def _which(word: str, path: str | None, cwd: str) -> str | None:
    if "/" in word:
        found = os.path.join(cwd, word)
        return found if _runnable(found) else None
    for folder in (path or os.defpath).split(os.pathsep):
        found = os.path.join(cwd, folder or ".", word)
        if _runnable(found):
            return found
    return None


def _runnable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def started(words: Sequence[str], env: Environment, cwd: str) -> Start | None:
    """The program a start of ``words`` runs (through wrappers, ``#!`` lines and unknown
    programs: the module's rules), or None when it runs none (``command -v sh``, no words).
    A command string's words stop at its first operator."""
    words, env = list(words), env.copy()
    at = hops = 0
    from_input = False
    while at < len(words) and hops < MAX_HOPS and not _operator(words[at]):
        hops += 1
        word = words[at]
        kind, name, extra = identify(word, env, cwd)
        if kind == "wrapper":
            grammar = WRAPPERS.get(name, Grammar())
            from_input = from_input or grammar.from_input
            skipped = _skip(words, at + 1, grammar, env, cwd)
            if skipped is None:
                return None
            at, env, cwd, split, command = skipped
            if split is not None:  # env -S STRING: its words take the option's place
                words, at = [word, *split, *words[at:]], 0
            elif command is not None:  # flock -c COMMAND: run by sh -c
                return Start(SHELL, "sh", ["sh", "-c", command], env, from_input, cwd)
            continue
        if kind in (SHELL, PYTHON, GIT):
            return Start(kind, name, words[at:], env, from_input, cwd)
        if kind == "script":  # the kernel starts its #! line's interpreter on the file
            words, at = [*extra, *words[at + 1:]], 0
            continue
        later = None if kind == "not running" else _later_program(words, at + 1, env, cwd)
        if later is None:
            return Start(None, name, words[at:], env, cwd=cwd)
        at = later
    return None


def _later_program(words: Sequence[str], at: int, env: Environment, cwd: str
                   ) -> int | None:
    """Where the first later word that resolves to a program stands (what an unknown
    wrapper runs), before the command's end."""
    for later in range(at, len(words)):
        word = words[later]
        if _operator(word):
            return None
        if word.startswith("-") or _ASSIGNMENT.match(word):
            continue
        if os.path.basename(word) in SHELLS or which(word, env, cwd) is not None:
            return later
    return None


def identify(word: str, env: Environment, cwd: str) -> tuple[str | None, str, list[str]]:
    """What ``word`` starts: (``SHELL``/``PYTHON``/``GIT``, ``"wrapper"``, ``"not
    running"``, ``"script"`` with its ``#!`` line's words and its path, or None), its
    name, and those words."""
    name = os.path.basename(word)
    if "/" not in word and name in BUILTIN_WRAPPERS:
        return "wrapper", name, []
    path = which(word, env, cwd)
    try:
        info = os.stat(path) if path is not None else None
    except OSError:
        info = None
    if path is None or info is None:  # nothing runs: a name is all there is (a builtin)
        if name in SHELLS:
            return SHELL, name, []
        if name in NOT_RUNNING:
            return "not running", name, []
        return (PYTHON, name, []) if name.startswith("python") else (None, name, [])
    known = _known()
    found = known.by_id.get((info.st_dev, info.st_ino))
    if found is None and name in SHELLS and host_program(path):
        return SHELL, name, []
    if found is None and info.st_size in known.by_size:
        found = _by_digest(path, info, known.by_size[info.st_size])
    if found is not None:
        return found[0], _named(found, name, (info.st_dev, info.st_ino), known), []
    real = os.path.realpath(path)
    if os.path.dirname(real) in known.system or os.path.dirname(path) in known.system:
        if name in WRAPPERS:
            return "wrapper", name, []
        if name in NOT_RUNNING:
            return "not running", name, []
    if name.startswith("python") and host_program(path):
        return PYTHON, name, []
    line = _interpreter(path)
    return ("script", name, [*line, path]) if line else (None, name, [])


#: the host's installed software (the FHS's read-only hierarchies the package manager and the
#: host's administrator own): a program there that is not known by what it is runs as the
#: host's (its own reads are not followed; ``run/unfollowed.py`` names an inline program)
HOST_ROOTS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_HOST: list[tuple[str, ...]] = []


def host_program(path: str) -> bool:
    """Whether a started file is the host's installed software (hostile case 258): it lies,
    symlinks followed, under :data:`HOST_ROOTS`, a ``CS_PATH`` folder, or this run's
    interpreter's own installation and environment (``sys.prefix`` and ``sys.base_prefix``:
    the environment is judged as the environment). Anything else that is not known by what
    it is (a shell, Python, git: by its file or its bytes) is a program nobody follows: a
    copy of the interpreter one byte longer runs anything, and its size matches nothing."""
    real = os.path.realpath(path)
    return any(real.startswith(root) for root in _host_roots())


def _host_roots() -> tuple[str, ...]:
    if not _HOST:
        try:
            cs_path = os.confstr("CS_PATH") or ""
        except (ValueError, OSError):
            cs_path = ""
        folders = [*HOST_ROOTS, *cs_path.split(os.pathsep), sys.prefix, sys.base_prefix,
                   sys.exec_prefix, sys.base_exec_prefix,
                   os.path.dirname(sys.executable)]
        _HOST.append(tuple(dict.fromkeys(
            os.path.realpath(folder).rstrip(os.sep) + os.sep
            for folder in folders if folder and os.path.isabs(folder)
            and os.path.realpath(folder) != os.sep)))
    return _HOST[0]


def _named(found: tuple[str, str], name: str, ident: tuple[int, int], known: _Known) -> str:
    """The name a known program goes by in keys: a shell's own name when the host's program
    of that name is this very file (``sh``), else the name of what it is (a copy of dash
    called ``x`` is ``dash``); a Python interpreter's name when it says so, else ``python``."""
    kind, real_name = found
    if kind == SHELL:
        return name if known.host_names.get(name) == ident else real_name
    if kind == PYTHON:
        return name if name.startswith("python") else "python"
    return real_name


def _interpreter(path: str) -> list[str]:
    """A script's ``#!`` line as the kernel reads it: the interpreter and at most one
    argument (everything after it, as one word)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD)
    except OSError:
        return []
    if not head.startswith(b"#!"):
        return []
    line = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    interpreter, _, argument = line.partition(" ")
    argument = argument.strip()
    return [interpreter, argument] if argument else [interpreter] if interpreter else []


def _by_digest(path: str, info: os.stat_result, candidates: list[tuple[str, str, str]]
               ) -> tuple[str, str] | None:
    """A copy of a known program: the same bytes (sizes already equal)."""
    digest = _digest(path, info)
    for known_path, kind, name in candidates:
        try:
            if digest is not None and _digest(known_path, os.stat(known_path)) == digest:
                return kind, name
        except OSError:
            continue
    return None


def _digest(path: str, info: os.stat_result) -> str | None:
    key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    if key not in _DIGESTS:
        hasher = hashlib.sha256()
        try:
            with open(path, "rb") as handle:
                while chunk := handle.read(_CHUNK):
                    hasher.update(chunk)
        except OSError:
            return None
        _DIGESTS[key] = hasher.hexdigest()
    return _DIGESTS[key]


def _known() -> _Known:
    """The host's shells, this run's interpreters and the host's git, by file (once per
    process: a process start is where it is first needed)."""
    if _KNOWN:
        return _KNOWN[0]
    system = frozenset(os.path.realpath(folder) for folder in SYSTEM_DIRS) | frozenset(
        SYSTEM_DIRS)
    programs: list[tuple[str, str]] = [(path, SHELL) for path in _etc_shells()]
    host_names: dict[str, tuple[int, int]] = {}
    for name in sorted(SHELLS):
        for folder in SYSTEM_DIRS:
            path = os.path.join(folder, name)
            if _runnable(path):
                programs.append((path, SHELL))
                info = os.stat(path)
                host_names.setdefault(name, (info.st_dev, info.st_ino))
    programs += [(path, PYTHON) for path in (sys.executable,
                                               getattr(sys, "_base_executable", ""))]
    programs += [(os.path.join(folder, "git"), GIT) for folder in SYSTEM_DIRS]
    by_id: dict[tuple[int, int], tuple[str, str]] = {}
    by_size: dict[int, list[tuple[str, str, str]]] = {}
    for path, kind in programs:
        try:
            info = os.stat(path)
        except (OSError, ValueError):
            continue
        real = os.path.realpath(path)
        if (info.st_dev, info.st_ino) in by_id:
            continue
        by_id[(info.st_dev, info.st_ino)] = (kind, os.path.basename(real))
        by_size.setdefault(info.st_size, []).append((real, kind, os.path.basename(real)))
    _KNOWN.append(_Known(by_id, by_size, host_names, system))
    return _KNOWN[0]


def _etc_shells() -> list[str]:
    try:
        with open("/etc/shells", encoding="utf-8") as handle:
            return [line.strip() for line in handle if line.startswith("/")]
    except OSError:
        return []


def loads_recorder(start: Start, cwd: str) -> bool:
    """Whether a started Python interpreter runs the distribution's ``.pth`` line, which
    follows the run: site is on (no ``-S``) and the environment it starts in has the line -
    a virtual environment's (its ``pyvenv.cfg`` beside or above the started file, as Python
    finds it) or the interpreter's own installation's (a host Python, a copy, where this
    distribution is not installed: its children are not followed). True when nothing runs
    (no such file: the start fails)."""
    path = which(start.words[0], start.env, cwd) if start.words else None
    if path is None:
        return True
    return not _no_site(start.words[1:]) and _has_line(_prefix(path))


def may_load_recorder(start: Start, cwd: str) -> bool:
    """Whether a started Python interpreter may run the distribution's ``.pth`` line: its
    environment has it (:func:`loads_recorder`), or one of its ``.pth`` files runs code (an
    ``import`` line: ``site.addsitedir`` of an environment that has it, hostile case 299),
    which no reading tells. False when nothing runs or site is off (``-S``)."""
    path = which(start.words[0], start.env, cwd) if start.words else None
    if path is None or _no_site(start.words[1:]):
        return False
    prefix = _prefix(path)
    return _has_line(prefix) or any(_runs_code(pth) for pth in _pth_files(prefix, "*.pth"))


def _prefix(path: str) -> str:
    """The environment a started interpreter runs in: a virtual environment's (its
    ``pyvenv.cfg`` beside or above the started file, as Python finds it) or the
    interpreter's own installation's."""
    for folder in (os.path.dirname(path), os.path.dirname(os.path.dirname(path))):
        if os.path.isfile(os.path.join(folder, "pyvenv.cfg")):
            return folder
    return os.path.dirname(os.path.dirname(os.path.realpath(path)))


def _runs_code(pth: str) -> bool:
    """Whether a ``.pth`` file has a line site executes (``import ...``)."""
    try:
        with open(pth, encoding="utf-8", errors="replace") as handle:
            return any(line.startswith(("import ", "import\t")) for line in handle)
    except OSError:
        return True  # not readable: what it does is not known


#: the line the distribution ships at the top of site-packages (setup.py: PTH)
RECORD_PTH = "pytest_pyramid_record.pth"


def _pth_files(prefix: str, name: str) -> list[str]:
    import glob

    return [found for pattern in ("lib/python3*/site-packages", "lib/python3*/dist-packages",
                                  "local/lib/python3*/dist-packages")
            for found in glob.glob(os.path.join(glob.escape(prefix), pattern, name))]


def _has_line(prefix: str) -> bool:
    return bool(_pth_files(prefix, RECORD_PTH))


def _no_site(args: Sequence[str]) -> bool:
    """Whether an interpreter's options (before its script, ``-c`` or ``-m``) hold ``-S``."""
    skip = False
    for word in args:
        if skip:
            skip = False
            continue
        if word == "--" or not word.startswith("-") or word == "-":
            return False
        for index, char in enumerate(word[1:], 1):
            if char == "S":
                return True
            if char in "cm":  # the script's own arguments follow
                return False
            if char in "WX":  # the rest of the word, or the next word, is its value
                skip = index == len(word) - 1
                break
    return False


def _operator(word: str) -> bool:
    return bool(word) and set(word) <= _OPERATOR_CHARS


def _skip(words: Sequence[str], at: int, grammar: Grammar, env: Environment, cwd: str
          ) -> tuple[int, Environment, str, list[str] | None, str | None] | None:
    """A wrapper's options and positional words from ``at``, read by its grammar: where its
    program stands, the environment and folder it gets, an ``env -S`` string's words or a
    ``flock -c`` command string; None when it runs no program."""
    env = env.copy()
    positional = grammar.positional
    while at < len(words) and not _operator(words[at]):
        word = words[at]
        if word == "--":
            at += 1
            break
        if grammar.assigns and _ASSIGNMENT.match(word):
            key, _, value = word.partition("=")
            env[key] = value
            at += 1
            continue
        if word == "-" and word in grammar.clears:
            env.clear()
            at += 1
            continue
        if not word.startswith("-") or word == "-":
            break
        options = _options(word, words[at + 1] if at + 1 < len(words) else None, grammar)
        at += 1
        for option, given, took_next in options:
            value = given or ""
            at += took_next
            if option in grammar.no_program:
                return None
            if option in grammar.clears:
                env.clear()
            elif option in grammar.unsets:
                env.pop(value)
            elif option in grammar.chdir:
                cwd = os.path.join(cwd, value)
            elif option in grammar.splits:
                return at, env, cwd, _split(value), None
    at += positional
    if grammar.command and at < len(words) and words[at] in grammar.command:
        return at + 2, env, cwd, None, words[at + 1] if at + 1 < len(words) else ""
    return at, env, cwd, None, None


def _options(word: str, following: str | None, grammar: Grammar
             ) -> list[tuple[str, str | None, int]]:
    """The options one word gives: (option, value, 1 when the value is the next word). A
    long option takes ``=VALUE`` or the next word; short ones cluster (``-iu NAME``), the
    first that takes a value takes the rest of the word or the next word (``-n5``)."""
    if word.startswith("--"):
        name, eq, value = word.partition("=")
        if name in grammar.valued and not eq:
            return [(name, following, 1)]
        return [(name, value if eq else None, 0)]
    found: list[tuple[str, str | None, int]] = []
    for index, char in enumerate(word[1:], 1):
        option = "-" + char
        if option in grammar.valued:
            rest = word[index + 1:]
            found.append((option, rest, 0) if rest else (option, following, 1))
            break
        found.append((option, None, 0))
    return found


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()
