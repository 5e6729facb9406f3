"""Seeded faults: every way a run has been (or could be) made to say ``ready`` when it should
not, each a real pytest run of a small project, serial and under ``-n 2``.

Add a row whenever a new false ``ready`` is found. A row names the principle it tests
(docs/verdict.md lists them): the decision must never be ``ready``, and the reasons must
say why in words a user can act on.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.conftest import MakeProject, ReadVerdict

BASE_FILES = {
    "tests/unit/test_u.py": """
        def test_a(): pass
        def test_b(): pass
    """,
    "tests/integration/test_i.py": """
        def test_i(): pass
    """,
    "tests/e2e/test_e.py": """
        def test_e(): pass
    """,
}


@dataclass(frozen=True)
class Fault:
    id: str
    principle: int
    #: files added to (or replacing) the base project; "" removes a file
    files: dict[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    #: lines added to [tool.pytest.ini_options], and options added to its addopts
    ini: str = ""
    addopts: str = ""
    #: where the verdict of this run is written
    verdict: str = "pyramid-verdict.json"
    #: lines added to [tool.pyramid]
    config: str = ""
    env: dict[str, str] = field(default_factory=dict)
    #: a text every verdict of this fault gives among its reasons
    reason: str = ""
    decision: str = "incomplete"
    xdist: bool = True
    #: pytest's exit status must not be 0
    fails: bool = False
    #: xdist itself reports an INTERNALERROR for this fault (e.g. pytest.exit in a worker)
    xdist_internal_error: bool = False
    #: pytest's exit status must be exactly this (None: not checked)
    exit: int | None = None


COVERAGE_THRESHOLDS = """
[tool.pyramid.tiers.unit]
coverage = 80
[tool.pyramid.coverage]
total = 80
"""

FAULTS = [
    # 1. collected = reported
    Fault(
        "fixture-calls-pytest-exit",
        1,
        files={
            "tests/unit/test_u.py": """
        import pytest
        @pytest.fixture
        def leave():
            pytest.exit("leaving early", returncode=0)
        def test_a(): pass
        def test_b(leave): pass
        def test_c(): pass
    """
        },
        reason="never ran",
        xdist_internal_error=True,
    ),
    Fault(
        "maxfail-stops-the-run",
        1,
        files={
            "tests/unit/test_u.py": """
        def test_a(): assert False
        def test_b(): pass
        def test_c(): pass
    """
        },
        args=("--maxfail=1",),
        decision="blocked",
        reason="never ran",
        xdist=False,
    ),
    Fault(
        "exitfirst-on-a-quarantined-failure",
        1,
        files={
            "tests/unit/test_u.py": """
        def test_a(): assert False
        def test_b(): pass
    """
        },
        config='[[tool.pyramid.quarantine]]\ntest = "tests/unit/test_u.py::test_a"\n'
        'owner = "a"\nexpires = 2999-01-01\nreason = "known"\n',
        args=("-x",),
        reason="never ran",
        decision="blocked",
        fails=True,
        xdist=False,
    ),
    Fault(
        "conftest-drops-items-silently",
        1,
        files={
            "conftest.py": """
        def pytest_collection_modifyitems(items):
            items[:] = [i for i in items if "test_b" not in i.nodeid]
    """
        },
        reason="removed from the run without being deselected",
    ),
    Fault(
        "plugin-sets-shouldfail",
        1,
        files={
            "conftest.py": """
        def pytest_runtest_logreport(report):
            if report.when == "teardown" and report.nodeid.endswith("test_a"):
                report_session[0].shouldfail = "a plugin said stop"
        report_session = []
        def pytest_sessionstart(session):
            report_session.append(session)
    """
        },
        reason="never ran",
        xdist=False,
    ),
    # 2. narrowing, however expressed
    Fault(
        "ignore-on-the-command-line",
        2,
        args=("--ignore=tests/e2e",),
        reason="test file(s) on disk were not collected: tests/e2e/test_e.py",
    ),
    Fault(
        "ignore-in-addopts",
        2,
        addopts="--ignore=tests/e2e",
        reason="not collected: tests/e2e/test_e.py",
    ),
    Fault(
        "ignore-in-pytest-addopts",
        2,
        env={"PYTEST_ADDOPTS": "--ignore-glob=*e2e*"},
        reason="not collected: tests/e2e/test_e.py",
    ),
    Fault(
        "ignore-in-an-argsfile",
        2,
        files={"args.txt": "--ignore=tests/e2e\n"},
        args=("@args.txt",),
        reason="not collected: tests/e2e/test_e.py",
    ),
    Fault(
        "deselect-in-addopts",
        2,
        addopts="--deselect=tests/unit/test_u.py::test_b",
        reason="deselected",
    ),
    Fault(
        "collect-ignore-in-a-conftest",
        2,
        files={
            "conftest.py": """
        collect_ignore = ["tests/e2e"]
    """
        },
        reason="not collected: tests/e2e/test_e.py",
    ),
    Fault(
        "ignore-collect-hook-veto",
        2,
        files={
            "conftest.py": """
        def pytest_ignore_collect(collection_path, config):
            return True if "integration" in str(collection_path) else None
    """
        },
        reason="not collected: tests/integration/test_i.py",
    ),
    Fault(
        "testpaths-leave-a-tier-out",
        2,
        ini='testpaths = ["tests/unit"]',
        reason="required tier integration did not run",
    ),
    Fault("explicit-path", 2, args=("tests/unit",), reason="were not collected"),
    Fault("test-id", 2, args=("tests/unit/test_u.py::test_a",), reason="limited to test ids"),
    Fault("keyword", 2, args=("-k", "test_a"), reason="-k 'test_a' filtered the tests"),
    Fault(
        "override-python-files",
        2,
        args=("-o", "python_files=test_u.py"),
        reason="-o python_files=... overrode",
    ),
    Fault("rootdir-elsewhere", 2, args=("--rootdir=tests",), reason="not the project directory"),
    Fault(
        "config-file-elsewhere",
        2,
        files={"other/pyproject.toml": "[tool.pyramid]\n"},
        args=("-c", "other/pyproject.toml"),
        reason="is not the project's own",
        verdict="other/pyramid-verdict.json",
    ),
    # 3. a tier ran only if something in it passed
    Fault(
        "e2e-all-skipped",
        3,
        files={
            "tests/e2e/test_e.py": """
        import pytest
        @pytest.mark.skip(reason="flaky browser")
        def test_e(): pass
    """
        },
        reason="required tier e2e did not run (all its tests were skipped)",
    ),
    Fault(
        "e2e-all-xfailed",
        3,
        files={
            "tests/e2e/test_e.py": """
        import pytest
        @pytest.mark.xfail(reason="known")
        def test_e(): assert False
    """
        },
        reason="required tier e2e did not run (all its tests were xfailed)",
    ),
    Fault(
        "e2e-xfail-run-false",
        3,
        files={
            "tests/e2e/test_e.py": """
        import pytest
        @pytest.mark.xfail(run=False, reason="never run")
        def test_e(): pass
    """
        },
        reason="required tier e2e did not run (all its tests were xfailed)",
    ),
    Fault(
        "e2e-imperative-xfail",
        3,
        files={
            "tests/e2e/test_e.py": """
        import pytest
        def test_e(): pytest.xfail("not today")
    """
        },
        reason="required tier e2e did not run (all its tests were xfailed)",
    ),
    Fault(
        "e2e-module-skipped",
        3,
        files={
            "tests/e2e/test_e.py": """
        import pytest
        pytest.importorskip("no_such_module_anywhere")
        def test_e(): pass
    """
        },
        reason="required tier e2e did not run",
    ),
    Fault(
        "e2e-file-without-tests",
        3,
        files={"tests/e2e/test_e.py": "X = 1\n"},
        reason="required tier e2e did not run",
    ),
    Fault(
        "required-tier-empty",
        3,
        config='release_tiers = ["unit", "contract"]\n',
        reason="required tier contract did not run (has no tests)",
    ),
    # 4. metrics come from passing tests only, and are numbers
    Fault(
        "metric-from-a-skipped-test",
        4,
        files={
            "tests/e2e/test_e.py": """
        import pytest
        def test_e(): pass
        def test_slow_page(pyramid_metric):
            pyramid_metric("page.load_ms", 5.0)
            pytest.skip("the page did not finish loading")
    """
        },
        config='[tool.pyramid.thresholds]\n"page.load_ms" = "< 100"\n',
        decision="blocked",
        reason="metric.page.load_ms",
    ),
    Fault(
        "metric-nan-through-record-property",
        4,
        files={
            "tests/e2e/test_e.py": """
        def test_e(record_property):
            record_property("pyramid.metric.page.load_ms", float("nan"))
    """
        },
        config='[tool.pyramid.thresholds]\n"page.load_ms" = "< 100"\n',
        decision="blocked",
        reason="tests.pass_rate",
    ),
    Fault(
        "metric-text-through-the-old-property",
        4,
        files={
            "tests/e2e/test_e.py": """
        def test_e(record_property):
            record_property("pyramid.metric", {"name": "page.load_ms", "value": "fast"})
    """
        },
        decision="blocked",
        reason="tests.pass_rate",
    ),
    # 3. a partial run is never blocked by a gate it cannot judge, and never ready either:
    # it is incomplete with pytest's own exit status; evidence that fails still blocks
    Fault(
        "partial-run-cannot-judge-coverage",
        3,
        config=COVERAGE_THRESHOLDS,
        args=("--pyramid-tier=fast",),
        reason="coverage.unit: coverage was not measured",
        exit=0,
    ),
    Fault(
        "keyword-run-cannot-judge-coverage",
        3,
        config=COVERAGE_THRESHOLDS,
        args=("-k", "test_a"),
        reason="not judged in a partial run",
        exit=0,
    ),
    Fault(
        "whole-run-without-cov-is-blocked",
        3,
        config=COVERAGE_THRESHOLDS,
        decision="blocked",
        reason="gate coverage.unit",
        fails=True,
    ),
    Fault(
        "partial-run-with-failing-evidence-blocks",
        3,
        files={
            "tests/unit/test_m.py": """
        def test_m(pyramid_metric):
            pyramid_metric("api.p95_ms", 900)
    """
        },
        config='[tool.pyramid.thresholds]\n"api.p95_ms" = "< 500"\n',
        args=("--pyramid-tier=fast",),
        decision="blocked",
        reason="gate metric.api.p95_ms",
        fails=True,
    ),
    # found by the hostile review of this stop
    Fault("conftest-swaps-an-item-for-a-duplicate", 1, files={"conftest.py": """
        def pytest_collection_modifyitems(items):
            b = next(i for i in items if i.name == "test_b")
            a = next(i for i in items if i.name == "test_a")
            items[items.index(b)] = a
    """}, reason="removed from the run without being deselected"),
    Fault("wrapper-drops-items-before-pyramid-sees-them", 1, files={"conftest.py": """
        import pytest
        @pytest.hookimpl(wrapper=True)
        def pytest_collection_modifyitems(items):
            items[:] = [i for i in items if i.name != "test_b"]
            return (yield)
    """}, reason="removed from the run without being deselected (by a conftest or plugin hook): "
             "tests/unit/test_u.py::test_b"),
    Fault("nested-conftest-deselects-before-pyramid", 1, files={"tests/unit/conftest.py": """
        import pytest
        @pytest.hookimpl(tryfirst=True)
        def pytest_collection_modifyitems(config, items):
            gone = [i for i in items if i.name == "test_b"]
            items[:] = [i for i in items if i.name != "test_b"]
            config.hook.pytest_deselected(items=gone)
    """}, reason="deselected by a plugin, option or conftest"),
    Fault("a-plugin-fails-the-session-without-a-test", 1, files={"conftest.py": """
        import pytest
        @pytest.hookimpl(wrapper=True)
        def pytest_runtestloop(session):
            result = yield
            session.testsfailed += 1  # what --cov-fail-under does
            return result
    """}, decision="blocked", reason="gate tests.pytest_status", fails=True),
    Fault("metric-from-an-attempt-that-was-rerun", 4, files={"tests/e2e/test_e.py": """
        def test_e(pyramid_metric, request):
            first = request.node.execution_count == 1
            pyramid_metric("api.rps", 1_000_000.0 if first else 5.0)
            assert not first
    """}, config='[tool.pyramid.thresholds]\n"api.rps" = "mean > 100"\n', args=("--reruns", "1"),
        decision="blocked", reason="gate metric.api.rps"),
    # settings that are not the project's own
    Fault("unittest-plugin-turned-off", 2, files={"tests/unit/test_u.py": """
        import unittest
        def test_a(): pass
        def test_b(): pass
        class TestOld(unittest.TestCase):
            def test_fails(self): self.fail("broken")
    """}, args=("-p", "no:unittest"), reason="plugins turned off outside the project's"),
    Fault("warnings-plugin-turned-off", 2, args=("-p", "no:warnings"),
          reason="plugins turned off outside the project's"),
    Fault("addopts-overridden", 2, addopts="--doctest-modules", args=("-o", "addopts="),
          reason="-o addopts=... overrode"),
    Fault("xfail-strict-overridden", 2, ini="xfail_strict = true",
          args=("-o", "xfail_strict=false"), reason="-o xfail_strict=... overrode"),
    Fault("pythonpath-overridden", 2, args=("-o", "pythonpath=elsewhere"),
          reason="-o pythonpath=... overrode"),
    Fault("warnings-filter-on-the-command-line", 2, args=("-W", "ignore"),
          reason="-W changed how warnings are treated"),
    Fault("noconftest", 2, files={"conftest.py": "X = 1\n"}, args=("--noconftest",),
          reason="--noconftest"),
    Fault("norecursedirs-hides-a-tier", 2, ini='norecursedirs = ["integration", ".*"]',
          reason="not collected: tests/integration/test_i.py"),
    Fault("conftest-adds-norecursedirs", 2, files={"conftest.py": """
        def pytest_configure(config):
            config.addinivalue_line("norecursedirs", "integration")
    """}, reason="not collected: tests/integration/test_i.py"),
    Fault("virtualenv-marker-in-a-tier-folder", 2, files={
        # pytest >= 8.3 knows a virtualenv by its pyvenv.cfg, older ones by bin/activate
        "tests/integration/api/pyvenv.cfg": "home = /usr\n",
        "tests/integration/api/bin/activate": "# a virtualenv\n",
        "tests/integration/api/test_api.py": "def test_api(): assert False\n",
    }, reason="not collected: tests/integration/api/test_api.py"),
    Fault("config-file-that-is-not-the-project-s", 2,
          files={"setup.cfg": "[tool:pytest]\npython_files = test_u.py\n"},
          args=("-c", "setup.cfg"), reason="is not the project's own"),
    Fault("limits-replaced-by-timeout", 2, files={"tests/unit/test_u.py": """
        def test_a(): pass
        def test_b(): pass
    """}, config='[tool.pyramid.tiers.unit]\ntest_timeout = "5s"\n', args=("--timeout=0",),
        reason="--timeout replaced the per-test limits"),
    Fault("source-imported-from-elsewhere", 6, files={
        "mypkg/__init__.py": "VALUE = 1\n",
        "elsewhere/mypkg/__init__.py": "VALUE = 2\n",
        "tests/unit/test_u.py": """
            import mypkg
            def test_a(): assert mypkg.VALUE == 2
            def test_b(): pass
        """,
    }, config='source = ["mypkg"]\n', args=("-o", "pythonpath=elsewhere"),
        reason="mypkg was imported from"),
    # one finishing route: a fact one xdist worker saw counts (not the first worker's only);
    # a serial run is "gw1" here, so it sees it too
    Fault("source-imported-from-elsewhere-by-one-worker", 6, files={
        "mypkg/__init__.py": "VALUE = 1\n",
        "elsewhere/mypkg/__init__.py": "VALUE = 2\n",
        "tests/conftest.py": """
            import os, sys
            def pytest_configure(config):
                if getattr(config, "workerinput", {}).get("workerid", "gw1") == "gw1":
                    here = os.path.dirname(__file__)
                    sys.path.insert(0, os.path.join(here, "..", "elsewhere"))
        """,
        "tests/unit/test_u.py": """
            import mypkg
            def test_a(): pass
            def test_b(): pass
        """,
    }, config='source = ["mypkg"]\n', ini="pythonpath = ['.']",
        reason="mypkg was imported from"),
    Fault("threshold-of-a-tier-judges-that-tier-only", 4, files={
        "tests/unit/test_u.py": """
            def test_a(pyramid_metric): pyramid_metric("api.cold_ms", 1.0)
            def test_b(): pass
        """,
        "tests/performance/test_p.py": """
            import pytest
            def test_p(pyramid_metric):
                pyramid_metric("api.cold_ms", 2500.0)
                pytest.skip("no environment")
            def test_q(): pass
        """,
    }, config='[tool.pyramid.thresholds]\n"api.cold_ms" = { threshold = "< 800", '
              'tier = "performance" }\n', decision="blocked", reason="gate metric.api.cold_ms"),
]


def _project(make_project: MakeProject, fault: Fault) -> None:
    files = {**BASE_FILES, **{k: v for k, v in fault.files.items() if v != ""}}
    make_project(
        fault.config,
        ini=fault.ini,
        addopts=fault.addopts,
        **{k: textwrap.dedent(v) for k, v in files.items()},
    )


#: Faults set by a setting alone (an option, the environment, an ini line), judged on the
#: controller from its own arguments and configuration by the function a serial run calls:
#: their -n 2 proof is one run per fold, every fault's setting at once, each fault's reason
#: asserted. A fold holds faults whose reasons no other fault of it could give (one way of
#: leaving tests/e2e out per fold). The faults left out keep a -n 2 row of their own: what a
#: worker observes and ships (a conftest's hook, a collection, the tiers' outcomes, metrics,
#: an import), or a setting that moves the run (-c, --rootdir, -o addopts=, a path argument)
#: or changes what another fault's reason would be.
FOLDS = {
    "settings-a": ("keyword", "xfail-strict-overridden", "pythonpath-overridden",
                   "warnings-filter-on-the-command-line", "limits-replaced-by-timeout",
                   "ignore-on-the-command-line"),
    "settings-b": ("test-id", "noconftest", "warnings-plugin-turned-off"),
    "settings-c": ("unittest-plugin-turned-off", "ignore-in-pytest-addopts",
                   "deselect-in-addopts"),
}
FOLDED = {name for names in FOLDS.values() for name in names}


def _fold(name: str) -> tuple[Fault, list[str]]:
    """One fault holding every setting of the fold's faults, and the reasons they each give."""
    faults = [f for f in FAULTS if f.id in FOLDS[name]]
    assert len(faults) == len(FOLDS[name])
    assert all(f.decision == "incomplete" and f.xdist and f.verdict == "pyramid-verdict.json"
               and not (f.fails or f.exit is not None or f.xdist_internal_error)
               for f in faults)
    files: dict[str, str] = {}
    env: dict[str, str] = {}
    for f in faults:
        for path, body in f.files.items():  # one body per file
            assert textwrap.dedent(files.setdefault(path, body)) == textwrap.dedent(body), path
        assert not set(f.env) & set(env), f.id
        env.update(f.env)
    fold = Fault(f"fold-{name}", 0, files=files, env=env,
                 args=tuple(a for f in faults for a in f.args),
                 ini="\n".join(f.ini for f in faults if f.ini),
                 addopts=" ".join(f.addopts for f in faults if f.addopts),
                 config="\n".join(f.config for f in faults if f.config))
    return fold, [f.reason for f in faults]


