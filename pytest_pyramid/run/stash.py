"""Stash keys shared by the plugin's parts (run state lives in stashes, never on config)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported by the entry point: a project without [tool.pyramid] pays nothing
    from pytest_pyramid.config import Settings
    from pytest_pyramid.run.changes import Memo
    from pytest_pyramid.run.summary import RunEnd, RunSummary
    from pytest_pyramid.schema_passes import SchemaPasses

#: The parsed ``[tool.pyramid]`` settings; present only when the plugin is active.
SETTINGS_KEY: pytest.StashKey[Settings] = pytest.StashKey()
#: The tier of a collected item.
TIER_KEY: pytest.StashKey[str] = pytest.StashKey()
#: The run summary, filled on the controller (or in a serial run) as reports arrive.
RUN_KEY: pytest.StashKey[RunSummary] = pytest.StashKey()
#: The verdict path the early placeholder was written to (absent: nothing was written).
PLACEHOLDER_KEY: pytest.StashKey[str] = pytest.StashKey()
#: Set once the run's own verdict was written: the placeholder was replaced.
FINISHED_KEY: pytest.StashKey[bool] = pytest.StashKey()
#: Set when the test session started (the placeholder then says more than "not started").
STARTED_KEY: pytest.StashKey[bool] = pytest.StashKey()
#: Set once the placeholder was rewritten with the reason the run could not start.
EXPLAINED_KEY: pytest.StashKey[bool] = pytest.StashKey()
#: How the run ended, set by the run stage on the controller (or serial process) at its end.
RUN_END_KEY: pytest.StashKey[RunEnd] = pytest.StashKey()
#: Tables known to have passed the schema (pytest's cache), and the ones that passed now.
SCHEMA_PASSES_KEY: pytest.StashKey[SchemaPasses] = pytest.StashKey()
#: What changed since each base revision asked for (run/changes.py: ``since``), computed
#: once per process: flaky on arrival, the risk gate and the coverage gate share it.
CHANGES_KEY: pytest.StashKey[Memo] = pytest.StashKey()
#: The raw facts on the project's modules the run's Python children imported
#: (``run/loaded.py: LoadedCode``), absorbed from their spool by the closed world at the end.
CHILDREN_LOADED_KEY: pytest.StashKey[dict[str, str | None]] = pytest.StashKey()
#: Whether a live recording run started this run (``run/invocation.py: started_by_run``),
#: read by the closed world before the run replaces the variable with its own.
NESTED_KEY: pytest.StashKey[bool] = pytest.StashKey()
#: The modules already imported when an in-process run (pytester's ``runpytest``) started
#: inside another recording run: the outer run's, not this run's code (``run/loaded.py:
#: outside_facts``).
MODULES_BEFORE_KEY: pytest.StashKey[frozenset[str]] = pytest.StashKey()
#: The top-level modules imported before the first conftest (the interpreter's start-up,
#: pytest, the plugins): a distribution only those came from is not the tested code's
#: (``run/distributions.py``).
TOP_BEFORE_KEY: pytest.StashKey[frozenset[str]] = pytest.StashKey()
#: The environment the run started with, taken before the first conftest is imported: the
#: gates and the run identity read it, never os.environ as a conftest's import or a test left
#: it (hostile cases 206, 254). Read it through :func:`started_environ`.
ENVIRON_KEY: pytest.StashKey[dict[str, str]] = pytest.StashKey()


def started_environ(config: pytest.Config) -> dict[str, str]:
    """The run's starting environment (a copy); taken now when the plugin was registered too
    late to see the start (it then holds what the run had by its ``pytest_configure``)."""
    import os

    started: dict[str, str] = config.stash.setdefault(ENVIRON_KEY, dict(os.environ))
    return dict(started)
