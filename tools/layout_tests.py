"""Lay the project's own tests out by tier: ``tests/<tier>/<package folder>/...`` (issue 21 §6).

Run from the repository root with the project's environment (it reads the tiers through the
plugin's own loader and path router)::

    .venv/bin/python tools/layout_tests.py            # move, rewrite, print what it did
    .venv/bin/python tools/layout_tests.py --dry-run  # print only
    .venv/bin/python tools/layout_tests.py --commit   # and commit the result (clean tree only)

What it does, idempotently (a second run changes nothing; a tree where someone added
``tests/truth/test_new.py`` gets just that file moved and its references rewritten):

1. Each tracked test file not yet under ``tests/<tier>/`` gets its tier exactly as the plugin
   gives it by path today: ``[tool.pyramid]`` loaded by ``pytest_pyramid.project`` and routed
   by ``run/tiers.py: PathRouter`` (longest prefix wins), else ``default_tier``. A test with its
   own tier marker keeps that tier wherever its file lies (a marker beats the path), so moving
   a file whose items span tiers by its *path* tier changes no test's tier.
2. It is ``git mv``-ed to ``tests/<tier>/<package folder>/<rest>``; the package folder comes
   from :data:`MAPPING` (the longest matching old path; an old folder not listed keeps its
   name, a root file not listed goes to the tier's root, as the package's root modules).
3. Shared helpers move to ``tests/support/<old folder>/`` (``tests/deploy/helpers.py`` ->
   ``tests/support/deploy/helpers.py``); an old folder's ``conftest.py`` becomes
   ``tests/support/<old folder>/fixtures.py`` and every new folder that received its tests gets
   a ``conftest.py`` importing its fixtures and hooks by name (one definition, every tier that
   needs it). ``tests/conftest.py`` and the helpers at ``tests/``'s root stay. An empty
   ``__init__.py`` of an old folder is removed (``tests/`` is a namespace package throughout).
4. References are rewritten: dotted imports (``tests.deploy.helpers``), file paths in docs,
   tools, benchmarks, the package's comments, pyproject, tox, ``./dev``, CI and pre-commit
   files and the tests themselves, and ``Path(__file__).parents[N]`` in moved modules' code
   (read from the AST, so test projects written as strings are left alone). Each
   ``[tool.pyramid.tiers.<tier>]`` loses its ``paths`` entries under ``tests/``: the tier then
   uses the product's default path, ``tests/<tier>``.
5. It prints every move and rewrite, and the references to old folders it left for a person.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_pyramid.run.tiers import PathRouter

#: old location (a folder of ``tests/`` or one file) -> the package folder its tests mirror
#: (``""``: the package root). The longest matching key wins.
MAPPING: dict[str, str] = {
    "tests/cov": "cov",
    "tests/deploy": "deploy",
    "tests/gates": "gates",
    "tests/reports": "verdict",  # the report renderers, the history and session reports
    "tests/toolkits": "toolkits",
    "tests/truth": "run",  # the run's facts: invocation, plugins, closed world, provenance
    "tests/flaky": "gates",  # the flake ledger's rules and the quarantine gate
    "tests/flaky/test_flake_arrival_run.py": "run",  # run/arrival.py: the repeats
    "tests/flaky/test_flake_cli.py": "cli",
    "tests/flaky/test_flake_ledger_run.py": "verdict",  # verdict/ledger.py fed by a run
    "tests/flaky/test_flake_ledger_store.py": "verdict",
    "tests/flaky/test_flake_quarantine_file.py": "verdict",  # verdict/quarantine_file.py
    "tests/test_adoption.py": "cli",  # cli/_adopt.py
    "tests/test_aggregate.py": "run",
    "tests/test_architecture.py": "",
    "tests/test_budgets.py": "gates",
    "tests/test_ci_examples.py": "",
    "tests/test_cli.py": "cli",
    "tests/test_cli_usage.py": "cli",
    "tests/test_config.py": "",
    "tests/test_config_check.py": "cli",
    "tests/test_config_schema.py": "",
    "tests/test_dev_progress.py": "",
    "tests/test_durations.py": "",
    "tests/test_facts.py": "run",
    "tests/test_floors.py": "",
    "tests/test_help_texts.py": "cli",
    "tests/test_init.py": "cli",
    "tests/test_invocation_table.py": "run",
    "tests/test_layout_tests.py": "",  # tools/layout_tests.py
    "tests/test_limits.py": "run",
    "tests/test_partial.py": "verdict",
    "tests/test_plugin.py": "",
    "tests/test_plugin_table.py": "run",
    "tests/test_pre_commit.py": "",
    "tests/test_project.py": "",
    "tests/test_readme_samples.py": "",
    "tests/test_release.py": "",
    "tests/test_repository.py": "",
    "tests/test_risk.py": "gates",
    "tests/test_schema_cache.py": "",
    "tests/test_schema_passes.py": "",
    "tests/test_shard.py": "run",
    "tests/test_shards.py": "run",
    "tests/test_shards_demo_slow.py": "run",
    "tests/test_target.py": "run",
    "tests/test_target_logic.py": "run",
    "tests/test_tiers.py": "run",
    "tests/test_timer.py": "run",
    "tests/test_verdict.py": "verdict",
    "tests/test_xdist.py": "run",
}

TESTS = "tests"
SUPPORT = "tests/support"
COMMIT_MESSAGE = "layout: tests/ by tier, by tools/layout_tests.py"
#: where references to test paths live (globs from the root); this script is left out
REFERENCE_GLOBS = (
    "tests/**/*.py", "pytest_pyramid/**/*.py", "tools/**/*.py", "tools/**/*.md",
    "benchmarks/**/*.py", "docs/*.md", "README.md", "pyproject.toml", "tox.ini", "dev",
    ".ci/run", ".pre-commit-config.yaml", ".pre-commit-hooks.yaml", "MANIFEST.in", "conftest.py",
)


@dataclass
class Plan:
    moves: dict[str, str] = field(default_factory=dict)  # old path -> new path
    removed: list[str] = field(default_factory=list)
    #: new folder -> {old conftest's new module (dotted): the names it exports}
    conftests: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout


def tier_router() -> tuple[PathRouter, str, tuple[str, ...]]:
    """The plugin's own path router over this project's tiers, its default tier, the tiers."""
    from pytest_pyramid.project import load
    from pytest_pyramid.run.tiers import PathRouter

    settings = load(Path.cwd()).settings
    router = PathRouter({name: spec.paths for name, spec in settings.tiers.items()})
    return router, settings.default_tier, settings.tier_names


def package_folder(old: str) -> tuple[str, str]:
    """(the matched old prefix, its package folder) for an old path, by :data:`MAPPING`."""
    parts = PurePosixPath(old).parts
    for depth in range(len(parts), 1, -1):
        prefix = "/".join(parts[:depth])
        if prefix in MAPPING:
            return prefix, MAPPING[prefix]
    if len(parts) == 2:  # a root test file not in the table: the package root
        return TESTS, ""
    return "/".join(parts[:2]), parts[1]  # an old folder not in the table keeps its name


def is_test_file(name: str) -> bool:
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def plan_moves(files: list[str], tiers: tuple[str, ...]) -> Plan:
    router, default_tier, _ = tier_router()
    placed = (*(f"{TESTS}/{tier}/" for tier in tiers), f"{SUPPORT}/")
    plan = Plan()
    old_conftests = {str(PurePosixPath(f).parent): f for f in files
                     if PurePosixPath(f).name == "conftest.py" and f.count("/") > 1
                     and not f.startswith(placed)}
    for f in files:  # a later run: an old folder's conftest already moved to tests/support
        if f.startswith(f"{SUPPORT}/") and PurePosixPath(f).name == "fixtures.py":
            old_folder = PurePosixPath(TESTS, PurePosixPath(f).parent.relative_to(SUPPORT))
            old_conftests.setdefault(old_folder.as_posix(), f)
    for old in files:
        path = PurePosixPath(old)
        if old.startswith(placed) or len(path.parts) < 2 or path.parts[0] != TESTS:
            continue
        if is_test_file(path.name):
            tier = router.tier_for(old) or default_tier
            prefix, target = package_folder(old)
            rest = PurePosixPath(old).relative_to(prefix) if prefix != old else path.name
            new = PurePosixPath(TESTS, tier, target, rest).as_posix()
            plan.moves[old] = new
            _needs_conftests(plan, old, new, old_conftests)
        elif len(path.parts) == 2:
            continue  # tests/conftest.py and the helpers at tests/'s root stay
        elif path.name == "__init__.py" and not Path(old).read_text().strip():
            plan.removed.append(old)
        else:
            rest = path.relative_to(TESTS)
            name = "fixtures.py" if path.name == "conftest.py" else path.name
            plan.moves[old] = PurePosixPath(SUPPORT, rest.parent, name).as_posix()
            if path.suffix != ".py":
                plan.notes.append(f"data file {old}: moved to {plan.moves[old]}; check readers")
    return plan


def _needs_conftests(plan: Plan, old: str, new: str, old_conftests: dict[str, str]) -> None:
    """A moved test keeps every old folder conftest above it: the new folder matching that
    conftest's folder gets a conftest importing its fixtures."""
    for folder, conftest in old_conftests.items():
        if not old.startswith(folder + "/"):
            continue
        below = len(PurePosixPath(old).parent.relative_to(folder).parts)
        new_folder = PurePosixPath(new).parent
        for _ in range(below):
            new_folder = new_folder.parent
        module = dotted(PurePosixPath(SUPPORT, PurePosixPath(folder).relative_to(TESTS),
                                      "fixtures.py").as_posix())
        names = exported_names(Path(conftest))
        plan.conftests.setdefault(new_folder.as_posix(), {})[module] = names


