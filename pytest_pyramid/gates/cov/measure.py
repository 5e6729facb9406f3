"""Per-tier coverage figures from one coverage data file, through coverage.py's own analysis.

How the figures are made (the same as ``coverage report --contexts=REGEX``):

* while tests run, the dynamic context is switched to the tier's name whenever the tier
  changes, so every line is recorded under the tier that executed it;
* lines run outside any test (imports at collection time, conftest files) carry the empty
  context (or only the static context, when one is configured); coverage's contexts docs
  explain that these belong to no test, and a tier's tests still depend on them, so they
  are counted in every tier's figure;
* a tier's figure selects its contexts with anchored regexes (``set_query_contexts``
  searches, so ``unit`` alone would also match ``unit_slow``) and analyses every reported
  file with coverage's own :class:`~coverage.results.Analysis`, so statements, exclusions,
  partial branches and the ``[report]`` include/omit options are exactly coverage's.

Each file is parsed once; only the executed lines/arcs are queried per tier. Nothing here
imports pytest; coverage is imported lazily by the callers' objects.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    from coverage import Coverage
    from coverage.data import CoverageData

#: The label of a context that belongs to no tier: counted in the total only.
UNTIERED_CONTEXT = "pyramid:untiered"
TOTAL = "total"


@dataclass(frozen=True)
class Numbers:
    """Coverage counts of a group of files (coverage's own ``Numbers``, without precision)."""

    statements: int = 0
    missing: int = 0
    branches: int = 0
    missing_branches: int = 0
    files: int = 0

    @property
    def lines_covered(self) -> int:
        return self.statements - self.missing

    @property
    def branches_covered(self) -> int:
        return self.branches - self.missing_branches

    @property
    def percent(self) -> float | None:
        """Covered statements and branches over all of them; None when there is nothing."""
        denominator = self.statements + self.branches
        if denominator == 0:
            return None
        return 100.0 * (self.lines_covered + self.branches_covered) / denominator

    def __add__(self, other: Numbers) -> Numbers:
        return Numbers(
            self.statements + other.statements,
            self.missing + other.missing,
            self.branches + other.branches,
            self.missing_branches + other.missing_branches,
            self.files + other.files,
        )


@dataclass(frozen=True)
class FileLines:
    """What the whole run (all contexts) did in one reported file."""

    path: str
    statements: frozenset[int]
    missing: frozenset[int]


@dataclass
class Measurement:
    """Figures per group (a tier name or :data:`TOTAL`) and the per-file detail of the total."""

    branch: bool
    groups: dict[str, Numbers] = field(default_factory=dict)
    files: dict[str, FileLines] = field(default_factory=dict)
    contexts: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def split_static(context: str, static: str | None) -> str | None:
    """The dynamic part of a recorded context; ``""`` for run-level lines; None if foreign.

    coverage joins a static and a dynamic context with ``|``. A context that does not start
    with the configured static context came from another run (``--cov-append``, combined
    files): it is returned whole so it is still classified, not dropped.
    """
    if not static:
        return context
    if context == static:
        return ""
    if context.startswith(static + "|"):
        return context[len(static) + 1 :]
    return context


def tier_classifier(tiers: Iterable[str]) -> Callable[[str], str | None]:
    """Contexts switched by the plugin are the tier names themselves."""
    names = frozenset(tiers)

    def classify(dynamic: str) -> str | None:
        return dynamic if dynamic in names else None

    return classify


def test_context_classifier(
    tier_of_nodeid: Mapping[str, str],
) -> Callable[[str], str | None]:
    """Contexts of pytest-cov's ``--cov-context=test`` are ``<nodeid>|<setup|run|teardown>``."""

    def classify(dynamic: str) -> str | None:
        nodeid, sep, when = dynamic.rpartition("|")
        if not sep or when not in ("setup", "run", "teardown"):
            return None
        return tier_of_nodeid.get(nodeid)

    return classify


test_context_classifier.__test__ = False  # type: ignore[attr-defined]  # not a test, despite its name


def group_contexts(
    contexts: Iterable[str],
    tiers: Sequence[str],
    classify: Callable[[str], str | None],
    static: str | None = None,
) -> dict[str, list[str]]:
    """Which recorded contexts make up each tier's figure (run-level contexts included)."""
    run_level: list[str] = []
    by_tier: dict[str, list[str]] = {tier: [] for tier in tiers}
    for context in sorted(contexts):
        dynamic = split_static(context, static)
        if dynamic == "":
            run_level.append(context)
            continue
        tier = classify(dynamic) if dynamic is not None else None
        if tier in by_tier:
            by_tier[tier].append(context)
    return {tier: [*found, *run_level] for tier, found in by_tier.items()}


def anchored_regex(contexts: Sequence[str]) -> str:
    """One regex that matches exactly these contexts (coverage searches, it does not match)."""
    return "^(?:" + "|".join(re.escape(c) for c in contexts) + ")$"


def _analysis_factory() -> Callable[[CoverageData, int, Any, str], Any] | None:
    try:
        from coverage.results import analysis_from_file_reporter
    except ImportError:  # coverage < 7.6 builds Analysis differently; use the slow path
        return None
    return analysis_from_file_reporter


def _numbers_of(analysis: Any, branch: bool = True) -> Numbers:
    n = analysis.numbers
    if not branch:  # the project measures lines: branch data measured on request is not counted
        return Numbers(n.n_statements, n.n_missing, 0, 0, 1)
    return Numbers(n.n_statements, n.n_missing, n.n_branches, n.n_missing_branches, 1)


#: coverage.py's configuration files whose sections carry a ``coverage:`` prefix (or live under
#: ``[tool.coverage]``): read as coverage reads them when it finds them by itself
_SHARED_FILES = ("setup.cfg", "tox.ini", "pyproject.toml")


def configured_branch(cov: Coverage) -> bool:
    """Whether the configuration file ``cov`` read says ``branch = true``: the figure the
    gates judge is the one the project's configuration defines (hostile case 357: a CI's
    ``--cov-branch`` counted covered branches into a lines-only threshold and lifted it). A
    run's options and constructor arguments do not decide it; which file was read is judged
    by the coverage plugin (another file than the project's own is not its configuration)."""
    from coverage.config import CoverageConfig

    name = getattr(cov.config, "config_file", None)
    if not name:
        return False
    config = CoverageConfig()
    try:
        config.from_file(str(name), warn=lambda _message: None,
                         our_file=os.path.basename(str(name)) not in _SHARED_FILES)
    except Exception:  # unreadable now: the file the run read decides nothing more
        return False
    return bool(config.branch)


class _Asked(dict[str, str]):
    """An environment holding no variable that notes each name coverage's substitution asks
    for: the names a value takes from the environment, found by coverage's own rule."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def __contains__(self, key: object) -> bool:
        self.names.append(str(key))
        return False


def named_variables(text: str) -> list[str]:
    """The environment variables coverage.py would expand in one configuration value
    (``$NAME``, ``${NAME}``, ``${NAME-default}``, ``${NAME?}``; ``$$`` is a dollar sign)."""
    if "$" not in text:
        return []
    from coverage.misc import substitute_variables

    asked = _Asked()
    # a strict ``${NAME?}`` raises at the first unset name: asked as a plain one, every name
    # of the value is found
    with contextlib.suppress(Exception):
        substitute_variables(text.replace("?}", "}"), asked)
    return asked.names


def _ini_values(name: str, ours: bool) -> Iterator[tuple[str, str]]:
    """(key, raw value) of every option in the sections coverage reads from an ini file:
    ``[coverage:*]`` always, every section of a file that is coverage's own."""
    parser = configparser.RawConfigParser()
    with contextlib.suppress(configparser.Error, OSError, UnicodeDecodeError):
        parser.read(name, encoding="utf-8-sig")
    for section in parser.sections():
        label = section.removeprefix("coverage:")
        if not ours and label == section:
            continue
        for option, value in parser.items(section, raw=True):
            yield f"[{label}] {option}", str(value)


def _toml_values(name: str, ours: bool) -> Iterator[tuple[str, str]]:
    """(key, string) of every string under ``[tool.coverage]`` (the whole file, when it is
    coverage's own), read by coverage's own TOML reader."""
    from coverage.tomlconfig import TomlConfigParser

    parser = TomlConfigParser(ours)
    try:
        parser.read(name)
    except Exception:  # unreadable: coverage refused it too, nothing of it was expanded
        return
    data: Any = parser.data
    tool = data.get("tool") if isinstance(data, dict) else None
    found = {"tool.coverage": tool.get("coverage")} if isinstance(tool, dict) else {}
    if ours:
        found[""] = data
    for prefix, table in found.items():
        yield from _strings(prefix, table)


def _strings(key: str, value: object) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        head, _, option = key.rpartition(".")
        yield (f"[{head}] {option}" if head else option), value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _strings(f"{key}.{name}" if key else str(name), item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(key, item)


def configuration_variables(name: str) -> dict[str, list[str]]:
    """Each environment variable a value of the coverage configuration file ``name`` names,
    with the keys whose values name it, read where coverage reads (hostile case 393):
    coverage.py expands variables in every value it reads, so such a value is the
    environment's, not the tracked text's."""
    ours = os.path.basename(name) not in _SHARED_FILES
    values = _toml_values(name, ours) if name.endswith(".toml") else _ini_values(name, ours)
    found: dict[str, list[str]] = {}
    for key, text in values:
        for variable in named_variables(text):
            keys = found.setdefault(variable, [])
            if key not in keys:
                keys.append(key)
    return found


def variables_reason(name: str | None, environ: Mapping[str, str], folder: Path,
                     allow: Callable[[], Sequence[str]]) -> str | None:
    """Why the coverage figures are not the project's when its configuration file ``name``
    names variables ``environ`` sets: a tracked value that names a variable is the
    project's read of it, judged as any variable the project's code reads
    (``run/invocation.py: read_variable_reasons``: the platform's names pass, the tracked
    ``allow_options`` allows one). The run and ``pyramid merge`` both ask it, each of the
    environment its own coverage expanded the file in; ``folder`` (the project's) names the
    file. ``allow``: asked only when needed (it runs git)."""
    if not name:
        return None
    named = {variable: keys for variable, keys in configuration_variables(str(name)).items()
             if variable in environ}
    if not named:
        return None
    from pytest_pyramid.run.invocation import HOW_TO_ALLOW, read_variable_reasons

    judged = sorted(v for v in named if read_variable_reasons([v], ()))
    if judged:  # the platform's names pass without asking git
        allowed = allow()
        judged = [v for v in judged if read_variable_reasons([v], allowed)]
    if not judged:
        return None
    shown = "; ".join(f"{', '.join(named[v])} names {v}" for v in judged)
    listed = ", ".join(f'"{v}"' for v in judged)
    shown_name = os.path.relpath(name, folder) if Path(name).is_relative_to(folder) else name
    return (f"the coverage configuration {shown_name} takes values from the environment ({shown}) "
            "and this run's environment sets them: coverage.py expands them, so the job's "
            "variables, not the tracked text, decide what is measured and reported "
            f"({HOW_TO_ALLOW}: allow_options = [{listed}])")


def honoured_allow(allow: Sequence[str], settings_file: str | Path, folder: Path
                   ) -> list[str]:
    """``allow_options`` as the run honours it: only from a configuration file git tracks."""
    from pytest_pyramid.run.invocation import git_tracked

    path = Path(settings_file)
    if not allow or path not in git_tracked([path], folder):
        return []
    return list(allow)


def _reported(cov: Coverage, keep: Callable[[str], bool]) -> list[tuple[Any, Any]]:
    """(FileReporter, Analysis) of every file coverage would report, under current queries."""
    from coverage.exceptions import NoDataError
    from coverage.report_core import get_analysis_to_report

    try:
        return [
            (fr, an)
            for fr, an in get_analysis_to_report(cov, None)
            if keep(os.path.realpath(fr.filename))
        ]
    except NoDataError:
        return []


def _never_imported(
    cov: Coverage, declared: Sequence[str], measured: set[str], keep: Callable[[str], bool]
) -> dict[str, list[int]]:
    """Python files under the declared source that the measured data does not hold (never
    imported, or outside a narrower ``--cov``), with their statements: all uncovered.

    Without them a bare ``--cov`` or a ``--cov=pkg.module`` would measure only what the tests
    happened to import, and a coverage gate would pass on the part that was exercised.
    """
    import fnmatch

    config = cov.config
    omit = [str(p) for p in (getattr(config, "report_omit", None) or
                             getattr(config, "run_omit", None) or [])]
    found: dict[str, list[int]] = {}
    for folder in declared:
        for directory, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if d != "__pycache__" and not d.startswith(".")]
            for name in filenames:
                if not name.endswith(".py"):
                    continue
                path = os.path.realpath(os.path.join(directory, name))
                if path in measured or not keep(path):
                    continue
                if any(fnmatch.fnmatch(path, pattern) for pattern in omit):
                    continue
                try:
                    _, statements, _, _, _ = cov.analysis2(path)
                except Exception:  # a file coverage cannot parse: it must not vanish
                    statements = _source_lines(path)
                if statements:
                    found[path] = list(statements)
    return found


def _source_lines(path: str) -> list[int]:
    """A source file coverage cannot parse (never imported, so never run): every line that
    is neither blank nor a comment counts as an uncovered statement, so the file weighs in
    the figures instead of vanishing from them."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    return [number for number, line in enumerate(lines, 1)
            if line.strip() and not line.lstrip().startswith("#")]


def measure(
    cov: Coverage,
    groups: Mapping[str, Sequence[str]],
    *,
    keep: Callable[[str], bool] = lambda _path: True,
    fast: bool = True,
    declared: Sequence[str] = (),
) -> Measurement:
    """Coverage figures of ``cov``'s current data: :data:`TOTAL` plus one per group.

    ``groups`` maps a group name (a tier) to the exact recorded contexts it is made of (see
    :func:`group_contexts`). ``keep`` filters reported files by absolute path (the
    ``coverage_source`` option). ``fast=False`` re-runs coverage's reporter per group
    (each file parsed again) - kept as the reference the fast path is tested against and
    as the fallback for coverage versions without ``analysis_from_file_reporter``.

    The data's query contexts are restored to "all" afterwards, so reporters that run
    later (pytest-cov's, the user's) see what they would have seen.
    """
    data = cov.get_data()
    branch = data.has_arcs() and configured_branch(cov)
    result = Measurement(branch=branch)
    factory = _analysis_factory() if fast else None
    precision = int(getattr(cov.config, "precision", 0) or 0)
    saved_ignore = cov.config.ignore_errors
    # A source file that vanished or cannot be parsed must not abort the whole verdict:
    # coverage then warns instead of raising; the warnings go into the verdict.
    cov.config.ignore_errors = True
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            data.set_query_contexts(None)
            reported = _reported(cov, keep)
            total = Numbers()
            for fr, analysis in reported:
                total += _numbers_of(analysis, branch)
                path = os.path.realpath(fr.filename)
                result.files[path] = FileLines(
                    path=path,
                    statements=frozenset(analysis.statements),
                    missing=frozenset(analysis.missing),
                )
            unmeasured = _never_imported(cov, declared, set(result.files), keep)
            for path, statements in unmeasured.items():
                total += Numbers(statements=len(statements), missing=len(statements), files=1)
                result.files[path] = FileLines(path, frozenset(statements), frozenset(statements))
            result.groups[TOTAL] = total
            for name, contexts in groups.items():
                result.contexts[name] = list(contexts)
                if not contexts:
                    result.groups[name] = Numbers(
                        statements=total.statements,
                        missing=total.statements,
                        branches=total.branches,
                        missing_branches=total.branches,
                        files=total.files,
                    )
                    continue
                data.set_query_contexts([anchored_regex(contexts)])
                numbers = Numbers()
                if factory is not None:
                    for fr, analysis in reported:
                        numbers += _numbers_of(
                            factory(data, precision, fr, analysis.filename), branch)
                else:
                    for _fr, analysis in _reported(cov, keep):
                        numbers += _numbers_of(analysis, branch)
                for statements in unmeasured.values():  # never imported: uncovered by every tier
                    numbers += Numbers(statements=len(statements), missing=len(statements),
                                       files=1)
                result.groups[name] = numbers
        result.warnings.extend(str(w.message) for w in caught)
    finally:
        data.set_query_contexts(None)
        cov.config.ignore_errors = saved_ignore
    return result
