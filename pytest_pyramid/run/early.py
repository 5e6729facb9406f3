"""What the closed world sees before pytest loads the plugin, and in processes it never loads in.

The distribution installs ``pytest_pyramid_record.pth`` at the top of site-packages (``setup.py``
ships it, for ``pip install .`` and ``pip install -e .`` alike). Python runs its one line at
every interpreter start; the line costs a lookup in ``os.environ`` and a substring test of the
command line, and imports this module only when one of two things holds:

- :data:`VARIABLE` is set: a recording process (a run of the plugin) set it for the processes it
  starts. This process is one of them (a ``multiprocessing`` ``spawn``/``forkserver`` child, a
  Python grandchild behind a shell script, an xdist worker): the line imports
  ``run/child.py``, which installs the same recorder as the run
  (``run/imported.py: follow_child``), spooling what it reads to the recording process, as a
  forked child does.
- The command line is pytest's (:func:`is_pytest`: ``pytest``, ``py.test``, ``python -m
  pytest``): pytest imports ``-p`` plugins (a tracked ``addopts`` included) before it loads any
  entry-point plugin, so before the recorder. The audit hook is installed here and *buffers*
  what the process opens and starts until the recorder takes it over
  (``run/imported.py: ImportRecorder.install``) and replays it; a run that does not record
  drops the buffer (``discard``). Why the command line and not a variable: nobody sets a
  variable for the first pytest process, and the plugin cannot see what happened before it
  loaded; the command line is what makes a process a pytest run. A process the test misses
  (``pytest.main()`` from a script of one's own) records from the plugin's start, as before.

One audit hook per process (an audit hook cannot be removed): :func:`_hook`, installed here,
forwards to the recorder once one is installed. No pytest import, nothing but ``os`` and
``sys``: this runs in every pytest process and every child of a recording run.

The run's starting facts are taken here too, where the process starts and before any of the
project's code runs (a ``-p`` plugin of the tracked ``addopts`` is imported at pytest's
pre-parse, before any hook of the plugin): a copy of ``os.environ``, :data:`SECRET_ENV`
left out (:func:`environ_at_start`). The run's identity, the gates and the invocation table
read it (``run/stash.py: started_environ``, hostile case 296), git is found with it
(``run/_git.py``, case 294), and a variable the project's code later removes from
``os.environ`` is judged all the same (``LD_PRELOAD`` was loaded, ``PYTHONPATH`` is on
``sys.path``: case 292).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

#: set by a recording process for the processes it starts (JSON: the spool folder, the
#: repository, the project, pytest's cache folder, when the run started); classified in
#: ``run/invocation.py``'s table
VARIABLE = "PYRAMID_RECORD_SPOOL"
#: the audit events the closed world watches (``run/imported.py`` dispatches each kind)
WATCHED = frozenset({
    "open", "import", "os.utime", "sqlite3.connect", "ctypes.dlopen", "os.link",
    "os.rename",
    "subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.system",
})
#: variables that must never reach code under test (a signing secret there would let a test
#: produce a validly signed verdict): never kept in the starting environment's copy, and
#: removed from ``os.environ`` by the plugin before the first conftest (``plugin.py``)
SECRET_ENV = ("PYRAMID_SIGNING_KEY",)
#: events kept before the recorder takes over (pytest's start-up opens a few thousand files,
#: its imports included); past this the take-over says what it could not see
BUFFER_LIMIT = 50_000
#: where the interpreter's installation is: the standard library's folder and the
#: site-packages folders on ``sys.path`` (what start-up opens by the thousand). Not the
#: prefixes: a prefix can hold the repository (a Debian interpreter's ``/usr`` over a
#: project in ``/usr/src/app``: hostile case 181), whose reads must be kept
_INSTALLATION = tuple(
    folder.rstrip(os.sep) + os.sep
    for folder in {os.path.dirname(os.__file__), *(
        entry for entry in sys.path
        if os.path.basename(entry.rstrip(os.sep)) in ("site-packages", "dist-packages"))}
    if folder.rstrip(os.sep)  # an installation at / would set everything aside
)
#: interpreter options that take a value (``-W error``, ``-X importtime``)
_VALUED = frozenset("WXQ")
#: what a pytest command line runs: the module or the script's name (``python -m
#: pytest.__main__`` is pytest's own entry too: hostile case 178)
_PYTEST = frozenset({"pytest", "py.test"})
_PYTEST_MODULES = frozenset({*_PYTEST, "pytest.__main__"})

_state: dict[str, Any] = {
    "started": False, "hooked": False, "forward": None, "buffer": None, "lost": 0,
    "child": False, "environ": None, "environ_claimed": False,
}


def is_pytest(argv: Sequence[str]) -> bool:
    """Whether an interpreter command line (``sys.orig_argv``) runs pytest: ``-m pytest``
    (``-mpytest``, ``-Im pytest``) or a script named ``pytest`` / ``py.test``."""
    at = 1
    while at < len(argv):
        arg = argv[at]
        if not arg.startswith("-") or arg == "-":
            name = os.path.basename(arg)
            return name.removesuffix(".exe") in _PYTEST
        if arg.startswith("--"):
            at += 1
            continue
        for index, flag in enumerate(arg[1:], start=1):
            rest = arg[index + 1:]
            if flag == "c":
                return False
            if flag == "m":
                module = rest or (argv[at + 1] if at + 1 < len(argv) else "")
                return module in _PYTEST_MODULES
            if flag in _VALUED:
                at += 0 if rest else 1
                break
        at += 1
    return False


def start() -> None:
    """Called by the ``.pth`` line; idempotent (a virtualenv's ``lib64`` symlink makes Python
    read site-packages twice). Never raises: an interpreter must start whatever happens."""
    if _state["started"]:
        return
    _state["started"] = True
    try:
        _state["environ"] = {name: value for name, value in os.environ.items()
                             if name not in SECRET_ENV}
        if is_pytest(sys.orig_argv):
            _state["buffer"] = []
            _install()
    except Exception:  # a broken hook must not stop the interpreter from starting
        return


def watched_from_start() -> bool:
    """Whether this process's events were watched from interpreter start: kept for the run's
    recorder (a pytest command line), or recorded for the run that started it (a child).
    Otherwise what a module imported before the recorder read at import is not known
    (``run/closed_world.py``: ``unwatched_imports``)."""
    return _state["buffer"] is not None or bool(_state["child"])


def environ_at_start() -> dict[str, str] | None:
    """A copy of the environment this process started with (None: :func:`start` did not run,
    the ``.pth`` line was not read: ``python -S``, the package not installed as a
    distribution). For the process's own starting facts, such as which ``git`` the judgement
    runs (``run/_git.py``)."""
    environ = _state["environ"]
    return None if environ is None else dict(environ)


def claim_environ() -> dict[str, str] | None:
    """For the run's starting environment (``plugin.py: pytest_load_initial_conftests``): the
    copy taken at interpreter start, handed to the process's first pytest run only. A later
    run in the same process (``pytest.main()`` again, ``pytester``'s in-process run) did not
    start with the process: it gets None and takes ``os.environ`` when it starts, as a
    process nothing watched from its start does (``run/closed_world.py: UNWATCHED``)."""
    if _state["environ_claimed"]:
        return None
    _state["environ_claimed"] = True
    return environ_at_start()


def state_of(name: str) -> bool:
    """Whether a one-time step of this process's start happened (``run/child.py``)."""
    return bool(_state[name])


def mark(name: str) -> None:
    _state[name] = True


def _install() -> None:
    if not _state["hooked"]:
        _state["hooked"] = True
        sys.addaudithook(_hook)


def forward_to(forward: Callable[[str, tuple[Any, ...]], None]) -> None:
    """The recorders' dispatch from now on (``run/imported.py``); installs the hook when this
    process had none."""
    _install()
    _state["forward"] = forward


def claim() -> tuple[list[tuple[str, tuple[Any, ...]]], int]:
    """For the run's own recorder: the events kept since start-up, and how many were lost
    past :data:`BUFFER_LIMIT`; nothing is kept from now on."""
    kept, lost = _state["buffer"] or [], _state["lost"]
    discard()
    return kept, lost


def discard() -> None:
    """A pytest run that records nothing: stop keeping events."""
    _state.update(buffer=None, lost=0)


def _hook(event: str, args: tuple[Any, ...], _watched: frozenset[str] = WATCHED) -> None:
    """The process's audit hook: an event not watched costs one set lookup (the set bound as
    a default: a local, not a global)."""
    if event in _watched:
        forward = _state["forward"]
        if forward is not None:  # the recorders already installed (a child's, a run's)
            forward(event, args)
        if _state["buffer"] is not None:  # and the run's own, until it takes them over
            _keep(event, args)


def _keep(event: str, args: tuple[Any, ...]) -> None:
    """Keep an event for the recorder, unless it names a file of the interpreter's own
    installation (the standard library, site-packages: most of start-up's opens), which the
    recorder would set aside as well (``run/loaded.py: environment_dirs``)."""
    if event == "open" or event == "import":
        name = args[0] if event == "open" else args[1]
        if name is None or (isinstance(name, str) and name.startswith(_INSTALLATION)):
            return
        if isinstance(name, str) and not os.path.isabs(name):
            # replayed later: a relative name is placed by the folder it was opened in
            name = os.path.join(os.getcwd(), name)
            args = (name, *args[1:]) if event == "open" else (args[0], name, *args[2:])
    buffer = _state["buffer"]
    if len(buffer) >= BUFFER_LIMIT:
        _state["lost"] += 1
        return
    buffer.append((event, args))
