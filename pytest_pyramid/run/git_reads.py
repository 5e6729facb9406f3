"""What a ``git`` process the run starts reads from the repository's object store (case 148).

``.git`` is git's own records, so the closed world (``run/imported.py``) does not take the
files under it for inputs: the commit and the tree digest say what they name. But a test can
take its expected value from another ref's object (``git show golden:expected.txt``, ``git
stash show``, ``git notes show``): bytes that no tree the verdict names holds, so a clean
clone of the tested commit alone fails the test. The recorder sees every process the run
starts (audit events), so a ``git`` command on this repository is read as git reads it:

- a command that reads no object but the working tree, the index or HEAD (``status``,
  ``ls-files``, ``add``, ``config``, ``check-ignore`` ...) is allowed;
- a command that reads the objects its revision arguments name (``show``, ``cat-file``,
  ``diff``, ``log``, ``ls-tree``, ``rev-parse``, ``grep``, ``checkout`` ...) is allowed when
  every revision is HEAD (``HEAD``, ``@``, ``HEAD:path``, ``HEAD^{tree}``): the commit the
  verdict names (a test that moves HEAD is named: ``commit``, ``reset HEAD~1``, ``merge``,
  ``update-ref``; hostile case 182). Another branch, a tag, a
  commit id, ``HEAD~1``, the index (``:path``) or a reflog entry is named;
- any other command (``stash``, ``notes``, ``describe``, ``fetch``, ``branch`` ...) reads
  refs or objects the tree does not name: named. An allow-list: a subcommand this table does
  not know is named too, and so is an option of a revision-reading command that is not in
  :data:`HARMLESS_OPTIONS` (``--all``, ``-g``, ``--source=REV``, ``--cached``: hostile case
  172).

git is found among a command's words as a wrapper runs them (``env``, ``exec``, ``nice``,
variable assignments, a command substitution, git's own ``git-show`` programs; revisions
``xargs`` appends from its input are named: case 173), with the environment the process
starts with (an inherited ``GIT_DIR`` too). A repository *inside* this one (an ignored clone,
a bare ``golden.git`` named by ``--git-dir`` or ``GIT_DIR``) is another repository: a command
that reads its objects is named, unless the run made it (case 174).

pytest-pyramid's own git calls (``run/_git.py: run_git``, the one way the package runs git)
are not the tests' and are left out by construction: that function pauses recording in its
thread. Pure: no pytest import.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from pytest_pyramid.run import programs
from pytest_pyramid.run.programs import GIT, SHELL

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
    hash-object version help var update-index write-tree apply clean count-objects
""".split())  # noqa: SIM905
#: subcommands that move HEAD: after one, HEAD is no longer the commit the verdict names (a
#: test that commits git-ignored files with ``add -f .`` and reads them back from HEAD:
#: hostile case 182); the others of the kind (``merge``, ``update-ref`` ...) are not in the
#: tables, so named as well
MOVES_HEAD = frozenset({"commit"})
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


