"""Who may sign and approve a deploy, read from outside the release being judged.

A commit cannot vouch for itself: if the trusted keys and approvers came from the checkout
being deployed, a commit that adds its author's key could sign its own verdict and approve
its own release. So the anchors come, in this order, from:

1. keys pinned on this host (``PYRAMID_TRUSTED_KEYS``, ``~/.config/pyramid/trusted_keys``,
   ``/etc/pyramid/trusted_keys``) - they replace every ``trusted_keys`` list;
2. the commit that is serving now (the stable release): its own ``[tool.pyramid.deploy]``,
   read from git, key files included - a key a new commit adds counts once that commit was
   deployed, as with TUF's root rotation;
3. the checkout, for the very first deployment only (nothing is serving yet), said so.

``require_signature`` is the strictest of the stable commit's, the checkout's and the host's.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid._git import run_git
from pytest_pyramid.deploy.config import KEYS, Person
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.project import table_from_text

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pytest_pyramid.deploy.config import DeployConfig


@dataclass(frozen=True)
class Anchors:
    trusted_keys: tuple[str, ...]
    require_signature: bool
    approvers: tuple[Person, ...]
    deployers: tuple[Person, ...]
    #: where the keys and people came from, for the gate's output
    origin: str
    notes: tuple[str, ...] = field(default=())


def _git(root: Path, *args: str) -> str | None:
    try:
        result = run_git(root, *args, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def committed_table(config: DeployConfig, commit: str) -> tuple[Mapping[str, Any], str] | None:
    """``[tool.pyramid.deploy]`` as ``commit`` holds it, and the pyproject's path in the tree."""
    top = _git(config.root, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    try:
        rel = Path(config.source).resolve().relative_to(Path(top.strip())).as_posix()
    except ValueError:
        return None
    text = _git(config.root, "show", f"{commit}:{rel}")
    if text is None:
        return {}, rel  # the file did not exist at that commit: nothing was configured
    try:  # the project loader's reading: a pyramid.toml's top level is the table
        table = (table_from_text(text, rel) or {}).get("deploy", {})
    except ConfigError:
        return {}, rel
    return (table if isinstance(table, dict) else {}), rel


def _committed_key(config: DeployConfig, commit: str, folder: str, source: str) -> str:
    """A key as ``commit`` holds it: PEM text and hex as written, a file read from git."""
    text = source.strip()
    if "-----BEGIN" in text or (len(text) == 64 and all(c in "0123456789abcdefABCDEF"
                                                        for c in text)):
        return text
    path = (Path(folder) / text).as_posix() if folder not in ("", ".") else text
    content = _git(config.root, "show", f"{commit}:{path}")
    return content if content is not None else text


def anchors_for(
    config: DeployConfig, stable_commit: str | None, environ: Mapping[str, str] | None = None
) -> Anchors:
    from pytest_pyramid.verdict.trust import pinned_key_sources

    pinned, pinned_origin = pinned_key_sources((), environ)
    notes: list[str] = []
    if stable_commit is None:
        keys, approvers, deployers = config.trusted_keys, config.approvers, config.deployers
        origin = "this checkout (first deployment: nothing is serving yet)"
        required = config.require_signature
    else:
        found = committed_table(config, stable_commit)
        table, rel = found if found is not None else ({}, "pyproject.toml")
        folder = str(Path(rel).parent)

        def parsed(key: str) -> Any:
            raw = table.get(key, KEYS[key].default)
            try:
                return KEYS[key].parse(raw)
            except ValueError:
                return KEYS[key].parse(KEYS[key].default)

        keys = tuple(
            _committed_key(config, stable_commit, folder, k) for k in parsed("trusted_keys")
        )
        approvers = tuple(
            Person(p.name, tuple(_committed_key(config, stable_commit, folder, k) for k in p.keys),
                   p.roles)
            for p in parsed("approvers")
        )
        deployers = tuple(
            Person(p.name, tuple(_committed_key(config, stable_commit, folder, k) for k in p.keys),
                   p.roles)
            for p in parsed("deployers")
        )
        origin = f"the serving release {stable_commit[:12]}"
        required = bool(parsed("require_signature")) or config.require_signature
        names = {p.name for p in (*approvers, *deployers)}
        checkout = {p.name for p in (*config.approvers, *config.deployers)}
        if len(config.trusted_keys) != len(keys) or names != checkout:
            notes.append("keys or approvers added by a commit not yet deployed do not count "
                         f"until it serves: the anchors are {origin}'s")
    if pinned:
        keys, origin = tuple(pinned), f"{origin}; trusted keys pinned by {pinned_origin}"
    return Anchors(keys, required, approvers, deployers, origin, tuple(notes))