def exported_names(conftest: Path) -> list[str]:
    """What pytest takes from a conftest: its fixtures and its ``pytest_*`` hooks."""
    names = []
    for node in ast.parse(conftest.read_text()).body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        fixture = any("fixture" in ast.unparse(d) for d in node.decorator_list)
        if fixture or node.name.startswith("pytest_"):
            names.append(node.name)
    return names


def dotted(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


#: this script and its test (whose small project is written in the old layout on purpose)
#: are no references to rewrite
SELF = ("layout_tests.py", "test_layout_tests.py")


def reference_files() -> list[Path]:
    seen: dict[Path, None] = {}
    for pattern in REFERENCE_GLOBS:
        for path in sorted(Path().glob(pattern)):
            if path.is_file() and path.name not in SELF and ".venv" not in path.parts:
                seen[path] = None
    return list(seen)


def rewrite_references(plan: Plan, files: list[Path]) -> list[tuple[Path, int, str]]:
    """Old dotted modules and old file paths -> new ones, in every reference file."""
    pairs: list[tuple[re.Pattern[str], str]] = []
    for old, new in sorted(plan.moves.items(), key=lambda kv: -len(kv[0])):
        pairs.append((re.compile(r"(?<![\w./-])" + re.escape(old) + r"(?![\w])"), new))
        if old.endswith(".py"):
            pairs.append((re.compile(r"(?<![\w.])" + re.escape(dotted(old)) + r"(?![\w])"),
                          dotted(new)))
    done = []
    for path in files:
        text = path.read_text()
        lines = text.splitlines(keepends=True)
        for number, line in enumerate(lines):
            for pattern, new in pairs:
                if pattern.search(line):
                    line = pattern.sub(new, line)
            if line != lines[number]:
                done.append((path, number + 1, lines[number].strip()))
                lines[number] = line
        new_text = "".join(lines)
        if new_text != text:
            path.write_text(new_text)
    return done


def file_anchors(path: Path, old: str, new: str) -> tuple[str, list[str]]:
    """``Path(__file__)...parents[N]`` in a moved module's code, re-aimed at the same folder
    from the new place (the AST tells code from test projects written as strings)."""
    text = path.read_text()
    edits: list[tuple[int, int, int, str]] = []
    notes = []
    for node in ast.walk(ast.parse(text)):
        if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute)
                and node.value.attr == "parents" and "__file__" in ast.unparse(node.value)
                and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, int)):
            continue
        target = PurePosixPath(old).parents[node.slice.value]
        new_parents = list(PurePosixPath(new).parents)
        if target not in new_parents:
            notes.append(f"{path}:{node.lineno}: parents[{node.slice.value}] ({target}) "
                         "is not above the new place: check by hand")
            continue
        index = new_parents.index(target)
        if index != node.slice.value:
            s = node.slice
            edits.append((s.lineno, s.col_offset, s.end_col_offset or s.col_offset, str(index)))
            notes.append(f"{path}:{node.lineno}: parents[{node.slice.value}] -> parents[{index}] "
                         f"({target or '.'})")
    lines = text.splitlines(keepends=True)
    for lineno, start, end, value in sorted(edits, reverse=True):
        line = lines[lineno - 1]
        lines[lineno - 1] = line[:start] + value + line[end:]
    return "".join(lines), notes


