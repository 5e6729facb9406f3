"""The invocation is allow-listed (docs/verdict.md, "Settings that are not the project's
own"): a project committed to git, run with one setting at a time, serial and under -n 2.

A setting the table (run/invocation.py) knows to preserve outcomes, or one the project's own
tracked configuration made, leaves the verdict ``ready``; anything else makes it
``incomplete``, naming the setting (and how to allow it, for one the table does not know).
The project's own exclusions (``-m`` in its tracked addopts, ``collect_ignore`` in a tracked
conftest) are listed in ``run.invocation.exclusions`` and never counted as passed.
"""

from __future__ import annotations

import json
import os
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from tests.git_repo import git

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import MakeProject, ReadVerdict

FILES = {
    "tests/unit/test_u.py": """
        import pytest
        def test_a(): pass
        @pytest.mark.slow
        def test_slow(): pass
    """,
    "tests/integration/test_i.py": "def test_i(): pass\n",
}
MARKERS = 'markers = ["slow: a slow test"]'
#: a tracked conftest that removes a variable at import
POPS = 'import os\nos.environ.pop("{name}", None)\n'
#: a plugin of the project's own (a tracked conftest) registering an option of its own
FANCY_CONFTEST = """
    def pytest_addoption(parser):
        parser.addoption("--fancy", action="store_true")
"""


@dataclass(frozen=True)
class Row:
    id: str
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    #: files committed with the project, and files left untracked
    tracked: dict[str, str] = field(default_factory=dict)
    untracked: dict[str, str] = field(default_factory=dict)
    #: options added to the tracked addopts, lines added to [tool.pyramid]
    addopts: str = ""
    config: str = ""
    decision: str = "incomplete"
    #: a text among the reasons (incomplete) or an exclusion's "what" (ready)
    reason: str = ""
    excluded: str = ""
    #: tier -> (passed, deselected) the verdict must count
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: run under -n 2 as well (a row whose judgement no worker can change: serial only)
    n2: bool = True


