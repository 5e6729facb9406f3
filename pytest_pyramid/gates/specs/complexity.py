"""``static.complexity``: the worst cyclomatic complexity of a function (radon)."""

from __future__ import annotations

from pytest_pyramid.gates.spec import GateSpec, Option, whole, with_static
from pytest_pyramid.gates.static_run import unless_idle

GATE_ID = "static.complexity"
DEFAULT_THRESHOLD = 10


SPEC = GateSpec(
    id=GATE_ID,
    level="warn",
    prepare=with_static,
    # judged idle before the implementation (and its tools) is imported
    evaluate=unless_idle(GATE_ID, "pytest_pyramid.gates.complexity:evaluate"),
    options={"threshold": Option(DEFAULT_THRESHOLD, whole(1))},
    order=60,
)
