"""``pyramid init``: a first ``[tool.pyramid]`` table from what the project has and how long
its suite really takes, so that the first run is not blocked by guessed thresholds.

1. Look at the project: its pytest configuration (pyproject.toml, pytest.ini, tox.ini,
   setup.cfg: ``testpaths``, registered ``markers``, ``addopts``), its test folders, its
   source package.
2. Propose tiers by folder (``tests/unit``, ``tests/functional`` ...) and by marker (``slow``,
   ``network``, ``e2e`` ...).
3. Run the suite once with that proposal (every budget off, ``mode = "observe"``, coverage
   measured when pytest-cov is installed) and read the verdict it writes.
4. Write budgets at the measured wall time with headroom and coverage thresholds at the
   measured floor; coverage thresholds only as comments unless the project already runs
   with ``--cov`` (a threshold that plain ``pytest`` cannot judge would block every run).

The pure parts (inspection, proposal, rendering) take and return plain data; the command
in ``cli.py`` shows the diff and asks before writing.
"""

from __future__ import annotations

import ast
import math
import re
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_pyramid.config import BUILTIN_TIERS
from pytest_pyramid.gates.wording import count as plural
from pytest_pyramid.project import PYPROJECT, STANDALONE, in_folder, pytest_ini

if TYPE_CHECKING:
    from pathlib import Path

#: test folder names and the tier they suggest
FOLDER_TIERS = {
    "unit": "unit", "units": "unit", "unittests": "unit", "unit_tests": "unit",
    "integration": "integration", "integrations": "integration", "functional": "integration",
    "func": "integration", "system": "integration",
    "contract": "contract", "contracts": "contract", "pact": "contract",
    "e2e": "e2e", "end_to_end": "e2e", "acceptance": "e2e", "ui": "e2e", "browser": "e2e",
    "performance": "performance", "perf": "performance", "load": "performance",
    "benchmarks": "performance", "benchmark": "performance",
    "security": "security",
}
#: folders beside the test folders (at the project's root) that hold a tier of their own
ROOT_FOLDER_TIERS = {
    "benchmarks": "performance", "benchmark": "performance", "bench": "performance",
    "perf": "performance", "e2e": "e2e", "acceptance": "e2e",
}
#: marker names teams already use, and the tier they suggest
MARKER_TIERS = {
    "slow": "integration", "network": "integration", "online": "integration",
    "internet": "integration", "db": "integration", "database": "integration",
    "django_db": "integration", "dev_server": "integration", "live_server": "integration",
    "requires_network": "integration", "integration_test": "integration",
    "ui": "e2e", "browser": "e2e", "selenium": "e2e", "playwright": "e2e",
    "pact": "contract", "perf": "performance", "benchmark": "performance",
    "load": "performance",
}
#: budgets are the measured wall time times this, rounded up: CI machines are slower
HEADROOM = 2.0
#: the smallest budget proposed: below it a tier's wall time is mostly start-up and noise
FLOOR_S = 10.0
#: measuring runs: the budget is from the slowest (one run of a suite on a busy machine can
#: be twice another; the slowest of three, with the headroom, holds on a slow day)
RUNS = 3
#: files a run writes that are not the project's source (``git status`` must not see them:
#: a verdict produced beside an untracked verdict is ``dirty``)
GITIGNORE = ("pyramid-verdict.json", "pyramid-verdict.results.json", "pyramid-report.*",
             "pyramid-partial-*.json")
_NOT_SOURCE = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "benchmarks",
                         "scripts", "tools", "build", "dist"})


@dataclass
class Project:
    """What ``pyramid init`` found."""

    root: Path
    #: the file that holds pytest's configuration ("" when there is none)
    pytest_config: str = ""
    testpaths: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()
    addopts: str = ""
    #: the ``-m`` expression of the project's own ``addopts`` ("" when there is none): the
    #: tests it deselects are the project's own exclusion, which a default run never runs
    markexpr: str = ""
    source: tuple[str, ...] = ()
    #: test folders (relative to the root) and the tier each suggests
    folders: dict[str, str] = field(default_factory=dict)
    #: files the project keeps out of its suite already (conftest ``collect_ignore`` and
    #: ``collect_ignore_glob``), as globs relative to the root: ``[tool.pyramid] exclude``
    exclusions: tuple[str, ...] = ()

    @property
    def target(self) -> Path:
        """Where the table goes: pyproject.toml when the project has one, else pyramid.toml."""
        pyproject = self.root / PYPROJECT
        return pyproject if pyproject.is_file() else self.root / STANDALONE

    @property
    def runs_with_cov(self) -> bool:
        return "--cov" in self.addopts


