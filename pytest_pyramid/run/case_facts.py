"""A test counts by the cases it ran and by what pytest found about it (round 16a: hostile
cases 442, 444). Pure: the pytest glue is ``run/refusals.py: RefusalWatch``, which records
these facts in the ``refused`` facts record every worker and shard ships.

- **Zero cases is a test that never ran, unless the project said why.** pytest turns an empty
  parameter set into one item whose values are its ``NOTSET`` token and skips it by itself
  ("got empty parameter set"); a library (Hypothesis with no phase left to run) raises its
  own skip. Neither is a skip the project wrote. The skips that count are allow-listed by
  *where* the words came from: a mark pytest evaluates (``skip``/``skipif``, unittest's
  decorators: pytest reports them at the test's own location), or a skip raised from the
  project's own code (``pytest.skip``, ``importorskip`` or ``unittest.SkipTest`` in a test, a
  fixture, a conftest, a helper of the tree). A skip raised in installed code is named.
- **pytest's own finding about a test is part of its outcome.** An exception nobody caught in
  a thread the test started, or in a finalizer (``__del__``), reaches pytest's
  threadexception/unraisableexception plugins, which tie it to the running test as a warning
  and let the test pass. The run is ``incomplete``, naming the test and the exception type,
  unless the project's filters ignore the warning (then pytest records nothing) or make it an
  error (then pytest fails the test itself).
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Sequence

#: pytest's warnings tying an exception nobody caught to the test that was running, and
#: where the exception was raised
UNHANDLED = {
    "PytestUnhandledThreadExceptionWarning": "in a thread",
    "PytestUnraisableExceptionWarning": "in a finalizer or callback (unraisable)",
}
#: pytest's setting for what an empty parameter set means (set in the tracked configuration:
#: the project's decision)
EMPTY_MARK = "empty_parameter_set_mark"
#: the folders of installed code (a virtual environment inside the project is installed code)
_INSTALLED_PARTS = frozenset({"site-packages", "dist-packages"})
#: the line that starts a traceback in pytest's message
_TRACEBACK = "Traceback (most recent call last):"


def empty_case(values: Iterable[object], notset: object) -> bool:
    """Whether a parametrized item is pytest's stand-in for an empty parameter set: one of
    its values is pytest's ``NOTSET`` token (no case the project wrote holds it)."""
    return any(value is notset for value in values)


def counted_skip(site: str, root: str, installed: Sequence[str],
                 mark_sites: Collection[str]) -> bool:
    """Whether a skip raised at ``site`` (the innermost frame pytest would show) is one the
    project wrote: raised by pytest's evaluation of a mark or directive (``mark_sites``: its
    skipping, unittest and doctest modules) or from the project's own code."""
    return posixpath.normpath(site) in mark_sites or own_site(site, root, installed)


def own_site(path: str, root: str, installed: Sequence[str]) -> bool:
    """Whether a file is the project's own code: inside its ``root`` and not installed code
    (under one of the interpreter's library folders, ``installed``, or in a ``site-packages``
    folder). Absolute paths, as a code object's file name and pytest's rootdir are."""
    full = posixpath.normpath(path)
    if not _inside(full, posixpath.normpath(root)):
        return False
    if any(_inside(full, posixpath.normpath(p)) for p in installed if p):
        return False
    return not _INSTALLED_PARTS.intersection(full.split("/"))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def exception_type(message: str) -> str:
    """The exception type pytest's unhandled-exception warning names: the first unindented
    line after the last traceback header (``AssertionError: assert 4 == 5`` ->
    ``AssertionError``); "an exception" when the message carries no traceback."""
    found = ""
    in_traceback = False
    for line in message.splitlines():
        if line.startswith(_TRACEBACK):
            in_traceback = True
        elif in_traceback and line.strip() and not line[0].isspace():
            found, in_traceback = line, False
    name = found.split(":", 1)[0].strip()
    return name if name and " " not in name else "an exception"


def unhandled_entry(nodeid: str, category: str, message: str) -> str | None:
    """The finding for one recorded warning (None: not pytest's unhandled-exception word):
    ``nodeid (AssertionError in a thread)``; a warning outside any test is named as such."""
    where = UNHANDLED.get(category)
    if where is None:
        return None
    return f"{nodeid or '(outside any test)'} ({exception_type(message)} {where})"


def skip_entry(nodeid: str, reason: str, site: str) -> str:
    """A skip raised in installed code: the test, the reason, the file (its last two parts)."""
    shown = "/".join(site.split("/")[-2:])
    reason = reason.removeprefix("Skipped: ")
    if len(reason) > 120:
        reason = reason[:117] + "..."
    return f"{nodeid} ({reason!r}, raised in {shown})"
