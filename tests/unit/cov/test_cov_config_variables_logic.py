"""Hostile case 393: a value of the coverage configuration that names an environment variable
is the project's read of it (coverage.py expands it): which variables each file names, read
where coverage reads, and when that leaves the coverage figures not the project's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.gates.cov.measure import (
    configuration_variables,
    named_variables,
    variables_reason,
)

if TYPE_CHECKING:
    from pathlib import Path

pytest.importorskip("coverage")


@pytest.mark.parametrize(("text", "names"), [
    ("plain", []),
    ("$COV_OMIT", ["COV_OMIT"]),
    ("${COV_OMIT}", ["COV_OMIT"]),
    ("${COV_BRANCH-false}", ["COV_BRANCH"]),
    ("${COV_SOURCE?}/pkg ${OTHER}", ["COV_SOURCE", "OTHER"]),  # strict: every name found
    ("price: $$5", []),  # an escaped dollar sign names no variable
    ("*/$A/*, */${B-x}/*", ["A", "B"]),
])
def test_the_names_a_value_expands(text: str, names: list[str]) -> None:
    assert named_variables(text) == names


@pytest.mark.parametrize(("name", "text", "expected"), [
    (".coveragerc", "[run]\nomit = ${COV_OMIT-}\nbranch = ${COV_BRANCH-false}\n",
     {"COV_OMIT": ["[run] omit"], "COV_BRANCH": ["[run] branch"]}),
    (".coveragerc", "[report]\nexclude_lines =\n    pragma: no cover\n    $SKIP_LINES\n",
     {"SKIP_LINES": ["[report] exclude_lines"]}),
    (".coveragerc", "[coverage:run]\nsource = $SRC\n", {"SRC": ["[run] source"]}),
    # a shared file: only its coverage sections are coverage's
    ("setup.cfg", "[metadata]\nname = $NAME\n[coverage:run]\nomit = $OMIT\n",
     {"OMIT": ["[run] omit"]}),
    ("tox.ini", "[testenv]\ncommands = $CMD\n[coverage:paths]\nsource =\n    src\n    $ALT\n",
     {"ALT": ["[paths] source"]}),
    ("pyproject.toml", '[project]\nname = "$NAME"\n[tool.coverage.run]\n'
     'omit = ["*/a.py", "${COV_OMIT-}"]\nbranch = true\n[tool.coverage.paths]\n'
     'source = ["src", "$ALT"]\n',
     {"COV_OMIT": ["[tool.coverage.run] omit"], "ALT": ["[tool.coverage.paths] source"]}),
    (".coveragerc", "[run]\nbranch = true\n", {}),
])
def test_variables_of_each_file_coverage_reads(tmp_path: Path, name: str, text: str,
                                               expected: dict[str, list[str]]) -> None:
    (tmp_path / name).write_text(text)
    assert configuration_variables(str(tmp_path / name)) == expected


@pytest.mark.parametrize(("environ", "allow", "named"), [
    ({}, [], None),  # unset: the tracked default is what coverage used
    ({"COV_OMIT": "*/export.py"}, [], "COV_OMIT"),
    ({"COV_OMIT": ""}, [], "COV_OMIT"),  # set, even empty: the job's value
    ({"COV_OMIT": "*/export.py"}, ["COV_OMIT"], None),  # the team allows it
    ({"COV_OMIT": "*/export.py"}, ["COV_BRANCH"], "COV_OMIT"),
    ({"HOME": "/home/ci"}, [], None),  # the platform's name, as for any read variable
])
def test_a_set_variable_is_judged_as_a_read_one(
    tmp_path: Path, environ: dict[str, str], allow: list[str], named: str | None,
) -> None:
    rc = tmp_path / ".coveragerc"
    rc.write_text("[run]\nomit = ${COV_OMIT-}\ndata_file = $HOME/.coverage\n")
    asked: list[bool] = []

    def allowed() -> list[str]:
        asked.append(True)
        return allow

    reason = variables_reason(str(rc), environ, tmp_path, allowed)
    if named is None:
        assert reason is None
    else:
        assert reason is not None
        assert f"[run] omit names {named}" in reason
        assert reason.startswith("the coverage configuration .coveragerc takes values")
        assert f'allow_options = ["{named}"]' in reason
    assert asked == ([True] if environ and "HOME" not in environ else [])


def test_no_configuration_file_names_nothing(tmp_path: Path) -> None:
    assert variables_reason(None, {"COV_OMIT": "x"}, tmp_path, list) is None
    assert configuration_variables(str(tmp_path / "absent.cfg")) == {}
