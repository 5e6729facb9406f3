"""Path globs with ``**`` (any number of directories), for risk factors and static excludes.

``fnmatch`` lets ``*`` cross ``/`` and has no ``**``; ``PurePath.full_match`` needs 3.13.
Rules: ``**`` as a whole segment matches zero or more directories, ``*`` any run of characters
within one segment, ``?`` one character, ``[abc]`` a character class. A pattern without ``/``
matches the file name in any directory (``requirements*.txt`` matches ``a/requirements-dev.txt``),
as in ``.gitignore``.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=512)
def glob_regex(pattern: str) -> re.Pattern[str]:
    pattern = pattern.strip().lstrip("/")
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
    return re.compile("^" + "".join(out) + "$")


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
    """Whether the ``/``-separated relative ``path`` matches ``pattern``."""
    return glob_regex(pattern).match(path.removeprefix("./")) is not None
