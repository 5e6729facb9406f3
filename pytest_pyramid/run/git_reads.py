"""What a ``git`` process the run starts reads from the repository's object store (case 148).

``.git`` is git's own records, so the closed world (``run/imported.py``) does not take the
files under it for inputs: the commit and the tree digest say what they name. But a test can
take its expected value from another ref's object (``git show golden:expected.txt``, ``git
stash show``, ``git notes show``): bytes that no tree the verdict names holds, so a clean
clone of the tested commit alone fails the test. The recorder sees every process the run
starts (audit events), so a ``git`` command on this repository is read as git reads it:

- a command that reads no object but the working tree, the index or HEAD (``status``,
  ``ls-files``, ``add``, ``commit``, ``config``, ``check-ignore`` ...) is allowed;
- a command that reads the objects its revision arguments name (``show``, ``cat-file``,
  ``diff``, ``log``, ``ls-tree``, ``rev-parse``, ``grep``, ``checkout`` ...) is allowed when
  every revision is HEAD (``HEAD``, ``@``, ``HEAD:path``, ``HEAD^{tree}``): the commit the
  verdict names (a test that moves HEAD does it with a revision, ``reset HEAD~1``, which is
  named; a ``commit`` records only bytes the run read or made). Another branch, a tag, a
  commit id, ``HEAD~1``, the index (``:path``) or a reflog entry is named;
- any other command (``stash``, ``notes``, ``describe``, ``fetch``, ``branch`` ...) reads
  refs or objects the tree does not name: named. An allow-list: a subcommand this table does
  not know is named too.

pytest-pyramid's own git calls (``run/_git.py: run_git``, the one way the package runs git)
are not the tests' and are left out by construction: that function pauses recording in its
thread. Pure: no pytest import.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

#: global options of ``git`` that take the next word as their value
_GLOBAL_WITH_VALUE = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace",
                                "--super-prefix", "--config-env", "--list-cmds"})
#: subcommands that read no object but the working tree, the index or HEAD (tables of names
#: as words, not string constants: this module runs no git command, it reads the ones the
#: tests start, and tests/unit/test_architecture.py takes a constant "diff" for running one)
NO_OBJECTS = frozenset("""
    status ls-files init add rm mv config check-ignore check-attr check-ref-format
    hash-object version help var update-index write-tree commit apply clean count-objects
""".split())  # noqa: SIM905
#: subcommands that read the objects their revision arguments name (HEAD when none)
NAMED_REVISIONS = frozenset("""
    show cat-file diff diff-tree diff-index log ls-tree rev-parse rev-list grep blame
    annotate archive checkout restore switch reset read-tree shortlog whatchanged
    format-patch difftool