def _judged(pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
            monkeypatch: pytest.MonkeyPatch, fault: Fault,
            workers: int) -> tuple[pytest.RunResult, dict[str, Any]]:
    _project(make_project, fault)
    for name, value in fault.env.items():
        monkeypatch.setenv(name, value)
    args = [*fault.args, *(["-n", str(workers)] if workers else [])]
    result = pytester.runpytest(*args)
    if not (workers and fault.xdist_internal_error):
        assert "INTERNALERROR" not in result.stdout.str()
    return result, read_verdict(fault.verdict)


@pytest.mark.parametrize("name", list(FOLDS))
def test_seeded_faults_are_never_ready_folded_n2(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, name: str,
) -> None:
    """The folded faults (:data:`FOLDS`) under -n 2, one run per fold: each one's reason."""
    fault, reasons = _fold(name)
    _, data = _judged(pytester, make_project, read_verdict, monkeypatch, fault, 2)
    assert data["decision"] == "incomplete", data["reasons"]
    for reason in reasons:
        assert any(reason in said for said in data["reasons"]), (reason, data["reasons"])


@pytest.mark.parametrize(("fault", "workers"), [
    pytest.param(fault, workers, id=f"{fault.id}-{name}")
    for fault in FAULTS for workers, name in ((0, "serial"), (2, "n2"))
    if not workers or fault.id not in FOLDED
])
def test_a_seeded_fault_is_never_ready(
    pytester: pytest.Pytester,
    make_project: MakeProject,
    read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch,
    fault: Fault,
    workers: int,
) -> None:
    if workers and not fault.xdist:
        pytest.skip("the fault is about a serial run (xdist schedules differently)")
    result, data = _judged(pytester, make_project, read_verdict, monkeypatch, fault, workers)
    assert data["decision"] == fault.decision, data["reasons"]
    assert any(fault.reason in reason for reason in data["reasons"]), data["reasons"]
    if fault.fails:
        assert result.ret != 0
    if fault.exit is not None:
        assert result.ret == fault.exit


