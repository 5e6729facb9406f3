"""The anchors record: the trust anchors this work folder deployed under, kept apart from state.

``<work_dir>/anchors.jsonl`` is append-only, one JSON object a line. Each line is one set of
anchors (trusted keys as key text, ``require_signature``, approvers, deployers) and why it
was written: the first use of a checkout, or a deployment that succeeded (its commit's own
configuration may rotate keys, never lower ``require_signature``). Each line carries the
SHA-256 of the line before it, so a line edited, removed or reordered, or a file that is not
a record at all, is a broken record: the deploy refuses instead of falling back to the
checkout being deployed.

Who can write it: the deploy user (and any process running as that user, including the
versions it starts, unless ``command`` runs them as another user). The chain detects damage and
accidents, not a forger who rewrites the whole file: against that, pin the anchors on the host
in files the deploy user cannot write (``/etc/pyramid/``, docs/deploy.md).

``state.json`` can be garbage, reset by ``pyramid stop`` or deleted without touching this file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_pyramid.deploy.config import Person

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from pytest_pyramid.deploy.config import DeployConfig

RECORD_NAME = "anchors.jsonl"
#: how the line a first use writes begins (deploy/anchors.py: record_first_use)
FIRST_USE = "first use"

#: an environment that must have deployed a commit healthily first, and within how many
#: seconds (``requires`` / ``requires_within``): recorded like the approvers, so a commit
#: cannot drop its own requirement (deploy/requirements.py)
Required = tuple[str, float]
#: what a work folder serves: its environment's name ("" without environments) and its port
Served = tuple[str, int]


def merged_requires(*sets: tuple[Required, ...]) -> tuple[Required, ...]:
    """Every environment any of ``sets`` requires, each with its shortest window: a
    requirement only ever adds, and a window only ever narrows."""
    found: dict[str, float] = {}
    for required in sets:
        for environment, within in required:
            found[environment] = min(within, found.get(environment, within))
    return tuple(sorted(found.items()))


def narrower_roles(base: tuple[str, ...], declared: tuple[str, ...]) -> tuple[str, ...]:
    """The roles approvals must come from after ``declared`` meets ``base`` (empty: any role):
    a list is only ever narrowed. An empty ``base`` takes ``declared``; a ``declared`` list that
    is a subset of ``base`` narrows it; anything else (dropping the list, other roles) keeps
    ``base``."""
    if not base:
        return declared
    allowed = {role.casefold() for role in base}
    if declared and all(role.casefold() in allowed for role in declared):
        return declared
    return base


@dataclass(frozen=True)
class AnchorSet:
    """Trust anchors with every key as its text (PEM or hex), never as a path to read later."""

    trusted_keys: tuple[str, ...] = ()
    require_signature: bool = False
    approvers: tuple[Person, ...] = ()
    deployers: tuple[Person, ...] = ()
    #: the environments this one requires (merged_requires: never fewer, windows never wider)
    requires: tuple[Required, ...] = ()
    #: approvals every deploy here needs (``required_approvals``): never lowered by a commit
    required_approvals: int = 0
    #: the roles those approvals must come from (``approver_roles``; narrower_roles: a commit
    #: cannot drop or widen them)
    approver_roles: tuple[str, ...] = ()
    #: what this work folder serves, recorded at its first use and kept: (environment name,
    #: port). A later checkout naming it otherwise is refused where the host pins
    #: environments by name (deploy/environments.py: hostile case 281); None: not recorded
    serves: Served | None = None

    def as_dict(self) -> dict[str, object]:
        def people(found: tuple[Person, ...]) -> list[dict[str, object]]:
            return [{"name": p.name, "keys": list(p.keys), "roles": list(p.roles)}
                    for p in found]

        return {"trusted_keys": list(self.trusted_keys),
                "require_signature": self.require_signature,
                "approvers": people(self.approvers), "deployers": people(self.deployers),
                "requires": [{"environment": env, "within_s": within}
                             for env, within in self.requires],
                "required_approvals": self.required_approvals,
                "approver_roles": list(self.approver_roles),
                **({} if self.serves is None else {"serves": {
                    "environment": self.serves[0], "port": self.serves[1]}})}

    @classmethod
    def from_dict(cls, data: object) -> AnchorSet:
        """Raises ValueError naming what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("anchors is not an object")
        keys = data.get("trusted_keys")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise ValueError("anchors.trusted_keys is not a list of keys")
        required = data.get("require_signature")
        if not isinstance(required, bool):
            raise ValueError("anchors.require_signature is not true or false")
        return cls(tuple(keys), required, _people(data.get("approvers"), "approvers"),
                   _people(data.get("deployers"), "deployers"), _requires(data.get("requires")),
                   _count(data.get("required_approvals", 0)),
                   _roles(data.get("approver_roles", [])), _serves(data.get("serves")))


