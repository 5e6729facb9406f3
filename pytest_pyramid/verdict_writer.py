"""Session end on the controller: judge the run, write the verdict, set the exit status."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.gates.base import effect_of
from pytest_pyramid.gitinfo import read_git_info
from pytest_pyramid.signing import signature_for, signing_key_from_env
from pytest_pyramid.verdict import build_verdict, decide, merge_sections, write_json_atomic

if TYPE_CHECKING:
    from pytest_pyramid.gates.base import GateResult
    from pytest_pyramid.session import PyramidSession
    from pytest_pyramid.summary import RunSummary

_INCOMPLETE_EXITS = {
    pytest.ExitCode.INTERRUPTED: "the run was interrupted",
    pytest.ExitCode.INTERNAL_ERROR: "pytest hit an internal error",
    pytest.ExitCode.USAGE_ERROR: "pytest was misused (usage error)",
}


def _quarantined(owner: PyramidSession) -> frozenset[str]:
    import datetime

    from pytest_pyramid.gates.flaky import active_quarantine

    return active_quarantine(owner.settings.raw, owner.settings.source, datetime.date.today())


def _only_quarantined_failures(
    run: RunSummary, gates: list[GateResult], session: pytest.Session
) -> int:
    """How many failed tests are all excused by quarantine (0 when anything else failed)."""
    pass_rate = next((g for g in gates if g.id == "tests.pass_rate"), None)
    if pass_rate is None or pass_rate.status != "pass" or not run.failed_tests:
        return 0
    excused = len(run.failed_tests)
    # another failure source (pytest-cov's fail-under, a plugin) also counts in testsfailed
    if session.exitstatus != pytest.ExitCode.TESTS_FAILED or session.testsfailed > excused:
        return 0
    return excused


def finish_session(owner: PyramidSession, session: pytest.Session, exitstatus: int) -> None:
    from pytest_pyramid import __version__
    from pytest_pyramid.session import python_version

    run = owner.aggregator.finish()
    if not owner.distributed:
        owner.apply_collection(owner.facts.to_dict())
    run.workers = len(owner.workers)
    run.duration_s = time.time() - owner.started
    run.exitstatus = exitstatus

    incomplete: list[str] = []
    interrupted = exitstatus in _INCOMPLETE_EXITS
    if interrupted:
        why = _INCOMPLETE_EXITS[pytest.ExitCode(exitstatus)]
        detail = session.shouldstop or session.shouldfail
        incomplete.append(f"{why}: {detail}" if isinstance(detail, str) and detail else why)
    if owner.crashes:
        interrupted = True
        incomplete.extend(owner.crashes)
    if owner.collection_errors:
        incomplete.append(f"{owner.collection_errors} collection error(s)")
    incomplete.extend(owner.missing(run))

    gates = owner.gates(run, _quarantined(owner))
    decision, reasons = decide(gates=gates, incomplete=incomplete, interrupted=interrupted)
    if owner.collection_errors and decision not in ("blocked", "incomplete"):
        decision = "blocked"
    verdict = build_verdict(
        run=run,
        tiers=owner.settings.tiers,
        gates=gates,
        decision=decision,
        reasons=reasons,
        git=read_git_info(owner.config.rootpath),
        tool_version=__version__,
        python_version=python_version(),
        pytest_version=pytest.__version__,
        args=[str(arg) for arg in owner.config.invocation_params.args],
    )
    for sections in owner.config.hook.pytest_pyramid_verdict_sections(config=owner.config, run=run):
        if sections:
            merge_sections(verdict, sections)

    gate_blocks = any(effect_of(g) == "block" for g in gates)
    excused = _only_quarantined_failures(run, gates, session)
    if excused and decision != "blocked":
        # Quarantine exists to keep known-broken tests from failing the pipeline; pytest's own
        # status would still be 1 for them. Only when nothing else failed.
        session.exitstatus = pytest.ExitCode.OK
        owner.notes.append(
            f"exit status 0: the only failures ({excused}) are quarantined tests"
        )
    if decision == "blocked" and gate_blocks and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    verdict["run"]["pytest_exit"] = int(session.exitstatus)

    key = signing_key_from_env()
    if key is not None:
        verdict["signature"] = signature_for(verdict, key)
    write_json_atomic(owner.verdict_path, verdict)
    owner.verdict = verdict
    owner.config.hook.pytest_pyramid_verdict_written(
        config=owner.config, verdict=verdict, path=owner.verdict_path
    )
