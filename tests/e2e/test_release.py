"""The release path as a user meets it: the sdist and the wheel built as a release builds
them (``python -m build``: the sdist, then the wheel from the sdist), checked (``twine
check``, every file of the package in both), the WHEEL installed into a fresh virtualenv
outside the repository, and from there ``pyramid --help``, ``pyramid --version`` and the
demo suite (``suites/``, copied out). No editable install and no file of this checkout is on
the path there: what runs is what a user would get from the package index.

And the other project on the package index, ``pytest-pyramid`` (Pyramid web framework
fixtures, the same import package ``pytest_pyramid``), installed next to ours in either
order, or removed again (which deletes files we share with it): pytest and the ``pyramid``
command each say so in one line instead of failing on a plugin registered twice.

Affordable: one build per session (tests/support/shared.py: the sdist and the wheel, built
once, read by both tests), pip installs from its cache, the only network is the package index.
"""

from __future__ import annotations

import email.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from pytest_pyramid import DISTRIBUTION, __version__
from pytest_pyramid.verdict import load_verdict
from tests.git_repo import git
from tests.support.deploy import host
from tests.support.shared import release_dist

ROOT = Path(__file__).resolve().parents[2]
#: what a user's shell would not have: our test run's own plugin and coverage state
DROP = ("PYTHONPATH", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_TESTRUNUID",
        "PYTEST_CURRENT_TEST", "VIRTUAL_ENV", "COV_CORE_SOURCE", "COV_CORE_CONFIG",
        "COV_CORE_DATAFILE", "CI_NODE_INDEX", "CI_NODE_TOTAL", "GITHUB_STEP_SUMMARY",
        "PIP_REQUIRE_VIRTUALENV",
        # the release's processes run the wheel, not the tree: followed, they would report its
        # package as foreign code (hostile case 202); unfollowed, each is the `python
        # <unrecorded>` the project vouches for in [tool.pyramid] allow_options
        "PYRAMID_RECORD_SPOOL")
DEMO_ARTIFACTS = (".pyramid", "pyramid-verdict*", "pyramid-report*", ".coverage*",
                  "__pycache__", ".pytest_cache", ".hypothesis", "pyramid-partial-*")
#: the other project on the package index (see pytest_pyramid/foreign.py)
FOREIGN = "pytest-pyramid==2.0.0"


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in DROP}


def run(*cmd: str | Path, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env(), text=True,
                          capture_output=True, timeout=timeout, check=False)


def ok(*cmd: str | Path, cwd: Path, timeout: float = 900) -> str:
    result = run(*cmd, cwd=cwd, timeout=timeout)
    assert result.returncode == 0, f"{cmd}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def source_files() -> list[str]:
    """The files of this checkout a release is built from: tracked, or new and not ignored."""
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    return sorted({name for name in listed.split("\0") if name and (ROOT / name).is_file()})


def copy_source(target: Path) -> Path:
    for name in source_files():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    return target


def package_files() -> set[str]:
    """Every file of the import package in this checkout: code, schemas, data, py.typed."""
    return {name for name in source_files() if name.startswith("pytest_pyramid/")}


def venv(where: Path) -> Path:
    """A fresh virtualenv outside the repository; its python."""
    ok(sys.executable, "-m", "venv", where, cwd=where.parent, timeout=300)
    return where / "bin" / "python"


def pip(python: Path, *args: str | Path) -> str:
    # --no-compile: pip's byte-compiling of every installed file (the extras are large: about
    # 10 s of CPU) proves nothing here (pip ignores a file that does not compile); what the
    # demo imports is compiled when it is imported
    if args and args[0] == "install":
        args = ("install", "--no-compile", *args[1:])
    return ok(python, "-m", "pip", "--disable-pip-version-check", "-q", *args,
              cwd=python.parent, timeout=900)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single line a clash must be told in: no traceback, nothing else."""
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout + result.stderr
    assert "Traceback" not in lines[0]
    return lines[0]


def build(dist: Path) -> None:
    """The sdist from a copy of the checkout, then the wheel from the sdist, into ``dist``."""
    src = copy_source(dist.parent / "src")
    ok(sys.executable, "-m", "build", "--outdir", dist, src, cwd=dist.parent)


@pytest.fixture
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release's sdist and wheel, built once per session for both tests here."""
    return release_dist(tmp_path_factory, build)


