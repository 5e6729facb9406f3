"""Faults the demo can inject (``DEMO_FAULT``) to show the verdict turning ``blocked``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

FAULT_ENV = "DEMO_FAULT"
#: slow: every API and page response waits SLOW_DELAY_S (load and latency gates fail).
#: bug: a missing item crashes with a 500 instead of a 404 (tests, contract and error-rate
#: gates fail).
#: slow-tail: every TAIL_EVERY-th API response waits TAIL_DELAY_S (10% of requests +400 ms):
#: the median and a p95 threshold barely move, the nonparametric canary judge sees it.
#: bug-checkout: placing an order crashes with a 500 while /health stays green (`./dev canary`:
#: the deploy's verify tier stops such a release before it gets any traffic).
FAULTS = ("slow", "bug", "slow-tail", "bug-checkout")
SLOW_DELAY_S = 0.6
TAIL_EVERY = 10
TAIL_DELAY_S = 0.4


def active_fault(environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    value = env.get(FAULT_ENV, "").strip().lower()
    if value in ("", "none", "0"):
        return None
    if value not in FAULTS:
        raise ValueError(f"{FAULT_ENV}={value!r}: expected one of {', '.join(FAULTS)} or empty")
    return value
