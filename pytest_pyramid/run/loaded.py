"""Was the code under test the project's own? Checked on the modules a run imported.

The tree digest names the files of the repository; the tests ran whatever Python imported.
Two ways they part: the project's packages imported from somewhere else (``PYTHONPATH``,
``-o pythonpath``, a stray install), and bytecode Python does not check against its source
(an unchecked hash-based ``.pyc`` runs whatever it holds). The packages named by
``[tool.pyramid] source`` are checked, or, when it is not set, the repository's own top-level
packages (folders with ``__init__.py``, ``*.py`` modules and PEP 420 namespace folders at the
project's root and under ``src/`` that git tracks): an installed copy shadowing the tree is
found without configuration. A namespace package is shared by design (``acme.billing`` in the
tree, ``acme.common`` from a dependency), so of its modules only those the tree holds are the
project's, found as Python's path finder finds them. The rest of the environment is not the
code a verdict names.

One route: each process records raw facts (:func:`loaded_code`: every imported module of the
project's packages, the file it came from and the unchecked bytecode it ran), xdist workers
ship them, a CI shard's partial carries them, and one function (:func:`foreign_problems`)
judges them for the writer, for a shard and again in ``pyramid merge`` (with the merge's own
configuration and checkout), so a partial edited to say "no findings" still names them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from importlib.metadata import Distribution
    from types import ModuleType

    from pytest_pyramid.run.summary import Problem

#: the pyc header flag bits (PEP 552): hash-based, and whether the hash is checked
_HASH_BASED = 0b01
_CHECK_SOURCE = 0b10


def _unchecked_pyc(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            header = handle.read(16)
    except OSError:
        return False
    if len(header) < 8:
        return False
    flags = int.from_bytes(header[4:8], "little")
    return hash_pyc_unchecked(flags)


def hash_pyc_unchecked(flags: int) -> bool:
    """Whether this interpreter runs a hash-based ``.pyc`` with these PEP 552 flags without
    comparing it to its source: an unchecked one always, unless ``--check-hash-based-pycs
    always``; a checked one too under ``--check-hash-based-pycs never``."""
    if not flags & _HASH_BASED:
        return False
    import _imp

    mode = getattr(_imp, "check_hash_based_pycs", "default")
    if mode == "never":
        return True
    return not flags & _CHECK_SOURCE and mode != "always"


#: a process's raw facts on the modules it loaded: ``"MODULE:FILE"`` -> the unchecked
#: bytecode it ran from (None: none). FILE is relative to the project's folder (POSIX) when
#: inside it, else absolute; the key holds both so that the xdist controller's union keeps a
#: module two processes loaded from two places (``run/facts.py``'s ``union`` of a mapping)
LoadedCode = dict[str, "str | None"]

#: the modules loaded before pytest-pyramid (the interpreter's start-up: ``site``, ``.pth``
#: lines such as virtualenv's ``_virtualenv``; pytest and the plugins it loaded first): the
#: environment's, not the code under test, so :func:`stray_facts` leaves them out
STARTUP = frozenset(sys.modules)
#: the key prefix of a stray fact (:func:`stray_facts`): ``"!MODULE:FILE"`` -> the project's
#: distribution that installed it, or None when no installed distribution holds the file
STRAY = "!"
#: the key prefix of an outside fact (:func:`outside_facts`): ``"?MODULE:FILE"`` -> None, a
#: module imported from a file neither the repository nor the interpreter's environment holds
OUTSIDE = "?"
#: this plugin's own package: the run's harness wherever it is installed from
PLUGIN_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__))) + os.sep


def loaded_code(source_paths: Iterable[str], rootdir: Path,
                modules: Mapping[str, ModuleType] | None = None,
                started: float | None = None, before: frozenset[str] = frozenset()
                ) -> LoadedCode:
    """Raw facts: every imported module of the project's packages (``source_paths``, or the
    tracked top-level ones by default) with where it was loaded from, and every module
    loaded from outside the repository and the environment (``started``: when the run
    began; a file made since is the run's own output; ``before``: modules an outer run in
    this process loaded before this one began). Once per process, at its session end."""
    names = package_names(source_paths, rootdir)
    root = os.path.realpath(rootdir)
    table = sys.modules if modules is None else modules
    found = facts_of(names, root, table)
    found.update(stray_facts(names, rootdir, table))
    found.update(outside_facts(rootdir, table, STARTUP | before, started=started))
    return found


def outside_facts(rootdir: Path, modules: Mapping[str, ModuleType],
                  startup: frozenset[str] = STARTUP, started: float | None = None,
                  places: tuple[str, ...] | None = None) -> LoadedCode:
    """Raw facts on the modules the run imported from a file that neither the repository
    (judged by the closed world) nor the interpreter's environment holds (hostile case 402:
    shared test helpers in a sibling folder reached through a tracked ``pythonpath`` or a
    conftest's ``sys.path.insert``): code no tree and no environment vouches for. The
    allow-list: the repository, the interpreter's prefixes and install locations (its
    standard library, site-packages), this plugin, the folders of editable installs of the
    environment's distributions, and files made since the run began (code a test generated
    into ``tmp_path``: the run's own output). Cheap when nothing is outside: the editable
    installs are read only for a candidate."""
    environment = (PLUGIN_DIR, *(_environment_places() if places is None else places))
    known = (os.path.join(os.path.realpath(rootdir), ""), *environment)
    candidates: dict[str, str] = {}
    for name, module in list(modules.items()):
        file = getattr(module, "__file__", None) if module is not None else None
        if not isinstance(file, str) or not file or name in startup or \
                os.path.normpath(file).startswith(environment):
            continue  # the environment's by its spelling (``..`` resolved): no system call
        real = os.path.realpath(file)  # the tree's only by where it really is (a link out)
        if not real.startswith(known):
            candidates[name] = real
    if not candidates:
        return {}
    editable = editable_places() if places is None else ()
    found: LoadedCode = {}
    for name, real in sorted(candidates.items()):
        if editable and real.startswith(editable):
            continue
        if started is not None and _made_since(real, started):
            continue
        found[f"{OUTSIDE}{name}:{real}"] = None
    return found


def environment_dirs() -> tuple[str, ...]:
    """Where the interpreter and its installed packages live: not the project's code even
    when a virtualenv sits inside the repository (``.venv``, ``.tox``)."""
    import sysconfig

    dirs = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix}
    paths = sysconfig.get_paths()  # expands the install scheme at each call: once
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = paths.get(key)
        if path:
            dirs.add(path)
    return tuple(sorted(os.path.realpath(d) for d in dirs if d))


def _environment_places() -> tuple[str, ...]:
    """The interpreter's own folders (:func:`environment_dirs`, the closed world's too) and
    its other install locations (the user's site-packages), each ending in a separator, as
    spelled and as they really are."""
    from pytest_pyramid.run.plugins import install_dirs

    places = {*environment_dirs(), *install_dirs()}
    return tuple(sorted({os.path.join(spelling, "") for p in places if p
                         for spelling in (p, os.path.realpath(p))}))


def editable_places() -> tuple[str, ...]:
    """The places the environment's editable installs map their code to: each setuptools
    editable finder's ``MAPPING`` (a package -> its folder) and each folder a ``.pth`` file
    of the install locations adds to ``sys.path`` (a path-style editable install): the
    environment's own configuration, wherever those files live."""
    from pytest_pyramid.run.plugins import install_dirs

    found: set[str] = set()
    for name, module in list(sys.modules.items()):
        mapping = getattr(module, "MAPPING", None) if name.startswith("__editable__") else None
        if isinstance(mapping, Mapping):
            found.update(os.path.realpath(str(place)) for place in mapping.values())
    for folder in install_dirs():
        try:
            pth_files = [entry.path for entry in os.scandir(folder) if entry.name.endswith(".pth")]
        except OSError:
            continue
        for pth in pth_files:
            found.update(_pth_folders(pth, folder))
    return tuple(sorted(place if place.endswith(".py") else os.path.join(place, "")
                        for place in found))


def _pth_folders(pth: str, folder: str) -> set[str]:
    """The folders a ``.pth`` file's path lines add (``site``'s rule: not ``import`` lines,
    relative to its folder, existing)."""
    try:
        with open(pth, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return set()
    return {os.path.realpath(os.path.join(folder, line.strip())) for line in lines
            if line.strip() and not line.startswith(("#", "import ", "import\t"))
            and os.path.isdir(os.path.join(folder, line.strip()))}


def _made_since(path: str, started: float) -> bool:
    """Whether ``path`` was made since ``started`` (``run/birth.py``: by its birth time, so a
    helper from before the run that a test retimes is still from before): the run's output."""
    from pytest_pyramid.run.birth import made_since

    return made_since(path, int((started - 0.01) * 1_000_000_000))  # the coarse clock's tick


def stray_facts(names: frozenset[str], rootdir: Path, modules: Mapping[str, ModuleType],
                startup: frozenset[str] = STARTUP,
                installed: tuple[str, ...] | None = None) -> LoadedCode:
    """Raw facts on the top-level modules the run imported from an install location that are
    not the tree's by its listing (``names``) yet not known to be a dependency's: a file no
    installed distribution holds (a stale install of a module the commit deleted: hostile
    case 310), or one the project's own distribution installed (its ``[project].name``, or
    installed from this repository). Which module is the project's is decided by where its
    distribution comes from, not only by what the tree holds today; which distribution holds
    a file, by the distribution's own record (``run/installed.py``). ``installed``: the
    install locations (this interpreter's by default; given, their distributions are the
    only ones read). Once per process."""
    lookup = installed
    if installed is None:
        from pytest_pyramid.run.plugins import install_dirs

        installed = install_dirs()
    candidates: dict[str, str] = {}
    for name, module in list(modules.items()):
        # a top-level module the tree's listing does not name, or any module of the project's
        # packages from an install location (a namespace's module the commit deleted: the
        # tree's listing reads it as a dependency's, 310 c; one the tree holds is named once)
        ours = name.partition(".")[0] in names
        if (not ours and ("." in name or name in names)) or name in startup or module is None:
            continue
        file = getattr(module, "__file__", None)
        if file and str(file).startswith(installed):
            candidates[name] = str(file)
    if not candidates:
        return {}
    from pytest_pyramid.run.installed import holders

    own = _OwnDistributions(rootdir)
    # with no distribution that can be the project's, a file's first holder decides
    owners = holders(candidates.values(), lookup,
                     every=own.possible if lookup is None else own.possible_among)
    root = os.path.realpath(rootdir)
    found: LoadedCode = {}
    for name, file in sorted(candidates.items()):
        dists = owners.get(file) or []
        mine = next((d for d in dists if own.holds(d)), None)
        if not dists or mine is not None:
            found[f"{STRAY}{name}:{_shown(os.path.realpath(file), root)}"] = mine
    return found


class _OwnDistributions:
    """Whether an installed distribution is the project's own: its name is the project's
    ``[project].name``, or its ``direct_url.json`` names a folder of this repository (``pip
    install .`` of the project, or of one of its own subprojects)."""

    def __init__(self, rootdir: Path) -> None:
        from pytest_pyramid.project import PYPROJECT, read_document
        from pytest_pyramid.run.plugins import normalize

        self.normalize = normalize
        table = (read_document(rootdir / PYPROJECT) or {}).get("project")
        name = table.get("name") if isinstance(table, Mapping) else None
        self.names = {normalize(name)} if isinstance(name, str) else set()
        self.root = os.path.realpath(rootdir)
        self._seen: dict[str, bool] = {}

    def holds(self, dist: str) -> bool:
        key = self.normalize(dist)
        if key not in self._seen:
            self._seen[key] = key in self.names or self._from_here(dist)
        return self._seen[key]

    def possible(self, dists: Sequence[Distribution]) -> bool:
        """Whether one of ``dists`` (every distribution :meth:`holds` may find by name) can
        be the project's: the project has a name, or one's ``direct_url.json`` names a
        folder of this repository. When none can, :func:`stray_facts` needs a file's first
        holder only."""
        return bool(self.names) or any(self._installed_here(dist) for dist in dists)

    def possible_among(self, dists: Sequence[Distribution]) -> bool:
        """:meth:`possible` of ``dists`` (those of other install locations) and of
        ``sys.path``'s distributions, where :meth:`holds` finds a holder's name."""
        from importlib.metadata import distributions

        return self.possible(dists) or self.possible(list(distributions()))

    def _from_here(self, dist: str) -> bool:
        from importlib.metadata import PackageNotFoundError, distribution

        try:
            found = distribution(dist)
        except (PackageNotFoundError, ValueError, OSError, AttributeError):
            return False
        return self._installed_here(found)

    def _installed_here(self, dist: Distribution) -> bool:
        import json
        from urllib.parse import unquote, urlparse

        from pytest_pyramid.run.installed import metadata_text

        try:
            text = metadata_text(dist, "direct_url.json")
            url = json.loads(text or "{}").get("url", "")
        except (ValueError, OSError, AttributeError):
            return False
        parsed = urlparse(str(url))
        if parsed.scheme != "file":
            return False
        path = os.path.realpath(unquote(parsed.path))
        return path == self.root or path.startswith(self.root + os.sep)


def facts_of(names: frozenset[str], root: str, modules: Mapping[str, ModuleType]
             ) -> LoadedCode:
    """The raw facts of the ``modules`` whose top-level name is one of ``names`` (the run's
    process at its session end, a followed child at its start and exit)."""
    found: LoadedCode = {}
    for name, module in list(modules.items()):
        if module is None or name.partition(".")[0] not in names:
            continue
        file = getattr(module, "__file__", None)
        if not file:
            continue  # a namespace package: its modules are checked one by one
        cached = getattr(getattr(module, "__spec__", None), "cached", None)
        key, unchecked = module_fact(name, file, cached, root)
        found[key] = unchecked
    return found


def package_names(source_paths: Iterable[str], rootdir: Path) -> frozenset[str]:
    """The top-level names of the project's packages (``source_paths``, or the tree's
    top-level ones by default) whose modules :func:`loaded_code` records: what a run's
    followed children report too (``run/imported.py: follow_child``), so every process of
    the run gives the judge the same facts."""
    declared, tree = _entries(source_paths, rootdir)
    return frozenset(_top_name(rootdir, entry) for entry in (*declared, *tree))


def _entries(source_paths: Iterable[str], rootdir: Path) -> tuple[list[str], list[str]]:
    """The declared ``source`` entries, and the tree's top-level packages and modules no
    declared entry names: ``source`` chooses what coverage and the static gates measure, not
    which of the tree's packages may come from elsewhere (hostile case 356: a tracked test
    helper package outside ``source`` ran from a stale installed copy)."""
    declared = list(source_paths)
    tops = {_top_name(rootdir, entry) for entry in declared}
    return declared, [entry for entry in default_packages(rootdir)
                      if _top_name(rootdir, entry) not in tops]


def module_fact(name: str, file: str, cached: str | None, root: str) -> tuple[str, str | None]:
    """One raw fact of :data:`LoadedCode`: the key ``"MODULE:FILE"`` (FILE relative to the
    project's real folder ``root`` when inside it) and the unchecked bytecode it ran from,
    if any. The one spelling of the fact, for the run's processes and its children alike."""
    unchecked = _shown(os.path.realpath(cached), root) if cached and _unchecked_pyc(
        cached) else None
    return f"{name}:{_shown(os.path.realpath(file), root)}", unchecked


def _shown(real: str, root: str) -> str:
    """``real`` relative to ``root`` (POSIX) when inside it, else as it is."""
    if real == root or real.startswith(root + os.sep):
        return os.path.relpath(real, root).replace(os.sep, "/")
    return real


def _top_name(rootdir: Path, entry: str) -> str:
    path = (rootdir / entry).resolve()
    return path.stem if path.suffix == ".py" else path.name


def foreign_problems(loaded: object, source_paths: Iterable[str], rootdir: Path
                     ) -> list[Problem]:
    """The one judgement of a run's loaded code: the writer's of its processes' union, a
    shard's of its own, and ``pyramid merge``'s of each shard's raw facts (with the merge's
    configuration and checkout: what a partial claims for itself is not taken)."""
    from pytest_pyramid.run.collection import shown_paths

    if not isinstance(loaded, Mapping):
        return [{"kind": "foreign_code", "message": "no facts on the modules the run loaded "
                 "were recorded (a partial of an older version, or an edited one): the code "
                 "under test is not vouched for"}]
    reasons = foreign_code(loaded, source_paths, rootdir)
    if not reasons:
        return []
    return [{"kind": "foreign_code",
             "message": f"the code under test is not the tree's: {shown_paths(reasons)}"}]


def foreign_code(
    loaded: Mapping[str, object],
    source_paths: Iterable[str],
    rootdir: Path,
) -> list[str]:
    """Why the loaded code of the project's own packages (raw facts: :func:`loaded_code`) is
    not the tree's, if it is not. Without ``source_paths`` the project's own are its tracked
    top-level packages, modules and namespace folders."""
    declared, tree = _entries(source_paths, rootdir)
    messages = [message for _, _, message in _foreign(declared, rootdir, loaded)]
    found = _foreign(tree, rootdir, loaded)
    if found:
        # the tree's file is the project's code only when git tracks it (asked only now: rare)
        from pytest_pyramid.run.invocation import git_tracked

        tracked = git_tracked(sorted({owner for _, owner, _ in found}), rootdir)
        why = ("[tool.pyramid] source names others, and" if declared else
               "[tool.pyramid] source is not set, so")
        messages += [f"{message} (the repository's {_kind(rootdir, entry)}: {why} its tracked "
                     "top-level packages and modules are the project's)"
                     for entry, owner, message in found if owner in tracked]
    return _with_strays(loaded, messages)


def _with_strays(loaded: Mapping[str, object], messages: list[str]) -> list[str]:
    """``messages`` (each starts with the module it names) and the stray reasons of the
    modules they do not name already: one reason a module."""
    named = {message.partition(" ")[0] for message in messages}
    return sorted([*(reason for reason in stray_reasons(loaded)
                     if reason.partition(" ")[0] not in named), *messages])


def stray_reasons(loaded: Mapping[str, object]) -> list[str]:
    """Why the stray facts (:func:`stray_facts`) of a run's loaded code are not vouched for."""
    found = []
    for key, dist in loaded.items():
        if str(key).startswith(OUTSIDE):
            name, _, file = str(key)[len(OUTSIDE):].partition(":")
            found.append(f"{name} was imported from {file}, outside the repository and the "
                         "interpreter's environment: no tree and no installed distribution "
                         "holds the code that ran (commit it to the repository, or install "
                         "it into the environment)")
            continue
        if not str(key).startswith(STRAY):
            continue
        name, _, file = str(key)[len(STRAY):].partition(":")
        if dist is None:
            found.append(f"{name} was imported from {file}, which no installed distribution "
                         "holds and the tree does not hold (a stale install of a module the "
                         "project removed, or a copied file): where its code comes from is "
                         "unknown")
        else:
            found.append(f"{name} was imported from {file}, an installed copy of the "
                         f"project's own distribution {dist}, not the tree's code (a module "
                         "the tree no longer holds, or an install older than the checkout)")
    return found


def _kind(rootdir: Path, entry: str) -> str:
    if entry.endswith(".py"):
        return f"module {entry}"
    if _namespace(rootdir / entry):
        return f"namespace package {entry}/"
    return f"package {entry}/"


def default_packages(rootdir: Path) -> list[str]:
    """The folders and the ``*.py`` modules at ``rootdir`` and under ``src/`` (relative
    paths) that may hold the project's code when ``[tool.pyramid] source`` is not set: a
    package (``__init__.py``), a module (a project whose code is one module has no package:
    hostile case 147) and a folder without ``__init__.py``, which Python imports as a PEP 420
    namespace package (case 158: ``src/acme/billing/core.py``); of a namespace folder only the
    modules the tree holds are the project's (:func:`_owner`), so a folder of data or docs
    names nothing. A name of the standard library is left out (importing the standard
    library's is not foreign), and so is ``conftest.py``: pytest imports every conftest as a
    top-level ``conftest``, so another folder's would look like a foreign copy of it."""
    found = []
    for base in ("", "src"):
        try:
            entries = list(os.scandir(rootdir / base))
        except OSError:
            continue
        for entry in entries:
            if _own_code(entry):
                found.append(f"{base}/{entry.name}" if base else entry.name)
    return sorted(found)


def _own_code(entry: os.DirEntry[str]) -> bool:
    """A top-level module (``*.py``), package or namespace folder of the project."""
    stem, dot, suffix = entry.name.rpartition(".")
    if dot and suffix == "py":
        return (stem.isidentifier() and stem != "conftest"
                and stem not in sys.stdlib_module_names and entry.is_file())
    return (entry.name.isidentifier() and entry.name not in sys.stdlib_module_names
            and entry.name != "__pycache__" and entry.is_dir())


def _namespace(path: Path) -> bool:
    """A folder Python would import as a PEP 420 namespace package: no ``__init__.py``."""
    return path.is_dir() and not (path / "__init__.py").is_file()


def _owner(name: str, path: Path, namespace: bool) -> Path | None:
    """The tree's file that makes module ``name`` the project's (its top-level name is the
    source entry at ``path``, a ``namespace`` folder or not), or None when the tree does not
    hold it. A package or module entry holds every module under its name (a regular package
    cannot be split); a namespace folder only the modules below it, found in the order
    Python's path finder looks: a package (``__init__.py``), then a module file, then a
    namespace folder to descend into."""
    if not namespace:
        return path if path.suffix == ".py" else path / "__init__.py"
    folder = path
    for part in name.split(".")[1:]:
        if (folder / part / "__init__.py").is_file():
            return folder / part / "__init__.py"
        if (folder / f"{part}.py").is_file():
            return folder / f"{part}.py"
        if not (folder / part).is_dir():
            return None
        folder = folder / part
    # a module with a file named like a namespace folder of the tree: a regular package or a
    # module elsewhere shadows the whole folder, which matters when the folder holds code
    return _first_module(folder)


def _first_module(folder: Path) -> Path | None:
    for parent, dirs, files in os.walk(folder):
        dirs.sort()
        for file in sorted(files):
            if file.endswith(".py"):
                return Path(parent, file)
    return None


def _foreign(entries: Iterable[str], rootdir: Path, loaded: Mapping[str, object]
             ) -> list[tuple[str, Path, str]]:
    """(source entry, the tree's file the module should have come from, why) for each loaded
    module of these packages that is not the tree's code."""
    root = os.path.realpath(rootdir)
    # top name -> [(folder, entry, path, a namespace folder)], each asked of the disk once
    dirs: dict[str, list[tuple[str, str, Path, bool]]] = {}
    for entry in entries:
        path = (rootdir / entry).resolve()
        name = path.stem if path.suffix == ".py" else path.name
        dirs.setdefault(name, []).append((_shown(str(path), root), entry, path,
                                          path.suffix != ".py" and _namespace(path)))
    found = []
    for key, unchecked in sorted(loaded.items()):
        if str(key).startswith((STRAY, OUTSIDE)):
            continue  # judged by stray_reasons
        name, _, file = str(key).partition(":")
        where = dirs.get(name.partition(".")[0], [])
        owned = [(entry, owner) for _, entry, path, namespace in where
                 if (owner := _owner(name, path, namespace)) is not None]
        if not owned:
            continue  # not one of the project's modules here
        entry, owner = owned[0]
        if not any(file == folder or file.startswith(folder + "/") for folder, *_ in where):
            found.append((entry, owner, f"{name} was imported from {file}, not from the "
                          "project's source"))
            continue
        if unchecked is not None:
            found.append((entry, owner, f"{name} ran from bytecode Python does not check "
                          f"against its source ({unchecked})"))
    return found
