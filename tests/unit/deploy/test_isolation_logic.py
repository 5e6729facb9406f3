"""deploy/isolation.py: what a version's environment is made of (an allow-list), and the
launcher's text (hostile case 221). Pure rows; the launcher and a deploy under a hostile
PYTHONPATH are run for real in tests/integration/cli/test_host_launcher.py and
tests/e2e/deploy/test_isolation.py."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.config import build_config
from pytest_pyramid.deploy.isolation import (
    ISOLATED,
    SHEBANG_MAX,
    STANDARD_PATH,
    foreign_program,
    launcher_text,
    program_environ,
    unpassable,
    version_environ,
)
from pytest_pyramid.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

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


@pytest.mark.parametrize(("name", "refused"), [
    ("DATABASE_URL", False), ("SAMPLE_APP_PID_DIR", False), ("APP_PYTHONISH", False),
    # hostile case 379: the caller's value of a name that chooses code or identity
    ("PYTHONPATH", True), ("PYTHONSTARTUP", True), ("LD_PRELOAD", True), ("LD_AUDIT", True),
    ("PYTEST_ADDOPTS", True), ("PYRAMID_SIGNING_KEY", True), ("PY_COLORS", True),
    ("COVERAGE_PROCESS_START", True),
    # the deploy sets these for the version itself
    ("PATH", True), ("HOME", True), ("USER", True), ("LOGNAME", True), ("PORT", True),
    ("TZ", True), ("LC_ALL", True),
    # read before the commit's code by a shell, the C library, OpenSSL or a runtime
    ("BASH_ENV", True), ("ENV", True), ("BASH_FUNC_ls%%", True), ("SHELLOPTS", True),
    ("GCONV_PATH", True), ("LOCPATH", True), ("MALLOC_CHECK_", True),
    ("GLIBC_TUNABLES", True), ("OPENSSL_CONF", True), ("OPENSSL_MODULES", True),
    ("SSL_CERT_FILE", True), ("REQUESTS_CA_BUNDLE", True), ("NODE_OPTIONS", True),
    ("NODE_PATH", True), ("PERL5OPT", True), ("PERL5LIB", True), ("RUBYOPT", True),
    ("RUBYLIB", True), ("JAVA_TOOL_OPTIONS", True), ("JDK_JAVA_OPTIONS", True),
    ("CLASSPATH", True), ("GODEBUG", True), ("GIT_SSH_COMMAND", True),
    ("XDG_CONFIG_HOME", True), ("EDITOR", True),
    # a runtime this table does not name, by the convention of its options and paths
    ("ELIXIR_ERL_OPTIONS", True), ("DENO_OPTS", True), ("LUA_PATH", True),
    ("FOO_PRELOAD", True),
    # not the shape of an application's setting: the host's conventions
    ("http_proxy", True), ("_JAVA_OPTIONS", True), ("Shop_Url", True),
    # an application's own settings
    ("SHOP_URL", False), ("PRODUCTION_REDIS_URL", False), ("API_TOKEN", False),
    ("FEATURE_FLAGS", False), ("HTTPS_PROXY", False), ("SENTRY_DSN", False),
])
def test_pass_env_cannot_hand_on_what_chooses_code_or_identity(name: str, refused: bool) -> None:
    assert (unpassable(name) is not None) is refused


@pytest.mark.parametrize("name", ["PYTHONPATH", "BASH_ENV", "OPENSSL_CONF", "NODE_OPTIONS",
                                  "GCONV_PATH"])
def test_a_table_passing_a_host_read_name_is_refused_naming_it(tmp_path: Path,
                                                               name: str) -> None:
    source = str(tmp_path / "pyproject.toml")
    with pytest.raises(ConfigError, match=rf"deploy\.pass_env.*'{name}' cannot be passed"):
        build_config({"pass_env": ["DATABASE_URL", name]}, source=source, root=tmp_path)
    assert build_config({"pass_env": ["DATABASE_URL"]}, source=source,
                        root=tmp_path).pass_env == ("DATABASE_URL",)


def test_a_name_not_of_a_settings_shape_is_refused_by_the_schema_too(tmp_path: Path) -> None:
    """The shape is in the schema (pytest and ``config check`` refuse it alike); what the
    schema cannot say, a name the host's programs read first, is the parser's."""
    with pytest.raises(ConfigError, match=r"deploy\.pass_env = \['http_proxy'\]: every entry"):
        build_config({"pass_env": ["http_proxy"]}, source=str(tmp_path / "pyproject.toml"),
                     root=tmp_path)


def _program(folder: Path, mode: int = 0o755) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / "nginx"
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(mode)
    return program


def test_a_router_program_in_the_checkout_or_work_folder_is_not_the_host_s(tmp_path: Path) -> None:
    """Hostile case 373: the commit's `nginx = "ops/nginx"` ran as the deploy's account."""
    checkout, work = tmp_path / "checkout", tmp_path / "work"
    inside = (str(checkout), str(work))
    host = _program(tmp_path / "host" / "sbin")
    assert foreign_program(str(host), inside=inside) is None
    assert "lies in" in str(foreign_program(str(_program(checkout / "ops")), inside=inside))
    assert "lies in" in str(foreign_program(str(_program(work / "bin")), inside=inside))
    assert "not an absolute path" in str(foreign_program("ops/nginx", inside=inside))
    link = tmp_path / "host" / "link"  # a link is judged where it leads
    link.symlink_to(checkout / "ops" / "nginx")
    assert "lies in" in str(foreign_program(str(link), inside=inside))


@pytest.mark.parametrize(("mode", "where", "refused"), [
    (0o755, "file", False), (0o775, "file", True), (0o757, "file", True),
    (0o777, "folder", True), (0o1777, "folder", False),  # sticky: only an entry's owner
])
def test_a_router_program_another_account_could_replace_is_not_the_host_s(
        tmp_path: Path, mode: int, where: str, refused: bool) -> None:
    folder = tmp_path / "host"
    program = _program(folder)
    os.chown(program, os.geteuid(), 4242 if os.geteuid() == 0 else os.getegid())
    (program if where == "file" else folder).chmod(mode)
    if where == "file" and os.geteuid() != 0:
        pytest.skip("a group other than root's needs root to set")
    assert (foreign_program(str(program), inside=()) is not None) is refused


def test_a_missing_router_program_is_judged_by_who_could_create_it(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # anyone may create the name there, sticky or not
    assert "writable by every account" in str(
        foreign_program(str(shared / "nginx"), inside=()))
    assert foreign_program(str(tmp_path / "private" / "nginx"), inside=()) is None


def test_the_table_s_router_program_must_be_the_host_s(tmp_path: Path) -> None:
    source = str(tmp_path / "pyproject.toml")
    _program(tmp_path / "ops")
    with pytest.raises(ConfigError, match=r"deploy.nginx.*must be the host's.*lies in"):
        build_config({"nginx": str(tmp_path / "ops" / "nginx")}, source=source, root=tmp_path)
    with pytest.raises(ConfigError, match=r"deploy.nginx.*not an absolute path"):
        build_config({"nginx": "ops/nginx"}, source=source, root=tmp_path)
    host = _program(tmp_path.parent / f"{tmp_path.name}-host")
    assert build_config({"nginx": str(host)}, source=source, root=tmp_path).nginx == str(host)


def test_the_router_program_gets_no_caller_variable() -> None:
    env = program_environ({"CI_DEPLOY_TOKEN": "s3cret", "LANG": "C.UTF-8", "LC_ALL": "C",
                           "PATH": "/tmp/evil", "PYTHONPATH": "/tmp/evil",
                           "PYRAMID_RECORD_SPOOL": "/tmp/spool"})
    assert env == {"LANG": "C.UTF-8", "LC_ALL": "C", "PATH": STANDARD_PATH}
