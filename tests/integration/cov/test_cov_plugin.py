from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pytest_pyramid.config import parse_settings
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.gates.cov.plugin import (
    PLUGIN_NAME,
    CoveragePlugin,
    context_problem,
    register_coverage,
)
from pytest_pyramid.gates.cov.sources import path_filter, resolve_sources

coverage = pytest.importorskip("coverage")


def test_resolve_sources(tmp_path: Path) -> None:
    (tmp_path / "src" / "app").mkdir(parents=True)
    (tmp_path / "tool.py").write_text("")
    dirs, files, unresolved = resolve_sources(
        ["src/app", "tool.py", "json", "textwrap", "no_such_pkg_x", str(tmp_path / "src")],
        tmp_path,
    )
    assert dirs[0] == os.path.realpath(tmp_path / "src" / "app")
    assert os.path.realpath(Path(json.__file__).parent) in dirs
    assert dirs[-1] == os.path.realpath(tmp_path / "src")
    assert files[0] == os.path.realpath(tmp_path / "tool.py")
    assert files[1] == os.path.realpath(textwrap.__file__)
    assert unresolved == ["no_such_pkg_x"]


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        ("/r/src/app/a.py", True),
        ("/r/src/app/sub/b.py", True),
        ("/r/src/application/c.py", False),  # a prefix of the name is not the directory
        ("/r/tool.py", True),
        ("/r/tool.pyc", False),
    ],
)
def test_path_filter(path: str, kept: bool) -> None:
    keep = path_filter(["/r/src/app"], ["/r/tool.py"])
    assert keep(path) is kept


def test_context_problem_default_core_is_fine(tmp_path: Path) -> None:
    cov = coverage.Coverage(data_file=str(tmp_path / ".coverage"))
    cov.start()
    try:
        assert context_problem(cov) is None
    finally:
        cov.stop()


def test_context_problem_dynamic_context_in_config(tmp_path: Path) -> None:
    rc = tmp_path / "rc"
    rc.write_text("[run]\ndynamic_context = test_function\n")
    cov = coverage.Coverage(data_file=str(tmp_path / ".coverage"), config_file=str(rc))
    problem = context_problem(cov)
    assert problem is not None
    assert "dynamic_context = test_function" in problem


class FakeSysmonCore:
    """Stands in for coverage's sysmon core, which Python 3.11 (this venv) cannot run."""

    supports_dynamic_contexts = False

    tracer_class = type("SysMonitor", (), {})


def test_context_problem_sysmon_core(tmp_path: Path) -> None:
    cov = coverage.Coverage(data_file=str(tmp_path / ".coverage"))
    cov._core = FakeSysmonCore()
    problem = context_problem(cov)
    assert problem is not None
    assert "COVERAGE_CORE=ctrace" in problem
    assert "SysMonitor" in problem


def core_settings(pytester: pytest.Pytester, table: dict[str, Any]) -> Any:
    return parse_settings(table, str(pytester.path / "pyproject.toml"), pytester.path, {})


def test_from_settings_parses_eagerly_and_names_the_file(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfig()
    # a structural error stops the core settings already; this one only coverage can see
    settings = core_settings(pytester, {"coverage": {"levels": {"smoke": "warn"}}})
    with pytest.raises(ConfigError) as info:
        CoveragePlugin.from_settings(settings, config)
    assert info.value.key == "coverage.levels.smoke"
    assert info.value.source.endswith("pyproject.toml")


def test_from_settings_reads_the_diff_base_option(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfig("--pyramid-diff-base=release/1.2")
    settings = core_settings(pytester, {"coverage": {"base": "origin/main", "total": 80}})
    plugin = CoveragePlugin.from_settings(settings, config)
    assert plugin.settings.base == "release/1.2"
    assert plugin.settings.tier_order == settings.tier_names


def test_register_only_with_work_to_do_and_only_once(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfig()
    idle = core_settings(pytester, {})
    assert register_coverage(config, idle) is None
    assert not config.pluginmanager.has_plugin(PLUGIN_NAME)

    busy = core_settings(pytester, {"coverage": {"total": 80}})
    first = register_coverage(config, busy)
    assert first is not None
    assert config.pluginmanager.get_plugin(PLUGIN_NAME) is first
    register_coverage(config, busy)
    assert config.pluginmanager.get_plugin(PLUGIN_NAME) is first
    config.pluginmanager.unregister(first)