def test_a_release_builds_checks_installs_from_its_wheel_and_runs_the_demo(
    tmp_path: Path, dist: Path,
) -> None:
    wheel_name = DISTRIBUTION.replace("-", "_")
    wheels = sorted(dist.glob(f"{wheel_name}-{__version__}-*.whl"))
    sdists = sorted(dist.glob(f"{wheel_name}-{__version__}.tar.gz"))
    built = sorted(p.name for p in dist.iterdir())
    assert len(wheels) == 1, built
    assert len(sdists) == 1, built
    wheel, sdist = wheels[0], sdists[0]
    ok(sys.executable, "-m", "twine", "check", "--strict", wheel, sdist, cwd=tmp_path)

    # both hold every file of the package: each schema and data file the code reads included
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
        info = next(n for n in in_wheel if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(archive.read(info).decode())
        entry_points = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    assert sorted(package_files() - in_wheel) == []
    with tarfile.open(sdist) as archive:
        prefix = f"{wheel_name}-{__version__}/"
        in_sdist = {name.removeprefix(prefix) for name in archive.getnames()}
    assert sorted(package_files() - in_sdist) == []
    assert {"pyproject.toml", "setup.py", "README.md", "LICENSE", "CHANGELOG.md"} <= in_sdist
    # the closed world's line, at the top of site-packages (run/early.py, setup.py)
    assert "pytest_pyramid_record.pth" in in_wheel
    assert (metadata["Name"], metadata["Version"]) == (DISTRIBUTION, __version__)
    # the install check is the first pytest11 entry point pytest loads (see guard.py)
    pytest11 = entry_points.split("[pytest11]")[1].split("[")[0].split()
    assert pytest11[:3] == ["_pyramid_install_check", "=", "pytest_pyramid.guard"]
    # a CHANGELOG entry for the version being released
    assert re.search(rf"^## {re.escape(__version__)}\b", (ROOT / "CHANGELOG.md").read_text(),
                     re.MULTILINE), f"CHANGELOG.md has no '## {__version__}' entry"

    # the wheel in a fresh virtualenv outside the repository, with the extras the demo uses
    python = venv(tmp_path / "venv")
    pip(python, "install", f"{wheel}[all]")
    bin_dir = python.parent
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = ok(python, "-c", "import pytest_pyramid; print(pytest_pyramid.__file__)",
               cwd=elsewhere)
    assert Path(where.strip()).is_relative_to(tmp_path / "venv"), where
    assert ROOT not in Path(where.strip()).parents
    help_text = ok(bin_dir / "pyramid", "--help", cwd=elsewhere)
    assert "usage: pyramid" in help_text
    assert ok(bin_dir / "pyramid", "--version", cwd=elsewhere).strip() == f"pyramid {__version__}"
    installed = ok(python, "-c", f"from importlib.metadata import version; "
                   f"print(version({DISTRIBUTION!r}))", cwd=elsewhere)
    assert installed.strip() == __version__

    # the demo suite, copied out and committed on its own, run with the installed wheel
    demo = tmp_path / "demo" / "suites"
    shutil.copytree(ROOT / "suites", demo, ignore=shutil.ignore_patterns(*DEMO_ARTIFACTS))
    git(demo, "init", "-q")
    git(demo, "add", "-A")
    git(demo, "commit", "-qm", "demo")
    # -p no:timeout: the demo's per-test limits are sized for a quiet machine; what this
    # proves is that the installed wheel runs every tier, not how fast a busy CI machine is
    result = run(python, "-m", "pytest", "-n", "2", "-q", "-p", "no:timeout", cwd=demo,
                 timeout=1800)
    assert result.returncode in (0, 1), result.stdout[-4000:] + result.stderr[-4000:]
    verdict = load_verdict(demo / "pyramid-verdict.json")
    records = json.loads((demo / "pyramid-verdict.results.json").read_text())["tests"]
    failing = [(r["nodeid"], r["outcome"], r.get("message", "")[-1500:]) for r in records
               if r["outcome"] not in ("passed", "skipped", "xfailed")]
    assert failing == [], failing
    # every test passed and every gate was judged: nothing the wheel lacks went missing.
    # (ready or blocked is the demo's own business: its load gates judge a busy machine; and
    # without per-test limits the run is incomplete by the project's own rule.)
    for name, tier in verdict["tiers"].items():
        assert tier["collected"] > 0, (name, tier)
        assert tier["failed"] + tier["errors"] == 0, (name, tier)
    # the only gaps are the ones -p no:timeout asked for: limits not enforced, a plugin off
    assert {p["kind"] for p in verdict["completeness"]} <= {"limits", "narrowed"}, \
        verdict["completeness"]
    # static.audit: pip-audit's vulnerability service is out of reach where only the package
    # index is (toolchain notes), so that gate is not_evaluated by design, here as in ./dev demo
    unjudged = [g["id"] for g in verdict["gates"] if g["status"] == "not_evaluated"]
    assert set(unjudged) <= {"static.audit"}, unjudged
    assert verdict["tool"]["version"] == __version__
    # the installed package's check, on an empty host (tests/support/deploy/host.py): this
    # machine's /etc/pyramid must not decide the suite's result (the console script ran above)
    check = run(python, "-c", host.LAUNCH, tmp_path / "no-host", "check",
                "pyramid-verdict.json", cwd=demo)
    assert check.returncode == {"ready": 0, "blocked": 1, "incomplete": 1}[verdict["decision"]], \
        check.stdout


def test_the_other_pytest_pyramid_next_to_ours_is_named_in_one_line(
    tmp_path: Path, dist: Path,
) -> None:
    (ours,) = dist.glob("*.whl")
    python = venv(tmp_path / "venv")
    pyramid = python.parent / "pyramid"
    pip(python, "install", ours)
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[tool.pyramid]\nverdict = "v.json"\n')
    (project / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    pytest_cmd = (python, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert run(*pytest_cmd, cwd=project).returncode == 0  # ours alone: a normal run

    def refused(what: str) -> None:
        result = run(*pytest_cmd, cwd=project)
        assert result.returncode == 4, result.stdout + result.stderr
        line = one_line(result)
        assert line.startswith(f"ERROR: {DISTRIBUTION}: "), line
        assert what in line
        assert f"pip uninstall -y pytest-pyramid {DISTRIBUTION}" in line
        result = run(pyramid, "--help", cwd=project)
        assert result.returncode == 3
        assert what in one_line(result)

    # the other project installed over ours: its __init__.py and plugin.py replace ours
    pip(python, "install", FOREIGN)
    refused("the package index's pytest-pyramid 2.0.0 (fixtures for the Pyramid web framework")
    # ours installed over it: its entry point now names our plugin.py
    pip(python, "install", "--force-reinstall", "--no-deps", ours)
    refused("the package index's pytest-pyramid 2.0.0")
    # the other one removed: pip deletes the files it shared with us
    pip(python, "uninstall", "-y", "pytest-pyramid")
    refused("is not this project's (__init__.py, plugin.py missing)")
    # the remedy the line gives works
    pip(python, "install", "--force-reinstall", "--no-deps", ours)
    assert run(*pytest_cmd, cwd=project).returncode == 0
