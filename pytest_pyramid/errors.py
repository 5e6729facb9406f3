"""Exceptions and warnings shared by the plugin, the gates and the CLI."""

from __future__ import annotations


class PyramidError(Exception):
    """Base class of every error pytest-pyramid raises on purpose."""


class ConfigError(PyramidError):
    """A bad configuration value; the message names the key, the value and the file."""

    def __init__(self, key: str, value: object, source: str, why: str) -> None:
        self.key = key
        self.value = value
        self.source = source
        self.why = why
        # a standalone pyramid.toml holds the table's keys at its top level, and so does the
        # host's deploy.toml (deploy/anchors.py)
        standalone = source.replace("\\", "/").rsplit("/", 1)[-1] in ("pyramid.toml",
                                                                    "deploy.toml")
        table = "" if standalone else "[tool.pyramid] "
        super().__init__(f"{source}: {table}{key} = {value!r}: {why}")


class VerdictError(PyramidError):
    """A verdict file that cannot be read, parsed or validated."""
