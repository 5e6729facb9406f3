"""The plugins a run registered, allow-listed by where their code comes from.

A plugin can rewrite reports (a failure turned into a skip) without any option, variable or
``-p`` that the invocation table judges: an installed ``pytest11`` plugin is autoloaded, and
``pytest.main(args, plugins=[obj])`` registers an object no command line shows. So every
registered plugin is judged by the files its code (the module or class, and every hook
implementation pluggy calls for it) comes from:

- pytest's and pluggy's own code, and pytest-pyramid's own: the judge itself;
- a file under the repository (a conftest, a module a tracked conftest or ``-p`` named): the
  tree's code, which the closed world (``run/imported.py``) holds to the tree's bytes;
- an installed distribution in ``PLUGINS`` (one entry per distribution, with why it leaves
  outcomes alone), or one the project declared: ``-p NAME`` in its tracked ``addopts``,
  ``pytest_plugins`` in a conftest, or ``allow_options = ["plugin NAME"]`` in its tracked
  configuration;
- anything else (a distribution the table does not know, code from a script or a folder
  outside the repository) makes the run ``incomplete``, naming it and how to declare it.

The record (``run.invocation.plugins``) holds raw facts (module, file, distribution), and
``pyramid merge`` judges a shard's record with the same function. Start-up work only: one
pass over the registered hooks (a fraction of a millisecond); the distribution of a module
that no autoloaded plugin names is looked up only for files under an install location.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pytest_pyramid.run.facts import FactsRecord

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from pytest_pyramid.run.facts import Policy

_ORDER = "test order only: every test still runs and reports (collected = reported)"
_OUTPUT = "reports and terminal output only"
_FIXTURES = ("fixtures a test asks for by name: the project's own tests decide to use them "
             "and still assert")

#: installed distribution (PEP 503 name) -> why registering its plugin leaves the project's
#: outcomes alone. Its options are judged one by one by run/invocation.py's OPTIONS (an
#: option of a distribution listed here that the table does not know is still not allowed).
#: Walked by tests/unit/run/test_plugin_table.py against every installed pytest11 entry point.
PLUGINS: dict[str, str] = {
    "pytest-xdist": "scheduling: every worker's reports reach the controller, which "
                    "reconciles collected with reported and unions the workers' facts",
    "pytest-cov": "coverage measurement; the coverage gates judge what was measured and "
                  "check its configuration themselves (gates/cov/plugin.py)",
    "pytest-timeout": "fails a test that runs over its limit: stricter; --timeout is judged "
                      "against the tiers' limits (run/limits.py)",
    "pytest-rerunfailures": "reruns only where asked: --reruns/PYTEST_RERUNS are judged by "
                            "the option table, a flaky mark is in the project's own tests, and "
                            "the flaky gate judges a pass on rerun",
    "hypothesis": "runs the project's @given tests; its profile option is judged by the "
                  "option table",
    "anyio": "runs the async tests the project marks for it; --anyio-mode is judged",
    "pytest-asyncio": "runs the async tests the project marks for it (its mode comes from "
                      "the tracked configuration; an option from elsewhere is judged)",
    "pytest-playwright": "browser " + _FIXTURES + "; --browser/--base-url are judged",
    "pytest-base-url": "the base_url fixture; --base-url is judged",
    "locust": "load-test " + _FIXTURES + "; --host is judged",
    "pact-python": "contract-test " + _FIXTURES,
    "platformdirs": _FIXTURES,
    "schemathesis": "API tests generated from the schema the project's own tests load; they "
                    "still fail on a response that breaks it",
    "pytest-mock": "the mocker " + _FIXTURES,
    "pytest-randomly": "test order and per-test random seeds: every test still runs and "
                       "asserts (collected = reported)",
    "pytest-benchmark": "the benchmark " + _FIXTURES + "; its options are not in the option "
                        "table, so one from outside the project's configuration is judged",
    "pytest-html": _OUTPUT,
    "pytest-metadata": _OUTPUT,
    "pytest-json-report": _OUTPUT,
    "pytest-md-report": _OUTPUT,
    "pytest-sugar": _OUTPUT,
    "pytest-instafail": _OUTPUT,
}
#: pytest-pyramid's own distribution: its plugins are the judge's own code
OWN_DISTRIBUTION = "pytest-pyramid-verdict"
#: how ``allow_options`` declares a plugin: ``"plugin NAME"`` (distribution, module or the
#: name it is registered under)
DECLARE = "plugin "


def normalize(name: str) -> str:
    """A distribution's name as PEP 503 compares it (``Pytest_XDist`` -> ``pytest-xdist``):
    ``run/dist_probe.py``'s, which the deploy gate also runs as a script."""
    from pytest_pyramid.run import dist_probe

    return dist_probe.normalize(name)


