"""The invocation, allow-listed: what reached the run, where it came from, and whether it may
leave a verdict ``ready``.

One table classifies every command-line option pytest and the known plugins register, by
what setting it does to a run:

- *outcome-preserving*: output, reports, scheduling, diagnostics, or a setting the plugin
  checks by itself (a stopped run is found by collected = reported, ``--timeout`` by the
  tiers' limits): allowed from anywhere;
- *selection*: gives a partial run (the run stage finds and names it, as before);
- *judgement-changing*: everything else; it makes the run ``incomplete`` unless it came from
  the project's own tracked configuration or ``[tool.pyramid] allow_options`` lists it.

An option the table does not know, set outside the project's own configuration, makes the run
``incomplete`` as well, naming it and how to allow it: a new pytest or plugin release cannot
open a hole silently. The options are read from pytest's parser at run time, and each source
(the tracked ``addopts``, ``PYTEST_ADDOPTS``, an ``@argsfile``, the command line) is parsed on
its own to know where a value came from. Environment variables and interpreter flags are
classified the same way. Start-up work only: nothing here runs per test.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from pytest_pyramid.run.plugins import PluginsSeen

OUTCOME = "outcome-preserving"
SELECTION = "selection"
JUDGEMENT = "judgement-changing"

_OUTPUT = (OUTCOME, "output or reports only")
_STRICTER = (OUTCOME, "can only make a run fail more, never pass more")
_INFO = (OUTCOME, "runs no test: no verdict is written (run/filters.py: informational)")
_SCHEDULE = (OUTCOME, "where or in which order tests run; every test still reports (xdist: "
             "the controller reconciles every worker's tests)")
_STOPS = (OUTCOME, "a run that stops early leaves tests that never ran: collected = reported "
          "finds them")
_DEBUG = (OUTCOME, "interactive debugging; a test's outcome is still its own")
_COVERAGE = (OUTCOME, "coverage measurement and its reports: the coverage gates judge what was "
             "measured and check its configuration themselves (gates/cov/plugin.py)")
_BROWSER = (OUTCOME, "how the browser runs or what it records; the test still asserts")
_PYRAMID = (OUTCOME, "pytest-pyramid's own option: the plugin judges what it selects itself "
            "(tiers not selected are not run; a shard writes a partial)")

#: option (any of its flags) -> (class, reason). Walked by tests/unit/run/test_invocation_table.py
#: against every option pytest and the installed plugins register.
OPTIONS: dict[str, tuple[str, str]] = {
    # -- pytest: general
    "-k": (SELECTION, "keeps only tests whose names match"),
    "-m": (SELECTION, "keeps only tests whose markers match"),
    "--markers": _INFO,
    "--exitfirst": _STOPS,
    "--maxfail": _STOPS,
    "--strict-config": _STRICTER,
    "--strict-markers": _STRICTER,
    "--strict": _STRICTER,
    "--fixtures": _INFO,
    "--fixtures-per-test": _INFO,
    "--pdb": _DEBUG,
    "--pdbcls": _DEBUG,
    "--trace": _DEBUG,
    "--capture": (OUTCOME, "where test output goes"),
    "-s": (OUTCOME, "where test output goes"),
    "--runxfail": (JUDGEMENT, "runs and reports xfail tests as if they were not marked"),
    "--last-failed": (SELECTION, "runs only the tests that failed last time"),
    "--failed-first": (OUTCOME, "order only: every test still runs"),
    "--new-first": (OUTCOME, "order only: every test still runs"),
    "--cache-show": _INFO,
    "--cache-clear": (OUTCOME, "clears pytest's cache (--lf/--sw state) before the run"),
    "--last-failed-no-failures": (SELECTION, "what --lf runs when nothing failed"),
    "--stepwise": (SELECTION, "stops at a failure and skips passed tests next time"),
    "--stepwise-skip": (SELECTION, "stepwise, ignoring one failure"),
    "--stepwise-reset": (SELECTION, "stepwise from the start"),
    # -- pytest: terminal reporting
    "--durations": _OUTPUT,
    "--durations-min": _OUTPUT,
    "--verbose": _OUTPUT,
    "--quiet": _OUTPUT,
    "--verbosity": _OUTPUT,
    "--no-header": _OUTPUT,
    "--no-summary": _OUTPUT,
    "--no-fold-skipped": _OUTPUT,
    "--force-short-summary": _OUTPUT,
    "--report-chars": _OUTPUT,
    "--disable-warnings": (OUTCOME, "hides the warnings summary; filterwarnings still apply"),
    "--showlocals": _OUTPUT,
    "--no-showlocals": _OUTPUT,
    "--tb": _OUTPUT,
    "--xfail-tb": _OUTPUT,
    "--show-capture": _OUTPUT,
    "--full-trace": _OUTPUT,
    "--color": _OUTPUT,
    "--code-highlight": _OUTPUT,
    "--pastebin": _OUTPUT,
    "--junit-xml": _OUTPUT,
    "--junit-prefix": _OUTPUT,
    # -- pytest: warnings (-W is judged per value: see _judge_warning)
    "--pythonwarnings": (JUDGEMENT, "a warning filter other than the project's filterwarnings"),
    "--max-warnings": _STRICTER,
    # -- pytest: collection
    "--collect-only": _INFO,
    "--pyargs": (JUDGEMENT, "collects installed packages by module name, not the tree's files"),
    "--ignore": (JUDGEMENT, "leaves paths (and the conftest files in them) out of collection"),
    "--ignore-glob": (JUDGEMENT, "leaves paths (and the conftest files in them) out of "
                      "collection"),
    "--deselect": (SELECTION, "deselects tests by node id prefix"),
    "--confcutdir": (JUDGEMENT, "conftest files above it are not loaded"),
    "--noconftest": (JUDGEMENT, "the project's conftest files are not loaded"),
    "--keep-duplicates": (OUTCOME, "a path given twice is collected twice; "
                          "collected = reported holds per node id"),
    "--collect-in-virtualenv": (OUTCOME, "collects more, never less; the inventory scans "
                                "tier folders whatever it says"),
    "--continue-on-collection-errors": (OUTCOME, "collection errors still make the run "
                                        "incomplete"),
    "--import-mode": (JUDGEMENT, "how test modules are imported (which module a name means)"),
    "--doctest-modules": (JUDGEMENT, "collects doctests: a different suite from the "
                          "project's"),
    "--doctest-report": _OUTPUT,
    "--doctest-glob": (JUDGEMENT, "which text files are collected as doctests"),
    "--doctest-ignore-import-errors": (JUDGEMENT, "a module that does not import is skipped, "
                                       "not an error"),
    "--doctest-continue-on-failure": (OUTCOME, "a failing doctest still fails; later "
                                      "examples are run too"),
    # -- pytest: debugconfig
    "--config-file": (JUDGEMENT, "another configuration file (allowed when it is the file "
                      "pytest finds itself and holds [tool.pyramid]: see -c in filters.py)"),
    "--rootdir": (JUDGEMENT, "another rootdir (allowed when it is the project directory)"),
    "--basetemp": (OUTCOME, "where tmp_path folders are made"),
    "--version": _INFO,
    "--help": _INFO,
    "-p": (JUDGEMENT, "judged per value: -p no:NAME by DISABLE, -p NAME allowed for an "
           "installed pytest11 plugin (what autoloading loads)"),
    "--disable-plugin-autoload": (OUTCOME, "judged by its effect: each installed plugin "
                                  "that did not load is judged by DISABLE (filters.py)"),
    "--trace-config": _OUTPUT,
    "--debug": (OUTCOME, "writes pytest's internal debug log"),
    "--override-ini": (JUDGEMENT, "judged per ini name: INI_OVERRIDES"),
    "--assert": (JUDGEMENT, "plain asserts lose pytest's rewriting (and its plugins' hooks)"),
    "--setup-only": _INFO,
    "--setup-show": _OUTPUT,
    "--setup-plan": _INFO,
    # -- pytest: logging. Not output only: ``catching_logs`` lowers the root logger to the
    # lowest of the capture, live-log and log-file levels for the whole test, so each level
    # decides which records reach ``caplog``; ``--log-disable`` keeps a logger's records from
    # it; the capture format shapes ``caplog.text`` (hostile case 304)
    "--log-level": (JUDGEMENT, "which records reach caplog (the root logger's level)"),
    "--log-format": (JUDGEMENT, "the text of caplog.text"),
    "--log-date-format": (JUDGEMENT, "the text of caplog.text"),
    "--log-auto-indent": (JUDGEMENT, "the text of caplog.text"),
    "--log-cli-level": (JUDGEMENT, "which records reach caplog (it lowers the root logger's "
                        "level for every test)"),
    "--log-cli-format": _OUTPUT,
    "--log-cli-date-format": _OUTPUT,
    "--log-file": _OUTPUT,
    "--log-file-mode": _OUTPUT,
    "--log-file-level": (JUDGEMENT, "which records reach caplog (it lowers the root logger's "
                         "level for every test)"),
    "--log-file-format": _OUTPUT,
    "--log-file-date-format": _OUTPUT,
    "--log-disable": (JUDGEMENT, "which loggers' records reach caplog"),
    # -- pytester (pytest's own plugin for testing plugins)
    "--lsof": _STRICTER,
    "--runpytest": (OUTCOME, "how pytester runs pytest inside a test; the test asserts"),
    # -- pytest-xdist
    "--numprocesses": _SCHEDULE,
    "--maxprocesses": _SCHEDULE,
    "--max-worker-restart": (OUTCOME, "a crashed worker still makes the run incomplete"),
    "--dist": _SCHEDULE,
    "--loadscope-reorder": _SCHEDULE,
    "--no-loadscope-reorder": _SCHEDULE,
    # A gateway spec chooses where a worker runs and with which interpreter:
    # ``popen//chdir=OTHER`` runs another checkout's tests under this run's verdict. ``-n``
    # alone (popen workers in this folder) is scheduling.
    "--tx": (JUDGEMENT, "workers may run in another folder or interpreter (chdir=, python=)"),
    "--px": (JUDGEMENT, "workers may run in another folder or interpreter (chdir=, python=)"),
    "-d": (JUDGEMENT, "workers run on the --tx gateways, possibly another folder"),
    "--rsyncdir": (JUDGEMENT, "remote workers run copies of other folders"),
    "--rsyncignore": (JUDGEMENT, "remote workers run without some of the tree"),
    "--testrunuid": _SCHEDULE,
    "--maxschedchunk": _SCHEDULE,
    "--looponfail": (SELECTION, "reruns failing tests until they pass"),
    # -- pytest-timeout
    "--timeout": (OUTCOME, "judged against the tiers' per-test limits (run/limits.py: "
                  "a --timeout over configured limits makes the run incomplete)"),
    "--timeout-method": (OUTCOME, "how a timed-out test is stopped; it still fails"),
    "--timeout_method": (OUTCOME, "how a timed-out test is stopped; it still fails"),
    "--timeout-disable-debugger-detection": _DEBUG,
    "--session-timeout": _STOPS,
    # -- pytest-rerunfailures (a rerun's pass is judged by the flaky gate)
    # Whether a failure may be excused by a pass on rerun is the project's decision (its
    # tracked addopts), not a CI script's: a warn-level flaky gate would let it through.
    "--reruns": (JUDGEMENT, "a failing test that passes on a rerun is no longer a failure"),
    "--reruns-delay": (OUTCOME, "time between reruns"),
    "--reruns-delay-backoff-factor": (OUTCOME, "time between reruns"),
    "--only-rerun": (OUTCOME, "reruns fewer failures: stricter"),
    "--rerun-except": (OUTCOME, "reruns fewer failures: stricter"),
    "--rerun-exclude-path": (OUTCOME, "reruns fewer failures: stricter"),
    "--force-reruns": (JUDGEMENT, "a failing test that passes on a rerun is no longer a "
                       "failure"),
    # ``append`` sums the marker's count and the ini's: a test whose ``flaky(reruns=0)``
    # forbids a retry is retried (hostile case 308)
    "--reruns-mode": (JUDGEMENT, "which tests are retried, and how often"),
    "--fail-on-flaky": _STRICTER,
    "--rerun-show-tracebacks": _OUTPUT,
    "--max-suite-reruns": (OUTCOME, "caps reruns: stricter"),
    # -- pytest-cov
    "--cov": _COVERAGE,
    "--cov-reset": _COVERAGE,
    "--cov-report": _COVERAGE,
    "--cov-config": _COVERAGE,
    "--no-cov-on-fail": _COVERAGE,
    "--no-cov": _COVERAGE,
    "--cov-fail-under": _STRICTER,
    "--cov-append": _COVERAGE,
    "--cov-branch": _COVERAGE,
    "--cov-precision": _COVERAGE,
    "--cov-context": _COVERAGE,
    # -- hypothesis
    "--hypothesis-profile": (JUDGEMENT, "another settings profile: fewer examples, other "
                             "deadlines, health checks off"),
    "--hypothesis-verbosity": _OUTPUT,
    "--hypothesis-show-statistics": _OUTPUT,
    "--hypothesis-seed": (OUTCOME, "which examples are drawn; the project's own database "
                          "and explicit examples still run"),
    "--hypothesis-explain": _OUTPUT,
    # -- anyio
    "--anyio-mode": (JUDGEMENT, "which async tests anyio runs, and how"),
    # -- pytest-playwright
    "--browser": (JUDGEMENT, "which browser engines the browser tests run against"),
    "--headed": _BROWSER,
    "--browser-channel": (JUDGEMENT, "which browser build the browser tests run against"),
    "--slowmo": _BROWSER,
    "--device": (JUDGEMENT, "emulates another device"),
    "--output": _BROWSER,
    "--tracing": _BROWSER,
    "--video": _BROWSER,
    "--screenshot": _BROWSER,
    "--full-page-screenshot": _BROWSER,
    "--playwright-debug": _DEBUG,
    "--base-url": (JUDGEMENT, "the tests talk to another server than the project's"),
    # -- locust's pytest plugin
    "--host": (JUDGEMENT, "the load tests talk to another server than the project's"),
    # -- pytest-pyramid
    "--pyramid-tier": _PYRAMID,
    "--pyramid-fail-fast": _STOPS,
    "--pyramid-verdict": (OUTCOME, "where the verdict is written"),
    "--pyramid-explain": _OUTPUT,
    "--pyramid": (OUTCOME, "turns the plugin on"),
    # which lines count as changed is the project's decision ([tool.pyramid.coverage] base):
    # a CI script's --pyramid-diff-base=HEAD leaves no changed line to judge
    "--pyramid-diff-base": (JUDGEMENT, "the base of the changed-lines gates: another base "
                            "judges other lines (HEAD: none)"),
    "--pyramid-shard": _PYRAMID,
    "--pyramid-durations": _SCHEDULE,
    "--pyramid-report": _OUTPUT,
    "--pyramid-history": _OUTPUT,
    # wherever it comes from, a target run is never ready: every route names it (target_run)
    "--pyramid-target": (SELECTION, "the tests talk to a deployed server at that URL: a target "
                         "run verifies a deployment, never a release (completeness: "
                         "target_run, from any source)"),
    # pytest 8.4 (the lowest supported) registers the summary-chars option as `-r` alone;
    # 9.0 added its long name `--report-chars` (above): the same option, unclassified on 8.4
    "-r": _OUTPUT,
}

#: plugins whose absence (``-p no:NAME``, or not autoloaded) changes neither what runs nor how
#: it is judged: name -> why
DISABLE: dict[str, str] = {
    "cacheprovider": "the cache only serves --lf/--ff/--sw, which are judged themselves",
    "pastebin": "output only",
    "junitxml": "output only",
    "html": "output only (pytest-html)",
    "md_report": "output only",
    "json_report": "output only",
    "sugar": "output only",
    "instafail": "output only",
    "rich": "output only",
    "randomly": "order only: without it, tests run in file order",
    "xdist": "scheduling only: the tests run in one process",
    "xdist.looponfail": "scheduling only",
    "legacypath": "old path fixtures: a test that uses one errors, it cannot pass",
    "tmpdir": "a fixture provider: a test that uses it errors, it cannot pass",
    "nose": "gone from pytest 8",
    "stepwise": "without it no run stops at a failure",
    "rerunfailures": "without it a failure is not rerun: stricter",
    "pyramid_markers": "the tier markers; without them a marked test is an unknown marker",
    "_pyramid_install_check": "the install guard: it only stops a run when another project's "
                              "pytest_pyramid is installed, which the plugin checks again",
    "platformdirs": "a fixture provider: a test that uses it errors, it cannot pass",
    "anyio": "runs async tests: without it an async test errors or is skipped (a skipped test "
             "does not count as passed)",
    "locust": "load-test fixtures: a test that uses them errors, it cannot pass",
    "pact": "contract-test fixtures: a test that uses them errors, it cannot pass",
    "schemathesis": "API-test collection and fixtures: a test that uses them errors",
    "playwright": "browser fixtures: a test that uses them errors, it cannot pass",
    "playwright-base-url": "the base_url fallback of pytest-playwright: tests that need it "
                           "error",
    "pytest_cov": "no coverage is measured: the coverage gates are then not evaluated",
}
# Not hypothesis's plugin (hostile case 358): its pytest_runtest_call fails tests (health
# checks such as a function-scoped fixture under @given, @example without @given); without
# it such a test passes.
# Not pytest-timeout: without it a limit the project configured (``timeout``) is not
# enforced and a hung test passes (hostile case 308). Only plugins whose absence can only
# make a test error, or changes output and order alone, are harmless to leave out.

#: ini settings ``-o NAME=...`` may set without changing what runs or how it is judged
INI_OVERRIDES: dict[str, str] = {
    **{name: "output or reports only" for name in (
        "console_output_style", "junit_family", "junit_suite_name", "junit_logging",
        "junit_log_passing_tests", "junit_duration_report", "log_cli", "log_cli_format",
        "log_cli_date_format", "log_file", "log_file_format", "log_file_date_format",
        "log_file_mode", "verbosity_assertions",
        "verbosity_test_cases", "verbosity_subtests", "truncation_limit_lines",
        "truncation_limit_chars", "assertion_text_diff_style",
    )},
    "cache_dir": "where pytest's cache lives",
    "tmp_path_retention_count": "how many tmp_path folders are kept",
    "tmp_path_retention_policy": "which tmp_path folders are kept",
    "faulthandler_timeout": "dumps tracebacks of a hanging test; it still runs",
}
#: boolean ini settings that only make a run stricter when true
STRICTER_WHEN_TRUE = frozenset({
    "strict", "strict_markers", "strict_config", "strict_xfail", "xfail_strict",
    "strict_parametrization_ids", "pyramid_strict",
})
#: pytest-pyramid's own ini names (markers.py registers them). An ini twin is judged as its
#: command-line option: ``-o pyramid_diff_base=HEAD`` is ``--pyramid-diff-base=HEAD``. The two
#: without a twin change how tests are tiered. A ``pyramid_*`` name not listed is not allowed.
PYRAMID_INI: dict[str, str | tuple[str, str]] = {
    "pyramid_tier": "--pyramid-tier",
    "pyramid_fail_fast": "--pyramid-fail-fast",
    "pyramid_verdict": "--pyramid-verdict",
    "pyramid_explain": "--pyramid-explain",
    "pyramid_enable": "--pyramid",
    "pyramid_diff_base": "--pyramid-diff-base",
    "pyramid_shard": "--pyramid-shard",
    "pyramid_durations": "--pyramid-durations",
    "pyramid_report": "--pyramid-report",
    "pyramid_history": "--pyramid-history",
    "pyramid_target": "--pyramid-target",
    "pyramid_default_tier": (JUDGEMENT, "puts tests no rule maps into another tier"),
    "pyramid_strict": (JUDGEMENT, "false lets a test no tier maps run in the default tier "
                       "instead of stopping the run"),
}


def pyramid_ini(name: str) -> tuple[str, str] | None:
    """The table's entry for one of pytest-pyramid's own ini names (its option twin's)."""
    entry = PYRAMID_INI.get(name)
    return OPTIONS.get(entry) if isinstance(entry, str) else entry

#: why a variable pytest or xdist sets for its own processes is judged in a top-level run
_SET_FOR_ITSELF = ("{} (outcome-preserving there), never for a top-level run: here it came "
                   "from outside and tells the tests {} (a test may skip itself on it)")

#: environment variables pytest, Python or the plugins read: name -> (class, reason).
#: PYTHONPATH is judged per entry, PYTEST_ADDOPTS per option (a source of its own).
ENVIRONMENT: dict[str, tuple[str, str]] = {
    "PYTEST_ADDOPTS": (OUTCOME, "its options are judged one by one, like the command line's"),
    "PYTHONPATH": (OUTCOME, "judged per entry: inside the repository allowed, outside not"),
    "PYTEST_PLUGINS": (JUDGEMENT, "loads plugins the project did not declare"),
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD": (OUTCOME, "judged by its effect: each installed plugin "
                                       "that did not load is judged by DISABLE"),
    "PYTEST_DEBUG": _OUTPUT,
    "PYTEST_THEME": _OUTPUT,
    "PYTEST_THEME_MODE": _OUTPUT,
    "PYTEST_CURRENT_TEST": (JUDGEMENT, _SET_FOR_ITSELF.format(
        "pytest sets it in a process while it runs a test", "another test is running")),
    "PYTEST_DEBUG_TEMPROOT": (OUTCOME, "where tmp_path folders are made"),
    "PYTEST_BASE_URL": (JUDGEMENT, "the tests talk to another server than the project's"),
    "PYTEST_VERSION": (OUTCOME, "set by pytest itself"),
    "PYTEST_XDIST_WORKER": (JUDGEMENT, _SET_FOR_ITSELF.format(
        "xdist sets it in its workers", "they run in an xdist worker")),
    "PYTEST_XDIST_WORKER_COUNT": (JUDGEMENT, _SET_FOR_ITSELF.format(
        "xdist sets it in its workers", "they run under xdist")),
    "PYTEST_XDIST_TESTRUNUID": (JUDGEMENT, _SET_FOR_ITSELF.format(
        "xdist sets it in its workers", "they run under xdist")),
    "PYTEST_XDIST_AUTO_NUM_WORKERS": _SCHEDULE,
    "PYTEST_TIMEOUT": (OUTCOME, "pytest-timeout's --timeout: judged against the tiers' "
                       "per-test limits"),
    "PYTEST_RERUNS": (JUDGEMENT, "a failing test that passes on a rerun is no longer a "
                      "failure"),
    "PYTHONUNBUFFERED": _OUTPUT,
    "PYTHONIOENCODING": _OUTPUT,
    "PYTHONDONTWRITEBYTECODE": (OUTCOME, "only whether bytecode is written"),
    "PYTHONHASHSEED": (OUTCOME, "the hash seed is random by default: a fixed one is one of "
                       "the runs the project's tests already face"),
    "PYTHONFAULTHANDLER": (OUTCOME, "tracebacks on a crash"),
    "PYTHONTRACEMALLOC": (OUTCOME, "diagnostics only"),
    "PYTHONASYNCIODEBUG": _STRICTER,
    "PYTHONDEVMODE": _STRICTER,
    "PYTHONWARNDEFAULTENCODING": _STRICTER,
    "PYTHONNODEBUGRANGES": _OUTPUT,
    "PYTHONMALLOC": (OUTCOME, "the allocator; the same code runs"),
    "PYTHONMALLOCSTATS": _OUTPUT,
    "PYTHONVERBOSE": _OUTPUT,
    "PYTHONDEBUG": _OUTPUT,
    "PYTHONNOUSERSITE": (OUTCOME, "fewer places to import from, never code in the tree"),
    "PYTHONSAFEPATH": (OUTCOME, "fewer places to import from, never code in the tree"),
    "PYTHONUTF8": (OUTCOME, "the encoding default is part of the platform, like the locale"),
    "PYTHONCOERCECLOCALE": (OUTCOME, "the locale is part of the platform"),
    "PYTHONBREAKPOINT": _DEBUG,
    "PYTHONSTARTUP": (OUTCOME, "read by interactive sessions only"),
    "PYTHONINSPECT": _DEBUG,
    "PYTHONPYCACHEPREFIX": (OUTCOME, "where bytecode is cached; bytecode is still checked "
                            "against its source"),
    "PYTHONOPTIMIZE": (JUDGEMENT, "removes assert statements from the code under test"),
    "PYTHONWARNINGS": (JUDGEMENT, "a warning filter other than the project's filterwarnings"),
    "PYTHONHOME": (JUDGEMENT, "another standard library"),
    "PYTHONPLATLIBDIR": (JUDGEMENT, "another standard library"),
    "PYTHONUSERBASE": (JUDGEMENT, "imports packages from another user site"),
    "PYTHONEXECUTABLE": (JUDGEMENT, "another interpreter path"),
    "PYTHONCASEOK": (JUDGEMENT, "imports ignore case"),
    "PYTHONINTMAXSTRDIGITS": (JUDGEMENT, "another int/str conversion limit than production's"),
    "PYTHONPRESITE": (JUDGEMENT, "imports a module before anything else"),
    # -- pytest's own PY_ variables (``_pytest/pathlib.py``, ``_pytest/_io/terminalwriter.py``)
    "PY_COLORS": _OUTPUT,
    "PY_IGNORE_IMPORTMISMATCH": (JUDGEMENT, "another file's module stands for a test file: "
                                 "pytest imports the module of one path for another of the "
                                 "same name, whose tests never run (hostile case 252)"),
    # -- the dynamic loader's (ld.so(8)): native code in the interpreter that runs the tests
    #    and judges them. Any other LD_ variable is unknown, so judged as such (hostile 253)
    "LD_PRELOAD": (JUDGEMENT, "loads native code into every process of the run, before "
                   "Python: it can move the clock or answer for libc (libfaketime)"),
    "LD_AUDIT": (JUDGEMENT, "loads native code that can rebind every library call"),
    "LD_LIBRARY_PATH": (JUDGEMENT, "loads shared libraries from other folders than the "
                        "system's, for the interpreter and every extension module"),
    # -- pytest-pyramid's own (a CI script's variable is not the project's configuration)
    "PYRAMID_RUN_ID": (OUTCOME, "names the CI run; pyramid merge checks that every shard "
                       "names the same one"),
    "PYRAMID_RUN_NUMBER": (OUTCOME, "the CI run's number, for the run history"),
    "PYRAMID_RISK_BASE": (JUDGEMENT, "the base the risk gate judges the change against: "
                          "another base judges another change (HEAD: none)"),
    "PYRAMID_SIGNING_KEY": (OUTCOME, "removed from the environment before any test runs; "
                            "the plugin never signs"),
    "PYRAMID_TRUSTED_KEYS": (OUTCOME, "read by pyramid check and deploy, not by a test run"),
    "PYRAMID_CHROMIUM": (JUDGEMENT, "which browser build the browser tests run against"),
    "PYRAMID_LOCUST_FINAL_STATS": (OUTCOME, "set by the load toolkit for its own locust "
                                   "process"),
    "PYRAMID_POSTGRES_URL": (OUTCOME, "where the database fixtures find PostgreSQL (a CI "
                             "service); the tests still run against it, and the verdict's "
                             "services section names the provider used"),
    "PYRAMID_POSTGRES_SCHEMA": (JUDGEMENT, "replaces the schema the database fixtures build "
                                "(pyramid deploy's schema check: another release's "
                                "migrations), so the tests ran against another schema"),
    "PYRAMID_REDIS_URL": (OUTCOME, "where the cache fixtures find Redis (a CI service); the "
                          "verdict's services section names the provider used"),
    "PYRAMID_SERVICES_TMPDIR": (OUTCOME, "where the fixtures' own servers keep their data"),
    "PYRAMID_COMMIT": (OUTCOME, "set by the deploy for the processes it starts"),
    "PYRAMID_RELEASE": (OUTCOME, "set by the deploy for the processes it starts"),
    "PYRAMID_VERIFY_RUN": (OUTCOME, "marks a deploy's verify run, so the next owner of its "
                           "work folder can end it (deploy/verify_owner.py)"),
    "PYRAMID_RECORD_SPOOL": (OUTCOME, "the closed world's own: a recording run sets it for the "
                             "processes it starts, which spool what they read to it "
                             "(run/early.py); a run replaces a value it inherits with its own "
                             "before any child starts, so a value from outside can only send "
                             "this run's reads to another run, never hide them from this one"),
    "PYRAMID_DEV_PROGRESS": (OUTCOME, "output only: ./dev test's per-tier progress lines"),
    "PYRAMID_FAULT_REPORT": (OUTCOME, "output only: where pytest-pyramid's own fault tests "
                             "write their figures"),
    "PYRAMID_TEST_ARTIFACTS": (OUTCOME, "output only: where pytest-pyramid's own browser "
                               "tests keep screenshots"),
}
#: the closed world's variable for a run's children (``run/early.py: VARIABLE``)
RECORD_VARIABLE = "PYRAMID_RECORD_SPOOL"
#: variables pytest and xdist set for their own processes (judgement-changing in the table):
#: outcome-preserving only where pytest or xdist set them, which is a process the run judges
#: only when a live recording run started it (a test's own pytest run, in a subprocess or in
#: process: :func:`started_by_run`). An xdist worker judges nothing (its controller does).
#: In a top-level run (serial, or the xdist controller) nobody of the run set them: a CI
#: job's environment did (hostile case 203)
SET_BY_PYTEST = frozenset({"PYTEST_CURRENT_TEST", "PYTEST_XDIST_WORKER",
                           "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"})