ROWS = [
    Row("nothing-added", decision="ready"),
    Row("output-options", args=("-v", "--tb=short", "-rA", "--durations=3"), decision="ready"),
    Row("p-module-not-declared", args=("-p", "localplug"),
        tracked={"localplug.py": "X = 1\n"}, reason="-p localplug: loads a plugin"),
    # without autoloading, the plugins named with -p are installed ones; the installed plugins
    # left unloaded are all known to be harmless to leave out
    Row("autoload-off-installed-plugins-named", env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        args=("-p", "pytest_pyramid.plugin", "-p", "pytest_pyramid.markers", "-p",
              "xdist.plugin", "-p", "pytest_timeout", "-p", "_hypothesis_pytestplugin"),
        decision="ready"),
    # hostile case 308: pytest-timeout is not harmless to leave out (a hung test passes),
    # whether the variable or pytest's own flag left it unloaded; the project's own tracked
    # addopts turning autoloading off is its decision
    Row("autoload-off-leaves-pytest-timeout-out", env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        args=("-p", "pytest_pyramid.plugin", "-p", "pytest_pyramid.markers", "-p",
              "xdist.plugin", "-p", "_hypothesis_pytestplugin"),
        reason="plugins turned off outside the project's configuration: timeout"),
    Row("autoload-flag-leaves-pytest-timeout-out",
        args=("--disable-plugin-autoload", "-p", "pytest_pyramid.plugin", "-p",
              "pytest_pyramid.markers", "-p", "xdist.plugin", "-p", "_hypothesis_pytestplugin"),
        reason="plugins turned off outside the project's configuration: timeout"),
    # hostile case 358: hypothesis's plugin fails tests itself (health checks), so leaving it
    # out is not harmless either, by -p no: or by autoloading off
    Row("hypothesis-plugin-turned-off", args=("-p", "no:hypothesispytest"),
        reason="plugins turned off outside the project's configuration: hypothesispytest"),
    Row("autoload-off-leaves-hypothesis-out", env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        args=("-p", "pytest_pyramid.plugin", "-p", "pytest_pyramid.markers", "-p",
              "xdist.plugin", "-p", "pytest_timeout"),
        reason="plugins turned off outside the project's configuration: hypothesispytest"),
    Row("autoload-off-in-the-tracked-addopts",
        addopts="--disable-plugin-autoload -p pytest_pyramid.plugin -p pytest_pyramid.markers "
        "-p xdist.plugin", decision="ready"),
    Row("reruns-mode-on-the-command-line", args=("--reruns-mode=append",),
        reason="--reruns-mode changes how the run is judged"),
    # hostile case 304: the logging options decide which records reach caplog, and the
    # capture format what caplog.text says; the project's own addopts may set them
    Row("log-level", args=("--log-level=INFO",),
        reason="--log-level changes how the run is judged"),
    Row("log-cli-level", args=("--log-cli-level=INFO",),
        reason="--log-cli-level changes how the run is judged"),
    Row("log-file-level", args=("--log-file=ci.log", "--log-file-level=DEBUG"),
        reason="--log-file-level changes how the run is judged"),
    Row("log-disable", args=("--log-disable=mypkg",),
        reason="--log-disable changes how the run is judged"),
    Row("log-format", args=("--log-format=%(message)s",),
        reason="--log-format changes how the run is judged"),
    Row("o-log-level", args=("-o", "log_level=INFO"), reason="-o log_level=... overrode"),
    Row("log-file-alone", args=("--log-file=ci.log",), decision="ready"),
    Row("log-level-in-the-tracked-addopts", addopts="--log-level=INFO", decision="ready"),
    Row("p-own-toolkit-plugin", args=("-p", "pytest_pyramid.toolkits.plugin"),
        decision="ready"),
    Row("p-no-of-an-outcome-plugin", args=("-p", "no:warnings"),
        reason="plugins turned off outside the project's configuration: warnings"),
    Row("ignore-on-the-command-line", args=("--ignore=tests/integration",),
        reason="--ignore changes how the run is judged"),
    Row("confcutdir", args=("--confcutdir=tests",), reason="--confcutdir"),
    # hostile round: reruns added by a CI script excuse a failure the project does not excuse;
    # a gateway spec can run another checkout's tests (popen//chdir=...)
    Row("reruns-on-the-command-line", args=("--reruns=2",), reason="--reruns"),
    Row("reruns-in-the-tracked-addopts", addopts="--reruns=2", decision="ready"),
    Row("diff-base-on-the-command-line", args=("--pyramid-diff-base=HEAD",),
        reason="--pyramid-diff-base"),
    Row("tx-gateway-spec", args=("--tx", "popen//chdir=.", "--dist=load"), reason="--tx"),
    Row("o-output-setting", args=("-o", "console_output_style=classic"), decision="ready"),
    Row("o-judgement-setting", args=("-o", "python_functions=test_a"),
        reason="-o python_functions=... overrode"),
    Row("pytest-addopts-output", env={"PYTEST_ADDOPTS": "-v --tb=line"}, decision="ready"),
    Row("pytest-addopts-runxfail", env={"PYTEST_ADDOPTS": "--runxfail"},
        reason="--runxfail (from PYTEST_ADDOPTS) changes how the run is judged"),
    Row("pytest-plugins", env={"PYTEST_PLUGINS": "localplug"},
        tracked={"localplug.py": "X = 1\n"}, reason="environment variable PYTEST_PLUGINS"),
    Row("pythonpath-inside-the-repository", env={"PYTHONPATH": "<repo>/src"},
        tracked={"src/lib.py": "X = 1\n"}, decision="ready"),
    Row("pythonpath-outside-the-repository", env={"PYTHONPATH": "<outside>"},
        reason="PYTHONPATH has entries outside the repository"),
    Row("pythonoptimize", env={"PYTHONOPTIMIZE": "1"},
        reason="environment variable PYTHONOPTIMIZE: removes assert statements"),
    # hostile case 292: one environment for every judgement, the one the run started with and
    # what os.environ held by the session's start. A tracked conftest that removes a variable
    # at import ("the tests' subprocesses start clean") removes nothing that already acted:
    # PYTHONPATH's entries are on sys.path, pytest read PYTEST_ADDOPTS at its pre-parse
    Row("pythonpath-outside-removed-by-a-conftest", env={"PYTHONPATH": "<outside>"},
        tracked={"conftest.py": POPS.format(name="PYTHONPATH")},
        reason="PYTHONPATH has entries outside the repository"),
    Row("pytest-addopts-removed-by-a-conftest", env={"PYTEST_ADDOPTS": "--runxfail"},
        tracked={"conftest.py": POPS.format(name="PYTEST_ADDOPTS")},
        reason="--runxfail (from PYTEST_ADDOPTS) changes how the run is judged"),
    # and one a conftest sets is judged as well (environment_later)
    Row("pythonoptimize-set-by-a-conftest",
        tracked={"conftest.py": 'import os\nos.environ["PYTHONOPTIMIZE"] = "1"\n'},
        reason="environment variable PYTHONOPTIMIZE: removes assert statements"),
    Row("pythonwarnings", env={"PYTHONWARNINGS": "ignore"},
        reason="environment variable PYTHONWARNINGS"),
    # hostile round 2 (tools/hostile 74, 77, 78): pytest-pyramid's own variables and ini
    # names are settings like any other; a CI script's risk base or -o diff base is not the
    # project's configuration
    Row("pyramid-risk-base", env={"PYRAMID_RISK_BASE": "HEAD"},
        reason="environment variable PYRAMID_RISK_BASE: the base the risk gate"),
    Row("pyramid-run-id", env={"PYRAMID_RUN_ID": "ci-7"}, decision="ready"),
    # hostile case 203: every other row's run is started by a test of this recording run, so
    # the PYTEST_CURRENT_TEST it inherits (and PYTEST_XDIST_WORKER under -n) is pytest's own;
    # a run whose variable names no live ancestor run is a top-level run, where they came
    # from outside. Hostile round 9's target: a spool folder made by hand (mkdir
    # pyramid-forks-*) is no live run; only a run file naming this process's ancestor, with
    # its start time, is (run/lineage.py). An empty value: tests/unit/run rows
    Row("pytest-own-variables-with-a-hand-made-spool",
        env={"PYRAMID_RECORD_SPOOL": "<made spool>", "PYTEST_XDIST_WORKER": "gw0"},
        reason="environment variable PYTEST_XDIST_WORKER: xdist sets it in its workers "
        "(outcome-preserving there), never for a top-level run"),
    Row("pyramid-unknown-variable", env={"PYRAMID_FANCY": "1"},
        reason="environment variable PYRAMID_FANCY is not known"),
    Row("o-pyramid-diff-base", args=("-o", "pyramid_diff_base=HEAD"),
        reason="-o pyramid_diff_base=... overrode"),
    Row("o-pyramid-strict-off", args=("-o", "pyramid_strict=false"),
        reason="-o pyramid_strict=... overrode"),
    Row("o-pyramid-strict-on", args=("-o", "pyramid_strict=true"), decision="ready"),
    Row("o-pyramid-output", args=("-o", "pyramid_explain=true"), decision="ready"),
    Row("argsfile-output", args=("@args.txt",), tracked={"args.txt": "-v\n"},
        decision="ready"),
    Row("argsfile-runxfail", args=("@args.txt",), tracked={"args.txt": "--runxfail\n"},
        reason="--runxfail (from argsfile) changes how the run is judged"),
    # hostile case 401 (e, f): the tracked addopts' @FILE is the project's only when git
    # tracks FILE too (nested @ lines the same), else its options are judged as from outside
    Row("addopts-argsfile-tracked", addopts="--runxfail @ci/judge.args",
        tracked={"ci/judge.args": "--runxfail\n"}, decision="ready"),
    Row("addopts-argsfile-untracked", addopts="--runxfail @local.args",
        untracked={"local.args": "--runxfail\n"},
        reason="--runxfail (from argsfile via addopts @local.args) changes how the run"),
    Row("addopts-argsfile-nested-untracked", addopts="--runxfail @ci/judge.args",
        tracked={"ci/judge.args": "@local.args\n"}, untracked={"local.args": "--runxfail\n"},
        reason="--runxfail (from argsfile via addopts @local.args) changes how the run"),
    Row("unknown-plugin-option", args=("--fancy",), tracked={"conftest.py": FANCY_CONFTEST},
        reason='does not know: the run cannot vouch for it; if it changes neither what runs '
        'nor how it is judged, list it in [tool.pyramid] allow_options'),
    Row("unknown-plugin-option-allowed", args=("--fancy",),
        tracked={"conftest.py": FANCY_CONFTEST}, config='allow_options = ["--fancy"]',
        decision="ready"),
    Row("tracked-addopts-deselects", addopts="-m 'not slow'", decision="ready",
        excluded="-m 'not slow'", counts={"unit": (1, 1)}),
    Row("command-line-deselects", args=("-m", "not slow"), reason="-m 'not slow' filtered"),
    Row("tracked-addopts-ignores", addopts="--ignore=tests/integration/test_i.py",
        config='release_tiers = ["unit"]', decision="ready",
        excluded="--ignore=tests/integration/test_i.py (addopts)"),
    Row("collect-ignore-in-a-tracked-conftest",
        tracked={"conftest.py": 'collect_ignore = ["tests/integration/test_i.py"]\n'},
        config='release_tiers = ["unit"]', decision="ready",
        excluded="collect_ignore: tests/integration/test_i.py"),
    # hostile round 2 (tools/hostile 82): the project's own exclusions still leave the tier
    # with tests; a tier left out whole is required and did not run, as with -m (83)
    Row("collect-ignore-of-a-whole-tier",
        tracked={"conftest.py": 'collect_ignore = ["tests/integration/test_i.py"]\n'},
        reason="required tier integration did not run",
        excluded="collect_ignore: tests/integration/test_i.py"),
    Row("tracked-addopts-ignores-a-whole-tier", addopts="--ignore=tests/integration",
        reason="required tier integration did not run",
        excluded="--ignore=tests/integration (addopts)"),
    Row("collect-ignore-in-an-untracked-conftest",
        untracked={"conftest.py": 'collect_ignore = ["tests/integration/test_i.py"]\n'},
        config='release_tiers = ["unit"]',
        reason="not collected: tests/integration/test_i.py"),
]


