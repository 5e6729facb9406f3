"""``pyramid check``: may this verdict be trusted for this code now, and what does it say."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.cli._common import (
    DECISION_EXIT,
    UsageFailure,
    _duration_arg,
    _print,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping

    from pytest_pyramid.cli._common import Commands
    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.verdict.trust import Target


def add(commands: Commands) -> None:
    check = commands.add_parser(
        "check",
        help="judge whether a verdict can be trusted for this code now; exit 0 ready, "
        "1 blocked/incomplete, 2 needs approval, 3 unusable or untrusted",
    )
    check.add_argument(
        "verdict",
        nargs="?",
        default=None,
        help="path of the verdict JSON (default: [tool.pyramid] verdict of the project "
        "at or above this folder, else pyramid-verdict.json)",
    )
    check.add_argument(
        "--commit",
        help="the commit the verdict must be for: a SHA (>= 7 hex digits) or a revision "
        "(default: HEAD, and the working tree must be the one that was tested)",
    )
    check.add_argument(
        "--max-age",
        type=_duration_arg,
        default=None,
        metavar="DURATION",
        help="refuse a verdict older than this (e.g. 24h, 30m)",
    )
    check.add_argument(
        "--allow-dirty",
        action="store_true",
        help="accept a verdict produced from a tree with uncommitted changes",
    )
    check.add_argument(
        "--signature",
        metavar="FILE",
        default=None,
        help="DSSE envelope from `pyramid attest` (default: VERDICT.intoto.jsonl when it exists)",
    )
    check.add_argument(
        "--trusted-key",
        action="append",
        default=[],
        metavar="KEY",
        help="a trusted Ed25519 public key (PEM file, PEM text or 64 hex); repeat for "
        "rotation; once the host pins keys (/etc/pyramid, ~/.config/pyramid) it may only name "
        "one of those",
    )
    check.add_argument(
        "--require-signature",
        action="store_true",
        help="refuse an unsigned verdict (also [tool.pyramid.deploy] require_signature)",
    )
    check.add_argument(
        "--format",
        choices=("text", "github"),
        default="text",
        help="github: also print ::error annotations for failing gates",
    )
    check.set_defaults(func=cmd_check, verdict_from_project=True)


@dataclass(frozen=True)
class _Settings:
    """The trust settings ``pyramid check`` judges a verdict under."""

    #: the checked tree's own ``trusted_keys`` (never used: only said, a commit could add its
    #: own signer)
    tree_keys: tuple[str, ...]
    #: a signature is required whatever the commit says (``--require-signature``, the host's
    #: pins, the configuration on disk: each may only add strictness)
    required_here: bool
    #: the commit's own ``require_signature``; None when its table cannot be read here
    committed: bool | None
    #: why the commit's table cannot be read here ("" when it can)
    unread: str = ""

    @property
    def required(self) -> bool:
        return self.required_here or bool(self.committed)


def _trust_settings(args: argparse.Namespace, target: Target) -> _Settings:
    """``trusted_keys`` and ``require_signature`` as the deploy gate's own parser reads them
    (one meaning for both) from the table the checked commit ships (deploy/replays.py
    ``shipped_table``, the deploy's own reading: hostile case 196 d), never a default taken
    for it. The host's pins and ``--require-signature`` only add to it."""
    from pytest_pyramid.deploy.config import load_config
    from pytest_pyramid.deploy.host_pins import host_pins
    from pytest_pyramid.errors import ConfigError

    try:
        on_disk = load_config(None)  # validated as before; it may only add strictness
        pins = host_pins()
    except ConfigError as exc:
        raise UsageFailure(str(exc)) from None
    here = bool(args.require_signature or pins.require_signature or pins.pins_keys
                or on_disk.require_signature)
    committed, why = _committed_trust(on_disk, target)
    keys = committed.trusted_keys if committed is not None else on_disk.trusted_keys
    return _Settings(tuple(keys), here, None if committed is None else
                     committed.require_signature, why)


def _committed_trust(on_disk: DeployConfig,
                     target: Target) -> tuple[DeployConfig | None, str]:
    """The deploy settings of the table ``target``'s commit ships, or None and why that table
    cannot be read here (no commit, a commit this clone lacks, an untracked or edited
    configuration)."""
    from pytest_pyramid.deploy.config import project_config
    from pytest_pyramid.deploy.replays import NotShipped, shipped_table
    from pytest_pyramid.errors import ConfigError

    if target.commit is None:
        return None, "no commit is named"
    if not target.in_git:
        return None, (f"commit {target.commit[:12]} is in no git repository at or above "
                      f"{Path.cwd()}")
    try:
        table = shipped_table(on_disk, target.commit)
        return project_config(on_disk.source if table else "<defaults>", table), ""
    except NotShipped as exc:
        return None, str(exc)
    except ConfigError as exc:
        raise UsageFailure(f"commit {target.commit[:12]}: {exc}") from None


def _unread_refusal(path: Path, settings: _Settings, target: Target) -> str:
    """The one line refusing an answer that hangs on a ``require_signature`` nobody read."""
    commit = (target.commit or "?")[:12]
    return (f"{path}: cannot read [tool.pyramid.deploy] require_signature of commit {commit} "
            f"here ({settings.unread}): run pyramid check inside a checkout of it, or pass "
            "--require-signature (with a signed verdict and --trusted-key), or pin "
            "require_signature on the host (/etc/pyramid/deploy.toml)")


def _name_changes(problem: str, verdict: Mapping[str, Any]) -> str:
    """A dirty verdict's problem, with the files that made it dirty (from the tree it
    recorded, compared with its commit's)."""
    from pytest_pyramid.verdict.provenance import changed_files
    from pytest_pyramid.verdict.trust import DIRTY

    tree = verdict.get("tree")
    if not problem.startswith(DIRTY) or not isinstance(tree, dict):
        return problem
    digest, head = tree.get("digest"), tree.get("head")
    if not isinstance(digest, str) or not isinstance(head, str):
        return problem
    files = changed_files(Path.cwd(), head, digest)
    if not files:
        return problem
    shown = ", ".join(files[:10]) + (f" and {len(files) - 10} more" if len(files) > 10 else "")
    return f"{problem}; changed: {shown}"


def cmd_check(args: argparse.Namespace) -> int:
    from pytest_pyramid.deploy.host_pins import trusted_keys
    from pytest_pyramid.errors import VerdictError
    from pytest_pyramid.verdict.decision import contradiction
    from pytest_pyramid.verdict.render_text import decision_lines, gate_lines
    from pytest_pyramid.verdict.signing import SignatureError
    from pytest_pyramid.verdict.trust import TrustError, TrustRequest, assess

    path = Path(args.verdict)
    try:
        # the host's pins, which --trusted-key / PYRAMID_TRUSTED_KEYS may only narrow: the
        # same keys the deploy gate would check (deploy/host_pins.py)
        sources, origin = trusted_keys(args.trusted_key)
        request = TrustRequest(
            verdict=path,
            allow_dirty=args.allow_dirty,
            max_age_s=args.max_age,
            key_sources=tuple(sources),
            key_origin=origin or "trusted key",
            revision=args.commit,
            signature=Path(args.signature) if args.signature else None,
        )
        trust = assess(request)
        # whether a signature is required is the checked commit's table's word (with what
        # only adds to it): asked again, of the same target, when it is
        settings = _trust_settings(args, trust.target)
        if settings.required:
            trust = assess(replace(request, require_signature=True, target=trust.target))
    except (VerdictError, TrustError, SignatureError) as exc:
        raise UsageFailure(str(exc)) from None
    verdict, target = trust.verdict, trust.target
    if settings.tree_keys and not trust.policy.trusted_keys:
        _print("note: the trusted_keys of the checked tree are not used (a commit could add its "
               "own signer): pin keys outside it in /etc/pyramid/trusted_keys or "
               "~/.config/pyramid/trusted_keys, or name them with --trusted-key", err=True)
    problems = [_name_changes(problem, verdict) for problem in trust.problems]
    refusing = verdict["decision"] in ("blocked", "incomplete") and contradiction(verdict) is None
    if problems and not refusing:
        raise UsageFailure(f"{path}: " + "; ".join(problems))
    for problem in problems:  # a refusal stays a refusal (exit 1); the problems are shown
        _print(f"note: {problem}", err=True)
    if target.commit is None and verdict["decision"] in ("ready", "needs_approval"):
        raise UsageFailure(
            f"{path}: not bound to any commit (no git repository here): pass --commit SHA to "
            "say which code the verdict must vouch for"
        )
    if settings.committed is None and not settings.required_here and \
            not trust.signed_by_trusted_key and verdict["decision"] in ("ready", "needs_approval"):
        raise UsageFailure(_unread_refusal(path, settings, target))  # missing data: no pass
    recorded = (verdict.get("commit") or "no commit")[:12]
    signed = ", signed by a trusted key" if trust.signed_by_trusted_key else ""
    _print(f"{path}: {recorded}, created {verdict['created_at']}{signed}")
    if verdict.get("dirty"):
        _print(
            "warning: produced from a working tree with changes not in its commit "
            "(accepted: --allow-dirty)"
        )
    failing = [g for g in verdict["gates"] if g["status"] != "pass"]
    if failing:
        _print("\n".join(gate_lines(failing, explain=False)))
    _print("\n".join(decision_lines(verdict)))
    if args.format == "github":
        _github_annotations(verdict)
    return DECISION_EXIT[verdict["decision"]]


def _github_annotations(verdict: Any) -> None:
    """``::error``/``::warning`` workflow commands for gates that did not pass."""
    from pytest_pyramid.results import effect

    def escape(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    for gate in verdict["gates"]:
        kind = effect(gate["level"], gate["status"], gate.get("on_missing", "fail"))
        if kind == "none":
            continue
        command = "error" if kind == "block" else "warning"
        title = escape(f"gate {gate['id']}").replace(",", "%2C").replace("::", "%3A%3A")
        _print(f"::{command} title={title}::{escape(str(gate.get('message') or gate['status']))}")

