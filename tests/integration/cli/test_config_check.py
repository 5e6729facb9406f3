"""``pyramid config check``: the start-up checks of a pytest run (and of ``pyramid deploy``)
without running a test; exit 0 valid, 3 invalid with one line naming key, value and file."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.cli import main

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["config", "check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_valid_table_is_exit_0_and_says_what_it_found(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.pyramid]\n[tool.pyramid.tiers.smoke]\nafter = "unit"\n'
        '[tool.pyramid.shape]\ntargets = { unit = 0.8 }\n'
    )
    code, out, err = check(capsys)
    assert (code, err) == (0, "")
    assert "pyproject.toml: valid: tiers unit, smoke, integration" in out
    assert "pyramid.shape" in out


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        # structure: the schema
        ('[tool.pyramid.tiers.unit]\nbudget = "soon"\n',
         "[tool.pyramid] tiers.unit.budget = 'soon': expected a duration"),
        ("[tool.pyramid]\nstrickt = true\n", "[tool.pyramid] strickt = True: unknown key"),
        # what only code knows: tier names, the thresholds grammar, a gate's own section,
        # coverage levels, deploy's canary steps
        ('[tool.pyramid]\ndefault_tier = "smoke"\n', "default_tier = 'smoke': not a tier"),
        ('[tool.pyramid.thresholds]\n"api.p95_ms" = "fast"\n', 'thresholds."api.p95_ms"'),
        ('[tool.pyramid.shape]\ntargets = { smoke = 0.5 }\n', "shape.targets.smoke"),
        ('[tool.pyramid.coverage]\nlevels = { smoke = "warn" }\n', "not a coverage gate"),
        ("[tool.pyramid.deploy]\nsteps = [50, 25, 100]\n", "deploy.steps = [50, 25, 100]"),
        ("[tool.pyramid\n", "invalid TOML"),
    ],
)
def test_an_invalid_table_is_exit_3_with_one_line(
    project: Path, capsys: pytest.CaptureFixture[str], toml: str, message: str
) -> None:
    (project / "pyproject.toml").write_text(toml)
    code, out, err = check(capsys)
    assert code == 3
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"pyramid config: {project / 'pyproject.toml'}")
    assert message in err


def test_a_standalone_pyramid_toml_and_explicit_paths(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "setup.cfg").write_text("[tool:pytest]\ntestpaths = tests\n")
    (project / "pyramid.toml").write_text('default_tier = "unit"\n[tiers.unit]\nbudget = "1m"\n')
    assert check(capsys)[0] == 0
    (project / "sub").mkdir()
    assert check(capsys, str(project))[0] == 0
    assert check(capsys, str(project / "pyramid.toml"))[0] == 0
    (project / "pyramid.toml").write_text("[tiers.unit]\nbudget = true\n")
    code, _, err = check(capsys, "pyramid.toml")
    assert code == 3
    # its keys sit at the top level: no [tool.pyramid] in the message
    assert "pyramid.toml: tiers.unit.budget = True: expected a duration" in err


def test_found_from_a_subdirectory_and_refused_when_configured_twice(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "pyproject.toml").write_text("[tool.pyramid]\n")
    (project / "tests").mkdir()
    monkeypatch.chdir(project / "tests")
    assert check(capsys)[0] == 0
    (project / "pyramid.toml").write_text("")
    code, _, err = check(capsys)
    assert code == 3
    assert "keep one of them" in err


@pytest.mark.parametrize(
    ("files", "args", "message"),
    [
        ({}, (), "no pyproject.toml with [tool.pyramid] and no pyramid.toml"),
        ({"pyproject.toml": "[project]\n"}, ("pyproject.toml",), "has no [tool.pyramid] table"),
        ({}, ("missing.toml",), "missing.toml: no such file"),
    ],
)
def test_nothing_to_check_is_exit_3(
    project: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str],
    args: tuple[str, ...], message: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOME", str(project))
    for name, text in files.items():
        (project / name).write_text(text)
    code, _, err = check(capsys, *args)
    assert code == 3
    assert message in err


def test_the_command_runs_no_test_and_prints_no_traceback(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.pyramid.tiers.unit]\nbudget = "x"\n')
    (project / "test_boom.py").write_text("raise SystemExit('a test module was imported')\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest_pyramid", "config", "check"],
        capture_output=True, text=True, cwd=project, timeout=120, check=False,
    )
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "tiers.unit.budget = 'x'" in result.stderr