def _project(make_project: MakeProject, row: Row, pytester: pytest.Pytester) -> Path:
    files = {**FILES, **row.tracked}
    root = make_project(row.config, ini=MARKERS, addopts=row.addopts.replace('"', '\\"'),
                        **{k: textwrap.dedent(v) for k, v in files.items()})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "project")
    for name, body in row.untracked.items():
        (root / name).write_text(textwrap.dedent(body))
    return root


#: Rows whose setting is only the command line's or the environment's: the controller judges
#: them in one function (run/invocation.py) from its own argv and environment, the same
#: function a serial run calls, and no xdist worker observes or ships anything of them. Their
#: -n 2 proof is one run per fold, every row's setting at once, each row's reason asserted
#: (one verdict lists them all). The rows left out of a fold keep a -n 2 run of their own:
#: their fact is also what a worker observes and ships in ``workeroutput`` (plugins it
#: loaded or left out, files and conftests it collected, a tracked conftest acting in it,
#: exclusions it counted), a gateway spec is xdist's own, and a hand-made spool names the
#: run's lineage.
FOLDS = {
    "ready": ("nothing-added", "output-options", "log-file-alone",
              "log-level-in-the-tracked-addopts", "reruns-in-the-tracked-addopts",
              "o-output-setting", "pytest-addopts-output", "pythonpath-inside-the-repository",
              "pyramid-run-id", "o-pyramid-strict-on", "o-pyramid-output", "argsfile-output"),
    "incomplete": ("reruns-mode-on-the-command-line", "log-level", "log-cli-level",
                   "log-file-level", "log-disable", "log-format", "o-log-level",
                   "ignore-on-the-command-line", "confcutdir", "reruns-on-the-command-line",
                   "diff-base-on-the-command-line", "o-judgement-setting",
                   "pytest-addopts-runxfail", "pythonpath-outside-the-repository",
                   "pythonoptimize", "pythonwarnings", "pyramid-risk-base",
                   "pyramid-unknown-variable", "o-pyramid-diff-base", "o-pyramid-strict-off",
                   "argsfile-runxfail", "command-line-deselects"),
}
FOLDED = {name for names in FOLDS.values() for name in names}