def _serves(value: object) -> Served | None:
    """A line's served target; a line written before it was recorded has none."""
    if value is None:
        return None
    environment = value.get("environment") if isinstance(value, dict) else None
    port = value.get("port") if isinstance(value, dict) else None
    if not isinstance(environment, str) or isinstance(port, bool) or \
            not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError("anchors.serves needs an environment name and a port")
    return environment, port


def _roles(value: object) -> tuple[str, ...]:
    """A line's approver roles; a line written before they were recorded has none."""
    if not isinstance(value, list) or not all(isinstance(r, str) and r for r in value):
        raise ValueError("anchors.approver_roles is not a list of roles")
    return tuple(value)


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("anchors.required_approvals is not a count")
    return value


def _requires(value: object) -> tuple[Required, ...]:
    """A line's requirements; a line written before they were recorded has none."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError("anchors.requires is not a list")
    found: list[Required] = []
    for entry in value:
        env = entry.get("environment") if isinstance(entry, dict) else None
        within = entry.get("within_s") if isinstance(entry, dict) else None
        if not isinstance(env, str) or not env or isinstance(within, bool) or \
                not isinstance(within, (int, float)) or not 0 < within < float("inf"):
            raise ValueError("anchors.requires: an entry needs an environment and a positive, "
                             "finite within_s")
        found.append((env, float(within)))
    return merged_requires(tuple(found))


def _people(value: object, table: str) -> tuple[Person, ...]:
    if not isinstance(value, list):
        raise ValueError(f"anchors.{table} is not a list")
    found: list[Person] = []
    for entry in value:
        if not isinstance(entry, dict):
            raise ValueError(f"anchors.{table}: an entry is not an object")
        name, keys, roles = entry.get("name"), entry.get("keys"), entry.get("roles")
        if not isinstance(name, str) or not isinstance(keys, list) or not isinstance(roles, list) \
                or not all(isinstance(k, str) for k in (*keys, *roles)):
            raise ValueError(f"anchors.{table}: an entry needs name, keys and roles")
        found.append(Person(name, tuple(keys), tuple(roles)))
    return tuple(found)


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str
    #: why this line was written, for people reading the record
    event: str
    commit: str | None
    #: the deployment whose success this line records (None: a first use of the checkout)
    deployment_id: int | None
    anchors: AnchorSet


@dataclass(frozen=True)
class Record:
    entries: tuple[Entry, ...] = ()
    #: why the file cannot be trusted (None: it can, or it does not exist)
    problem: str | None = None
    missing: bool = False

    @property
    def latest(self) -> Entry | None:
        return self.entries[-1] if self.entries else None


def record_path(work_dir: Path) -> Path:
    return work_dir / RECORD_NAME


def record_folders(config: DeployConfig) -> list[Path]:
    """Where a deployment target's records are kept (its anchors record, the verdicts its gate
    saw): the work folder the command names, then the one its configuration names when that
    differs (hostile case 166: a folder on the command line may add to a record, never reset
    it). Read by deploy/anchors.py and deploy/replays.py."""
    from pathlib import Path

    folders = [config.work_dir]
    target = configured_target(config)
    if target is not None and Path(target.work_dir).resolve() != Path(config.work_dir).resolve():
        folders.append(target.work_dir)
    return folders


def configured_target(config: DeployConfig) -> DeployConfig | None:
    """The deployment target as its configuration names it, without the command line's
    folders (None: the defaults, or no configuration readable): where its records are kept
    whatever ``--work-dir`` or ``--history`` say."""
    from pathlib import Path

    from pytest_pyramid.deploy.config import load_config
    from pytest_pyramid.errors import PyramidError

    if config.source.startswith("<"):  # the defaults: no configuration names a folder
        return None
    try:
        return load_config(Path(config.source), cwd=config.root, env=config.environment or None)
    except (PyramidError, OSError):
        return None


def _digest(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def read_record(work_dir: Path) -> Record:
    path = record_path(work_dir)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Record(missing=True)
    except OSError as exc:
        return Record(problem=f"{path}: cannot read: {exc}")
    return parse_record(data, str(path))


def chained_items(data: bytes, where: str) -> list[dict[str, object]]:
    """The JSON objects of a hash-chained file (this record, the host's targets index:
    deploy/targets.py), each following the line before it; ValueError naming the first line
    that does not (a chain is never partly used)."""
    items: list[dict[str, object]] = []
    previous = ""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        raise ValueError(f"{where}: empty (it is written with its first line)")
    for number, raw in enumerate(lines, start=1):
        try:
            item = json.loads(raw)
            if not isinstance(item, dict):
                raise ValueError("not a JSON object")
            if item.get("prev") != previous:
                raise ValueError("does not follow the line before it (edited, removed or "
                                 "reordered lines)")
            if item.get("seq") != number:
                raise ValueError(f"seq {item.get('seq')!r} where {number} was expected")
        except (ValueError, RecursionError) as exc:
            raise ValueError(f"{where}: line {number}: {str(exc)[:200]}") from None
        items.append(item)
        previous = _digest(raw)
    return items


def parse_record(data: bytes, where: str) -> Record:
    """The record's entries, or its first problem (a broken record is never partly used)."""
    try:
        items = chained_items(data, where)
    except ValueError as exc:
        return Record(problem=str(exc))
    entries: list[Entry] = []
    for number, item in enumerate(items, start=1):
        try:
            ident = item.get("deployment_id")
            if ident is not None and (isinstance(ident, bool) or not isinstance(ident, int)):
                raise ValueError("deployment_id is not a number")
            commit = item.get("commit")
            if commit is not None and not isinstance(commit, str):
                raise ValueError("commit is not a string")
            entries.append(Entry(number, str(item.get("at", "")), str(item.get("event", "")),
                                 commit, ident, AnchorSet.from_dict(item.get("anchors"))))
        except (ValueError, RecursionError) as exc:
            return Record(problem=f"{where}: line {number}: {str(exc)[:200]}")
    return Record(tuple(entries))


