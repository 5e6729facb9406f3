"""Who may sign and approve a deploy: never the release being judged, never lowered by lost state.

A commit cannot vouch for itself: if the trusted keys and approvers came from the checkout
being deployed, a commit that adds its author's key could sign its own verdict and approve
its own release. Each anchor (``trusted_keys``, ``approvers``, ``deployers``) comes, in order:

1. from the host, configuration neither the deployed code nor the deploying process's
   environment can change (deploy/host_pins.py): ``/etc/pyramid/`` and the deploy account's
   own ``~/.config/pyramid/`` (``deploy.toml``, ``trusted_keys``), the strictest of them;
   ``PYRAMID_TRUSTED_KEYS`` may only narrow the keys pinned there, else the anchors in force
   (the record's once the target served; hostile case 321): it pins keys itself only on a
   true first use;
2. from the anchors record (:mod:`pytest_pyramid.deploy.trust_record`): what the last
   successful deployment left. A deployment that succeeded advances it with its own commit's
   ``[tool.pyramid.deploy]`` (read from git, key files included): a key or approver a commit
   adds counts once that commit was deployed (TUF's root rotation), and
   ``require_signature``, the environments a deploy ``requires``, its
   ``required_approvals`` and ``approver_roles`` (deploy/requirements.py) only ever tighten;
3. from the checkout, only when this work folder never served anything and no other work
   folder's record anchors its port or environment (the host's targets index,
   deploy/targets.py: first use is a property of the service, hostile case 322), said loudly
   and written to the record; or when ``--trust-first-checkout`` says so. A folder without a
   record deploying a target another folder's record anchors takes that record's anchors.

A work folder that served before but has no usable record (deleted, garbage, edited) is refused:
losing or resetting state (``state.json`` garbage or deleted, ``pyramid stop``) never lowers
the anchors, because ``state.json`` is not where they live. Keys pinned on the host make a
signature required.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pytest_pyramid.deploy import targets, trust_record
from pytest_pyramid.deploy.config import KEYS, Person
from pytest_pyramid.deploy.host_pins import key_text, literal_key
from pytest_pyramid.deploy.trust_record import (
    AnchorSet,
    Record,
    Required,
    Served,
    merged_requires,
    narrower_roles,
)
from pytest_pyramid.errors import ConfigError, PyramidError
from pytest_pyramid.project import table_from_text
from pytest_pyramid.run._git import run_git

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.history import Deployment, History
    from pytest_pyramid.deploy.targets import Target

#: the anchors a table may set (require_signature only ever adds strictness)
FIELDS = ("trusted_keys", "approvers", "deployers")
HOST_KEYS = (*FIELDS, "require_signature")


class AnchorsRefused(PyramidError):
    """No anchors can be trusted for this deploy; the message says what would fix it."""


@dataclass(frozen=True)
class Anchors:
    trusted_keys: tuple[str, ...]
    require_signature: bool
    approvers: tuple[Person, ...]
    deployers: tuple[Person, ...]
    #: where the keys and people came from, for the gate's output
    origin: str
    notes: tuple[str, ...] = field(default=())
    #: the checkout's anchors, to write to the record once this deploy passes the gate
    #: (trust on first use); None when the record already holds them
    first_use: AnchorSet | None = None
    #: history rows up to this id are accounted for by the first-use line
    history_upto: int = 0
    #: the environments the anchors record requires before this one (none on first use):
    #: deploy/requirements.py holds every deploy to them
    requires: tuple[Required, ...] = ()
    #: the approvals recorded as required for every deploy here (deploy/requirements.py)
    required_approvals: int = 0
    #: the roles recorded for those approvals (empty: any)
    approver_roles: tuple[str, ...] = ()
    #: what the anchors record says this work folder serves (None: first use, or a record
    #: written before it was kept): deploy/environments.py holds the deploy to it
    serves: Served | None = None
    #: the host's targets index (deploy/targets.py; None: the host keeps none)
    index: Path | None = None
    #: this deploy's targets the index does not give to its work folder yet: claimed when it
    #: passes the gate for real (record_first_use)
    claims: tuple[Target, ...] = ()
    #: the work folders whose targets it may take over (None: any, a person said so)
    taking: frozenset[str] | None = frozenset()
    #: the host has a record of this deploy's target: its folder's anchors record says what it
    #: serves, or the host's targets index names its port or work folder. False: a first use
    #: of a target the host does not know (deploy/requirements.py: first_use_asks)
    recorded_target: bool = False


# -- reading anchors from each place ---------------------------------------------------------------
def _git(root: Path, *args: str) -> str | None:
    try:
        result = run_git(root, *args, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def _resolved(anchors: AnchorSet, read: Callable[[str], str]) -> AnchorSet:
    def people(found: tuple[Person, ...]) -> tuple[Person, ...]:
        return tuple(Person(p.name, tuple(read(k) for k in p.keys), p.roles) for p in found)

    return AnchorSet(tuple(read(k) for k in anchors.trusted_keys), anchors.require_signature,
                     people(anchors.approvers), people(anchors.deployers), anchors.requires,
                     anchors.required_approvals, anchors.approver_roles, anchors.serves)


def checkout_anchors(config: DeployConfig) -> AnchorSet:
    """The anchors the configuration on disk declares, key files read now."""
    return _resolved(AnchorSet(config.trusted_keys, config.require_signature, config.approvers,
                               config.deployers, _required(config.requires,
                                                           config.requires_within),
                               config.required_approvals, config.approver_roles,
                               (config.environment, config.port)), key_text)


def _required(requires: str, within: float) -> tuple[Required, ...]:
    return ((requires, within),) if requires else ()


def _merged(table: Mapping[str, Any], environment: str) -> Mapping[str, Any]:
    """A commit's deploy table as ``environment`` deploys with it: its own keys on top."""
    envs = table.get("environments")
    own = envs.get(environment) if isinstance(envs, dict) and environment else None
    return {**table, **own} if isinstance(own, dict) else table


