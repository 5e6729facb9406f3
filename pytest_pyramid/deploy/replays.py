"""Replays: an old verdict deployed again after the world moved on.

A verdict is a judgement of one commit at one moment. Deploying it again is a replay, refused
unless ``--redeploy`` says a person means it, when:

* a **newer verdict for the same commit** was seen by this work folder's gate, or by the gate
  of an environment this one requires (a later test run judged the same code, perhaps
  ``blocked``, at staging): the older one is superseded (deploy/evidence.py);
* the commit was **rolled back since** the verdict was made (rolled back, aborted or failed
  after reaching users, or reverted by ``pyramid rollback``): the verdict predates what its
  release did in production.

A verdict judged under **another project's configuration** is refused outright: its
``config.digest`` (the ``[tool.pyramid]`` table the run read) must be the digest of the table in
the deploy's own configuration file as the deployed commit holds it (in a repository with two
projects, the commit and tree match both; the configuration tells them apart). A configuration
file the commit does not ship unchanged is refused before anything else (:func:`shipped_table`:
the deploy is built from the commit's table, and the command line may only tighten it).

The verdicts the gate has seen are history (hostile case 375: a ledger deleted or cut short
forgot the newer verdict and passed the superseded one): each is a row of the history's
``verdicts`` table (commit, created_at, digest, decision), and a history that cannot be read
refuses. ``<work_dir>/verdicts.jsonl`` keeps a copy, best effort, read as well.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import TYPE_CHECKING, Any

from pytest_pyramid.deploy.history import parse_iso
from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import datetime
    from pathlib import Path

    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.history import Deployment, History
    from pytest_pyramid.deploy.trust_record import Required

LEDGER_NAME = "verdicts.jsonl"
FAILED = ("rolled_back", "aborted", "failed")


def ledger_path(work_dir: Path) -> Path:
    return work_dir / LEDGER_NAME


def _created(verdict: Mapping[str, object]) -> datetime | None:
    try:
        return parse_iso(str(verdict.get("created_at")))
    except ValueError:
        return None


def seen_verdicts(work_dir: Path) -> list[dict[str, str]]:
    try:
        lines = ledger_path(work_dir).read_text("utf-8").splitlines()
    except OSError:
        return []
    found: list[dict[str, str]] = []
    for line in lines:
        with contextlib.suppress(ValueError):
            item = json.loads(line)
            if isinstance(item, dict):
                found.append({k: str(v) for k, v in item.items()})
    return found


def _entry(verdict: Mapping[str, object], digest: str) -> dict[str, str]:
    return {"commit": str(verdict.get("commit")), "created_at": str(verdict.get("created_at")),
            "digest": digest, "decision": str(verdict.get("decision"))}


def remember(work_dir: Path, verdict: Mapping[str, object], digest: str) -> None:
    """Best effort: a verdict the gate saw, beside the history's own record of it
    (:meth:`History.record_seen`, which the gate reads whatever became of this file)."""
    entry = _entry(verdict, digest)
    if entry in seen_verdicts(work_dir):
        return
    with contextlib.suppress(OSError):
        work_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(ledger_path(work_dir), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")


def superseded(verdict: Mapping[str, object], digest: str,
               seen: Sequence[Mapping[str, str]]) -> str | None:
    created = _created(verdict)
    if created is None:
        return None  # the gate refuses a verdict without a valid created_at on its own
    newer = []
    for item in seen:
        if item.get("commit") != verdict.get("commit") or item.get("digest") == digest:
            continue
        with contextlib.suppress(ValueError):
            if parse_iso(item.get("created_at", "")) > created:
                newer.append(item)
    if not newer:
        return None
    latest = max(newer, key=lambda item: item["created_at"])
    return (f"superseded: a newer verdict for {str(verdict.get('commit'))[:12]} (created "
            f"{latest['created_at']}, {latest['decision']}) was seen since this one (created "
            f"{verdict.get('created_at')}); replaying it needs --redeploy")


def rolled_back_since(verdict: Mapping[str, object],
                      rows: Sequence[Deployment]) -> str | None:
    created = _created(verdict)
    if created is None:
        return None
    for row in sorted(rows, key=lambda d: d.id, reverse=True):
        if row.commit != verdict.get("commit") or row.dry_run or row.kind != "deploy":
            continue
        failed_at = row.finished_at if row.outcome in FAILED and row.exposed_at else None
        when = row.reverted_at if row.reverted_by is not None else failed_at
        if when is not None and when > created:
            how = f"reverted by #{row.reverted_by}" if row.reverted_by is not None else \
                row.outcome.replace("_", " ")
            return (f"{str(row.commit)[:12]} was rolled back since this verdict was made "
                    f"(deployment #{row.id} {how} at {when.isoformat()}); replaying the verdict "
                    "needs --redeploy")
    return None


class NotShipped(PyramidError):
    """A deploy configuration the deployed commit does not ship unchanged (exit 3)."""


def shipped_table(config: DeployConfig, commit: str) -> Mapping[str, Any]:
    """``[tool.pyramid]`` of the deploy's configuration file as ``commit`` ships it: what the
    deploy is built from (deploy/cli.py). :class:`NotShipped` when the file is outside the
    repository, not in the commit, or differs from it on disk (hostile case 163: an
    untracked ``--config`` without ``requires`` deployed production without staging). With
    no configuration file (the defaults), the commit must configure none either."""
    from pytest_pyramid.deploy.anchors import committed_pyramid

    table = committed(config, commit)
    if config.source.startswith("<"):
        return table
    head = committed_pyramid(config, "HEAD")
    edited = _edited(config, head[0] if head is not None else None)
    if edited is not None:
        raise NotShipped(edited)
    return table


def committed(config: DeployConfig, commit: str) -> Mapping[str, Any]:
    """``[tool.pyramid]`` of the deploy's configuration file as ``commit`` holds it, whatever
    the working tree holds now (:func:`shipped_table` also refuses an edit of it there).
    :class:`NotShipped` when the file is outside the repository or not in the commit; with no
    configuration file (the defaults), the commit must configure none either."""
    from pytest_pyramid.deploy.anchors import committed_pyramid

    if config.source.startswith("<"):
        _unconfigured(config, commit)
        return {}
    found = committed_pyramid(config, commit)
    if found is None:
        raise NotShipped(f"{config.source} is not inside the git repository at {config.root}: "
                         f"{_SHIPPED}")
    table, rel = found
    if table is None:
        raise NotShipped(f"{rel} is not in commit {commit[:12]} (untracked, or not committed): "
                         f"{_SHIPPED}; commit it, or name the commit's own file")
    return table


def acted_on(config: DeployConfig, *, verdict: bool) -> tuple[str, str] | None:
    """The commit a command acting on this work folder works for, and how to name it: the
    rollout in progress, else the release serving (state.json on the host), else the
    checkout's HEAD; ``verdict`` (``pyramid approve``): the commit the verdict names. None
    with nothing deployed and no commit here (nothing was started with any table)."""
    from pytest_pyramid.deploy.state import read_state
    from pytest_pyramid.verdict import provenance

    if verdict:
        named = _verdict_commit(config)
        if named is not None:
            return named, f"the verdict {config.verdict}"
    else:
        state = read_state(config.state_path).state
        if state.rollout is not None:
            return state.rollout.commit, f"rollout #{state.rollout.id}"
        if state.stable is not None:
            return state.stable.commit, "the release serving"
    head = provenance.resolve_commit(config.root, "HEAD")
    return None if head is None else (head, "the checkout (HEAD)")


def other_table(config: DeployConfig, source: str) -> str | None:
    """Why ``source`` is not the configuration file the rollout in progress was started from
    (None: it is, no rollout, or the state does not say). The rollout's table is its commit's
    *and its file's*: a `--config` naming another tracked file (an example project's, with
    `error_rate_limit = "100%"`) judged a resumed rollout by that table, which passed a
    version failing every request (hostile case 271)."""
    from pathlib import Path

    from pytest_pyramid.deploy.state import read_state

    rollout = read_state(config.state_path).state.rollout
    if rollout is None or not rollout.config or rollout.config.startswith("<") or \
            Path(rollout.config).resolve() == Path(source).resolve():
        return None
    return (f"rollout #{rollout.id} was started from {rollout.config}, and {source} is another "
            "table: a rollout is judged by the table it was started with (run the command with "
            f"--config {rollout.config})")


def _verdict_commit(config: DeployConfig) -> str | None:
    """The commit the deploy's verdict names, when this repository holds it (else approve
    refuses on its own, naming it)."""
    from pytest_pyramid.errors import VerdictError
    from pytest_pyramid.verdict import provenance
    from pytest_pyramid.verdict.document import load_verdict

    try:
        named = load_verdict(config.verdict).get("commit")
    except VerdictError:
        return None
    return provenance.resolve_commit(config.root, str(named)) if named else None


def started_table(config: DeployConfig, commit: str, what: str, *,
                  edits_refused: bool = True) -> Mapping[str, Any]:
    """The table ``commit`` ships (:func:`shipped_table`): what a rollout of it was started
    with, so what every command acting on it judges by. :class:`NotShipped` naming ``what``
    when the repository lacks the commit. ``edits_refused=False`` (the foreground
    supervisor, which outlives edits of its checkout): the commit's table whatever the
    working tree holds, never an exit because of it (:func:`committed`)."""
    from pytest_pyramid.verdict import provenance

    if provenance.resolve_commit(config.root, commit) is None:
        raise NotShipped(f"{what} deploys commit {commit[:12]}, which the repository at "
                         f"{config.root} does not hold: its configuration cannot be read (run "
                         "the command in a checkout that has it, or `pyramid stop`)")
    return shipped_table(config, commit) if edits_refused else committed(config, commit)


_SHIPPED = ("a deploy is judged by the configuration the commit ships (requires, approvals, "
            "limits, strategy, verify), and the command line may only tighten it")


def _unconfigured(config: DeployConfig, commit: str) -> None:
    """No configuration on disk: refused when the commit configures this project at or above
    the folder (a tracked file deleted or moved in the working tree drops every limit)."""
    from dataclasses import replace
    from pathlib import Path

    from pytest_pyramid.deploy.anchors import committed_pyramid
    from pytest_pyramid.project import PYPROJECT, STANDALONE

    for folder in (config.root, *config.root.parents):
        for name in (PYPROJECT, STANDALONE):
            found = committed_pyramid(replace(config, source=str(Path(folder) / name)), commit)
            if found is None:
                return  # above the repository's top
            table, rel = found
            if table is not None and (table or name == STANDALONE):
                raise NotShipped(f"commit {commit[:12]} configures this project in {rel}, "
                                 f"which the working tree lacks: {_SHIPPED}")


def configuration_problem(config: DeployConfig, verdict: Mapping[str, object],
                          commit: str) -> tuple[str | None, str | None]:
    """(problem, note): a configuration the commit does not ship (:func:`shipped_table`), or
    a verdict judged under another project's configuration."""
    from pytest_pyramid.verdict.document import config_digest

    if config.source.startswith("<"):
        return None, ("the verdict's configuration cannot be compared: the deploy reads no "
                      "configuration file")
    try:
        table = shipped_table(config, commit)
    except NotShipped as exc:
        return str(exc), None
    recorded = verdict.get("config")
    digest = recorded.get("digest") if isinstance(recorded, dict) else None
    mine = config_digest(table)
    if digest != mine:
        return (f"the verdict was judged under another configuration (config.digest "
                f"{str(digest)[:19]}, {config.source} at {commit[:12]} has {mine[:19]}): "
                "another project's verdict"), None
    return None, None


