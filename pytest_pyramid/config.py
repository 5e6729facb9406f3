"""``[tool.pyramid]`` -> frozen settings. Every bad value names its key, value and file."""

from __future__ import annotations

import re
from dataclasses import field
from typing import TYPE_CHECKING, Any

from pytest_pyramid.durations import parse_duration
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.results import record

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path
    from typing import TypeAlias

    from pytest_pyramid.results import Level
    from pytest_pyramid.schema_passes import SchemaPasses
    #: the files a tree holds under some paths (relative to the folder it is given; None
    #: when that is no git work tree): ``run/_git.py: tree_files``, the tree digest's listing
    TreeListing: TypeAlias = Callable[[Path, list[str]], Sequence[str] | None]


@record(frozen=True)
class TierDefault:
    budget_s: float
    description: str


#: Built-in tiers in pyramid order. Budgets are the seed strategy's (judged on the tier's
#: wall time, a gate: they never stop a test); a default budget only warns until the
#: project sets a budget or a budget level. There is no default per-test kill limit: a
#: project that adds [tool.pyramid] gets the outcomes bare pytest gives it, and a limit
#: exists only where ``tiers.<tier>.test_timeout`` sets one.
BUILTIN_TIERS: dict[str, TierDefault] = {
    "unit": TierDefault(30.0, "fast, isolated tests of logic"),
    "integration": TierDefault(300.0, "tests against real databases and services"),
    "contract": TierDefault(300.0, "consumer/provider contract tests"),
    "e2e": TierDefault(900.0, "end-to-end tests through the user interface"),
    "performance": TierDefault(1800.0, "load and latency tests"),
    "security": TierDefault(1200.0, "security scans and negative API tests"),
}
BUILTIN_GROUPS: dict[str, tuple[str, ...]] = {"fast": ("unit",)}
ALL_GROUP = "all"
DEFAULT_VERDICT = "pyramid-verdict.json"
BUDGET_WARN_RATIO = 0.9

@record(frozen=True)
class TierSpec:
    name: str
    order: int
    paths: tuple[str, ...]
    test_timeout: float | None
    budget: float | None
    budget_level: Level
    description: str
    #: marker names or marker expressions that put a test in this tier
    markers: tuple[str, ...] = ()


@record(frozen=True)
class Settings:
    """The validated ``[tool.pyramid]`` table; ``raw`` is kept for the sections other parts own."""

    source: str
    rootdir: Path
    tiers: dict[str, TierSpec]
    groups: dict[str, tuple[str, ...]]
    default_tier: str
    strict: bool
    verdict: str
    release_tiers: tuple[str, ...] | None
    fail_fast: bool
    source_paths: tuple[str, ...]
    raw: Mapping[str, Any] = field(default_factory=dict)
    #: test files that are not part of the suite (globs relative to the project, ``**`` dialect)
    exclude: tuple[str, ...] = ()
    #: "observe": gates judged and reported, the exit status stays pytest's own
    mode: str = "enforce"
    #: what budgets judge: "wall" (the tier's start to end) or "sum" (its tests' durations)
    budget_basis: str = "wall"
    #: settings from outside the project's configuration the run accepts (run/invocation.py)
    allow_options: tuple[str, ...] = ()

    @property
    def tier_names(self) -> tuple[str, ...]:
        return tuple(self.tiers)

    def resolve_selection(self, text: str, origin: str = "--pyramid-tier") -> tuple[str, ...]:
        """Expand comma-separated tier and group names into tiers, in pyramid order."""
        wanted: set[str] = set()
        for name in (part.strip() for part in text.split(",")):
            if not name:
                continue
            if name == ALL_GROUP:
                wanted.update(self.tiers)
            elif name in self.tiers:
                wanted.add(name)
            elif name in self.groups:
                wanted.update(self.groups[name])
            else:
                known_groups = ", ".join(sorted({*self.groups, ALL_GROUP}))
                raise ValueError(
                    f"{origin}: unknown tier or group {name!r}; "
                    f"tiers: {', '.join(self.tiers)}; groups: {known_groups}"
                )
        if not wanted:
            raise ValueError(f"{origin}: no tier named in {text!r}")
        return tuple(t for t in self.tiers if t in wanted)


