"""A recorded invocation judged again from its raw facts (``run/invocation.py:
judge_recorded``, what ``pyramid merge`` asks of each shard's record and of its own, and
``verdict/assemble.py: invocation_problems``, the one check every route makes). Pure, but for
``started_by_run``'s rows, which read this process's ``/proc`` ancestry."""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.run.invocation import SPOOL_PREFIX, judge_recorded, started_by_run
from pytest_pyramid.run.lineage import RUN_FILE, process_start, write_run_file
from pytest_pyramid.verdict.assemble import invocation_problems

if TYPE_CHECKING:
    from pathlib import Path


def record(*settings: dict[str, Any], environment: dict[str, str] | None = None,
           flags: dict[str, object] | None = None, own_addopts: bool = False,
           plugins_off: list[str] | None = None,
           plugins: list[dict[str, Any]] | None = None,
           declared: list[str] | None = None,
           narrowing: dict[str, Any] | None = None,
           nested: object = None, read: list[str] | None = None,
           later: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "sources": [{"source": "addopts", "args": [], "own": own_addopts},
                    {"source": "command line", "args": [], "own": False}],
        "settings": list(settings),
        "environment": environment or {},
        # what os.environ held later with another value (judged too: hostile case 292)
        "environment_later": later or {},
        "interpreter": {"executable": "python", "flags": flags or {}},
        "repository": "/repo",
        "plugins": plugins or [],
        "plugins_declared": declared or [],
        "narrowing": narrowing or {},
        # the names the project's code read (run/env_reads.py); a record without them is
        # judged "not recorded" (tests/unit/run/test_env_reads_logic.py)
        "environment_read": read or [],
        **({"plugins_off": plugins_off} if plugins_off is not None else {}),
        **({"started_by_run": nested} if nested is not None else {}),
    }


def plugin(name: str, distribution: str | None, file: str = "/site/p.py",
           module: str = "p") -> dict[str, Any]:
    return {"name": name, "object": module,
            "code": [{"module": module, "file": file, "distribution": distribution}]}


def setting(option: str, value: object, source: str = "command line", dest: str = "x",
            names: list[str] | None = None) -> dict[str, Any]:
    return {"option": option, "value": value, "source": source, "class": "outcome-preserving",
            "own": source == "addopts", "dest": dest, "names": names or [option]}


