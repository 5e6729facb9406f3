"""A process a recording run started (``run/early.py``: the ``.pth`` line imports this module
only when the run's variable is set): the run's recorder, spooling what this process reads to
the run (``run/imported.py: follow_child``) and the modules of the run's ``source`` it imports
(``run/loaded.py: module_fact``: a stale installed copy is judged as in the run's own process,
hostile case 202), and, when this process is a pytest run itself, the start-up buffer its own
recorder takes over."""

from __future__ import annotations

import os

from pytest_pyramid.run import early
from pytest_pyramid.run.imported import follow_child


def start() -> None:
    """Called by the ``.pth`` line; idempotent, never raises (an interpreter must start)."""
    early.start()
    try:
        value = os.environ.get(early.VARIABLE)
        if value and not early.state_of("child"):
            early.mark("child")
            follow_child(value)
    except Exception:  # a broken hook must not stop the interpreter from starting
        return
