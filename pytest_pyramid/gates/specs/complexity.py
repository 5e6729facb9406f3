"""``static.complexity``: the worst cyclomatic complexity of a function (radon)."""

from __future__ import annotations

from pytest_pyramid.gates.spec import GateSpec, Option, whole, with_static

GATE_ID = "static.complexity"
DEFAULT_THRESHOLD = 10


SPEC = GateSpec(
    id=GATE_ID,
    level="warn",
    prepare=with_static,
    evaluate="pytest_pyramid.gates.complexity:evaluate",
    options={"threshold": Option(DEFAULT_THRESHOLD, whole(1))},
    order=60,
)
