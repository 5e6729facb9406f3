"""The package's structure, read from its imports (every import: module level, inside
functions, under ``TYPE_CHECKING``): no cycles, and no import from a lower stage to a higher
one. docs/architecture.md describes exactly these rules."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pytest_pyramid"

#: Stages in the order a run flows through them; a module may import its own stage and
#: the stages before it, never a later one.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # shared currency and plumbing every stage reads
    ("base", ("pytest_pyramid", "pytest_pyramid.errors",
              "pytest_pyramid._files", "pytest_pyramid.durations",
              "pytest_pyramid.globs",
              "pytest_pyramid.results",
              "pytest_pyramid.config",
              "pytest_pyramid.config_schema", "pytest_pyramid.project",
              "pytest_pyramid.foreign",
              "pytest_pyramid.schema_passes")),
    ("run", ("pytest_pyramid.run",)),
    ("toolkits", ("pytest_pyramid.toolkits",)),
    ("gates", ("pytest_pyramid.gates",)),
    ("verdict", ("pytest_pyramid.verdict",)),
    ("deploy", ("pytest_pyramid.deploy",)),
    # the entry points wire every stage together
    ("entry", ("pytest_pyramid.plugin", "pytest_pyramid.cli",
               "pytest_pyramid.__main__",
               "pytest_pyramid.deploy.__main__", "pytest_pyramid.markers", "pytest_pyramid.guard")),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def stage_of(name: str) -> int:
    best, found = -1, -1
    for index, (_, prefixes) in enumerate(STAGES):
        for prefix in prefixes:
            inside = prefix != "pytest_pyramid" and name.startswith(prefix + ".")
            matches = name == prefix or inside
            if matches and len(prefix) > best:
                best, found = len(prefix), index
    if found < 0 and name == "pytest_pyramid":
        return 0
    if found < 0:
        raise AssertionError(f"{name} belongs to no stage: add it to STAGES")
    return found


@functools.cache
def nodes(path: Path) -> tuple[ast.AST, ...]:
    """Every node of a file, parsed once per process: a dozen scans read every module, and
    parsing the package takes seconds on a loaded CI machine (4.9 s at load 28)."""
    return tuple(ast.walk(ast.parse(path.read_text("utf-8"))))


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``name`` imports, resolved to the longest known module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in nodes(path):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target.startswith("pytest_pyramid"):
                found.add(target)  # importing a.b.c runs a/b/__init__ too: that is an edge
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    names = set(found)
    return {name: imports_of(name, path, names) for name, path in found.items()}


def test_every_module_has_a_stage() -> None:
    for name in modules():
        stage_of(name)


def test_imports_only_go_down_the_flow() -> None:
    upward = []
    for name, targets in graph().items():
        for target in targets:
            if "pytest_pyramid" in (name, target):
                continue  # the package's own __init__ (version, lazy re-exports)
            if stage_of(target) > stage_of(name):
                upward.append(
                    f"{name} ({STAGES[stage_of(name)][0]}) imports {target} "
                    f"({STAGES[stage_of(target)][0]})"
                )
    assert upward == []


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target):], target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


#: known cycles being removed by work in flight; this list only ever shrinks
KNOWN_CYCLES: set[tuple[str, str]] = set()


def test_no_import_cycles() -> None:
    edges = {
        name: {t for t in targets if t != "pytest_pyramid" and (name, t) not in KNOWN_CYCLES}
        for name, targets in graph().items()
    }
    cycle = find_cycle(edges)
    assert cycle is None, " -> ".join(cycle or [])


@pytest.mark.parametrize(
    ("edges", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"]),
    ],
)
def test_the_cycle_finder(edges: dict[str, set[str]], cycle: list[str] | None) -> None:
    assert find_cycle(edges) == cycle


def test_the_walker_sees_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pytest_pyramid.verdict.document import Verdict\n"
        "def f():\n    from pytest_pyramid.gates import engine\n"
    )
    probe = tmp_path / "probe.py"
    probe.write_text(source)
    found = imports_of("pytest_pyramid.run.probe", probe, set(modules()))
    assert {"pytest_pyramid.verdict.document", "pytest_pyramid.gates.engine"} <= found


#: the project loader: the one module that reads a project's TOML files
LOADER = "pytest_pyramid.project"
#: what only the loader may do: parse TOML, or find a project file by its name
TOML_READS = {"load", "loads"}
PROJECT_FILE_NAMES = {"pyproject.toml", "pyramid.toml"}


def second_loaders(name: str, path: Path) -> list[str]:
    """Where a module other than the loader reads TOML or walks folders for a project file:
    a ``tomllib``/``tomli`` import, or a ``for ... in (start, *start.parents)`` search that
    names ``pyproject.toml`` / ``pyramid.toml``."""
    if name == LOADER:
        return []
    found: list[str] = []
    for node in nodes(path):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                node.module or ""]
            if any(n.split(".")[0] in ("tomllib", "tomli") for n in names):
                found.append(f"{name}:{node.lineno}: imports a TOML parser")
        if isinstance(node, ast.For | ast.comprehension) and "parents" in ast.dump(node.iter):
            body = ast.dump(node)
            if any(repr(file) in body for file in PROJECT_FILE_NAMES):
                found.append(f"{name}:{getattr(node, 'lineno', '?')}: searches folders for "
                             "a project file")
    return found


def test_no_second_project_loader() -> None:
    problems = [p for name, path in modules().items() for p in second_loaders(name, path)]
    assert problems == [], "use pytest_pyramid.project (the one loader):\n" + "\n".join(problems)


def test_the_loader_scan_sees_a_second_loader(tmp_path: Path) -> None:
    """The scan above can fail: a module reading TOML itself, or walking up for a file."""
    reader = tmp_path / "reader.py"
    reader.write_text("import tomllib\n", "utf-8")
    walker = tmp_path / "walker.py"
    walker.write_text("def f(start):\n    for d in (start, *start.parents):\n"
                      "        p = d / 'pyramid.toml'\n", "utf-8")
    assert second_loaders("pytest_pyramid.reader", reader)
    assert second_loaders("pytest_pyramid.walker", walker)
    assert second_loaders(LOADER, reader) == []


#: the one module that asks git what changed since a base revision (issue 21: flaky on
#: arrival, the risk gate and the coverage gate each asked, and resolved the base, alone)
CHANGES = "pytest_pyramid.run.changes"
#: git's words for it: a diff or a merge base
CHANGE_WORDS = {"diff", "merge-base"}


def second_change_readers(name: str, path: Path) -> list[str]:
    """Where a module other than ``run/changes.py`` names ``git diff`` or ``git merge-base``
    (a string constant: ``run_git(top, "diff", ...)``)."""
    if name == CHANGES:
        return []
    return sorted(f"{name}:{node.lineno}: {node.value!r}"
                  for node in nodes(path)
                  if isinstance(node, ast.Constant) and node.value in CHANGE_WORDS)


def test_one_reader_of_the_changes_since_a_base() -> None:
    problems = [p for name, path in modules().items()
                for p in second_change_readers(name, path)]
    assert problems == [], ("ask pytest_pyramid.run.changes (resolve_base, since):\n"
                            + "\n".join(problems))


def test_the_change_scan_sees_a_second_reader(tmp_path: Path) -> None:
    module = tmp_path / "risk.py"
    module.write_text('def f(top, base):\n    run_git(top, "merge-base", base, "HEAD")\n'
                      '    return run_git(top, "diff", "--name-only", base)\n', "utf-8")
    assert second_change_readers("pytest_pyramid.gates.risk", module) == [
        "pytest_pyramid.gates.risk:2: 'merge-base'", "pytest_pyramid.gates.risk:3: 'diff'"]
    assert second_change_readers(CHANGES, module) == []


def report_lists(name: str, path: Path, kinds: set[str]) -> list[str]:
    """Where a module other than the registry names report kinds itself: a string constant
    that is a kind's name or default file, or a collection that lists two kinds or more."""
    if name == "pytest_pyramid.verdict.report_kinds":
        return []
    found: list[str] = []
    for node in nodes(path):
        if isinstance(node, ast.Tuple | ast.List | ast.Set | ast.Dict):
            items = node.keys if isinstance(node, ast.Dict) else node.elts
            named = {i.value for i in items if isinstance(i, ast.Constant)
                     and isinstance(i.value, str)} & kinds
            if len(named) >= 2:
                found.append(f"{name}:{node.lineno}: lists report kinds {sorted(named)}")
    return found


