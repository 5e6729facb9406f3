"""Faults the demo can inject (``DEMO_FAULT``) to show the verdict turning ``blocked``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

FAULT_ENV = "DEMO_FAULT"
#: a file holding a fault name, for the first deployed process that claims it (claim_fault)
FAULT_ONCE_ENV = "DEMO_FAULT_ONCE"
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


def claim_fault(environ: Mapping[str, str] | None = None) -> str | None:
    """The fault in the file ``$DEMO_FAULT_ONCE`` names, for the first process that claims it
    (renames it away), else None. ``./dev canary`` hands one to a deploy: the deploy starts
    only the commit's tracked command, so the fault cannot ride on a start command; the new
    release starts first and claims it, and the fresh baseline the deploy starts once that
    release is healthy (judge = nonparametric) finds it gone and runs unchanged."""
    env = os.environ if environ is None else environ
    path = env.get(FAULT_ONCE_ENV, "")
    if not path:
        return None
    claimed = Path(f"{path}.{os.getpid()}")
    try:
        os.rename(path, claimed)  # atomic: one process claims it
    except FileNotFoundError:
        return None
    return active_fault({FAULT_ENV: claimed.read_text("utf-8")})