def _fold(decision: str) -> tuple[Row, list[str]]:
    """One row holding every setting of the fold's rows, and the reasons they each give."""
    rows = [row for row in ROWS if row.id in FOLDS[decision]]
    assert len(rows) == len(FOLDS[decision])
    assert all(row.decision == decision and not row.untracked and not row.config
               and not row.excluded and not row.counts for row in rows)
    env: dict[str, str] = {}
    for row in rows:
        assert not set(row.env) & set(env), row.id  # one value per variable
        env.update(row.env)
    fold = Row(f"fold-{decision}", args=tuple(a for row in rows for a in row.args), env=env,
               tracked={k: v for row in rows for k, v in row.tracked.items()},
               addopts=" ".join(row.addopts for row in rows if row.addopts),
               decision=decision)
    return fold, [row.reason for row in rows if row.reason]


def _verdict_of(row: Row, workers: int, pytester: pytest.Pytester, make_project: MakeProject,
                read_verdict: ReadVerdict, monkeypatch: pytest.MonkeyPatch,
                outside: Path) -> dict[str, Any]:
    root = _project(make_project, row, pytester)
    if "PYTHONOPTIMIZE" not in row.env:  # a conftest may set it in this process: undone
        monkeypatch.setenv("PYTHONOPTIMIZE", "-")
        monkeypatch.delenv("PYTHONOPTIMIZE")
    for name, value in row.env.items():
        value = value.replace("<repo>", str(root)).replace("<outside>", str(outside))
        if value == "<made spool>":
            (outside / "pyramid-forks-made").mkdir(mode=0o700)
            value = json.dumps({"spool": str(outside / "pyramid-forks-made"),
                                "root": str(root), "project": str(root), "started_ns": 0})
        monkeypatch.setenv(name, value)
    if "PYTEST_PLUGINS" in row.env:  # importable here and in the xdist workers
        monkeypatch.syspath_prepend(str(root))
        monkeypatch.setenv("PYTHONPATH", str(root))
    if row.args[:1] == ("-p",) and not row.args[1].startswith(("no:", "pytest_")):
        monkeypatch.syspath_prepend(str(root))
    args = [*row.args, *(["-n", str(workers)] if workers else [])]
    result = pytester.runpytest(*args)
    assert "INTERNALERROR" not in result.stdout.str()
    return read_verdict()