#: the prefix of a recording run's spool folder (``run/imported.py``: ``tempfile.mkdtemp``)
SPOOL_PREFIX = "pyramid-forks-"
#: the prefixes of the variables the table must know: pytest's (``PYTEST_``, ``PY_``),
#: Python's, pytest-pyramid's and the dynamic loader's (``LD_``), which reads them before any
#: of the others runs. A variable under one of them that the table does not know is unknown
#: (incomplete); others are judged where a reader is known (``COVERAGE_*``: the coverage gate)
ENV_PREFIXES = ("PYTEST_", "PY_", "PYTHON", "PYRAMID_", "LD_")

#: interpreter flags (``sys.flags`` names) whose non-default value matters: name -> (class, why)
FLAGS: dict[str, tuple[str, str]] = {
    "debug": _OUTPUT,
    "inspect": _DEBUG,
    "interactive": _DEBUG,
    "optimize": (JUDGEMENT, "-O removes assert statements from the code under test"),
    "dont_write_bytecode": (OUTCOME, "-B: only whether bytecode is written"),
    "no_user_site": (OUTCOME, "-s: fewer places to import from"),
    "no_site": (OUTCOME, "-S: fewer places to import from; a plugin that is missing does not "
                "pass a test"),
    "ignore_environment": (OUTCOME, "-E: the PYTHON* variables are not read"),
    "verbose": _OUTPUT,
    "bytes_warning": _STRICTER,
    "quiet": _OUTPUT,
    "hash_randomization": (OUTCOME, "the hash seed; see PYTHONHASHSEED"),
    "isolated": (OUTCOME, "-I: fewer places to import from, no PYTHON* variables"),
    "dev_mode": _STRICTER,
    "utf8_mode": (OUTCOME, "the encoding default is part of the platform, like the locale"),
    "warn_default_encoding": _STRICTER,
    "safe_path": (OUTCOME, "-P: fewer places to import from"),
    "int_max_str_digits": (JUDGEMENT, "another int/str conversion limit than production's"),
    "gil": (OUTCOME, "free-threaded builds: the same code runs"),
    "thread_inherit_context": (OUTCOME, "free-threaded builds: the same code runs"),
    "context_aware_warnings": (OUTCOME, "free-threaded builds: the same code runs"),
}
#: ``-X`` options: name -> (class, why)
XOPTIONS: dict[str, tuple[str, str]] = {
    "dev": _STRICTER,
    "faulthandler": (OUTCOME, "tracebacks on a crash"),
    "importtime": _OUTPUT,
    "tracemalloc": (OUTCOME, "diagnostics only"),
    "showrefcount": _OUTPUT,
    "utf8": (OUTCOME, "the encoding default is part of the platform, like the locale"),
    "pycache_prefix": (OUTCOME, "where bytecode is cached; bytecode is still checked against "
                       "its source"),
    "warn_default_encoding": _STRICTER,
    "no_debug_ranges": _OUTPUT,
    "frozen_modules": (OUTCOME, "how the standard library is loaded; the same code"),
    "perf": (OUTCOME, "profiling support"),
    "perf_jit": (OUTCOME, "profiling support"),
    "cpu_count": _SCHEDULE,
    "gil": (OUTCOME, "free-threaded builds: the same code runs"),
    "int_max_str_digits": (JUDGEMENT, "another int/str conversion limit than production's"),
    "presite": (JUDGEMENT, "imports a module before anything else"),
}
#: the default of each ``sys.flags`` entry (a flag at its default is not judged)
FLAG_DEFAULTS: dict[str, object] = {"hash_randomization": 1, "int_max_str_digits": -1,
                                     "gil": 1, "thread_inherit_context": 0,
                                     "context_aware_warnings": 0}
