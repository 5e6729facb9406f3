"""``risk.approval``: a risky change (size, sensitive paths) needs approvals to ship."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.gates.spec import GateSpec

if TYPE_CHECKING:
    from pytest_pyramid.gates.spec import Setup

GATE_ID = "risk.approval"


def diff_base(setup: Setup) -> str | None:
    """``--pyramid-diff-base`` wins over ``PYRAMID_RISK_BASE``, which wins over the table
    (``run/changes.py: resolve_base``, the one resolution of every stage's base)."""
    from pytest_pyramid.run.changes import resolve_base

    found = resolve_base(setup.raw, setup.risk_base, "risk", setup.environ)
    return None if found is None else found[0]


def _active(setup: Setup) -> bool:
    raw = setup.raw
    return bool(diff_base(setup) or raw.get("risk") is not None or raw.get("approvals") is not None)


SPEC = GateSpec(
    id=GATE_ID,
    level="approve",
    on_missing="approve",
    active=_active,
    prepare="pytest_pyramid.gates.risk:prepare",
    evaluate="pytest_pyramid.gates.risk:evaluate",
    sections="pytest_pyramid.gates.risk:sections",
    order=70,
)
