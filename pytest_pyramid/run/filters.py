"""Options that narrow a run in ways the collection itself does not show.

Most narrowing is found from what the run saw (test files on disk against those collected,
tests collected against tests that reported, ``pytest_deselected``), whatever option,
``addopts``, ``PYTEST_ADDOPTS``, argsfile or conftest caused it. What is left here are the
options whose effect hides inside a collected file: test ids, ``-k``/``-m`` (also seen as
deselection; named here for a clearer message), ``--lf``/``--sw``, and overrides of the
settings that decide what pytest collects.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

#: option destinations of invocations that run no tests: they leave the last verdict alone
INFORMATIONAL = (
    "help", "version", "markers", "showfixtures", "show_fixtures_per_test", "collectonly",
    "setuponly", "setupplan", "cacheshow",
)
#: ini settings that change what pytest collects; overriding them with -o narrows a run
COLLECTION_SETTINGS = frozenset(
    {"python_files", "python_classes", "python_functions", "testpaths", "norecursedirs"}
)
#: the files pytest itself looks for in a project directory
_PROJECT_CONFIGS = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


def narrowing_reasons(config: pytest.Config, project_dir: Path | None = None) -> list[str]:
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
    for override in getattr(option, "override_ini", None) or ():
        name = str(override).partition("=")[0].strip()
        if name in COLLECTION_SETTINGS:
            reasons.append(f"-o {name}=... overrode what the project collects")
    inifile = getattr(option, "inifilename", None)
    invocation = Path(config.invocation_params.dir).resolve()
    # pytest's own discovery walks up from where it runs: a -c file there is the one it finds
    discoverable = {
        (directory / name).resolve()
        for directory in (invocation, *invocation.parents)
        for name in _PROJECT_CONFIGS
    }
    if inifile and Path(invocation, inifile).resolve() not in discoverable:
        reasons.append(
            f"-c {inifile}: the configuration was not the project's own "
            "(its collection settings and gates may differ)"
        )
    rootdir = getattr(option, "rootdir", None)
    if rootdir and project_dir is not None:
        given = Path(config.invocation_params.dir, rootdir).resolve()
        if given != project_dir.resolve():
            reasons.append(f"--rootdir {rootdir} is not the project directory {project_dir}")
    return reasons


def informational(option: Any) -> bool:
    """Whether this invocation only shows something (help, fixtures, a plan) and runs no test."""
    return any(getattr(option, name, False) for name in INFORMATIONAL)