def _edited(config: DeployConfig, committed: Mapping[str, object] | None) -> str | None:
    """Why the table on disk is not the checkout's commit's (``committed``: HEAD's, None when
    HEAD lacks the file): an uncommitted edit that drops ``requires`` or loosens a limit
    (hostile case 163), or None. (Another commit deployed with ``--commit`` is judged by its
    own table, whatever the checkout holds.)"""
    from pathlib import Path

    from pytest_pyramid.errors import ConfigError
    from pytest_pyramid.project import read_document, table_of
    from pytest_pyramid.verdict.document import config_digest

    try:
        document = read_document(Path(config.source))
        table = table_of(document, config.source) if document is not None else None
    except ConfigError as exc:
        return f"the deploy's configuration {config.source} cannot be read: {exc}"
    if committed is not None and config_digest(table or {}) == config_digest(committed):
        return None
    return (f"[tool.pyramid] in {config.source} differs from the checkout's commit (HEAD), "
            f"an uncommitted edit: {_SHIPPED}; commit the change, or undo it")


def check(config: DeployConfig, verdict: Mapping[str, object], commit: str, history: History,
          *, redeploy: bool, out: Callable[[str], None],
          recorded: tuple[Required, ...] = ()) -> list[str]:
    """The reasons to refuse this verdict as a replay or another project's (empty: none);
    the verdict is remembered as seen either way. ``recorded``: the requirements the anchors
    record keeps (deploy/requirements.py: in_force), whose environments' gates' verdicts
    supersede too."""
    from pytest_pyramid.deploy.approvals import verdict_digest

    digest = verdict_digest(verdict)
    problems: list[str] = []
    problem, note = configuration_problem(config, verdict, commit)
    if problem is not None:
        problems.append(problem)
    if note is not None:
        out(f"[gate] note: {note}")
    rows, seen, unread = _target_deployments(config, history, recorded)
    problems.extend(unread)
    folders = _record_folders(config)
    seen.extend(item for folder in [*folders, *_required_ledgers(config, recorded)]
                for item in seen_verdicts(folder))
    replay = [p for p in (superseded(verdict, digest, seen),
                          rolled_back_since(verdict, rows)) if p is not None]
    if redeploy:
        for reason in replay:
            out(f"[gate] --redeploy: {reason.split(';')[0]}")
    else:
        problems.extend(replay)
    history.record_seen(_entry(verdict, digest))
    for folder in folders:
        remember(folder, verdict, digest)
    return problems


