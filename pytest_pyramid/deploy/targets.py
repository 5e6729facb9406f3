"""The host's index of deploy targets: which work folder's anchors record anchors a port, an
environment name, a work folder.

First use is a property of the service, not of a folder (hostile case 322). The anchors record
lies in its work folder (deploy/trust_record.py), and the work folder, the port and the
environment are the checkout's words: a commit that moves ``work_dir`` or moves its port into
a new ``[environments.<name>]`` table makes a folder that "never served", though the same
port served yesterday, and would be trusted on first use, its own key signing its verdict.
So the host keeps one index, ``targets.jsonl`` in the deploy account's own host folder
(deploy/host_pins.py: ``own_folder``, ``~/.config/pyramid`` of the account found by
``pwd``, never by ``$HOME``: a folder only the deploy account writes), hash-chained like the
anchors record (a line edited or removed breaks it: then nothing is a first use until a person
decides).

Each line claims targets for one work folder: ``port``, ``environment`` (when the deploy
names one: environment names are the host's namespace, as its ``[environments.<name>]``
pins are), ``work_dir``, and the history file that folder's deploys write. A real deploy
appends one when it passes the gate naming a target its folder does not claim yet (its first
use included). The latest line naming a target is the target's claimant; a deploy to a target
another folder claims is not a first use: it takes that folder's anchors
(deploy/anchors.py), and only then, or when a person passes ``--trust-first-checkout``, may a
line claim a target another folder held (a service moving to a new folder). The claimant of
an environment also says where its history lies: deploy/requirements.py reads a required
environment's evidence there, never where the commit under test says.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from pytest_pyramid.deploy.config import DeployConfig

INDEX_NAME = "targets.jsonl"
#: a target: ("port", "8080"), ("environment", "production") or ("work_dir", "/abs/folder")
Target = tuple[str, str]
KINDS = ("port", "environment", "work_dir")


class IndexNotHost(PyramidError):
    """The host's targets index lies where an account other than root and the deploy's own
    could write it (exit 3): its word on what serves a port would be anyone's."""


class TargetTaken(OSError):
    """Another work folder claimed one of this deploy's targets since its gate read the index."""


@dataclass(frozen=True)
class Claim:
    seq: int
    at: str
    event: str
    #: the work folder (resolved) whose anchors record anchors the targets
    work_dir: str
    #: the history file that folder's deploys write (resolved)
    history: str
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Index:
    #: None: the host has no folder of the deploy account to keep it in
    path: Path | None
    claims: tuple[Claim, ...] = ()
    #: why the file cannot be trusted (None: it can, or it does not exist yet)
    problem: str | None = None

    def claimant(self, target: Target) -> Claim | None:
        """The latest line naming ``target``."""
        return next((c for c in reversed(self.claims) if target in c.targets), None)


def folder_of(path: Path | str) -> str:
    return str(Path(path).resolve())


def targets_of(config: DeployConfig) -> tuple[Target, ...]:
    found: list[Target] = [("port", str(config.port)), ("work_dir", folder_of(config.work_dir))]
    if config.environment:
        found.append(("environment", config.environment))
    return tuple(found)


def index_path(roots: Sequence[Path] | None = None) -> Path | None:
    from pytest_pyramid.deploy.host_pins import own_folder

    folder = own_folder(roots)
    return None if folder is None else folder / INDEX_NAME


def read_index(roots: Sequence[Path] | None = None) -> Index:
    """The host's index, trusted only as a host fact: the file (or, before the first claim,
    the folder that would hold it) and every folder above it are written by root or the deploy
    account alone, as the router's program is judged (deploy/isolation.py: not_host_owned).
    :class:`IndexNotHost` otherwise: every command that reads the index reads it here."""
    from pytest_pyramid.deploy.isolation import not_host_owned
    from pytest_pyramid.deploy.trust_record import chained_items

    path = index_path(roots)
    if path is None:
        return Index(None)
    why = not_host_owned(str(path))
    if why is not None:
        raise IndexNotHost(f"the host's targets index {path} is not a host fact: {why}; what "
                           "serves each port is trusted only from a place root or the deploy "
                           "account alone writes (chown/chmod it, e.g. chmod go-w)")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Index(path)
    except OSError as exc:
        return Index(path, problem=f"{path}: cannot read: {exc}")
    try:
        claims = tuple(_claim(number, item) for number, item in
                       enumerate(chained_items(data, str(path)), start=1))
    except ValueError as exc:
        return Index(path, problem=str(exc)[:300])
    return Index(path, claims)


