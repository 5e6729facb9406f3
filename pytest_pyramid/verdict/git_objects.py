"""Blob and tree ids computed the way git computes them, in this process.

The tree digest (``provenance.py``) hashes every file of the working tree at the start and
at the end of each run. Asking git to do it took six or seven processes per digest and read
each file twice (``git add -A`` with filters, then ``hash-object --no-filters``); here each
file is read once and hashed with ``hashlib``, and a tree is only written to git's object
store when it differs from the commit's. The ids must be git's own, byte for byte: a blob id
is the hash of ``blob <size>\\0`` and the bytes, a tree id the hash of ``tree <size>\\0`` and
its sorted entries (``<mode> <name>\\0`` and the raw id of each). The repository's object
format (SHA-1 or SHA-256) is read from the length of an id git gave.

Paths are ``str`` as Python decodes file names (``surrogateescape``), so a name that is not
UTF-8 is hashed and written back as the very bytes git stores.
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

#: (mode, id) of one entry of a tree, as ``git ls-tree`` prints them
Entry = tuple[str, str]

REGULAR = ("100644", "100755")
SYMLINK = "120000"
GITLINK = "160000"
_TREE_MODE = b"40000"
#: the hash of each object format, by the length of its hex ids
_ALGORITHMS = {40: "sha1", 64: "sha256"}
_CHUNK = 1 << 20


def algorithm_of(oid: str) -> str | None:
    """The hash the repository that gave ``oid`` uses (None: not an id)."""
    return _ALGORITHMS.get(len(oid))


def blob_id(data: bytes, algorithm: str) -> str:
    """The id git gives a blob of ``data`` (``git hash-object --no-filters``)."""
    digest = hashlib.new(algorithm, b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


def file_blob_id(path: str | os.PathLike[str], algorithm: str) -> str | None:
    """The blob id of the file's bytes as they are on disk (no filter, no end-of-line
    conversion), read once; None when it cannot be read whole (gone, a directory, or
    written while it was read: its size moved)."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            digest = hashlib.new(algorithm, b"blob %d\0" % size)
            read = 0
            while chunk := handle.read(_CHUNK):
                read += len(chunk)
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest() if read == size else None


def pathspec_glob(pattern: str) -> re.Pattern[str]:
    """The paths git's ``:(glob)`` pathspec magic matches with ``pattern``: ``**/`` any
    leading folders, a trailing ``/**`` everything inside, ``*`` and ``?`` within one name,
    ``[...]`` a class. Unlike ``.gitignore`` (``globs.py``), a match on a folder's name does
    not cover the files below it: git keeps ``a/.coverage/x`` against ``**/.coverage``."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out), re.DOTALL)


@lru_cache(maxsize=16)
def pathspec_matcher(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether a path matches one of ``patterns`` as git's ``:(glob)`` pathspecs match it.

    The shapes the run artifacts use are matched with string operations on the path's
    names (``**/NAME``: the file's name; ``**/NAME*``: its beginning; ``**/NAME/**``: a
    folder above it): compiling regular expressions cost a run's start more than matching
    all its files. Any other shape is a regular expression (:func:`pathspec_glob`)."""
    names: set[str] = set()
    starts: list[str] = []
    folders: set[str] = set()
    others: list[re.Pattern[str]] = []
    for pattern in patterns:
        body = pattern[3:] if pattern.startswith("**/") else ""
        stem = body.removesuffix("/**").removesuffix("*")
        if not stem or "/" in stem or set("*?[\\") & set(stem):
            others.append(pathspec_glob(pattern))
        elif body == stem:
            names.add(stem)
        elif body == f"{stem}*":
            starts.append(stem)
        else:
            folders.add(stem)
    prefixes = tuple(starts)

    def matches(path: str) -> bool:
        *above, name = path.split("/")
        return (name in names or name.startswith(prefixes)
                or (bool(folders) and not folders.isdisjoint(above))
                or any(regex.fullmatch(path) for regex in others))

    return matches


def parse_listing(output: str) -> dict[str, Entry]:
    """``git ls-tree -r -z`` output: path -> (mode, id), blobs and submodules."""
    entries: dict[str, Entry] = {}
    for record in output.split("\0"):
        meta, tab, path = record.partition("\t")
        fields = meta.split(" ")
        if tab and len(fields) == 3:
            entries[path] = (fields[0], fields[2])
    return entries


class Trees:
    """The trees that hold a set of entries: the root's id, every tree (children first, as
    ``git mktree --batch`` must receive them) and the recursive listing of the root, in the
    format and order ``git ls-tree -r -z --full-tree`` prints it. (A plain class: a
    dataclass's generated methods are compiled at every import, and every run imports
    this module.)"""

    __slots__ = ("listing", "objects", "root")

    def __init__(self, root: str, objects: tuple[tuple[str, tuple[str, ...]], ...],
                 listing: str) -> None:
        self.root = root
        #: (tree id, its entries as ``git mktree -z`` reads them), children before parents
        self.objects = objects
        self.listing = listing


def build_trees(entries: Mapping[str, Entry], algorithm: str) -> Trees:
    """The tree ids git would write for ``entries`` (path -> (mode, id)); ValueError when
    a path is both a file and a folder (no tree can hold both)."""
    root: dict[str, object] = {}
    for path, entry in entries.items():
        *folders, name = path.split("/")
        node = root
        for folder in folders:
            child = node.setdefault(folder, {})
            if not isinstance(child, dict):
                raise ValueError(f"{path} is under the file {folder}")
            node = child
        if name in node:
            raise ValueError(f"{path} is a folder and a file")
        node[name] = entry
    objects: list[tuple[str, tuple[str, ...]]] = []
    listing: list[str] = []
    root_id = _tree(root, "", algorithm, objects, listing)
    return Trees(root_id, tuple(objects), "".join(listing))


def _tree(
    node: Mapping[str, object],
    prefix: str,
    algorithm: str,
    objects: list[tuple[str, tuple[str, ...]]],
    listing: list[str],
) -> str:
    """Write down ``node``'s subtrees (children first) and return its id; its files are
    added to ``listing`` in git's order."""
    body = bytearray()
    lines: list[str] = []
    for name, child in _git_order(node):
        if isinstance(child, dict):
            child_id = _tree(child, f"{prefix}{name}/", algorithm, objects, listing)
            body += b"%s %s\0" % (_TREE_MODE, os.fsencode(name)) + bytes.fromhex(child_id)
            lines.append(f"040000 tree {child_id}\t{name}")
        elif isinstance(child, tuple):
            mode, oid = child
            kind = "commit" if mode == GITLINK else "blob"
            body += b"%s %s\0" % (mode.encode(), os.fsencode(name)) + bytes.fromhex(oid)
            lines.append(f"{mode} {kind} {oid}\t{name}")
            listing.append(f"{mode} {kind} {oid}\t{prefix}{name}\0")
    digest = hashlib.new(algorithm, b"tree %d\0" % len(body))
    digest.update(body)
    tree_id = digest.hexdigest()
    objects.append((tree_id, tuple(lines)))
    return tree_id


def _git_order(node: Mapping[str, object]) -> Iterator[tuple[str, object]]:
    """A tree's entries in git's order: by the bytes of the name, a folder's name read as
    if it ended with ``/``."""
    def key(item: tuple[str, object]) -> bytes:
        name, child = item
        return os.fsencode(name) + (b"/" if isinstance(child, dict) else b"")

    return iter(sorted(node.items(), key=key))
