"""``pyramid host-launcher``: the launcher the host starts every deploy command through
(hostile case 221). Written for real, then run with a hostile ``PYTHONPATH``: its
``sitecustomize`` runs in the bare interpreter and never in the launcher's."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.cli import main

if TYPE_CHECKING:
    from pathlib import Path

#: a sitecustomize that leaves a mark in every Python started with this PYTHONPATH
SITECUSTOMIZE = ("import os, sys\n"
                 "open(os.path.join(os.path.dirname(__file__), 'ran'), 'a').write("
                 "' '.join(sys.orig_argv) + '\\n')\n")


def hostile(tmp_path: Path) -> tuple[dict[str, str], Path]:
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return {**os.environ, "PYTHONPATH": str(evil)}, evil / "ran"


def test_the_launcher_runs_pyramid_isolated_from_the_callers_pythonpath(tmp_path: Path) -> None:
    launcher = tmp_path / "bin" / "pyramid-host"
    assert main(["host-launcher", str(launcher)]) == 0
    assert stat.S_IMODE(launcher.stat().st_mode) == 0o755
    assert launcher.read_text().splitlines()[0] == f"#!{sys.executable} -I"
    env, ran = hostile(tmp_path)

    done = subprocess.run([str(launcher), "--version"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("pyramid ")
    assert not ran.exists()  # the caller's sitecustomize never ran

    # the control: the same variable reaches the bare interpreter (the console script's)
    bare = subprocess.run([sys.executable, "-m", "pytest_pyramid", "--version"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert bare.returncode == 0, bare.stderr
    assert "pytest_pyramid" in ran.read_text()


@pytest.mark.parametrize(("args", "message"), [
    (["--python", "relative/python"], "--python 'relative/python': expected the absolute path"),
    (["--python", "/nonexistent/python"], "--python /nonexistent/python: not an executable"),
])
def test_a_launcher_needs_an_interpreter_by_its_absolute_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["host-launcher", str(tmp_path / "pyramid-host"), *args]) == 3
    assert message in capsys.readouterr().err
    assert not (tmp_path / "pyramid-host").exists()


def test_an_existing_launcher_is_replaced_only_with_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    launcher = tmp_path / "pyramid-host"
    launcher.write_text("the operator's own\n")
    assert main(["host-launcher", str(launcher)]) == 3
    assert "exists (use --force to replace it)" in capsys.readouterr().err
    assert launcher.read_text() == "the operator's own\n"
    assert main(["host-launcher", str(launcher), "--force"]) == 0
    assert launcher.read_text().startswith(f"#!{sys.executable} -I\n")
