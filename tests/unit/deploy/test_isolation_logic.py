"""deploy/isolation.py: what a version's environment is made of (an allow-list), and the
launcher's text (hostile case 221). Pure rows; the launcher and a deploy under a hostile
PYTHONPATH are run for real in tests/integration/cli/test_host_launcher.py and
tests/e2e/deploy/test_isolation.py."""

from __future__ import annotations

import pytest

from pytest_pyramid.deploy.isolation import (
    ISOLATED,
    SHEBANG_MAX,
    STANDARD_PATH,
    launcher_text,
    version_environ,
)

OWN = {"PORT": "8123", "PYRAMID_RELEASE": "/srv/r/abc", "PYRAMID_COMMIT": "abc"}


def env_of(environ: dict[str, str], passed: tuple[str, ...] = ()) -> dict[str, str]:
    return version_environ(environ, passed=passed, interpreter_dir="/venv/bin", home="/home/app",
                           user="app", own=OWN)


@pytest.mark.parametrize(("name", "value", "kept"), [
    # what the caller could use to run code or choose programs in the version: never passed
    ("PYTHONPATH", "/tmp/evil", False),
    ("PYTHONSTARTUP", "/tmp/evil.py", False),
    ("PYTHONHOME", "/tmp/evil", False),
    ("LD_PRELOAD", "/tmp/evil.so", False),
    ("LD_LIBRARY_PATH", "/tmp/evil", False),
    ("BASH_ENV", "/tmp/evil.sh", False),
    ("PERL5OPT", "-Mevil", False),
    ("NODE_OPTIONS", "--require /tmp/evil.js", False),
    ("COVERAGE_PROCESS_START", "/tmp/evil.rc", False),
    ("PYTEST_ADDOPTS", "-p evil", False),
    ("DATABASE_URL", "postgres://caller", False),  # not in the table's pass_env
    ("PYRAMID_SIGNING_KEY", "secret", False),
    ("LOCPATH", "/tmp/evil", False),
    # the system's basics: names, no code
    ("LANG", "C.UTF-8", True),
    ("LANGUAGE", "en", True),
    ("LC_ALL", "C.UTF-8", True),
    ("LC_TIME", "en_GB.UTF-8", True),
    ("TZ", "Europe/Paris", True),
    ("TMPDIR", "/var/tmp", True),
    ("PYRAMID_RECORD_SPOOL", "/tmp/pyramid-forks-x", True),
])
def test_a_version_gets_only_allow_listed_variables(name: str, value: str, kept: bool) -> None:
    env = env_of({name: value})
    assert (env.get(name) == value) is kept
    assert set(env) - {name} == {"PATH", "HOME", "USER", "LOGNAME", *OWN}


@pytest.mark.parametrize(("environ", "passed", "expected"), [
    ({"DATABASE_URL": "pg://x", "OTHER": "y"}, ("DATABASE_URL",), {"DATABASE_URL": "pg://x"}),
    ({}, ("DATABASE_URL",), {}),  # declared, not set: not invented
    ({"A": "1", "B": "2"}, ("A", "B"), {"A": "1", "B": "2"}),
    # the commit's own decision, even for an interpreter variable: its code runs anyway
    ({"PYTHONPATH": "/srv/lib"}, ("PYTHONPATH",), {"PYTHONPATH": "/srv/lib"}),
])
def test_the_tracked_pass_env_adds_exactly_its_names(
    environ: dict[str, str], passed: tuple[str, ...], expected: dict[str, str]
) -> None:
    env = env_of(environ, passed)
    assert {k: v for k, v in env.items() if k in environ} == expected


@pytest.mark.parametrize(("environ", "passed"), [
    ({"PATH": "/tmp/evil:/usr/bin", "HOME": "/tmp/evil", "USER": "root"}, ()),
    # the version's own values stay its own, whatever the caller or the table says
    ({"PORT": "1", "PYRAMID_COMMIT": "forged", "PYRAMID_RELEASE": "/tmp"},
     ("PORT", "PYRAMID_COMMIT", "PYRAMID_RELEASE")),
])
def test_the_deploys_own_values_are_never_the_callers(
    environ: dict[str, str], passed: tuple[str, ...]
) -> None:
    env = env_of(environ, passed)
    assert env["PATH"] == f"/venv/bin:{STANDARD_PATH}"
    assert (env["HOME"], env["USER"], env["LOGNAME"]) == ("/home/app", "app", "app")
    assert {k: env[k] for k in OWN} == OWN


def test_without_an_interpreter_folder_the_path_is_the_systems() -> None:
    env = version_environ({}, passed=(), interpreter_dir="", home="/", user="0", own={})
    assert env["PATH"] == STANDARD_PATH


@pytest.mark.parametrize(("python", "first", "trampoline"), [
    ("/srv/app/.venv/bin/python", "#!/srv/app/.venv/bin/python -I", False),
    ("/opt/my app/.venv/bin/python", "#!/bin/sh", True),  # a space: no #! line can hold it
    ("/" + "d" * SHEBANG_MAX + "/bin/python", "#!/bin/sh", True),  # too long for old kernels
])
def test_the_launcher_runs_the_interpreter_isolated(
    python: str, first: str, trampoline: bool
) -> None:
    text = launcher_text(python)
    lines = text.splitlines()
    assert lines[0] == first
    assert ISOLATED == "-I"
    if trampoline:  # pip's: the shell execs the same interpreter, -I, on this file
        assert lines[1].startswith("'''exec' ")
        assert lines[1].endswith(' -I "$0" "$@"')
        assert lines[2] == "' '''"
    assert "from pytest_pyramid.cli import main" in text
    compile(text, "launcher", "exec")  # the trampoline lines are a Python string too


@pytest.mark.parametrize(("same_account", "kept"), [(True, True), (False, False)])
def test_the_recording_spool_reaches_only_a_version_of_the_deploys_own_account(
    same_account: bool, kept: bool,
) -> None:
    """A version of another account (``run_as``) could not write to the recording run's 0700
    spool: given the variable, it would be a child the run counts on that never reports
    (``python <unreported>``, hostile case 299); without it, a process the run does not follow."""
    env = version_environ({"PYRAMID_RECORD_SPOOL": "/tmp/pyramid-forks-x", "LANG": "C.UTF-8"},
                          passed=(), interpreter_dir="/venv/bin", home="/home/app", user="app",
                          own=OWN, same_account=same_account)
    assert ("PYRAMID_RECORD_SPOOL" in env) is kept
    assert env["LANG"] == "C.UTF-8"