CONFTEST_DOC = (
    '"""Fixtures of the tests laid out here by tools/layout_tests.py, defined once in\n'
    'tests/support/ for every tier that needs them."""\n'
)


#: fixtures modules registered once, in ``tests/conftest.py``'s ``pytest_plugins``, instead of
#: imported by the conftest of every folder that took tests from their old folder (one line,
#: not one identical conftest per tier). Only a module with neither an autouse fixture nor a
#: hook qualifies: its fixtures act only where a test names one, so reaching every test
#: changes none; a conftest nearer a test still wins a name (``tests/*/run/``'s ``project``).
PLUGINS = ("tests.support.deploy.fixtures",)
ROOT_CONFTEST = "tests/conftest.py"


def write_conftests(plan: Plan) -> list[str]:
    """Each new folder's conftest imports the fixtures of the old folder it took tests from
    (merged with what an earlier run wrote there), except the :data:`PLUGINS` modules; a
    conftest this script wrote that is left with nothing to import is removed."""
    done = []
    generated: dict[str, dict[str, list[str]]] = {
        path.parent.as_posix(): {} for path in Path(TESTS).glob("*/**/conftest.py")
        if path.read_text().startswith(CONFTEST_DOC)}
    for folder, modules in sorted({**generated, **plan.conftests}.items()):
        path = Path(folder, "conftest.py")
        wanted = {module: set(names) for module, names in modules.items()}
        if path.exists():
            text = path.read_text()
            if not text.startswith(CONFTEST_DOC):
                if not set(wanted) - set(PLUGINS):
                    continue
                raise SystemExit(f"layout: {path} exists and is not this script's: import "
                                 f"{sorted(wanted)} there by hand")
            for node in ast.parse(text).body:
                if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                    wanted.setdefault(str(node.module), set()).update(
                        alias.name for alias in node.names)
        for module in PLUGINS:
            wanted.pop(module, None)
        if not wanted:
            if path.exists():
                git("rm", "-q", str(path))
                done.append(f"git rm {path} (its fixtures are in {ROOT_CONFTEST}'s "
                            "pytest_plugins)")
            continue
        text = _conftest_text(path, wanted)
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            git("add", str(path))
            done.append(f"{path}: fixtures from {', '.join(sorted(wanted))}")
    return done


