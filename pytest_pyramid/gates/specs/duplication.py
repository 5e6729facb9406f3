"""``static.duplication``: the share of duplicated lines in the measured sources."""

from __future__ import annotations

from pytest_pyramid.gates.spec import GateSpec, Option, percent, whole, with_static
from pytest_pyramid.gates.static_run import unless_idle

GATE_ID = "static.duplication"
DEFAULT_THRESHOLD = 3.0
DEFAULT_MIN_TOKENS = 50
DEFAULT_MIN_LINES = 5


SPEC = GateSpec(
    id=GATE_ID,
    level="block",
    prepare=with_static,
    # judged idle before the implementation (and its tools) is imported
    evaluate=unless_idle(GATE_ID, "pytest_pyramid.gates.duplication:evaluate"),
    options={
        "threshold": Option(DEFAULT_THRESHOLD, percent),
        "min_tokens": Option(DEFAULT_MIN_TOKENS, whole(10)),
        "min_lines": Option(DEFAULT_MIN_LINES, whole(1)),
    },
    order=61,
)