def test_no_second_report_list() -> None:
    """The report kinds are listed once, in report_kinds.KINDS (issue 21: a kind missing
    from one of 11 lists was silently ignored)."""
    from pytest_pyramid.verdict.report_kinds import KINDS

    kinds = {k.name for k in KINDS} | {k.default_file for k in KINDS if k.default_file}
    problems = [p for name, path in modules().items() for p in report_lists(name, path, kinds)]
    assert problems == [], (
        "derive it from pytest_pyramid.verdict.report_kinds:\n" + "\n".join(problems))


def test_the_report_list_scan_sees_a_list(tmp_path: Path) -> None:
    module = tmp_path / "lister.py"
    module.write_text('KINDS = ("html", "junit")\n', "utf-8")
    assert report_lists("pytest_pyramid.lister", module, {"html", "junit"})


def test_every_command_module_is_in_the_command_table() -> None:
    """A ``pyramid`` command is a module of ``cli/`` and one line in ``cli.COMMANDS``: a
    module left out of the table would never be reached, one listed twice would clash."""
    import importlib

    from pytest_pyramid.cli import COMMANDS

    folder = PACKAGE / "cli"
    names = sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))
    adds = [importlib.import_module(f"pytest_pyramid.cli.{name}").add for name in names]
    assert sorted(a.__module__ for a in COMMANDS) == sorted(a.__module__ for a in adds)
    assert len(set(COMMANDS)) == len(COMMANDS)


