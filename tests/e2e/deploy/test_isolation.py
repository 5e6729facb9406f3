"""The deploy's own process is the root of trust (hostile case 221, deploy/isolation.py).

A real deploy behind real nginx, started as the host's launcher starts it (the venv's python
``-I``), from a caller whose environment holds a ``PYTHONPATH`` with a ``sitecustomize`` that
leaves a mark in every Python it reaches, a secret and a variable the tracked table passes.
Neither the deploy, the supervisor it spawns nor the version runs the ``sitecustomize``, and
the version's environment holds only what is allow-listed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

from pytest_pyramid.deploy.processes import environ_of
from tests.support.deploy import host

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.deploy.helpers import Project

#: leaves the argv of every Python started with the caller's PYTHONPATH in ``ran``
SITECUSTOMIZE = ("import os, sys\n"
                 "open(os.path.join(os.path.dirname(__file__), 'ran'), 'a').write("
                 "' '.join(sys.orig_argv) + '\\n')\n")


def test_a_callers_pythonpath_reaches_neither_the_deploy_its_supervisor_nor_a_version(
    project: Project, tmp_path: Path
) -> None:
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "sitecustomize.py").write_text(SITECUSTOMIZE)
    ran = evil / "ran"
    project.env.update(PYTHONPATH=str(evil), CALLERS_SECRET="s3cret", SHOP_URL="pg://shop")
    project.write_config(pass_env=["SAMPLE_APP_PID_DIR", "SHOP_URL"])
    project.commit("v1")

    # as the launcher (`pyramid host-launcher`) starts it: the venv's python -I
    assert project.argv("deploy")[:2] == [sys.executable, "-I"]
    done = project.run("deploy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not ran.exists(), ran.read_text()  # no Python of the deploy's ran the caller's code

    stable = json.loads((project.work_dir / "state.json").read_text())["stable"]
    env = environ_of(int(stable["pid"]))
    assert env is not None
    assert env["SHOP_URL"] == "pg://shop"  # the tracked pass_env
    assert "PYTHONPATH" not in env
    assert "CALLERS_SECRET" not in env
    assert env["PATH"].split(":")[0] == os.path.dirname(sys.executable)
    assert env["PYRAMID_COMMIT"] == stable["commit"]

    # the control: the same environment through the bare interpreter runs the caller's code
    bare = host.argv(host.folder(project.root), "status", isolated=False)
    status = subprocess.run(bare, cwd=project.root, env=project.environ(), capture_output=True,
                            text=True, timeout=120, check=False)
    assert status.returncode == 0, status.stdout + status.stderr
    assert "status" in ran.read_text()


def test_a_table_passing_a_name_the_shell_reads_first_is_refused_before_anything_runs(
    project: Project, tmp_path: Path
) -> None:
    """``pass_env`` carries only the commit's own settings (deploy/isolation.py: HOST_READ): a
    start command through a shell would source the caller's ``BASH_ENV`` before the release's
    first line. Refused with exit 3 naming the key and the name, before any version starts."""
    hook = tmp_path / "hook.sh"
    hook.write_text(f"echo sourced >> {tmp_path / 'sourced'}\n")
    project.env.update(BASH_ENV=str(hook), SHOP_URL="pg://shop")
    project.write_config(pass_env=["SHOP_URL", "BASH_ENV"])
    project.commit("v1")

    done = project.run("deploy")
    assert done.returncode == 3, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if "deploy.pass_env" in line]
    assert lines, done.stderr
    assert "BASH_ENV" in lines[0]
    assert "shell" in lines[0]
    assert not (project.work_dir / "state.json").exists()
    assert not (tmp_path / "sourced").exists()
