"""The environment variables the project's own code reads while a run records (issue 19 §1:
a variable the project's tests read is an input, and one the job set that is not the
project's own makes the run incomplete: hostile case 265, a failing test skipped on
``SKIP_BROKEN=1`` from the CI job).

``os.environ``'s class is swapped for a subclass that notes the name of each read by name
(``os.environ[NAME]``, ``.get``, ``os.getenv``, ``in``, ``.pop``, and the same through
``os.environb`` / ``os.getenvb``): one set lookup per read,
and a walk of the caller's frames only on a name's first read, to keep reads by pytest, the
installed plugins, the standard library and this plugin out (their reads are the table's,
``run/invocation.py: ENVIRONMENT``). The whole environment copied or iterated
(``dict(os.environ)``, ``os.environ.copy()``, ``{**os.environ}``: handed to a child) is no
read by name: a key handed out by iteration and read back at once is not noted.

Installed with the closed world's recorder before the first conftest is imported (a
conftest's read at import counts), stopped at the session's end (the gates' and the
writer's own reads are the plugin's). Children's reads (subprocesses) are not recorded.
No pytest import: ``run/closed_world.py`` carries it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from pytest_pyramid.run.facts import FactsRecord, Policy
from pytest_pyramid.run.invocation import ENV_PREFIXES

#: this plugin's own folder (its reads are the table's)
_PLUGIN_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "")
#: the files a read passes through on its way from the caller (``os.getenv``, ``Mapping.get``
#: and ``__contains__``, ``MutableMapping.pop``) and this module's own
_PASS_THROUGH = frozenset({os.getenv.__code__.co_filename, Mapping.get.__code__.co_filename,
                           __file__})


class Sink:
    """The names one recording run's project code read: ``accepts`` says whether a calling
    file is the project's (under the repository, outside the environment: the closed
    world's scope), each answer kept per file."""

    __slots__ = ("accepts", "known", "names")

    def __init__(self, accepts: Any) -> None:
        self.accepts = accepts
        self.names: set[str] = set()
        self.known: dict[str, bool] = {}

    def note(self, name: str, caller: str) -> None:
        own = self.known.get(caller)
        if own is None:
            own = self.known[caller] = (not caller.startswith(_PLUGIN_DIR)
                                        and self.accepts(caller) is not None)
        if own:
            self.names.add(name)


#: the recording runs (a test's own in-process pytest run records beside the outer one)
_SINKS: list[Sink] = []
#: the keys the environment's last iteration handed out (id -> key, held, so an id is not
#: reused while it is here): a copy (``dict(os.environ)``) lists every key, then reads each back
_HANDED: list[dict[int, object]] = [{}]


def _caller() -> str:
    frame = sys._getframe(2)
    while frame.f_back is not None and frame.f_code.co_filename in _PASS_THROUGH:
        frame = frame.f_back
    return frame.f_code.co_filename


#: the read itself (bound once: no ``super()`` per read)
_GET = os._Environ.__getitem__


class RecordingEnviron(os._Environ):  # type: ignore[type-arg]
    """``os.environ`` while a run records; the same object, its class swapped."""

    def __getitem__(self, key: Any) -> Any:
        # the table's prefixes are judged whoever reads them (pytest's own pop of
        # PYTEST_CURRENT_TEST after each phase walks no frame); ``os.environb``'s keys are
        # bytes, the same variables (``os.getenvb``)
        name = os.fsdecode(key) if isinstance(key, bytes) else key
        for sink in _SINKS:  # a name read before costs one set lookup
            if name not in sink.names and _HANDED[0].get(id(key)) is not key \
                    and isinstance(name, str) and not name.startswith(ENV_PREFIXES):
                sink.note(name, _caller())
        return _GET(self, key)

    def __iter__(self) -> Any:
        handed: dict[int, object] = {}
        _HANDED[0] = handed
        for key in super().__iter__():
            handed[id(key)] = key
            yield key


#: the class ``os.environ`` had before the first recording run swapped it
_ORIGINAL: list[type] = []


#: both views of the process's environment: ``os.environ`` and its bytes twin (a read through
#: ``os.environb`` is a read of the same variable, and was not noted)
_VIEWS = (os.environ, os.environb) if os.supports_bytes_environ else (os.environ,)


def start(sink: Sink) -> None:
    """Note the reads of the project's code into ``sink`` from now on."""
    if not _SINKS and type(os.environ) is not RecordingEnviron:
        _ORIGINAL[:] = [type(view) for view in _VIEWS]
        for view in _VIEWS:
            view.__class__ = RecordingEnviron
    if sink not in _SINKS:
        _SINKS.append(sink)


def stop(sink: Sink) -> None:
    """Stop noting into ``sink``; the last one gives the environment its class back."""
    if sink in _SINKS:
        _SINKS.remove(sink)
    if not _SINKS and _ORIGINAL and type(os.environ) is RecordingEnviron:
        for view, original in zip(_VIEWS, _ORIGINAL, strict=True):
            view.__class__ = original
        _HANDED[0] = {}


def set_at_start(read: Iterable[str], started: Any) -> list[str]:
    """The names read that the run's starting environment held (values never): a name that
    was not set came from no job (the test's own default)."""
    return sorted(name for name in read if name in started)


class EnvReads(FactsRecord):
    """The names each process's project code read (the union over every process)."""

    POLICIES: ClassVar[dict[str, Policy]] = {"names": "union"}

    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    @property
    def names(self) -> set[str]:
        return self.sink.names

    @names.setter
    def names(self, value: set[str]) -> None:
        self.sink.names = value