#: the one trust entry point (``assess``) and the rules only it may call: a route that called
#: them itself would be a second reading of whether a verdict may be trusted
TRUST_ENTRY = "pytest_pyramid.verdict.trust"
TRUST_RULES = {"trust_problems", "resolve_target", "keyring", "signature_problem",
               "verify_verdict", "same_commit", "excluded_problem", "tracked_exclusion",
               "project_problem", "checking_project"}


def trust_rule_callers(name: str, path: Path) -> list[str]:
    """Where a module other than the trust entry point (and signing, which defines
    ``verify_verdict``) names one of the trust rules: imports, calls or attributes."""
    if name in (TRUST_ENTRY, "pytest_pyramid.verdict.signing"):
        return []
    found: list[str] = []
    for node in nodes(path):
        named: set[str] = set()
        if isinstance(node, ast.ImportFrom):
            named = {alias.name for alias in node.names}
        elif isinstance(node, ast.Name):
            named = {node.id}
        elif isinstance(node, ast.Attribute):
            named = {node.attr}
        for rule in sorted(named & TRUST_RULES):
            found.append(f"{name}:{getattr(node, 'lineno', '?')}: {rule}")
    return found


def test_one_trust_entry_point() -> None:
    """Every route that asks whether a verdict may be trusted (pyramid check, the deploy
    gate) calls ``verdict.trust.assess``; no other module runs the rules under it."""
    problems = [p for name, path in modules().items() for p in trust_rule_callers(name, path)]
    assert problems == [], "call pytest_pyramid.verdict.trust.assess:\n" + "\n".join(problems)


def test_the_trust_scan_sees_a_second_route(tmp_path: Path) -> None:
    module = tmp_path / "route.py"
    module.write_text("from pytest_pyramid.verdict import trust\n"
                      "def f(v, t, p):\n    return trust.trust_problems(v, target=t, policy=p)\n",
                      "utf-8")
    assert trust_rule_callers("pytest_pyramid.deploy.route", module) == [
        "pytest_pyramid.deploy.route:3: trust_problems"]
    assert trust_rule_callers(TRUST_ENTRY, module) == []


