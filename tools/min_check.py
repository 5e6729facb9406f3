"""Run the "plugin works on the lowest pytest" subset against an INSTALLED package.

``./dev min`` and ``tox -e min`` make an environment with the floors ``tools/floors.py
xdist cov flaky`` pins (pytest, pytest-xdist, pytest-timeout, jsonschema, pytest-cov,
coverage, pytest-rerunfailures at the lowest release pyproject.toml admits: the subset runs
their options; pluggy and the rest as pytest resolves them) and this package
installed from a wheel (``pip install .``), as a user gets it. Then this script runs the
subset below with that environment's interpreter.

Why from a copy of tests/: ``python -m pytest`` puts the current folder first on
``sys.path``, so run from the checkout it would import ``pytest_pyramid`` from the source
tree and never test the installed one (where the plugin knows its own files by their
place). The copy holds only tests/, pyproject.toml and conftest.py (the suite's own
configuration), so the package can come only from site-packages; the script refuses to
run otherwise.

    PYTHON tools/min_check.py [--ci] [PYTEST ARGS ...]     # PYTHON: the min environment's
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: What proves the plugin works on the lowest pytest: every registered option classified
#: (the unit table walks them, 8.4's too), the invocation allow-list and the closed world
#: end to end, the plugin's own integration file, xdist's route, and the rewrite-cache
#: guard (assertion rewriting reads test files differently across pytest releases).
SUBSET = (
    "tests/unit/run/test_invocation_table.py",
    "tests/integration/run/test_invocation.py",
    "tests/integration/run/test_closed_world.py",
    "tests/integration/test_plugin.py",
    "tests/integration/run/test_xdist.py",
    "tests/integration/run/test_reads_once.py",
    "tests/unit/run/test_installed_logic.py",
    "tests/integration/run/test_stale_install.py",
)

#: The CI leg (``.ci/run``: ``./dev min --ci``), bounded to about 5 min of a quiet machine: the
#: option table on 8.4's options, the plugin's hooks end to end on the lowest pytest (a ready
#: run, a failure, a per-test kill through pytest-timeout, an interrupt, narrowing, --lf),
#: the invocation allow-list on a plain run serial and under -n 2, and xdist's route.
CI_SUBSET = (
    "tests/unit/run/test_invocation_table.py",
    "tests/integration/test_plugin.py::test_full_run_writes_a_ready_verdict",
    "tests/integration/test_plugin.py::test_failed_test_blocks",
    "tests/integration/test_plugin.py::test_per_test_timeout_kills_and_names_tier_and_limit",
    "tests/integration/test_plugin.py::test_keyboard_interrupt_writes_an_incomplete_verdict",
    "tests/integration/test_plugin.py::test_k_filter_makes_the_verdict_incomplete",
    "tests/integration/test_plugin.py::test_lf_works_with_tiers",
    "tests/integration/run/test_invocation.py::test_the_invocation_is_allow_listed",
    "tests/integration/run/test_xdist.py",
    # which distribution holds a file, by its record on every version (3.10's own lookup reads
    # only top_level.txt: every run there named exceptiongroup), and a stale install named
    "tests/unit/run/test_installed_logic.py",
    "tests/integration/run/test_stale_install.py::"
    "test_a_module_the_commit_deleted_is_named_from_a_stale_install[no-record-serial]",
    "tests/integration/run/test_stale_install.py::"
    "test_a_module_the_commit_deleted_is_named_from_a_stale_install[a-dependencys-module-serial]",
)
#: Of CI_SUBSET's parametrised allow-list cases, the plain run (serial and -n 2).
CI_KEYWORDS = "not test_the_invocation_is_allow_listed or nothing-added"

#: Printed first, so a report says which versions it proved.
SHOWN = ("pytest", "pluggy", "pytest-xdist", "execnet", "pytest-timeout", "jsonschema",
         "pytest-cov", "coverage", "pytest-rerunfailures")


def installed_package(cwd: Path) -> Path:
    """Where ``pytest_pyramid`` is imported from when run in ``cwd``, as pytest will."""
    out = subprocess.run(
        [sys.executable, "-c", "import pytest_pyramid; print(pytest_pyramid.__file__)"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip()).resolve()


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    shown = []
    for name in SHOWN:
        try:
            shown.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            shown.append(f"{name} (not installed)")
    return f"Python {sys.version.split()[0]}, " + ", ".join(shown)


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="pyramid-min-") as tmp:
        suite = Path(tmp)
        shutil.copytree(ROOT / "tests", suite / "tests",
                        ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("pyproject.toml", "conftest.py"):  # the suite's configuration
            shutil.copy2(ROOT / name, suite / name)
        origin = installed_package(suite)
        site = Path(sysconfig.get_paths()["purelib"]).resolve()
        if site not in origin.parents:
            print(f"min_check: pytest_pyramid comes from {origin}, not from {site}: "
                  "install the package with `pip install .`", file=sys.stderr)
            return 3
        print(f"min_check: {versions()}; pytest_pyramid from {origin.parent}", flush=True)
        chosen: tuple[str, ...] = SUBSET
        if argv[:1] == ["--ci"]:
            chosen, argv = (*CI_SUBSET, "-k", CI_KEYWORDS), argv[1:]
        command = [sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider",
                   *chosen, *argv]
        return subprocess.run(command, cwd=suite, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
