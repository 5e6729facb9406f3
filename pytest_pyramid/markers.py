"""The always-on part: tier markers, ``pyramid_*`` ini names and the hook specifications,
registered by an entry point of their own (``pyramid_markers``).

``-p no:pyramid`` turns pytest-pyramid off, but a suite that marks its tests
``@pytest.mark.e2e`` must still run under ``--strict-markers`` or ``filterwarnings = error``:
this tiny plugin stays loaded and registers the built-in tiers and the project's own tiers
(read from ``[tool.pyramid.tiers]`` or ``pyramid.toml``, without validating anything: that is
the plugin's job when it is on). Likewise a ``pytest_pyramid_tier`` hook in a conftest and
the ``pyramid_*`` ini keys a project writes must load with the plugin off (pytest refuses an
unknown hook, and ``--strict-config`` an unknown ini key), so their names are registered here,
once per run whichever entry point loads first. ``-p no:pyramid_markers`` turns this off too.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from pytest_pyramid.verdict.report_kinds import session_help

if TYPE_CHECKING:
    import pytest

PLUGIN_NAME = "pyramid_markers"

TIER_HELP = (
    "Run only these tiers and/or groups, comma-separated: fast, unit,contract, all "
    "(a partial run: its verdict is incomplete)"
)
FAIL_FAST_HELP = "Stop before the next tier once a tier has a failure (also under xdist)"
VERDICT_HELP = "Where to write the verdict JSON (default: [tool.pyramid] verdict)"
EXPLAIN_HELP = "Print every gate with its measured value, threshold, level and why"
ENABLE_HELP = "Activate pytest-pyramid even without a [tool.pyramid] table"
DIFF_BASE_HELP = "Base revision for changed-line coverage and risk (default: the config's base)"
DEFAULT_TIER_HELP = "Tier of tests with no tier marker and no path match (default: unit)"
STRICT_HELP = "A test without a tier marker or path match is an error"
SHARD_HELP = (
    "Run CI shard I of N (I/N, counted from 1) or auto (GitLab, CircleCI, Buildkite or "
    "Bazel variables); writes pyramid-partial-I-of-N.json for `pyramid merge`, no verdict"
)
DURATIONS_HELP = (
    "Durations file that balances --pyramid-shard (default: .pyramid/durations.json; "
    "`pyramid merge --durations-out` writes it)"
)
REPORT_HELP = session_help()
HISTORY_HELP = "SQLite run history to append this run's verdict to (the HTML report's trends)"
TARGET_HELP = (
    "Run the tests against a deployed server at this origin (http://HOST:PORT): base_url, "
    "pyramid_live_server and pyramid_load resolve to it; a target run is never ready"
)

#: (option, alias, ini name, help, bool?) - every option has an ini twin with the same help
OPTIONS = (
    ("--pyramid-tier", "--tier", "pyramid_tier", TIER_HELP, False),
    ("--pyramid-fail-fast", "--tier-fail-fast", "pyramid_fail_fast", FAIL_FAST_HELP, True),
    ("--pyramid-verdict", None, "pyramid_verdict", VERDICT_HELP, False),
    ("--pyramid-explain", None, "pyramid_explain", EXPLAIN_HELP, True),
    ("--pyramid", None, "pyramid_enable", ENABLE_HELP, True),
    ("--pyramid-diff-base", None, "pyramid_diff_base", DIFF_BASE_HELP, False),
    ("--pyramid-shard", None, "pyramid_shard", SHARD_HELP, False),
    ("--pyramid-durations", None, "pyramid_durations", DURATIONS_HELP, False),
    ("--pyramid-report", None, "pyramid_report", REPORT_HELP, False),
    ("--pyramid-history", None, "pyramid_history", HISTORY_HELP, False),
    ("--pyramid-target", None, "pyramid_target", TARGET_HELP, False),
)

#: ini options with no command-line twin: (name, help, bool?)
INI_ONLY = (
    ("pyramid_default_tier", DEFAULT_TIER_HELP, False),
    ("pyramid_strict", STRICT_HELP, True),
)

#: parsers that have the ini names already (both entry points register them: only once)
_REGISTERED: weakref.WeakSet[pytest.Parser] = weakref.WeakSet()


def add_ini_options(parser: pytest.Parser) -> None:
    """Register every ``pyramid_*`` ini name, once per parser."""
    if parser in _REGISTERED:
        return
    _REGISTERED.add(parser)
    entries = [(ini, text, flag) for _, _, ini, text, flag in OPTIONS] + list(INI_ONLY)
    for ini, text, flag in entries:
        if flag:
            parser.addini(ini, text, type="bool", default=None)
        else:
            parser.addini(ini, text, type="string", default=None)


def add_hookspecs(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register the ``pytest_pyramid_*`` hook specifications, once per plugin manager."""
    from pytest_pyramid.run import hookspecs

    caller = getattr(pluginmanager.hook, "pytest_pyramid_tier", None)
    if caller is not None and caller.has_spec():
        return
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    add_hookspecs(pluginmanager)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_ini_options(parser)


def tier_markers(config: pytest.Config) -> list[str]:
    """``name: description`` lines for every tier the project has."""
    from pytest_pyramid.config import BUILTIN_TIERS
    from pytest_pyramid.errors import ConfigError
    from pytest_pyramid.project import locate

    lines = [f"{name}: pyramid tier - {tier.description}" for name, tier in BUILTIN_TIERS.items()]
    try:
        found = locate(config.rootpath, upward=False)
    except ConfigError:
        return lines  # the plugin, when on, says what is wrong with the file
    tiers = found.table.get("tiers") if found is not None else None
    if isinstance(tiers, dict):
        for name, spec in tiers.items():
            if name in BUILTIN_TIERS or not str(name).isidentifier():
                continue
            text = spec.get("description") if isinstance(spec, dict) else None
            lines.append(f"{name}: pyramid tier - {text if isinstance(text, str) else name}")
    return lines


def pytest_configure(config: pytest.Config) -> None:
    for line in tier_markers(config):
        config.addinivalue_line("markers", line)
