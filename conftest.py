"""Root conftest: the plugin's own tests drive real pytest runs through pytester."""

from __future__ import annotations

pytest_plugins = ["pytester"]
collect_ignore = ["suites", "benchmarks", "build"]
