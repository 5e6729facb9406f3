"""What the deploy host pins: read from the host, never from the deploying process's environment.

The host's pins are its ``deploy.toml`` (``trusted_keys``, ``require_signature``,
``[approvers]``, ``[deployers]``, ``[environments.<name>]`` requirements) and its
``trusted_keys`` file (one PEM file path or 64-hex key a line, ``#`` comments). They are read
from every host folder, most authoritative first:

1. ``/etc/pyramid/`` (root's: the deploy account cannot write it);
2. the deploy account's own ``~/.config/pyramid/``, its home found by the account
   (``pwd.getpwuid(os.geteuid()).pw_dir``), never by ``$HOME`` or ``$XDG_CONFIG_HOME``.

Whoever starts a deploy chooses its environment (a CI "run pipeline" variable): a folder named
by the environment would let it move the host's pins to a folder it writes, or to none
(hostile cases 162, 165). The folders together pin what the strictest of them pins, so none
lowers another: a key or a person counts when every folder that names keys or people names
it; ``require_signature`` holds when any folder sets it; per environment, every required
environment counts, the shortest window, the largest ``required_approvals`` and only the roles
every folder allows.

``run_as = "user"`` (or ``"user:group"``) makes every version start as that account, never
the deploy's own (hostile case 225: a version with the deploy account's rights can kill its
supervisor and beat its lease). Only the host sets it; folders that set it must agree.
:func:`versions_account` is its one reading, asked before a deploy and at every version start.

``PYRAMID_TRUSTED_KEYS`` and ``pyramid check --trusted-key`` are the process's own word: they
may only narrow the keys the host pins (a key no host folder pins is refused). Without any
host pin, a deploy holds them to the anchors in force instead (deploy/anchors.py: the record's
once the target served; only a true first use lets them pin keys), and the origin says so.

Tests point :data:`HOST_ROOTS` at their own folder in-process (tests/support/deploy/host.py);
no environment variable can.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.deploy.config import ENVIRONMENT_NAME, KEYS, Person
from pytest_pyramid.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

#: the host folders to read, most authoritative first; None: the real ones (host_roots). Only
#: code in the deploying process sets it (the tests' launcher), never its environment.
HOST_ROOTS: tuple[Path, ...] | None = None

#: the anchors a host deploy.toml may set at its top level
HOST_KEYS = ("trusted_keys", "approvers", "deployers", "require_signature")
#: the account versions run as: a host-only key (a commit's table cannot name it)
RUN_AS = "run_as"
#: a user (and group) name as ``run_as`` takes it: letters, digits, ``_.-``, no leading ``-``
_ACCOUNT_NAME = r"[A-Za-z_][A-Za-z0-9_.-]*"
#: the host file's table of per-environment requirements, and its keys
TABLE = "environments"
HOST_ENVIRONMENT_KEYS = ("requires", "requires_within", "required_approvals", "approver_roles",
                         "port", "work_dir")
#: trusted public keys named by the deploying process, separated by the path separator
PINNED_KEYS_ENV = "PYRAMID_TRUSTED_KEYS"


def host_roots() -> tuple[Path, ...]:
    """``/etc/pyramid`` and the deploy account's own ``~/.config/pyramid`` (by ``pwd``)."""
    if HOST_ROOTS is not None:
        return HOST_ROOTS
    import pwd

    try:
        home: Path | None = Path(pwd.getpwuid(os.geteuid()).pw_dir)
    except KeyError:  # an account without a passwd entry (a container's uid): /etc only
        home = None
    own = (home / ".config" / "pyramid",) if home is not None else ()
    return (Path("/etc/pyramid"), *own)


