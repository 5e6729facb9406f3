"""Writes the ``gates`` part of the ``[tool.pyramid]`` schema, generated from the gate specs.

The specs are the one source of truth for gate ids, levels and options: the engine validates
``[tool.pyramid.gates]`` against ``engine.gates_schema`` of the specs it runs, and the shipped
``config.schema.json`` (what validate-pyproject and editors read) holds the same part, kept
equal by a test. After changing a spec, regenerate it::

    python -m pytest_pyramid.gates.schema
"""

from __future__ import annotations

import json


def main() -> None:
    """Write the specs' ``gates`` part into the shipped schema file."""
    from importlib import resources

    from pytest_pyramid.config_schema import SCHEMA_FILE
    from pytest_pyramid.gates.engine import discover, gates_schema
    from pytest_pyramid.gates.sources import schema as metrics_schema

    path = resources.files("pytest_pyramid").joinpath(SCHEMA_FILE)
    schema = json.loads(path.read_text("utf-8"))
    schema["properties"]["gates"] = gates_schema(discover())
    schema["properties"]["metrics"] = metrics_schema()
    with open(str(path), "w", encoding="utf-8") as handle:
        handle.write(json.dumps(schema, indent=2) + "\n")


if __name__ == "__main__":
    main()