def _spellings(paths: Iterable[str]) -> tuple[str, ...]:
    """Each folder as given and resolved, with a trailing separator: a file's path is
    compared as Python recorded it (no ``realpath`` per file: start-up time)."""
    found = {os.path.join(p, "") for p in paths if p}
    found.update(os.path.join(os.path.realpath(p), "") for p in paths if p)
    return tuple(sorted(found))


def _package_dirs(*modules: str) -> tuple[str, ...]:
    return _spellings([str(entry) for name in modules
                       for entry in getattr(sys.modules.get(name), "__path__", None) or ()])


def install_dirs() -> tuple[str, ...]:
    """Where installed distributions live (site-packages of this interpreter and the user's):
    a file there is a distribution's, never the tree's, even when the venv is inside the
    repository."""
    import sysconfig

    paths = {sysconfig.get_paths().get(k) or "" for k in ("purelib", "platlib")}
    paths.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return _spellings(paths)


def _code_of(plugin: object, impls: Mapping[int, list[Any]]) -> set[tuple[str, str]]:
    """(module, file) of a plugin's code: its module (or its class's) and every hook
    implementation pluggy calls for it (a subclass of a known plugin overriding one hook
    elsewhere is that elsewhere)."""
    import types

    if isinstance(plugin, types.ModuleType):
        found = {(plugin.__name__, getattr(plugin, "__file__", None) or "")}
    else:
        owner = _owner(plugin)
        found = {(owner, getattr(sys.modules.get(owner), "__file__", None) or "")}
    for function in impls.get(id(plugin), ()):
        code = getattr(function, "__code__", None)
        module = getattr(function, "__module__", None) or "?"
        if code is not None:
            found.add((module, code.co_filename))
    return found


def _hook_impls(manager: Any) -> dict[int, list[Any]]:
    """Every hook implementation's function, by the id of the plugin that holds it."""
    impls: dict[int, list[Any]] = {}
    for caller in vars(manager.hook).values():
        get = getattr(caller, "get_hookimpls", None)
        if get is None:
            continue
        for impl in get():
            impls.setdefault(id(impl.plugin), []).append(impl.function)
    return impls


def _distributions(manager: Any) -> dict[str, str]:
    """Top-level module -> normalized distribution, for every plugin loaded from a
    ``pytest11`` entry point (pytest keeps their distribution: no metadata is read)."""
    import types

    found: dict[str, str] = {}
    for plugin, dist in manager.list_plugin_distinfo():
        module = plugin.__name__ if isinstance(plugin, types.ModuleType) else _owner(plugin)
        inner = getattr(dist, "_dist", dist)
        # the folder name's normalized form: Distribution.name parses the whole METADATA
        name = getattr(inner, "_normalized_name", None) or getattr(dist, "project_name", "")
        found[module.partition(".")[0]] = normalize(str(name))
    return found


def _inside(file: str, dirs: Iterable[str]) -> bool:
    return any(file.startswith(d) for d in dirs)


