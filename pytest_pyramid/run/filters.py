"""A run vouches for the suite only when it ran under the project's own settings.

Most narrowing is found from what the run saw (test files on disk against those collected,
tests collected against tests that reported, ``pytest_deselected``), whatever option,
``addopts``, ``PYTEST_ADDOPTS``, argsfile or conftest caused it. What is left here is what
hides inside a collected file or changes outcomes without changing what is collected: test
ids, ``-k``/``-m``, ``--lf``/``--sw``, and any setting that is not the project's committed
configuration - ``-o`` overrides, ``-W`` filters, plugins turned off, ``--noconftest``,
``--confcutdir``, a configuration file other than the project's (``-c``, or one git ignores).
The project's own ``addopts`` (in its committed configuration file) is the baseline: what
it sets is the project's choice, what the command line, ``PYTEST_ADDOPTS`` or an argsfile add
on top is not.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid._git import run_git

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import pytest

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
#: plugins whose absence changes neither what runs nor its outcome (caching, ordering, output)
HARMLESS_TO_DISABLE = frozenset(
    {
        "cacheprovider",
        "pastebin",
        "randomly",
        "sugar",
        "instafail",
        "rich",
        "html",
        "junitxml",
        "md_report",
        "json_report",
        "xdist",
        "xdist.looponfail",
        "legacypath",
        "tmpdir",
        "nose",
        "stepwise",
    }
)


#: the files pytest itself looks for in a project directory
PROJECT_CONFIGS = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
#: ini settings an override may set without changing what runs or how it is judged
HARMLESS_OVERRIDES = frozenset(
    {
        "console_output_style",
        "cache_dir",
        "junit_family",
        "junit_suite_name",
        "junit_logging",
        "junit_log_passing_tests",
        "junit_duration_report",
        "log_level",
        "log_format",
        "log_date_format",
        "log_cli",
        "log_cli_level",
        "log_cli_format",
        "log_cli_date_format",
        "log_file",
        "log_file_level",
        "log_file_format",
        "log_file_date_format",
        "tmp_path_retention_count",
        "tmp_path_retention_policy",
        "verbosity_assertions",
        "verbosity_test_cases",
        "truncation_limit_lines",
        "truncation_limit_chars",
    }
)
#: boolean settings that only make a run stricter when true (--strict-markers sets one)
STRICTER_WHEN_TRUE = frozenset(
    {
        "strict",
        "strict_markers",
        "strict_config",
        "strict_xfail",
        "xfail_strict",
        "strict_parametrization_ids",
    }
)


def _harmless_override(override: str) -> bool:
    name, _, value = override.partition("=")
    name = name.strip()
    if name.startswith("pyramid_") or name in HARMLESS_OVERRIDES:
        return True
    return name in STRICTER_WHEN_TRUE and value.strip().lower() in ("true", "1", "yes", "on")


def informational(option: Any) -> bool:
    """Whether this invocation only shows something (help, fixtures, a plan) and runs no test."""
    return any(getattr(option, name, False) for name in INFORMATIONAL)


def _option_values(args: Sequence[str], *flags: str) -> list[str]:
    """Values of ``-p X``/``-pX``/``--flag=X``/``--flag X`` in an argument list."""
    values = []
    for index, arg in enumerate(args):
        for flag in flags:
            if arg == flag and index + 1 < len(args):
                values.append(args[index + 1])
            elif arg.startswith(flag + "=") and flag.startswith("--"):
                values.append(arg[len(flag) + 1 :])
            elif arg.startswith(flag) and not flag.startswith("--") and len(arg) > len(flag):
                values.append(arg[len(flag) :])
    return values


def project_addopts(config: pytest.Config) -> list[str]:
    """The ``addopts`` of the project's configuration file (not -o, not PYTEST_ADDOPTS)."""
    overridden = any(
        str(o).partition("=")[0].strip() == "addopts"
        for o in getattr(config.option, "override_ini", None) or ()
    )
    if overridden:
        return []
    value = config.getini("addopts")
    items = value if isinstance(value, list) else shlex.split(str(value or ""))
    return [str(item) for item in items]