def _claim(number: int, item: dict[str, object]) -> Claim:
    work_dir, history, raw = item.get("work_dir"), item.get("history"), item.get("targets")
    if not isinstance(work_dir, str) or not isinstance(history, str) or \
            not isinstance(raw, list):
        raise ValueError(f"line {number}: needs work_dir, history and targets")
    targets: list[Target] = []
    for entry in raw:
        if not isinstance(entry, list) or len(entry) != 2 or entry[0] not in KINDS or \
                not isinstance(entry[1], str) or not entry[1]:
            raise ValueError(f"line {number}: a target is not [kind, value] ({entry!r:.80})")
        targets.append((entry[0], entry[1]))
    return Claim(number, str(item.get("at", "")), str(item.get("event", "")), work_dir,
                 history, tuple(targets))


def claimed_elsewhere(index: Index, config: DeployConfig) -> dict[Target, Claim]:
    """This deploy's targets that another work folder's record anchors."""
    mine = folder_of(config.work_dir)
    return {target: claim for target in targets_of(config)
            if (claim := index.claimant(target)) is not None and claim.work_dir != mine}


def names_place(index: Index, config: DeployConfig) -> bool:
    """Whether the index names this deploy's port or work folder, whichever folder claims
    them: the host has a record of what they serve (an environment's name alone is the
    checkout's word for what it serves, hostile case 281)."""
    return index.problem is None and any(
        index.claimant(target) is not None for target in targets_of(config)
        if target[0] != "environment")


def unclaimed(index: Index, config: DeployConfig) -> tuple[Target, ...]:
    """This deploy's targets the index does not give to its folder and history (yet)."""
    mine, history = folder_of(config.work_dir), folder_of(config.history_path)
    return tuple(target for target in targets_of(config)
                 if (claim := index.claimant(target)) is None or
                 (claim.work_dir, claim.history) != (mine, history))


def describe(targets: Collection[Target]) -> str:
    return ", ".join(f"{kind} {value}" for kind, value in targets)


def claim(path: Path, config: DeployConfig, *, at: str, event: str,
          taking: Collection[str] | None) -> None:
    """Append a line claiming this deploy's targets for its folder. ``taking``: the work
    folders whose targets it may take over (the one whose anchors it took; None: any, a person
    said so). Raises TargetTaken when another folder claimed one since the gate read the
    index, OSError when the index cannot be written."""
    from pytest_pyramid.deploy.trust_record import append_chained

    mine = folder_of(config.work_dir)
    wanted = targets_of(config)

    def make(seq: int, items: list[dict[str, object]]) -> dict[str, object]:
        now = Index(path, tuple(_claim(n, item) for n, item in enumerate(items, start=1)))
        taken = {target: c for target in wanted if (c := now.claimant(target)) is not None
                 and c.work_dir != mine and (taking is not None and c.work_dir not in taking)}
        if taken:
            owners = ", ".join(sorted({c.work_dir for c in taken.values()}))
            raise TargetTaken(f"{describe(taken)} of this deploy are claimed by {owners} "
                              f"({path}, written since this deploy's gate read it)")
        return {"at": at, "event": event, "work_dir": mine,
                "history": folder_of(config.history_path),
                "targets": [list(target) for target in wanted]}

    try:
        append_chained(path, make)
    except ValueError as exc:  # a line of the index that is not a claim
        raise OSError(str(exc)) from None


def router_work_dir(cmdline: str) -> str | None:
    """The work folder of a pyramid router's nginx, from its command line: ``-p
    <work_dir>/router/<edge|split>`` (deploy/routers/nginx.py), resolved; None for any other
    program or layout (allow-list: only what a pyramid deploy starts names a work folder)."""
    words = cmdline.split()
    if "-p" not in words[:-1]:
        return None
    prefix = Path(words[words.index("-p") + 1])
    if prefix.parent.name != "router" or prefix.name not in ("edge", "split") or \
            not prefix.is_absolute():
        return None
    return folder_of(prefix.parent.parent)


def served_now(config: DeployConfig) -> dict[Target, Claim]:
    """A host fact, not the index's word (hostile case 377: the index lost with a rebuilt
    home, a commit moving ``work_dir`` was a first use of a port this host served at that
    moment): another work folder's pyramid router listening on this deploy's port, found in
    ``/proc``, claims it (the same service)."""
    from pytest_pyramid.deploy import processes

    mine, port = folder_of(config.work_dir), ("port", str(config.port))
    for pid in sorted(processes.listeners([config.port])):
        master = processes.process_group(pid) or pid
        folder = router_work_dir(processes.cmdline(master))
        if folder is not None and folder != mine:
            return {port: Claim(0, "", f"its router (pid {master}) listens on port "
                                f"{config.port} now (found in /proc)", folder,
                                folder_of(Path(folder) / "history.sqlite"), (port,))}
    return {}


def history_of(index: Index, environment: str) -> Path | None:
    """Where ``environment``'s deploys write their history, as the host's index says (None:
    no deploy to it was indexed)."""
    found = index.claimant(("environment", environment)) if index.problem is None else None
    return None if found is None else Path(found.history)

