"""A run vouches for the suite only when it ran under the project's own settings.

Most narrowing is found from what the run saw (test files on disk against those collected,
tests collected against tests that reported, ``pytest_deselected``), whatever option,
``addopts``, ``PYTEST_ADDOPTS``, argsfile or conftest caused it. What is left here is what
hides inside a collected file or changes outcomes without changing what is collected: test
ids, ``-k``/``-m``, ``--lf``/``--sw``, and every setting the allow-list of
``run/invocation.py`` does not know to be harmless, unless the project's own tracked
configuration set it (its ``addopts``) - plugins turned off, ``--confcutdir`` and ``-c``
judged by value here, the rest in that table.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.run._git import run_git

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import pytest

    from pytest_pyramid.run.invocation import Invocation

#: option destinations of invocations that run no tests: they leave the last verdict alone
INFORMATIONAL = (
    "help",
    "version",
    "markers",
    "showfixtures",
    "show_fixtures_per_test",
    "collectonly",
    "setuponly",
    "setupplan",
    "cacheshow",
)
#: the files pytest itself looks for in a project directory
PROJECT_CONFIGS = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


def informational(option: Any) -> bool:
    """Whether this invocation only shows something (help, fixtures, a plan) and runs no test."""
    return any(getattr(option, name, False) for name in INFORMATIONAL)


def turned_off_plugins(config: pytest.Config) -> set[str]:
    """Plugins this run did not load: blocked (``-p no:NAME`` from anywhere, a conftest's
    ``set_blocked``) and the ones autoloading would have registered (:func:`not_autoloaded`)."""
    manager = config.pluginmanager
    off = {name for name, plugin in manager.list_name_plugin() if plugin is None}
    return off | not_autoloaded(config)


def not_autoloaded(config: pytest.Config) -> set[str]:
    """Installed ``pytest11`` plugins autoloading would have registered and nothing loaded.
    ``--disable-plugin-autoload`` and ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` are one fact,
    read here for every route (hostile case 308)."""
    manager = config.pluginmanager
    autoload_off = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") or getattr(
        config.known_args_namespace, "disable_plugin_autoload", False)
    if not autoload_off:
        return set()
    from importlib.metadata import entry_points

    loaded = {getattr(p, "__name__", None) for p in manager.get_plugins()}
    return {ep.name for ep in entry_points(group="pytest11")
            if manager.get_plugin(ep.name) is None and ep.value.partition(":")[0] not in loaded}


def settings_reasons(
    config: pytest.Config, settings_file: Path | None, invocation: Invocation
) -> list[str]:
    """Settings of this run that are not the project's own tracked configuration and not
    known (``run/invocation.py``) to leave outcomes and their judgement alone."""
    from pytest_pyramid.run.invocation import disabled_plugin_reasons

    reasons = list(invocation.reasons)
    allow = invocation.allow_options if invocation.allow_honoured else []
    # the project's own tracked addopts turning autoloading off decided what it leaves out
    mine = invocation.own_disabled | (not_autoloaded(config) if invocation.own_autoload_off
                                      else set())
    reasons.extend(disabled_plugin_reasons(turned_off_plugins(config), mine, allow))
    facts = invocation.narrowing
    confcutdir = getattr(config.known_args_namespace, "confcutdir", None)
    if confcutdir:
        # pytest sets it itself to the configuration file's folder (or the rootdir)
        default = config.inipath.parent if config.inipath is not None else config.rootpath
        own = [s["value"] for s in invocation.settings
               if s["option"] == "--confcutdir" and s["own"]]
        facts["confcutdir"] = {"value": str(confcutdir),
                               "resolved": str(Path(confcutdir).resolve()),
                               "default": str(Path(default).resolve()),
                               "own": confcutdir in own}
    inifile = getattr(config.option, "inifilename", None)
    if inifile:
        used = Path(config.invocation_params.dir, inifile).resolve()
        invocation_dir = Path(config.invocation_params.dir).resolve()
        # the file pytest's own discovery would find walks up from where it runs
        discoverable = {
            (folder / name).resolve()
            for folder in (invocation_dir, *invocation_dir.parents)
            for name in PROJECT_CONFIGS
        }
        facts["inifile"] = {"value": str(inifile), "discoverable": used in discoverable,
                            "project_file": settings_file is None
                            or used == settings_file.resolve()}
    rootdir = rootdir_fact(config)
    if rootdir is not None:
        facts["rootdir"] = rootdir
    return reasons


def rootdir_fact(config: pytest.Config) -> dict[str, Any] | None:
    """Where pytest's own rule puts the rootdir for the run's own arguments, when a word of
    the command line that pytest chose its rootdir from may not have been one: pytest
    chooses it before plugins add their options, so the value of a plugin's option given
    with a space (``--pyramid-history /elsewhere/h.sqlite``) is taken for a path argument,
    and another repository's configuration can judge the run. None when no such word names
    an existing path (every run that writes ``--option=PATH``: nothing is computed)."""
    import shlex

    invocation = config.invocation_params
    given = [*shlex.split(os.environ.get("PYTEST_ADDOPTS", "")), *map(str, invocation.args)]
    own = [str(arg) for arg in getattr(config.option, "file_or_dir", None) or ()]
    words = [word for word in given if not word.startswith(("-", "@")) and word not in own
             and os.path.exists(Path(invocation.dir, word))]
    if not words:
        return None
    fact: dict[str, Any] = {"value": str(config.rootpath), "words": words, "arguments": None}
    try:  # pytest's own rule, on the words it would have had without the options' values
        from _pytest.config.findpaths import determine_setup

        rootdir = determine_setup(
            inifile=config.option.inifilename, override_ini=config.option.override_ini,
            args=[word for word in own if word in given],
            rootdir_cmd_arg=config.option.rootdir or None, invocation_dir=invocation.dir)[0]
    except Exception:  # another pytest's signature (or a UsageError): "arguments" unknown
        return fact
    fact["arguments"] = str(rootdir)
    return fact


def narrowing_reasons(
    config: pytest.Config,
    invocation: Invocation,
    project_dir: Path | None = None,
    settings_file: Path | None = None,
) -> list[str]:
    """Why this run does not cover the whole suite, beyond what collection shows. A ``-k``
    or ``-m`` of the project's own tracked ``addopts`` is the project's decision: listed in
    the verdict (``run.invocation``), not a reason."""
    reasons = []
    option = config.option
    own = invocation.own_selection
    lf_plugin = config.pluginmanager.get_plugin("lfplugin")
    # raw facts in the recorded invocation, judged here and again by the merge (one function)
    invocation.narrowing["last_failed"] = bool(
        getattr(option, "lf", False) and getattr(lf_plugin, "lastfailed", None))
    if getattr(option, "stepwise", False) or getattr(option, "stepwise_skip", False):
        reasons.append("--stepwise: the run may stop early and skip passed tests")
    keyword, markexpr = getattr(option, "keyword", ""), getattr(option, "markexpr", "")
    if keyword and own.get("keyword") != keyword:
        reasons.append(f"-k {keyword!r} filtered the tests")
    if markexpr and own.get("markexpr") != markexpr:
        reasons.append(f"-m {markexpr!r} filtered the tests")
    # config.args are the collection arguments after addopts, PYTEST_ADDOPTS and argsfiles
    ids = [arg for arg in config.args if "::" in str(arg)]
    if ids:
        reasons.append(f"the run was limited to test ids ({len(ids)}: {ids[0]} ...)")
    reasons.extend(settings_reasons(config, settings_file, invocation))
    from pytest_pyramid.run.invocation import narrowing_fact_reasons

    allow = invocation.allow_options if invocation.allow_honoured else []
    reasons.extend(narrowing_fact_reasons(invocation.narrowing, allow))
    rootdir = getattr(option, "rootdir", None)
    if rootdir and project_dir is not None:
        given = Path(config.invocation_params.dir, rootdir).resolve()
        if given != project_dir.resolve():
            reasons.append(f"--rootdir {rootdir} is not the project directory {project_dir}")
    return reasons


def ignored_sources(config: pytest.Config, pyramid_config: Path | None = None) -> list[str]:
    """The configuration files (pytest's, and the one ``[tool.pyramid]`` came from: a
    ``pyramid.toml`` beside a ``setup.cfg``) and conftest files of this run that git ignores:
    they shaped the run but are not part of the tree the verdict names (a gitignored
    ``pytest.ini`` or ``pyramid.toml`` would silently replace the project's configuration)."""
    paths: list[Path] = []
    if config.inipath is not None:
        paths.append(Path(config.inipath))
    if pyramid_config is not None and pyramid_config not in paths:
        paths.append(pyramid_config)
    for plugin in config.pluginmanager.get_plugins():
        name = getattr(plugin, "__file__", None)
        if name and os.path.basename(name) == "conftest.py":
            paths.append(Path(name))
    return git_ignored(paths, config.rootpath)


def git_ignored(paths: Sequence[Path], cwd: Path) -> list[str]:
    """Which of ``paths`` git ignores (tracked files never are); empty outside git."""
    if not paths:
        return []
    try:
        # tracked files are never listed
        result = run_git(cwd, "check-ignore", "--", *map(str, paths), timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if result.returncode not in (0, 1):  # 128: not a git repository, nothing to compare with
        return []
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def addopts_selector(config: pytest.Config) -> Callable[[pytest.Item], bool] | None:
    """Whether a deselected test was deselected by the ``-k``/``-m``/``--deselect`` of the
    configuration file's ``addopts`` (the values in force, not overridden by another source).
    Whether that file is the project's own (tracked) is decided once, on the judging side."""
    from pytest_pyramid.run.invocation import addopts_text, parse_args

    overridden = any(str(o).partition("=")[0].strip() == "addopts"
                     for o in getattr(config.option, "override_ini", None) or ())
    args = [] if overridden else addopts_text(config.getini("addopts"))
    parsed = parse_args(config._parser, args) if args else None  # pytest has no public parser
    if not parsed:
        return None
    option = config.option
    prefixes = tuple(str(d) for d in parsed.get("deselect") or ()
                     if str(d) in (getattr(option, "deselect", None) or ()))
    keyword = parsed.get("keyword") or ""
    markexpr = parsed.get("markexpr") or ""
    keyword = keyword if keyword == getattr(option, "keyword", "") else ""
    markexpr = markexpr if markexpr == getattr(option, "markexpr", "") else ""
    if not (prefixes or keyword or markexpr):
        return None
    try:  # pytest's own matchers (private): without them, nothing counts as the project's
        from _pytest.mark import KeywordMatcher, MarkMatcher
        from _pytest.mark.expression import Expression

        MarkMatcher.from_markers  # noqa: B018 - pytest >= 8.0
    except (ImportError, AttributeError):
        return None
    by_keyword = Expression.compile(keyword) if keyword else None
    by_mark = Expression.compile(markexpr) if markexpr else None

    def excluded(item: pytest.Item) -> bool:
        if prefixes and item.nodeid.startswith(prefixes):
            return True
        if by_keyword is not None and not by_keyword.evaluate(KeywordMatcher.from_item(item)):
            return True
        return by_mark is not None and not by_mark.evaluate(
            MarkMatcher.from_markers(item.iter_markers()))

    return excluded


def own_path_exclusions(
    config: pytest.Config, invocation: Invocation, project_dir: Path
) -> list[tuple[str, str, Callable[[Path], bool]]]:
    """Paths the project's own tracked configuration leaves out of collection: ``--ignore``
    and ``--ignore-glob`` in its ``addopts``, ``collect_ignore``/``collect_ignore_glob`` in a
    conftest git tracks. Each: (what, which file decided it, does it exclude this path)."""
    from pytest_pyramid.run.invocation import git_tracked, relative

    found: list[tuple[str, str, Callable[[Path], bool]]] = []
    base = Path(config.invocation_params.dir)
    for source in invocation.sources:
        if not source.own:
            continue
        for entry in invocation.settings:
            if entry["source"] != source.label or entry["option"] not in (
                    "--ignore", "--ignore-glob"):
                continue
            for value in entry["value"] if isinstance(entry["value"], list) else []:
                what = f"{entry['option']}={value} (addopts)"
                found.append((what, source.file or "", _matcher(base, str(value),
                                                                 entry["option"] != "--ignore")))
    conftests = [
        (Path(plugin.__file__), plugin)
        for plugin in config.pluginmanager.get_plugins()
        if os.path.basename(getattr(plugin, "__file__", None) or "") == "conftest.py"
    ]
    tracked = git_tracked([path for path, _ in conftests], project_dir)
    for path, module in conftests:
        if path not in tracked:
            continue
        where = relative(path, project_dir)
        for name, glob in (("collect_ignore", False), ("collect_ignore_glob", True)):
            for value in getattr(module, name, None) or ():
                found.append((f"{name}: {value}", where, _matcher(path.parent, str(value), glob)))
    return found


def _matcher(base: Path, value: str, glob: bool) -> Callable[[Path], bool]:
    """pytest's own rule: an ignored path and everything under it; a glob against the
    absolute path of the file or any folder above it."""
    target = Path(base, value).resolve()
    pattern = str(Path(base, value))

    def matches(path: Path) -> bool:
        chain = (path, *path.parents)
        if glob:
            return any(fnmatch.fnmatch(str(p), pattern) for p in chain)
        return target in chain

    return matches