#: a second value that is a flag's default: Python 3.12+ reports the int/str limit nobody
#: set as the interpreter's own default (4300), where 3.10/3.11 report -1; both are
#: production's limit, so neither is judged (every 3.13 run was `incomplete` on it)
FLAG_BUILT_IN: dict[str, object] = {
    "int_max_str_digits": getattr(sys.int_info, "default_max_str_digits", -1)}


#: the destination of ``--disable-plugin-autoload`` (pytest 8.4)
AUTOLOAD_OFF = "disable_plugin_autoload"


def lookup(names: Iterable[str]) -> tuple[str, str] | None:
    """The table's entry for an option with these flags (the first flag the table knows)."""
    for name in names:
        entry = OPTIONS.get(name)
        if entry is not None:
            return entry
    return None


def judge_disabled(name: str) -> str | None:
    """Why turning plugin ``name`` off is harmless, or None when it is not known to be."""
    bare = name.removeprefix("pytest_")
    return DISABLE.get(name) or DISABLE.get(bare) or DISABLE.get(f"pytest_{bare}")


def judge_override(override: str) -> str | None:
    """Why ``-o NAME=VALUE`` is harmless, or None."""
    name, _, value = override.partition("=")
    name = name.strip()
    if name in STRICTER_WHEN_TRUE and value.strip().lower() in ("true", "1", "yes", "on"):
        return "only makes the run stricter"
    if name.startswith("pyramid_"):
        entry = pyramid_ini(name)
        return entry[1] if entry is not None and entry[0] != JUDGEMENT else None
    return INI_OVERRIDES.get(name)