def committed_approvals(table: Mapping[str, Any], environment: str) -> int:
    """``required_approvals`` of ``environment`` in a commit's deploy table (0: not set, or
    not a count)."""
    try:
        return int(cast("int", KEYS["required_approvals"].parse(
            _merged(table, environment).get("required_approvals", 0))))
    except (ValueError, TypeError):
        return 0


def committed_roles(table: Mapping[str, Any], environment: str) -> tuple[str, ...]:
    """``approver_roles`` of ``environment`` in a commit's deploy table (empty: not set, or not
    a list of roles)."""
    try:
        return tuple(cast("list[str]", KEYS["approver_roles"].parse(
            _merged(table, environment).get("approver_roles", []))))
    except (ValueError, TypeError):
        return ()


def committed_requires(table: Mapping[str, Any], environment: str) -> tuple[Required, ...]:
    """What ``environment`` requires in a commit's ``[tool.pyramid.deploy]`` (its own table
    on top of the base keys, as the loader merges them); what cannot be parsed is not set."""
    merged = _merged(table, environment)
    try:
        requires = str(KEYS["requires"].parse(merged.get("requires", "")))
        within = float(cast("float", KEYS["requires_within"].parse(
            merged.get("requires_within", KEYS["requires_within"].default))))
    except (ValueError, TypeError):
        return ()
    return _required(requires, within) if requires != environment else ()


def _committed_text(root: Path, source: str, commit: str) -> tuple[str | None, str] | None:
    """The file ``source`` as ``commit`` holds it (None: not in that commit) and its path in
    the tree; None when it is not inside the repository. A commit named by its full id is
    read once per process: its content is addressed by that id (a deploy asks for the same
    commit's file up to six times, two git processes each); a name such as ``HEAD`` is read
    from git at each call."""
    key = (root, source, commit)
    if key in _READ:
        return _READ[key]
    read = _read_committed_text(root, source, commit)
    if read is not None and read[0] is not None and _FULL_ID.fullmatch(commit) \
            and Path(source).is_absolute():  # what git could not read is asked again
        _READ[key] = read
    return read


