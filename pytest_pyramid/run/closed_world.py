"""pytest glue of the closed world of code (``run/imported.py``): the recorder is installed
before the first conftest is imported, every collected file is hashed after its collector
ran, and at session end an xdist worker ships what it saw in ``workeroutput`` while the
controller (or the serial process) folds every worker's facts into its own: the union.

The verdict stage compares the union with the tree its digest names
(``VerdictWriter._closed_world``); a CI shard does the same before writing its partial.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.run.imported import CodeSeen, ImportRecorder, find_toplevel

if TYPE_CHECKING:
    from collections.abc import Generator
    from pathlib import Path

#: the recorder installed at start-up (``pytest_load_initial_conftests``)
RECORDER_KEY: pytest.StashKey[ImportRecorder] = pytest.StashKey()
#: what every process of the run read, folded on the controller at session end
CODE_KEY: pytest.StashKey[CodeSeen] = pytest.StashKey()
#: a worker's facts in ``workeroutput``
WORKER_KEY = "pyramid_code"


def install(config: pytest.Config, rootpath: Path) -> ImportRecorder:
    """Start watching imports under the repository that holds ``rootpath`` (once)."""
    recorder = config.stash.get(RECORDER_KEY, None)
    if recorder is None:
        root = find_toplevel(str(rootpath)) or str(rootpath)
        recorder = ImportRecorder(root)
        recorder.install()
        config.stash[RECORDER_KEY] = recorder
    return recorder


def uninstall(config: pytest.Config) -> None:
    recorder = config.stash.get(RECORDER_KEY, None)
    if recorder is not None:
        recorder.uninstall()


class ClosedWorld:
    """Registered in every process of an active run."""

    def __init__(self, recorder: ImportRecorder, *, is_worker: bool) -> None:
        self.recorder = recorder
        self.is_worker = is_worker

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        if isinstance(collector, pytest.File):  # a module's import was already watched
            self.recorder.watch_path(str(collector.path))
        return report

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        data = getattr(node, "workeroutput", {}).get(WORKER_KEY)
        # a worker that died sent nothing: its crash already makes the run incomplete
        if isinstance(data, dict):
            self.recorder.seen.update(data)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        config = session.config
        self.recorder.sweep()
        if self.is_worker:
            workeroutput = getattr(config, "workeroutput", None)
            if workeroutput is not None:
                workeroutput[WORKER_KEY] = self.recorder.seen.to_dict()
            return
        config.stash[CODE_KEY] = self.recorder.seen
