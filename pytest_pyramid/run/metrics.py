"""Recording named numbers from tests so gates can judge them (no pytest import).

A sample travels in the test's ``user_properties`` as ``("pyramid.metric.<name>{tags}",
number)``: JUnit XML shows it as a numeric property, xdist ships it with the report, and a
test can record one with pytest's own ``record_property`` as well as with the
``pyramid_metric`` fixture. Tags use the threshold grammar's spelling: ``name{tag:value}``.

Every sample is checked where the test ran: a name or value that is not a finite number
fails *that test* with a message saying why; it never reaches the verdict.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

#: the property prefix metric samples travel under
METRIC_PREFIX = "pyramid.metric."
#: the property the first release used (a dict payload); still read, still checked
LEGACY_PROPERTY = "pyramid.metric"

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:/\-]*$")
_TAG_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:/\-]*$")
_TAG_VALUE_FORBIDDEN = frozenset(",")

Tags = tuple[tuple[str, str], ...]


class MetricError(ValueError):
    """A metric sample that cannot be judged; the message says which and why."""


def parse_key(raw_key: str) -> tuple[str, Tags]:
    """Split ``"name{tag:value,...}"`` into the metric name and its sorted tags."""
    text = raw_key.strip()
    tags: dict[str, str] = {}
    if "{" in text or "}" in text:
        # the name ends at the first brace; values may hold braces (``page:/orders/{id}``)
        if not text.endswith("}") or "{" not in text:
            raise ValueError("a tag filter is written 'name{tag:value,other:value}'")
        text, _, inner = text[:-1].partition("{")
        for part in inner.split(","):
            name, sep, value = (s.strip() for s in part.partition(":"))
            if not sep or not _TAG_NAME.match(name) or not value:
                raise ValueError(f"bad tag filter {part.strip()!r}: expected 'tag:value'")
            if name in tags:
                raise ValueError(f"tag {name!r} is filtered twice")
            tags[name] = value
    name = text.strip()
    if not _NAME.match(name):
        raise ValueError("a metric name is letters, digits and . _ - : / (e.g. 'api.p95_ms')")
    return name, tuple(sorted(tags.items()))


def canonical_key(metric: str, tags: Sequence[tuple[str, str]]) -> str:
    if not tags:
        return metric
    return metric + "{" + ",".join(f"{k}:{v}" for k, v in tags) + "}"


def check_value(name: str, value: object) -> float:
    """The sample as a float; MetricError for booleans, non-numbers, NaN and infinities."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MetricError(f"metric {name!r}: value must be a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:
        raise MetricError(f"metric {name!r}: value {value!r} is too large") from None
    if not math.isfinite(number):
        raise MetricError(f"metric {name!r}: value must be finite, got {value!r}")
    return number


def check_tags(name: str, tags: Mapping[str, object]) -> Tags:
    checked = []
    for key, raw in tags.items():
        value = str(raw).strip()
        if not isinstance(key, str) or not _TAG_NAME.match(key):
            raise MetricError(f"metric {name!r}: bad tag name {key!r}")
        if not value or _TAG_VALUE_FORBIDDEN & set(value):
            raise MetricError(
                f"metric {name!r}: tag {key}={raw!r} must be non-empty and without a comma"
            )
        checked.append((key, value))
    return tuple(sorted(checked))


def property_entry(name: str, value: object, tags: Mapping[str, object]) -> tuple[str, float]:
    """The ``user_properties`` entry for a sample, after checking every part of it."""
    if not isinstance(name, str) or not _NAME.match(name.strip()):
        raise MetricError(
            f"metric name {name!r}: letters, digits and . _ - : / only (e.g. 'api.p95_ms')"
        )
    number = check_value(name, value)
    return METRIC_PREFIX + canonical_key(name.strip(), check_tags(name, tags)), number


def record_metric(node: pytest.Item, name: str, value: float, **tags: str) -> None:
    """Attach a metric sample to a test; it reaches the controller with the test's reports.

    Raises :class:`MetricError` (a ValueError) in the test for a bad name, value or tag.
    """
    node.user_properties.append(property_entry(name, value, tags))


def parse_entry(key: str, value: object) -> tuple[str, float, Tags] | None:
    """A sample from one ``user_properties`` entry; None when it is not a metric.

    Raises :class:`MetricError` for a metric entry that cannot be judged.
    """
    if key.startswith(METRIC_PREFIX):
        try:
            name, tags = parse_key(key[len(METRIC_PREFIX) :])
        except ValueError as exc:
            raise MetricError(f"metric property {key!r}: {exc}") from None
        return name, check_value(name, value), tags
    if key == LEGACY_PROPERTY:
        if not isinstance(value, Mapping):
            raise MetricError(f"{LEGACY_PROPERTY} property {value!r} is not a mapping")
        raw_name = value.get("name")
        if not isinstance(raw_name, str) or not _NAME.match(raw_name):
            raise MetricError(f"{LEGACY_PROPERTY} property: bad metric name {raw_name!r}")
        name = raw_name
        raw_tags = value.get("tags") or {}
        if not isinstance(raw_tags, Mapping):
            raise MetricError(f"metric {name!r}: tags {raw_tags!r} are not a mapping")
        return name, check_value(name, value.get("value")), check_tags(name, raw_tags)
    return None


def check_properties(properties: Sequence[tuple[str, object]], start: int = 0) -> str | None:
    """Why the metric entries from ``start`` on cannot be judged, or None when they can."""
    for entry in properties[start:]:
        if not isinstance(entry, tuple) or len(entry) != 2 or not isinstance(entry[0], str):
            continue
        if not entry[0].startswith(LEGACY_PROPERTY):
            continue
        try:
            parse_entry(entry[0], entry[1])
        except MetricError as exc:
            return str(exc)
    return None
