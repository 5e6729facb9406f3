"""One route from a judged run to a verdict document, for the plugin and ``pyramid merge``.

The writer (an unsharded run) and the merge (N shards) both hand over a
:class:`~pytest_pyramid.summary.RunSummary`, the gates evaluated on it and the
completeness problems found; this module builds the document, merges the plugins'
sections and asks the one decision rule. Nothing here imports pytest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pytest_pyramid.summary import recorded_limit
from pytest_pyramid.verdict.decision import judge
from pytest_pyramid.verdict.document import (
    OWN_SECTION_PROVIDERS,
    build_verdict,
    merge_sections,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pytest_pyramid.config import TierSpec
    from pytest_pyramid.results import GateResult
    from pytest_pyramid.summary import Problem, RunSummary
    from pytest_pyramid.verdict.document import ConfigEntry, Verdict
    from pytest_pyramid.verdict.provenance import GitInfo


def code_problems(git: GitInfo) -> list[Problem]:
    """What the tree digest cannot name (out-of-repository symlinks, dirty submodules): the
    one check every route makes, the writer's, a shard's and the merge's own checkout."""
    return [
        {"kind": "unnamed_code", "message": f"the tree digest cannot name what ran: {what}"}
        for what in git.unnamed
    ]


def _once(problems: Sequence[Problem]) -> list[Problem]:
    """Each problem once: a fact several routes (or shards) found is one fact."""
    seen: set[tuple[str, str]] = set()
    unique: list[Problem] = []
    for problem in problems:
        key = (problem["kind"], problem["message"])
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


def assemble_verdict(
    *,
    run: RunSummary,
    tiers: Mapping[str, TierSpec],
    required: Sequence[str],
    gates: Sequence[GateResult],
    problems: Sequence[Problem],
    interrupted: bool,
    git: GitInfo,
    config: ConfigEntry,
    tool_version: str,
    python_version: str,
    pytest_version: str,
    args: Sequence[str],
    effective_limits: Mapping[str, float | None],
    sections: Sequence[tuple[str, object]],
    hook_errors: list[str],
    mode: str = "enforce",
    budget_basis: str = "wall",
) -> Verdict:
    """The judged verdict: ``sections`` are (plugin, mapping) pairs; a section that cannot
    be merged adds to ``hook_errors``, which make the run incomplete. Every route (a serial
    or xdist run, ``pyramid merge``) comes here: the checks of ``git`` are made here."""
    verdict = build_verdict(
        run=run,
        tiers=tiers,
        required=required,
        gates=gates,
        problems=_once([*problems, *code_problems(git)]),
        interrupted=interrupted,
        git=git,
        config=config,
        tool_version=tool_version,
        python_version=python_version,
        pytest_version=pytest_version,
        args=args,
    )
    for name, tier in verdict["tiers"].items():  # what the run enforced, not configured
        stats = run.tiers.get(name)
        tier["test_timeout_s"] = recorded_limit(effective_limits.get(name),
                                                None if stats is None else stats.own_timeout_s)
        tier["budget_basis"] = "sum" if budget_basis == "sum" else "wall"  # what reports show
    if run.metrics_discarded:
        verdict["run"]["metrics_discarded"] = len(run.metrics_discarded)  # type: ignore[typeddict-unknown-key]
    # pytest-pyramid's own measured sections first: a plugin adds to them, never replaces them
    own = [entry for entry in sections if entry[0] in OWN_SECTION_PROVIDERS]
    for plugin, section in [*own, *(e for e in sections if e[0] not in OWN_SECTION_PROVIDERS)]:
        if not isinstance(section, Mapping):
            hook_errors.append(
                f"pytest_pyramid_verdict_sections of {plugin} returned {section!r}, not a dict"
            )
            continue
        try:
            merge_sections(verdict, section)
        except ValueError as exc:
            hook_errors.append(f"pytest_pyramid_verdict_sections of {plugin}: {exc}")
    if hook_errors:
        verdict["run"]["interrupted"] = True
        verdict["completeness"].extend(
            {"kind": "plugin_error", "message": e} for e in hook_errors
        )
    # observe mode judges as enforce does; only the exit status and the wording differ
    verdict["run"]["mode"] = "observe" if mode == "observe" else "enforce"
    judgement = judge(verdict)
    verdict["decision"] = judgement.decision
    verdict["reasons"] = judgement.reasons
    return verdict