def own_folder(roots: Sequence[Path] | None = None) -> Path | None:
    """The deploy account's own host folder, where the host keeps what deploys learn (the
    targets index, deploy/targets.py): ``~/.config/pyramid`` of the account found by ``pwd``
    (never ``$HOME``); with ``roots`` (or :data:`HOST_ROOTS`) set, the last of them. None: no
    such folder (an account without a passwd entry, or no host folder at all)."""
    if roots is None and HOST_ROOTS is None:
        found = host_roots()
        return found[-1] if len(found) > 1 else None  # /etc/pyramid alone: not the account's
    chosen = tuple(HOST_ROOTS or ()) if roots is None else tuple(roots)
    return Path(chosen[-1]) if chosen else None


# -- keys as text --------------------------------------------------------------------------------
def literal_key(text: str) -> bool:
    text = text.strip()
    return "-----BEGIN" in text or (len(text) == 64 and all(c in "0123456789abcdefABCDEF"
                                                            for c in text))


def key_text(source: str, base: Path | None = None) -> str:
    """A key as text: PEM and hex as written, a file read now (unreadable: the path, which the
    keyring then reports by name)."""
    if literal_key(source):
        return source.strip()
    path = Path(source).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    try:
        return path.read_text("utf-8")
    except OSError:
        return str(path)


def key_identity(text: str) -> str:
    """The key id of a key's text, so a PEM and the hex of one key are the same key; text that
    is not a key stands for itself (it is reported by name where it is used)."""
    from pytest_pyramid.verdict.signing import SignatureError, key_id, load_public_key

    if not literal_key(text):
        return text.strip()
    try:
        return key_id(load_public_key(text))
    except (SignatureError, ImportError):
        return text.strip()


# -- one host folder -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Folder:
    """What one host folder pins (None: it says nothing about that anchor)."""

    path: Path
    files: tuple[str, ...] = ()
    keys: tuple[str, ...] | None = None
    keys_from: tuple[str, ...] = ()
    require_signature: bool = False
    approvers: tuple[Person, ...] | None = None
    deployers: tuple[Person, ...] | None = None
    environments: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    run_as: Account | None = None


@dataclass(frozen=True)
class Account:
    """The account versions run as (``run_as``), resolved by the host's user database."""

    name: str
    uid: int
    gid: int
    group: str
    #: the host file that named it
    origin: str = ""

    def __str__(self) -> str:
        return f"{self.name}:{self.group} (uid {self.uid}, gid {self.gid})"


def parse_account(raw: object, source: str) -> Account:
    """``run_as``'s value: ``"user"`` (its primary group) or ``"user:group"``, both known to
    the host; ConfigError naming the key, the value and the file otherwise."""
    import grp
    import pwd
    import re

    if not isinstance(raw, str) or not re.fullmatch(f"{_ACCOUNT_NAME}(:{_ACCOUNT_NAME})?", raw):
        raise ConfigError(RUN_AS, raw, source, 'expected an account name, "user" or '
                          '"user:group" (e.g. "nobody")')
    user, _, group = raw.partition(":")
    try:
        entry = pwd.getpwnam(user)
        gid = grp.getgrnam(group).gr_gid if group else entry.pw_gid
        group = group or grp.getgrgid(gid).gr_name
    except KeyError as exc:
        raise ConfigError(RUN_AS, raw, source, f"no such account on this host ({exc})") from None
    if entry.pw_uid == 0 or gid == 0:
        raise ConfigError(RUN_AS, raw, source, "root is the deploy's own account: versions "
                          "must run as another one")
    return Account(user, entry.pw_uid, gid, group, source)


def read_folder(folder: Path) -> Folder:
    """The pins of ``folder``'s deploy.toml and trusted_keys; a bad key or value is a
    ConfigError naming the file and the key."""
    from pytest_pyramid.project import read_document

    toml = folder / "deploy.toml"
    table = read_document(toml)  # the one TOML reader; invalid TOML is a ConfigError
    anchors = _anchors(table or {}, str(toml))
    listed = _key_file(folder / "trusted_keys")
    keys: tuple[str, ...] | None = None
    keys_from: list[str] = []
    if "trusted_keys" in anchors:  # one folder is one authority: its two lists add up
        keys, keys_from = anchors["trusted_keys"], [str(toml)]
    if listed is not None:
        keys, keys_from = (*(keys or ()), *listed), [*keys_from, str(folder / "trusted_keys")]
    files = [str(toml)] if table is not None else []
    if listed is not None:
        files.append(str(folder / "trusted_keys"))
    run_as = (table or {}).get(RUN_AS)
    return Folder(folder, tuple(files), keys, tuple(keys_from),
                  bool(anchors.get("require_signature", False)), anchors.get("approvers"),
                  anchors.get("deployers"), parse_environments((table or {}).get(TABLE, {}),
                                                               str(toml)),
                  None if run_as is None else parse_account(run_as, str(toml)))


