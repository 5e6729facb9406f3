"""Recording named numbers from tests so gates can judge them."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

#: The ``user_properties`` key metrics travel under, from xdist workers to the controller.
METRIC_PROPERTY = "pyramid.metric"


def record_metric(node: pytest.Item, name: str, value: float, **tags: str) -> None:
    """Attach a metric sample to a test; it reaches the controller with the test's reports."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"metric name must be a non-empty string, got {name!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"metric {name!r}: value must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"metric {name!r}: value must be finite, got {value!r}")
    payload = {"name": name, "value": float(value), "tags": {k: str(v) for k, v in tags.items()}}
    node.user_properties.append((METRIC_PROPERTY, payload))
