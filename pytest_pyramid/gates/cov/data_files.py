"""Which coverage data files this run's processes wrote (issue 19 section 5).

pytest-cov combines every ``<data_file>.*`` file in the data file's directory at the end of
the run. Files of earlier runs are removed before anything is measured (``CoveragePlugin``);
a file that *appears during the run* is combined too, and could carry any lines at all. So
each file left when the tests have finished, just before pytest-cov combines, is attributed:
the serial process (or the xdist controller) and each worker know the exact name of the file
their coverage writes, and pytest-cov names the data a remote worker sends after the
controller's pid (coverage writes ``<host>.pid<PID>.X<random>x``, older releases
``<host>.<PID>.X<random>``).
Any other file is a stranger, and the coverage gates are ``not_evaluated``, naming it -
unless the project declared subprocess measurement (coverage's ``patch = subprocess``,
``COVERAGE_PROCESS_START``), whose processes' ids the run cannot know: then a file coverage
named after another process is taken as theirs (docs/verdict.md says so).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

#: coverage's own suffix (``<host>.pid<PID>.X<random>x``, older ``<host>.<PID>.X<random>``)
_COVERAGE = re.compile(r"(?:^|\.)(?:pid)?(\d+)\.X\w*$")
#: pytest-cov's, for the data a remote (not collocated) xdist worker sends the controller:
#: ``<host>.<controller pid>.<6 digits>.<worker id>``
_REMOTE = re.compile(r"(?:^|\.)(\d+)\.\d{6}\.gw\d+$")


def suffix_pid(name: str, data_file: str) -> tuple[int, bool] | None:
    """The process id in a parallel data file's name, and whether pytest-cov wrote it for a
    remote worker (None: not a name coverage or pytest-cov gives)."""
    if not name.startswith(data_file + "."):
        return None
    suffix = name[len(data_file) + 1 :]
    match = _COVERAGE.search(suffix)
    if match:
        return int(match.group(1)), False
    match = _REMOTE.search(suffix)
    return (int(match.group(1)), True) if match else None


def strangers(
    names: Iterable[str],
    data_file: str,
    own: Collection[str],
    controller: int,
    *,
    subprocesses: bool,
) -> list[str]:
    """The data files (base names) no process of this run wrote, sorted. ``own``: the names
    of the data files the serial process (or the controller) and the xdist workers write."""
    found = []
    for name in names:
        if name in own:
            continue
        parsed = suffix_pid(name, data_file)
        if parsed is not None:
            pid, remote = parsed
            if remote and pid == controller:
                continue  # pytest-cov saved a remote worker's data for the controller
            if subprocesses and not remote and pid != controller:
                continue  # a declared subprocess's: its pid was never known here
        found.append(name)
    return sorted(found)