@pytest.mark.parametrize(
    ("given", "allow", "says"),
    [
        (record(), [], None),
        (record(setting("--tb", "short", dest="tbstyle")), [], None),
        # the class is looked up again: a record calling an unknown option harmless is not
        (record(setting("--made-up", True, dest="made_up")), [], "does not know"),
        (record(setting("--made-up", True, dest="made_up")), ["--made-up"], None),
        (record(setting("--made-up", True, "addopts", "made_up"), own_addopts=True), [], None),
        (record(setting("--made-up", True, "addopts", "made_up")), [], "does not know"),
        (record(setting("-p", ["some_plugin"], dest="plugins")), [], "-p some_plugin"),
        (record(setting("-o", ["xfail_strict=false"], dest="override_ini")), [],
         "-o xfail_strict"),
        (record(environment={"PYTEST_PLUGINS": "x"}), [], "PYTEST_PLUGINS"),
        (record(environment={"PYTEST_PLUGINS": "x"}), ["PYTEST_PLUGINS"], None),
        (record(environment={"PYTHONPATH": "/repo/src"}), [], None),
        (record(environment={"PYTHONPATH": "/elsewhere"}), [], "outside the repository"),
        (record(environment={"PYTEST_SOMETHING_NEW": "1"}), [], "PYTEST_SOMETHING_NEW"),
        # hostile case 292: the starting environment and what os.environ held later, both
        # judged: a preload a conftest removed acted all the same, one it set acts on children
        (record(environment={"LD_PRELOAD": "/x/shift.so"}), [], "LD_PRELOAD: loads native"),
        (record(later={"LD_PRELOAD": "/x/shift.so"}), [], "LD_PRELOAD: loads native"),
        (record(environment={"PYTHONPATH": "/repo/src"}, later={"PYTHONPATH": "/elsewhere"}),
         [], "PYTHONPATH has entries outside the repository: /elsewhere"),
        (record(environment={"PYTHONPATH": "/elsewhere"}, later={"PYTHONPATH": "/repo/src"}),
         [], "PYTHONPATH has entries outside the repository: /elsewhere"),
        (record(later={"PYTEST_PLUGINS": "x"}), ["PYTEST_PLUGINS"], None),
        ({k: v for k, v in record().items() if k != "environment_later"}, [],
         "the variables set after the run started were not recorded"),
        ({**record(), "environment_later": None}, [], "were not recorded"),
        # pytest's and xdist's own variables (hostile case 203): theirs only in a run a live
        # recording run started; in a top-level run (or a record without the fact) they came
        # from outside
        (record(environment={"PYTEST_XDIST_WORKER": "gw0"}), [],
         "environment variable PYTEST_XDIST_WORKER: xdist sets it in its workers"),
        (record(environment={"PYTEST_XDIST_WORKER": "gw0"}, nested=False), [],
         "never for a top-level run: here it came from outside and tells the tests they run "
         "in an xdist worker"),
        (record(environment={"PYTEST_XDIST_WORKER_COUNT": "2"}, nested=False), [],
         "PYTEST_XDIST_WORKER_COUNT"),
        (record(environment={"PYTEST_XDIST_TESTRUNUID": "abc"}, nested=False), [],
         "PYTEST_XDIST_TESTRUNUID"),
        (record(environment={"PYTEST_CURRENT_TEST": "x.py::t (call)"}, nested=False), [],
         "environment variable PYTEST_CURRENT_TEST: pytest sets it in a process while it "
         "runs a test"),
        (record(environment={"PYTEST_CURRENT_TEST": "x.py::t (call)"}, nested="true"), [],
         "PYTEST_CURRENT_TEST"),
        (record(environment={"PYTEST_XDIST_WORKER": "gw0", "PYTEST_XDIST_WORKER_COUNT": "2",
                             "PYTEST_XDIST_TESTRUNUID": "abc",
                             "PYTEST_CURRENT_TEST": "x.py::t (call)"}, nested=True), [], None),
        (record(environment={"PYTEST_XDIST_WORKER": "gw0"}), ["PYTEST_XDIST_WORKER"], None),
        # the nesting excuses only pytest's own variables
        (record(environment={"PYTEST_PLUGINS": "x"}, nested=True), [], "PYTEST_PLUGINS"),
        (record(environment={"PYTEST_VERSION": "8.4.1"}), [], None),
        (record(flags={"flag optimize": 1}), [], "interpreter flag optimize"),
        (record(plugins_off=["randomly"]), [], None),
        (record(plugins_off=["cacheprovider_x"]), [], "plugins turned off"),
        # registered plugins (run/plugins.py): by distribution, the tree's, or declared
        (record(plugins=[plugin("xdist", "pytest-xdist")]), [], None),
        (record(plugins=[plugin("skipnet", "pytest-skipnet")]), [], "plugin skipnet "
         "(distribution pytest-skipnet) is registered but not declared"),
        (record(plugins=[plugin("skipnet", "pytest-skipnet")]), ["plugin pytest_SkipNet"],
         None),
        (record(plugins=[plugin("skipnet", "pytest-skipnet")], declared=["skipnet"]), [],
         None),
        (record(setting("-p", ["skipnet"], "addopts", "plugins"), own_addopts=True,
                plugins=[plugin("skipnet", "pytest-skipnet")]), [], None),
        (record(setting("-p", ["skipnet"], dest="plugins"),
                plugins=[plugin("skipnet", "pytest-skipnet")]), [], "not declared"),
        (record(plugins=[plugin("conftest", None, "tests/conftest.py")]), [], None),
        (record(plugins=[plugin("123", None, "/ci/run.py", "__main__")]), [],
         "plugin __main__ runs code from /ci/run.py (module __main__) that neither"),
        (record(plugins=[plugin("x", None, "../outside/conftest.py")]), [], "neither"),
        (record(plugins=[plugin("123", None, "/ci/run.py", "__main__")]),
         ["plugin __main__"], None),
        # a known plugin whose hook is overridden by code from elsewhere is that elsewhere
        (record(plugins=[{"name": "xdist", "object": "xdist.plugin", "code": [
            {"module": "xdist.plugin", "file": "/site/xdist/plugin.py",
             "distribution": "pytest-xdist"},
            {"module": "evil", "file": "/tmp/evil.py", "distribution": None}]}]), [],
         "runs code from /tmp/evil.py"),
        # what narrowed the run beyond its options (run/filters.py): raw facts
        (record(narrowing={"last_failed": True}), [], "--lf: only previously failed"),
        (record(narrowing={"last_failed": False}), [], None),
        (record(narrowing={"confcutdir": {"value": "tests", "resolved": "/repo/tests",
                                          "default": "/repo", "own": False}}), [],
         "--confcutdir tests: conftest files above it were not loaded"),
        (record(narrowing={"confcutdir": {"value": "tests", "resolved": "/repo/tests",
                                          "default": "/repo", "own": False}}),
         ["--confcutdir"], None),
        (record(narrowing={"confcutdir": {"value": "tests", "resolved": "/repo/tests",
                                          "default": "/repo", "own": True}}), [], None),
        (record(narrowing={"confcutdir": {"value": ".", "resolved": "/repo",
                                          "default": "/repo", "own": False}}), [], None),
        (record(narrowing={"inifile": {"value": "other.ini", "discoverable": False,
                                       "project_file": True}}), [], "-c other.ini: the run's"),
        (record(narrowing={"inifile": {"value": "pyproject.toml", "discoverable": True,
                                       "project_file": False}}), [], "-c pyproject.toml"),
        (record(narrowing={"inifile": {"value": "pyproject.toml", "discoverable": True,
                                       "project_file": True}}), [], None),
        # a path option's value given with a space, taken by pytest for a path when it chose
        # its rootdir (run/filters.py: rootdir_fact; absent when no such word names a path)
        (record(narrowing={"rootdir": {"value": "/other", "words": ["/other/h.sqlite"],
                                       "arguments": "/repo"}}), [],
         "pytest's rootdir /other, whose configuration judged the run, is not the folder the "
         "run's own arguments give (/repo): pytest chose it from /other/h.sqlite, an option's "
         "value given with a space; write path options as --option=PATH"),
        (record(narrowing={"rootdir": {"value": "/repo", "words": ["h.sqlite"],
                                       "arguments": "/repo"}}), [], None),
        (record(narrowing={"rootdir": {"value": "/repo", "words": ["h.sqlite"],
                                       "arguments": None}}), [],
         "is not known to be the folder the run's own arguments give (this pytest's rule "
         "could not be asked)"),
        ({k: v for k, v in record().items() if k != "narrowing"}, [], "cannot be read"),
        (record(plugins=[{"name": "x"}]), [], "cannot be read"),
        ({**record(), "plugins": None}, [], "cannot be read"),
        ({"sources": "garbage"}, [], "cannot be read"),
        ({}, [], "cannot be read"),
    ],
)
def test_a_recorded_invocation_is_judged_from_its_raw_facts(
    given: dict[str, Any], allow: list[str], says: str | None,
) -> None:
    reasons = judge_recorded(given, allow)
    if says is None:
        assert reasons == []
    else:
        assert any(says in reason for reason in reasons), reasons