def _anchors(table: Mapping[str, Any], source: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, raw in table.items():
        if key in (TABLE, RUN_AS):
            continue
        if key not in HOST_KEYS:
            raise ConfigError(key, raw, source, "unknown key (known keys: "
                              f"{', '.join((*HOST_KEYS, RUN_AS, TABLE))})")
        try:
            found[key] = KEYS[key].parse(raw)
        except (ValueError, TypeError) as exc:
            raise ConfigError(key, raw, source, str(exc)) from None
    base = Path(source).parent
    if "trusted_keys" in found:
        found["trusted_keys"] = tuple(key_text(k, base) for k in found["trusted_keys"])
    for people in ("approvers", "deployers"):
        if people in found:
            found[people] = tuple(Person(p.name, tuple(key_text(k, base) for k in p.keys),
                                         p.roles) for p in found[people])
    return found


def _key_file(path: Path) -> tuple[str, ...] | None:
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError:
        return None
    return tuple(key_text(line.strip(), path.parent) for line in lines
                 if line.strip() and not line.lstrip().startswith("#"))


def parse_environments(raw: object, source: str) -> dict[str, dict[str, Any]]:
    """A host file's ``[environments.<name>]`` tables, parsed; ``requires`` as a tuple."""
    if not isinstance(raw, dict):
        raise ConfigError(TABLE, raw, source, "expected tables, e.g. [environments.production]")
    found: dict[str, dict[str, Any]] = {}
    for name, own in raw.items():
        where = f"{TABLE}.{name}"
        if not ENVIRONMENT_NAME.match(str(name)) or not isinstance(own, dict):
            raise ConfigError(where, own, source, "expected a table named by an environment "
                              "(letters, digits, '-' and '_')")
        parsed: dict[str, Any] = {}
        for key, value in own.items():
            if key not in HOST_ENVIRONMENT_KEYS:
                raise ConfigError(f"{where}.{key}", value, source, "unknown key (known keys: "
                                  f"{', '.join(HOST_ENVIRONMENT_KEYS)})")
            try:
                parsed[key] = KEYS[key].parse(value)
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"{where}.{key}", value, source, str(exc)) from None
        if parsed.get("requires") == name:
            raise ConfigError(f"{where}.requires", name, source,
                              "an environment cannot require itself")
        if "requires" in parsed:
            parsed["requires"] = (parsed["requires"],) if parsed["requires"] else ()
        found[str(name)] = parsed
    return found


# -- every host folder together: the strictest holds ---------------------------------------------
@dataclass(frozen=True)
class HostPins:
    """What the host pins, every folder together."""

    files: tuple[str, ...] = ()
    #: a folder pins trusted keys (then ``keys`` are the ones every such folder pins, maybe none)
    pins_keys: bool = False
    keys: tuple[str, ...] = ()
    keys_origin: str = ""
    require_signature: bool = False
    approvers: tuple[Person, ...] | None = None
    deployers: tuple[Person, ...] | None = None
    #: per environment: requires (a tuple), requires_within, required_approvals, approver_roles
    environments: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: the files that set per-environment requirements
    environments_origin: str = ""
    origin: str = ""
    #: the account every version runs as (None: the deploy's own)
    run_as: Account | None = None

    def anchors(self) -> dict[str, Any]:
        """The anchors the host sets, shaped as a deploy table's (only those it sets)."""
        found: dict[str, Any] = {}
        if self.pins_keys:
            found["trusted_keys"] = self.keys
        if self.require_signature:
            found["require_signature"] = True
        for name in ("approvers", "deployers"):
            if getattr(self, name) is not None:
                found[name] = getattr(self, name)
        return found