#: options of those subcommands that select nothing beyond what their revision words name
#: (output shape, diff algorithm, limits on the revisions named): an allow-list. Any other
#: option - ``--all``, ``--branches``, ``-g`` (a reflog), ``--source=REV``, ``--cached`` (the
#: index), ``--untracked``, ``--stdin`` - or one this table does not know is named (hostile
#: case 172). A ``--name=value`` option is judged by its name. ``--no-index`` reads only the
#: files it names, which the recorder judges as any argument naming a file.
HARMLESS_OPTIONS = frozenset("""
    -p -u --patch -s --no-patch --raw --stat --numstat --shortstat --summary --dirstat
    --name-only --name-status --oneline --color --no-color --color-words --word-diff -z
    --abbrev --no-abbrev --abbrev-commit --full-index --binary --no-renames --find-renames
    --find-copies -M -C -B -w -b --ignore-all-space --ignore-space-change
    --ignore-blank-lines --ignore-cr-at-eol --exit-code --quiet -q --no-ext-diff
    --no-textconv --textconv --decorate --no-decorate --graph --reverse --first-parent
    --no-merges --merges --topo-order --date-order --follow -t -r --full-tree -l --long
    --root --cc -m --verify --short --show-toplevel --show-prefix --show-cdup
    --is-inside-work-tree --is-inside-git-dir --is-bare-repository --git-dir
    --absolute-git-dir --git-common-dir --abbrev-ref --symbolic --symbolic-full-name --sq
    --count -c -i --ignore-case -E -F -P -H -h -I -n -v -W -x --heading --break
    --line-number --no-prefix --src-prefix --dst-prefix --format --pretty --max-count
    --skip --since --after --until --before --author --committer --grep --date --output
    --prefix --path --unified -U -L -S -G -e -f --diff-filter --relative --no-relative
    --stat-width --stat-count --all-match --invert-grep --regexp-ignore-case
    --pickaxe-regex --pickaxe-all --no-walk --do-walk --parents --children --left-right
    --boundary --simplify-by-decoration --full-history --dense --sparse --no-show-signature
    --progress --no-progress --force --hard --soft --mixed --keep --worktree --detach
    --porcelain --line-porcelain --incremental --show-name --show-number --show-email
    --ignore-rev --ignore-revs-file --extended-regexp --fixed-strings --perl-regexp
    --word-regexp --invert-match --files-with-matches --files-without-match --name-only
    --null --only-matching --max-depth --function-context --threads --objects
    --ignore-submodules --submodule --indent-heuristic --minimal --patience --histogram
    --diff-algorithm --anchored --inter-hunk-context --no-notes --mailmap
    --no-mailmap --use-mailmap --encoding --expand-tabs --no-expand-tabs --show-linear-break
    --check --full-name --author-date-order --no-index
""".split())  # noqa: SIM905
#: a short option with its number attached (``-n5``, ``-U3``, ``-5``)
_ATTACHED_NUMBER = re.compile(r"-(n|U|M|C|B|l)?\d+%?")
#: git's own programs for its commands (``/usr/lib/git-core/git-show``: git's exec path)
_GIT_PROGRAM = re.compile(r"git-([a-z][a-z0-9-]*)")
#: a variable assignment before a program (``GIT_DIR=x git ...``, ``env GIT_DIR=x git``)
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
#: programs that append words from their input to the command they run
_FROM_INPUT = frozenset({"xargs", "parallel"})


class GitLine:
    """A ``git`` command line as git reads it: where it runs (``-C``), which repository
    (``--git-dir``, ``GIT_DIR``), its subcommand and arguments."""

    __slots__ = ("args", "assigned", "git_dir", "input_words", "shown", "sub", "where")

    def __init__(self, where: str | None, git_dir: str | None, sub: str | None,
                 args: list[str], assigned: dict[str, str], shown: str,
                 input_words: bool) -> None:
        self.where, self.git_dir, self.sub, self.args = where, git_dir, sub, args
        self.assigned, self.shown, self.input_words = assigned, shown, input_words


def _program(word: str) -> str:
    """A word's program name: a path's last part, a command substitution's opening and a
    closing bracket taken off (``$(git``, a backtick before ``git``)."""
    return os.path.basename(word.lstrip("$(`{").rstrip(")`}"))


def git_line(argv: Sequence[str]) -> GitLine | None:
    """The git command among a command line's words, or None when none runs git: the first
    word whose program is ``git`` (after ``env``, ``exec``, ``nice``, ``xargs``, variable
    assignments: any word, as a wrapper runs the rest) or one of git's own programs
    (``git-show``)."""
    assigned: dict[str, str] = {}
    for at, word in enumerate(argv):
        name = _program(word)
        rest = list(argv[at + 1:])
        if name in ("git", "git.exe"):
            line = _global_options(rest, assigned)
            line.shown = " ".join(rest)
        elif _GIT_PROGRAM.fullmatch(name):
            line = GitLine(None, None, name[4:], rest, assigned, " ".join([name[4:], *rest]),
                           False)
        else:
            if _ASSIGNMENT.match(word):
                key, _, value = word.partition("=")
                assigned[key] = value
            continue
        line.input_words = any(_program(w) in _FROM_INPUT for w in argv[:at])
        return line
    return None


