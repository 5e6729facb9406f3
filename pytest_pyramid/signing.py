"""HMAC-SHA256 signatures over a canonical form of the verdict."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping

SIGNING_KEY_ENV = "PYRAMID_SIGNING_KEY"
ALGORITHM = "hmac-sha256"


def signing_key_from_env(environ: Mapping[str, str] | None = None) -> bytes | None:
    """The configured signing key, or None when signing is not configured."""
    value = (os.environ if environ is None else environ).get(SIGNING_KEY_ENV, "")
    return value.encode() if value else None


def canonical_bytes(verdict: Mapping[str, object]) -> bytes:
    """The bytes that are signed: the verdict without its signature, keys sorted, no spaces."""
    unsigned = {key: value for key, value in verdict.items() if key != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature_for(verdict: Mapping[str, object], key: bytes) -> dict[str, str]:
    digest = hmac.new(key, canonical_bytes(verdict), hashlib.sha256).hexdigest()
    return {"alg": ALGORITHM, "value": digest}


def verify_signature(verdict: Mapping[str, object], key: bytes) -> str | None:
    """None when the signature is valid, otherwise the reason it is not."""
    signature = verdict.get("signature")
    if not isinstance(signature, Mapping):
        return "the verdict is not signed but a signing key is configured"
    if signature.get("alg") != ALGORITHM:
        return f"unsupported signature algorithm {signature.get('alg')!r}"
    expected = signature_for(verdict, key)["value"]
    if not hmac.compare_digest(expected, str(signature.get("value", ""))):
        return "the verdict signature does not match its content (tampered or another key)"
    return None