BAD = record(environment={"PYTEST_PLUGINS": "x"})


@pytest.mark.parametrize(
    ("invocations", "messages"),
    [
        ([("", record(), [])], []),
        ([("", BAD, [])], ["environment variable PYTEST_PLUGINS"]),
        # every shard found it: said once, unprefixed; one shard: named
        ([("shard 1/2", BAD, []), ("shard 2/2", BAD, [])],
         ["environment variable PYTEST_PLUGINS"]),
        ([("shard 1/2", BAD, []), ("shard 2/2", record(), [])],
         ["shard 1/2: environment variable PYTEST_PLUGINS"]),
        ([("shard 1/2", None, []), ("shard 2/2", record(), [])],
         ["shard 1/2: no invocation was recorded"]),
        ([("pyramid merge", BAD, [])], ["pyramid merge: environment variable PYTEST_PLUGINS"]),
    ],
)
def test_every_route_judges_invocations_with_one_check(
    invocations: list[Any], messages: list[str],
) -> None:
    problems = invocation_problems(invocations)
    assert {p["kind"] for p in problems} <= {"narrowed"}
    assert len(problems) == len(messages)
    for problem, start in zip(problems, messages, strict=True):
        assert problem["message"].startswith(start), problem



@pytest.mark.parametrize(
    ("value", "started"),
    [
        (None, False),
        ("", False),
        ("not json", False),
        ("[1]", False),
        ('{"root": "/repo"}', False),
        ('{"spool": 3}', False),
        # the run file this process wrote: the run is this process (an in-process nested run)
        ('{"spool": "<tmp>/pyramid-forks-live"}', True),
        ('{"spool": "<tmp>/pyramid-forks-gone"}', False),
        # a folder made by hand (mkdir): no run file, no run (hostile round 9's target)
        ('{"spool": "<tmp>/pyramid-forks-made"}', False),
        # a run file naming a process that is not this one's ancestor (a child of it)
        ('{"spool": "<tmp>/pyramid-forks-other"}', False),
        # a folder that exists but is not a run's spool (a value set by hand)
        ('{"spool": "<tmp>/other"}', False),
        ('{"spool": "<tmp>"}', False),
    ],
)
def test_a_run_was_started_by_a_live_recording_run_only_when_its_spool_names_an_ancestor(
    tmp_path: Path, value: str | None, started: bool,
) -> None:
    """``started_by_run``: the closed world's variable a run inherited names the spool
    folder of a recording run whose run file (run/lineage.py) names this process or one of
    its ancestors, with its start time: the host's word, not the variable's."""
    for name in ("live", "made", "other"):
        (tmp_path / f"{SPOOL_PREFIX}{name}").mkdir(mode=0o700)
    write_run_file(str(tmp_path / f"{SPOOL_PREFIX}live"), {})
    child = subprocess.Popen(["sleep", "120"])  # alive, and no ancestor of this process
    try:
        forged = {"pid": child.pid, "start": process_start(child.pid)}
        (tmp_path / f"{SPOOL_PREFIX}other" / RUN_FILE).write_text(json.dumps(forged))
        (tmp_path / "other").mkdir()
        given = None if value is None else value.replace("<tmp>", tmp_path.as_posix())
        assert started_by_run(given) is started
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize(("started", "now", "later"), [
    ({}, {}, {}),
    ({"LD_PRELOAD": "a.so"}, {}, {}),  # removed later: judged from the start's
    ({"LD_PRELOAD": "a.so"}, {"LD_PRELOAD": "a.so"}, {}),
    ({"LD_PRELOAD": "a.so"}, {"LD_PRELOAD": "b.so"}, {"LD_PRELOAD": "b.so"}),
    ({}, {"PYTHONPATH": "/x", "HOME": "/h"}, {"PYTHONPATH": "/x"}),  # only the judged names
])
def test_the_variables_set_later_are_the_ones_the_start_did_not_hold(
    started: dict[str, str], now: dict[str, str], later: dict[str, str],
) -> None:
    from pytest_pyramid.run.invocation import environment_changed

    assert environment_changed(started, now) == later


def test_a_repeated_reason_of_both_environments_is_said_once() -> None:
    reasons = judge_recorded(record(environment={"LD_PRELOAD": "/x/a.so"},
                                    later={"LD_PRELOAD": "/x/b.so"}), [])
    assert len([r for r in reasons if "LD_PRELOAD" in r]) == 1, reasons