def _beyond(seen: Iterable[str], baseline: Iterable[str]) -> list[str]:
    base = list(baseline)
    extra = []
    for value in seen:
        if value in base:
            base.remove(value)
        else:
            extra.append(value)
    return extra


def settings_reasons(config: pytest.Config, settings_file: Path | None) -> list[str]:
    """Settings of this run that are not the project's committed configuration."""
    reasons = []
    option = config.option
    namespace = config.known_args_namespace
    baseline = project_addopts(config)
    overrides = [str(o) for o in getattr(option, "override_ini", None) or ()]
    for override in _beyond(overrides, _option_values(baseline, "-o", "--override-ini")):
        if not _harmless_override(override):
            name = override.partition("=")[0].strip()
            reasons.append(f"-o {name}=... overrode the project's configuration")
    warnings = [str(w) for w in getattr(namespace, "pythonwarnings", None) or ()]
    if _beyond(warnings, _option_values(baseline, "-W", "--pythonwarnings")):
        reasons.append("-W changed how warnings are treated (the project's filterwarnings)")
    own_off = {v.removeprefix("no:") for v in _option_values(baseline, "-p") if v.startswith("no:")}
    turned_off = {
        name.removeprefix("pytest_")
        for name, plugin in config.pluginmanager.list_name_plugin()
        if plugin is None
    }
    disabled = sorted(turned_off - own_off - {f"pytest_{n}" for n in own_off} - HARMLESS_TO_DISABLE)
    if disabled:
        reasons.append(
            f"plugins turned off outside the project's configuration: "
            f"{', '.join(disabled)} (-p no:...)"
        )
    if getattr(option, "noconftest", False):
        reasons.append("--noconftest: the project's conftest files were not loaded")
    confcutdir = getattr(namespace, "confcutdir", None)
    # pytest sets it itself to the configuration file's folder (or the rootdir)
    default = config.inipath.parent if config.inipath is not None else config.rootpath
    if confcutdir and Path(confcutdir).resolve() != Path(default).resolve():
        reasons.append(f"--confcutdir {confcutdir}: conftest files above it were not loaded")
    inifile = getattr(option, "inifilename", None)
    if inifile:
        used = Path(config.invocation_params.dir, inifile).resolve()
        invocation = Path(config.invocation_params.dir).resolve()
        # the file pytest's own discovery would find walks up from where it runs
        discoverable = {
            (folder / name).resolve()
            for folder in (invocation, *invocation.parents)
            for name in PROJECT_CONFIGS
        }
        if used not in discoverable or (
            settings_file is not None and used != settings_file.resolve()
        ):
            reasons.append(
                f"-c {inifile}: the run's configuration is not the project's own (the file "
                "pytest finds itself, which holds [tool.pyramid])"
            )
    return reasons


def narrowing_reasons(
    config: pytest.Config, project_dir: Path | None = None, settings_file: Path | None = None
) -> list[str]:
    """Why this run does not cover the whole suite, beyond what collection shows."""
    reasons = []
    option = config.option
    lf_plugin = config.pluginmanager.get_plugin("lfplugin")
    if getattr(option, "lf", False) and getattr(lf_plugin, "lastfailed", None):
        reasons.append("--lf: only previously failed tests were run")
    if getattr(option, "stepwise", False) or getattr(option, "stepwise_skip", False):
        reasons.append("--stepwise: the run may stop early and skip passed tests")
    if getattr(option, "keyword", ""):
        reasons.append(f"-k {option.keyword!r} filtered the tests")
    if getattr(option, "markexpr", ""):
        reasons.append(f"-m {option.markexpr!r} filtered the tests")
    # config.args are the collection arguments after addopts, PYTEST_ADDOPTS and argsfiles
    ids = [arg for arg in config.args if "::" in str(arg)]
    if ids:
        reasons.append(f"the run was limited to test ids ({len(ids)}: {ids[0]} ...)")
    reasons.extend(settings_reasons(config, settings_file))
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