#: a full object id (SHA-1 or SHA-256): names one commit forever
_FULL_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _read_committed_text(root: Path, source: str, commit: str) -> tuple[str | None, str] | None:
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    try:
        rel = Path(source).resolve().relative_to(Path(top.strip())).as_posix()
    except ValueError:
        return None
    return _git(root, "show", f"{commit}:{rel}"), rel


#: what :func:`_committed_text` read of a commit named by its full id, in this process
_READ: dict[tuple[Path, str, str], tuple[str | None, str]] = {}


def committed_pyramid(config: DeployConfig, commit: str) -> tuple[Mapping[str, Any] | None,
                                                                  str] | None:
    """``[tool.pyramid]`` of the configuration file as ``commit`` holds it (None: the file is not
    in that commit; {} when it has no such table), and the file's path in the tree. None when
    the file is not inside the repository."""
    read = _committed_text(config.root, config.source, commit)
    if read is None:
        return None
    text, rel = read
    if text is None:
        return None, rel
    try:  # the project loader's reading: a pyramid.toml's top level is the table
        table = table_from_text(text, rel) or {}
    except ConfigError:
        return {}, rel
    return (table if isinstance(table, dict) else {}), rel


def committed_table(config: DeployConfig, commit: str) -> tuple[Mapping[str, Any], str] | None:
    """``[tool.pyramid.deploy]`` as ``commit`` holds it, and the pyproject's path in the tree."""
    found = committed_pyramid(config, commit)
    if found is None:
        return None
    pyramid, rel = found
    table = (pyramid or {}).get("deploy", {})
    return (table if isinstance(table, dict) else {}), rel


def committed_command(config: DeployConfig, commit: str) -> str | None:
    """The start template ``commit``'s own table gives this environment (None: the commit's
    table cannot be read): a release started again from the history runs as it was deployed,
    never with the command of the commit being deployed now (hostile case 376)."""
    found = committed_table(config, commit)
    if found is None:
        return None
    value = _merged(found[0], config.environment).get("command", KEYS["command"].default)
    return value if isinstance(value, str) and value.strip() else None


def committed_anchors(config: DeployConfig, commit: str) -> tuple[AnchorSet, frozenset[str]]:
    """The anchors ``commit``'s own configuration declares (key files read from git), and
    which of them it sets at all (a value it cannot parse counts as not set)."""
    found = committed_table(config, commit)
    table, rel = found if found is not None else ({}, "pyproject.toml")
    folder = str(Path(rel).parent)
    parsed: dict[str, Any] = {}
    for key in HOST_KEYS:
        if key in table:
            with contextlib.suppress(ValueError, TypeError):
                parsed[key] = KEYS[key].parse(table[key])

    def read(source: str) -> str:
        if literal_key(source):
            return source.strip()
        path = (Path(folder) / source).as_posix() if folder not in ("", ".") else source
        content = _git(config.root, "show", f"{commit}:{path}")
        return content if content is not None else source

    declared = AnchorSet(tuple(parsed.get("trusted_keys", ())),
                         bool(parsed.get("require_signature", False)),
                         tuple(parsed.get("approvers", ())), tuple(parsed.get("deployers", ())),
                         committed_requires(table, config.environment),
                         committed_approvals(table, config.environment),
                         committed_roles(table, config.environment))
    return _resolved(declared, read), frozenset(parsed)


def advance(base: AnchorSet, declared: AnchorSet, sets: frozenset[str]) -> AnchorSet:
    """The anchors after a deployment of a commit declaring ``declared`` succeeded under
    ``base``: what it sets replaces (key rotation), require_signature never goes down, and
    required environments and approvals only add (a commit dropping ``requires`` or lowering
    ``required_approvals`` keeps them in force)."""
    return AnchorSet(
        declared.trusted_keys if "trusted_keys" in sets else base.trusted_keys,
        base.require_signature or declared.require_signature,
        declared.approvers if "approvers" in sets else base.approvers,
        declared.deployers if "deployers" in sets else base.deployers,
        merged_requires(base.requires, declared.requires),
        max(base.required_approvals, declared.required_approvals),
        narrower_roles(base.approver_roles, declared.approver_roles),
        base.serves,  # what the folder serves is its first use's, never a commit's to move
    )