def _assert_judged(row: Row, data: dict[str, Any], reasons: list[str]) -> None:
    """What the verdict of ``row``'s run must say; ``reasons``: texts it must give."""
    assert data["decision"] == row.decision, data["reasons"]
    invocation: dict[str, Any] = data["run"]["invocation"]
    for text in reasons:
        assert any(text in reason for reason in data["reasons"]), (text, data["reasons"])
    exclusions = [e["what"] for e in invocation["exclusions"]]
    if row.excluded:
        assert row.excluded in exclusions, invocation["exclusions"]
    elif row.decision == "ready":
        assert exclusions == []
    for tier, (passed, deselected) in row.counts.items():
        entry = data["tiers"][tier]
        assert (entry["passed"], entry["deselected"]) == (passed, deselected)
    # the verdict records where every argument came from
    sources = {s["source"]: s for s in invocation["sources"]}
    # asked of git only when the addopts need the project's authority (null: not asked)
    assert sources["addopts"]["own"] is (True if row.addopts else None)
    assert sources["addopts"]["file"] == "pyproject.toml"
    if "PYTEST_ADDOPTS" in row.env:
        assert sources["PYTEST_ADDOPTS"]["own"] is False
    if "@args.txt" in row.args:
        assert sources["argsfile"]["file"] == "args.txt"
    assert set(row.env) <= set(invocation["environment"]) | {"PYTEST_PLUGINS",
                                                              "PYRAMID_RECORD_SPOOL"}
    # the test's own pytest run: started by this recording run, unless the row says not
    assert "PYTEST_CURRENT_TEST" in invocation["environment"]
    assert invocation["started_by_run"] is ("PYRAMID_RECORD_SPOOL" not in row.env)


