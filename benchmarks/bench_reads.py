"""How often one run opens and stats each file of the project (run on demand, never as tests).

    python benchmarks/bench_reads.py [--modules 200] [--files 20]

Issue 19's goal: hashing imported files must not read a file twice or walk the whole tree
per test. A project of ``--modules`` modules in one package (``mypkg``) and ``--files`` test
files, each importing its share of the modules, committed to git, is run under
``strace -f`` (so git's processes and C-level opens count too), bare (``-p no:pyramid``)
and active, on a first run (no bytecode, no pytest cache) and on the next one, with one test
per test file and then ten: a cost that grows with the tests would show as more opens or
stats per file with ten. Printed per kind of file (the package's modules, the test files):
successful ``open``/``openat`` and ``stat``-family calls naming the file, the median and
the maximum over the files, in the pytest process (and its Python children) and in git's.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench_core import OTHERS_OFF, child_env

OPENS = ("open", "openat")
STATS = ("stat", "lstat", "newfstatat", "statx", "fstatat64")
#: ``1234 openat(AT_FDCWD, "/x", O_RDONLY) = 3``: the pid, the call, its first path argument
CALL = re.compile(r'^(\d+)\s+(\w+)\((?:AT_FDCWD, |\d+, )?"([^"]*)"(.*)$')
EXEC = re.compile(r'^(\d+)\s+execve\("([^"]+)"')


def write_project(root: Path, modules: int, files: int, tests: int) -> None:
    package = root / "mypkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for index in range(modules):
        (package / f"m{index:03d}.py").write_text(
            f"VALUE = {index}\n\n\ndef value() -> int:\n    return VALUE\n")
    folder = root / "tests" / "unit"
    folder.mkdir(parents=True)
    share = max(1, modules // files)
    for number in range(files):
        names = [f"m{i:03d}" for i in range(number * share, min(modules, (number + 1) * share))]
        body = "".join(f"from mypkg import {name}\n" for name in names)
        body += "".join(
            f"\n\ndef test_{t}():\n    assert {names[0] if names else 'mypkg'}.value() >= 0\n"
            if names else f"\n\ndef test_{t}():\n    assert True\n"
            for t in range(tests))
        (folder / f"test_f{number:03d}.py").write_text(body)
    (root / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\npythonpath = ["."]\n\n[tool.pyramid]\n')
    (root / ".gitignore").write_text("pyramid-verdict*.json\n__pycache__/\n")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "project"]):
        subprocess.run([*git, *command], cwd=root, check=True, capture_output=True)


def traced(root: Path, args: list[str], trace: Path) -> None:
    calls = ",".join(("execve", *OPENS, *STATS))
    result = subprocess.run(
        ["strace", "-f", "-qq", "-e", f"trace={calls}", "-o", str(trace),
         sys.executable, "-m", "pytest", *OTHERS_OFF, *args],
        cwd=root, capture_output=True, text=True, env=child_env(root.parent / "pycache"),
    )
    if result.returncode != 0:
        raise SystemExit(f"pytest {args} failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")


def counts(root: Path, trace: Path) -> dict[tuple[str, str], Counter[str]]:
    """(who, call kind) -> calls per file under ``root`` (who: python or git)."""
    git_pids: set[str] = set()
    found: dict[tuple[str, str], Counter[str]] = {}
    prefix = str(root) + os.sep
    for line in trace.read_text(errors="replace").splitlines():
        started = EXEC.match(line)
        if started:
            if os.path.basename(started.group(2)) == "git" and "ENOENT" not in line:
                git_pids.add(started.group(1))
            continue
        call = CALL.match(line)
        if not call or "= -1 " in call.group(4) or not call.group(3):
            continue
        pid, name, path = call.group(1), call.group(2), call.group(3)
        kind = "open" if name in OPENS else "stat" if name in STATS else None
        if kind is None:
            continue
        full = path if os.path.isabs(path) else os.path.normpath(os.path.join(root, path))
        if not full.startswith(prefix):
            continue
        who = "git" if pid in git_pids else "python"
        found.setdefault((who, kind), Counter())[full[len(prefix):]] += 1
    return found


def report(label: str, root: Path, found: dict[tuple[str, str], Counter[str]]) -> None:
    groups = {
        "modules": sorted(str(p.relative_to(root)) for p in (root / "mypkg").glob("m*.py")),
        "test files": sorted(str(p.relative_to(root)) for p in (root / "tests").rglob("test_*.py")),
    }
    for group, files in groups.items():
        cells = []
        for who in ("python", "git"):
            for kind in ("open", "stat"):
                per_file = [found.get((who, kind), Counter())[f] for f in files]
                cells.append(f"{who} {kind} {statistics.median(per_file):g}/{max(per_file)}")
        print(f"  {label:<28} {group:<10} " + "  ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--files", type=int, default=20)
    args = parser.parse_args()
    if not shutil.which("strace"):
        raise SystemExit("needs strace")
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"{args.modules} modules, {args.files} test files; per file: median/max of successful"
          " calls naming it (open: open/openat; stat: the stat family)")
    for tests in (1, 10):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp, "project")
            write_project(root, args.modules, args.files, tests)
            for arm, extra in (("bare", ["-p", "no:pyramid"]), ("active", [])):
                shutil.rmtree(Path(tmp, "pycache"), ignore_errors=True)
                shutil.rmtree(root / ".pytest_cache", ignore_errors=True)
                for run in ("first run", "next run"):
                    trace = Path(tmp, "trace")
                    traced(root, extra, trace)
                    report(f"{arm}, {run}, {tests} test(s)/file", root, counts(root, trace))
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