# -- the record: what served before, catching up with succeeded deployments ------------------------
def _rows(history: History | None) -> list[Deployment] | None:
    if history is None:  # no history file yet: nothing was recorded here
        return []
    try:
        return history.deployments()
    except (sqlite3.Error, OSError):
        return None


def earlier_service(config: DeployConfig, rows: Sequence[Deployment] | None) -> str | None:
    """Why this work folder has served before (None: nothing says it has)."""
    from pytest_pyramid.deploy.processes import Registry
    from pytest_pyramid.deploy.state import read_state

    if rows is None and config.history_path.exists():
        return f"the history {config.history_path} cannot be read"
    served = [d for d in rows or () if not d.dry_run and
              ((d.outcome == "succeeded" and d.kind == "deploy") or d.exposed_at is not None)]
    if served:
        return f"the history records {len(served)} deployment(s) that reached users"
    registered, unreadable = Registry(config.work_dir).entries()
    if registered or unreadable:
        return f"the process registry {Registry(config.work_dir).folder} lists versions"
    loaded = read_state(config.state_path)
    if loaded.problem is not None or loaded.state.stable is not None:
        return f"{config.state_path} exists and names a stable version or cannot be read"
    return None


def _succeeded_after(rows: Sequence[Deployment], upto: int) -> list[Deployment]:
    return sorted((d for d in rows if d.id > upto and d.kind == "deploy" and not d.dry_run
                   and d.outcome == "succeeded" and d.commit), key=lambda d: d.id)


def catch_up(config: DeployConfig, record: Record, rows: Sequence[Deployment],
             out: Callable[[str], None]) -> AnchorSet:
    """The record's anchors advanced by every deployment that succeeded since its last line;
    each advance is appended (best effort: the same advance is derived again next time)."""
    from pytest_pyramid.deploy.history import iso, now_utc

    latest = record.latest
    assert latest is not None
    anchors, upto, seq = latest.anchors, latest.deployment_id or 0, latest.seq
    for row in _succeeded_after(rows, upto):
        assert row.commit is not None
        declared, sets = committed_anchors(config, row.commit)
        anchors = advance(anchors, declared, sets)
        try:
            written = trust_record.append(
                config.work_dir, at=iso(now_utc()), commit=row.commit, deployment_id=row.id,
                event=f"deployment #{row.id} of {row.commit[:12]} succeeded", anchors=anchors,
                expect={"seq": seq})
        except OSError as exc:
            out(f"[gate] WARNING: cannot append to {trust_record.record_path(config.work_dir)}"
                f" ({exc}); the anchors are derived from the history again next time")
            written = None
        if written is None:  # another deploy appended meanwhile, or the write failed
            continue
        seq = written.seq
    return anchors


@dataclass(frozen=True)
class _Base:
    """The anchors a deploy starts from, before the host's pins are laid on top."""

    anchors: AnchorSet
    origin: str
    note: str | None = None
    #: the checkout's anchors were taken (a true first use, or --trust-first-checkout): only
    #: then may the deploying process's PYRAMID_TRUSTED_KEYS pin keys itself
    checkout: bool = False
    #: written to this folder's record with this deploy (first use, or taken from another)
    record_it: bool = False
    inherited: bool = False
    #: the work folders whose targets this deploy may claim (None: any, a person said so)
    taking: frozenset[str] | None = frozenset()