""".split())  # noqa: SIM905
#: options of those subcommands whose value is the next word (not a revision)
_VALUE_OPTIONS = frozenset({
    "-n", "-U", "-e", "-f", "-o", "-L", "-S", "-G", "--format", "--pretty",
    "--max-count", "--skip", "--author", "--committer", "--grep", "--since", "--until",
    "--output", "--prefix", "--date", "--path",
})
#: what names HEAD itself: ``HEAD`` or ``@``, as the commit, its tree or a peeled form
_HEAD = re.compile(r"(HEAD|@)(\^\{(tree|commit|)\}|\^0)?")
#: ``cat-file``'s object type words
_TYPES = frozenset({"blob", "tree", "commit", "tag"})


def git_command(argv: Sequence[str]) -> tuple[str | None, str | None, list[str]] | None:
    """``(where, subcommand, arguments)`` of a ``git`` command line (``where``: its ``-C``
    folder or ``--git-dir``, None: the working folder), or None when it is not git."""
    if not argv or os.path.basename(argv[0]) not in ("git", "git.exe"):
        return None
    where: str | None = None
    index = 1
    while index < len(argv):
        word = argv[index]
        if not word.startswith("-"):
            return where, word, list(argv[index + 1:])
        name, eq, value = word.partition("=")
        if name in _GLOBAL_WITH_VALUE and not eq:
            value = argv[index + 1] if index + 1 < len(argv) else ""
            index += 1
        if name == "-C":
            where = os.path.join(where, value) if where else value
        elif name == "--git-dir":
            where = os.path.dirname(value.rstrip("/")) or "."
        index += 1
    return where, None, []


def revision_base(word: str) -> str:
    """The revision part of a revision argument: ``REV:PATH`` -> ``REV`` (``""``: the index),
    a range's or an exclusion's each side is judged by the caller."""
    return word.split(":", 1)[0] if ":" in word else word


def reads(argv: Sequence[str], cwd: str) -> list[str]:
    """What a git command line reads that is not the commit the verdict names: the
    revisions it names other than HEAD, or the subcommand itself when it reads other refs
    or objects (empty: nothing, or not git)."""
    parsed = git_command(argv)
    if parsed is None:
        return []
    where, sub, args = parsed
    if sub is None or sub in NO_OBJECTS:
        return []
    if sub not in NAMED_REVISIONS:
        return [f"git {sub}"]
    folder = os.path.join(cwd, where) if where else cwd
    return [word for word in _revisions(sub, args, folder) if not _is_head(word)]


def _revisions(sub: str, args: Sequence[str], folder: str) -> list[str]:
    """The words of ``args`` that name revisions (before ``--``; options and their values,
    ``cat-file``'s type word, ``grep``'s pattern and existing paths left out)."""
    found: list[str] = []
    skip = False
    pattern_given = sub != "grep"
    for word in args:
        if word == "--":
            break
        if skip:
            skip = False
            continue
        if word.startswith("-"):
            if word in ("--batch", "--batch-check", "--batch-command", "--stdin"):
                found.append(f"git {sub} {word} (object names from its input)")
            skip = word in _VALUE_OPTIONS
            pattern_given = pattern_given or word in ("-e", "-f")
            continue
        if not pattern_given:  # grep's first word is its pattern
            pattern_given = True
            continue
        if (sub == "cat-file" and word in _TYPES) or word.isdigit():
            continue
        if ":" not in word and os.path.exists(os.path.join(folder, word)):
            continue  # a path, as git tells them apart
        found.extend(part.lstrip("^") for part in re.split(r"\.\.\.?", word) if part)
    return found


def _is_head(word: str) -> bool:
    if " " in word:
        return False
    base = revision_base(word)
    return bool(_HEAD.fullmatch(base))


def this_repository(folder: str, root: str, env: Mapping[str, str] | None) -> bool:
    """Whether git run in ``folder`` works on the repository at ``root`` (real paths): the
    folder is inside it and no nearer ``.git`` (another repository) is on the way up, and no
    ``GIT_DIR`` points elsewhere."""
    git_dir = (env or {}).get("GIT_DIR")
    if git_dir:
        return os.path.realpath(os.path.join(folder, git_dir)) == os.path.join(root, ".git")
    here = os.path.realpath(folder)
    if here != root and not here.startswith(root + os.sep):
        return False
    while here != root:
        if os.path.exists(os.path.join(here, ".git")):
            return False
        here = os.path.dirname(here)
    return True


def commands(argv: Sequence[str]) -> list[list[str]]:
    """The command lines a process start runs: its own, or each simple command of a shell's
    ``-c`` string or of ``os.system``'s one string (split at ``;``, ``&``, ``|`` and new
    lines; quoting as the shell reads it)."""
    import shlex

    shell = len(argv) > 2 and os.path.basename(argv[0]) in _SHELLS and "-c" in argv[1:-1]
    if shell or (len(argv) == 1 and " " in argv[0]):
        script = argv[argv.index("-c", 1) + 1] if shell else argv[0]
        found = []
        for part in re.split(r"[;&|\n]+", script):
            try:
                found.append(shlex.split(part))
            except ValueError:
                continue
        return found
    return [list(argv)]


_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash"})


def record(argv: Sequence[str], cwd: str, env: Mapping[str, str] | None, root: str,
           unverifiable: dict[str, str]) -> None:
    """Name what a git command on the repository at ``root`` reads beyond HEAD, as an
    unverifiable entry of the closed world (under ``.git``: raw facts a shard carries)."""
    for words in commands(argv):
        _record(words, cwd, env, root, unverifiable)


def _record(argv: Sequence[str], cwd: str, env: Mapping[str, str] | None, root: str,
            unverifiable: dict[str, str]) -> None:
    parsed = git_command(argv)
    if parsed is None:
        return
    folder = os.path.join(cwd, parsed[0]) if parsed[0] else cwd
    if not this_repository(folder, root, env):
        return
    shown = " ".join(argv[1:])
    for what in reads(argv, cwd):
        unverifiable[os.path.join(root, ".git", what)] = (
            f"read from git's object store by `git {shown}`: not the commit the verdict "
            "names (only HEAD is); a clean checkout of that commit alone does not hold it")
