"""``pyramid merge``: judge the CI shards' partial results once (verdict/merge.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.cli._common import DECISION_EXIT, _print

if TYPE_CHECKING:
    import argparse

    from pytest_pyramid.cli._common import Commands


def add(commands: Commands) -> None:
    merge = commands.add_parser(
        "merge",
        help="judge CI shards' partial results (pyramid-partial-I-of-N.json) once; exit codes "
        "as check; 3 when the partials cannot be one run",
    )
    merge.add_argument("partials", nargs="+", metavar="PARTIAL",
                       help="partial result files, or directories holding them")
    merge.add_argument("-o", "--output", default=None, metavar="FILE",
                       help="where to write the verdict (default: [tool.pyramid] verdict)")
    merge.add_argument("--durations-out", default=None, metavar="FILE",
                       help="durations file for the next split (default: the file the "
                       "shards read: pyramid_durations, else .pyramid/durations.json)")
    merge.add_argument("--coverage-out", default=None, metavar="FILE",
                       help="also keep the combined coverage data file (coverage html ...)")
    merge.add_argument("--config", default=None, metavar="FILE",
                       help="the pyproject.toml or pyramid.toml the shards ran with (default: "
                       "the project at or above this folder)")
    merge.add_argument("--diff-base", default=None, metavar="REV",
                       help="base revision for changed-line coverage and risk (default: the "
                       "project's tracked configuration)")
    merge.add_argument("--run-id", default=None, metavar="ID",
                       help="the run the shards belong to, when they carry no CI run id "
                       "(default: PYRAMID_RUN_ID); without one such shards are refused")
    merge.set_defaults(func=cmd_merge)


def cmd_merge(args: argparse.Namespace) -> int:
    """``pyramid merge``: judge the CI shards' partial results once (verdict/merge.py)."""
    from pytest_pyramid.verdict.merge import run_merge
    from pytest_pyramid.verdict.render_text import decision_lines, gate_lines

    outcome = run_merge(
        args.partials,
        config=args.config,
        output=args.output,
        durations_out=args.durations_out,
        coverage_out=args.coverage_out,
        diff_base=args.diff_base,
        run_id=args.run_id,
    )
    verdict = outcome.result.verdict
    shards = outcome.result.shards
    retried = f", retried: {shards['retried']}" if shards.get("retried") else ""
    _print(
        f"merged {len(outcome.result.shard_set.finished)} of {shards.get('total')} shard(s)"
        f"{retried}; critical path {shards.get('critical_path_s')}s, summed test time "
        f"{shards.get('summed_test_time_s')}s"
    )
    failing = [g for g in verdict["gates"] if g["status"] != "pass"]
    if failing:
        _print("\n".join(gate_lines(failing, explain=False)))
    _print("\n".join(decision_lines(verdict)))
    for note in outcome.result.notes:
        _print(note, err=True)
    _print(f"verdict written to {outcome.verdict_path}")
    if outcome.durations_path is not None:
        _print(f"durations for the next split written to {outcome.durations_path}")
    return DECISION_EXIT[verdict["decision"]]