class _Places:
    """Where code can come from, resolved once per run."""

    def __init__(self, manager: Any, repository: Path) -> None:
        self.judge = _package_dirs("_pytest", "pluggy", "pytest_pyramid")
        pytest_module = getattr(sys.modules.get("pytest"), "__file__", None)
        self.judge_files = {pytest_module, os.path.realpath(pytest_module)} if (
            pytest_module) else set()
        self.repository = _spellings([str(repository)])
        self.installed = install_dirs()
        self.by_module = _distributions(manager)
        #: xdist's package: its worker code runs from there as __channelexec__
        self.xdist = _package_dirs("xdist") if "xdist" in sys.modules else ()
        self._held: dict[str, str | None] = {}
        self._tops: dict[str, tuple[tuple[str, ...], set[str]]] = {}

    def relative(self, file: str) -> str | None:
        """``file`` relative to the repository (POSIX), or None when outside it."""
        for folder in self.repository:
            if file.startswith(folder):
                return file[len(folder):].replace(os.sep, "/")
        return None

    def distribution(self, module: str, file: str) -> str | None:
        top = module.partition(".")[0]
        name = self.by_module.get(top)
        if name is not None and self._holds(top, file):
            return name
        if not _inside(file, self.installed):
            return None
        if file not in self._held:  # reads distributions' records: only for a stray module
            from pytest_pyramid.run.installed import holders

            names = holders([file]).get(file) or []
            self._held[file] = normalize(names[0]) if names else None
        return self._held[file]

    def _holds(self, top: str, file: str) -> bool:
        """Whether ``file`` is the top-level module ``top``'s own (not a file that only
        borrowed its name)."""
        if top not in self._tops:
            own = getattr(sys.modules.get(top), "__file__", None)
            self._tops[top] = (_package_dirs(top), {own, os.path.realpath(own)} if own else set())
        dirs, files = self._tops[top]
        return _inside(file, dirs) or file in files


#: the module xdist's worker code runs as: the controller sends the source of xdist's
#: ``remote.py`` through execnet, which executes it under this name, without a file; its
#: ``WorkerInteractor`` registers itself in every worker (seen at the end of collection)
XDIST_WORKER_MODULE = "__channelexec__"


