"""The invocation allow-list (``pytest_pyramid/run/invocation.py``): every option pytest and
every installed plugin registers is classified, so a new pytest or plugin release cannot
open a hole silently; and the table's value rules, as plain tables."""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from _pytest.config import _prepareconfig

from pytest_pyramid.run.invocation import (
    DISABLE,
    ENV_PREFIXES,
    ENVIRONMENT,
    FLAGS,
    JUDGEMENT,
    OPTIONS,
    OUTCOME,
    SELECTION,
    changed_flags,
    disabled_plugin_reasons,
    environment_of,
    environment_reasons,
    judge_flag,
    judge_override,
    judge_warning,
    lookup,
    pythonpath_outside,
    registered_options,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def every_option(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[str, ...]]]:
    """dest -> flags of a real configuration with every installed plugin loaded (entry
    points autoloaded, pytester too), read outside this project's own configuration."""
    folder = tmp_path_factory.mktemp("bare")
    (folder / "pytest.ini").write_text("[pytest]\n")
    here = os.getcwd()
    os.chdir(folder)
    try:
        config = _prepareconfig(["-p", "pytester", str(folder)])
    finally:
        os.chdir(here)
    try:
        yield registered_options(config._parser)
    finally:
        config._ensure_unconfigure()


def test_every_registered_option_is_classified(
    every_option: dict[str, tuple[str, ...]],
) -> None:
    unclassified = sorted(
        "/".join(names) for names in every_option.values() if lookup(names) is None
    )
    assert unclassified == [], (
        "options pytest or an installed plugin registers that run/invocation.py OPTIONS does "
        f"not classify: {unclassified}"
    )


def test_the_walk_sees_pytest_and_the_plugins(every_option: dict[str, tuple[str, ...]]) -> None:
    """The walk is over the real parser, plugins included (not an empty or partial list)."""
    flags = {name for names in every_option.values() for name in names}
    assert {"-k", "-p", "--ignore", "--confcutdir", "--tb", "--lsof"} <= flags
    assert {"--numprocesses", "--timeout", "--cov", "--pyramid-tier"} <= flags


def test_options_of_one_destination_agree(every_option: dict[str, tuple[str, ...]]) -> None:
    """-x and --maxfail, -v and -q: flags that set the same value share one class."""
    for names in every_option.values():
        classes = {OPTIONS[n][0] for n in names if n in OPTIONS}
        assert len(classes) <= 1, (names, classes)


@pytest.mark.parametrize(("flag", "kind"), [
    # hostile case 304: the levels and --log-disable decide which records reach caplog, the
    # capture format (and its date format, its indentation) what caplog.text says
    ("--log-level", JUDGEMENT),
    ("--log-cli-level", JUDGEMENT),
    ("--log-file-level", JUDGEMENT),
    ("--log-disable", JUDGEMENT),
    ("--log-format", JUDGEMENT),
    ("--log-date-format", JUDGEMENT),
    ("--log-auto-indent", JUDGEMENT),
    ("--log-file", OUTCOME),
    ("--log-cli-format", OUTCOME),
    ("--log-file-format", OUTCOME),
    # hostile case 308: append mode retries what the project's marker forbade
    ("--reruns-mode", JUDGEMENT),
    ("--disable-plugin-autoload", OUTCOME),  # judged by what it left unloaded
])
def test_option_classes(flag: str, kind: str) -> None:
    assert OPTIONS[flag][0] == kind


def test_every_entry_has_a_class_and_a_reason() -> None:
    tables: list[dict[str, tuple[str, str]]] = [OPTIONS, ENVIRONMENT, FLAGS]
    for table in tables:
        for name, (kind, reason) in table.items():
            assert kind in (OUTCOME, SELECTION, JUDGEMENT), name
            assert reason.strip(), name
    assert all(reason.strip() for reason in DISABLE.values())
    assert all(name.startswith(ENV_PREFIXES) for name in ENVIRONMENT)


