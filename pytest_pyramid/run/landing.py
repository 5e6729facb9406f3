"""Where a read lands, whatever its spelling (hostile round 11a: cases 300, 303, 305).

The closed world (``run/imported.py``) judges a file by the place its bytes come from. A
name is only a spelling of that place, and each reader spells it by its own rules:

- SQLite's ``file:`` URI (:func:`sqlite_files`): its own grammar, parsed here by SQLite's
  rules (``sqlite3ParseUri``): an empty or ``localhost`` authority, ``file:///abs``,
  percent-decoding (``%00`` ends the part), the query and fragment dropped, ``:memory:``
  and ``mode=memory`` open no file. The ``sqlite3.connect`` audit event does not say whether
  ``uri=True`` was given, so both readings are judged: the string as a file name and the
  URI's path. A URI whose authority SQLite's rules do not place is named, never skipped.
- A shell command string's words (:func:`command_words`): each relative to the folder a
  literal ``cd``/``pushd``/``popd`` before it left (a subshell's ``( ... )`` gives it back),
  with the program of the command it belongs to (which says whether a folder word is read
  as the files below it). A computed ``cd`` is a computed word, named as ``sh <computed>``
  (``run/unfollowed.py: computed_words``).

Pure: no pytest import; process starts and ``sqlite3.connect`` only, never a per-test path.
"""

from __future__ import annotations

import posixpath
import shlex
from typing import NamedTuple

#: the scheme SQLite reads as a URI (compared without case, as ``sqlite3_strnicmp`` does)
_SCHEME = "file:"
#: the names SQLite gives an in-memory or temporary database: no file is read
_NO_FILE = frozenset({"", ":memory:"})
_HEX = frozenset("0123456789abcdefABCDEF")
_OPERATOR_CHARS = frozenset("();<>|&")
#: the builtins that change the folder of the commands after them
_CHANGES_FOLDER = frozenset({"cd", "pushd", "popd"})


class SqliteFiles(NamedTuple):
    """What ``sqlite3.connect(database)`` may open: the files (relative ones to the
    connecting process's working folder), and why a URI cannot be placed (None: it can)."""

    paths: list[str]
    unplaced: str | None = None


def sqlite_files(database: str) -> SqliteFiles:
    """The files ``sqlite3.connect(database)`` may read: ``database`` as a file name
    (``uri=False``) and, for a ``file:`` URI, the path SQLite's URI rules give it."""
    paths = [] if database in _NO_FILE else [database]
    if database[:len(_SCHEME)].lower() != _SCHEME:
        return SqliteFiles(paths)
    path, query, unplaced = _parse_uri(database)
    if unplaced is not None:
        return SqliteFiles(paths, unplaced)
    if path not in _NO_FILE and query.get("mode") != "memory":
        paths.append(path)
    return SqliteFiles(list(dict.fromkeys(paths)))


def _parse_uri(uri: str) -> tuple[str, dict[str, str], str | None]:
    """(path, query parameters, why it cannot be placed) of a ``file:`` URI, by SQLite's
    rules: ``file://AUTHORITY/path`` with an empty or ``localhost`` authority (any other is
    an error for SQLite on this host), then the path up to ``?`` or ``#``, percent-decoded."""
    rest = uri[len(_SCHEME):]
    if rest.startswith("//"):
        authority, slash, after = rest[2:].partition("/")
        if authority not in ("", "localhost"):
            return "", {}, f"authority {authority!r} (SQLite opens only an empty one or localhost)"
        rest = slash + after
    rest = rest.partition("#")[0]
    raw_path, _, raw_query = rest.partition("?")
    query: dict[str, str] = {}
    for pair in raw_query.split("&") if raw_query else ():
        name, _, value = pair.partition("=")
        query[_decoded(name)] = _decoded(value)
    return _decoded(raw_path), query, None


