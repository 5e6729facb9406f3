"""``tests.quarantine``: no entry of ``[[tool.pyramid.quarantine]]`` has expired, and no tier
has more than ``[tool.pyramid.flaky] max_share`` of its tests quarantined."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.gates.spec import GateSpec

if TYPE_CHECKING:
    from pytest_pyramid.gates.spec import Context, GateConfig, Setup
    from pytest_pyramid.results import GateResult


def _prepare(setup: Setup, config: GateConfig) -> GateConfig:
    _ = setup.quarantine  # parsed now: a bad entry stops the run at start-up
    return config


def _evaluate(config: GateConfig, ctx: Context) -> list[GateResult]:
    entries = ctx.setup.quarantine
    if not entries:
        return []
    from pytest_pyramid.gates.flakes import policy_from
    from pytest_pyramid.gates.flaky import quarantine_gate, quarantined_shares

    tiers: dict[str, list[str]] = {}
    passed: dict[str, list[str]] = {}
    for outcome in ctx.run.outcomes.values():
        if outcome.outcome in ("passed", "failed", "error"):  # a skip dilutes no cap (case 169)
            tiers.setdefault(outcome.tier, []).append(outcome.nodeid)
        if outcome.outcome == "passed":
            passed.setdefault(outcome.tier, []).append(outcome.nodeid)
    policy = policy_from(ctx.setup.raw.get("flaky"))
    return [quarantine_gate(entries, ctx.setup.today, level=config.level,
                            shares=quarantined_shares(tiers, ctx.quarantined),
                            max_share=policy.max_share,
                            untracked=ctx.setup.quarantine_untracked,
                            failed=[t.nodeid for t in ctx.run.failed_tests], passed=passed)]


SPEC = GateSpec(id="tests.quarantine", level="block", evaluate=_evaluate, prepare=_prepare,
                order=40)
