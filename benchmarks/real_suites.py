"""Adoption on real suites (run on demand, never in CI): does adding ``[tool.pyramid]`` to a
real project change any test outcome, and what does it cost?

    python benchmarks/real_suites.py [--projects packaging,dateutil,more-itertools]
                                     [--repeat 1] [--work DIR] [--keep]

For each project it downloads the released sdist with pip (``--no-binary :all:``), installs
it with its test dependencies and this checkout of pytest-pyramid into one virtualenv, then
runs its suite four times: bare (``-p no:pyramid``) and with a minimal configuration - a
``[tool.pyramid]`` table in ``pyproject.toml``, or a ``pyramid.toml`` for a project configured
in setup.cfg - each serially and under ``-n 2``. Outcomes are compared per test id from JUnit
XML (passed, failed, error, skipped, xfailed); the overhead is the ratio of wall times (the
fastest of ``--repeat`` runs of each arm, the arms alternating so machine noise hits both).
The table at the end is what the closing note of an adoption change quotes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import resource

CHECKOUT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Project:
    name: str
    requirement: str
    #: what its tests need besides pytest
    test_deps: tuple[str, ...]
    #: where its tests live, relative to the sdist's root
    tests: str = "tests"
    #: how the minimal configuration is added: "pyproject" or "standalone" (pyramid.toml)
    config: str = "pyproject"
    #: extra pytest arguments its own CI passes
    args: tuple[str, ...] = ()
    notes: str = ""


PROJECTS = {
    "packaging": Project(
        "packaging", "packaging==24.2", ("pretend", "pip"),
        notes="no pytest config; src layout",
    ),
    "dateutil": Project(
        "dateutil", "python-dateutil==2.9.0", ("freezegun", "hypothesis", "six", "pytest-cov"),
        config="standalone",
        # its tests pass a generator to parametrize, which pytest 9 deprecates: under its
        # filterwarnings=error that is a collection error, bare or not
        args=("-W", "ignore::pytest.PytestRemovedIn10Warning"),
        notes="setup.cfg, filterwarnings=error, xfail_strict, Hypothesis, a conftest plugin",
    ),
    "more-itertools": Project(
        "more-itertools", "more-itertools==10.5.0", (),
        notes="unittest suite, subtests",
    ),
}

#: a minimal configuration: the table alone (every test falls in the default tier)
MINIMAL = "[tool.pyramid]\n"


@dataclass
class Arm:
    label: str
    seconds: list[float] = field(default_factory=list)
    #: CPU seconds (user + system) of the run and its workers
    cpu: list[float] = field(default_factory=list)
    exit: int | None = None
    outcomes: dict[str, str] = field(default_factory=dict)
    decision: str = "-"


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, check: bool = True,
        timeout: float = 3600) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return result


def fetch(project: Project, work: Path, python: Path) -> Path:
    """Download and unpack the released sdist; return its root."""
    downloads = work / "sdists"
    downloads.mkdir(exist_ok=True)
    run([str(python), "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
         project.requirement, "-d", str(downloads)], cwd=work)
    stem = project.requirement.replace("==", "-")
    archive = next(p for p in downloads.iterdir() if p.name.startswith(stem)
                   and p.name.endswith(".tar.gz"))
    target = work / "src"
    target.mkdir(exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target / archive.name.removesuffix(".tar.gz")


def environment(work: Path, projects: list[Project]) -> Path:
    """One virtualenv with every project, its test dependencies and this checkout."""
    venv = work / "venv"
    if not (venv / "bin" / "python").exists():
        run([sys.executable, "-m", "venv", str(venv)], cwd=work)
    python = venv / "bin" / "python"
    deps = sorted({d for p in projects for d in p.test_deps})
    run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "-e", f"{CHECKOUT}[xdist]", *deps], cwd=work)
    return python


def configure(project: Project, root: Path) -> str:
    """Add the minimal configuration; say how."""
    if project.config == "standalone":
        (root / "pyramid.toml").write_text("# pytest-pyramid, minimal\n")
        return "pyramid.toml (setup.cfg project)"
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text() if pyproject.exists() else ""
    if "[tool.pyramid]" not in text:
        pyproject.write_text(text.rstrip("\n") + "\n\n" + MINIMAL)
    return "[tool.pyramid] in pyproject.toml"


def outcomes(junit: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        key = f"{case.get('classname')}::{case.get('name')}"
        outcome = "passed"
        for child in case:
            if child.tag == "failure":
                outcome = "failed"
            elif child.tag == "error":
                outcome = "error"
            elif child.tag == "skipped":
                outcome = "xfailed" if child.get("type") == "pytest.xfail" else "skipped"
        found[key] = outcome
    return found


@dataclass
class Running:
    arm: Arm
    args: list[str]
    process: subprocess.Popen[bytes]
    started: float
    junit: Path
    log: Path


def start_run(python: Path, root: Path, project: Project, arm: Arm, args: list[str],
              out: Path) -> Running:
    junit = out / f"{arm.label.replace(' ', '_')}.xml"
    junit.unlink(missing_ok=True)
    log = out / f"{arm.label.replace(' ', '_')}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # parametrisations over sets must be the same in every xdist worker (packaging's are not
    # otherwise, and bare pytest -n 2 fails to start on them as much as with the plugin)
    env["PYTHONHASHSEED"] = "0"
    cmd = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
           f"--junitxml={junit}", *project.args, *args, project.tests]
    with log.open("wb") as handle:  # a file, not a pipe: nothing blocks on a full pipe
        process = subprocess.Popen(cmd, cwd=root, env=env, stdout=handle,
                                   stderr=subprocess.STDOUT)
    return Running(arm, args, process, time.perf_counter(), junit, log)


def finish_run(running: Running, root: Path, status: int, usage: resource.struct_rusage) -> None:
    """Record wall and CPU seconds (``wait4``: the run and every process it waited for, its
    xdist workers included), the exit status, outcomes and decision."""
    arm = running.arm
    arm.seconds.append(time.perf_counter() - running.started)
    arm.cpu.append(usage.ru_utime + usage.ru_stime)
    arm.exit = os.waitstatus_to_exitcode(status)
    arm.outcomes = outcomes(running.junit) if running.junit.exists() else {}
    verdict = root / "pyramid-verdict.json"
    if "no:pyramid" not in running.args and verdict.exists():
        import json

        arm.decision = json.loads(verdict.read_text()).get("decision", "-")
        verdict.unlink()
    if not arm.outcomes:
        print(running.log.read_text(errors="replace")[-4000:], file=sys.stderr)


def run_arms(python: Path, root: Path, project: Project, arms: list[tuple[Arm, list[str]]],
             out: Path, *, together: bool) -> None:
    """Each arm once: one after the other, or all at the same time (``together``: on a shared
    machine runs that overlap meet the same load)."""
    pending: dict[int, Running] = {}
    for arm, args in arms:
        running = start_run(python, root, project, arm, args, out)
        pending[running.process.pid] = running
        if not together:
            _reap(pending, root)
    while pending:
        _reap(pending, root)


def _reap(pending: dict[int, Running], root: Path) -> None:
    pid, status, usage = os.wait4(-1, 0)
    running = pending.pop(pid)
    running.process.returncode = os.waitstatus_to_exitcode(status)
    finish_run(running, root, status, usage)


MODES = {"serial": [], "-n 2": ["-n", "2"]}


def compare(project: Project, root: Path, python: Path, out: Path, repeat: int,
            modes: list[str], *, together: bool) -> list[str]:
    rows = []
    for mode in modes:
        extra = MODES[mode]
        bare = Arm(f"{project.name} {mode} bare")
        pyramid = Arm(f"{project.name} {mode} pyramid")
        pairs = [(bare, ["-p", "no:pyramid", *extra]), (pyramid, [*extra])]
        for index in range(repeat):  # alternate which arm starts: noise hits both alike
            run_arms(python, root, project, pairs if index % 2 == 0 else pairs[::-1], out,
                     together=together)
        same = bare.outcomes == pyramid.outcomes and bool(bare.outcomes)
        differ = sorted(k for k in bare.outcomes.keys() | pyramid.outcomes.keys()
                        if bare.outcomes.get(k) != pyramid.outcomes.get(k))
        counts = {o: list(bare.outcomes.values()).count(o)
                  for o in ("passed", "failed", "error", "skipped", "xfailed")}
        shown = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
        ratio = min(pyramid.seconds) / min(bare.seconds)
        # the two runs of a round are seconds apart: a slow phase of a shared machine
        # cancels out of their ratio better than out of the ratio of the fastest runs
        paired = statistics.median(
            p / b for p, b in zip(pyramid.seconds, bare.seconds, strict=True))
        cpu = statistics.median(p / b for p, b in zip(pyramid.cpu, bare.cpu, strict=True))
        rows.append(
            f"| {project.name} | {mode} | {len(bare.outcomes)} ({shown}) | "
            f"{'yes' if same else f'NO ({len(differ)}: {differ[:3]})'} | "
            f"{bare.exit} / {pyramid.exit} | {pyramid.decision} | "
            f"{min(bare.seconds):.1f} | {min(pyramid.seconds):.1f} | {ratio:.3f}x | "
            f"{paired:.3f}x | {cpu:.3f}x |"
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", default=",".join(PROJECTS))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--modes", default=",".join(MODES),
                        help=f"comma-separated, of: {', '.join(MODES)}")
    parser.add_argument("--side-by-side", action="store_true",
                        help="run the two arms of a round at the same time (a shared machine)")
    parser.add_argument("--work", default=None, help="working directory (default: a temp one)")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    args = parser.parse_args()
    projects = [PROJECTS[name.strip()] for name in args.projects.split(",") if name.strip()]
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="real-suites-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        python = environment(work, projects)
        rows = []
        for project in projects:
            root = fetch(project, work, python)
            run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                 "--no-deps", str(root)], cwd=work)
            how = configure(project, root)
            print(f"{project.name}: {project.notes}; configured with {how}", flush=True)
            out = work / "junit"
            out.mkdir(exist_ok=True)
            rows.extend(compare(project, root, python, out, args.repeat,
                                [m.strip() for m in args.modes.split(",") if m.strip()],
                                together=args.side_by_side))
        print()
        print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        print("| project | mode | tests (bare outcomes) | same outcomes | exit bare / pyramid "
              "| verdict | bare s | pyramid s | wall ratio (fastest) "
              "| wall ratio (per-round median) | CPU ratio (per-round median) |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        print("\n".join(rows))
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