def anchors_for_deploy(
    config: DeployConfig, history: History | None, *, trust_first_checkout: bool = False,
    environ: Mapping[str, str] | None = None, roots: Sequence[Path] | None = None,
    out: Callable[[str], None] = lambda _: None,
) -> Anchors:
    """The anchors this deploy is judged under; AnchorsRefused when none can be trusted.
    ``roots``: the host folders (deploy/host_pins.py; None: the real ones); ``environ``: the
    process's environment, which may only narrow the anchors in force (the host's, else the
    record's), and pins keys itself only on a true first use."""
    from pytest_pyramid.deploy.host_pins import host_pins, trusted_keys, unread_home_note
    from pytest_pyramid.verdict.trust import TrustError

    pins = host_pins(roots)
    host = pins.anchors()
    from_host = [key for key in HOST_KEYS if key in host]
    try:
        keys, keys_origin = trusted_keys((), environ, pins)
    except TrustError as exc:
        raise AnchorsRefused(str(exc)) from None
    named = bool(keys) and keys_origin != pins.keys_origin  # the process narrowed or named them
    rows = _rows(history)
    index = targets.read_index(roots)
    base = _base(config, rows, index, host, trust_first_checkout, out)
    if named and not pins.pins_keys:
        keys_origin = _only_narrowing(keys, base, keys_origin)
    if named or pins.pins_keys:
        host["trusted_keys"] = keys
    unread = unread_home_note(environ) if roots is None else None
    notes = [f"note: {unread}"] if unread else []
    notes += [base.note] if base.note else []
    effective = AnchorSet(
        host.get("trusted_keys", base.anchors.trusted_keys),
        base.anchors.require_signature or bool(host.get("require_signature", False))
        or "trusted_keys" in host or config.require_signature,
        host.get("approvers", base.anchors.approvers),
        host.get("deployers", base.anchors.deployers),
        base.anchors.requires, base.anchors.required_approvals, base.anchors.approver_roles,
        base.anchors.serves)
    origin = base.origin + (f"; {', '.join(from_host)} from {pins.origin}" if from_host else "")
    if named:
        origin = f"{origin}; trusted keys pinned by {keys_origin}"
    if not base.record_it:
        notes += _unheeded(config, effective, origin)
    own = base.record_it and not base.inherited  # the checkout's settings are recorded
    return Anchors(effective.trusted_keys, effective.require_signature, effective.approvers,
                   effective.deployers, origin, tuple(notes),
                   first_use=effective if base.record_it else None,
                   history_upto=max((d.id for d in rows or ()), default=0),
                   # what the record holds (on first use nothing yet: the checkout's own
                   # settings count as the checkout's, and are recorded with this deploy)
                   requires=() if own else effective.requires,
                   required_approvals=0 if own else effective.required_approvals,
                   approver_roles=() if own else effective.approver_roles,
                   serves=None if own else effective.serves,
                   index=index.path, claims=targets.unclaimed(index, config)
                   if index.path is not None else (), taking=base.taking,
                   recorded_target=(not own and effective.serves is not None)
                   or targets.names_place(index, config))


def _unheeded(config: DeployConfig, effective: AnchorSet, origin: str) -> list[str]:
    declared = checkout_anchors(config)
    if set(declared.trusted_keys) - set(effective.trusted_keys) or \
            {p.name for p in (*declared.approvers, *declared.deployers)} - \
            {p.name for p in (*effective.approvers, *effective.deployers)}:
        return ["keys or people this checkout adds do not count until a deployment of a "
                "commit declaring them succeeds: the anchors are " + origin]
    return []


def _only_narrowing(keys: Sequence[str], base: _Base, by: str) -> str:
    """The origin of keys the deploying process names when no host file pins any (hostile
    case 321): on a true first use they pin the keys; otherwise each must be one the anchors
    in force hold (the record's, or the target's record taken over), as with host pins."""
    from pytest_pyramid.deploy.host_pins import key_identity

    if base.checkout:
        return by
    held = {key_identity(key_text(k)) for k in base.anchors.trusted_keys}  # a path: its key
    name = by.split(" ")[0]
    for key in keys:
        if key_identity(key) not in held:
            raise AnchorsRefused(
                f"{name} names key id {key_identity(key)[:16]}, a key the anchors in force do "
                f"not hold ({base.origin}): the deploying process may only narrow them; a key "
                "counts once a deployment of a commit declaring it succeeds, or pin it on the "
                "host (/etc/pyramid/trusted_keys)")
    return f"{name}, narrowing the keys of {base.origin}"


