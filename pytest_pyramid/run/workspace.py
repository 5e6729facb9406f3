"""Git-ignored files lying in the test folders when the tests start (hostile case 205).

The closed world (``run/imported.py``) holds what the run's processes *read*. A test can
also take its answer from a file without reading it: from a folder's listing, a symlink's
target, a file's size or mere presence (``skipif(Path("tests/data/.skip-broken").exists())``).
Python raises no audit event for ``os.stat`` or ``os.readlink``, so those channels cannot be
watched; chasing them one by one would be a list of known-bad calls that never ends.

So the workspace is allow-listed instead: a git-ignored file or folder lying under the test
folders (the tiers' paths, ``testpaths`` and every folder tests were collected from) when the
tests start is something no tree of the commit holds, and whatever a test made of it is not
the commit's outcome. It is an *unverifiable* entry of the closed world, naming it: the run
is ``incomplete``. A clean checkout (the CI's) has none. What is not the project's input is
left out by what it is, not by its name:
- bytecode (``__pycache__`` folders, ``.pyc`` files): the closed world's bytecode rule
  judges the bytecode a run loads;
- a folder marked as a cache by a ``CACHEDIR.TAG`` (pytest's, mypy's, ruff's own caches:
  https://bford.info/cachedir/) and a folder holding a ``pyvenv.cfg`` (a virtual
  environment: the interpreter's, judged as the environment);
- a file the run itself created or rewrote after its tests started (its inode's and its
  bytes' times both later than the listing's cut): the run's outputs, not its inputs.

The top of the repository is a test folder only when the project configures it
(``run/arrival.py: all_test_folders``), so a checkout's own tools' files at the top (a
verdict, ``.coverage``, an editor's folder) are not named. No pytest import (it looks at
the listed files).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

#: the reason every entry of this rule carries
REASON = ("git-ignored, lying in the test folders when the tests started: a test can take "
          "its answer from its presence, listing, link or size, which the closed world does "
          "not see, and no tree of the commit holds it; remove it (`git clean -ndX` lists "
          "them) or run from a clean checkout")
#: files created or changed this long before the cut may still be the run's own: the
#: kernel stamps files from a coarse clock that can lag the process's by a few ticks
_SLACK_NS = 50_000_000


def listing_args(folders: Sequence[str]) -> list[str]:
    """``git ls-files`` arguments listing the ignored entries under ``folders`` (relative to
    the top; "" for the whole tree): an ignored folder is one entry."""
    specs = [f":(literal){folder}" if folder else "." for folder in folders]
    return ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory",
            "--", *specs]


def widened(folder: str, prefix: str) -> str:
    """``folder``'s first folder below the rootdir (at ``prefix`` under the top)."""
    if prefix and folder != prefix and not folder.startswith(prefix + "/"):
        return folder
    rest = folder[len(prefix):].strip("/")
    return "/".join(part for part in (prefix, rest.split("/")[0]) if part)


def candidates(listing: str) -> list[str]:
    """The listed entries that can be an input (relative to the top, a folder without its
    trailing ``/``): bytecode is judged by the bytecode rule."""
    found = []
    for entry in listing.split("\0"):
        name = entry.rstrip("/")
        if not name or "__pycache__" in name.split("/") or name.endswith((".pyc", ".pyo")):
            continue
        found.append(name)
    return found


def is_own_state(path: str) -> bool:
    """A folder a tool marked as its cache, or a virtual environment (see the module)."""
    return os.path.isfile(os.path.join(path, "CACHEDIR.TAG")) or os.path.isfile(
        os.path.join(path, "pyvenv.cfg"))


def present(top: str, names: Iterable[str], cut_ns: int) -> dict[str, str]:
    """The entries (real paths) that lay in the test folders before the cut ``cut_ns`` (the
    wall clock when the listing was taken), each with :data:`REASON`."""
    found: dict[str, str] = {}
    for name in names:
        path = os.path.join(top, name)
        try:
            stat = os.lstat(path)
        except OSError:
            continue  # gone since: nothing is left to lie there
        # the run's own output: made or rewritten after the cut (a chmod or a rename alone
        # changes only the inode's time, as the closed world's own output rule reads it)
        later = min(stat.st_ctime_ns, stat.st_mtime_ns) >= cut_ns - _SLACK_NS
        if later or is_own_state(path):
            continue
        found[os.path.join(os.path.realpath(top), name)] = REASON
    return found
