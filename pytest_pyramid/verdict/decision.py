"""The one decision rule, applied to the verdict document itself.

The plugin builds the document and asks :func:`decide` for its decision; ``pyramid check``
and the deploy gate ask again from the file and refuse one whose stated decision differs.
Nothing edits ``decision`` or ``reasons`` after this function: everything that bears on
the decision is a field of the document (gates, tiers, completeness problems, risk).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pytest_pyramid.results import effect, record

if TYPE_CHECKING:
    from pytest_pyramid.verdict.document import Decision

READY_ALL_PASSED = "every required tier ran and every gate passed"
READY_WITH_WARNINGS = "every required tier ran; no blocking or approval gate failed"


def tier_ran(entry: Mapping[str, Any]) -> bool:
    """A tier ran only if something in it passed: all skipped, all xfailed or empty is not a
    run, and neither is a tier whose every test failed (its failures block anyway)."""
    return int(entry.get("passed", 0)) + int(entry.get("xpassed", 0)) > 0


def why_not_ran(entry: Mapping[str, Any]) -> str:
    if not entry.get("selected"):
        return "not selected"
    collected = int(entry.get("collected", 0))
    if not collected and int(entry.get("skipped_modules", 0)):
        return "its test modules were skipped at import"
    if not collected:
        on_disk = int(entry.get("files_on_disk", 0))
        return f"none of its {on_disk} test file(s) was collected" if on_disk else "has no tests"
    skipped, xfailed = int(entry.get("skipped", 0)), int(entry.get("xfailed", 0))
    failing = int(entry.get("failed", 0)) + int(entry.get("errors", 0))
    if failing:
        return "none of its tests passed"
    if skipped and xfailed:
        return "all its tests were skipped or xfailed"
    if xfailed:
        return "all its tests were xfailed"
    if skipped:
        return "all its tests were skipped"
    return "none of its tests ran"


def missing_tiers(tiers: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return [
        f"required tier {name} did not run ({why_not_ran(entry)})"
        for name, entry in tiers.items()
        if entry.get("required") and not tier_ran(entry)
    ]


def approvals_needed(verdict: Mapping[str, Any]) -> tuple[int, list[str], str]:
    """How many approvals a ``needs_approval`` verdict asks for, from which roles, and a
    sentence saying so. Never zero: whatever the risk row says, a gate asked for a human."""
    risk = verdict.get("risk")
    risk = risk if isinstance(risk, Mapping) else {}
    try:
        configured = int(risk.get("required_approvals", 1))
    except (TypeError, ValueError):
        configured = 1
    required = max(1, configured)
    roles_value = risk.get("approver_roles", [])
    roles = [str(role) for role in roles_value] if isinstance(roles_value, list) else []
    role_text = f" from {', '.join(roles)}" if roles else " (any role)"
    basis = (
        f"risk {risk.get('level')}, score {risk.get('score')}"
        if risk
        else "no risk assessment configured"
    )
    if configured < 1:
        basis += "; at least one approval is always required"
    return required, roles, f"needs {required} approval(s){role_text} ({basis})"


#: completeness problems that mean the run chose (or was told) to cover less than the suite
PARTIAL_KINDS = frozenset({"narrowed", "files_not_collected", "target_run"})
#: the problem a target run (``--pyramid-target``) always has (run/target.py: PROBLEM_KIND)
TARGET_KIND = "target_run"


def partial_run(verdict: Mapping[str, Any]) -> bool:
    """Whether the run left part of the suite out on purpose: a required tier not selected
    (``--pyramid-tier=fast``), or a narrowing (``-k``, ``-m``, test ids, paths, ``--lf`` ...).
    Such a run is incomplete whatever its gates say."""
    tiers = verdict.get("tiers", {})
    for entry in tiers.values() if isinstance(tiers, Mapping) else ():
        if isinstance(entry, Mapping) and entry.get("required") and not entry.get("selected"):
            return True
    problems = verdict.get("completeness", [])
    return any(
        isinstance(p, Mapping) and p.get("kind") in PARTIAL_KINDS
        for p in (problems if isinstance(problems, Sequence) else [])
    )


@record(frozen=True)
class Judgement:
    """The decision a verdict's own fields give, with its reasons, most serious first."""

    decision: Decision
    reasons: list[str]
    #: gate ids by effect, for messages and exit codes
    blocking: tuple[str, ...] = ()
    approving: tuple[str, ...] = ()
    incomplete: tuple[str, ...] = ()
    #: blocking gates a partial run could not evaluate: they make it incomplete, not blocked
    not_judged: tuple[str, ...] = ()