def _target_deployments(config: DeployConfig, history: History,
                        recorded: tuple[Required, ...] = ()
                        ) -> tuple[list[Deployment], list[dict[str, str]], list[str]]:
    """The deployments of this target's histories, the command's and the one its configuration
    names (hostile case 277: a fresh ``--work-dir`` kept its history there and forgot a
    rollback; a folder on the command line may add to the record, never reset it), the
    verdicts their gates and the required environments' gates saw (hostile case 375: kept in
    the history, so a ledger file deleted or cut short forgets none of them), and why a
    history that exists cannot be read: then whether the commit was rolled back since, or
    judged again, cannot be told, which is never a pass."""
    import sqlite3

    from pytest_pyramid.deploy.history import deployments_read_only, seen_read_only

    rows: list[Deployment] = []
    seen: list[dict[str, str]] = []
    unread: list[str] = []
    for path in _target_histories(config):
        try:
            if path == config.history_path:
                rows.extend(history.deployments())
                seen.extend(history.seen_verdicts())
            elif path.exists():
                rows.extend(deployments_read_only(path))
                seen.extend(seen_read_only(path))
        except (sqlite3.Error, OSError) as exc:
            unread.append(f"the history {path} cannot be read ({exc}): whether this commit was "
                          "rolled back or judged again since the verdict cannot be told")
    for path in _required_histories(config, recorded):
        try:
            seen.extend(seen_read_only(path) if path.exists() else [])
        except (sqlite3.Error, OSError) as exc:
            unread.append(f"the history {path} cannot be read ({exc}): whether a required "
                          "environment's gate saw a newer verdict of this commit cannot be told")
    return rows, seen, unread