def plugin_record(manager: Any, repository: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Every registered plugin whose code is not pytest's or pytest-pyramid's own, as raw
    facts (name; module, file and distribution of each piece of its code), and the plugins
    the tree's conftests declare in ``pytest_plugins``."""
    # a blocked name (None) is judged as a plugin turned off (filters.py)
    return records_of(manager, repository, [(name, plugin) for name, plugin in
                                            manager.list_name_plugin() if plugin is not None])


def records_of(
    manager: Any, repository: Path, listed: Sequence[tuple[str, object]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """:func:`plugin_record` of the registrations ``listed`` (name, plugin)."""
    if not listed:
        return [], []  # nothing to record: the places are not even resolved
    places = _Places(manager, repository)
    impls = _hook_impls(manager)
    plugins: list[dict[str, Any]] = []
    declared: list[str] = []
    for name, plugin in listed:
        code = []
        for module, file in sorted(_code_of(plugin, impls)):
            if file and not os.path.isabs(file):
                file = os.path.realpath(file)
            if file in places.judge_files or _inside(file, places.judge):
                continue
            dist = places.distribution(module, file) if file else None
            if module == XDIST_WORKER_MODULE and (not file or _inside(file, places.xdist)):
                dist = "pytest-xdist"  # its worker's own loop, sent by the controller
            # a file in site-packages is an install's, even in a virtualenv inside the repository
            inside = places.relative(file) if dist is None and not _inside(
                file, places.installed) else None
            if inside is not None and Path(file).name == "conftest.py":
                declared.extend(_declared_by(plugin))
            code.append({"module": module, "file": file if inside is None else inside,
                         "distribution": dist})
        if code:
            plugins.append({"name": str(name), "object": _object_name(plugin), "code": code})
    _tree_copies(plugins, repository, places)
    return plugins, sorted(set(declared))


def _module_path(module: str, file: str) -> str | None:
    """The path of ``module``'s file relative to the folder it was imported from
    (``acme_pytest.py``, ``acme/__init__.py``), or None when ``file`` is not named so."""
    parts = module.split(".")
    name = Path(file).name
    relative = "/".join([*parts, "__init__.py"]) if name == "__init__.py" else "/".join(
        [*parts[:-1], parts[-1] + ".py"])
    return relative if file.replace(os.sep, "/").endswith("/" + relative) else None


def _tree_copies(plugins: list[dict[str, Any]], repository: Path, places: _Places) -> None:
    """Raw facts for a plugin's code installed from elsewhere that the tree holds too (a
    monorepo's own plugin, installed as a distribution: hostile case 314): ``tree``, the
    tracked files of that module, and ``same``, whether the installed bytes are one of
    theirs. A declaration allows the declared bytes, not any installed copy of the name.
    Asked only of code from an install location whose distribution the table does not
    know (start-up time: usually none)."""
    pieces = [(piece, relative) for plugin in plugins for piece in plugin["code"]
              if piece.get("distribution") not in (None, OWN_DISTRIBUTION, *PLUGINS)
              and _inside(str(piece["file"]), places.installed)
              and (relative := _module_path(str(piece["module"]), str(piece["file"])))]
    if not pieces:
        return
    tracked = _tracked_like(repository, sorted({relative for _, relative in pieces}))
    for piece, relative in pieces:
        copies = [t for t in tracked if t == relative or t.endswith("/" + relative)]
        if copies:
            piece["tree"] = copies
            piece["same"] = any(_same_bytes(str(piece["file"]), repository / t) for t in copies)


def _tracked_like(repository: Path, relatives: Sequence[str]) -> list[str]:
    """The tracked files (relative, POSIX) that end with one of ``relatives``."""
    import subprocess

    from pytest_pyramid.run._git import run_git

    specs = [f":(glob)**/{relative}" for relative in relatives]
    try:
        result = run_git(repository, "ls-files", "-z", "--", *specs, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [name for name in result.stdout.split("\0") if name] if result.returncode == 0 else []


def _same_bytes(first: str, second: Path) -> bool:
    try:
        with open(first, "rb") as a, open(second, "rb") as b:
            return a.read() == b.read()
    except OSError:
        return False


def _object_name(plugin: object) -> str:
    import types

    if isinstance(plugin, types.ModuleType):
        return plugin.__name__
    cls = plugin if isinstance(plugin, type) else type(plugin)
    return f"{cls.__module__}.{cls.__qualname__}"


def _owner(plugin: object) -> str:
    """The module of a plugin that is an object: its class's. A plugin registered as a class
    itself (pytest 8.4's ``legacypath-tmpdir`` is ``LegacyTmpdirPlugin``, hooks as static
    methods) is its own class: ``type()`` of it is ``type``, from ``builtins``, a module no
    file holds, which made every pytest 8.4 run ``incomplete``."""
    return (plugin if isinstance(plugin, type) else type(plugin)).__module__


def _declared_by(conftest: object) -> list[str]:
    value = getattr(conftest, "pytest_plugins", None) or ()
    return [value] if isinstance(value, str) else [str(v) for v in value]


def plugin_reasons(plugins: Iterable[Mapping[str, Any]], declared: Iterable[str],
                   allow: Sequence[str]) -> list[str]:
    """Why registered plugins are not the project's own and not known to leave outcomes
    alone: the run's judgement of its own record and ``pyramid merge``'s of a shard's. A
    piece of code is allowed when it is the tree's (a path relative to the repository), from
    a distribution in ``PLUGINS``, or declared (``declared``: the project's own ``-p`` values
    and conftest ``pytest_plugins``; ``allow``: ``"plugin NAME"`` entries)."""
    names = {normalize(n) for n in declared}
    names.update(normalize(a[len(DECLARE):].strip()) for a in allow if a.startswith(DECLARE))
    reasons = []
    for plugin in plugins:
        label = str(plugin.get("name", "?"))
        if label.isdigit():  # registered without a name: pluggy used its id
            label = str(plugin.get("object", label))
        for piece in plugin["code"]:
            problem = _piece_reason(label, piece, names)
            if problem:
                reasons.append(problem)
                break
    return reasons


def _piece_reason(label: str, piece: Mapping[str, Any], declared: set[str]) -> str | None:
    module, file = str(piece.get("module", "?")), str(piece.get("file", ""))
    dist = piece.get("distribution")
    if piece.get("tree") and piece.get("same") is not True:
        return (f"plugin {label} runs {file} (distribution {dist}), an installed copy of the "
                f"tree's {', '.join(map(str, piece['tree']))} whose bytes are not the tree's: a "
                "declaration allows the project's own code, not an older install of it; "
                "install it from this checkout (pip install -e) or make it the tree's bytes")
    # the name it is registered under (-p NAME, an entry point's name), its module, its package
    candidates = {normalize(label), normalize(module), normalize(module.partition(".")[0])}
    if dist is not None:
        dist = normalize(str(dist))
        if dist in PLUGINS or dist == OWN_DISTRIBUTION or dist in declared or (
                candidates & declared):
            return None
        return (f"plugin {label} (distribution {dist}) is registered but not declared by the "
                "project, and pytest-pyramid does not know that it leaves outcomes alone (it "
                "can rewrite tests or reports); if the project means to use it, declare it in "
                f"[tool.pyramid] allow_options = [\"{DECLARE}{dist}\"] in its tracked "
                "configuration")
    if file and not Path(file).is_absolute() and not file.startswith(".."):
        return None  # the tree's code: held to the tree's bytes by the closed world
    if candidates & declared:
        return None
    return (f"plugin {label} runs code from {file or 'an unknown file'} (module {module}) that "
            "neither the repository nor an installed distribution holds (pytest.main(plugins="
            "[...]), a script or a folder outside the project): the run cannot vouch for it; "
            f"declare it in [tool.pyramid] allow_options = [\"{DECLARE}{module}\"] in the "
            "project's tracked configuration if it leaves outcomes alone")


class PluginsSeen(FactsRecord):
    """The plugins every process had registered at the end of its collection, as raw facts
    (``plugin_record``): a conftest collected only in xdist workers, or one that registers
    a plugin object while it is imported, adds plugins after the session started, which the
    invocation's record (read once on the controller at session start) cannot hold. Each
    worker ships its record; the controller folds the union into the recorded invocation,
    and the one judgement of it (``invocation.judge_recorded``: the writer's, a shard's, the
    merge's) judges them all."""

    POLICIES: ClassVar[Mapping[str, Policy]] = {"plugins": "union", "declared": "union"}

    def __init__(self) -> None:
        #: a plugin's record (JSON, keys sorted) -> the record
        self.plugins: dict[str, dict[str, Any]] = {}
        self.declared: set[str] = set()
        #: the plugin objects registered when this process last looked (not shipped)
        self._looked_at: set[int] = set()
        #: (name, id) -> plugin of each registration recorded by this process (not
        #: shipped); the object is kept so that its id cannot pass for a later object's
        self._recorded: dict[tuple[str, int], object] = {}

    def record_new(
        self, manager: Any, repository: Path
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """``plugin_record`` of the registrations this process has not recorded yet: a
        registration's record never changes (its code is its module or class and the hooks
        pluggy took from it when it registered), so the start's record (the invocation's,
        on the controller) is not made again at the end of collection."""
        listed = [(name, plugin) for name, plugin in manager.list_name_plugin()
                  if plugin is not None and self._recorded.get((name, id(plugin))) is not plugin]
        plugins, declared = records_of(manager, repository, listed)
        # the very object under that name: its id cannot pass for a later object's while
        # it is kept here
        self._recorded.update(((name, id(plugin)), plugin) for name, plugin in listed)
        return plugins, declared

    def observe(self, manager: Any, repository: Path) -> None:
        """This process's registered plugins, now (at the end of its collection, and for
        each plugin registered after it)."""
        self._looked_at = {id(p) for p in manager.get_plugins()}
        plugins, declared = self.record_new(manager, repository)
        for plugin in plugins:
            self.plugins.setdefault(json.dumps(plugin, sort_keys=True), plugin)
        self.declared.update(declared)

    def observe_at_end(self, manager: Any, repository: Path) -> None:
        """The plugin set again at the session's end, in every process: a plugin no
        registration hook announced is judged too (only when the set changed: the record is
        not made twice for nothing)."""
        if {id(p) for p in manager.get_plugins()} - self._looked_at:
            self.observe(manager, repository)

    def fold_into(self, record: dict[str, Any]) -> None:
        """Add what the processes saw to the invocation ``record`` (the start's plugins
        first), each plugin once."""
        known = {json.dumps(p, sort_keys=True) for p in record.get("plugins", [])}
        record["plugins"] = [*record.get("plugins", []),
                             *(p for key, p in self.plugins.items() if key not in known)]
        record["plugins_declared"] = sorted({*record.get("plugins_declared", []),
                                             *self.declared})