def _decoded(text: str) -> str:
    """SQLite's percent-decoding: ``%HH`` is the byte, ``%00`` ends the part, a ``%`` not
    followed by two hex digits is itself."""
    out = bytearray()
    at = 0
    while at < len(text):
        char = text[at]
        digits = text[at + 1:at + 3]
        if char == "%" and len(digits) == 2 and _HEX.issuperset(digits):
            octet = int(digits, 16)
            if octet == 0:
                break
            out.append(octet)
            at += 3
            continue
        out += char.encode("utf-8", "surrogateescape")
        at += 1
    return bytes(out).decode("utf-8", "surrogateescape")  # os.fsdecode on POSIX


#: a process's own view of itself in ``/proc``: in a word handed to a child, the child's
_OWN_PROC = ("/proc/self/", "/proc/thread-self/")


def child_spelling(word: str, folder: str) -> str:
    """``word`` as the parent can resolve it for a child starting in ``folder``: the
    child's ``/proc/self/cwd`` is its own working folder (``cat /proc/self/cwd/x`` with
    ``cwd=golden`` reads ``golden/x``), its ``/proc/self/root`` is ``/``."""
    if not word.startswith(_OWN_PROC):
        return word
    rest = word.split("/", 3)[3] if word.count("/") >= 3 else ""
    link, _, below = rest.partition("/")
    if link == "cwd":
        return posixpath.join(folder, below)
    return posixpath.join("/", below) if link == "root" else word


class Word(NamedTuple):
    """A word of a command string: the folder it is relative to for the command that reads
    it, and that command's program word."""

    word: str
    folder: str
    program: str


def command_words(text: str, folder: str, home: str | None = None) -> list[Word]:
    """A shell command string's words (its operators left out), each with the folder the
    literal ``cd``/``pushd``/``popd`` before it left (``home``: where a bare ``cd`` goes)
    and its command's program word."""
    words = split_words(text.replace("\n", " ;\n"))
    found: list[Word] = []
    groups: list[str] = []  # the folders a subshell gives back at its ")"
    stack: list[str] = []  # pushd's
    program, start, at = "", True, 0
    while at < len(words):
        word = words[at]
        if word and set(word) <= _OPERATOR_CHARS:
            groups += [folder] * word.count("(")
            for _ in range(word.count(")")):
                folder = groups.pop() if groups else folder
            start = start or not (set(word) <= set("<>&") and word not in ("&", "&&"))
            at += 1
            continue
        if start and "=" in word and not word.startswith("="):  # NAME=VALUE before it
            found.append(Word(word, folder, ""))
            at += 1
            continue
        if start:
            program, start = word, False
        if program in _CHANGES_FOLDER and word == program:
            end = _command_end(words, at + 1)
            found += [Word(w, folder, program) for w in words[at:end]]
            folder = _changed(program, words[at + 1:end], folder, stack, home)
            at = end
            continue
        found.append(Word(word, folder, program))
        at += 1
    return found


def _changed(builtin: str, args: list[str], folder: str, stack: list[str],
             home: str | None) -> str:
    """The folder after ``cd``/``pushd``/``popd`` with these arguments (``cd`` alone: the
    ``HOME`` the shell gets; ``cd -``: the folder before, not known here: kept)."""
    operands = [a for a in args if not a.startswith("-") or a == "-"]
    if builtin == "popd":
        return stack.pop() if stack else folder
    target = operands[0] if operands else home if builtin == "cd" else None
    if target is None or target == "-":
        return folder
    if builtin == "pushd":
        stack.append(folder)
    return posixpath.normpath(posixpath.join(folder, target))


def _command_end(words: list[str], at: int) -> int:
    while at < len(words) and not (words[at] and set(words[at]) <= _OPERATOR_CHARS):
        at += 1
    return at


def split_words(text: str) -> list[str]:
    """A command string's words, its operators split off; unbalanced quotes give the plain
    words (as ``run/imported.py: _shell_words``)."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:
        return text.split()