def judge(verdict: Mapping[str, Any]) -> Judgement:
    """Decision and reasons (most serious first) from the document's own fields.

    A partial run (see :func:`partial_run`) is never blocked by a gate it could not
    evaluate: such a gate is listed as not judged, and the run is ``incomplete`` - which a
    partial run is anyway, so this can never give ``ready``. A gate that *failed* on the
    evidence the partial run did gather still blocks.
    """
    blocking: list[str] = []
    approval: list[str] = []
    warnings: list[str] = []
    blocking_ids: list[str] = []
    approving_ids: list[str] = []
    not_judged: list[str] = []
    not_judged_ids: list[str] = []
    partial = partial_run(verdict)
    gates = verdict.get("gates", [])
    for gate in gates if isinstance(gates, Sequence) else []:
        if not isinstance(gate, Mapping):
            continue
        status = str(gate.get("status"))
        outcome = effect(str(gate.get("level")), status, str(gate.get("on_missing", "fail")))
        message = gate.get("message")
        text = f"gate {gate.get('id')}: {message}" if message else f"gate {gate.get('id')}"
        if status == "not_evaluated":
            text += " (not evaluated)"
        if outcome == "block" and partial and status == "not_evaluated":
            not_judged.append(f"{text}: not judged in a partial run")
            not_judged_ids.append(str(gate.get("id")))
        elif outcome == "block":
            blocking.append(text)
            blocking_ids.append(str(gate.get("id")))
        elif outcome == "approve":
            approval.append(text)
            approving_ids.append(str(gate.get("id")))
        elif outcome == "warn":
            warnings.append(f"warning: {text}")
    problems = verdict.get("completeness", [])
    incomplete = [
        str(p.get("message") or p.get("kind"))
        for p in (problems if isinstance(problems, Sequence) else [])
        if isinstance(p, Mapping)
    ]
    tiers = verdict.get("tiers", {})
    incomplete.extend(missing_tiers(tiers if isinstance(tiers, Mapping) else {}))
    run = verdict.get("run", {})
    interrupted = bool(run.get("interrupted")) if isinstance(run, Mapping) else True
    ids = {
        "blocking": tuple(blocking_ids),
        "approving": tuple(approving_ids),
        "incomplete": tuple(incomplete),
        "not_judged": tuple(not_judged_ids),
    }
    if interrupted:
        reasons = [*incomplete, *blocking, *not_judged, *approval]
        if not incomplete:
            reasons.insert(0, "the run was interrupted")
        return Judgement("incomplete", reasons, **ids)
    if blocking:
        return Judgement("blocked", [*blocking, *incomplete, *not_judged, *approval], **ids)
    if incomplete or not_judged:
        # not_judged is only ever set in a partial run, whose incompleteness is listed too
        return Judgement("incomplete", [*incomplete, *not_judged, *approval], **ids)
    if approval:
        sentence = approvals_needed(verdict)[2]
        return Judgement("needs_approval", [*approval, *warnings, sentence], **ids)
    if warnings:
        return Judgement("ready", [READY_WITH_WARNINGS, *warnings], **ids)
    return Judgement("ready", [READY_ALL_PASSED], **ids)


def decide(verdict: Mapping[str, Any]) -> tuple[Decision, list[str]]:
    judgement = judge(verdict)
    return judgement.decision, judgement.reasons


def contradiction(verdict: Mapping[str, Any]) -> str | None:
    """Why the file's stated decision is not the one its own content gives, or None."""
    judgement = judge(verdict)
    stated = verdict.get("decision")
    if stated == judgement.decision:
        return None
    if judgement.decision == "blocked":
        evidence = f"gate(s) {', '.join(judgement.blocking[:5])} block"
    elif judgement.decision == "incomplete":
        evidence = "; ".join(judgement.incomplete[:3]) or "the run was interrupted"
    elif judgement.decision == "needs_approval":
        evidence = f"gate(s) {', '.join(judgement.approving[:5])} need approval"
    else:
        evidence = "no gate, tier or completeness problem supports it"
    return (
        f"the file says {stated!r} but its own gates and tiers give "
        f"{judgement.decision!r}: {evidence}"
    )


