"""``pyramid keygen``: an Ed25519 key pair for ``attest`` and approvals."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pytest_pyramid.cli._common import UsageFailure, _print

if TYPE_CHECKING:
    import argparse

    from pytest_pyramid.cli._common import Commands


def add(commands: Commands) -> None:
    keygen = commands.add_parser(
        "keygen", help="create an Ed25519 key pair (PREFIX.key, PREFIX.pub)"
    )
    keygen.add_argument("prefix", help="path prefix of the key files")
    keygen.add_argument("--force", action="store_true", help="replace existing files")
    keygen.set_defaults(func=cmd_keygen)


def cmd_keygen(args: argparse.Namespace) -> int:
    from pytest_pyramid._files import write_bytes_atomic
    from pytest_pyramid.verdict.signing import (
        SignatureError,
        generate_private_key,
        key_id,
        private_pem,
        public_pem,
    )

    prefix = Path(args.prefix)
    private, public = prefix.with_name(prefix.name + ".key"), prefix.with_name(prefix.name + ".pub")
    for target in (private, public):
        if target.exists() and not args.force:
            raise UsageFailure(f"{target}: exists (use --force to replace it)")
    try:
        key = generate_private_key()
    except SignatureError as exc:
        raise UsageFailure(str(exc)) from None
    write_bytes_atomic(private, private_pem(key), mode=0o600)
    write_bytes_atomic(public, public_pem(key.public_key()))
    _print(f"private key {private} (keep it secret: CI's attest step or an approver only)")
    _print(f"public key  {public} (key id {key_id(key.public_key())})")
    return 0