def _duration(value: object) -> float | None:
    """A validated duration (the schema checked its form); 0, "off" and "none" mean none."""
    if value is None or value in ("none", "off"):
        return None
    return parse_duration(value) or None


def _norm_path(pattern: str) -> str:
    return pattern.replace("\\", "/").strip("/").removeprefix("./")


def _tier_names_order(table: Mapping[str, Mapping[str, Any]], source: str) -> list[str]:
    names = list(BUILTIN_TIERS)
    for name, spec in table.items():
        if name in BUILTIN_TIERS:
            continue
        if not name.isidentifier():
            raise ConfigError(f"tiers.{name}", name, source, "a tier name must be an identifier")
        after = spec.get("after")
        if after is None:
            names.append(name)
        elif after in names:
            names.insert(names.index(after) + 1, name)
        else:
            raise ConfigError(f"tiers.{name}.after", after, source, "not a tier declared before")
    return names


def parse_settings(
    table: Mapping[str, Any],
    source: str,
    rootdir: Path,
    overrides: Mapping[str, object],
    *,
    schema_checked: bool = False,
    passes: SchemaPasses | None = None,
    tree: TreeListing | None = None,
) -> Settings:
    """Validate the table. ``overrides`` (ini options) win over the table's scalars.

    The schema checks the structure of the whole table (every part, deploy included); what
    is left here is what a schema cannot say: names that must refer to tiers, and the order
    custom tiers take. ``schema_checked``: the same table passed the schema in this run
    already (an xdist worker's controller checked it), so jsonschema need not load again.
    ``passes``: tables known to have passed the schema (see ``schema_passes``).
    ``tree``: what the tree holds, which the ``source`` entries are resolved against
    (:func:`source_path`).
    """
    if not schema_checked:
        from pytest_pyramid.config_schema import check_table

        check_table(table, source, passes)
    merged: dict[str, Any] = {**table, **{k: v for k, v in overrides.items() if v is not None}}
    tier_tables: Mapping[str, Mapping[str, Any]] = merged.get("tiers", {})
    # a budget blocks where the project set one (or a level); the built-in defaults only
    # report: a project that adds [tool.pyramid] is not blocked by a guess (`pyramid init`
    # measures real ones)
    budget_level: Level | None = merged.get("budget_level")

    tiers: dict[str, TierSpec] = {}
    for order, name in enumerate(_tier_names_order(tier_tables, source)):
        spec = tier_tables.get(name, {})
        default = BUILTIN_TIERS.get(name)
        paths = spec.get("paths", [f"tests/{name}"])
        tiers[name] = TierSpec(
            name=name,
            order=order,
            paths=tuple(_norm_path(p.strip()) for p in paths),
            test_timeout=_duration(spec.get("test_timeout")),
            budget=_duration(spec.get("budget", default.budget_s if default else None)),
            budget_level=spec.get(
                "budget_level",
                budget_level or ("block" if "budget" in spec or not default else "warn"),
            ),
            description=str(spec.get("description", default.description if default else name)),
            markers=tuple(m.strip() for m in spec.get("markers", ())),
        )

    _check_marker_rules(tiers, source)
    groups = dict(BUILTIN_GROUPS)
    for name, members in merged.get("groups", {}).items():
        key = f"groups.{name}"
        if name == ALL_GROUP or name in tiers:
            raise ConfigError(key, members, source, f"{name!r} is already a tier or built-in group")
        missing = [m for m in members if m.strip() not in tiers]
        if missing:
            raise ConfigError(key, members, source, f"unknown tier {missing[0]!r}")
        groups[name] = tuple(m.strip() for m in members)

    default_tier = merged.get("default_tier", "unit")
    if default_tier not in tiers:
        raise ConfigError("default_tier", default_tier, source, f"not a tier ({', '.join(tiers)})")
    release = merged.get("release_tiers")
    release_tiers = None
    if release is not None:
        release_tiers = tuple(t.strip() for t in release)
        missing = [t for t in release_tiers if t not in tiers]
        if missing:
            raise ConfigError("release_tiers", release, source, f"unknown tier {missing[0]!r}")
    verdict = merged.get("verdict", DEFAULT_VERDICT)
    if not isinstance(verdict, str) or not verdict.strip():  # an ini override, not the table
        raise ConfigError("verdict", verdict, source, "expected a file path")
    return Settings(
        source=source,
        rootdir=rootdir,
        tiers=tiers,
        groups=groups,
        default_tier=default_tier,
        strict=bool(merged.get("strict", False)),
        verdict=verdict,
        release_tiers=release_tiers,
        fail_fast=bool(merged.get("fail_fast", False)),
        source_paths=tuple(source_path(rootdir, p.strip(), tree)
                           for p in merged.get("source", ())),
        raw=table,
        exclude=_globs(merged.get("exclude", []), "exclude", source),
        mode=str(merged.get("mode", "enforce")),
        budget_basis=str(merged.get("budget_basis", "wall")),
        allow_options=tuple(o.strip() for o in table.get("allow_options", ())),
    )