@dataclass(frozen=True)
class TierPlan:
    paths: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measured:
    """What the measuring run's verdict says, per tier."""

    tests: dict[str, int]
    wall_s: dict[str, float]
    coverage: dict[str, float]
    total_coverage: float | None
    failed: int
    duration_s: float
    #: how many measuring runs these figures come from
    runs: int = 1
    #: per tier, its tests the project's own exclusions deselected (``-m`` in addopts ...)
    deselected: dict[str, int] = field(default_factory=dict)


def markexpr_of(addopts: str | list[str]) -> str:
    """The ``-m`` expression in ``addopts`` (a string as the ini gives it, or a list as a
    TOML array); the last one wins, as on pytest's command line. "" when there is none or
    the string cannot be split as a shell would."""
    try:
        args = list(addopts) if isinstance(addopts, list) else shlex.split(addopts)
    except ValueError:
        return ""
    found = ""
    for index, arg in enumerate(args):
        if arg == "-m" and index + 1 < len(args):
            found = str(args[index + 1])
        elif arg.startswith("-m") and len(arg) > 2 and not arg.startswith("-m="):
            found = arg[2:]
    return found


def _split(value: str) -> list[str]:
    return [part for part in re.split(r"[\s,]+", value.strip()) if part]


def _marker_names(lines: list[str]) -> tuple[str, ...]:
    names = []
    for line in lines:
        name = re.split(r"[:(]", line.strip(), maxsplit=1)[0].strip()
        if name.isidentifier():
            names.append(name)
    return tuple(names)


def _ini(root: Path) -> tuple[str, dict[str, Any]]:
    """pytest's own configuration, as pytest would find it in ``root`` (the loader's rule)."""
    found = pytest_ini(root)
    if found is None:
        return "", {}
    name, options = found
    raw = dict(options)
    if isinstance(raw.get("testpaths"), str):
        raw["testpaths"] = _split(raw["testpaths"])
    if isinstance(raw.get("markers"), str):
        raw["markers"] = [line for line in raw["markers"].splitlines() if line.strip()]
    return name, raw


def inspect(root: Path) -> Project:
    """Read the project at ``root``: pytest configuration, test folders, source."""
    config_file, options = _ini(root)
    markers = options.get("markers", [])
    addopts = options.get("addopts", "")
    testpaths = tuple(str(p).strip("/") for p in options.get("testpaths", []) if str(p).strip())
    project = Project(
        root=root,
        pytest_config=config_file,
        testpaths=testpaths,
        markers=_marker_names([str(m) for m in markers] if isinstance(markers, list) else []),
        addopts=" ".join(addopts) if isinstance(addopts, list) else str(addopts),
        markexpr=markexpr_of(addopts if isinstance(addopts, list) else str(addopts)),
    )
    roots = testpaths or tuple(d for d in ("tests", "test") if (root / d).is_dir())
    for test_root in roots:
        base = root / test_root
        if not base.is_dir():
            continue
        if base.name in FOLDER_TIERS:
            project.folders[test_root] = FOLDER_TIERS[base.name]
            continue
        for child in sorted(p for p in base.iterdir() if p.is_dir()):
            tier = FOLDER_TIERS.get(child.name.lower())
            if tier is not None:
                project.folders[f"{test_root}/{child.name}"] = tier
    for child in sorted(p for p in root.iterdir() if p.is_dir()):
        # a benchmark or e2e folder beside tests/ (attrs' bench/), when it holds test files
        tier = ROOT_FOLDER_TIERS.get(child.name.lower())
        if tier is not None and child.name not in project.folders and _has_tests(child):
            project.folders[child.name] = tier
    project.exclusions = _collect_ignores(root, roots)
    project.source = _source(root)
    return project


