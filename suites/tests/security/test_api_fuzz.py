"""Schemathesis: schema-valid requests are accepted, invalid ones rejected with a 4xx.

The app is driven in-process through ASGI; the example budget and seed are fixed so CI
runs are reproducible.
"""

from __future__ import annotations

import os
import tempfile

import pytest
from demo_service.app import create_app

from pytest_pyramid.toolkits.api import api_suite

_db_dir = tempfile.TemporaryDirectory(prefix="shop-fuzz-")
app = create_app(os.path.join(_db_dir.name, "shop.db"))
app.state.db.reset()

suite = api_suite(app, max_examples=30, seed=20261126)


@pytest.mark.parametrize("operation", suite.operations())
def test_api_conforms_to_its_schema(operation: str) -> None:
    suite.check(operation)