#: the hooks through which a plugin can fail a test while it runs (or decide its outcome)
RUNTIME_HOOKS = frozenset({
    "pytest_runtest_protocol", "pytest_runtest_setup", "pytest_runtest_call",
    "pytest_runtest_teardown", "pytest_runtest_makereport", "pytest_pyfunc_call",
    "pytest_fixture_setup", "pytest_pycollect_makeitem", "pytest_report_teststatus",
    "pytest_runtestloop", "pytest_collection_modifyitems", "pytest_generate_tests",
})
#: DISABLE's plugins whose run-time hooks were read, and why leaving the plugin out still
#: cannot turn a failure into a pass: (plugin, hook) pairs. A new release adding a hook
#: fails the test below until someone reads it (hostile case 358: hypothesis's plugin was
#: listed as harmless, and its pytest_runtest_call fails tests)
REVIEWED_RUNTIME_HOOKS: dict[str, frozenset[str]] = {
    # keeps the tmp_path of failed tests: reporting
    "tmpdir": frozenset({"pytest_runtest_makereport"}),
    # reruns failures: without it fewer passes, never more
    "rerunfailures": frozenset({"pytest_report_teststatus", "pytest_runtest_makereport",
                                "pytest_runtest_protocol", "pytest_runtest_teardown"}),
    # runs async tests and fixtures: without it they error or are skipped
    "anyio": frozenset({"pytest_fixture_setup", "pytest_pycollect_makeitem",
                        "pytest_pyfunc_call"}),
    # collects and runs its API tests: without it they are not collected (an unknown
    # fixture errors) or error
    "schemathesis": frozenset({"pytest_pycollect_makeitem", "pytest_pyfunc_call",
                               "pytest_report_teststatus", "pytest_runtest_makereport",
                               "pytest_runtest_setup", "pytest_runtest_teardown"}),
    # browser fixtures and expect.soft's scope: without it a test using them errors
    # (expect.soft raises RuntimeError outside the plugin's scope)
    "playwright": frozenset({"pytest_generate_tests", "pytest_runtest_call",
                             "pytest_runtest_makereport", "pytest_runtest_setup"}),
}


def test_a_plugin_listed_harmless_to_leave_out_cannot_fail_tests_unread(
        pytestconfig: pytest.Config) -> None:
    """Every installed plugin DISABLE lists: its hooks that can fail a test at run time were
    read and are in REVIEWED_RUNTIME_HOOKS (an allow-list of what was read)."""
    manager = pytestconfig.pluginmanager
    unread = {}
    for name in DISABLE:
        plugin = manager.get_plugin(name)
        if plugin is None:
            continue
        hooks = {h for h in dir(plugin) if h in RUNTIME_HOOKS}
        extra = hooks - REVIEWED_RUNTIME_HOOKS.get(name, frozenset())
        if extra:
            unread[name] = sorted(extra)
    assert unread == {}


def test_hypothesis_s_plugin_is_not_harmless_to_leave_out() -> None:
    assert "hypothesispytest" not in DISABLE


@pytest.mark.parametrize(
    ("override", "harmless"),
    [
        ("console_output_style=classic", True),
        ("junit_family=xunit1", True),
        ("pyramid_tier=fast", True),
        ("pyramid_explain=true", True),
        # hostile round 2: the ini twin of --pyramid-diff-base is judged as that option, and
        # the ini-only settings decide which tier a test is in
        ("pyramid_diff_base=HEAD", False),
        ("pyramid_strict=false", False),
        ("pyramid_strict=true", True),
        ("pyramid_default_tier=unit", False),
        ("pyramid_never_heard_of=1", False),
        ("xfail_strict=true", True),
        ("xfail_strict=false", False),
        ("python_files=test_u.py", False),
        ("addopts=", False),
        ("pythonpath=elsewhere", False),
        ("never_heard_of=1", False),
        # hostile case 304: the levels decide which records reach caplog, the capture
        # format what caplog.text says; the live log's and the log file's formats are output
        ("log_level=INFO", False),
        ("log_cli_level=INFO", False),
        ("log_file_level=DEBUG", False),
        ("log_format=%(message)s", False),
        ("log_date_format=%H", False),
        ("log_auto_indent=true", False),
        ("log_cli=true", True),
        ("log_file=ci.log", True),
        ("log_cli_format=%(message)s", True),
        ("log_file_format=%(message)s", True),
    ],
)
def test_ini_overrides(override: str, harmless: bool) -> None:
    assert (judge_override(override) is not None) is harmless


def test_every_pyramid_ini_name_is_classified() -> None:
    """Each ``pyramid_*`` ini name the plugin registers has an entry (its option twin's,
    or its own): a new one cannot be allowed by its prefix alone."""
    from pytest_pyramid.markers import INI_ONLY
    from pytest_pyramid.markers import OPTIONS as TWINS
    from pytest_pyramid.run.invocation import PYRAMID_INI, pyramid_ini

    registered = {ini for _, _, ini, _, _ in TWINS} | {ini for ini, _, _ in INI_ONLY}
    assert registered == set(PYRAMID_INI)
    for option, _, ini, _, _ in TWINS:
        assert PYRAMID_INI[ini] == option
        assert pyramid_ini(ini) == OPTIONS[option]