def _ignore_list(node: ast.stmt) -> list[str]:
    """The strings of a ``collect_ignore[_glob] = [...]`` statement; [] for anything else."""
    if not isinstance(node, ast.Assign) or not isinstance(node.value, (ast.List, ast.Tuple)):
        return []
    if not {t.id for t in node.targets if isinstance(t, ast.Name)} & {
        "collect_ignore", "collect_ignore_glob",
    }:
        return []
    return [e.value for e in node.value.elts
            if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def _has_tests(folder: Path) -> bool:
    return any(folder.rglob("test_*.py")) or any(folder.rglob("*_test.py"))


def _collect_ignores(root: Path, test_roots: tuple[str, ...]) -> tuple[str, ...]:
    """``collect_ignore`` / ``collect_ignore_glob`` of the conftests at the root and the test
    roots, as globs relative to the root (only lists of plain strings: nothing is run)."""
    found: list[str] = []
    for folder in (root, *(root / r for r in test_roots)):
        conftest = folder / "conftest.py"
        try:
            tree = ast.parse(conftest.read_text("utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue
        base = folder.relative_to(root).as_posix()
        prefix = "" if base == "." else base + "/"
        for node in tree.body:
            for value in _ignore_list(node):
                rel = prefix + value.strip("/")
                found.append(f"{rel}/**" if (root / rel).is_dir() else rel)
    return tuple(dict.fromkeys(found))


def _source(root: Path) -> tuple[str, ...]:
    src = root / "src"
    if src.is_dir():
        found = [f"src/{p.name}" for p in sorted(src.iterdir()) if (p / "__init__.py").is_file()]
        if found:
            return tuple(found)
    return tuple(
        p.name for p in sorted(root.iterdir())
        if (p / "__init__.py").is_file() and p.name not in _NOT_SOURCE
        and not p.name.startswith((".", "test"))
    )


def propose(project: Project) -> dict[str, TierPlan]:
    """Tiers by folder and by marker, in pyramid order (only tiers something points at)."""
    paths: dict[str, list[str]] = {}
    for folder, tier in project.folders.items():
        paths.setdefault(tier, []).append(folder)
    markers: dict[str, list[str]] = {}
    for name in project.markers:
        mapped = MARKER_TIERS.get(name)
        if mapped is not None and name not in BUILTIN_TIERS:
            markers.setdefault(mapped, []).append(name)
    return {
        tier: TierPlan(tuple(paths.get(tier, ())), tuple(markers.get(tier, ())))
        for tier in BUILTIN_TIERS
        if tier in paths or tier in markers
    }


def nice_budget(wall_s: float) -> str:
    """The measured wall time with headroom, rounded up to a figure people write."""
    seconds = max(wall_s * HEADROOM, FLOOR_S)
    if seconds < 60:
        return f"{math.ceil(seconds / 5) * 5}s"
    if seconds < 600:
        return f"{math.ceil(seconds / 30) * 30}s"
    return f"{math.ceil(seconds / 60)}m"


def budget_comment(wall_s: float, runs: int = 1) -> str:
    """Why the proposed budget is what it is (the floor said in words when it applies)."""
    which = f"slowest of {runs} runs" if runs > 1 else "one run"
    text = f"measured {wall_s:.1f}s of wall time ({which})"
    if wall_s * HEADROOM < FLOOR_S:
        text += f"; {FLOOR_S:g}s is the smallest budget proposed (below it, start-up and noise)"
    return text


def slowest(runs: list[Measured]) -> Measured:
    """One measurement from several runs of the same suite: each tier's slowest wall time
    (a budget must hold on the slowest run seen), the lowest coverage (a floor), the last
    run's test counts, every failure counted."""
    if len(runs) == 1:
        return runs[0]
    last = runs[-1]
    wall: dict[str, float] = {}
    cov: dict[str, float] = {}
    for run in runs:
        for name, value in run.wall_s.items():
            wall[name] = max(wall.get(name, 0.0), value)
        for name, value in run.coverage.items():
            cov[name] = min(cov.get(name, value), value)
    totals = [run.total_coverage for run in runs if run.total_coverage is not None]
    return Measured(
        tests=last.tests, wall_s=wall, coverage=cov,
        total_coverage=min(totals) if totals else None,
        failed=max(run.failed for run in runs),
        duration_s=max(run.duration_s for run in runs), runs=len(runs),
        deselected=last.deselected,
    )


def gitignore_lines(existing: str) -> list[str]:
    """The lines to add to a ``.gitignore`` with ``existing`` text: the run's outputs it
    does not name yet."""
    have = {line.strip() for line in existing.splitlines()}
    return [name for name in GITIGNORE if name not in have and f"/{name}" not in have]


def read_measurement(verdict: dict[str, Any]) -> Measured:
    tiers: dict[str, Any] = verdict.get("tiers", {})
    tests, wall, cov, deselected = {}, {}, {}, {}
    failed = 0
    for name, tier in tiers.items():
        count = int(tier.get("collected", 0))
        if not count:
            continue
        tests[name] = count
        # init's own runs select nothing: what they deselect, the project's addopts did
        deselected[name] = int(tier.get("deselected", 0))
        wall[name] = float(tier.get("wall_time_s", 0.0))
        failed += int(tier.get("failed", 0)) + int(tier.get("errors", 0))
        percent = (tier.get("coverage") or {}).get("percent")
        if isinstance(percent, (int, float)):
            cov[name] = float(percent)
    total = (verdict.get("coverage") or {}).get("percent")
    return Measured(
        tests=tests, wall_s=wall, coverage=cov,
        total_coverage=float(total) if isinstance(total, (int, float)) else None,
        failed=failed, duration_s=float(verdict.get("run", {}).get("duration_s", 0.0)),
        deselected=deselected,
    )


def held_back(project: Project, plan: dict[str, TierPlan], measured: Measured | None) -> list[str]:
    """Tiers a default run never runs because the project's own ``addopts`` deselect all of
    their tests (``-m "not slow"`` with ``slow`` the tier's marker). Such a tier cannot be
    required for a release: every full run would be ``incomplete`` (a required tier that did
    not run). The tiers known only by markers that the project's ``-m`` expression leaves
    out, and, measured, the tiers whose every collected test was deselected (the run counts
    them only once git tracks the ``addopts``: before the first commit it cannot)."""
    held = set(_left_out_by_markers(project.markexpr, plan))
    if measured is not None:
        held.update(name for name, count in measured.tests.items()
                    if count and measured.deselected.get(name, 0) >= count)
    order = [*BUILTIN_TIERS, *sorted(held - set(BUILTIN_TIERS))]
    return [name for name in order if name in held]


def _left_out_by_markers(markexpr: str, plan: dict[str, TierPlan]) -> list[str]:
    if not markexpr:
        return []
    from pytest_pyramid.run.tiers import MarkerRuleError, compile_marker_expression

    try:
        expression = compile_marker_expression(markexpr)
    except MarkerRuleError:
        return []  # pytest itself will say so on the first run
    # tests under a folder may carry no marker at all: only marker-only tiers are judged
    return [
        name for name, spec in plan.items()
        if spec.markers and not spec.paths
        and not any(_selects(expression, {marker, name}) for marker in spec.markers)
    ]


def _selects(expression: Any, markers: set[str]) -> bool:
    """Whether a ``-m`` expression selects a test carrying exactly ``markers`` (its own
    marker and, once tiered, its tier's)."""
    return bool(expression.evaluate(lambda found, *_, **__: found in markers))


def _release_lines(project: Project, tiers: list[str], held: list[str]) -> list[str]:
    """``release_tiers`` without the held-back tiers, and why, in comments."""
    where = f" in {project.pytest_config}" if project.pytest_config else ""
    what = f"-m {project.markexpr!r}" if project.markexpr else "their exclusions"
    return [
        f"# the project's own addopts ({what}{where}) deselect every test of "
        f"{', '.join(held)}:",
        "# a default run never runs them, so a release does not wait for them "
        "(the verdict lists the exclusion)",
        f"release_tiers = {_toml_list([t for t in tiers if t not in held])}",
    ]


def _toml_list(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def render(
    project: Project,
    plan: dict[str, TierPlan],
    measured: Measured | None,
    *,
    observe: bool = False,
    measuring: bool = False,
    coverage: bool = False,
) -> str:
    """The table as TOML text: ``[tool.pyramid...]`` headers for pyproject.toml, bare ones
    for pyramid.toml. ``measuring``: the proposal for the measuring run itself (every budget
    off, observe mode, and with ``coverage`` a zero bar so the figures are collected)."""
    standalone = project.target.name == STANDALONE or measuring
    prefix = "" if standalone else "tool.pyramid."
    top = [] if standalone else ["[tool.pyramid]"]
    if measured is not None:
        total = sum(measured.tests.values())
        which = "a measured run" if measured.runs == 1 else f"{measured.runs} measured runs"
        top.append(f"# written by `pyramid init` from {which}: {plural(total, 'test')} in "
                   f"{measured.duration_s:.1f}s; budgets are {HEADROOM:g}x the measured wall time"
                   + (" of the slowest run" if measured.runs > 1 else ""))
    if observe or measuring:
        top.append('mode = "observe"  # gates are judged and shown; pytest\'s exit status is '
                   "its own")
    if project.source:
        top.append(f"source = {_toml_list(project.source)}")
    if project.exclusions:
        top.append(f"exclude = {_toml_list(project.exclusions)}  # the project's conftest "
                   "collect_ignore: not part of the suite")
    cov_ok = project.runs_with_cov
    blocks: list[str] = []
    tiers = dict(plan)
    for name in measured.tests if measured is not None else ():
        tiers.setdefault(name, TierPlan())
    held = [] if measuring else held_back(project, plan, measured)
    if held:
        # unmeasured, the default tier (unit) holds every test no folder or marker places
        shown = [n for n in BUILTIN_TIERS if n in tiers or (measured is None and n == "unit")]
        top.extend(_release_lines(project, shown, held))
    if measuring:  # every budget off, also of tiers the proposal does not name (the default
        for name in BUILTIN_TIERS:  # tier's built-in budget would be judged otherwise)
            tiers.setdefault(name, TierPlan())
    for name in BUILTIN_TIERS:
        if name not in tiers:
            continue
        spec = tiers[name]
        lines = [f"[{prefix}tiers.{name}]"]
        if spec.paths:
            lines.append(f"paths = {_toml_list(spec.paths)}")
        if spec.markers:
            lines.append(f"markers = {_toml_list(spec.markers)}")
        if measuring:
            lines.append('budget = "off"')
            if coverage:
                lines.append("coverage = 0")
        elif name in held:
            lines.append("# no budget: the project's addopts deselect all its tests, so none "
                         "was measured")
        elif measured is not None and name in measured.wall_s:
            wall = measured.wall_s[name]
            lines.append(f'budget = "{nice_budget(wall)}"  # {budget_comment(wall, measured.runs)}')
            if name in measured.coverage:
                floor = math.floor(measured.coverage[name])
                comment = "" if cov_ok else "# "
                lines.append(f"{comment}coverage = {floor}  # measured "
                             f"{measured.coverage[name]:.1f}%"
                             + ("" if cov_ok else "; needs --cov in every full run"))
        blocks.append("\n".join(lines))
    if measuring and coverage:
        blocks.append(f"[{prefix}coverage]\ntotal = 0")
    elif measured is not None and measured.total_coverage is not None:
        comment = "" if cov_ok else "# "
        blocks.append(f"{comment}[{prefix}coverage]\n{comment}total = "
                      f"{math.floor(measured.total_coverage)}  # measured "
                      f"{measured.total_coverage:.1f}%")
    return "\n".join(top) + ("\n\n" if top else "") + "\n\n".join(blocks) + "\n"


def configured(root: Path) -> Path | None:
    """The file that configures pytest-pyramid in ``root`` already, if any."""
    found = in_folder(root)
    return found.path if found is not None else None
