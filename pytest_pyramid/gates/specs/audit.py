"""``static.audit``: known vulnerabilities in the installed dependencies (pip-audit)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.gates.spec import GateSpec, Option, positive, str_list, whole, with_static
from pytest_pyramid.gates.static_run import unless_idle

if TYPE_CHECKING:
    from pytest_pyramid.results import OnMissing

GATE_ID = "static.audit"
DEFAULT_THRESHOLD = 0
#: offline, pip-audit cannot reach its vulnerability service: "not audited" warns by default
DEFAULT_ON_MISSING: OnMissing = "warn"
DEFAULT_TIMEOUT_S = 300.0


SPEC = GateSpec(
    id=GATE_ID,
    level="block",
    on_missing=DEFAULT_ON_MISSING,
    prepare=with_static,
    # judged idle before the implementation (and its tools) is imported
    evaluate=unless_idle(GATE_ID, "pytest_pyramid.gates.audit:evaluate"),
    options={
        "threshold": Option(DEFAULT_THRESHOLD, whole(0)),
        "command": Option(None, str_list),
        "requirements": Option((), str_list),
        "args": Option((), str_list),
        "ignore": Option((), str_list),
        "timeout_s": Option(DEFAULT_TIMEOUT_S, positive),
    },
    order=63,
)
