"""Tables that passed the schema are remembered in pytest's cache, so a run whose table did
not change need not check it again; the cache never lets a different table through. A valid
table never imports jsonschema, remembered or not (only a refused one is worded by it)."""

from __future__ import annotations

import sys
import textwrap
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.config_schema import schema_text
from pytest_pyramid.schema_passes import pass_key

if TYPE_CHECKING:
    from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: the dev environment's plugins that import jsonschema themselves (schemathesis), or cost
#: seconds of start-up; pytest's cache stays on (that is where the passes are kept)
# (hypothesis's plugin stays: leaving it out on the command line is not harmless, 358)
OTHERS_OFF = ["-p", "no:schemathesis", "-p", "no:locust", "-p", "no:pact", "-p", "no:playwright",
              "-p", "no:anyio", "-p", "no:platformdirs"]
TEST = "def test_one():\n    pass\n"
PROBE = textwrap.dedent(
    """
    import sys

    def test_probe():
        print("JSONSCHEMA-IMPORTED", "jsonschema" in sys.modules)
    """
)


def _project(pytester: pytest.Pytester, table: str, test: str = TEST) -> Path:
    pytester.makefile(".toml", pyproject=f"[tool.pyramid]\n{textwrap.dedent(table)}")
    (pytester.path / "tests").mkdir(exist_ok=True)
    (pytester.path / "tests" / "test_one.py").write_text(test)
    return pytester.path


def _entries(root: Path) -> set[str]:
    folder = root / ".pytest_cache" / "d" / "pytest-pyramid"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def _table_key(root: Path) -> str | None:
    table = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["pyramid"]
    return pass_key(schema_text(), table)  # the shipped file names the schema


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_passing_table_is_remembered_and_a_changed_one_is_checked(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    root = _project(pytester, 'default_tier = "unit"\n')
    first = pytester.runpytest(*OTHERS_OFF, *workers)
    first.assert_outcomes(passed=1)
    assert _table_key(root) in _entries(root)
    assert (root / ".pytest_cache" / ".gitignore").is_file()  # written through config.cache

    # the same entries, another table: the schema speaks, naming the key
    _project(pytester, 'default_tier = 3\n')
    second = pytester.runpytest(*OTHERS_OFF, *workers)
    assert second.ret == pytest.ExitCode.USAGE_ERROR
    assert "[tool.pyramid] default_tier = 3: must be a string" in second.stderr.str()
    assert _table_key(root) not in _entries(root)


def test_corrupt_entries_only_cost_a_check(pytester: pytest.Pytester) -> None:
    root = _project(pytester, 'strict = false\n')
    pytester.runpytest(*OTHERS_OFF).assert_outcomes(passed=1)
    entries = _entries(root)
    assert entries
    folder = root / ".pytest_cache" / "d" / "pytest-pyramid"
    for name in entries:
        (folder / name).write_text("garbage")
    pytester.runpytest(*OTHERS_OFF).assert_outcomes(passed=1)
    assert all((folder / name).read_text() == name for name in entries)  # checked, rewritten
    # an entry for this table planted under another table's name vouches for nothing
    _project(pytester, 'strict = "no"\n')
    planted = _table_key(root)
    assert planted is not None
    for name in entries:
        (folder / name).unlink()
        (folder / name).write_text(planted)
    result = pytester.runpytest(*OTHERS_OFF)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "[tool.pyramid] strict = 'no'" in result.stderr.str()


def test_without_pytests_cache_every_run_checks_and_nothing_is_written(
    pytester: pytest.Pytester,
) -> None:
    root = _project(pytester, 'default_tier = "unit"\n')
    pytester.runpytest("-p", "no:cacheprovider", *OTHERS_OFF).assert_outcomes(passed=1)
    assert not (root / ".pytest_cache").exists()


def test_a_valid_table_needs_no_jsonschema_import_first_run_or_remembered(
    pytester: pytest.Pytester,
) -> None:
    """In a process of its own: the in-process runs above share this one's modules. A fresh
    checkout's first run (no cache) takes the quick check (``config_schema.quick_valid``);
    the next finds the table remembered."""
    root = _project(pytester, 'default_tier = "unit"\n', test=PROBE)
    runs = [pytester.runpytest_subprocess(*OTHERS_OFF, "-s") for _ in range(2)]
    for run in runs:
        run.assert_outcomes(passed=1)
        run.stdout.fnmatch_lines(["*JSONSCHEMA-IMPORTED False*"])
    assert _table_key(root) in _entries(root)
