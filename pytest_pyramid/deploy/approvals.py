"""Approvals are signatures: who approved is whose key verified, never a typed name.

``pyramid approve --key FILE`` signs a small statement (the verdict's digest, its commit, the
role, the approver's configured name, the time) in a DSSE envelope of type
:data:`PAYLOAD_TYPE` with the approver's Ed25519 private key. ``[tool.pyramid.deploy.approvers]``
maps names to public keys and roles. At deploy time only envelopes that verify with a
configured key count, each person (not each key, not each row) once per requirement
(:class:`Asked`: the verdict's, the deploy target's, each held on its own), in a role
configured for them and allowed by that requirement, for exactly this verdict, within
``approval_ttl``; and the deployer's own approval never counts (separation of duties). A row
inserted into the history by hand has no valid signature and is ignored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pytest_pyramid.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    from pytest_pyramid.deploy.config import Person

PAYLOAD_TYPE = "application/vnd.pytest-pyramid.approval+json"
CLOCK_SKEW = timedelta(minutes=5)


def verdict_digest(verdict: Mapping[str, object]) -> str:
    """SHA-256 of the verdict's canonical JSON: an approval is for this exact verdict."""
    canonical = json.dumps(verdict, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Identity:
    """A configured person with their decoded public keys (key id -> key)."""

    name: str
    roles: tuple[str, ...]
    keys: Mapping[str, Ed25519PublicKey]


def load_people(people: Sequence[Person], *, table: str, source: str) -> dict[str, Identity]:
    """Decode every configured key; a bad one is a ConfigError naming its entry."""
    from pytest_pyramid.verdict.signing import SignatureError, key_id, load_public_key

    found: dict[str, Identity] = {}
    owners: dict[str, str] = {}
    for person in people:
        keys: dict[str, Ed25519PublicKey] = {}
        for text in person.keys:
            try:
                key = load_public_key(text, origin=f"deploy.{table}.{person.name}.key")
            except SignatureError as exc:
                raise ConfigError(f"deploy.{table}.{person.name}.key", text[:60], source,
                                  str(exc)) from None
            # One key under two names would be one person counted as two approvals; the same
            # key text written twice is caught by the config, a copied key file only here.
            owner = owners.setdefault(key_id(key), person.name)
            if owner != person.name:
                raise ConfigError(f"deploy.{table}.{person.name}.key", text[:60], source,
                                  f"the same key is configured for {owner!r}: one key is one "
                                  "person")
            keys[key_id(key)] = key
        found[person.name] = Identity(person.name, person.roles, keys)
    return found


def identify(key: Ed25519PublicKey, people: Iterable[Identity]) -> Identity | None:
    from pytest_pyramid.verdict.signing import key_id

    ident = key_id(key)
    return next((person for person in people if ident in person.keys), None)


def sign_approval(
    verdict: Mapping[str, object], *, role: str, approver: str, key: Ed25519PrivateKey,
    now: datetime, environment: str = "",
) -> dict[str, object]:
    """``environment``: the deploy it approves (``""`` for a project without environments);
    an approval of staging's deploy is not one of production's (hostile case 164)."""
    from pytest_pyramid.deploy.history import iso
    from pytest_pyramid.verdict.signing import sign_envelope

    statement = {
        "verdict_digest": verdict_digest(verdict), "commit": verdict.get("commit"),
        "role": role, "approver": approver, "approved_at": iso(now),
        "environment": environment,
    }
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
    return sign_envelope(payload, PAYLOAD_TYPE, key)


def statement_of(envelope: object) -> Mapping[str, object] | None:
    """The (unverified) statement inside an approval envelope, for display only."""
    import base64
    import binascii

    if not isinstance(envelope, dict):
        return None
    try:
        data = json.loads(base64.b64decode(str(envelope.get("payload")), validate=True))
    except (binascii.Error, ValueError):
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class Tally:
    """The people whose approval counts, and why every other approval does not."""

    counted: tuple[str, ...]
    ignored: tuple[str, ...] = field(default=())

    @property
    def count(self) -> int:
        return len(self.counted)


def tally(
    envelopes: Iterable[object | None],
    *,
    verdict: Mapping[str, object],
    people: Mapping[str, Identity],
    roles: Sequence[str],
    now: datetime,
    ttl: timedelta,
    deployer: str | None,
    environment: str = "",
) -> Tally:
    """Count each configured person once. ``roles`` empty: any configured role may approve.
    An approval counts only for the environment it names (one without the field, from an
    older version, only where there are no environments)."""
    from pytest_pyramid.verdict.signing import SignatureError, verify_envelope

    digest = verdict_digest(verdict)
    all_keys = {kid: key for person in people.values() for kid, key in person.keys.items()}
    owner = {kid: person for person in people.values() for kid in person.keys}
    wanted = {role.casefold() for role in roles}
    counted: dict[str, str] = {}
    ignored: list[str] = []
    for envelope in envelopes:
        if envelope is None:
            ignored.append("an approval without a signature (not made by `pyramid approve`)")
            continue
        try:
            verified = verify_envelope(envelope, all_keys, payload_type=PAYLOAD_TYPE)
        except SignatureError as exc:
            ignored.append(f"an approval whose signature does not verify: {exc}")
            continue
        person = owner[verified.keyids[0]]
        try:
            role, when, signed_digest, signed_name, signed_for = _statement(verified.payload)
        except ValueError as exc:
            ignored.append(f"{person.name}: the signed approval is not a valid statement: "
                           f"{exc}")
            continue
        label = f"{person.name} ({role})"
        if signed_name != person.name:
            ignored.append(f"{label}: signed as {signed_name!r} with {person.name}'s key")
        elif signed_digest != digest:
            ignored.append(f"{label}: approved another verdict (digest {signed_digest[:12]})")
        elif signed_for != environment:
            ignored.append(f"{label}: approved the deploy to {signed_for or 'no environment'!s}"
                           f", not to {environment or 'no environment'}")
        elif role.casefold() not in {r.casefold() for r in person.roles}:
            ignored.append(f"{label}: {person.name} is not configured for that role "
                           f"(roles: {', '.join(person.roles)})")
        elif wanted and role.casefold() not in wanted:
            ignored.append(f"{label}: role not in {', '.join(roles)}")
        elif now - when > ttl:
            ignored.append(f"{label}: expired (approved {when.isoformat()})")
        elif when - now > CLOCK_SKEW:
            ignored.append(f"{label}: approval time is in the future")
        elif deployer is not None and person.name == deployer:
            ignored.append(f"{label}: the deployer's own approval does not count")
        elif person.name in counted:
            ignored.append(f"{label}: {person.name} is already counted once")
        else:
            counted[person.name] = label
    return Tally(counted=tuple(counted.values()), ignored=tuple(ignored))


#: the statement's keys `pyramid approve` signs (environment: absent in older statements)
STATEMENT_KEYS = ("role", "approved_at", "verdict_digest", "approver")


def _statement(payload: bytes) -> tuple[str, datetime, str, str, str]:
    """(role, approved_at, verdict_digest, approver, environment) of a verified statement;
    ValueError naming the key that is missing or malformed. ``approved_at`` must say its
    zone, as ``pyramid approve`` writes it: a naive time cannot be compared with the
    deploy's clock (it raised TypeError, a traceback), and guessing its zone could stretch
    ``approval_ttl`` by hours."""
    from pytest_pyramid.deploy.history import parse_iso

    data = json.loads(payload)
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    missing = [key for key in STATEMENT_KEYS if key not in data]
    if missing:
        raise ValueError(f"no {', '.join(missing)}")
    text = data["approved_at"]
    try:
        when = parse_iso(text) if isinstance(text, str) else None
    except ValueError:
        when = None
    if when is None:
        raise ValueError(f"approved_at {text!r} is not an ISO 8601 time")
    if when.utcoffset() is None:
        raise ValueError(f"approved_at {text!r} has no time zone (e.g. "
                         "2026-01-01T12:00:00.000Z)")
    return (str(data["role"]), when, str(data["verdict_digest"]), str(data["approver"]),
            str(data.get("environment", "")))


@dataclass(frozen=True)
class Asked:
    """One approval requirement, held on its own: ``required`` people from ``roles`` (empty:
    any configured role), the sentence that says so, and who asks (the verdict, the target's
    host, checkout or anchors record). Two requirements are never merged into one: "1 from
    security" and "1 from tech_lead" need a security approval AND a tech_lead one."""

    required: int
    roles: tuple[str, ...]
    sentence: str
    by: str

    def allows(self, role: str) -> bool:
        return not self.roles or role.casefold() in {r.casefold() for r in self.roles}


@dataclass(frozen=True)
class Standing:
    """One requirement and the approvals that count for it."""

    asked: Asked
    tally: Tally

    @property
    def missing(self) -> int:
        return max(0, self.asked.required - self.tally.count)

    def summary(self) -> str:
        return f"{self.asked.sentence}; has {self.tally.count}" + (
            f": approved by {', '.join(self.tally.counted)}" if self.tally.counted else "")

    def shortfall(self) -> str:
        roles = f"from {', '.join(self.asked.roles)}" if self.asked.roles else "(any approver)"
        return f"needs {self.missing} more {roles} (asked by {self.asked.by})"


def tally_each(asked: Sequence[Asked], envelopes: Iterable[object | None], *,
               verdict: Mapping[str, object], people: Mapping[str, Identity], now: datetime,
               ttl: timedelta, deployer: str | None, environment: str = "",
               ) -> tuple[Standing, ...]:
    """Judge every requirement on its own against the same signed approvals (the one judge
    the deploy gate and ``pyramid approve`` call). A person counts at most once per
    requirement, in the role they signed: one approval counts for every requirement that
    allows its role, so a person configured for two roles satisfies two requirements only by
    signing in each role."""
    kept = list(envelopes)
    return tuple(Standing(one, tally(kept, verdict=verdict, people=people, roles=one.roles,
                                     now=now, ttl=ttl, deployer=deployer,
                                     environment=environment))
                 for one in asked)


def read_envelope_file(path: Path) -> object:
    from pytest_pyramid.verdict.signing import SignatureError, read_envelope

    envelope = read_envelope(path)
    if envelope is None:
        raise SignatureError(f"{path}: no such approval file")
    return envelope
