"""``tests.pytest_status``: every failure pytest itself counted is one the pyramid counted.

pytest's exit status says 1 when anything failed: a test, a collection error, or another
plugin (``--cov-fail-under``, a plugin that fails the session). A verdict that ignores a
failure pytest saw would call a failing run ready; this gate fails whenever pytest counted
more failures than the failed reports of tests the pyramid judged failed or in error
(``run/aggregate.py: finish``): a failed report of a test judged anything else (hostile case
210 d: a failed subtest in a non-strict xfail test counted ``xpassed``) accounts for none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.gates.spec import GateSpec
from pytest_pyramid.results import GateResult

if TYPE_CHECKING:
    from pytest_pyramid.gates.spec import Context

GATE_ID = "tests.pytest_status"


def _evaluate(state: object, ctx: Context) -> list[GateResult]:
    run = ctx.run
    seen = run.failed_reports + run.collection_errors
    unexplained = run.pytest_failures - seen
    if unexplained <= 0:
        return [GateResult(GATE_ID, "block", "pass", actual=run.pytest_failures, threshold=seen,
                           message="every failure pytest counted is a judged test report")]
    return [GateResult(
        GATE_ID, "block", "fail", actual=run.pytest_failures, threshold=seen,
        message=(
            f"pytest counted {run.pytest_failures} failure(s), the judged reports account for "
            f"{seen}: {unexplained} came from elsewhere (e.g. --cov-fail-under, a plugin "
            "failing the session) or from a test judged neither failed nor in error"
        ),
    )]


SPEC = GateSpec(
    id=GATE_ID,
    level="block",
    evaluate=_evaluate,
    order=15,
    configurable=False,
    configured_in="always blocks: a failure pytest counted is never hidden",
)
