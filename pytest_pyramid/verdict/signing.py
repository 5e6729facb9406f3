"""Asymmetric signatures over verdicts (and approvals): Ed25519 in a DSSE envelope.

CI holds a private key and signs after the tests ran (``pyramid attest``); deploy hosts hold
only public keys, so whoever can verify cannot forge. The envelope is the standard one:
DSSE (https://github.com/secure-systems-lab/dsse) carrying an in-toto Statement v1 whose
predicate is the verdict, so tools that speak in-toto (securesystemslib, cosign, witness)
can read and verify it. Key ids follow securesystemslib's default: the SHA-256 of the
canonical JSON of ``{"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": HEX}}``.

``cryptography`` is imported lazily (``pip install pytest-pyramid-verdict[sign]``): reading a
verdict never needs it; only signing and verifying do.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
VERDICT_PREDICATE_TYPE = "https://pytest-pyramid.dev/verdict/v2"
#: the envelope ``pyramid attest`` writes next to a verdict: ``<verdict>`` + this suffix
ENVELOPE_SUFFIX = ".intoto.jsonl"
SIGN_EXTRA = "pip install 'pytest-pyramid-verdict[sign]'"


class SignatureError(PyramidError):
    """A signature that is missing, malformed, by an unknown key, or does not verify."""


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:  # pragma: no cover - the sign extra is part of the dev set
        raise SignatureError(f"signatures need the cryptography package: {SIGN_EXTRA}") from None
    return ed25519


# -- keys --------------------------------------------------------------------------------------


def public_hex(public_key: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def key_id(public_key: Ed25519PublicKey) -> str:
    """securesystemslib's default key id for an Ed25519 key."""
    data = {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": public_hex(public_key)}}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def generate_private_key() -> Ed25519PrivateKey:
    key: Ed25519PrivateKey = _crypto().Ed25519PrivateKey.generate()
    return key


def private_pem(key: Ed25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def public_pem(key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM (PKCS#8) file; errors name the file."""
    ed25519 = _crypto()
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SignatureError(f"{path}: cannot read the key: {exc.strerror or exc}") from None
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise SignatureError(f"{path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise SignatureError(f"{path}: not an Ed25519 key ({type(key).__name__})")
    private: Ed25519PrivateKey = key
    return private


def load_public_key(source: str | Path, *, origin: str = "key") -> Ed25519PublicKey:
    """An Ed25519 public key from PEM text, a PEM file path, or a 64-hex raw key."""
    ed25519 = _crypto()
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    text = str(source).strip()
    if len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text):
        raw: Ed25519PublicKey = ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
        return raw
    if "-----BEGIN" in text:
        data = text.encode()
    else:
        try:
            data = Path(text).expanduser().read_bytes()
        except OSError as exc:
            raise SignatureError(
                f"{origin} {text!r}: not a PEM public key, a 64-hex key or a readable file "
                f"({exc.strerror or exc})"
            ) from None
    try:
        key = load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise SignatureError(f"{origin} {text[:60]!r}: not a PEM public key ({exc})") from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise SignatureError(f"{origin} {text[:60]!r}: not an Ed25519 key")
    public: Ed25519PublicKey = key
    return public


def trusted_keyring(sources: Sequence[str], *, origin: str) -> dict[str, Ed25519PublicKey]:
    """Key id -> key for every configured trusted key (several allow rotation)."""
    ring: dict[str, Ed25519PublicKey] = {}
    for index, source in enumerate(sources):
        key = load_public_key(source, origin=f"{origin}[{index}]")
        ring[key_id(key)] = key
    return ring


# -- DSSE --------------------------------------------------------------------------------------


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what is actually signed."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def sign_envelope(payload: bytes, payload_type: str, key: Ed25519PrivateKey) -> dict[str, Any]:
    signature = key.sign(pae(payload_type, payload))
    return {
        "payload": base64.b64encode(payload).decode(),
        "payloadType": payload_type,
        "signatures": [
            {"keyid": key_id(key.public_key()), "sig": base64.b64encode(signature).decode()}
        ],
    }


@dataclass(frozen=True)
class Verified:
    payload: bytes
    payload_type: str
    keyids: tuple[str, ...]


def _b64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise SignatureError(f"the envelope's {what} is not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"the envelope's {what} is not valid base64") from None


def verify_envelope(
    envelope: object, trusted: Mapping[str, Ed25519PublicKey], *, payload_type: str
) -> Verified:
    """The payload and the trusted key ids that signed it; SignatureError otherwise.

    Every signature is tried against every trusted key (DSSE does not require key ids);
    signatures by unknown keys are ignored, and at least one trusted key must verify.
    """
    if not isinstance(envelope, Mapping):
        raise SignatureError("the signature file is not a DSSE envelope (a JSON object)")
    kind = envelope.get("payloadType")
    if kind != payload_type:
        raise SignatureError(f"the envelope carries {kind!r}, expected {payload_type!r}")
    payload = _b64(envelope.get("payload"), "payload")
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        raise SignatureError("the envelope has no signatures")
    if not trusted:
        raise SignatureError("no trusted public key is configured to verify the signature")
    from cryptography.exceptions import InvalidSignature

    message = pae(payload_type, payload)
    verified: list[str] = []
    for entry in signatures:
        if not isinstance(entry, Mapping):
            continue
        sig = _b64(entry.get("sig"), "signature")
        for keyid, key in trusted.items():
            if keyid in verified:
                continue
            try:
                key.verify(sig, message)
            except InvalidSignature:
                continue
            verified.append(keyid)
    if not verified:
        listed = ", ".join(
            str(e.get("keyid", "?"))[:16] for e in signatures if isinstance(e, Mapping)
        )
        raise SignatureError(
            f"no signature verifies with a trusted key (signed by key id(s) {listed or '?'}; "
            "tampered, or signed by a key that is not trusted)"
        )
    return Verified(payload, payload_type, tuple(verified))


# -- verdict attestations ----------------------------------------------------------------------


def verdict_statement(verdict: Mapping[str, Any]) -> dict[str, Any]:
    """An in-toto Statement v1 about the commit and tree, with the verdict as predicate."""
    subject: list[dict[str, Any]] = []
    commit, tree = verdict.get("commit"), (verdict.get("tree") or {}).get("digest")
    if commit:
        subject.append({"name": "commit", "digest": {"gitCommit": commit}})
    if tree:
        subject.append({"name": "tree", "digest": {"gitTree": tree}})
    if not subject:
        canonical = json.dumps(verdict, sort_keys=True, separators=(",", ":")).encode()
        subject.append(
            {"name": "verdict", "digest": {"sha256": hashlib.sha256(canonical).hexdigest()}}
        )
    return {
        "_type": STATEMENT_TYPE,
        "subject": subject,
        "predicateType": VERDICT_PREDICATE_TYPE,
        "predicate": dict(verdict),
    }


def attest(verdict: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    statement = verdict_statement(verdict)
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return sign_envelope(payload.encode(), IN_TOTO_PAYLOAD_TYPE, key)


def envelope_path(verdict_path: Path) -> Path:
    return verdict_path.with_name(verdict_path.name + ENVELOPE_SUFFIX)


def read_envelope(path: Path) -> object | None:
    """The first envelope of an ``.intoto.jsonl`` file; None when the file does not exist."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise SignatureError(f"{path}: cannot read the signature: {exc}") from None
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    try:
        envelope: object = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise SignatureError(f"{path}: not a JSON envelope: {str(exc)[:120]}") from None
    return envelope


def verify_verdict(
    verdict: Mapping[str, Any], envelope: object, trusted: Mapping[str, Ed25519PublicKey]
) -> tuple[str, ...]:
    """The trusted key ids that attest exactly this verdict; SignatureError otherwise."""
    verified = verify_envelope(envelope, trusted, payload_type=IN_TOTO_PAYLOAD_TYPE)
    try:
        statement = json.loads(verified.payload)
    except (ValueError, RecursionError):
        raise SignatureError("the signed payload is not JSON") from None
    if not isinstance(statement, Mapping) or statement.get("_type") != STATEMENT_TYPE:
        raise SignatureError("the signed payload is not an in-toto Statement v1")
    if statement.get("predicateType") != VERDICT_PREDICATE_TYPE:
        raise SignatureError(
            f"the signed statement is a {statement.get('predicateType')!r}, not a verdict"
        )
    if statement.get("predicate") != dict(verdict):
        raise SignatureError(
            "the signed verdict differs from this file (edited after it was signed, or the "
            "signature belongs to another verdict)"
        )
    return verified.keyids
