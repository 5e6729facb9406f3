"""What the static gates share: when they run, which files they read, and their cache.

Config::

    [tool.pyramid.static]
    enabled = "auto"        # "auto": when the security tier is selected and has tests; true; false
    tier = "security"       # the tier whose selection switches the static gates on in "auto"
    cache = true            # reuse results while the measured sources are unchanged
    exclude = ["**/migrations/**"]   # globs (relative to the rootdir) left out of every static gate
    sarif = ".pyramid/bandit.sarif"  # where the security gate writes its SARIF 2.1.0 file

The measured sources are the top-level ``source = ["pkg", ...]`` of ``[tool.pyramid]``.
Results are cached in ``<rootdir>/.pyramid/cache/<gate id>.json`` under a key hashed from every
measured file's path and content, the gate's options and the tool's version, so a rerun on
unchanged sources costs a few file reads.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from pytest_pyramid.errors import ConfigError
from pytest_pyramid.globs import glob_match
from pytest_pyramid.results import GateResult, Level, OnMissing, Status, record

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

CACHE_DIR = Path(".pyramid") / "cache"
DEFAULT_SARIF = ".pyramid/bandit.sarif"
_SKIP_DIRS = frozenset({"__pycache__", ".git", ".venv", "venv", ".tox", ".nox", "node_modules",
                        ".mypy_cache", ".ruff_cache", ".pytest_cache", ".pyramid", "build", "dist"})


@record(frozen=True)
class StaticSettings:
    """``[tool.pyramid.static]`` after the schema: when and how the static gates run."""

    enabled: bool | Literal["auto"] = "auto"
    tier: str = "security"
    cache: bool = True
    exclude: tuple[str, ...] = ()
    sarif: str = DEFAULT_SARIF


def parse_static(
    table: Mapping[str, Any] | None, source: str, tier_names: Sequence[str]
) -> StaticSettings:
    """``[tool.pyramid.static]`` as the schema checked it; the tier must exist."""
    if table is None:
        return StaticSettings()
    enabled = table.get("enabled", "auto")
    tier = table.get("tier", "security")
    if enabled == "auto" and "tier" in table and tier not in tier_names:
        raise ConfigError(
            "static.tier", tier, source, "unknown tier; tiers: " + ", ".join(tier_names)
        )
    return StaticSettings(
        enabled=enabled,
        tier=tier,
        cache=table.get("cache", True),
        exclude=tuple(table.get("exclude", ())),
        sarif=table.get("sarif", DEFAULT_SARIF),
    )


def static_requested(
    settings: StaticSettings, *, tier_selected: bool, tier_has_tests: bool
) -> tuple[bool, str]:
    """Whether the static gates run in this session, and why (or why not)."""
    if settings.enabled is True:
        return True, "[tool.pyramid.static] enabled = true"
    if settings.enabled is False:
        return False, "[tool.pyramid.static] enabled = false"
    if tier_selected and tier_has_tests:
        return True, f"the {settings.tier} tier is selected"
    if not tier_has_tests:
        return False, (
            f"static gates run with the {settings.tier} tier, which has no tests here; "
            "set [tool.pyramid.static] enabled = true to always run them"
        )
    return False, f"the {settings.tier} tier was not selected in this run"


def source_files(
    rootdir: Path, source_paths: Sequence[str], exclude: Sequence[str] = ()
) -> tuple[list[Path], list[str]]:
    """Python files under the measured sources, sorted; and the source paths that do not exist."""
    files: set[Path] = set()
    missing: list[str] = []
    for entry in source_paths:
        path = (rootdir / entry).resolve()
        if path.is_file():
            if path.suffix == ".py":
                files.add(path)
        elif path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
                files.update(Path(dirpath, f) for f in filenames if f.endswith(".py"))
        else:
            missing.append(entry)
    kept = [f for f in files if not any(glob_match(g, relpath(f, rootdir)) for g in exclude)]
    return sorted(kept), missing


def relpath(path: Path, rootdir: Path) -> str:
    try:
        return path.resolve().relative_to(rootdir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def source_hash(files: Sequence[Path], rootdir: Path, extra: Mapping[str, object]) -> str:
    """A key that changes when any measured file, the gate's options or tool version changes."""
    digest = hashlib.sha256(json.dumps(extra, sort_keys=True, default=str).encode())
    for path in files:
        digest.update(relpath(path, rootdir).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class ResultCache:
    """One JSON file per gate under ``<rootdir>/.pyramid/cache``; the latest result only."""

    def __init__(self, rootdir: Path, *, enabled: bool = True) -> None:
        self.directory = rootdir / CACHE_DIR
        self.enabled = enabled

    def _path(self, gate_id: str) -> Path:
        return self.directory / f"{gate_id}.json"

    def load(self, gate_id: str, key: str) -> tuple[GateResult, dict[str, object]] | None:
        """The cached result and its extras for ``key``; None on a miss or a damaged file."""
        if not self.enabled:
            return None
        try:
            data = json.loads(self._path(gate_id).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        raw, extra = data.get("result"), data.get("extra", {})
        result = gate_from_json(raw) if isinstance(raw, dict) else None
        if result is None or not isinstance(extra, dict):
            return None
        return result, extra

    def store(
        self, gate_id: str, key: str, result: GateResult, extra: Mapping[str, object] | None = None
    ) -> None:
        if not self.enabled:
            return
        from pytest_pyramid._files import write_json_atomic

        payload = {
            "key": key,
            "result": result.to_json() | {"on_missing": result.on_missing},
            "extra": dict(extra or {}),
        }
        # A read-only checkout still gets its gates; it only loses the speed-up.
        with contextlib.suppress(OSError):
            write_json_atomic(self._path(gate_id), payload)


def gate_from_json(data: Mapping[str, object]) -> GateResult | None:
    """Rebuild a cached GateResult; None for anything that does not look like one."""
    try:
        details = data.get("details") or {}
        actual = data.get("actual")
        threshold = data.get("threshold")
        if not isinstance(details, dict):
            return None
        for value in (actual, threshold):
            if value is not None and not isinstance(value, (int, float, str)):
                return None
        return GateResult(
            id=str(data["id"]),
            level=cast(Level, data["level"]),
            status=cast(Status, data["status"]),
            actual=cast("float | int | str | None", actual),
            threshold=cast("float | int | str | None", threshold),
            message=str(data.get("message", "")),
            on_missing=cast(OnMissing, data.get("on_missing", "fail")),
            details=details,
        )
    except KeyError:
        return None


# -- running a static gate (shared by the four static gate specs) -------------------------------


@record(frozen=True)
class StaticInputs:
    """What the static gates of one run share, computed once."""

    requested: bool
    why: str
    files: list[Path]
    missing: list[str]
    files_key: str
    cache: ResultCache


def cache_key(base: str, extra: Mapping[str, object]) -> str:
    text = json.dumps(extra, sort_keys=True, default=str)
    return hashlib.sha256(base.encode() + b"\0" + text.encode()).hexdigest()


def static_inputs(
    settings: StaticSettings, rootdir: Path, source_paths: Sequence[str], run: object
) -> StaticInputs:
    """Whether the static gates run now, and over which files (``run``: a RunSummary)."""
    tiers = getattr(run, "tiers", {})
    stats = tiers.get(settings.tier)
    requested, why = static_requested(
        settings,
        tier_selected=bool(stats and stats.selected),
        tier_has_tests=bool(stats and stats.has_tests),
    )
    cache = ResultCache(rootdir, enabled=settings.cache)
    if not requested:
        return StaticInputs(False, why, [], [], "", cache)
    files, missing = source_files(rootdir, source_paths, settings.exclude)
    files_key = source_hash(files, rootdir, {"missing": missing}) if files else ""
    return StaticInputs(True, why, files, missing, files_key, cache)


def not_run(gate_id: str, level: Level, threshold: float | int | str, why: str) -> GateResult:
    """A static gate this run did not ask for: reported, with no effect on the decision."""
    return GateResult(id=gate_id, level=level, status="not_evaluated", threshold=threshold,
                      message=f"static gates not run: {why}", on_missing="skip")


def no_sources(
    gate_id: str, level: Level, on_missing: OnMissing, threshold: float | int | str,
    source_paths: Sequence[str], missing: Sequence[str],
) -> GateResult:
    if not source_paths:
        why = "no measured source: set top-level source = [\"pkg\"] in [tool.pyramid]"
    else:
        why = f"no Python files under source = {list(source_paths)}"
        if missing:
            why += f" (not found: {', '.join(missing)})"
    return GateResult(id=gate_id, level=level, status="not_evaluated", threshold=threshold,
                      message=why, on_missing=on_missing)


def cached_run(
    gate_id: str,
    inputs: StaticInputs,
    *,
    level: Level,
    on_missing: OnMissing,
    tool_version: str | None,
    options: Mapping[str, object],
    compute: Callable[[], tuple[GateResult, dict[str, object] | None]],
) -> tuple[GateResult, dict[str, object] | None]:
    """A source gate's result, from the cache while the sources, options and tool are the
    same; a tool that could not run is not cached, so installing it takes effect at once."""
    from dataclasses import replace

    key = cache_key(inputs.files_key, {"gate": gate_id, "tool": tool_version,
                                       "options": dict(options)})
    hit = inputs.cache.load(gate_id, key)
    sarif_out: dict[str, object] | None
    if hit is not None:
        result, extra = hit
        sarif = extra.get("sarif")
        result = replace(result, level=level, on_missing=on_missing)
        sarif_out = cast("dict[str, object]", sarif) if isinstance(sarif, dict) else None
    else:
        result, sarif_out = compute()
        result = replace(result, on_missing=on_missing)
        if tool_version is not None and result.status != "not_evaluated":
            inputs.cache.store(gate_id, key, result, {"sarif": sarif_out} if sarif_out else None)
    if inputs.missing:
        result = replace(result, details={**result.details, "sources_not_found": inputs.missing})
    return result, sarif_out
