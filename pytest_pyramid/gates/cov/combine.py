"""Coverage across CI shards: each shard's data file with relative paths, combined at merge.

A shard exports pytest-cov's combined data (every context kept, so the per-tier contexts
survive) with paths relative to the project directory: the merge job checks the code out
somewhere else. ``pyramid merge`` folds the shards' files into one with coverage.py's own
``CoverageData.update`` (lines and arcs are unions, exactly what ``coverage combine`` does),
maps the paths onto its checkout, and measures the combined data with the same code an
unsharded run uses (:func:`pytest_pyramid.gates.cov.measure.measure`).

Coverage (and the plugin's helpers that import pytest) are imported when a function runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from coverage import Coverage
    from coverage.data import CoverageData

    from pytest_pyramid.gates.cov.config import CoverageSettings
    from pytest_pyramid.gates.cov.gates import CoverageState


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def _relative_to(root: Path) -> Callable[[str], str]:
    base = os.path.realpath(root)

    def relative(path: str) -> str:
        real = os.path.realpath(path)
        try:
            rel = os.path.relpath(real, base)
        except ValueError:  # another drive
            return path
        return path if rel.startswith("..") else Path(rel).as_posix()

    return relative


def export_data(data: CoverageData, target: Path, root: Path) -> str | None:
    """Write ``data`` to ``target`` with paths relative to ``root`` (files outside it keep
    their absolute path); return its digest, or None when nothing was measured at all."""
    from coverage.data import CoverageData as Data

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # coverage creates its SQLite file itself
    try:
        out = Data(basename=tmp, suffix=None)
        out.update(data, map_path=_relative_to(root))
        out.close()
        if not os.path.exists(tmp):
            target.unlink(missing_ok=True)
            return None
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return file_sha256(target)


def _absolute_under(root: Path) -> Callable[[str], str]:
    base = str(root)

    def absolute(path: str) -> str:
        return path if os.path.isabs(path) else os.path.join(base, *path.split("/"))

    return absolute


def combine_files(files: Sequence[Path], root: Path, target: Path) -> None:
    """One data file at ``target`` from the shards' files, their paths made absolute
    under ``root`` (the merge's checkout)."""
    from coverage.data import CoverageData as Data

    combined = Data(basename=str(target), suffix=None)
    absolute = _absolute_under(root)
    for path in files:
        part = Data(basename=str(path), suffix=None)
        part.read()
        combined.update(part, map_path=absolute)
        part.close()
    combined.close()


@contextlib.contextmanager
def _inside(directory: Path) -> Iterator[None]:
    """Coverage reads its configuration (and its relative globs) from the current directory,
    as it did in the shard, whose rootdir is the project directory."""
    previous = os.getcwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(previous)


@dataclass(frozen=True)
class ShardCoverage:
    """What one shard said about its coverage data (the partial's ``coverage`` block)."""

    label: str
    measured: bool
    reason: str | None = None
    tier_reason: str | None = None
    mode: str = "tier"
    #: the exported data file (None: measured, but nothing was executed)
    file: Path | None = None
    sha256: str | None = None
    static: str | None = None
    config_file: str | None = None
    source: tuple[str, ...] = ()
    source_from: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def _coverage(target: Path, project_dir: Path, config_file: str | None) -> Coverage:
    from coverage import Coverage as Cov

    config: str | bool = False
    if config_file:
        candidate = project_dir / config_file
        config = str(candidate) if candidate.is_file() else True
    cov = Cov(data_file=str(target), config_file=config)
    cov.load()
    return cov


def merged_state(
    settings: CoverageSettings,
    shards: Sequence[ShardCoverage],
    *,
    project_dir: Path,
    tier_of: Mapping[str, str],
    tiers_ran: Sequence[str],
    out: Path | None = None,
) -> CoverageState:
    """Combine the shards' data and measure it as an unsharded run would: a
    :class:`CoverageState` for :func:`pytest_pyramid.gates.cov.gates.evaluate`."""
    from pytest_pyramid.gates.cov.changed import changed_lines
    from pytest_pyramid.gates.cov.gates import CoverageState
    from pytest_pyramid.gates.cov.measure import (
        group_contexts,
        honoured_allow,
        measure,
        test_context_classifier,
        tier_classifier,
        variables_reason,
    )
    from pytest_pyramid.gates.cov.sources import path_filter, resolve_sources

    rootdir = str(project_dir)
    modes = {s.mode for s in shards}
    mode = min(modes) if modes else "tier"
    reason = next(
        (f"shard {s.label}: {s.reason or 'coverage was not measured'}"
         for s in shards if not s.measured), None,
    )
    if reason is None and not shards:
        reason = "no shard measured coverage (run the shards with --cov)"
    if reason is None and len(modes) > 1:
        reason = "the shards recorded different kinds of contexts (tier and test)"
    if reason is None:
        for shard in shards:
            if shard.file is None:
                continue
            if not shard.file.is_file():
                reason = f"shard {shard.label}: its coverage data file {shard.file} is missing"
            elif shard.sha256 != file_sha256(shard.file):
                reason = (f"shard {shard.label}: its coverage data file {shard.file} is not the "
                          "one it wrote (digest differs)")
            if reason:
                break
    first = shards[0] if shards else None
    source = first.source if first else ()
    source_from = first.source_from if first else ""
    if reason is not None:
        return CoverageState(measurement=None, reason=reason, rootdir=rootdir, mode=mode,
                             source=source, source_from=source_from)
    assert first is not None
    tier_reason = next((f"shard {s.label}: {s.tier_reason}" for s in shards if s.tier_reason),
                       None)
    notes = [f"shard {s.label}: {note}" for s in shards for note in s.notes]
    keep: Callable[[str], bool] = lambda _path: True  # noqa: E731
    declared: list[str] = []
    if settings.coverage_source:
        dirs, files, unresolved = resolve_sources(settings.coverage_source, project_dir)
        keep = path_filter(dirs, files)
        declared = dirs  # as in an unsharded run: never-imported files count too
        notes.extend(
            f"{settings.coverage_source_from} entry {entry!r} is neither a directory nor an "
            "importable package" for entry in unresolved
        )
    with tempfile.TemporaryDirectory(prefix="pyramid-merge-cov-") as tmp:
        target = out if out is not None else Path(tmp, "coverage")
        if out is not None:
            out.unlink(missing_ok=True)
        combine_files([s.file for s in shards if s.file is not None], project_dir, target)
        with _inside(project_dir):
            cov = _coverage(target, project_dir, first.config_file)
            # the merge's coverage expanded the file in the merge's environment
            refused = variables_reason(
                getattr(cov.config, "config_file", None), os.environ, project_dir,
                lambda: honoured_allow(settings.allow_options, settings.source, project_dir))
            if refused is not None:
                cov.get_data().close()
                return CoverageState(measurement=None, reason=refused, rootdir=rootdir,
                                     mode=mode, source=source, source_from=source_from)
            groups: dict[str, list[str]] = {}
            if tier_reason is None:
                classify = (test_context_classifier(tier_of) if mode == "test"
                            else tier_classifier(settings.tier_order))
                contexts = cov.get_data().measured_contexts()
                groups = group_contexts(contexts, tiers_ran, classify, first.static)
            measurement = measure(cov, groups, keep=keep, declared=declared)
            cov.get_data().close()
    changed = changed_lines(settings.base, project_dir) if settings.base is not None else None
    return CoverageState(
        measurement=measurement,
        tier_reason=tier_reason,
        changed=changed,
        rootdir=rootdir,
        mode=mode,
        source=source,
        source_from=source_from,
        notes=tuple(notes),
    )
