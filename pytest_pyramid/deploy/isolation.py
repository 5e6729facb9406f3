"""The deploy's own process is the root of trust: what starts it, and what it hands on.

A ``PYTHONPATH`` (or any ``PYTHON*`` variable, a user site, the current folder) in the
environment of whoever starts a deploy runs code before the deploy's first line: a
``sitecustomize`` or a shadow ``pytest_pyramid`` can make the gate allow a ``blocked`` verdict
(hostile case 221). No check inside the deploy can undo that, so trust comes from how the host
starts it, and goes on only through an allow-list:

- the host starts every deploy command through the **launcher** (``pyramid host-launcher
  PATH`` writes it): the venv's interpreter with ``-I`` (no ``PYTHON*`` variables, no user
  site, no current folder on ``sys.path``), or a unit running ``python -I -m
  pytest_pyramid.deploy``;
- every Python the deploy starts on its own behalf (the supervisor, the verify tier's and the
  migrations check's pytest) carries the interpreter's isolation flags again;
- versions start with an allow-listed environment (:func:`version_environ`): the system's
  basics, their own ``PORT``/``PYRAMID_*``, the run's recording variable, and the names the
  commit's tracked table passes (``[tool.pyramid.deploy] pass_env``). Nothing else of the
  caller's environment reaches the released code.

Pure: no pytest import; the caller gives the environment, the interpreter and the account.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_pyramid.run import _git
from pytest_pyramid.run.invocation import ENV_PREFIXES

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

#: the interpreter flag of every Python the deploy starts as itself: ``-I`` ignores every
#: ``PYTHON*`` variable and the user site, and keeps the current folder off ``sys.path``
ISOLATED = "-I"

#: the flags of a pytest the deploy starts in a release (verify tier, migrations check):
#: ``PYTHON*`` variables and the user site ignored (``-E -s``); the release folder stays first
#: on ``sys.path`` as ``python -m pytest`` puts it, since that folder is the commit's own code
RELEASE_PYTEST = ("-E", "-s")

#: the host's standard search path (systemd's default ``PATH``; one definition, the run
#: stage's, where the judgement's git is found), after the folder of the deploy's own
#: interpreter: never the caller's ``PATH``, which would choose which ``python`` (or any
#: program) a version's command starts
STANDARD_PATH = _git.STANDARD_PATH

#: variables a version gets from the deploy's environment whatever its table says, each with
#: why: they name no code to run
BASICS: dict[str, str] = {
    "LANG": "the locale's name",
    "LANGUAGE": "the locale's message languages",
    "TZ": "the time zone's name",
    "TMPDIR": "the folder for temporary files",
    # a recording run of the plugin (run/early.py) follows the processes it starts through
    # this variable: it names a folder facts are written to, and the venv's own .pth line
    # reads it, so it brings no code of the caller's
    "PYRAMID_RECORD_SPOOL": "the folder a recording test run collects its processes' facts in",
}

#: the locale's categories, LC_ALL, LC_CTYPE ... (names, no code)
LOCALE_PREFIX = "LC_"

#: a name ``pass_env`` may list: an environment variable's name
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: the variables the deploy gives a version itself (:func:`version_environ`): who it runs as,
#: where its programs are found, its own port and release. The commit's ``pass_env`` cannot
#: hand the caller's value of one on instead (hostile case 379: a passed ``PATH`` or ``HOME``
#: replaced the allow-listed one)
SET_BY_DEPLOY = frozenset({"PATH", "HOME", "USER", "LOGNAME", "PORT"})


#: the namespaces read before any of the commit's code runs: the run stage's (Python's, the
#: loader's, pytest's, pytest-pyramid's) and coverage.py's, whose ``.pth`` line starts
#: measuring (and loads the plugins a ``COVERAGE_PROCESS_START`` file names) in every Python
CODE_PREFIXES = (*ENV_PREFIXES, "COVERAGE_")

#: the shape of a name ``pass_env`` may carry: an application's setting is upper case letters,
#: digits and ``_``, starting with a letter. Lower-case and ``_``-led names are the host's
#: conventions (``http_proxy``, a shell's own variables, ``_JAVA_OPTIONS``), never a setting
#: the commit's code is known to own
PASSABLE = re.compile(r"[A-Z][A-Z0-9_]*")


@dataclass(frozen=True)
class Family:
    """Names a host program, loader, shell or runtime reads before (or instead of) the commit's
    code: by prefix, by exact name, or by the suffix of a convention (``*_OPTIONS``)."""

    what: str
    why: str
    prefixes: tuple[str, ...] = ()
    names: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()

    def holds(self, name: str) -> bool:
        return (name in self.names or name.startswith(self.prefixes)
                or name.endswith(self.suffixes))


#: every family of names the host reads before the commit's code runs, each with why it
#: chooses code (or what code trusts). ``pass_env`` may carry a name only outside all of them:
#: the caller's environment is not the commit's, and a value that picks the code a version runs
#: (hostile case 379: the caller's ``PYTHONPATH`` put a ``sitecustomize`` into the release)
#: would make the released program the caller's. The commit's own tracked start command may
#: still set one of them to a value it tracks.
HOST_READ: tuple[Family, ...] = (
    Family("interpreter, loader, pytest, pytest-pyramid, coverage.py",
           "the run stage's namespaces (run/invocation.py: ENV_PREFIXES) and coverage.py's: "
           "Python reads them at start-up (PYTHONPATH, PYTHONSTARTUP), the dynamic loader "
           "loads what LD_PRELOAD/LD_AUDIT name, coverage.py's .pth line loads plugins",
           prefixes=CODE_PREFIXES),
    Family("C library", "glibc loads conversion modules (GCONV_PATH), locale and message "
           "files, resolver and allocator settings before main()",
           prefixes=("MALLOC_", "GLIBC_"),
           names=frozenset({"GCONV_PATH", "LOCPATH", "NLSPATH", "HOSTALIASES", "RES_OPTIONS",
                            "LOCALDOMAIN", "GETCONF_DIR", "TZDIR"})),
    Family("shell", "a start command run through a shell sources BASH_ENV/ENV and takes "
           "exported functions and options before the command's first word",
           prefixes=("BASH_", "BASH_FUNC_"),
           names=frozenset({"ENV", "SHELLOPTS", "BASHOPTS", "IFS", "CDPATH", "PS4",
                            "PROMPT_COMMAND", "GLOBIGNORE", "SHELL", "POSIXLY_CORRECT"})),
    Family("TLS and crypto", "OpenSSL loads engines and providers its configuration names, "
           "and the trust store chooses which servers the release believes",
           prefixes=("OPENSSL_", "SSL_CERT_"),
           names=frozenset({"CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE",
                            "GNUTLS_SYSTEM_PRIORITY_FILE"})),
    Family("runtimes", "Node, Perl, Ruby, Java and Go read their options and module paths "
           "(NODE_OPTIONS --require, PERL5OPT -M, RUBYOPT -r, JAVA_TOOL_OPTIONS -javaagent) "
           "before the program's own code",
           prefixes=("NODE_", "NPM_CONFIG_", "PERL", "RUBY", "GEM_", "BUNDLE_", "JAVA_",
                     "JDK_", "GIT_"),
           names=frozenset({"CLASSPATH", "GODEBUG", "GOFLAGS", "GOROOT", "GOPATH", "GOGC",
                            "GOTRACEBACK", "GOMAXPROCS", "EDITOR", "VISUAL", "PAGER",
                            "BROWSER"})),
    Family("configuration homes", "XDG_* choose the folders every desktop-conformant "
           "program reads its configuration and plugins from", prefixes=("XDG_",)),
    Family("options and search paths by convention", "a name ending in OPTIONS/OPTS/OPT "
           "holds a program's options, one ending in PATH/LIB/PRELOAD a search path or "
           "libraries to load: the convention of runtimes this table does not name",
           suffixes=("OPTIONS", "OPTS", "OPT", "PATH", "LIB", "PRELOAD")),
)


def host_read(name: str) -> Family | None:
    """The family of :data:`HOST_READ` that reads ``name`` (None: no host program does)."""
    return next((family for family in HOST_READ if family.holds(name)), None)


def unpassable(name: str) -> str | None:
    """Why ``pass_env`` may not list ``name`` (None: it may). An allow-list by rule: a
    passable name is the shape of an application's setting (:data:`PASSABLE`), is not one the
    deploy sets for the version itself, and no family of :data:`HOST_READ` (what the host's
    interpreter, loader, shell and runtimes read before the commit's code runs) holds it; so
    only the release's own code is what reads it."""
    if name in SET_BY_DEPLOY or name in BASICS or name.startswith(LOCALE_PREFIX):
        return f"{name} is set for every version by the deploy itself"
    if not PASSABLE.fullmatch(name):
        return (f"{name} is not the shape of an application's setting (upper case letters, "
                "digits and '_', starting with a letter): lower-case and '_'-led names are "
                "the host's conventions")
    family = host_read(name)
    if family is not None:
        return (f"{name} is read before the commit's code runs ({family.what}: {family.why}): "
                "its value chooses the code a version runs; set it in the tracked start "
                "command instead, never from the deploy's environment")
    return None

#: a Linux ``#!`` line longer than this is cut by older kernels (pip writes a ``/bin/sh``
#: trampoline past it, as it does for a path with spaces)
SHEBANG_MAX = 127


#: the variable of BASICS a version of another account never gets: the recording run's spool is
#: 0700 and the deploy's, so that account's Python could not report to it, and a child the run
#: counts on that never reports is missing evidence (hostile case 299); without the variable
#: it is what it is, a process the run does not follow (``python <unrecorded>``)
SPOOL_VARIABLE = "PYRAMID_RECORD_SPOOL"


def version_environ(environ: Mapping[str, str], *, passed: Iterable[str], interpreter_dir: str,
                    home: str, user: str, own: Mapping[str, str],
                    same_account: bool = True) -> dict[str, str]:
    """The environment a version starts with: ``PATH`` (the deploy interpreter's folder, then
    the host's standard path), the account's ``HOME``/``USER``/``LOGNAME``, :data:`BASICS` and
    locale variables that are set (the spool's only for ``same_account``: the deploy's own),
    the names the commit's tracked table ``passed`` that are set, and ``own`` (``PORT``,
    ``PYRAMID_RELEASE``, ``PYRAMID_COMMIT``) on top."""
    env = {name: value for name, value in environ.items()
           if (name in BASICS and (same_account or name != SPOOL_VARIABLE))
           or name.startswith(LOCALE_PREFIX)}
    env.update(PATH=f"{interpreter_dir}:{STANDARD_PATH}" if interpreter_dir else STANDARD_PATH,
               HOME=home, USER=user, LOGNAME=user)
    env.update({name: environ[name] for name in passed if name in environ})
    env.update(own)
    return env


def program_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of a host program the deploy runs as its own account (the router's
    nginx, its ``-t`` check): the system's basics and locale that are set, and the host's
    standard ``PATH``. Nothing else of the caller's (hostile case 373: the CI job's secret
    reached the router's program)."""
    env = {name: value for name, value in environ.items()
           if (name in BASICS and name != SPOOL_VARIABLE) or name.startswith(LOCALE_PREFIX)}
    env["PATH"] = STANDARD_PATH
    return env


def launcher_text(python: str) -> str:
    """The launcher script: ``pyramid`` run by ``python`` with ``-I``. A ``#!`` line when the
    path allows one; pip's ``/bin/sh`` trampoline when the path holds a space or is too long
    for a ``#!`` line (the shell runs the same interpreter, isolated, on this very file)."""
    body = ("# pytest-pyramid's host launcher (`pyramid host-launcher`): every deploy command\n"
            "# runs isolated (python -I: no PYTHON* variables, no user site, no current folder\n"
            "# on sys.path), so the caller's environment cannot run code inside the deploy.\n"
            "import sys\n\n"
            "from pytest_pyramid.cli import main\n\n"
            "sys.exit(main())\n")
    line = f"#!{python} {ISOLATED}"
    if len(line) <= SHEBANG_MAX and not any(c.isspace() for c in python):
        return f"{line}\n{body}"
    quoted = shlex.quote(python)
    return f"#!/bin/sh\n'''exec' {quoted} {ISOLATED} \"$0\" \"$@\"\n' '''\n{body}"


def foreign_program(path: str, *, inside: Iterable[str]) -> str | None:
    """Why ``path``, a program the deploy runs as its own account (the router's nginx), is not
    the host's (None: it is). The host's program is an absolute path whose file, symlinks
    followed, lies outside ``inside`` (the checkout being deployed, the work and release
    folders: what the commit or the deploy itself writes), and which no account but root and
    the deploy's own can replace (:func:`not_host_owned`). Hostile case 373: the commit's
    ``nginx = "ops/nginx"`` ran as the deploy account with its whole environment."""
    import os

    if not os.path.isabs(path):
        return (f"{path} is not an absolute path: it names a file of the checkout or of the "
                "caller's folder")
    real = os.path.realpath(path)
    for folder in inside:
        base = os.path.realpath(folder)
        if real == base or real.startswith(base.rstrip(os.sep) + os.sep):
            return f"{real} lies in {base}: the commit's or the deploy's own files, not the host's"
    return not_host_owned(real)


def not_host_owned(path: str) -> str | None:
    """Why ``path`` (absolute) could be replaced or written by an account other than root and
    the deploy's own (None: it cannot): the file and every folder above it must be owned by
    one of them, and writable by no group but root's and by nobody else (a sticky folder such
    as ``/tmp`` lets only an entry's owner replace it; a file not there yet is judged by who
    could create it: its folder). The one test of "a host fact": the router's program
    (:func:`foreign_program`) and the host's targets index (deploy/targets.py) pass it."""
    import os
    import stat

    owners = {0, os.geteuid()}
    current, missing = os.path.realpath(path), False
    while True:
        try:
            info = os.stat(current)
        except FileNotFoundError:  # not there: its start fails naming it; who could put it
            current, missing = os.path.dirname(current), True  # there is the folder's question
            continue
        except OSError as exc:
            return f"{current} cannot be read ({exc.strerror})"
        if info.st_uid not in owners:
            return f"{current} is owned by uid {info.st_uid}: another account may replace it"
        if info.st_mode & stat.S_IWGRP and info.st_gid != 0:
            return f"{current} is writable by group {info.st_gid}"
        if info.st_mode & stat.S_IWOTH and (missing or not (
                stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_ISVTX)):
            return f"{current} is writable by every account"
        missing = False
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