def _global_options(words: Sequence[str], assigned: dict[str, str]) -> GitLine:
    where: str | None = None
    git_dir: str | None = None
    index = 0
    while index < len(words):
        word = words[index]
        if not word.startswith("-"):
            return GitLine(where, git_dir, word, list(words[index + 1:]), assigned, "", False)
        name, eq, value = word.partition("=")
        if name in _GLOBAL_WITH_VALUE and not eq:
            value = words[index + 1] if index + 1 < len(words) else ""
            index += 1
        if name == "-C":
            where = os.path.join(where, value) if where else value
        elif name == "--git-dir":  # relative to the folder -C leaves git in
            git_dir = value
        index += 1
    return GitLine(where, git_dir, None, [], assigned, "", False)


def revision_base(word: str) -> str:
    """The revision part of a revision argument: ``REV:PATH`` -> ``REV`` (``""``: the index),
    a range's or an exclusion's each side is judged by the caller."""
    return word.split(":", 1)[0] if ":" in word else word


def reads(argv: Sequence[str], cwd: str) -> list[str]:
    """What a git command line reads that is not the commit the verdict names: the
    revisions it names other than HEAD, the options that select other refs or objects, or
    the subcommand itself when it reads other refs or objects (empty: nothing, or not
    git)."""
    line = git_line(argv)
    if line is None:
        return []
    return _line_reads(line, cwd)


def _line_reads(line: GitLine, cwd: str) -> list[str]:
    sub, args = line.sub, line.args
    if sub is None or sub in NO_OBJECTS:
        return []
    if sub in MOVES_HEAD:
        return [f"git {sub} (moves HEAD away from the commit the verdict names)"]
    if sub not in NAMED_REVISIONS:
        return [f"git {sub}"]
    folder = os.path.join(cwd, line.where) if line.where else cwd
    found = [word for word in _revisions(sub, args, folder) if not _is_head(word)]
    if line.input_words:
        found.append(f"git {sub} (revisions from its input, as xargs gives them)")
    return found


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
        if word.startswith("-") and word != "-":
            if word in ("--batch", "--batch-check", "--batch-command", "--stdin"):
                found.append(f"git {sub} {word} (object names from its input)")
            elif not _harmless(word):
                found.append(f"git {sub} {word} (an option that selects refs or objects "
                             "other than its revision words, or one this reading does not "
                             "know)")
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


def _harmless(option: str) -> bool:
    name = option.partition("=")[0]
    return name in HARMLESS_OPTIONS or bool(_ATTACHED_NUMBER.fullmatch(name))


def _is_head(word: str) -> bool:
    if " " in word:
        return False
    base = revision_base(word)
    return bool(_HEAD.fullmatch(base))


def this_repository(folder: str, root: str, env: Mapping[str, str] | None) -> bool:
    """Whether git run in ``folder`` works on the repository at ``root`` (real paths): the
    folder is inside it and no nearer ``.git`` (another repository) is on the way up, and no
    ``GIT_DIR`` points elsewhere."""
    return repository(folder, root, (env or {}).get("GIT_DIR")) == root


def repository(folder: str, root: str, git_dir: str | None) -> str | None:
    """The top folder (real path) of the repository git run in ``folder`` with ``git_dir``
    (``--git-dir`` or ``GIT_DIR``) works on, when it is ``root`` or a repository *inside*
    ``root`` (a clone or a bare repository under it; a submodule's or a worktree's ``.git``
    file is left out: its commit is the one the tree records); None: one outside."""
    if git_dir:
        real = os.path.realpath(os.path.join(folder, git_dir))
        if real == os.path.join(root, ".git"):
            return root
        return real if _inside(real, root) else None
    here = os.path.realpath(folder)
    if not _inside(here, root):
        return None
    while here != root:
        if os.path.isdir(os.path.join(here, ".git")):
            return here
        if os.path.exists(os.path.join(here, ".git")):
            return None
        here = os.path.dirname(here)
    return root


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def commands(argv: Sequence[str], env: Mapping[str, str] | None = None,
             cwd: str | None = None) -> list[list[str]]:
    """The command lines a process start runs: its own, or each simple command of a shell's
    ``-c`` string (the shell known by what it is, behind wrappers: ``run/programs.py``; the
    string's own shells read in turn) or of ``os.system``'s one string (split at ``;``,
    ``&``, ``|``, new lines, brackets and backticks, so a command substitution is a command
    of its own; quoting as the shell reads it)."""
    return _commands(argv, programs.environment(env), cwd or os.getcwd(), 0)