def host_pins(roots: Sequence[Path] | None = None) -> HostPins:
    """The one reading of the host's pins: deploy, check, approve and config check call it."""
    return combine([read_folder(Path(root)) for root in
                    (host_roots() if roots is None else roots)])


def combine(folders: Sequence[Folder]) -> HostPins:
    """The pins of ``folders`` together, none lowering another."""
    files = tuple(f for folder in folders for f in folder.files)
    keyed = [folder for folder in folders if folder.keys is not None]
    keys = common_keys([folder.keys or () for folder in keyed])
    keys_origin = " and ".join(f for folder in keyed for f in folder.keys_from)
    if keyed and not keys:
        keys_origin += " (no key is pinned by all of them: no signature can be trusted)"
    with_envs = [folder for folder in folders if folder.environments]
    return HostPins(
        files, bool(keyed), keys, keys_origin, any(f.require_signature for f in folders),
        _people([f.approvers for f in folders]), _people([f.deployers for f in folders]),
        _environments(with_envs),
        " and ".join(str(f.path / "deploy.toml") for f in with_envs), " and ".join(files),
        _one_account([f.run_as for f in folders if f.run_as is not None]))


def _one_account(named: Sequence[Account]) -> Account | None:
    """The account every folder that names one names: no folder drops or changes another's."""
    if not named:
        return None
    first = named[0]
    for other in named[1:]:
        if (other.uid, other.gid) != (first.uid, first.gid):
            raise ConfigError(RUN_AS, f"{other.name}:{other.group}", other.origin,
                              f"{first.origin} names {first.name}:{first.group}: the host "
                              "files must agree on the account versions run as")
    return first


def versions_account(pins: HostPins | None = None, *, euid: int | None = None
                     ) -> Account | None:
    """The account versions start as: the host's ``run_as`` (None: unset, the deploy's own).
    ConfigError when it is set and this process cannot start anything as it: only root can
    (``euid``: the process's effective uid; a test passes another to stand for "not root")."""
    pins = host_pins() if pins is None else pins
    account = pins.run_as
    euid = os.geteuid() if euid is None else euid
    if account is not None and euid != 0:
        raise ConfigError(RUN_AS, account.name, account.origin,
                          f"this deploy runs as uid {euid}, not root, so it cannot start "
                          f"versions as {account.name}: run it as root (the versions then "
                          f"run as {account.name}), or remove run_as")
    return account


def common_keys(sets: Sequence[Sequence[str]]) -> tuple[str, ...]:
    """The keys every set holds (as the first set writes them), by key identity."""
    if not sets:
        return ()
    others = [{key_identity(k) for k in keys} for keys in sets[1:]]
    return tuple(k for k in sets[0] if all(key_identity(k) in found for found in others))


def _people(sets: Sequence[tuple[Person, ...] | None]) -> tuple[Person, ...] | None:
    """A person counts when every folder naming people names them, with the keys and roles
    every such folder gives them; None when no folder names any."""
    named = [people for people in sets if people is not None]
    if not named:
        return None
    found: list[Person] = []
    for person in named[0]:
        same = [next((p for p in people if p.name == person.name), None) for people in named]
        if any(p is None for p in same):
            continue
        keys = common_keys([p.keys for p in same if p is not None])
        roles = tuple(r for r in person.roles if all(
            r.casefold() in {x.casefold() for x in p.roles} for p in same if p is not None))
        if keys and (roles or not person.roles):  # a deployer has no roles to lose
            found.append(Person(person.name, keys, roles))
    return tuple(found)


