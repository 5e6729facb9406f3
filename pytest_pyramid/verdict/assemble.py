"""One route from a judged run to a verdict document, for the plugin and ``pyramid merge``.

The writer (an unsharded run) and the merge (N shards) both hand over a
:class:`~pytest_pyramid.run.summary.RunSummary`, the gates evaluated on it and the
completeness problems found; this module builds the document, merges the plugins'
sections and asks the one decision rule. Nothing here imports pytest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pytest_pyramid.run.summary import recorded_limit
from pytest_pyramid.verdict.decision import judge
from pytest_pyramid.verdict.document import (
    OWN_SECTION_PROVIDERS,
    build_verdict,
    merge_sections,
)

if TYPE_CHECKING:
    from pytest_pyramid.config import TierSpec
    from pytest_pyramid.results import GateResult
    from pytest_pyramid.run.imported import CodeSeen
    from pytest_pyramid.run.summary import Problem, RunSummary
    from pytest_pyramid.verdict.document import ConfigEntry, Verdict
    from pytest_pyramid.verdict.provenance import GitInfo


def code_problems(git: GitInfo) -> list[Problem]:
    """What the tree digest cannot name (out-of-repository symlinks, dirty submodules): the
    one check every route makes, the writer's, a shard's and the merge's own checkout."""
    return [
        {"kind": "unnamed_code", "message": f"the tree digest cannot name what ran: {what}"}
        for what in git.unnamed
    ]


def said_once(found: Mapping[tuple[str, str], Sequence[str]], count: int) -> list[Problem]:
    """Problems found by several processes or shards ((kind, message) -> who found it): a
    problem all ``count`` of them found is said once; one some found names them."""
    problems: list[Problem] = []
    for (kind, message), labels in found.items():
        named = [label for label in labels if label]
        text = message if not named or (len(named) == count and count > 1) else (
            f"shard {', '.join(named)}: {message}")
        problems.append({"kind": kind, "message": text})
    return problems


#: an invocation to judge: (who ran it: "" for this process, a shard's label, "pyramid
#: merge"), its record (run/invocation.py; None: none was recorded), the allow list honoured
Invocation = tuple[str, "Mapping[str, Any] | None", Sequence[str]]


def invocation_problems(invocations: Sequence[Invocation]) -> list[Problem]:
    """What reached each process of the run that is not the project's own: the one check
    of the recorded invocation every route makes (the writer's own record, each shard's raw
    record and the merge's own in ``pyramid merge``), with the functions the run judges its
    own settings with (``run/invocation.py: judge_recorded``). A shard without a record is
    not vouched for."""
    from pytest_pyramid.run.invocation import judge_recorded

    found: dict[tuple[str, str], list[str]] = {}
    shards = [label for label, _, _ in invocations if label.startswith(SHARD_PREFIX)]
    for label, record, allow in invocations:
        if record is None:
            reasons = ["no invocation was recorded (a partial of an older version, or an "
                       "edited one): what reached the run is not known"]
        elif not isinstance(record, Mapping):
            reasons = [f"the recorded invocation is {type(record).__name__}, not an object: "
                       "what reached the run is not known"]
        else:
            reasons = judge_recorded(record, allow)
        where = label.removeprefix(SHARD_PREFIX) if label.startswith(SHARD_PREFIX) else ""
        for kind, reason in [*(("narrowed", r) for r in reasons), *target_reasons(record)]:
            message = reason if where or not label else f"{label}: {reason}"
            found.setdefault((kind, message), []).append(where)
    return said_once(found, len(shards))


def target_reasons(record: object) -> list[tuple[str, str]]:
    """A recorded ``--pyramid-target`` (from any source, the project's own included): a
    target run verifies a deployment and is never a release ``ready``."""
    from pytest_pyramid.run.target import PROBLEM_KIND, problem_message

    target = record.get("target") if isinstance(record, Mapping) else None
    return [(PROBLEM_KIND, problem_message(str(target)))] if target else []


SHARD_PREFIX = "shard "


def own_allow(record: Mapping[str, Any] | None) -> list[str]:
    """The allow list a process honoured for its own record (from its tracked file)."""
    if not isinstance(record, Mapping) or record.get("allow_options_honoured") is not True:
        return []
    return [str(option) for option in record.get("allow_options") or []]


def closed_world_problems(seen: CodeSeen | None, git: GitInfo,
                          allow: Sequence[str] = ()) -> list[Problem]:
    """Code the run's processes executed or collected tests from that is not the tree the
    digest names, byte for byte as it was read (``run/imported.py``): the writer's check of
    its processes' union, a shard's of its own, and the merge's of every shard's raw facts.
    ``allow``: the tracked ``allow_options``, whose ``process PATH`` entries vouch for a
    program of the repository whose own children are not followed (``run/unfollowed.py``)."""
    if seen is None or git.tree is None or git.toplevel is None:
        return []  # without a digest nothing is vouched for (the trust checks refuse it)
    import os
    from pathlib import Path

    from pytest_pyramid.run import read_places
    from pytest_pyramid.run.imported import CodeSeen, outside_tree, parse_ls_tree
    from pytest_pyramid.run.unfollowed import allowed, vouched
    from pytest_pyramid.verdict.provenance import tree_listing

    paths, places = allowed(allow), read_places.allowed(allow)
    if paths or places:
        top = os.path.realpath(git.toplevel)

        def relative(real: str) -> str:
            return os.path.relpath(real, top).replace(os.sep, "/")

        kept = CodeSeen()
        kept.files = seen.files
        kept.unverifiable = read_places.vouched(
            vouched(seen.unverifiable, relative, paths), relative, places)
        seen = kept

    listing = tree_listing(Path(git.toplevel), git.tree)
    if listing is None:
        return [{"kind": "closed_world", "message": "the tree the verdict names could not "
                 f"be listed (git ls-tree {git.tree}): the code that ran is not named"}]
    blobs, submodules = parse_ls_tree(listing)
    return [{"kind": "closed_world", "message": message}
            for message in outside_tree(seen, git.toplevel, blobs, submodules)]


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
    invocations: Sequence[Invocation] = (),
    code_seen: CodeSeen | None = None,
    mode: str = "enforce",
    budget_basis: str = "wall",
    project: str | None = None,
) -> Verdict:
    """The judged verdict: ``sections`` are (plugin, mapping) pairs; a section that cannot
    be merged adds to ``hook_errors``, which make the run incomplete. Every route (a serial
    or xdist run, ``pyramid merge``) comes here: the checks of ``git``, of the recorded
    ``invocations`` and of the code the processes read (``code_seen``) are made here."""
    allow = [entry for _, _, honoured in invocations for entry in honoured]
    checked = [*code_problems(git), *invocation_problems(invocations),
               *closed_world_problems(code_seen, git, allow)]
    verdict = build_verdict(
        run=run,
        tiers=tiers,
        required=required,
        gates=gates,
        problems=_once([*problems, *checked]),
        interrupted=interrupted,
        git=git,
        config=config,
        tool_version=tool_version,
        python_version=python_version,
        pytest_version=pytest_version,
        args=args,
        project=project,
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