def exit_status(
    pytest_status: int,
    decision: Decision,
    *,
    gate_blocks: bool,
    hook_errors: bool,
    excused_failures: int,
    tests_left_over: bool,
) -> tuple[int, str | None]:
    """pytest's exit status after judging, and a note when it was changed.

    - 1 when every test passed but a gate blocks, or a plugin hook failed;
    - 0 when the only failures are quarantined tests and nothing else stopped the run
      (never when tests were left over: a run that stopped early proves nothing).
    """
    if (
        excused_failures
        and pytest_status == 1
        and decision != "blocked"
        and not tests_left_over
        and not hook_errors
    ):
        return 0, f"exit status 0: the only failures ({excused_failures}) are quarantined tests"
    if pytest_status == 0 and ((decision == "blocked" and gate_blocks) or hook_errors):
        return 1, f"exit status 1: every test passed, but the verdict is {decision.upper()}"
    return pytest_status, None


@record(frozen=True)
class TargetOutcome:
    """What a target run found about the server it tested: ``verified`` (every selected
    tier ran and passed, and nothing else is wrong with the run), ``failed`` (a blocking gate
    failed on its evidence: a test failed), or ``unverified`` (anything else, named)."""

    outcome: str
    reasons: list[str]
    target: str | None


def target_outcome(verdict: Mapping[str, Any]) -> TargetOutcome:
    """A target run's own result, from the verdict document alone: the deploy's verify tiers
    read it. Allow-listed: only the ``target_run`` problem itself and tiers the run did not
    select are left aside; any other completeness problem, an interruption, a selected tier
    that did not run, or a verdict that is not a target run is ``unverified``."""
    problems = [p for p in _sequence(verdict.get("completeness")) if isinstance(p, Mapping)]
    targets = [str(p.get("message")) for p in problems if p.get("kind") == TARGET_KIND]
    if not targets:
        return TargetOutcome("unverified", ["not a target run (no target_run problem)"], None)
    target = _target_url(verdict)
    judgement = judge(verdict)
    if judgement.blocking:
        return TargetOutcome("failed", [r for r in judgement.reasons if r.startswith("gate ")],
                             target)
    run = verdict.get("run")
    reasons = ["the run was interrupted"] if not isinstance(run, Mapping) or \
        run.get("interrupted") else []
    reasons += [str(p.get("message") or p.get("kind")) for p in problems
                if p.get("kind") != TARGET_KIND]
    # the tests that vouch are a commit's: an uncommitted edit or an untracked file of the
    # checkout whose tests ran (a conftest rewriting reports) is not (hostile case 233)
    if verdict.get("dirty") is not False:
        reasons.append("the tests that ran are not a commit's: the checkout had uncommitted or "
                       "untracked files" if verdict.get("dirty") else
                       "the verdict names no clean commit whose tests ran")
    tiers = verdict.get("tiers")
    # a tier the run was asked for by name (``--pyramid-tier``: the verify tier) must have
    # run: one without tests verified nothing (hostile case 177). Without a selection every
    # tier is "selected", and only those with tests count, as before
    asked = run.get("selected_tiers") if isinstance(run, Mapping) else None
    named = set(asked) if isinstance(asked, list) else set()
    if isinstance(tiers, Mapping) and named >= set(tiers):
        named = set()
    selected = {name: entry for name, entry in (tiers.items() if isinstance(tiers, Mapping)
                                                 else ()) if isinstance(entry, Mapping)
                and entry.get("selected")
                and (name in named or entry.get("required") or _count(entry))}
    if not selected:
        reasons.append("no selected tier has tests")
    reasons += [f"selected tier {name} did not run ({why_not_ran(entry)})"
                for name, entry in selected.items() if not tier_ran(entry)]
    if reasons:
        return TargetOutcome("unverified", reasons, target)
    names = ", ".join(selected)
    return TargetOutcome("verified", [f"tier(s) {names} passed against {target}"], target)


def _count(entry: Mapping[str, Any]) -> int:
    try:
        return int(entry.get("collected", 0))
    except (TypeError, ValueError):
        return 0


def _sequence(value: object) -> Sequence[Any]:
    return value if isinstance(value, Sequence) and not isinstance(value, str) else []


def _target_url(verdict: Mapping[str, Any]) -> str | None:
    run = verdict.get("run")
    invocation = run.get("invocation") if isinstance(run, Mapping) else None
    target = invocation.get("target") if isinstance(invocation, Mapping) else None
    return str(target) if target else None
