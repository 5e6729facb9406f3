"""``pyramid attest``: sign a verdict, after the tests and outside them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pytest_pyramid.cli._common import UsageFailure, _print

if TYPE_CHECKING:
    import argparse

    from pytest_pyramid.cli._common import Commands


def add(commands: Commands) -> None:
    attest = commands.add_parser(
        "attest", help="sign a verdict (after the tests, outside them) with an Ed25519 key"
    )
    attest.add_argument("verdict", nargs="?", default=None, help="path of the verdict JSON")
    attest.add_argument(
        "--key", required=True, metavar="FILE", help="PEM Ed25519 private key (pyramid keygen)"
    )
    attest.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="FILE",
        help="where to write the DSSE envelope (default: VERDICT.intoto.jsonl)",
    )
    attest.set_defaults(func=cmd_attest, verdict_from_project=True)


def cmd_attest(args: argparse.Namespace) -> int:
    from pytest_pyramid._files import write_text_atomic
    from pytest_pyramid.errors import VerdictError
    from pytest_pyramid.verdict.decision import contradiction
    from pytest_pyramid.verdict.document import load_verdict
    from pytest_pyramid.verdict.signing import (
        SignatureError,
        attest,
        envelope_path,
        key_id,
        load_private_key,
    )

    path = Path(args.verdict)
    try:
        verdict = load_verdict(path)
        key = load_private_key(Path(args.key))
    except (VerdictError, SignatureError) as exc:
        raise UsageFailure(str(exc)) from None
    problem = contradiction(verdict)
    if problem:
        raise UsageFailure(f"{path}: refusing to sign a verdict that contradicts itself: {problem}")
    import json

    envelope = attest(verdict, key)
    out = Path(args.output) if args.output else envelope_path(path)
    write_text_atomic(out, json.dumps(envelope, separators=(",", ":")) + "\n")
    _print(
        f"{out}: signed {verdict['decision']} verdict for "
        f"{(verdict.get('commit') or 'no commit')[:12]} with key {key_id(key.public_key())[:16]}"
    )
    return 0