@pytest.mark.parametrize(("row", "workers"), [
    pytest.param(row, workers, id=f"{row.id}-{name}")
    for row in ROWS for workers, name in ((0, "serial"), (2, "n2"))
    if not workers or (row.n2 and row.id not in FOLDED)
])
def test_the_invocation_is_allow_listed(
    pytester: pytest.Pytester,
    make_project: MakeProject,
    read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    row: Row,
    workers: int,
) -> None:
    data = _verdict_of(row, workers, pytester, make_project, read_verdict, monkeypatch,
                       tmp_path_factory.mktemp("outside"))
    _assert_judged(row, data, [row.reason] if row.reason else [])


@pytest.mark.parametrize("decision", list(FOLDS))
def test_the_invocation_is_allow_listed_folded_n2(
    pytester: pytest.Pytester,
    make_project: MakeProject,
    read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    decision: str,
) -> None:
    """Every folded row's setting in one -n 2 run (:data:`FOLDS`): each row's reason given."""
    row, reasons = _fold(decision)
    data = _verdict_of(row, 2, pytester, make_project, read_verdict, monkeypatch,
                       tmp_path_factory.mktemp("outside"))
    _assert_judged(row, data, reasons)


def test_allow_options_in_an_untracked_file_is_not_honoured(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    row = Row("untracked", tracked={"conftest.py": FANCY_CONFTEST})
    root = _project(make_project, row, pytester)
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(text + '\nallow_options = ["--fancy"]\n')
    git(root, "rm", "-q", "--cached", "pyproject.toml")
    pytester.runpytest("--fancy")
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert any("allow_options is not honoured" in r for r in data["reasons"]), data["reasons"]


def test_outside_git_the_configuration_is_not_tracked(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    """Nothing is tracked outside a git repository: addopts exclusions are not the
    project's decision there (the verdict names no tree)."""
    make_project(ini=MARKERS, addopts="-m 'not slow'",
                 **{k: textwrap.dedent(v) for k, v in FILES.items()})
    pytester.runpytest()
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert any("-m 'not slow' filtered" in r for r in data["reasons"]), data["reasons"]
    assert data["tiers"]["unit"]["passed"] == 1
    assert os.path.basename(data["run"]["invocation"]["sources"][0]["file"]) == "pyproject.toml"


@pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])
@pytest.mark.parametrize(("warnoptions", "decision"), [
    (["error::DeprecationWarning"], "ready"), (["ignore"], "incomplete")])
def test_the_interpreters_own_warning_filters_are_judged_like_pythonwarnings(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, warnoptions: list[str], decision: str, workers: int,
) -> None:
    """``python -W ignore -m pytest`` (hostile round 2, case 94) sets what PYTHONWARNINGS
    would: recorded in run.invocation.interpreter and judged by the same rule."""
    _project(make_project, Row("w"), pytester)
    # the run reads this process's filters (pytester runs pytest in-process)
    monkeypatch.setattr("sys.warnoptions", warnoptions)
    pytester.runpytest(*(["-n", str(workers)] if workers else []))
    data = read_verdict()
    assert data["decision"] == decision, data["reasons"]
    assert data["run"]["invocation"]["interpreter"]["warnoptions"] == warnoptions
    if decision == "incomplete":
        assert any("python -W ignore" in r for r in data["reasons"]), data["reasons"]