def append_chained(path: Path, make: Callable[[int, list[dict[str, object]]],
                                             dict[str, object] | None]) -> int | None:
    """Append ``make(seq, items)`` (the new line's number and the lines already there) to the
    hash-chained file ``path`` under an exclusive lock, fsynced; its seq, or None when ``make``
    returns None (it decided, under the lock, not to append). Raises OSError when it cannot,
    and on a broken file (never extended: its damage would be hidden)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "r+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.seek(0)
            current = handle.read()
            try:
                items = chained_items(current, str(path)) if current else []
            except ValueError as exc:
                raise OSError(f"not appending to a broken record: {exc}") from None
            seq = len(items) + 1
            item = make(seq, items)
            if item is None:
                return None
            lines = current.split(b"\n")
            last = lines[-2] if current.endswith(b"\n") and len(lines) >= 2 else b""
            line = json.dumps({**item, "seq": seq, "prev": _digest(last) if last else ""},
                              sort_keys=True, separators=(",", ":")).encode()
            handle.write(line + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return seq


def append(work_dir: Path, *, at: str, event: str, commit: str | None,
           deployment_id: int | None, anchors: AnchorSet,
           expect: Mapping[str, object] | None = None) -> Entry | None:
    """Append one line under an exclusive lock, fsynced. Raises OSError when it cannot.

    ``expect`` = {"seq": N}: append only when the record still ends at line N (another deploy
    may have appended meanwhile); None is returned when it does not."""
    def make(seq: int, _items: list[dict[str, object]]) -> dict[str, object] | None:
        if expect is not None and expect.get("seq") != seq - 1:
            return None
        return {"at": at, "event": event, "commit": commit, "deployment_id": deployment_id,
                "anchors": anchors.as_dict()}

    work_dir.mkdir(parents=True, exist_ok=True)
    seq = append_chained(record_path(work_dir), make)
    return None if seq is None else Entry(seq, at, event, commit, deployment_id, anchors)


def set_aside(work_dir: Path, suffix: str) -> Path | None:
    """Move a broken record out of the way (kept for people to read); its new name."""
    path = record_path(work_dir)
    target = path.with_name(f"{path.name}.broken-{suffix}")
    with contextlib.suppress(FileNotFoundError):
        os.replace(path, target)
        return target
    return None
