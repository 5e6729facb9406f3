"""The tier markers, registered by an entry point of their own (``pyramid_markers``).

``-p no:pyramid`` turns pytest-pyramid off, but a suite that marks its tests
``@pytest.mark.e2e`` must still run under ``--strict-markers`` or ``filterwarnings = error``:
this tiny plugin stays loaded and registers the built-in tiers and the project's own tiers
(read from ``[tool.pyramid.tiers]`` or ``pyramid.toml``, without validating anything: that is
the plugin's job when it is on). ``-p no:pyramid_markers`` turns this off too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

PLUGIN_NAME = "pyramid_markers"


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