def router_lists(name: str, path: Path, routers: set[str]) -> list[str]:
    """Where a module other than the router table picks a router by name: a comparison with a
    router's name (``config.router == "command"``, an if-chain) or a collection of two."""
    if name == "pytest_pyramid.deploy.router_kinds":
        return []
    found: list[str] = []
    for node in nodes(path):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            named = {s.value for s in sides if isinstance(s, ast.Constant)
                     and isinstance(s.value, str)} & routers
            if named and "router" in ast.dump(node):
                found.append(f"{name}:{node.lineno}: compares with router {sorted(named)}")
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            named = {i.value for i in node.elts if isinstance(i, ast.Constant)
                     and isinstance(i.value, str)} & routers
            if len(named) >= 2:
                found.append(f"{name}:{node.lineno}: lists routers {sorted(named)}")
    return found


def test_routers_are_found_through_their_table() -> None:
    """Adding a router is a module in deploy/routers/ and one line in deploy/router_kinds.py:
    no if-chain on the router's name, no second list of routers."""
    from pytest_pyramid.deploy.router_kinds import KINDS

    routers = {kind.name for kind in KINDS}
    problems = [p for name, path in modules().items() for p in router_lists(name, path, routers)]
    assert problems == [], "use pytest_pyramid.deploy.router_kinds:\n" + "\n".join(problems)


def test_the_router_scan_sees_an_if_chain(tmp_path: Path) -> None:
    module = tmp_path / "chooser.py"
    module.write_text('def f(config):\n    if config.router == "command":\n        return 1\n'
                      'ROUTERS = ("nginx", "command")\n', "utf-8")
    assert sorted(router_lists("pytest_pyramid.deploy.chooser", module, {"nginx", "command"})) == [
        "pytest_pyramid.deploy.chooser:2: compares with router ['command']",
        "pytest_pyramid.deploy.chooser:4: lists routers ['command', 'nginx']"]


def test_every_router_kind_builds_its_router() -> None:
    """Each line of the table names a factory that exists and a router of that name."""
    import importlib

    from pytest_pyramid.deploy.router_kinds import KINDS

    for kind in KINDS:
        module, _, function = kind.factory.partition(":")
        factory = getattr(importlib.import_module(module), function)
        assert factory.__annotations__["return"].endswith("Router"), kind
        classes = [v for v in vars(importlib.import_module(module)).values()
                   if isinstance(v, type) and getattr(v, "name", None) == kind.name]
        assert classes, f"{module} has no router class named {kind.name!r}"


#: Following one test result from pytest's report hook to the deploy gate, no folder is
#: entered twice (docs/architecture.md counts the crossings): the verdict writer reads what
#: the gates stage judged (``gates/judging.py``) and never asks a gate, and deploy reads
#: what a verdict needs from the trust entry point's answer, never the decision module.
NO_RETURN: dict[str, frozenset[str]] = {
    "pytest_pyramid.verdict.writer": frozenset({
        "pytest_pyramid_gates", "pytest_pyramid_verdict_sections", "collect_gates",
        "pytest_pyramid.gates.engine", "pytest_pyramid.gates.budgets"}),
    "pytest_pyramid.deploy": frozenset({"pytest_pyramid.verdict.decision", "approvals_needed"}),
}


def returns_to_a_folder(name: str, path: Path) -> list[str]:
    """Where ``name`` (or a module under it) names what would take a result back."""
    banned = next((names for prefix, names in NO_RETURN.items()
                   if name == prefix or name.startswith(prefix + ".")), frozenset())
    found: list[str] = []
    for node in nodes(path):
        named: set[str] = set()
        if isinstance(node, ast.ImportFrom):
            named = {node.module or "", *(alias.name for alias in node.names)}
        elif isinstance(node, ast.Import):
            named = {alias.name for alias in node.names}
        elif isinstance(node, ast.Attribute):
            named = {node.attr}
        elif isinstance(node, ast.Name):
            named = {node.id}
        found.extend(f"{name}:{node.lineno}: {n}" for n in sorted(named & banned)
                     if hasattr(node, "lineno"))
    return found