def _conftest_text(path: Path, wanted: dict[str, set[str]]) -> str:
    names = [name for module in wanted.values() for name in module]
    if len(names) != len(set(names)):
        raise SystemExit(f"layout: {path}: two old folders give a fixture of the same name "
                         f"({sorted(names)}); rename one first")
    return CONFTEST_DOC + "\nfrom __future__ import annotations\n\n" + "".join(
        wrapped(f"from {module} import ", sorted(wanted[module]), "")
        for module in sorted(wanted)) + "\n" + wrapped(
        "__all__ = [", [f'"{name}"' for name in sorted(names)], "]")


def register_plugins() -> list[str]:
    """``tests/conftest.py``'s ``pytest_plugins`` lists every :data:`PLUGINS` module that
    exists (added to the list, or the list added after the imports)."""
    present = [module for module in PLUGINS if Path(*module.split(".")).with_suffix(".py")
               .is_file()]
    for module in present:
        _check_inert(Path(*module.split(".")).with_suffix(".py"))
    path = Path(ROOT_CONFTEST)
    text = path.read_text() if path.exists() else ""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    listed: list[str] = []
    at = (0, 0)  # the lines the statement replaces (none: inserted)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets):
            value = ast.literal_eval(node.value)
            listed = [value] if isinstance(value, str) else list(value)
            at = (node.lineno - 1, node.end_lineno or node.lineno)
    missing = [module for module in present if module not in listed]
    if not missing:
        return []
    statement = wrapped("pytest_plugins = [", [f'"{m}"' for m in [*listed, *missing]], "]")
    if at == (0, 0):
        heads = [node.end_lineno or 0 for node in tree.body
                 if isinstance(node, (ast.Import, ast.ImportFrom))
                 or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
        end = max(heads, default=0)
        at = (end, end)
        statement = ("\n" if end else "") + PLUGINS_COMMENT + statement
    lines[at[0]:at[1]] = [statement]
    path.write_text("".join(lines))
    git("add", str(path))
    return [f"{path}: pytest_plugins += {', '.join(missing)}"]


PLUGINS_COMMENT = ("# fixtures every tier's tests of a folder use, registered once "
                   "(tools/layout_tests.py: PLUGINS)\n")


def _check_inert(module: Path) -> None:
    """A :data:`PLUGINS` module has no autouse fixture and no hook: registered for every test,
    it must change none."""
    for node in ast.parse(module.read_text()).body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        autouse = any("autouse=True" in ast.unparse(d) for d in node.decorator_list)
        if autouse or node.name.startswith("pytest_"):
            raise SystemExit(f"layout: {module}: {node.name} would act on every test from "
                             f"{ROOT_CONFTEST}'s pytest_plugins; take the module out of "
                             "PLUGINS")


def wrapped(head: str, items: list[str], tail: str) -> str:
    """``head`` + items + ``tail`` on one line, or one item a line (ruff's format) when long."""
    line = head + ", ".join(items) + tail
    if len(line) <= 100:
        return line + "\n"
    opening, closing = (head, tail) if tail else (head + "(", ")")
    return opening + "\n" + "".join(f"    {item},\n" for item in items) + closing + "\n"


def rewrite_tier_paths(pyproject: Path, tiers: tuple[str, ...]) -> list[str]:
    """Every tier's ``paths`` without its entries under ``tests/``: the default path then."""
    text = pyproject.read_text()
    done = []
    for tier in tiers:
        section = re.search(rf"^\[tool\.pyramid\.tiers\.{tier}\]\n(?:(?!\[).*\n)*", text, re.M)
        if section is None:
            continue
        body = section.group(0)
        match = re.search(r"^paths = \[(.*?)\]\n", body, re.M | re.S)
        if match is None:
            continue
        entries = re.findall(r'"([^"]*)"', match.group(1))
        kept = [e for e in entries if e != TESTS and not e.startswith(TESTS + "/")]
        if kept == entries:
            continue
        own = f"{TESTS}/{tier}"
        replacement = "" if not kept else "paths = [" + ", ".join(
            f'"{e}"' for e in [own, *kept]) + "]\n"
        new_body = body.replace(match.group(0), replacement)
        if not new_body.split("\n", 1)[1].strip():  # nothing left in the table but its name
            new_body = ""
        text = text.replace(body, new_body, 1)
        done.append(f"pyproject.toml: tiers.{tier}.paths: {len(entries)} entries -> "
                    + (f"{own} + {kept}" if kept else f"the default ({own})"))
    pyproject.write_text(text)
    return done


def leftovers(plan: Plan, files: list[Path]) -> list[str]:
    """References to an old folder that no longer holds tests: for a person to reword."""
    tracked = git("ls-files", TESTS).split()
    gone = sorted({"/".join(PurePosixPath(old).parts[:2]) for old in plan.moves
                   if old.count("/") > 1} - {"/".join(PurePosixPath(f).parts[:2]) for f in tracked})
    if not gone:
        return []
    pattern = re.compile(r"(?<![\w./-])(" + "|".join(map(re.escape, gone)) + r")\b(?![.\w])")
    found = []
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path}:{number}: {line.strip()[:110]}")
    return found


