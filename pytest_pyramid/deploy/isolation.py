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
from typing import TYPE_CHECKING

from pytest_pyramid.run import _git

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
