"""A top-level pytest run started by one of this suite's tests.

A run a live recording run started (``run.invocation.started_by_run``) is that run's
evidence: ``pyramid check`` and the deploy gate refuse its verdict (``verdict/trust.py:
nested_problem``). A test that checks, merges or deploys the verdict of a run it starts must
start it as a release's run would be: without the suite's own spool variable (which makes it
nested: ``run/lineage.py``) and without the variables the suite's own pytest and xdist set
for this process (which a top-level run judges). Such a run, started as a subprocess, is an
unfollowed child of the suite's run (the suite's configuration vouches for it); started in
this process (``pytester.runpytest``), it is a run of its own.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pytest_pyramid.run.invocation import RECORD_VARIABLE

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    import pytest

#: what the suite's own run set for this process: the spool that makes a run nested,
#: pytest's current test and xdist's worker facts
SUITE_RUN = (RECORD_VARIABLE, "PYTEST_CURRENT_TEST", "PYTEST_XDIST_WORKER",
             "PYTEST_XDIST_TESTRUNUID", "PYTEST_XDIST_WORKER_COUNT")


def top_level_environ(environ: Mapping[str, str] | None = None,
                      drop: Iterable[str] = ()) -> dict[str, str]:
    """``environ`` (this process's) without the suite run's variables and ``drop``: the
    environment of a top-level run started as a subprocess."""
    gone = {*SUITE_RUN, *drop}
    return {k: v for k, v in (os.environ if environ is None else environ).items()
            if k not in gone}


def top_level(monkeypatch: pytest.MonkeyPatch, drop: Iterable[str] = ()) -> None:
    """This process's environment made a top-level run's for the rest of the test, from a
    test's body: pytest sets ``PYTEST_CURRENT_TEST`` again when the call phase starts, so
    a fixture's removal would not last. For in-process runs (``pytester.runpytest``) and the
    CLI's ``main`` (``pyramid merge`` records whether it was nested too)."""
    for name in {*SUITE_RUN, *drop}:
        monkeypatch.delenv(name, raising=False)


@contextmanager
def top_level_here() -> Iterator[None]:
    """:func:`top_level` for a block (a helper without ``monkeypatch``: the CLI's ``main``
    called in this process); the suite run's variables come back after it."""
    saved = {name: os.environ.pop(name) for name in SUITE_RUN if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)