def apply(plan: Plan) -> list[str]:
    report = []
    for old, new in sorted(plan.moves.items()):
        Path(new).parent.mkdir(parents=True, exist_ok=True)
        git("mv", old, new)
        report.append(f"git mv {old} {new}")
    for old in plan.removed:
        git("rm", "-q", old)
        report.append(f"git rm {old} (empty)")
    for old, new in sorted(plan.moves.items()):
        if new.endswith(".py"):
            text, notes = file_anchors(Path(new), old, new)
            Path(new).write_text(text)
            report.extend(notes)
    return report


def tidy(changed: list[Path], rewritten: list[tuple[Path, int, str]]) -> list[str]:
    """Imports sorted again (module names changed) with ruff, the project's linter; a line a
    longer path pushed over ruff's limit is named, for a person to rewrap."""
    python = [p for p in changed if p.suffix == ".py"]
    if python:
        subprocess.run([sys.executable, "-m", "ruff", "check", "--select", "I", "--fix",
                        "--quiet", *map(str, python)], check=False)
    long = []
    for path, number, _ in rewritten:
        lines = path.read_text().splitlines()
        too_long = number <= len(lines) and len(lines[number - 1]) > 100
        if path.suffix in (".py", ".toml") and too_long:
            long.append(f"LONGER THAN 100 after the rewrite, rewrap it: {path}:{number}")
    return long


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="print the plan only")
    parser.add_argument("--commit", action="store_true",
                        help=f"commit the result as {COMMIT_MESSAGE!r} (needs a clean tree)")
    args = parser.parse_args(argv)
    if not (Path("pyproject.toml").is_file() and Path(TESTS).is_dir()):
        print("layout: run me from the repository root", file=sys.stderr)
        return 3
    if args.commit and git("status", "--porcelain", "--untracked-files=no").strip():
        print("layout: --commit needs a clean tree (the commit holds only this script's work)",
              file=sys.stderr)
        return 3
    _, _, tiers = tier_router()
    files = [f for f in git("ls-files", "-z", TESTS).split("\0") if f]
    untracked = [f for f in git("ls-files", "-z", "--others", "--exclude-standard",
                                TESTS).split("\0") if is_test_file(PurePosixPath(f).name)]
    plan = plan_moves(files, tiers)
    for name in untracked:
        plan.notes.append(f"untracked {name}: not moved (git add it and run again)")
    if args.dry_run:
        for old, new in sorted(plan.moves.items()):
            print(f"would git mv {old} {new}")
        for line in [*plan.removed, *plan.notes]:
            print(line)
        return 0
    report = apply(plan)
    conftests = write_conftests(plan)
    report += conftests + register_plugins()
    refs = reference_files()
    rewritten = rewrite_references(plan, refs)
    report += [f"rewrote {path}:{number}: {line[:100]}" for path, number, line in rewritten]
    changed = sorted({path for path, _, _ in rewritten}
                     | {Path(new) for new in plan.moves.values()})
    report += tidy(changed, rewritten)
    report += rewrite_tier_paths(Path("pyproject.toml"), tiers)
    report += plan.notes
    for line in report:
        print(line)
    left = leftovers(plan, refs)
    for line in left:
        print(f"left for a hand edit (an old folder named): {line}")
    moved = sum(1 for new in plan.moves.values() if is_test_file(PurePosixPath(new).name))
    print(f"layout: {moved} test file(s) moved, {len(plan.moves) - moved} helper(s), "
          f"{len(conftests)} conftest(s) written or removed, {len(left)} reference(s) left")
    if args.commit and (plan.moves or plan.removed):
        git("add", "-u")
        git("commit", "-q", "-m", COMMIT_MESSAGE)
        print(f"layout: committed {git('rev-parse', '--short', 'HEAD').strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