def _base(config: DeployConfig, rows: Sequence[Deployment] | None, index: targets.Index,
          host: Mapping[str, Any], trust_first_checkout: bool,
          out: Callable[[str], None]) -> _Base:
    """Where the anchors come from: this folder's record, the record of the service whose
    target this deploy names (the host's targets index), or the checkout on a true first use."""
    if index.problem is not None and not trust_first_checkout:
        raise AnchorsRefused(
            f"the host's targets index cannot be used ({index.problem}): whether this deploy's "
            "port or environment served before cannot be told. A person repairs or sets it "
            "aside, or passes --trust-first-checkout to trust this checkout's anchors")
    record = trust_record.read_record(config.work_dir)
    elsewhere = {} if trust_first_checkout else targets.claimed_elsewhere(index, config)
    if record.problem is None and not record.missing:
        if elsewhere:
            raise AnchorsRefused(_taken(elsewhere, index, "this work folder's record anchors "
                                        "another target, not this one"))
        return _Base(catch_up(config, record, rows or [], out),
                     "the anchors record (the last successful deployment)",
                     taking=None if trust_first_checkout else frozenset())
    if not elsewhere and not trust_first_checkout and record.missing:
        elsewhere = targets.served_now(config) or _recorded_port(config)
    if elsewhere:
        return _inherited(config, elsewhere, index, out)
    other = None if not record.missing or trust_first_checkout else _configured_record(config)
    if other is not None:  # a fresh --work-dir: the target's record, never the checkout
        base, origin, note = other
        return _Base(base, origin, note, record_it=True, inherited=True)
    return _without_record(config, record, rows, host, trust_first_checkout, index)


def _said_by(claim: targets.Claim, index: targets.Index) -> str:
    """What says ``claim``: a line of the host's index, or the host itself (seq 0: a router
    listening on the port, a record serving it; targets.served_now, :func:`_recorded_port`)."""
    return f"the host's targets index {index.path}" if claim.seq else claim.event


def _taken(elsewhere: Mapping[targets.Target, targets.Claim], index: targets.Index,
           why: str) -> str:
    owners = ", ".join(sorted({c.work_dir for c in elsewhere.values()}))
    said = "; ".join(sorted({_said_by(c, index) for c in elsewhere.values()}))
    return (f"{targets.describe(elsewhere)} of this deploy served from {owners} ({said}): "
            f"{why}. Deploy that target from its own work "
            "folder, or pass --trust-first-checkout to move it here (a person's decision)")


def _inherited(config: DeployConfig, elsewhere: Mapping[targets.Target, targets.Claim],
               index: targets.Index, out: Callable[[str], None]) -> _Base:
    """A folder without a record deploying a target another folder's record anchors (hostile
    case 322): not a first use; that record's anchors, caught up with its history."""
    owners = sorted({c.work_dir for c in elsewhere.values()})
    if len(owners) > 1:
        raise AnchorsRefused(_taken(elsewhere, index, "different records anchor them, so "
                                    "which anchors hold cannot be told"))
    claim = next(iter(elsewhere.values()))
    owner = Path(claim.work_dir)
    found = trust_record.read_record(owner)
    if found.problem is not None or found.latest is None:
        raise AnchorsRefused(_taken(elsewhere, index, "this is not a first use, and that "
                                    "folder's anchors record cannot be used ("
                                    f"{found.problem or 'it does not exist'})"))
    environment = next((v for k, v in claim.targets if k == "environment"), "")
    theirs = replace(config, work_dir=owner, history=Path(claim.history),
                     environment=environment)
    anchors = catch_up(theirs, found, _read_only(Path(claim.history)), out)
    where = trust_record.record_path(owner)
    return _Base(anchors, f"the anchors record {where} ({targets.describe(elsewhere)}: the "
                 "same service)", (
                     f"note: {trust_record.record_path(config.work_dir)} does not exist, but "
                     f"{targets.describe(elsewhere)} served from {owner} ({_said_by(claim, index)}"
                     f"): not a first use, the anchors are {where}'s (not "
                     "this checkout's), and are recorded here from now on"),
                 record_it=True, inherited=True, taking=frozenset(owners))


