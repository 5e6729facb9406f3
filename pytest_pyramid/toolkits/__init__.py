"""Tier toolkits: live servers, Playwright, Locust, Pact and Schemathesis, wired into metrics.

Each module imports its tool lazily (inside functions), so importing a toolkit costs
nothing until a test uses it. The fixtures live in :mod:`pytest_pyramid.toolkits.plugin`.
"""

from __future__ import annotations
