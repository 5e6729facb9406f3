"""Options that narrow a run: a verdict from a narrowed run cannot vouch for a release."""

from __future__ import annotations

from pathlib import Path

import pytest


def _covers(args: list[Path], target: Path) -> bool:
    return any(arg == target or arg in target.parents for arg in args)


def narrowing_reasons(config: pytest.Config) -> list[str]:
    """Why this run does not cover the whole suite (collection-time deselection aside)."""
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
    # --ignore in the project's addopts is part of its suite; on the command line it narrows
    cli_args = config.invocation_params.args
    for flag in ("--deselect", "--ignore", "--ignore-glob"):
        if any(arg == flag or arg.startswith(f"{flag}=") for arg in cli_args):
            reasons.append(f"{flag} on the command line left tests out")
    if (
        config.args_source == pytest.Config.ArgsSource.INVOCATION_DIR
        and config.invocation_params.dir != config.rootpath
    ):
        reasons.append(
            f"the run collected only {config.invocation_params.dir} (started below the rootdir)"
        )
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        invocation = config.invocation_params.dir
        if any("::" in arg for arg in config.args):
            reasons.append("the run was limited to given test ids")
        else:
            given = [Path(invocation, arg).resolve() for arg in config.args]
            testpaths = config.getini("testpaths")
            targets = (
                [Path(config.rootpath, p).resolve() for p in testpaths]
                if testpaths
                else [config.rootpath]
            )
            if not all(_covers(given, target) for target in targets):
                reasons.append(f"the run was limited to {' '.join(config.args)}")
    return reasons
