"""``pyramid config check``: the start-up checks of a pytest run (and of ``pyramid deploy``)
without running a test; exit 0 valid, 3 invalid with one line naming key, value and file."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.cli import main
from pytest_pyramid.deploy import host_pins

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


# -- the deploy's plan and the host's deploy.toml: refused as the deploy would refuse them ------
JUDGED = '[tool.pyramid.deploy]\njudge = "nonparametric"\n'
ENVIRONMENTS = ("[tool.pyramid.deploy.environments.staging]\nport = 18081\n"
                "[tool.pyramid.deploy.environments.production]\nport = 18082\n")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        # the default plan compares at 5, 25 and 50%, each step after 3 successful looks
        (JUDGED + "judge_looks = 8\n", "deploy.judge_looks = 8: fewer than the 9 looks this "
         "plan takes (steps [5, 25, 50] compared x measurements = 3)"),
        (JUDGED + "steps = [10, 20, 30, 40, 50, 100]\nmeasurements = 2\njudge_looks = 9\n",
         "deploy.judge_looks = 9: fewer than the 10 looks"),
        # an environment's own measurements make its plan longer than the shared judge_looks
        (JUDGED + ENVIRONMENTS.replace("port = 18082\n", "port = 18082\nmeasurements = 4\n"),
         "deploy.judge_looks = 10: fewer than the 12 looks"),
    ],
)
def test_judge_looks_must_cover_the_looks_the_plan_takes(
    project: Path, capsys: pytest.CaptureFixture[str], toml: str, message: str
) -> None:
    (project / "pyproject.toml").write_text(toml)
    code, out, err = check(capsys)
    assert (code, out, err.count("\n")) == (3, "", 1)
    assert err.startswith(f"pyramid config: {project / 'pyproject.toml'}: ")
    assert message in err


@pytest.mark.parametrize("toml", [
    JUDGED,  # 9 looks of 10
    JUDGED + "steps = [10, 20, 30, 40, 50, 100]\nmeasurements = 2\n",  # 10 of 10
    JUDGED + "steps = [50, 75, 100]\nmeasurements = 10\n",  # only 50% is compared
    "[tool.pyramid.deploy]\njudge_looks = 1\n",  # the threshold judge takes no looks
])
def test_a_plan_judge_looks_covers_is_valid(
    project: Path, capsys: pytest.CaptureFixture[str], toml: str
) -> None:
    (project / "pyproject.toml").write_text(toml)
    assert check(capsys)[0] == 0


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ('[environments.production]\nrequire = "staging"\n',
         "environments.production.require = 'staging': unknown key (known keys: requires, "),
        ('[environments.production]\nrequires_within = "soon"\n',
         "environments.production.requires_within = 'soon': "),
        ('[environments.production]\nrequires = "production"\n',
         "environments.production.requires = 'production': an environment cannot require "
         "itself"),
        ("environments = 3\n", "environments = 3: expected tables"),
        ('[environments.production]\nrequires = "qa"\n',
         "environments.production.requires = 'qa': {project} defines no environment 'qa' "
         "(known: staging, production): its deploy to production would be refused"),
    ],
)
def test_the_hosts_environments_are_checked_naming_the_host_file_and_key(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    host: str, message: str,
) -> None:
    (project / "pyproject.toml").write_text("[tool.pyramid.deploy]\n" + ENVIRONMENTS)
    host_file = project / "xdg" / "pyramid" / "deploy.toml"
    host_file.parent.mkdir(parents=True)
    host_file.write_text(host)
    monkeypatch.setattr(host_pins, "HOST_ROOTS", (host_file.parent,))  # the host, in-process
    code, out, err = check(capsys)
    assert (code, out, err.count("\n")) == (3, "", 1)
    # the host file's keys sit at its top level: no [tool.pyramid] in the message
    assert err.startswith(f"pyramid config: {host_file}: environments")
    assert message.format(project=project / "pyproject.toml") in err


def test_a_valid_host_file_is_said(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "pyproject.toml").write_text("[tool.pyramid.deploy]\n" + ENVIRONMENTS)
    host_file = project / "xdg" / "pyramid" / "deploy.toml"
    host_file.parent.mkdir(parents=True)
    host_file.write_text('[environments.production]\nrequires = "staging"\n'
                         '[environments.elsewhere]\nrequires = "qa"\n')  # another project's
    monkeypatch.setattr(host_pins, "HOST_ROOTS", (host_file.parent,))  # the host, in-process
    code, out, err = check(capsys)
    assert (code, err) == (0, "")
    assert f"{host_file}: valid: host deploy settings; requirements pinned for production" in out


def test_the_requirements_a_target_s_anchors_record_holds_are_said(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The files may say nothing any more: what the record holds production to is shown."""
    from pytest_pyramid.deploy.config import load_config
    from pytest_pyramid.deploy.trust_record import AnchorSet, append, record_path

    monkeypatch.setattr(host_pins, "HOST_ROOTS", ())  # no host files
    (project / "pyproject.toml").write_text("[tool.pyramid.deploy]\n" + ENVIRONMENTS)
    production = load_config(project, env="production", cwd=project).work_dir
    append(production, at="2026-01-01T00:00:00Z", event="first use", commit="a" * 40,
           deployment_id=0, anchors=AnchorSet(requires=(("staging", 7200.0),),
                                              required_approvals=1,
                                              approver_roles=("release_manager",)))
    staging = load_config(project, env="staging", cwd=project).work_dir
    staging.mkdir(parents=True)
    record_path(staging).write_text("{not a record\n")
    code, out, err = check(capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert f"production: the anchors record {record_path(production)} requires a healthy " \
           "staging deploy within 2h00m; 1 approval(s) from release_manager (until the " \
           "host's deploy.toml says otherwise)" in lines
    assert any(line.startswith(f"staging: the anchors record {record_path(staging)} cannot "
                               "be used") for line in lines)


def test_the_approvals_a_first_deploy_would_need_are_said_until_the_host_records_it(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate's own first-use rule (deploy/requirements.py: first_use_asks): the host pins
    production's requirements but not its port, so a first deploy of staging may be
    production's and needs production's approvals. Once the host's targets index records
    staging's port, nothing is asked."""
    from pytest_pyramid.deploy.config import load_config
    from pytest_pyramid.deploy.targets import claim

    (project / "pyproject.toml").write_text("[tool.pyramid.deploy]\n" + ENVIRONMENTS)
    host_file = project / "xdg" / "pyramid" / "deploy.toml"
    host_file.parent.mkdir(parents=True)
    host_file.write_text('[environments.production]\nrequires = "staging"\n'
                         'required_approvals = 1\napprover_roles = ["release_manager"]\n')
    monkeypatch.setattr(host_pins, "HOST_ROOTS", (host_file.parent,))  # the host, in-process
    code, out, err = check(capsys)
    assert (code, err) == (0, "")
    first = [line for line in out.splitlines() if line.startswith("a first deploy: ")]
    assert len(first) == 1, out
    assert first[0].startswith("a first deploy: staging on port 18081 ")
    assert "needs 1 approval(s) from release_manager" in first[0]
    assert "which may be production's" in first[0]

    staging = load_config(project, env="staging", cwd=project)
    claim(host_file.parent / "targets.jsonl", staging, at="t", event="deployed",
          taking=frozenset())
    code, out, err = check(capsys)
    assert (code, err) == (0, "")
    assert "a first deploy" not in out


def test_a_targets_index_another_account_could_write_is_exit_3_naming_it(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What serves each port is a host fact (deploy/targets.py: read_index, every command's
    one reading): a folder every account writes could hold anyone's index."""
    (project / "pyproject.toml").write_text("[tool.pyramid.deploy]\n" + ENVIRONMENTS)
    folder = project / "xdg" / "pyramid"
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    monkeypatch.setattr(host_pins, "HOST_ROOTS", (folder,))  # the host, in-process
    code, out, err = check(capsys)
    assert (code, out, err.count("\n")) == (3, "", 1)
    assert f"the host's targets index {folder / 'targets.jsonl'} is not a host fact" in err
    assert "writable by every account" in err