def _recorded_port(config: DeployConfig) -> dict[targets.Target, targets.Claim]:
    """The anchors record of another work folder this configuration file named in its recent
    commits whose latest line serves this deploy's port: the same service, whatever the
    host's index says (hostile case 377: with the index gone, a commit moving ``work_dir``
    was a first use of a port whose record lies in the folder it moved from). The folders are
    the repository's hint; the record found there is the host's."""
    port = ("port", str(config.port))
    for folder in _earlier_folders(config):
        if folder == targets.folder_of(config.work_dir):
            continue
        found = trust_record.read_record(Path(folder))
        serves = found.latest.anchors.serves if found.latest is not None else None
        if found.problem is not None or (serves is not None and serves[1] == config.port):
            history = targets.folder_of(Path(folder) / "history.sqlite")
            return {port: targets.Claim(0, "", f"its anchors record serves port {config.port}",
                                        folder, history, (port,))}
    return {}


#: how many of the configuration file's commits name the work folders :func:`_recorded_port`
#: looks in (a bound: first use only, two git calls each)
EARLIER_COMMITS = 10


def _earlier_folders(config: DeployConfig) -> list[str]:
    """The work folders (resolved) the configuration file named for this environment in its
    last :data:`EARLIER_COMMITS` commits, the default folder first."""
    folders = [_work_dir_of(config, {})]
    found = None if config.source.startswith("<") else committed_pyramid(config, "HEAD")
    if found is None:
        return folders
    log = _git(config.root, "log", f"-n{EARLIER_COMMITS}", "--format=%H", "--", found[1]) or ""
    for sha in log.split():
        table = (committed_pyramid(config, sha) or (None, ""))[0]
        deploy = table.get("deploy") if isinstance(table, dict) else None
        folder = _work_dir_of(config, deploy if isinstance(deploy, dict) else {})
        if folder not in folders:
            folders.append(folder)
    return folders


def _work_dir_of(config: DeployConfig, deploy: Mapping[str, Any]) -> str:
    """The work folder a deploy table names for this environment (deploy/config.py's rule:
    an environment's own ``work_dir``, else ``<work_dir>/<environment>``), resolved."""
    value = str(deploy.get("work_dir") or KEYS["work_dir"].default)
    if config.environment:
        envs = deploy.get("environments")
        own = envs.get(config.environment) if isinstance(envs, dict) else None
        named = own.get("work_dir") if isinstance(own, dict) else None
        value = str(named or Path(value) / config.environment)
    return targets.folder_of(config.root / Path(value).expanduser())


def _read_only(path: Path) -> list[Deployment]:
    """Another folder's deployments, never written to (unreadable: none, so its record's
    latest line holds)."""
    from pytest_pyramid.deploy.history import deployments_read_only

    try:
        return deployments_read_only(path) if path.exists() else []
    except sqlite3.Error:
        return []


def _configured_record(config: DeployConfig) -> tuple[AnchorSet, str, str] | None:
    """When the command names a work folder without a record: the anchors of the record the
    configuration's own work folder keeps for this target (hostile case 166: a fresh
    ``--work-dir`` would otherwise trust the checkout on first use, undoing a key rotation the
    record holds). None: no other record exists. A record there that cannot be used refuses:
    trust on first use is never taken while a record of the target exists."""
    for folder in trust_record.record_folders(config)[1:]:
        found = trust_record.read_record(folder)
        if found.missing:
            continue
        where = trust_record.record_path(folder)
        if found.problem is not None or found.latest is None:
            raise AnchorsRefused(
                f"{config.work_dir} has no anchors record, and the configured work folder's "
                f"record cannot be used ({found.problem}): trust on first use is refused while "
                "a record of this deploy target exists. Deploy from the configured work "
                "folder, or pass --trust-first-checkout to trust this checkout again")
        return found.latest.anchors, f"the configured work folder's anchors record ({where})", (
            f"note: {trust_record.record_path(config.work_dir)} does not exist: the anchors "
            f"are those of {where} (not this checkout's: a record of this deploy target "
            "exists), and are recorded here from now on")
    return None


