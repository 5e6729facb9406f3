"""The project loader (``pytest_pyramid/project.py``): which file configures a project, found
from a start folder upward, and its one reading."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.errors import ConfigError
from pytest_pyramid.project import (
    NoProject,
    load,
    load_optional,
    locate,
    pytest_ini_option,
    table_from_text,
)

if TYPE_CHECKING:
    from pathlib import Path

WITH_TABLE = "[tool.pyramid]\nstrict = true\n"
WITHOUT_TABLE = "[tool.ruff]\nline-length = 100\n"
STANDALONE = "strict = true\n"


@pytest.mark.parametrize(
    ("files", "start", "found"),
    [
        ({"pyproject.toml": WITH_TABLE}, ".", "pyproject.toml"),
        ({"pyramid.toml": STANDALONE}, ".", "pyramid.toml"),
        # a pyproject.toml without the table: the standalone file beside it configures
        ({"pyproject.toml": WITHOUT_TABLE, "pyramid.toml": STANDALONE}, ".", "pyramid.toml"),
        # upward, from a subfolder
        ({"pyproject.toml": WITH_TABLE}, "src/pkg", "pyproject.toml"),
        ({"pyramid.toml": STANDALONE}, "src/pkg", "pyramid.toml"),
        # the nearest folder with a configuration wins, a file without the table is passed by
        ({"pyproject.toml": WITH_TABLE, "src/pyramid.toml": STANDALONE}, "src/pkg",
         "src/pyramid.toml"),
        ({"pyproject.toml": WITH_TABLE, "src/pyproject.toml": WITHOUT_TABLE}, "src",
         "pyproject.toml"),
        ({"pyproject.toml": WITHOUT_TABLE}, ".", None),
        ({}, "src", None),
    ],
)
def test_locate(tmp_path: Path, files: dict[str, str], start: str, found: str | None) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / start).mkdir(parents=True, exist_ok=True)
    project = locate(tmp_path / start)
    if found is None:
        assert project is None
        with pytest.raises(NoProject, match=r"no pyproject\.toml with \[tool\.pyramid\]"):
            load(tmp_path / start)
        assert load_optional(tmp_path / start) is None
        return
    assert project is not None
    assert project.path.resolve() == (tmp_path / found).resolve()
    assert project.table == {"strict": True}
    assert load(tmp_path / start).settings.strict is True


def test_both_files_in_one_folder_is_an_error_naming_both(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(WITH_TABLE)
    (tmp_path / "pyramid.toml").write_text(STANDALONE)
    (tmp_path / "sub").mkdir()
    with pytest.raises(ConfigError, match="keep one of them") as info:
        locate(tmp_path / "sub")
    assert "pyramid.toml" in str(info.value)
    assert "pyproject.toml" in str(info.value)


def test_without_upward_only_the_start_folder_counts(tmp_path: Path) -> None:
    (tmp_path / "pyramid.toml").write_text(STANDALONE)
    (tmp_path / "sub").mkdir()
    assert locate(tmp_path / "sub", upward=False) is None
    assert locate(tmp_path, upward=False) is not None


@pytest.mark.parametrize(
    ("given", "why"),
    [("missing.toml", "no such file"), ("other.toml", "has no [tool.pyramid] table"),
     ("empty", "no pyproject.toml with [tool.pyramid] and no pyramid.toml")],
)
def test_a_named_configuration_must_exist_and_hold_the_table(
    tmp_path: Path, given: str, why: str
) -> None:
    (tmp_path / "other.toml").write_text(WITHOUT_TABLE)
    (tmp_path / "empty").mkdir()
    (tmp_path / "pyproject.toml").write_text(WITH_TABLE)  # never consulted for a named one
    with pytest.raises(NoProject) as info:
        load(tmp_path, config=tmp_path / given)
    assert why in str(info.value)
    assert str(tmp_path / given) in str(info.value)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyramid.toml").write_text("strict = \n")
    with pytest.raises(ConfigError, match="invalid TOML") as info:
        locate(tmp_path)
    assert str(tmp_path / "pyramid.toml") in str(info.value)


@pytest.mark.parametrize(
    ("text", "source", "table"),
    [(WITH_TABLE, "pyproject.toml", {"strict": True}),
     (STANDALONE, "sub/pyramid.toml", {"strict": True}),
     (WITHOUT_TABLE, "pyproject.toml", None)],
)
def test_a_committed_file_is_read_by_the_same_rule(
    text: str, source: str, table: dict[str, object] | None
) -> None:
    assert table_from_text(text, source) == table


@pytest.mark.parametrize(
    ("files", "value"),
    [
        ({"pyproject.toml": '[tool.pytest.ini_options]\npyramid_history = "a.db"\n'}, "a.db"),
        ({"pyproject.toml": '[tool.pytest]\npyramid_history = "n.db"\n'}, "n.db"),
        ({"setup.cfg": "[tool:pytest]\npyramid_history = s.db\n"}, "s.db"),
        ({"tox.ini": "[pytest]\npyramid_history = t.db\n"}, "t.db"),
        ({"pytest.ini": "[pytest]\npyramid_history = p.db\n"}, "p.db"),
        # pytest takes the first file that configures it, and looks no further
        ({"pytest.ini": "[pytest]\n", "tox.ini": "[pytest]\npyramid_history = t.db\n"}, None),
        ({"pytest.ini": "", "setup.cfg": "[tool:pytest]\npyramid_history = s.db\n"}, None),
        ({"pyproject.toml": '[tool.pytest.ini_options]\npyramid_history = "a.db"\n',
          "setup.cfg": "[tool:pytest]\npyramid_history = s.db\n"}, "a.db"),
        # files that do not configure pytest are passed by
        ({"pyproject.toml": WITH_TABLE, "tox.ini": "[tox]\n",
          "setup.cfg": "[tool:pytest]\npyramid_history = s.db\n"}, "s.db"),
        ({"setup.cfg": "[tool:pytest]\npyramid_history =\n"}, None),
        ({}, None),
    ],
)
def test_pytest_ini_option_reads_the_file_pytest_reads(
    tmp_path: Path, files: dict[str, str], value: str | None
) -> None:
    """A pyramid.toml project keeps pytest's settings in an ini file: merge and history read
    ``pyramid_durations`` / ``pyramid_history`` from where the run read them."""
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert pytest_ini_option(tmp_path, "pyramid_history") == value