def judge_warning(spec: str) -> str | None:
    """Why ``-W SPEC`` is harmless (it turns warnings into errors), or None."""
    return "turns warnings into errors: stricter" if spec.strip().startswith("error") else None


def pythonpath_outside(value: str, repository: Path) -> list[str]:
    """The ``PYTHONPATH`` entries outside the repository (code the tree does not hold)."""
    outside = []
    root = repository.resolve()
    for entry in value.split(os.pathsep):
        if not entry:
            continue  # an empty entry is the current directory: inside when run there
        path = Path(entry).resolve()
        if path != root and root not in path.parents:
            outside.append(entry)
    return outside


def changed_flags(flags: Any = None, xoptions: Mapping[str, object] | None = None
                  ) -> list[tuple[str, object]]:
    """The interpreter flags and ``-X`` options of this process that are not at their
    defaults: (``flag NAME`` or ``-X NAME``, value)."""
    flags = sys.flags if flags is None else flags
    xoptions = getattr(sys, "_xoptions", {}) if xoptions is None else xoptions
    found: list[tuple[str, object]] = []
    names = getattr(type(flags), "__match_args__", None) or [
        n for n in dir(flags) if not n.startswith(("_", "n_")) and n not in ("count", "index")]
    for name in names:
        value = getattr(flags, name)
        default = FLAG_DEFAULTS.get(name, 0)
        if value not in (default, FLAG_BUILT_IN.get(name, default)):
            found.append((f"flag {name}", value))
    found.extend((f"-X {name}", value) for name, value in sorted(xoptions.items()))
    return found


def judge_flag(label: str) -> tuple[str, str] | None:
    kind, _, name = label.partition(" ")
    return (FLAGS if kind == "flag" else XOPTIONS).get(name)


