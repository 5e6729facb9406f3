"""The smoke tier's fixtures: ``pyramid_live_server`` is the deployed shop (--pyramid-target)."""

from __future__ import annotations

pytest_plugins = ["pytest_pyramid.toolkits.plugin"]
