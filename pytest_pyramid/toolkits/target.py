"""``--pyramid-target`` glue: the parsed target of a run, read once per process.

The run stage's pure part (:mod:`pytest_pyramid.run.target`) parses the URL; this module
reads it from the command line (else the ini twin), refuses a bad one with a
``pytest.UsageError`` naming where it came from, and keeps it in ``config.stash``. Every
xdist worker parses the same arguments, so no worker output is needed.
"""

from __future__ import annotations

import pytest

from pytest_pyramid.run.target import INI, OPTION, Target, parse_target

TARGET_KEY = pytest.StashKey["Target | None"]()


def target_of(config: pytest.Config) -> Target | None:
    """The run's target, or None for an ordinary run."""
    if TARGET_KEY in config.stash:
        return config.stash[TARGET_KEY]
    value, where = config.getoption(INI, None), OPTION
    if value is None:
        try:
            value = config.getini(INI) or None
        except ValueError:  # the ini name is not registered: pytest-pyramid is off
            value = None
        where = f"{config.inipath}: {INI}"
    parsed = None
    if value:
        try:
            parsed = parse_target(str(value))
        except ValueError as exc:
            raise pytest.UsageError(f"pytest-pyramid: {where} = {value!r}: {exc}") from None
    config.stash[TARGET_KEY] = parsed
    return parsed