@pytest.mark.parametrize(
    ("warnoptions", "environ", "flags", "own"),
    [
        ([], {}, {}, []),
        (["ignore"], {}, {}, ["ignore"]),
        # PYTHONWARNINGS's entries come first and are judged as that variable
        (["ignore::UserWarning", "error"], {"PYTHONWARNINGS": "ignore::UserWarning"}, {},
         ["error"]),
        (["ignore::UserWarning"], {"PYTHONWARNINGS": "ignore::UserWarning"},
         {"ignore_environment": 1}, ["ignore::UserWarning"]),
        # -X dev's "default" and -b/-bb's BytesWarning filter are their flags' effects
        (["default", "ignore"], {}, {"dev_mode": True}, ["ignore"]),
        (["default::BytesWarning"], {}, {"bytes_warning": 1}, []),
        (["ignore", "error::BytesWarning"], {}, {"bytes_warning": 2}, ["ignore"]),
    ],
)
def test_interpreter_warning_filters(warnoptions: list[str], environ: dict[str, str],
                                     flags: dict[str, object], own: list[str]) -> None:
    from pytest_pyramid.run.invocation import interpreter_warnings

    assert interpreter_warnings(warnoptions, environ, SimpleNamespace(**flags)) == own


@pytest.mark.parametrize(
    ("spec", "harmless"),
    [("error", True), ("error::DeprecationWarning", True), ("ignore", False),
     ("default::UserWarning", False)],
)
def test_warning_filters(spec: str, harmless: bool) -> None:
    assert (judge_warning(spec) is not None) is harmless


def test_pythonpath_entries_inside_and_outside_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    value = os.pathsep.join([str(repo / "src"), str(repo), "", str(tmp_path / "elsewhere")])
    assert pythonpath_outside(value, repo) == [str(tmp_path / "elsewhere")]
    assert pythonpath_outside(str(repo / ".." / "repo" / "src"), repo) == []


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        # hostile 252: pytest's own PY_ variable hands one test file's module to another
        ({"PY_IGNORE_IMPORTMISMATCH": "1"}, "PY_IGNORE_IMPORTMISMATCH: another file's module"),
        ({"PY_COLORS": "1"}, None),
        # hostile 253: the dynamic loader's variables put native code under the judgement
        ({"LD_PRELOAD": "/tmp/libfake.so"}, "LD_PRELOAD: loads native code"),
        ({"LD_LIBRARY_PATH": "/opt/lib"}, "LD_LIBRARY_PATH: loads shared libraries"),
        ({"LD_BIND_NOW": "1"}, "LD_BIND_NOW is not known to pytest-pyramid"),
        ({"PY_SOMETHING_NEW": "1"}, "PY_SOMETHING_NEW is not known to pytest-pyramid"),
        # not a prefix the table covers: judged where a reader is known, not here
        ({"LDFLAGS": "-L/opt", "PYX": "1", "HOME": "/root"}, None),
    ],
)
def test_loader_and_pytest_variables(tmp_path: Path, environ: dict[str, str],
                                     named: str | None) -> None:
    recorded = environment_of(environ)
    reasons = environment_reasons(recorded, [], tmp_path, nested=False)
    if named is None:
        assert reasons == []
    else:
        assert len(reasons) == 1, reasons
        assert named in reasons[0], reasons
        # the project's tracked allow_options accepts it by name
        assert environment_reasons(recorded, list(environ), tmp_path, nested=False) == []


def _flags(**changed: Any) -> SimpleNamespace:
    names = ("debug", "optimize", "dont_write_bytecode", "int_max_str_digits",
             "hash_randomization")
    values = {"hash_randomization": 1, "int_max_str_digits": -1}
    return SimpleNamespace(**{n: changed.get(n, values.get(n, 0)) for n in names})


