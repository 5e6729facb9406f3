"""The plugin's warning category (kept apart from errors.py so the CLI never imports pytest)."""

from __future__ import annotations

import pytest


class PyramidWarning(pytest.PytestWarning):
    """Warnings about the pyramid configuration or a run (e.g. coverage contexts unavailable)."""