def test_no_return_to_a_folder_already_left() -> None:
    problems = [p for name, path in modules().items() for p in returns_to_a_folder(name, path)]
    assert problems == [], "\n".join(problems)


def gates_outside_gates(name: str, path: Path) -> list[str]:
    """Where a module outside ``gates/`` answers ``pytest_pyramid_gates``: the gates stage
    would hand the run to another folder and take gates back (the coverage gates did, from
    ``cov/``, until it became ``gates/cov/``)."""
    if name == "pytest_pyramid.gates" or name.startswith("pytest_pyramid.gates."):
        return []
    if name == "pytest_pyramid.run.hookspecs":
        return []  # the specification, not an answer
    return [f"{name}:{node.lineno}: answers pytest_pyramid_gates"
            for node in nodes(path)
            if isinstance(node, ast.FunctionDef) and node.name == "pytest_pyramid_gates"]


def test_the_packages_gates_are_answered_inside_gates() -> None:
    problems = [p for name, path in modules().items() for p in gates_outside_gates(name, path)]
    assert problems == [], "\n".join(problems)


def test_the_gates_scan_sees_an_answer_elsewhere(tmp_path: Path) -> None:
    module = tmp_path / "plugin.py"
    module.write_text("class P:\n    def pytest_pyramid_gates(self, config, run):\n"
                      "        return []\n", "utf-8")
    assert gates_outside_gates("pytest_pyramid.cov.plugin", module) == [
        "pytest_pyramid.cov.plugin:2: answers pytest_pyramid_gates"]
    assert gates_outside_gates("pytest_pyramid.gates.cov.plugin", module) == []


def test_the_return_scan_sees_a_return(tmp_path: Path) -> None:
    module = tmp_path / "gate.py"
    module.write_text("from pytest_pyramid.verdict.decision import approvals_needed\n", "utf-8")
    assert returns_to_a_folder("pytest_pyramid.deploy.gate", module) == [
        "pytest_pyramid.deploy.gate:1: approvals_needed",
        "pytest_pyramid.deploy.gate:1: pytest_pyramid.verdict.decision"]
    writer = tmp_path / "writer.py"
    writer.write_text("def f(config, run):\n    return config.hook.pytest_pyramid_gates(run=run)\n",
                      "utf-8")
    assert returns_to_a_folder("pytest_pyramid.verdict.writer", writer) == [
        "pytest_pyramid.verdict.writer:2: pytest_pyramid_gates"]


#: issue 21: the package root holds the base stage's plumbing and the entry row, no more
ROOT_MODULES_AT_MOST = 14


def test_at_most_14_modules_at_the_package_root() -> None:
    """Everything else lives in its stage's folder (the package's own ``__init__`` aside: it
    is the package, with the version and lazy re-exports)."""
    root = sorted(path.name for path in PACKAGE.glob("*.py") if path.name != "__init__.py")
    assert len(root) <= ROOT_MODULES_AT_MOST, root


#: what makes a module not pure (docs/architecture.md: computed from its arguments only): the
#: modules that reach files, the environment, processes or the clock, pytest, and the calls
#: that read or write files, the environment or the time
IMPURE_IMPORTS = frozenset({"pytest", "_pytest", "os", "subprocess", "socket", "shutil",
                            "tempfile", "time", "sqlite3", "pwd", "urllib.request", "http"})
IMPURE_CALLS = frozenset({"open", "read_text", "read_bytes", "write_text", "write_bytes",
                          "exists", "is_dir", "is_file", "iterdir", "glob", "rglob", "stat",
                          "mkdir", "unlink", "environ", "getenv", "now", "utcnow", "today"})
PYTEST_IMPORTS = frozenset({"pytest", "_pytest"})
ARCHITECTURE = PACKAGE.parent / "docs" / "architecture.md"


