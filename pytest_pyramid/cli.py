"""The ``pyramid`` command: read a verdict (``check``) and, through the deploy module, ship it.

Exit codes: 0 ready / done, 1 blocked or incomplete, 2 needs approval, 3 unusable input.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from pytest_pyramid.durations import format_duration, parse_duration
from pytest_pyramid.errors import VerdictError

if TYPE_CHECKING:
    from collections.abc import Sequence

EXIT_READY = 0
EXIT_NOT_READY = 1
EXIT_NEEDS_APPROVAL = 2
EXIT_UNUSABLE = 3
_DECISION_EXIT = {
    "ready": EXIT_READY,
    "blocked": EXIT_NOT_READY,
    "incomplete": EXIT_NOT_READY,
    "needs_approval": EXIT_NEEDS_APPROVAL,
}


class UsageFailure(Exception):
    """Bad input to a command: printed and turned into exit code 3."""


def _duration_arg(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def check_verdict(
    verdict: dict[str, Any],
    *,
    commit: str | None,
    max_age_s: float | None,
    now: datetime | None = None,
) -> str | None:
    """Why the verdict cannot be used for this commit and time, or None when it can."""
    if commit:
        recorded = verdict.get("commit")
        if not recorded:
            return f"the verdict records no commit, expected {commit}"
        if not (recorded.startswith(commit) or commit.startswith(recorded)) or len(commit) < 7:
            return f"the verdict is for commit {recorded}, not {commit}"
    if max_age_s is not None:
        from pytest_pyramid.verdict import parse_created_at

        created = parse_created_at(str(verdict["created_at"]))
        age = ((now or datetime.now(timezone.utc)) - created).total_seconds()
        if age > max_age_s:
            return (
                f"the verdict is {format_duration(age)} old, older than the "
                f"{format_duration(max_age_s)} allowed"
            )
        if age < -300:
            return "the verdict's created_at lies in the future"
    from pytest_pyramid.signing import signing_key_from_env, verify_signature

    key = signing_key_from_env()
    if key is not None:
        return verify_signature(verdict, key)
    return None


_SHA = re.compile(r"[0-9a-fA-F]{7,40}")


def resolve_commit(text: str | None) -> str | None:
    """A SHA as given, or any other revision (``HEAD``, a tag) resolved by git."""
    if text is None:
        return None
    text = text.strip()
    if not text:
        raise UsageFailure("--commit is empty (did `git rev-parse HEAD` fail?)")
    if _SHA.fullmatch(text):
        return text.lower()
    result = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{text}^{{commit}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise UsageFailure(f"--commit {text!r} is neither a SHA nor a revision git knows here")
    return result.stdout.strip()


def cmd_check(args: argparse.Namespace) -> int:
    from pytest_pyramid.terminal import decision_lines, gate_lines
    from pytest_pyramid.verdict import load_verdict

    commit = resolve_commit(args.commit)
    try:
        verdict = load_verdict(args.verdict)
    except VerdictError as exc:
        raise UsageFailure(str(exc)) from None
    problem = check_verdict(verdict, commit=commit, max_age_s=args.max_age)
    if problem:
        raise UsageFailure(f"{args.verdict}: {problem}")
    recorded = (verdict.get("commit") or "no commit")[:12]
    print(f"{args.verdict}: {recorded}, created {verdict['created_at']}")
    if verdict.get("dirty"):
        print("warning: produced from a working tree with uncommitted changes")
    failing = [g for g in verdict["gates"] if g["status"] != "pass"]
    if failing:
        print("\n".join(gate_lines(failing, explain=False)))
    print("\n".join(decision_lines(verdict)))
    return _DECISION_EXIT[verdict["decision"]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyramid", description="Read a pytest-pyramid verdict and act on it."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    check = commands.add_parser(
        "check",
        help="summarise a verdict; exit 0 ready, 1 blocked/incomplete, 2 needs "
        "approval, 3 unusable",
    )
    check.add_argument("verdict", help="path of the verdict JSON")
    check.add_argument(
        "--commit", help="refuse a verdict for another commit (a SHA, or a revision like HEAD)"
    )
    check.add_argument(
        "--max-age",
        type=_duration_arg,
        default=None,
        metavar="DURATION",
        help="refuse a verdict older than this (e.g. 24h, 30m)",
    )
    check.set_defaults(func=cmd_check)
    try:
        from pytest_pyramid.deploy.cli import add_commands
    except ImportError:
        pass
    else:
        add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage; our contract says 3
        status = exc.code if isinstance(exc.code, int) else EXIT_UNUSABLE
        return EXIT_UNUSABLE if status == 2 else status
    try:
        code: int = args.func(args)
    except UsageFailure as exc:
        print(f"pyramid {args.command}: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