def allowed(label: str, allow: Sequence[str]) -> bool:
    """Whether ``[tool.pyramid] allow_options`` lists this option, ``-p``/``-o`` value,
    variable or flag (``-o NAME`` allows overriding NAME; ``-p NAME`` loading NAME)."""
    return label in allow


def addopts_text(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else shlex.split(str(value or ""))


# -- reading the run's invocation (start-up, once) ----------------------------------------


def registered_options(parser: Any) -> dict[str, tuple[str, ...]]:
    """dest -> every flag of the options pytest's parser holds (all groups), in order."""
    found: dict[str, list[str]] = {}
    for group in (parser._anonymous, *parser._groups):  # pytest keeps no public list
        for option in group.options:
            names = found.setdefault(option.dest, [])
            names.extend(n for n in option.names() if n not in names)
    return {dest: tuple(names) for dest, names in found.items()}


def parse_args(parser: Any, args: Sequence[str]) -> dict[str, Any] | None:
    try:
        parsed: dict[str, Any] = vars(parser.parse_known_args(list(args)))
    except Exception:  # a source pytest parsed whole may still not parse alone
        return None
    return parsed


def _flag_used(args: Sequence[str], names: Sequence[str]) -> str:
    """The flag of an option that ``args`` spell (``--tb=short``, ``-kfoo``), else its first."""
    for arg in args:
        for name in names:
            if arg == name or (name.startswith("--") and arg.startswith(name + "=")) or (
                len(name) == 2 and not arg.startswith("--") and arg.startswith(name)
            ):
                return name
    return names[0] if names else "?"


def _values(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def git_tracked(paths: Sequence[Path], cwd: Path) -> set[Path]:
    """Which of ``paths`` git tracks (in the index); none outside a git repository. One
    ``git ls-files`` (it prints the tracked ones relative to ``cwd``)."""
    import subprocess

    from pytest_pyramid.run._git import run_git

    if not paths:
        return set()
    try:  # the one way to run git: a leaked GIT_DIR cannot name another repository's index
        result = run_git(cwd, "ls-files", "-z", "--", *map(str, paths), timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return set()
    if result.returncode != 0:  # 128: not a git repository, nothing is tracked
        return set()
    listed = {(cwd / name).resolve() for name in result.stdout.split("\0") if name}
    return {path for path in paths if path.resolve() in listed}


class Source:
    """One place arguments came from: the project's ``addopts``, ``PYTEST_ADDOPTS``, an
    argsfile, the command line."""

    def __init__(self, label: str, args: list[str], own: bool | None,
                 file: str | None = None) -> None:
        self.label, self.args, self.own, self.file = label, args, own, file

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"source": self.label, "args": self.args, "own": self.own}
        if self.file is not None:
            entry["file"] = self.file
        return entry


#: the label of an argsfile an ``@FILE`` word of the configuration file's addopts names
ADDOPTS_ARGSFILE = "argsfile via addopts"
#: how deep ``@FILE`` lines are followed (argparse follows them without end)
_ARGSFILE_DEPTH = 8


def split_argsfiles(args: Sequence[str], base: Path, label: str = ADDOPTS_ARGSFILE,
                    depth: int = 0) -> tuple[list[str], list[Source]]:
    """``args`` without their ``@FILE`` words, and a source per file those words name,
    nested ``@`` lines followed (hostile case 401): pytest's parser expands an ``@FILE``
    inside the addopts too, so the file's options are not the tracked text's; each file is
    a source of its own (``own`` decided by whether git tracks it). Relative names are
    the invocation directory's, as argparse opens them. A file that cannot be read is a
    source with no arguments (pytest fails on it)."""
    kept: list[str] = []
    files: list[Source] = []
    for arg in args:
        if not (arg.startswith("@") and len(arg) > 1) or depth >= _ARGSFILE_DEPTH:
            kept.append(arg)
            continue
        try:
            lines = Path(base, arg[1:]).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            lines = []
        own_lines, nested = split_argsfiles(lines, base, label, depth + 1)
        # one label per file: a recorded setting is judged by its source's label
        files.append(Source(f"{label} @{arg[1:]}", own_lines, None, arg[1:]))
        files.extend(nested)
    return kept, files


def inside(path: Path, root: Path) -> bool:
    """Whether ``path`` (resolved) lies in the repository ``root``."""
    try:
        path.resolve().relative_to(Path(root).resolve())
    except (ValueError, OSError):
        return False
    return True


def argsfiles_own(sources: Sequence[Source], base: Path, tracked: set[Path]) -> None:
    """Decide ``own`` of the argsfiles the addopts named: the project's only when git
    tracks the file (``tracked``: resolved paths git listed), never by where it was named."""
    for source in sources:
        if source.label.startswith(ADDOPTS_ARGSFILE) and source.file is not None:
            source.own = Path(base, source.file).resolve() in tracked


def read_sources(config: Any, started: Mapping[str, str] | None = None) -> list[Source]:
    """The run's argument sources, in the order pytest joins them (addopts first). Only the
    configuration file's addopts can be the project's own (``own`` decided by the caller).
    ``PYTEST_ADDOPTS`` as the run started (``started``; else ``os.environ`` now): pytest read
    it at its pre-parse, and a conftest that removes it later removes nothing pytest did."""
    params = config.invocation_params
    overrides = [str(o) for o in getattr(config.option, "override_ini", None) or ()]
    addopts_overridden = any(o.partition("=")[0].strip() == "addopts" for o in overrides)
    ini = config.inipath
    label = "-o addopts" if addopts_overridden else "addopts"
    file = None if addopts_overridden or ini is None else relative(Path(ini), config.rootpath)
    words, argsfiles = split_argsfiles(addopts_text(config.getini("addopts")), params.dir)
    sources = [Source(label, words, None if not addopts_overridden else False, file)]
    if addopts_overridden:  # an -o addopts is not the project's, nor what it names
        for source in argsfiles:
            source.label, source.own = f"argsfile via -o addopts @{source.file}", False
    sources.extend(argsfiles)
    env = (os.environ if started is None else started).get("PYTEST_ADDOPTS", "")
    if env:
        sources.append(Source("PYTEST_ADDOPTS", shlex.split(env), False))
    command: list[str] = []
    for arg in (str(a) for a in params.args):
        if arg.startswith("@") and len(arg) > 1:
            path = Path(params.dir, arg[1:])
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except OSError:
                lines = []
            sources.append(Source("argsfile", lines, False, arg[1:]))
        else:
            command.append(arg)
    sources.append(Source("command line", command, False))
    return [s for s in sources if s.args or s.label == "command line"]


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` (POSIX), or as it is when outside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


class Invocation:
    """What reached the run, where from, and what of it cannot leave the verdict ``ready``."""

    def __init__(self) -> None:
        self.sources: list[Source] = []
        #: every option a source set away from its default
        self.settings: list[dict[str, Any]] = []
        #: the judged variables of the environment the run started with (``run/early.py``)
        self.environment: dict[str, str] = {}
        #: and the ones ``os.environ`` held by the session's start with another value (set
        #: by a ``-p`` plugin or a conftest): both judged (:func:`environment_changed`)
        self.environment_later: dict[str, str] = {}
        self.interpreter: dict[str, Any] = {}
        #: reasons the run is not the project's own (each makes it incomplete)
        self.reasons: list[str] = []
        #: selection the project's own tracked configuration made: dest -> value
        self.own_selection: dict[str, Any] = {}
        #: plugins turned off by the project's own configuration
        self.own_disabled: set[str] = set()
        #: the project's own configuration turned autoloading off (``--disable-plugin-autoload``
        #: in its tracked addopts): what autoloading left out is its decision
        self.own_autoload_off = False
        self.allow_options: list[str] = []
        self.allow_honoured = False
        self.repository = ""
        #: every registered plugin whose code is not pytest's or pytest-pyramid's (raw
        #: facts: run/plugins.py), and what the tree's conftests declare in pytest_plugins
        self.plugins: list[dict[str, Any]] = []
        self.plugins_declared: list[str] = []
        #: --pyramid-target's URL (command line or ini): a raw fact every route judges
        self.target: str | None = None
        #: what narrowed the run beyond its options' classes, observed at session start
        #: (``--lf`` with failures remembered, ``--confcutdir``, ``-c``): raw facts every
        #: route judges with :func:`narrowing_fact_reasons`
        self.narrowing: dict[str, Any] = {}
        #: whether a live recording run started this one (:func:`started_by_run`): a raw
        #: fact every route judges the environment with
        self.started_by_run = False

    def to_json(self) -> dict[str, Any]:
        return {
            "sources": [s.to_json() for s in self.sources],
            "settings": self.settings,
            "environment": self.environment,
            "environment_later": self.environment_later,
            "interpreter": self.interpreter,
            "allow_options": self.allow_options,
            "allow_options_honoured": self.allow_honoured,
            # what PYTHONPATH entries are judged against (a shard's checkout, not the merge's)
            "repository": self.repository,
            "plugins": self.plugins,
            "plugins_declared": self.plugins_declared,
            "target": self.target,
            "narrowing": self.narrowing,
            "started_by_run": self.started_by_run,
        }


HOW_TO_ALLOW = ("if it changes neither what runs nor how it is judged, list it in "
                "[tool.pyramid] allow_options in the project's tracked configuration")


def read_invocation(config: Any, settings_file: Path | None, allow: Sequence[str],
                    repository: Path, seen: PluginsSeen | None = None, *,
                    nested: bool = False, started: Mapping[str, str] | None = None
                    ) -> Invocation:
    """Classify every setting that reached the run (options, ``-p``/``-o``/``-W`` values,
    environment, interpreter flags). ``seen``: the process's plugin observer, which then
    holds the registrations recorded here. ``nested``: a live recording run started this
    one (:func:`started_by_run`, read before this run replaced the variable). ``started``:
    the environment the run started with (``run/stash.py: started_environ``; None: only
    ``os.environ`` now is known)."""
    inv = Invocation()
    inv.started_by_run = nested
    inv.allow_options = list(allow)
    inv.repository = str(repository)
    inv.sources = read_sources(config, started)
    inv.target = _target_url(config)
    addopts = inv.sources[0] if inv.sources[0].label == "addopts" else None
    # whether git tracks the configuration file is asked (a subprocess: tens of ms on a busy
    # machine) only when the answer matters: its addopts set something that needs the
    # project's authority, or allow_options is used; otherwise `own` stays None
    ini = Path(config.inipath) if config.inipath is not None else None
    ask_ini = ini is not None and addopts is not None and _needs_authority(config, addopts)
    base = Path(config.invocation_params.dir)
    named = [path for path in (Path(base, s.file) for s in inv.sources
                               if s.label.startswith(ADDOPTS_ARGSFILE) and s.file is not None
                               and _needs_authority(config, s))
             if inside(path, config.rootpath)]  # git refuses a list naming any file outside
    candidates = [p for p, wanted in ((ini, ask_ini or bool(named)), (settings_file, bool(allow)))
                  if p is not None and wanted] + named
    tracked = git_tracked(candidates, config.rootpath)
    if addopts is not None and ask_ini:
        addopts.own = ini in tracked
    if named:  # the tracked text names them: own only when git tracks each file as well
        argsfiles_own(inv.sources, base, {p.resolve() for p in tracked} if ini in tracked
                      else set())
    inv.allow_honoured = bool(allow) and settings_file is not None and settings_file in tracked
    if allow and not inv.allow_honoured:
        inv.reasons.append(
            f"[tool.pyramid] allow_options is not honoured: {settings_file} is not tracked by "
            "git (only the project's committed configuration may allow options)")
    honoured = list(allow) if inv.allow_honoured else []
    from pytest_pyramid.run.plugins import plugin_record

    # through the process's PluginsSeen when given: its end-of-collection look then records
    # only what registered since (one record per registration, not two)
    inv.plugins, inv.plugins_declared = (
        seen.record_new(config.pluginmanager, repository) if seen is not None
        else plugin_record(config.pluginmanager, repository))
    _judge_options(config, inv, honoured)
    _judge_environment(inv, honoured, repository, started)
    _judge_interpreter(inv, honoured)
    return inv


def _target_url(config: Any) -> str | None:
    """The run's ``--pyramid-target`` (else its ini twin), as the plugin parsed it."""
    from pytest_pyramid.run.target import INI, parse_target

    value = config.getoption(INI, None)
    if value is None:
        try:
            value = config.getini(INI) or None
        except ValueError:
            value = None
    if not value:
        return None
    try:
        return parse_target(str(value)).url
    except ValueError:
        return str(value)  # the plugin refused it at configure: recorded as given


def _needs_authority(config: Any, source: Source) -> bool:
    """Whether a source sets anything that is allowed only as the project's own decision."""
    parser = config._parser
    parsed, base = parse_args(parser, source.args), parse_args(parser, [])
    if parsed is None or base is None:
        return True
    dests = registered_options(parser)
    for dest, value in parsed.items():
        names = dests.get(dest)
        if names is None or dest == "file_or_dir" or value == base.get(dest):
            continue
        values = _values(value)
        if dest == AUTOLOAD_OFF:  # whose decision it was decides what it leaves out
            return True
        if dest == "plugins":
            if any(not v.startswith("no:") or judge_disabled(v[3:]) is None for v in values):
                return True
        elif dest == "override_ini":
            if any(judge_override(v) is None for v in values):
                return True
        elif dest == "pythonwarnings":
            if any(judge_warning(v) is None for v in values):
                return True
        elif (lookup(names) or ("unknown", ""))[0] != OUTCOME:
            return True
    return False


def _judge_options(config: Any, inv: Invocation, allow: Sequence[str]) -> None:
    parser = config._parser
    dests = registered_options(parser)
    base = parse_args(parser, [])
    if base is None:
        inv.reasons.append("pytest's options could not be read: the invocation is not known")
        return
    for source in inv.sources:
        parsed = parse_args(parser, source.args)
        if parsed is None:
            inv.reasons.append(f"the options of {source.label} could not be read on their own")
            continue
        for dest, value in parsed.items():
            names = dests.get(dest)
            # an attribute no option owns is a side effect of one that does (-q sets `quiet`)
            if names is None or dest == "file_or_dir" or value == base.get(dest):
                continue
            flag = _flag_used(source.args, names)
            entry = lookup(names)
            kind = entry[0] if entry else "unknown"
            record = {"option": flag, "value": value if _jsonable(value) else repr(value),
                      "source": source.label, "class": kind, "own": source.own,
                      "dest": dest, "names": list(names)}
            inv.settings.append(record)
            if source.own:
                if kind == SELECTION:
                    inv.own_selection[dest] = value
                if dest == "plugins":
                    inv.own_disabled.update(v[3:] for v in _values(value) if v.startswith("no:"))
                inv.own_autoload_off |= dest == AUTOLOAD_OFF and bool(value)
                continue
            problem = setting_reason(record, allow)
            if problem:
                inv.reasons.append(problem)
            record["allowed"] = not problem and not (dest == "plugins" and any(
                judge_disabled(v[3:]) is None and f"-p {v}" not in allow
                for v in _values(value) if v.startswith("no:")))  # reason: filters.py


def setting_reason(record: Mapping[str, Any], allow: Sequence[str]) -> str | None:
    """Why one recorded setting from outside the project's configuration is not allowed
    (None: it is): the run's own judgement and ``pyramid merge``'s of a shard's record. The
    class is looked up again from the option's flags, never taken from the record."""
    names = [str(n) for n in record.get("names") or [record.get("option", "?")]]
    entry = lookup(names)
    kind = entry[0] if entry else "unknown"
    return _judge_value(str(record.get("dest", "")), str(record.get("option", "?")),
                        record.get("value"), kind, names, allow, str(record.get("source", "")),
                        None)


def _jsonable(value: object) -> bool:
    return isinstance(value, (str, int, float, bool, list)) and not (
        isinstance(value, list) and not all(isinstance(v, (str, int, float)) for v in value))


def _judge_value(dest: str, flag: str, value: object, kind: str, names: Sequence[str],
                 allow: Sequence[str], where: str, config: Any) -> str | None:
    """The reason a setting from outside the project's configuration is not allowed."""
    origin = "" if where == "command line" else f" (from {where})"
    if dest == "plugins":
        return _judge_plugins(_values(value), allow, origin)
    if dest == "override_ini":
        bad = [o.partition("=")[0].strip() for o in _values(value)
               if judge_override(o) is None and f"-o {o.partition('=')[0].strip()}" not in allow]
        return "; ".join(f"-o {name}=... overrode the project's configuration{origin} "
                         f"(allow it with allow_options = [\"-o {name}\"] {HOW_TO_ALLOW[2:]})"
                         for name in bad) or None
    if dest == "pythonwarnings":
        if all(judge_warning(w) for w in _values(value)) or any(n in allow for n in names):
            return None
        return f"-W changed how warnings are treated (the project's filterwarnings){origin}"
    if kind in (OUTCOME, SELECTION) or any(n in allow for n in names):
        return None  # selection is found and named by what the run saw (filters.py)
    if dest in ("inifilename", "rootdir", "confcutdir"):
        return None  # judged by value in filters.py (the project's own file/folder is fine)
    if kind == JUDGEMENT:
        reason = OPTIONS.get(flag) or lookup(names) or ("", "")
        return (f"{flag}{origin} changes how the run is judged: {reason[1]} (not the "
                f"project's own configuration; allow_options = [\"{flag}\"] would accept it)")
    return (f"{flag}{origin} is an option pytest-pyramid does not know: the run cannot vouch "
            f"for it; {HOW_TO_ALLOW} (allow_options = [\"{flag}\"])")


def _judge_plugins(values: Sequence[str], allow: Sequence[str], origin: str) -> str | None:
    loads = [v for v in values if not v.startswith("no:")]
    if not loads:
        return None  # -p no:NAME is judged by what was turned off (filters.py)
    installed = installed_plugins()
    # this tool's own opt-in plugins (pytest_pyramid.toolkits.plugin ...) are not a plugin
    # the project failed to declare: they are the judge's own code
    foreign = [v for v in loads if v not in installed and f"-p {v}" not in allow
               and not v.startswith(OWN_PACKAGE)]
    if foreign:
        return (f"-p {', '.join(foreign)}{origin}: loads a plugin the project does not declare "
                f"(not an installed pytest11 plugin; {HOW_TO_ALLOW}: "
                f"allow_options = [\"-p {foreign[0]}\"])")
    return None  # -p no:NAME is judged by what was turned off (filters.py: disabled_plugins)


#: ``-p pytest_pyramid.<module>``: a module of this package itself
OWN_PACKAGE = "pytest_pyramid."


def installed_plugins() -> set[str]:
    """Names and modules of the installed ``pytest11`` plugins (what autoloading loads).
    Reading every distribution's metadata is slow: only when a ``-p NAME`` needs it."""
    from importlib.metadata import entry_points

    found = entry_points(group="pytest11")
    return {ep.name for ep in found} | {ep.value.partition(":")[0] for ep in found}


def environment_of(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables the table judges (``PYTEST_*``, ``PYTHON*``): what a record carries.
    Not the closed world's own variable: by the time a record is made the run has set it for
    its children (a spool folder of this machine), whatever it inherited."""
    return {name: environ[name] for name in sorted(environ)
            if name.startswith(ENV_PREFIXES) and name != RECORD_VARIABLE}


def started_by_run(inherited: str | None) -> bool:
    """Whether a process was started by a live recording run: the closed world's variable it
    inherited (read before its own run replaces it) names a spool folder whose run file
    (``run/lineage.py``, written by the run, this user's alone) names a process that is this
    one or one of its ancestors, with its start time. Then the variables of
    :data:`SET_BY_PYTEST` were set by that run's pytest or xdist (a test's own pytest run
    inherits ``PYTEST_CURRENT_TEST``, and ``PYTEST_XDIST_WORKER`` under ``-n``). A value set
    by hand, naming a folder made by hand, an ended run or another job's run, is not one;
    nor is any without ``/proc`` (a top-level run, judged strictly)."""
    if not inherited:
        return False
    import json

    from pytest_pyramid.run.lineage import live_run

    try:
        spool = json.loads(inherited)["spool"]
    except (ValueError, TypeError, KeyError):
        return False
    return (isinstance(spool, str) and os.path.basename(spool).startswith(SPOOL_PREFIX)
            and live_run(spool) is not None)


def environment_reasons(environment: Mapping[str, str], allow: Sequence[str],
                        repository: Path, *, nested: bool) -> list[str]:
    """Why variables of a run's environment leave it not the project's own: the run's own
    judgement and ``pyramid merge``'s of a shard's (or its own) recorded environment.
    ``nested``: the run was started by a live recording run (:func:`started_by_run`), so
    the variables pytest and xdist set for their own processes are theirs."""
    reasons = []
    for name, value in sorted(environment.items()):
        if name in allow:  # allowed by name: its entries still say where code comes from
            reasons.extend(loader_entry_reasons(name, str(value), repository))
            continue
        if nested and name in SET_BY_PYTEST:
            continue
        if name == "PYTHONPATH":
            outside = pythonpath_outside(str(value), repository)
            if outside:
                reasons.append(
                    f"PYTHONPATH has entries outside the repository: {', '.join(outside)} "
                    f"(code the tree does not hold may be imported; {HOW_TO_ALLOW}: "
                    "allow_options = [\"PYTHONPATH\"])")
            continue
        entry = ENVIRONMENT.get(name)
        if entry is None:
            reasons.append(f"environment variable {name} is not known to pytest-pyramid: "
                           f"{HOW_TO_ALLOW} (allow_options = [\"{name}\"])")
        elif entry[0] == JUDGEMENT:
            reasons.append(f"environment variable {name}: {entry[1]} ({HOW_TO_ALLOW}: "
                           f"allow_options = [\"{name}\"])")
    return reasons


def loader_entry_reasons(name: str, value: str, repository: Path) -> list[str]:
    """Why an allowed path list of the dynamic loader (``LD_LIBRARY_PATH``, ``LD_PRELOAD``)
    still leaves the run not the project's own: it is judged by its entries, as
    ``PYTHONPATH`` is (hostile case 297). Allowing the name vouches for places outside the
    repository (a CI image's libraries); an entry inside it may only be the tree's: a file
    git tracks, a folder holding only files git tracks (what the loader can find there). A
    relative or empty entry is wherever the process is when it loads: not placed. A bare
    preload name is found through the search path, judged as that is."""
    from pytest_pyramid.run import loader

    if name not in loader.PATH_LISTS:
        return []
    root = repository.resolve()
    named = []
    for entry in loader.entries(name, value):
        if name == loader.PRELOAD and "/" not in entry:
            continue
        if not os.path.isabs(entry):
            named.append(f"{entry!r} (relative: the folder the process is in)")
            continue
        path = Path(entry).resolve()
        if (path == root or root in path.parents) and not _tree_holds(path, root):
            named.append(f"{entry} (inside the repository, holding files git does not track)")
    if not named:
        return []
    return [f"environment variable {name} is allowed by name, but the dynamic loader takes "
            f"native code from entries no tree holds: {', '.join(named)} (point it outside "
            "the repository or at folders of the tree)"]


def _tree_holds(path: Path, root: Path) -> bool:
    """Whether every file the loader can find at ``path`` is one git tracks: the file
    itself, or a folder's files and its hardware-capability subfolders' (none: nothing to
    load)."""
    from pytest_pyramid.run import loader

    if path.is_dir():
        folders = [path, *sorted(p for p in (path / loader.HWCAPS).glob("*") if p.is_dir())]
        files = [f for folder in folders for f in sorted(folder.iterdir()) if f.is_file()]
    else:
        files = [path] if path.exists() else []
    return len(git_tracked(files, root)) == len(files)


#: variables of the platform a test may read without making the run another: name (or
#: prefix ending ``*``) -> why. Any other variable the project's code read (``run/env_reads.py``)
#: that the job set is an input the project did not declare
PLATFORM: dict[str, str] = {
    "HOME": "the user's home folder: where the platform puts per-user files",
    "PATH": "where programs are found; a started program is judged by what it is",
    "USER": "the account's name", "LOGNAME": "the account's name",
    "SHELL": "the account's shell; a started shell is judged by what it runs",
    "PWD": "the working folder, as the shell saw it",
    "LANG": "the locale, part of the platform",
    "LC_*": "the locale, part of the platform",
    # gettext reads it before LANG (argparse's messages: a project's CLI tested in process)
    "LANGUAGE": "the locale's message languages, part of the platform",
    "TERM": "output only: the terminal's kind",
    "TZ": "the time zone, part of the platform",
    # the host's trust store for TLS (ssl, requests, curl read them: since a read now belongs
    # to the nearest project frame, a test calling requests reads them)
    "SSL_CERT_FILE": "the host's trust store for TLS, part of the platform",
    "SSL_CERT_DIR": "the host's trust store for TLS, part of the platform",
    "REQUESTS_CA_BUNDLE": "the host's trust store for TLS, part of the platform",
    "CURL_CA_BUNDLE": "the host's trust store for TLS, part of the platform",
    "TMPDIR": "where temporary files go", "TEMP": "where temporary files go",
    "TMP": "where temporary files go",
    "COLUMNS": "output only: the terminal's width", "LINES": "output only: the terminal's height",
    "NO_COLOR": "output only: colour", "FORCE_COLOR": "output only: colour",
    "CI": "says the run is a CI job, which a verdict's run identity records",
}


def platform_variable(name: str) -> str | None:
    """Why reading platform variable ``name`` is harmless, or None."""
    return PLATFORM.get(name) or (PLATFORM["LC_*"] if name.startswith("LC_") else None)


def read_variable_reasons(read: object, allow: Sequence[str]) -> list[str]:
    """Why the variables the project's code read that the run's starting environment held
    (``environment_read``: names only, the union over every process) leave the run not the
    project's own: one that is not the table's (its prefixes are judged as set, read or
    not), not the platform's and not in the tracked ``allow_options``. A record without the
    fact is not known to be clean (issue 19 §1: a variable a test reads is an input)."""
    if not isinstance(read, (list, tuple)):
        return ["which environment variables the tests read was not recorded: what reached "
                "the run is not known"]
    return [f"environment variable {name} was read by the tests and is not the project's own "
            f"(its value decided what the tests did; {HOW_TO_ALLOW}: "
            f"allow_options = [\"{name}\"])"
            for name in sorted({str(n) for n in read})
            if not name.startswith(ENV_PREFIXES) and name not in ENVIRONMENT
            and platform_variable(name) is None and name not in allow]


def environment_changed(started: Mapping[str, str], now: Mapping[str, str]) -> dict[str, str]:
    """The judged variables ``now`` holds with another value than ``started`` (or that it
    did not hold): set or changed by code that ran since the process started. A variable
    the code removed is judged from ``started`` all the same: one that acts at the
    interpreter's start (``LD_PRELOAD`` was loaded, ``PYTHONPATH`` is on ``sys.path``) acted
    whatever ``os.environ`` says later (hostile case 292)."""
    return {name: value for name, value in environment_of(now).items()
            if started.get(name) != value}


def both_environments_reasons(record: Mapping[str, Any], allow: Sequence[str],
                              repository: Path, *, nested: bool) -> list[str]:
    """Why a run's recorded environment leaves it not the project's own: the starting
    environment's variables and the ones set or changed later, both judged (the union). A
    record without the later ones does not say what reached the run."""
    reasons = environment_reasons(dict(record["environment"]), allow, repository,
                                  nested=nested)
    later = record.get("environment_later")
    if not isinstance(later, dict):
        return [*reasons, "the variables set after the run started were not recorded: what "
                "reached the run is not known"]
    return [*reasons, *(reason for reason in environment_reasons(
        dict(later), allow, repository, nested=nested) if reason not in reasons)]


def _judge_environment(inv: Invocation, allow: Sequence[str], repository: Path,
                       started: Mapping[str, str] | None = None) -> None:
    """One environment for every judgement: the one the run started with and what reached
    ``os.environ`` by the session's start, the union (:func:`both_environments_reasons`)."""
    start = os.environ if started is None else started
    inv.environment = environment_of(start)
    inv.environment_later = environment_changed(start, os.environ)
    record = {"environment": inv.environment, "environment_later": inv.environment_later}
    inv.reasons.extend(both_environments_reasons(record, allow, repository,
                                                 nested=inv.started_by_run))


def interpreter_warnings(warnoptions: Sequence[str], environ: Mapping[str, str],
                         flags: Any) -> list[str]:
    """The interpreter's own ``-W`` filters. ``sys.warnoptions`` holds, in this order, the
    dev mode's ``default`` (``-X dev``), PYTHONWARNINGS's entries (judged as that variable),
    the ``-W`` options, and the BytesWarning filter of ``-b``/``-bb`` (judged as that flag)."""
    rest = list(warnoptions)
    if getattr(flags, "dev_mode", False) and rest[:1] == ["default"]:
        rest = rest[1:]
    if not getattr(flags, "ignore_environment", False):
        env = [w for w in environ.get("PYTHONWARNINGS", "").split(",") if w.strip()]
        if rest[:len(env)] == env:
            rest = rest[len(env):]
    implied = {1: "default::BytesWarning", 2: "error::BytesWarning"}.get(
        getattr(flags, "bytes_warning", 0))
    if implied is not None and rest[-1:] == [implied]:
        rest = rest[:-1]
    return rest


def interpreter_record() -> dict[str, Any]:
    """This process's interpreter, its changed flags and its own ``-W`` filters, as a record
    carries them."""
    return {"executable": sys.executable,
            "flags": {label: _text(value) for label, value in changed_flags()},
            "warnoptions": interpreter_warnings(sys.warnoptions, os.environ, sys.flags)}


def interpreter_reasons(
    flags: Iterable[str], allow: Sequence[str], warnoptions: Sequence[str] = ()
) -> list[str]:
    """Why changed interpreter flags (``flag NAME``, ``-X NAME`` labels) and the
    interpreter's own ``-W`` filters are not allowed."""
    reasons = []
    loose = [w for w in warnoptions if judge_warning(w) is None]
    if loose and "-W" not in allow:  # the same filters PYTHONWARNINGS would set
        reasons.append(f"python -W {', '.join(loose)}: a warning filter other than the "
                       f"project's filterwarnings ({HOW_TO_ALLOW}: allow_options = [\"-W\"])")
    for label in flags:
        entry = judge_flag(label)
        shown = label if label.startswith("-X") else f"interpreter {label}"
        if label in allow or (entry is not None and entry[0] != JUDGEMENT):
            continue
        why = entry[1] if entry else "not known to pytest-pyramid"
        reasons.append(f"{shown}: {why} ({HOW_TO_ALLOW}: allow_options = [\"{label}\"])")
    return reasons


def _judge_interpreter(inv: Invocation, allow: Sequence[str]) -> None:
    inv.interpreter = interpreter_record()
    inv.reasons.extend(interpreter_reasons(inv.interpreter["flags"], allow,
                                           inv.interpreter["warnoptions"]))


def judge_recorded(record: Mapping[str, Any], allow: Sequence[str]) -> list[str]:
    """A recorded invocation judged again from its raw facts (every setting from a source
    that is not the project's own, the environment, the interpreter flags, the plugins it
    did not load), with the same functions the run judges its own with: what ``pyramid
    merge`` asks of every shard's record and of its own. ``allow``: the allow list honoured
    where the judgement is made. A record that cannot be read is a reason itself."""
    try:
        own = {str(s["source"]) for s in record["sources"] if s.get("own") is True}
        reasons = [reason for setting in record["settings"]
                   if str(setting["source"]) not in own
                   for reason in [setting_reason(setting, allow)] if reason]
        repository = Path(str(record.get("repository") or "."))
        # a record without the fact (an older partial) is a top-level run's: judged strictly
        reasons.extend(both_environments_reasons(record, allow, repository,
                                                 nested=record.get("started_by_run") is True))
        reasons.extend(read_variable_reasons(record.get("environment_read"), allow))
        interpreter = record["interpreter"]
        reasons.extend(interpreter_reasons(list(interpreter.get("flags", {})), allow,
                                           list(interpreter.get("warnoptions", []))))
        mine = {str(v)[3:] for s in record["settings"] if str(s["source"]) in own
                and s.get("dest") == "plugins" for v in _values(s.get("value"))
                if str(v).startswith("no:")}
        if any(str(s["source"]) in own and s.get("dest") == AUTOLOAD_OFF and s.get("value")
               for s in record["settings"]):  # a record without the fact: none excused
            mine.update(str(n) for n in record.get("plugins_not_autoloaded", []))
        reasons.extend(disabled_plugin_reasons(record.get("plugins_off", []), mine, allow))
        reasons.extend(registered_plugin_reasons(record, own, allow))
        reasons.extend(narrowing_fact_reasons(record["narrowing"], allow))
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        return [f"the recorded invocation cannot be read ({type(exc).__name__}: {exc}): "
                "what reached the run is not known"]
    return reasons


def narrowing_fact_reasons(facts: Mapping[str, Any], allow: Sequence[str]) -> list[str]:
    """The raw narrowing facts of a run (``Invocation.narrowing``, filled by
    ``run/filters.py``) judged: the run's own judgement and ``pyramid merge``'s of a shard's
    record, so a partial edited to say nothing still carries what narrowed it."""
    reasons = []
    if facts.get("last_failed"):
        reasons.append("--lf: only previously failed tests were run")
    cut = facts.get("confcutdir")
    if isinstance(cut, dict) and cut.get("resolved") != cut.get("default") \
            and not cut.get("own") and "--confcutdir" not in allow:
        reasons.append(f"--confcutdir {cut.get('value')}: conftest files above it were not "
                       "loaded")
    ini = facts.get("inifile")
    if isinstance(ini, dict) and not (ini.get("discoverable") and ini.get("project_file")):
        reasons.append(
            f"-c {ini.get('value')}: the run's configuration is not the project's own (the "
            "file pytest finds itself, which holds [tool.pyramid])")
    reasons.extend(_rootdir_reasons(facts.get("rootdir")))
    return reasons


def _rootdir_reasons(fact: object) -> list[str]:
    """pytest's rootdir (and so the configuration that judged the run) against the one its
    own arguments give (``run/filters.py: rootdir_fact``)."""
    if not isinstance(fact, dict) or fact.get("arguments") == fact.get("value"):
        return []
    words = ", ".join(map(str, fact.get("words") or ()))
    arguments = fact.get("arguments")
    given = (f"the folder the run's own arguments give ({arguments})" if arguments
             else "known to be the folder the run's own arguments give (this pytest's rule "
             "could not be asked)")
    return [f"pytest's rootdir {fact.get('value')}, whose configuration judged the run, is not "
            f"{given}: pytest chose it from {words}, an option's value given with a space; "
            "write path options as --option=PATH"]


def registered_plugin_reasons(record: Mapping[str, Any], own: set[str],
                              allow: Sequence[str]) -> list[str]:
    """The recorded plugins judged (run/plugins.py): declared are the tree's conftests'
    ``pytest_plugins`` and the ``-p NAME`` values of the project's own sources."""
    from pytest_pyramid.run.plugins import plugin_reasons

    loads = [str(v) for s in record["settings"] if str(s["source"]) in own
             and s.get("dest") == "plugins" for v in _values(s.get("value"))
             if not str(v).startswith("no:")]
    declared = [str(n) for n in record["plugins_declared"]] + loads
    return plugin_reasons(record["plugins"], declared, allow)


def _text(value: object) -> str | int | bool:
    return value if isinstance(value, (str, int, bool)) else str(value)


def disabled_plugin_reasons(turned_off: Iterable[str], own: Iterable[str],
                            allow: Sequence[str]) -> list[str]:
    """Plugins turned off (``-p no:``, ``PYTEST_DISABLE_PLUGIN_AUTOLOAD``, a conftest) that
    the project's configuration did not turn off and the table does not know as harmless."""
    mine = {n.removeprefix("pytest_") for n in own}
    bad = sorted(
        name for name in {n.removeprefix("pytest_") for n in turned_off}
        if name not in mine and judge_disabled(name) is None
        and f"-p no:{name}" not in allow and f"-p no:pytest_{name}" not in allow
    )
    if not bad:
        return []
    return [f"plugins turned off outside the project's configuration: {', '.join(bad)} "
            f"(-p no:..., or not autoloaded; {HOW_TO_ALLOW}: allow_options = "
            f"[\"-p no:{bad[0]}\"])"]