@pytest.mark.parametrize(
    ("flags", "xoptions", "judgement"),
    [
        (_flags(), {}, []),
        (_flags(dont_write_bytecode=1), {}, []),
        (_flags(optimize=1), {}, ["flag optimize"]),
        (_flags(int_max_str_digits=0), {}, ["flag int_max_str_digits"]),
        (_flags(int_max_str_digits=100_000), {}, ["flag int_max_str_digits"]),
        # 3.12+ reports the limit nobody set as the interpreter's default, not -1
        (_flags(int_max_str_digits=sys.int_info.default_max_str_digits), {}, []),
        (_flags(), {"dev": True, "importtime": True}, []),
        (_flags(), {"presite": "mod"}, ["-X presite"]),
        (_flags(), {"not_a_known_option": True}, ["-X not_a_known_option"]),
    ],
)
def test_interpreter_flags(flags: SimpleNamespace, xoptions: dict[str, object],
                           judgement: list[str]) -> None:
    changed = changed_flags(flags, xoptions)
    bad = [label for label, _ in changed if (judge_flag(label) or (JUDGEMENT, ""))[0] == JUDGEMENT]
    assert bad == judgement


@pytest.mark.parametrize(
    ("off", "own", "allow", "named"),
    [
        ({"cacheprovider", "randomly"}, set(), [], None),
        ({"warnings"}, set(), [], "warnings"),
        ({"pytest_unittest"}, set(), [], "unittest"),
        ({"warnings"}, {"warnings"}, [], None),
        ({"warnings"}, set(), ["-p no:warnings"], None),
        ({"some_new_plugin"}, set(), [], "some_new_plugin"),
        # hostile case 308: without pytest-timeout a limit the project set is not enforced
        ({"timeout"}, set(), [], "timeout"),
        ({"pytest_timeout"}, set(), [], "timeout"),
        ({"timeout"}, {"timeout"}, [], None),
        ({"timeout"}, set(), ["-p no:timeout"], None),
    ],
)
def test_plugins_turned_off(off: set[str], own: set[str], allow: list[str],
                            named: str | None) -> None:
    reasons = disabled_plugin_reasons(off, own, allow)
    if named is None:
        assert reasons == []
    else:
        assert len(reasons) == 1
        assert named in reasons[0]
        assert "allow_options" in reasons[0]


@pytest.mark.parametrize(("name", "value", "named"), [
    # hostile 297: allowed by name, an entry into the ignored build folder is still named
    ("LD_LIBRARY_PATH", "{repo}/build/lib", "{repo}/build/lib (inside the repository"),
    ("LD_LIBRARY_PATH", "/opt/lib:{repo}/build/lib", "{repo}/build/lib (inside"),
    ("LD_LIBRARY_PATH", "{repo}/lib", None),  # a folder of tracked files only
    ("LD_LIBRARY_PATH", "{repo}/mixed", "{repo}/mixed (inside"),  # and an untracked one
    ("LD_LIBRARY_PATH", "/opt/lib", None),  # outside: what the allowance vouches for
    ("LD_LIBRARY_PATH", "{repo}/empty", None),  # nothing there to load
    ("LD_LIBRARY_PATH", "/opt/lib:", "'' (relative"),  # the working folder, wherever it is
    ("LD_LIBRARY_PATH", "build/lib", "'build/lib' (relative"),
    ("LD_PRELOAD", "{repo}/build/lib/libstale.so", "libstale.so (inside"),
    ("LD_PRELOAD", "{repo}/lib/libtracked.so libc.so.6", None),  # a bare name: searched
    ("PYTHONPATH", "/elsewhere", None),  # allowed by name: judged by the import recorder
])
def test_an_allowed_loader_path_list_is_judged_by_its_entries(
        tmp_path: Path, name: str, value: str, named: str | None) -> None:
    from tests.git_repo import commit, git

    repo = tmp_path / "repo"
    (repo / "lib").mkdir(parents=True)
    (repo / "lib/libtracked.so").write_bytes(b"\x7fELF")
    (repo / "empty").mkdir()
    (repo / "mixed").mkdir()
    (repo / "mixed/libtracked.so").write_bytes(b"\x7fELF")
    (repo / ".gitignore").write_text("build/\n")
    git(repo, "init", "-q")
    commit(repo)
    (repo / "build/lib").mkdir(parents=True)
    (repo / "build/lib/libstale.so").write_bytes(b"\x7fELF")
    (repo / "mixed/libstray.so").write_bytes(b"\x7fELF")  # untracked beside a tracked one
    recorded = {name: value.format(repo=repo)}
    assert environment_reasons(recorded, [], repo, nested=False) != []  # not allowed: named
    reasons = environment_reasons(recorded, [name], repo, nested=False)
    if named is None:
        assert reasons == [], reasons
    else:
        assert len(reasons) == 1, reasons
        assert f"{name} is allowed by name" in reasons[0]
        assert named.format(repo=repo) in reasons[0], reasons
