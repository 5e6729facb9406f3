"""Lines changed since the merge-base with a base revision, from ``git diff -U0``.

The parser and the range formatter are pure; :func:`changed_lines` reads the patch from
``run/changes.py`` (the one place that asks git what changed since a base), which turns
every way git can fail into a reason, never an empty diff: an empty diff would read as
"nothing changed" and let a gate pass on no evidence.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pytest_pyramid.run.changes import line_diff, since

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

    from pytest_pyramid.run.changes import Memo

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "v": "\v",
    "f": "\f",
    "r": "\r",
    '"': '"',
    "\\": "\\",
}


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of unusual path names (``"a\\tb.py"``, octal UTF-8 bytes)."""
    if not (len(path) >= 2 and path[0] == '"' and path[-1] == '"'):
        return path
    body = path[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out += char.encode("utf-8")
            i += 1
            continue
        nxt = body[i + 1 : i + 2]
        if nxt in _ESCAPES:
            out += _ESCAPES[nxt].encode("utf-8")
            i += 2
        elif re.fullmatch(r"[0-7]{3}", body[i + 1 : i + 4]):
            out.append(int(body[i + 1 : i + 4], 8))
            i += 4
        else:
            out += b"\\"
            i += 1
    return out.decode("utf-8", errors="surrogateescape")


def parse_unified_diff(text: str) -> dict[str, set[int]]:
    """Added or modified line numbers (new side) per path, from ``git diff -U0`` output.

    Paths are as git prints them (relative to the repository's top level, ``b/`` prefix
    removed). Deleted files and pure deletions contribute nothing; files whose diff has no
    added lines (renames, mode changes, binaries) are left out. Hunk bodies are skipped by
    their line counts, so an added line that itself starts with ``++ `` or ``@@`` is not
    mistaken for a header.
    """
    result: dict[str, set[int]] = {}
    current: str | None = None
    old_left = new_left = 0
    for line in text.split("\n"):
        if old_left > 0 or new_left > 0:
            if line.startswith("-"):
                old_left -= 1
            elif line.startswith("+"):
                new_left -= 1
            elif line.startswith("\\"):
                pass  # "\ No newline at end of file" belongs to the previous line
            else:
                old_left -= 1
                new_left -= 1
            continue
        if line.startswith("diff --git "):
            current = None
        elif line.startswith("+++ "):
            target = _unquote(line[4:].rstrip("\t"))
            if target == "/dev/null":
                current = None
            else:
                current = target[2:] if target.startswith("b/") else target
        elif line.startswith("@@"):
            match = _HUNK.match(line)
            if match is None:
                continue
            old_left = 1 if match.group(2) is None else int(match.group(2))
            start = int(match.group(3))
            count = 1 if match.group(4) is None else int(match.group(4))
            new_left = count
            if count and current is not None:
                result.setdefault(current, set()).update(range(start, start + count))
    return result


def line_ranges(lines: Iterable[int]) -> str:
    """``[1, 2, 3, 7, 9, 10]`` -> ``"1-3, 7, 9-10"`` (the shape of coverage's "Missing")."""
    ordered = sorted(set(lines))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ", ".join(parts)


def cap_listing(
    uncovered: Mapping[str, Iterable[int]], max_files: int, max_chars: int = 200
) -> tuple[dict[str, str], int]:
    """``{file: "ranges"}`` for the files with the most uncovered lines first, capped.

    Returns the listing and how many files were left out. A long range string is cut at a
    range boundary and ends with ``", ..."`` so it stays readable in a terminal.
    """
    as_lists = {path: sorted(set(lines)) for path, lines in uncovered.items() if lines}
    order = sorted(as_lists, key=lambda p: (-len(as_lists[p]), p))
    listing: dict[str, str] = {}
    for path in order[:max_files]:
        text = line_ranges(as_lists[path])
        if len(text) > max_chars:
            cut = text.rfind(", ", 0, max_chars)
            text = (text[:cut] if cut > 0 else text[:max_chars]) + ", ..."
        listing[path] = text
    return listing, max(0, len(order) - max_files)


@dataclass(frozen=True)
class ChangedLines:
    """Changed lines per absolute file path, or the reason they could not be known."""

    base: str
    merge_base: str | None = None
    files: dict[str, frozenset[int]] = field(default_factory=dict)
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


def changed_lines(base: str, cwd: Path, memo: Memo | None = None) -> ChangedLines:
    """Lines added or modified in the working tree since ``merge-base(base, HEAD)``.

    The working tree (not only HEAD) is compared because that is the code the tests ran
    against. Untracked files are not part of ``git diff`` and are not counted. The merge
    base and the reasons come from ``run/changes.py`` through the run's ``memo``.
    """
    changes = since({} if memo is None else memo, cwd, base)
    diff, reason = line_diff(changes)
    if reason is not None or changes.top is None:
        return ChangedLines(base=base, merge_base=changes.merge_base, reason=reason)
    top = changes.top
    files = {
        os.path.realpath(top / path): frozenset(lines)
        for path, lines in parse_unified_diff(diff).items()
    }
    return ChangedLines(base=base, merge_base=changes.merge_base, files=files)