def _commands(argv: Sequence[str], env: programs.Environment, cwd: str, depth: int,
              top: programs.Start | None = None) -> list[list[str]]:
    import shlex

    start = (top if top is not None else programs.started(argv, env, cwd)
             if depth < programs.MAX_DEPTH else None)
    words = start.words if start is not None and start.kind == SHELL else []
    shell = "-c" in words[1:-1]
    if shell or (not depth and len(argv) == 1 and " " in argv[0]):
        script = words[words.index("-c", 1) + 1] if shell else argv[0]
        found = []
        for part in re.split(r"[;&|\n()`]+", script):
            try:
                split = shlex.split(part)
            except ValueError:
                continue
            if split:
                found += _commands(split, env, cwd, depth + 1)
        return found
    return [list(argv)]


def record(argv: Sequence[str], cwd: str,
           env: Mapping[str, str] | programs.Environment | None, root: str,
           unverifiable: dict[str, str], top: programs.Start | None = None) -> None:
    """Name what a git command on the repository at ``root`` reads beyond HEAD, as an
    unverifiable entry of the closed world (under ``.git``: raw facts a shard carries).
    ``env``: the started process's environment (None: it inherits this process's). A
    shell string's ``cd DIR`` moves the folder the commands after it run in (a test that
    builds a scratch repository with ``cd /tmp/x && git init && git commit``). ``top``: the
    program ``argv`` starts, when the caller knows it already (``run/programs.py``)."""
    environ = programs.environment(env)
    top = top or programs.started(argv, environ, cwd)
    for words in _commands(argv, environ, cwd, 0, top):
        if words[0] in ("cd", "pushd"):
            cwd = os.path.join(cwd, words[1]) if len(words) > 1 else environ.get("HOME") or cwd
            continue
        _record(words, cwd, environ, root, unverifiable, top if words == list(argv) else None)


def _record(argv: Sequence[str], cwd: str, env: programs.Environment, root: str,
            unverifiable: dict[str, str], start: programs.Start | None) -> None:
    line = git_line(argv)
    if line is None:  # git under another name (a link, a copy): known by what it is
        start = start or programs.started(argv, env, cwd)
        if start is None or start.kind != GIT:
            return
        line = git_line(["git", *start.words[1:]])
    if line is None:
        return
    folder = os.path.join(cwd, line.where) if line.where else cwd
    git_dir = line.git_dir or line.assigned.get("GIT_DIR") or env.get("GIT_DIR")
    top = repository(folder, root, git_dir)
    if top is None:
        return
    shown = line.shown
    if top != root:  # another repository inside this one (case 174)
        if line.sub in NO_OBJECTS or line.sub is None or _made_by_the_run(top):
            return
        unverifiable[top] = (
            f"a repository inside the repository, read by `git {shown}`: its objects are "
            "in no tree the verdict names (only the repository's own HEAD is)")
        return
    for what in _line_reads(line, cwd):
        unverifiable[os.path.join(root, ".git", what)] = (
            f"read from git's object store by `git {shown}`: not the commit the verdict "
            "names (only HEAD is); a clean checkout of that commit alone does not hold it")


def _made_by_the_run(top: str) -> bool:
    """Whether a repository inside this one was made by the recording run (a test's own
    fixture repository): its ``HEAD`` file, which only ``init`` writes and commands this
    reading names (``checkout``, ``switch``, ``symbolic-ref``) rewrite, is younger than the
    run's start (the run's own variable says when, run/early.py)."""
    import json

    from pytest_pyramid.run.early import VARIABLE

    git_dir = os.path.join(top, ".git") if os.path.isdir(os.path.join(top, ".git")) else top
    try:
        started = int(json.loads(os.environ[VARIABLE])["started_ns"])
        made = os.stat(os.path.join(git_dir, "HEAD")).st_ctime_ns
    except (KeyError, ValueError, TypeError, OSError):
        return False
    return made >= started
