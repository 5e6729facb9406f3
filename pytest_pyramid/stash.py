"""Stash keys shared by the plugin's parts (run state lives in stashes, never on config)."""

from __future__ import annotations

import pytest

from pytest_pyramid.config import Settings
from pytest_pyramid.summary import RunSummary

#: The parsed ``[tool.pyramid]`` settings; present only when the plugin is active.
SETTINGS_KEY = pytest.StashKey[Settings]()
#: The tier of a collected item.
TIER_KEY = pytest.StashKey[str]()
#: The run summary, filled on the controller (or in a serial run) as reports arrive.
RUN_KEY = pytest.StashKey[RunSummary]()