def _without_record(
    config: DeployConfig, record: Record, rows: Sequence[Deployment] | None,
    host: Mapping[str, Any], trust_first_checkout: bool, index: targets.Index,
) -> _Base:
    """The base anchors when the record is missing or broken and no other record anchors this
    target: the checkout on a true first use or when a person says so; the host alone when
    the folder served before."""
    why = record.problem or \
        f"there is no anchors record {trust_record.record_path(config.work_dir)}"
    served = earlier_service(config, rows) or _indexed(config, index)
    if trust_first_checkout or (served is None and index.path is not None):
        taken = [key for key in FIELDS if key not in host] or ["nothing"]
        return _Base(checkout_anchors(config), "this checkout (trusted on first use)", (
            f"WARNING: trust on first use: {why}; {', '.join(taken)} come from this checkout, "
            "and the anchors are recorded from now on"
            + (" (--trust-first-checkout)" if trust_first_checkout else
               " (nothing was ever served from this work folder, its port or its "
               f"environment: the host's targets index {index.path})")
            + ". Pin them on the host to not depend on the checkout"),
            checkout=True, record_it=True, taking=None if trust_first_checkout else frozenset())
    if served is None:
        raise AnchorsRefused(
            f"the trust anchors cannot be established: {why}, and the host has no folder of "
            "the deploy account to keep its targets index in (deploy/targets.py), so whether "
            "this target served before cannot be told. Pin the anchors on the host "
            "(/etc/pyramid/deploy.toml), or pass --trust-first-checkout")
    if not host:
        raise AnchorsRefused(
            f"the trust anchors cannot be established: {why}, but this work folder served "
            f"before ({served}). Trusting the checkout being deployed now would let it vouch "
            "for itself. Pin the anchors on the host (/etc/pyramid/deploy.toml or the deploy "
            "account's ~/.config/pyramid/deploy.toml), or pass --trust-first-checkout to "
            "trust this checkout's [tool.pyramid.deploy] again")
    # Served before, record lost, host pins some anchors: those only, nothing of the checkout.
    return _Base(AnchorSet(require_signature=True), "the host only", (
        f"WARNING: {why}, and this work folder served before ({served}): only the anchors "
        "pinned on the host count (none from this checkout), a signature is required, and "
        "they are recorded as the anchors from now on"), record_it=True)


def _indexed(config: DeployConfig, index: targets.Index) -> str | None:
    """Why the host's targets index says this work folder served (None: it does not)."""
    claim = index.claimant(("work_dir", targets.folder_of(config.work_dir)))
    return None if claim is None else (
        f"the host's targets index {index.path} names it (line {claim.seq}: {claim.event})")


def record_first_use(config: DeployConfig, anchors: Anchors, commit: str) -> str | None:
    """Before a real deploy starts: write the anchors to this folder's record when it has none
    (first use, or another folder's record taken over; a broken record is set aside first),
    then claim this deploy's targets in the host's index. A problem sentence when either cannot
    be written (the deploy is refused: a first use the host does not know of would be one
    again)."""
    from pytest_pyramid.deploy.history import iso, now_utc

    now = now_utc()
    if anchors.first_use is not None:
        record = trust_record.read_record(config.work_dir)
        if record.problem is not None:
            trust_record.set_aside(config.work_dir, now.strftime("%Y%m%dT%H%M%S"))
        try:
            trust_record.append(config.work_dir, at=iso(now), commit=commit,
                                deployment_id=anchors.history_upto, anchors=anchors.first_use,
                                event=f"first use here, deploying {commit[:12]}: "
                                      f"{anchors.origin}"[:300])
        except OSError as exc:
            return (f"the trust anchors cannot be recorded in "
                    f"{trust_record.record_path(config.work_dir)}: {exc}")
    if anchors.index is None or not anchors.claims:
        return None
    try:
        targets.claim(anchors.index, config, at=iso(now), taking=anchors.taking,
                      event=f"deploying {commit[:12]} claims "
                            f"{targets.describe(anchors.claims)}")
    except OSError as exc:
        return f"this deploy's targets cannot be recorded in the host's index: {exc}"
    return None