def source_path(rootdir: Path, entry: str, tree: TreeListing | None = None) -> str:
    """A ``source`` entry as the path of the project's code it names, relative to ``rootdir``:
    the entry itself when the tree holds a file at or under it, else the module a dotted
    name means at the top or under ``src/`` (``mypkg`` in a src layout is ``src/mypkg``;
    ``tool`` a one-module project is ``tool.py``), as coverage reads a ``source`` entry: a
    folder, else an importable name. Every stage reads the resolved path (the closed world's
    own packages, the static gates, coverage), so a name and its path mean one thing. An
    entry naming nothing is left as it is: the gates that read it say "not found".

    "Holds" is asked of the tree (``tree``: git's tracked files and the untracked ones it
    does not ignore, what the tree digest names), not of the file system: after ``git mv
    mypkg src/mypkg`` an ignored leftover ``mypkg/`` (``__pycache__``, a generated
    ``_version.py``) is no package of the project, and a clean clone has none (hostile case
    341). Outside a git work tree (``tree`` absent or not answering) the file system is
    what there is."""
    if not entry:
        return entry
    candidates = [entry]
    if all(part.isidentifier() for part in entry.split(".")):
        relative = entry.replace(".", "/")
        candidates += [f"{base}{name}" for base in ("", "src/")
                       for name in (relative, f"{relative}.py")]
    held = _held(rootdir, candidates, tree)
    return next((candidate for candidate in candidates if candidate in held), entry)


def _held(rootdir: Path, candidates: list[str], tree: TreeListing | None) -> set[str]:
    """The ``candidates`` (relative paths) the tree holds a file at or under (one listing
    for all of them), else those that exist on disk."""
    files = tree(rootdir, candidates) if tree is not None else None
    if files is None:
        return {candidate for candidate in candidates if (rootdir / candidate).exists()}
    held: set[str] = set()
    for file in files:
        held.update(candidate for candidate in candidates
                    if file == candidate or file.startswith(candidate.rstrip("/") + "/"))
    return held


def _check_marker_rules(tiers: Mapping[str, TierSpec], source: str) -> None:
    """A marker name puts tests in one tier only, and a tier's own marker is not a rule."""
    owners: dict[str, str] = {}
    for name, spec in tiers.items():
        key = f"tiers.{name}.markers"
        for rule in spec.markers:
            if rule in tiers:
                raise ConfigError(key, list(spec.markers), source,
                                  f"{rule!r} is the marker of tier {rule} itself")
            if rule.isidentifier():
                if rule in owners:
                    raise ConfigError(key, list(spec.markers), source,
                                      f"marker {rule!r} already puts tests in tier {owners[rule]}")
                owners[rule] = name


def _globs(value: list[str], key: str, source: str) -> tuple[str, ...]:
    from pytest_pyramid.globs import glob_regex

    patterns = tuple(p.strip() for p in value)
    for pattern in patterns:
        try:
            glob_regex(pattern)
        except (ValueError, re.error) as exc:
            raise ConfigError(key, value, source, f"bad glob {pattern!r}: {exc}") from None
    return patterns