def impurities(path: Path, banned: frozenset[str], calls: frozenset[str] = frozenset()
               ) -> list[str]:
    """Where ``path`` imports a ``banned`` module or uses one of ``calls`` (a builtin called
    by name, or any attribute so named: ``Path.read_text``, ``os.environ``, ``date.today``;
    a parameter named ``environ`` is an argument, so it is pure)."""
    found = []
    for node in nodes(path):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names if _within(alias.name, banned)]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""] if _within(node.module or "", banned) else []
        elif isinstance(node, ast.Attribute):
            names = [node.attr] if node.attr in calls else []
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            names = [node.func.id] if node.func.id in calls else []  # a builtin: open()
        found += [f"{path.name}:{getattr(node, 'lineno', 0)}: {name}" for name in names]
    return found


def _within(module: str, banned: frozenset[str]) -> bool:
    return any(module == b or module.startswith(b + ".") for b in banned)


def described(text: str, words: str) -> list[Path]:
    """The modules the module table describes with ``words`` ("pure", "no pytest import"):
    the last module named before the words, in its row's folder (a file pattern such as
    ``report_*.py`` is every file it matches)."""
    import re

    found: list[Path] = []
    for row in text.splitlines():
        cells = row.split(" | ")
        if len(cells) < 3 or not row.startswith("| "):
            continue
        folder = re.match(r"`(\w+)/`", cells[1])
        base = PACKAGE / folder.group(1) if folder else PACKAGE
        for claim in re.finditer(rf"\b{words}\b(?=[),;:])", cells[1]):
            named = re.findall(r"`([\w*]+\.py)`", cells[1][:claim.start()])
            assert named, f"{words!r} names no module before it: {cells[1][:claim.end()]}"
            paths = sorted(base.rglob(named[-1]) if folder else base.glob(named[-1]))
            assert paths, f"docs/architecture.md: no {named[-1]} under {base}"
            found += paths
    return found


def test_modules_the_table_calls_pure_read_nothing_and_import_no_pytest() -> None:
    text = ARCHITECTURE.read_text("utf-8")
    pure = described(text, "pure")
    assert len(pure) >= 8  # target, shard, flakes, quarantine_file, nonparametric, renderers
    problems = [p for path in pure for p in impurities(path, IMPURE_IMPORTS, IMPURE_CALLS)]
    assert problems == [], "called pure in docs/architecture.md:\n" + "\n".join(problems)
    no_pytest = described(text, "no pytest import")
    assert len(no_pytest) >= 4  # imported, unfollowed, git_reads, migrations ...
    problems = [p for path in no_pytest for p in impurities(path, PYTEST_IMPORTS)]
    assert problems == [], "\n".join(problems)


def test_the_purity_scan_sees_files_environment_clock_and_pytest(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os.path\nfrom datetime import datetime\nimport pytest\n"
                      "def f(p):\n    return p.read_text(), datetime.now(), open(p)\n", "utf-8")
    assert sorted(impurities(module, IMPURE_IMPORTS, IMPURE_CALLS)) == [
        "m.py:1: os.path", "m.py:3: pytest", "m.py:5: now", "m.py:5: open", "m.py:5: read_text"]
    assert impurities(module, PYTEST_IMPORTS) == ["m.py:3: pytest"]
    table = ("| run | `run/`: `shard.py` (the split; pure) + `sharding.py` (its glue), "
             "`git_reads.py` (git; no pytest import: it reads the environment) | what |\n")
    assert described(table, "pure") == [PACKAGE / "run" / "shard.py"]
    assert described(table, "no pytest import") == [PACKAGE / "run" / "git_reads.py"]


def test_test_modules_have_unique_basenames() -> None:
    """The suite's folders are no packages (rootdir-relative imports, pytest's prepend mode):
    two test modules of one name collide at collection ("import file mismatch"), the whole
    suite's run ends there. Found in a clean clone: tests/unit/cov and tests/integration/cov
    both held a test_cov_config_variables.py."""
    tests = Path(__file__).resolve().parents[1]
    seen: dict[str, Path] = {}
    clashes = []
    for path in sorted(tests.rglob("test_*.py")):
        if path.name in seen:
            clashes.append(f"{seen[path.name].relative_to(tests)} and {path.relative_to(tests)}")
        seen.setdefault(path.name, path)
    assert not clashes, clashes
