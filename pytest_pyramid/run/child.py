"""A process a recording run started (``run/early.py``: the ``.pth`` line imports this module
only when the run's variable is set): the run's recorder, spooling what this process reads to
the run (``run/imported.py: follow_child``) and the modules of the run's ``source`` it imports
(``run/loaded.py: module_fact``: a stale installed copy is judged as in the run's own process,
hostile case 202), and, when this process is a pytest run itself, the start-up buffer its own
recorder takes over.

A followed child is the run's process (hostile case 344: the project's CLI run by a test,
skipping its work on a variable from the job): the environment variables its project code
reads are noted by the same recorder as the run's own (``run/env_reads.py``: the same frame
attribution, the same scope, the run's), and each name its starting environment held is
spooled with the file that read it (:class:`SpoolingSink`), so the run's own sink judges it
as it judges its own reads (``run/closed_world.py``). The sink stays for the process's life:
a nested pytest run or an xdist worker in this process reports to the run through it too."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from pytest_pyramid.run import early, env_reads
from pytest_pyramid.run.imported import ENV_READ, follow_child, spool_line

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from pytest_pyramid.run.imported import ImportRecorder


class SpoolingSink(env_reads.Sink):
    """A followed child's sink: judged as the run's (``accepts``: the run's scope), each
    project read of a name this process started with handed to ``hand`` once, as the line
    ``[ENV_READ, name, file that read it]``. A name set by this process itself came from no
    job (``env_reads.set_at_start``, as the run judges its own)."""

    __slots__ = ("hand", "started")

    def __init__(self, accepts: Any, started: Mapping[str, str],
                 hand: Callable[[list[Any]], None]) -> None:
        super().__init__(accepts)
        self.started = started
        self.hand = hand

    def note(self, name: str, caller: str) -> None:
        if name in self.names or not self.owns(caller):
            return
        self.names.add(name)
        if env_reads.set_at_start((name,), self.started):
            self.hand([ENV_READ, name, caller])


def _spooler(spool: str | None) -> Callable[[list[Any]], None]:
    """Lines to this process's file in ``spool`` (gone or not writable: nothing)."""

    def hand(line: list[Any]) -> None:
        spool_line(spool, line)

    return hand


def record_reads(recorder: ImportRecorder) -> SpoolingSink:
    """Note this followed child's variable reads for the run that started it, from now on."""
    started = early.environ_at_start()
    sink = SpoolingSink(recorder.scope.real, dict(os.environ) if started is None else started,
                        _spooler(recorder.spool))
    env_reads.start(sink)
    return sink


#: the recording runs' sinks in this process, each with its recorder (whose spool a forked
#: child writes to): a forked child is the run's process too (``multiprocessing``'s ``fork``)
_FORKS: list[tuple[env_reads.Sink, ImportRecorder]] = []


def follow_forks(sink: env_reads.Sink, recorder: ImportRecorder) -> None:
    """A run's own process (``run/closed_world.py: install``): the processes it forks note
    their variable reads into a :class:`SpoolingSink` on ``recorder``'s spool (a forked
    child's memory dies with it), until :func:`unfollow_forks`."""
    if not _FORKS_HOOKED:  # once per process: an at-fork hook cannot be removed
        _FORKS_HOOKED.append(True)
        os.register_at_fork(after_in_child=_forked)
    _FORKS.append((sink, recorder))


def unfollow_forks(sink: env_reads.Sink) -> None:
    _FORKS[:] = [(each, recorder) for each, recorder in _FORKS if each is not sink]


_FORKS_HOOKED: list[bool] = []


def _forked() -> None:
    """In a forked child (after the recorders' own hook made the spool): each recording
    sink's names from here on are spooled, judged against the environment at the fork; the
    names the run already holds are not sent again."""
    for sink, recorder in tuple(_FORKS):
        spool = recorder.spool
        if spool is None or isinstance(sink, SpoolingSink) or not env_reads.recording(sink):
            continue
        spooling = SpoolingSink(sink.accepts, dict(os.environ), _spooler(spool))
        spooling.names = set(sink.names)
        env_reads.start(spooling)
        env_reads.stop(sink)


def start() -> None:
    """Called by the ``.pth`` line; idempotent, never raises (an interpreter must start)."""
    early.start()
    try:
        value = os.environ.get(early.VARIABLE)
        if value and not early.state_of("child"):
            early.mark("child")
            recorder = follow_child(value)
            if recorder is not None:
                record_reads(recorder)
    except Exception:  # a broken hook must not stop the interpreter from starting
        return
