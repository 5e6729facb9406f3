"""Session end on the controller: judge the run, write the verdict, set the exit status.

A placeholder ``incomplete`` verdict is written when the session starts, so a run that
crashes (or a plugin whose gate hook raises) can never leave an older ``ready`` verdict
behind for ``pyramid check`` or ``pyramid deploy`` to trust.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.gates.base import GateResult, effect_of
from pytest_pyramid.gitinfo import GitInfo, read_git_info
from pytest_pyramid.signing import signature_for, signing_key_from_env
from pytest_pyramid.summary import RunSummary, TierStats
from pytest_pyramid.verdict import (
    Decision,
    approvals_needed,
    build_verdict,
    decide,
    merge_sections,
    utc_now_iso,
    write_json_atomic,
)

if TYPE_CHECKING:
    from pytest_pyramid.session import PyramidSession

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


def _call_each(
    hook: Any, kwargs: Mapping[str, object], errors: list[str]
) -> list[tuple[str, object]]:
    """Call every implementation of a pyramid hook on its own, so one that raises is
    reported (and makes the verdict incomplete) without hiding the others' results."""
    results = []
    for impl in reversed(hook.get_hookimpls()):  # pluggy's own order: last registered first
        function: Callable[..., object] = impl.function
        try:
            result = function(*(kwargs[name] for name in impl.argnames))
        except Exception as exc:  # a plugin's bug must not cost the verdict
            errors.append(f"{hook.name} of {impl.plugin_name} raised {type(exc).__name__}: {exc}")
            continue
        if result is not None:
            results.append((impl.plugin_name, result))
    return results


def collect_gates(owner: PyramidSession, run: RunSummary, errors: list[str]) -> list[GateResult]:
    gates = owner.core_gates(run, _quarantined(owner))
    kwargs = {"config": owner.config, "run": run}
    for plugin, result in _call_each(owner.config.hook.pytest_pyramid_gates, kwargs, errors):
        items = result if isinstance(result, (list, tuple)) else [result]
        for item in items:
            if isinstance(item, GateResult):
                gates.append(item)
            else:
                errors.append(
                    f"pytest_pyramid_gates of {plugin} returned {item!r}, not a GateResult"
                )
    return gates


def _write(owner: PyramidSession, verdict: dict[str, Any]) -> None:
    key = signing_key_from_env()
    if key is not None:
        verdict["signature"] = signature_for(verdict, key)
    write_json_atomic(owner.verdict_path, verdict)


def _verdict(
    owner: PyramidSession,
    run: RunSummary,
    gates: list[GateResult],
    decision: Decision,
    reasons: list[str],
    git: GitInfo,
) -> dict[str, Any]:
    from pytest_pyramid import __version__
    from pytest_pyramid.session import python_version

    return build_verdict(
        run=run,
        tiers=owner.settings.tiers,
        gates=gates,
        decision=decision,
        reasons=reasons,
        git=git,
        tool_version=__version__,
        python_version=python_version(),
        pytest_version=pytest.__version__,
        args=[str(arg) for arg in owner.config.invocation_params.args],
    )


def write_placeholder(owner: PyramidSession) -> None:
    """An ``incomplete`` verdict for the run that is starting (replaced at its end)."""
    owner.git = read_git_info(owner.config.rootpath)
    run = RunSummary(
        tiers={name: TierStats(name, selected=name in owner.selected) for name in owner.order},
        selected_tiers=tuple(t for t in owner.order if t in owner.selected),
    )
    reason = (
        f"the run that writes this verdict started at {utc_now_iso()} and has not finished "
        "(still running, or it crashed)"
    )
    try:
        _write(owner, _verdict(owner, run, [], "incomplete", [reason], owner.git))
    except OSError as exc:  # say so before any test runs, not after the whole suite
        raise pytest.UsageError(
            f"pytest-pyramid: cannot write the verdict to {owner.verdict_path}: "
            f"{exc.strerror or exc}"
        ) from None


def finish_session(owner: PyramidSession, session: pytest.Session, exitstatus: int) -> None:
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
    if run.unfinished_tests:
        incomplete.append(f"{run.unfinished_tests} test(s) started but never finished")
    incomplete.extend(owner.missing(run))

    plugin_errors: list[str] = []
    gates = collect_gates(owner, run, plugin_errors)
    if plugin_errors:
        interrupted = True
        incomplete.extend(plugin_errors)
    decision, reasons = decide(gates=gates, incomplete=incomplete, interrupted=interrupted)
    git = owner.git if owner.git is not None else read_git_info(owner.config.rootpath)
    verdict = _verdict(owner, run, gates, decision, reasons, git)
    for name, tier in verdict["tiers"].items():  # what this run enforced, not what is configured
        tier["test_timeout_s"] = owner.limits.effective.get(name)
    kwargs = {"config": owner.config, "run": run}
    hook = owner.config.hook.pytest_pyramid_verdict_sections
    section_errors: list[str] = []
    for plugin, sections in _call_each(hook, kwargs, section_errors):
        if isinstance(sections, Mapping):
            merge_sections(verdict, sections)
        else:
            section_errors.append(
                f"pytest_pyramid_verdict_sections of {plugin} returned {sections!r}, not a dict"
            )
    if section_errors:
        verdict["decision"] = "incomplete"
        verdict["reasons"] = [*section_errors, *verdict["reasons"]]
    plugin_errors.extend(section_errors)

    if verdict["decision"] == "needs_approval":
        verdict["reasons"].append(approvals_needed(verdict)[2])
    gate_blocks = any(effect_of(g) == "block" for g in gates)
    excused = _only_quarantined_failures(run, gates, session)
    if excused and verdict["decision"] != "blocked":
        # Quarantine exists to keep known-broken tests from failing the pipeline; pytest's own
        # status would still be 1 for them. Only when nothing else failed.
        session.exitstatus = pytest.ExitCode.OK
        owner.notes.append(f"exit status 0: the only failures ({excused}) are quarantined tests")
    if session.exitstatus == pytest.ExitCode.OK and (
        (verdict["decision"] == "blocked" and gate_blocks) or plugin_errors
    ):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        owner.notes.append(
            "exit status 1: every test passed, but the verdict is "
            f"{str(verdict['decision']).upper()}"
        )
    owner.notes.extend(f"error: {error}" for error in plugin_errors)
    verdict["run"]["pytest_exit"] = int(session.exitstatus)

    _write(owner, verdict)
    owner.verdict = verdict
    _call_each(
        owner.config.hook.pytest_pyramid_verdict_written,
        {"config": owner.config, "verdict": verdict, "path": owner.verdict_path},
        owner.notes,
    )
