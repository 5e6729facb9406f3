"""The one glob dialect of ``[tool.pyramid]``: tier ``paths``, ``exclude``, risk factors and
static excludes all match paths (relative to the project, ``/``-separated) with these rules,
which are ``.gitignore``'s:

- ``*`` matches any run of characters within one path segment (it never crosses ``/``),
  ``?`` one character, ``[abc]`` / ``[!abc]`` a character class;
- ``**`` as a whole segment matches zero or more directories (``docs/**/*.md``);
- a pattern without ``/`` matches a name in any directory (``requirements*.txt`` matches
  ``deploy/requirements-dev.txt``);
- a pattern that matches a directory covers everything below it (``tests/*/slow`` covers
  ``tests/api/slow/test_x.py``).

Tier ``paths`` add one rule of their own (``run/tiers.py``): an entry without glob characters
is a plain prefix of path segments from the project root (``tests/unit``).

``fnmatch`` lets ``*`` cross ``/`` and has no ``**``; ``PurePath.full_match`` needs 3.13.
"""

from __future__ import annotations

import re
from functools import lru_cache

GLOB_CHARS = frozenset("*?[")


@lru_cache(maxsize=512)
def glob_regex(pattern: str) -> re.Pattern[str]:
    pattern = pattern.strip().strip("/")
    if not pattern:
        raise ValueError("empty glob")
    if "/" not in pattern:
        pattern = "**/" + pattern
    parts = pattern.split("/")
    out: list[str] = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            out.append(".*" if last else "(?:[^/]+/)*")
            continue
        out.append(_segment(part) + ("" if last else "/"))
    # a match on a directory covers what is below it
    return re.compile("^" + "".join(out) + "(?:/.*)?$")


def _segment(part: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(part):
        char = part[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = part.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = part[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def glob_match(pattern: str, path: str) -> bool:
    """Whether the ``/``-separated relative ``path`` (a directory ends with ``/``) matches
    ``pattern``, itself or through one of its directories."""
    path = path.removeprefix("./")
    regex = glob_regex(pattern)
    return regex.match(path) is not None or (
        path.endswith("/") and regex.match(path.rstrip("/")) is not None
    )