def test_the_base_project_is_ready(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    """The faults above differ from a ready run only by what they seed."""
    make_project(**{k: textwrap.dedent(v) for k, v in BASE_FILES.items()})
    result = pytester.runpytest()
    assert result.ret == 0
    assert read_verdict()["decision"] == "ready"
    result = pytester.runpytest("-n", "2")
    assert read_verdict()["decision"] == "ready"


def test_an_option_value_given_with_a_space_that_moves_the_rootdir_is_named(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
) -> None:
    """A plugin's path option given with a space: pytest chooses its rootdir before plugins
    add their options, so the value reads as a path argument and another folder's
    configuration judges the run (``run/filters.py: rootdir_fact``, judged by
    ``invocation.narrowing_fact_reasons``, which ``pyramid merge`` asks again of a shard's
    record). A subprocess: in-process, pytester's plugins know the option before pytest
    chooses. Serial only (CI time): the fact is the controller's, like ``-c``'s; the judgement's
    rows are in tests/unit/run/test_invocation_record.py."""
    make_project(**{k: textwrap.dedent(v) for k, v in BASE_FILES.items()},
                 **{"other/pyproject.toml": "[tool.pytest.ini_options]\n[tool.pyramid]\n",
                    "other/h.sqlite": ""})
    pytester.runpytest_subprocess("--pyramid-history", "other/h.sqlite")
    data = read_verdict("other/pyramid-verdict.json")
    assert data["decision"] == "incomplete"
    assert any(f"pytest's rootdir {pytester.path / 'other'}, whose configuration judged the "
               f"run, is not the folder the run's own arguments give ({pytester.path}): pytest "
               "chose it from other/h.sqlite, an option's value given with a space; write path "
               "options as --option=PATH" in reason for reason in data["reasons"]), data["reasons"]