def _environments(folders: Sequence[Folder]) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for folder in folders:
        for name, own in folder.environments.items():
            into = merged.setdefault(name, {})
            where = f"{folder.path / 'deploy.toml'}"
            _merge_environment(into, own, f"{TABLE}.{name}", where)
    return merged


def _merge_environment(into: dict[str, Any], own: Mapping[str, Any], key: str,
                       where: str) -> None:
    for served in ("port", "work_dir"):  # what the environment serves: one answer
        if served in own and into.setdefault(served, own[served]) != own[served]:
            raise ConfigError(f"{key}.{served}", own[served], where,
                              f"another host file pins {into[served]!r}: which one it serves "
                              "cannot be told")
    if "requires" in own:
        into["requires"] = tuple(dict.fromkeys((*into.get("requires", ()), *own["requires"])))
    if "requires_within" in own:
        into["requires_within"] = min(own["requires_within"],
                                      into.get("requires_within", own["requires_within"]))
    if "required_approvals" in own:
        into["required_approvals"] = max(own["required_approvals"],
                                         into.get("required_approvals", 0))
    roles = tuple(own.get("approver_roles") or ())
    if roles:
        before = into.get("approver_roles")
        kept = roles if not before else tuple(
            r for r in before if r.casefold() in {x.casefold() for x in roles})
        if not kept:
            raise ConfigError(f"{key}.approver_roles", list(roles), where,
                              f"no role is allowed by every host file (another allows only "
                              f"{', '.join(before or ())}): nobody could approve")
        into["approver_roles"] = kept


# -- keys the deploying process names: they only narrow ------------------------------------------
def trusted_keys(asked: Sequence[str] = (), environ: Mapping[str, str] | None = None,
                 pins: HostPins | None = None) -> tuple[tuple[str, ...], str]:
    """The keys a signature is checked against (as text), and where they came from: the
    host's, narrowed by ``asked`` (``--trusted-key``) or else ``PYRAMID_TRUSTED_KEYS``.

    Raises :class:`~pytest_pyramid.verdict.trust.TrustError` naming a key the process names
    that the host does not pin."""
    from pytest_pyramid.verdict.trust import TrustError

    pins = host_pins() if pins is None else pins
    env = os.environ if environ is None else environ
    chosen, by = list(asked), "--trusted-key"
    if not chosen:
        value = env.get(PINNED_KEYS_ENV, "").strip()
        chosen = [part for part in value.split(os.pathsep) if part.strip()]
        by = PINNED_KEYS_ENV
    if not chosen:
        return pins.keys, pins.keys_origin
    texts = tuple(key_text(source) for source in chosen)
    if not pins.pins_keys:
        return texts, (f"{by} (no host file pins trusted keys, so the deploying process's "
                       "own choice)")
    pinned = {key_identity(k) for k in pins.keys}
    for source, text in zip(chosen, texts, strict=True):
        if key_identity(text) not in pinned:
            shown = f"key id {key_identity(text)[:16]}" if literal_key(source) else repr(source)
            raise TrustError(f"{by} names {shown}, a key the host does not pin "
                             f"({pins.keys_origin}): it may only narrow the host's keys")
    return texts, f"{by}, narrowing the keys pinned by {pins.keys_origin}"


def unread_home_note(environ: Mapping[str, str] | None = None) -> str | None:
    """A note when the process's ``$XDG_CONFIG_HOME`` holds pyramid files that are not read
    (they were, before): a person moving them learns why they no longer count."""
    env = os.environ if environ is None else environ
    with contextlib.suppress(OSError, ValueError):
        moved = Path(env.get("XDG_CONFIG_HOME", "")) / "pyramid"
        if env.get("XDG_CONFIG_HOME") and moved.is_dir() and moved.resolve() not in {
                Path(root).resolve() for root in host_roots()}:
            return (f"{moved} is not read: the host's pins come from "
                    f"{' and '.join(str(r) for r in host_roots())} (the deploying process's "
                    "XDG_CONFIG_HOME and HOME do not choose them)")
    return None
