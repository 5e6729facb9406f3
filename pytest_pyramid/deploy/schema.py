"""The ``deploy`` part of the ``[tool.pyramid]`` schema, generated from ``deploy/config.py``.

``KEYS`` is the one definition of a deploy key: the deploy parser validates each value with
its key's schema, and the shipped ``config.schema.json`` (what pytest, ``pyramid config
check``, validate-pyproject and editors read) holds the same part, kept equal by a test.
After adding or changing a key, regenerate it::

    python -m pytest_pyramid.deploy.schema
"""

from __future__ import annotations

import json
from typing import Any

from pytest_pyramid.deploy.config import ENVIRONMENT_NAME as NAME
from pytest_pyramid.deploy.config import KEYS, REMOVED

ENVIRONMENT_NAME = NAME.pattern


def deploy_schema() -> dict[str, Any]:
    """``[tool.pyramid.deploy]``: every key of ``KEYS``, the removed ones refused by name."""
    properties: dict[str, Any] = {name: key.schema for name, key in KEYS.items()}
    own = dict(properties)
    for name, why in REMOVED.items():
        properties[name] = {"not": {}, "x-message": f"no longer supported: {why}"}
    properties["environments"] = {
        "type": "object",
        "description": "staging, production ...: each its own port, work folder, approvals "
                       "(any deploy key on top of this table); requires = another one",
        "propertyNames": {"pattern": ENVIRONMENT_NAME,
                          "x-message": "an environment's name is letters, digits, '-' and '_'"},
        "additionalProperties": {"type": "object", "properties": own,
                                 "additionalProperties": False},
    }
    return {
        "type": "object",
        "description": "pyramid deploy: gate, approvals and rollouts (docs/deploy.md)",
        "properties": properties,
        "additionalProperties": False,
    }


def main() -> None:
    """Write the ``deploy`` part into the shipped schema file."""
    from importlib import resources

    from pytest_pyramid.config_schema import SCHEMA_FILE
    from pytest_pyramid.deploy.notify import schema as notify_schema

    path = resources.files("pytest_pyramid").joinpath(SCHEMA_FILE)
    schema = json.loads(path.read_text("utf-8"))
    schema["properties"]["deploy"] = deploy_schema()
    schema["properties"]["notify"] = notify_schema()
    with open(str(path), "w", encoding="utf-8") as handle:
        handle.write(json.dumps(schema, indent=2) + "\n")


if __name__ == "__main__":
    main()