def _required_histories(config: DeployConfig, recorded: tuple[Required, ...]) -> list[Path]:
    from pytest_pyramid.deploy.requirements import in_force

    return [need.history for need in in_force(config, None, recorded) if need.history is not None]


def _target_histories(config: DeployConfig) -> list[Path]:
    from pytest_pyramid.deploy.trust_record import configured_target

    paths = [config.history_path]
    target = configured_target(config)
    if target is not None and target.history_path.resolve() != config.history_path.resolve():
        paths.append(target.history_path)
    return paths


def _required_ledgers(config: DeployConfig, recorded: tuple[Required, ...]) -> list[Path]:
    """The folders whose ``verdicts.jsonl`` the gates of the environments this target requires
    wrote (deploy/evidence.py: the newest evidence about a commit on this host decides; a
    verdict staging's gate saw superseded by a ``blocked`` one is superseded for production,
    hostile case 338). Read, never written: what this gate saw is its own folders'."""
    from pytest_pyramid.deploy.evidence import required_folders

    return required_folders(config, recorded)


def _record_folders(config: DeployConfig) -> list[Path]:
    """Where the verdicts this deployment target's gate saw are kept: the work folder the
    command names and the one the configuration names (hostile case 166: a fresh
    ``--work-dir`` must not forget the newer verdict that superseded an older one; a folder
    on the command line may add to the record, never reset it). One rule with the anchors
    record's (trust_record.record_folders)."""
    from pytest_pyramid.deploy.trust_record import record_folders

    return record_folders(config)


def host_seen(config: DeployConfig, history: History | None) -> list[dict[str, str]]:
    """Every verdict this target's gates and its required environments' gates saw, read as
    :func:`check` reads them: the newest evidence about a commit, which the way back asks too
    (deploy/way_back.py, hostile case 422). The required environments are those the anchors
    record keeps plus what the host and the configuration pin. A history that cannot be read
    adds nothing here (the deployments it holds cannot be read either)."""
    import sqlite3

    from pytest_pyramid.deploy.history import seen_read_only
    from pytest_pyramid.deploy.trust_record import read_record

    latest = [read_record(folder).latest for folder in _record_folders(config)]
    recorded = tuple(need for entry in latest if entry is not None
                     for need in entry.anchors.requires)
    seen: list[dict[str, str]] = []
    for path in [*_target_histories(config), *_required_histories(config, recorded)]:
        with contextlib.suppress(sqlite3.Error, OSError):
            if history is not None and path == config.history_path:
                seen.extend(history.seen_verdicts())
            elif path.exists():
                seen.extend(seen_read_only(path))
    seen.extend(item for folder in [*_record_folders(config),
                                    *_required_ledgers(config, recorded)]
                for item in seen_verdicts(folder))
    return seen
