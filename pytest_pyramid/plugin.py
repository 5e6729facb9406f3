"""pytest entry point (placeholder while the core plugin is written)."""

from __future__ import annotations

import pytest


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_pyramid import hookspecs

    pluginmanager.add_hookspecs(hookspecs)
