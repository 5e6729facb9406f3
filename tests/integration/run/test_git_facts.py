"""The git facts a verdict states describe the workspace the tests ran in, whatever git's own
settings or the inherited environment say: the bytes on disk (no clean filter, no sparse
checkout hiding a tracked file), this repository (no leaked ``GIT_DIR``), the commit's real
tree (no replace refs), every gitlink (with or without ``.gitmodules``), and changed lines
whatever the attributes say. Every row runs serial and under ``-n 2``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.gates.cov.changed import changed_lines
from tests.git_repo import git

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import MakeProject, ReadVerdict

FILES = {
    "tests/unit/test_u.py": "def test_a(): pass\n",
    "tests/integration/test_i.py": "def test_i(): pass\n",
    ".gitignore": "__pycache__/\n.pytest_cache/\n",
}
WORKERS = pytest.mark.parametrize("workers", [0, 2], ids=["serial", "xdist"])
#: rows whose -n 2 twin is folded with others' (``..._folded_xdist``)
SERIAL = pytest.mark.parametrize("workers", [0], ids=["serial"])


def run(pytester: pytest.Pytester, workers: int) -> None:
    pytester.runpytest(*(("-n", str(workers)) if workers else ()))


@pytest.fixture
def committed(pytester: pytest.Pytester, make_project: MakeProject) -> Path:
    make_project(**FILES)
    git(pytester.path, "init", "-q")
    git(pytester.path, "add", "-A")
    git(pytester.path, "commit", "-qm", "one")
    return pytester.path


def reasons(data: dict[str, Any]) -> str:
    return "\n".join(data["reasons"])


@WORKERS
def test_a_tracked_test_file_outside_a_sparse_checkout_did_not_run(
    pytester: pytest.Pytester, committed: Path, read_verdict: ReadVerdict, workers: int
) -> None:
    (committed / "tests/e2e").mkdir()
    (committed / "tests/e2e/test_e.py").write_text("def test_e(): assert False\n")
    git(committed, "add", "-A")
    git(committed, "commit", "-qm", "e2e")
    git(committed, "sparse-checkout", "set", "--no-cone", "/*", "!/tests/e2e/")
    assert not (committed / "tests/e2e/test_e.py").exists()
    run(pytester, workers)
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert "tracked test file(s) are not in the workspace: tests/e2e/test_e.py" in reasons(data)
    assert data["dirty"] is True  # the tree on disk lacks the file: not the commit's tree


@WORKERS
def test_a_submodule_of_tests_that_was_never_checked_out_did_not_run(
    pytester: pytest.Pytester,
    make_project: MakeProject,
    read_verdict: ReadVerdict,
    workers: int,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    suite = tmp_path_factory.mktemp("suite")
    git(suite, "init", "-q")
    (suite / "test_flow.py").write_text("def test_flow(): assert False\n")
    git(suite, "add", "-A")
    git(suite, "commit", "-qm", "e2e")
    origin = tmp_path_factory.mktemp("origin")
    make_project()  # the lean pytest settings of the suite's projects, copied below
    for name, body in FILES.items():
        (origin / name).parent.mkdir(parents=True, exist_ok=True)
        (origin / name).write_text(body)
    (origin / "pyproject.toml").write_text((pytester.path / "pyproject.toml").read_text())
    git(origin, "init", "-q")
    git(origin, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(suite),
        "tests/e2e")
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "one")
    checkout = pytester.path / "ci"
    git(pytester.path, "clone", "-q", str(origin), "ci")  # no --recurse-submodules
    assert list((checkout / "tests/e2e").iterdir()) == []
    monkeypatch.chdir(checkout)
    run(pytester, workers)
    data = read_verdict("ci/pyramid-verdict.json")
    assert data["decision"] == "incomplete"
    assert "submodule(s) under a tier's folder are not checked out: tests/e2e" in reasons(data)


@WORKERS
def test_a_clean_filter_does_not_hide_the_bytes_that_ran(
    pytester: pytest.Pytester, committed: Path, read_verdict: ReadVerdict, workers: int
) -> None:
    # the workspace's own configuration maps the edited file back to its committed bytes
    git(committed, "config", "filter.back.clean", "sed -e 's/assert 1  # FIX/pass/'")
    (committed / ".git/info/attributes").write_text("tests/unit/test_u.py filter=back\n")
    (committed / "tests/unit/test_u.py").write_text("def test_a(): assert 1  # FIX\n")
    assert git(committed, "diff") == ""  # git itself sees no change
    run(pytester, workers)
    data = read_verdict()
    assert data["dirty"] is True
    assert data["tree"]["digest"] != data["tree"]["head"]


@WORKERS
def test_a_replace_ref_does_not_stand_for_the_commits_tree(
    pytester: pytest.Pytester, committed: Path, read_verdict: ReadVerdict, workers: int
) -> None:
    good = git(committed, "rev-parse", "HEAD")
    (committed / "tests/unit/test_u.py").write_text("def test_a(): assert False\n")
    git(committed, "commit", "-qam", "broken")
    bad = git(committed, "rev-parse", "HEAD")
    real_tree = git(committed, "rev-parse", "HEAD^{tree}")
    git(committed, "replace", bad, good)
    git(committed, "reset", "-q", "--hard")  # the working tree now holds good's content
    assert (committed / "tests/unit/test_u.py").read_text() == FILES["tests/unit/test_u.py"]
    run(pytester, workers)
    data = read_verdict()
    assert (data["commit"], data["tree"]["head"], data["dirty"]) == (bad, real_tree, True)


@WORKERS
def test_a_leaked_git_dir_does_not_name_another_repository(
    pytester: pytest.Pytester,
    committed: Path,
    read_verdict: ReadVerdict,
    workers: int,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clean = tmp_path_factory.mktemp("clean")
    git(clean, "clone", "-q", str(committed), ".")
    (committed / "tests/unit/test_u.py").write_text("def test_a(): assert 2\n")
    own = git(committed, "rev-parse", "HEAD")
    monkeypatch.setenv("GIT_DIR", str(clean / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(clean))
    monkeypatch.setenv("GIT_INDEX_FILE", str(clean / ".git/index"))
    run(pytester, workers)
    data = read_verdict()
    assert (data["commit"], data["dirty"]) == (own, True)


@SERIAL
def test_an_embedded_repository_with_uncommitted_changes_is_not_clean(
    pytester: pytest.Pytester, committed: Path, read_verdict: ReadVerdict, workers: int
) -> None:
    embed_a_changed_repository(committed)
    run(pytester, workers)
    assert_embedded_named(read_verdict())


def embed_a_changed_repository(committed: Path) -> None:
    lib = committed / "vendor/lib"
    lib.mkdir(parents=True)
    git(lib, "init", "-q")
    (lib / "vlib.py").write_text("X = 1\n")
    git(lib, "add", "-A")
    git(lib, "commit", "-qm", "lib")
    git(committed, "add", "vendor/lib")  # a gitlink, no .gitmodules
    git(committed, "commit", "-qm", "vendored")
    assert not (committed / ".gitmodules").exists()
    (lib / "vlib.py").write_text("X = 2\n")


def assert_embedded_named(data: dict[str, Any]) -> None:
    assert data["decision"] == "incomplete"
    assert "submodule vendor/lib has changes not in its commit" in reasons(data)


@SERIAL
def test_a_test_file_in_a_hidden_tier_folder_is_counted(
    pytester: pytest.Pytester, committed: Path, read_verdict: ReadVerdict, workers: int
) -> None:
    hide_a_test_file(committed)
    run(pytester, workers)
    assert_hidden_counted(read_verdict())


def hide_a_test_file(committed: Path) -> None:
    (committed / "tests/unit/.regressions").mkdir()
    (committed / "tests/unit/.regressions/test_r.py").write_text("def test_r(): assert 0\n")


def assert_hidden_counted(data: dict[str, Any]) -> None:
    assert data["decision"] == "incomplete"
    assert "tests/unit/.regressions/test_r.py" in reasons(data)
    assert data["tiers"]["unit"]["files_on_disk"] == 2


@pytest.mark.parametrize("attribute", ["-diff", "binary", "diff=nothing"])
def test_changed_lines_do_not_depend_on_diff_attributes(
    committed: Path, attribute: str
) -> None:
    (committed / "mod.py").write_text("A = 1\n")
    git(committed, "add", "-A")
    git(committed, "commit", "-qm", "mod")
    base = git(committed, "rev-parse", "HEAD")
    (committed / ".git/info/attributes").write_text(f"*.py {attribute}\n")
    (committed / "mod.py").write_text("A = 1\nB = 2\nC = 3\n")
    found = changed_lines(base, committed)
    assert found.reason is None
    assert [sorted(lines) for lines in found.files.values()] == [[2, 3]]


# -- coverage figures come from the project's own coverage configuration -----------------------

LENIENT = "[report]\nexclude_also =\n    def never\n"


@pytest.mark.parametrize("route", ["cov-config", "env"])
@WORKERS
def test_a_coverage_configuration_not_the_projects_own_is_not_evaluated(
    pytester: pytest.Pytester,
    make_project: MakeProject,
    read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch,
    route: str,
    workers: int,
) -> None:
    pytest.importorskip("pytest_cov")
    from tests.integration.run.test_lifecycle_and_provenance import COV_PROJECT

    make_project('source = ["mypkg"]\n[tool.pyramid.coverage]\ntotal = 90\n',
                 **COV_PROJECT, **{"ci/lenient.cfg": LENIENT})
    git(pytester.path, "init", "-q")
    git(pytester.path, "add", "-A")  # tracked, but not the file coverage.py finds itself
    args = ["--cov=mypkg", "--cov-report=", *(("-n", str(workers)) if workers else ())]
    if route == "env":
        monkeypatch.setenv("COVERAGE_RCFILE", "ci/lenient.cfg")
    else:
        args.append("--cov-config=ci/lenient.cfg")
    pytester.runpytest_subprocess(*args)
    data = read_verdict()
    gate = next(g for g in data["gates"] if g["id"] == "coverage.total")
    assert gate["status"] == "not_evaluated", gate
    assert "lenient.cfg" in str(gate), gate
    assert data["decision"] != "ready"


@WORKERS
def test_a_never_imported_source_file_that_does_not_parse_counts_as_uncovered(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int,
) -> None:
    pytest.importorskip("pytest_cov")
    from tests.integration.run.test_lifecycle_and_provenance import COV_PROJECT

    legacy = "".join(f"print 'line {n}'\n" for n in range(40))  # Python 2: no parse
    make_project('source = ["mypkg"]\n[tool.pyramid.coverage]\ntotal = 90\n',
                 **COV_PROJECT, **{"mypkg/legacy.py": legacy})
    pytester.runpytest_subprocess("--cov=mypkg", "--cov-report=",
                                  *(("-n", str(workers)) if workers else ()))
    data = read_verdict()
    gate = next(g for g in data["gates"] if g["id"] == "coverage.total")
    assert gate["status"] == "fail", gate
    assert data["decision"] != "ready"


# -- two tests with one node id: the run says so ---------------------------------------------

DUPLICATING_CONFTEST = """
import pytest

class Case(pytest.Item):
    def runtest(self):
        pass

class Cases(pytest.File):
    def collect(self):
        for line in self.path.read_text().split():
            yield Case.from_parent(self, name=line)

def pytest_collect_file(parent, file_path):
    if file_path.name.startswith("test_") and file_path.suffix == ".cases":
        return Cases.from_parent(parent, path=file_path)
"""


@SERIAL
def test_two_tests_with_one_node_id_make_the_run_incomplete_naming_it(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int,
) -> None:
    make_project(**FILES, **DUPLICATES)
    run(pytester, workers)
    assert_duplicates_named(read_verdict())


#: in the integration tier, so the hidden file's count of the unit tier's files stays its own
DUPLICATES = {"tests/integration/conftest.py": DUPLICATING_CONFTEST,
              "tests/integration/test_s.cases": "same\nsame\nother\n"}


def assert_duplicates_named(data: dict[str, Any]) -> None:
    assert data["decision"] == "incomplete"
    assert "share a node id" in reasons(data)
    assert "tests/integration/test_s.cases::same" in reasons(data)
    assert "tests/integration/test_s.cases::other" not in reasons(data)


def test_embedded_changes_a_hidden_test_file_and_one_node_id_folded_xdist(
    pytester: pytest.Pytester, committed: Path, read_verdict: ReadVerdict,
) -> None:
    """The -n 2 twins of the three rows above in one run (CI time): each is found by its own
    look (the gitlinks' state, the tier folders' files on disk, the collected node ids) and
    gives its own reason, which no other of them could give."""
    embed_a_changed_repository(committed)
    hide_a_test_file(committed)
    for name, body in DUPLICATES.items():
        (committed / name).write_text(body)
    run(pytester, 2)
    data = read_verdict()
    assert_embedded_named(data)
    assert_hidden_counted(data)
    assert_duplicates_named(data)


# -- a plugin's verdict sections add, never replace ------------------------------------------

ANNOTATING_CONFTEST = """
def pytest_pyramid_verdict_sections(config, run):
    return {"coverage": {"report_url": "https://example.invalid"},
            "tiers": {"unit": {"coverage": {"report": "x"}}}}
"""


@WORKERS
def test_a_plugin_section_never_replaces_the_measured_coverage(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int,
) -> None:
    pytest.importorskip("pytest_cov")
    from tests.integration.run.test_lifecycle_and_provenance import COV_PROJECT

    make_project('source = ["mypkg"]\n[tool.pyramid.coverage]\ntotal = 10\n'
                 "[tool.pyramid.tiers.unit]\ncoverage = 10\n",
                 **COV_PROJECT, **{"conftest.py": ANNOTATING_CONFTEST})
    pytester.runpytest_subprocess("--cov=mypkg", "--cov-report=",
                                  *(("-n", str(workers)) if workers else ()))
    data = read_verdict()
    assert "percent" in data["coverage"], data["coverage"]
    assert "percent" in data["tiers"]["unit"]["coverage"], data["tiers"]["unit"]
    assert data["decision"] == "incomplete"
    assert "coverage is already in the verdict" in reasons(data)


# -- a test's own timeout mark: the tier's recorded limit says what it allowed ------------------


#: tier -> (its test's own timeout mark, the limit the verdict records for the tier): one
#: case per tier, each tier's limit 30 s, so one run holds the three and none stands in for
#: another (a limit is the tier's own: a mark in one tier never moves another's)
OWN_MARKS = {"unit": ("0", None), "integration": ("600", 600.0), "e2e": ("5", 30.0)}


@WORKERS
def test_the_recorded_tier_limit_covers_a_tests_own_timeout_mark(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int,
) -> None:
    """Lifted (mark 0: no limit), raised (600 s) and narrowed (5 s: the tier's 30 s stays)."""
    pytest.importorskip("pytest_timeout")
    make_project("".join(f'[tool.pyramid.tiers.{tier}]\ntest_timeout = "30s"\n'
                         for tier in OWN_MARKS),
                 **FILES, **{f"tests/{tier}/test_own_{tier}.py": "import pytest\n"
                             f"@pytest.mark.timeout({mark})\ndef test_own(): pass\n"
                             for tier, (mark, _) in OWN_MARKS.items()})
    run(pytester, workers)
    data = read_verdict()
    assert {tier: data["tiers"][tier]["test_timeout_s"] for tier in OWN_MARKS} == {
        tier: recorded for tier, (_, recorded) in OWN_MARKS.items()}


# hostile round 2 (tools/hostile 86, 89): a run whose tree git cannot name is never `ready`


@WORKERS
def test_a_repository_git_cannot_read_names_no_code(
    pytester: pytest.Pytester, committed: Path, read_verdict: ReadVerdict, workers: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A ``.git`` git refuses (here a link to a gone repository; in CI containers "dubious
    ownership") was an unbound `ready`: the run is in a repository it cannot name."""
    import shutil

    shutil.rmtree(committed / ".git")
    (committed / ".git").write_text(f"gitdir: {tmp_path_factory.mktemp('gone')}/none\n")
    run(pytester, workers)
    data = read_verdict()
    assert (data["decision"], data["commit"]) == ("incomplete", None)
    assert "is a git repository that git could not read" in reasons(data)


@WORKERS
def test_a_work_tree_elsewhere_does_not_name_the_runs_files(
    pytester: pytest.Pytester, committed: Path, read_verdict: ReadVerdict, workers: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """``core.worktree`` pointing at another folder: git would hash that folder, not the
    files the run read (a `ready` with no digest before)."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    git(committed, "config", "core.worktree", str(elsewhere))
    run(pytester, workers)
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert "the tree digest cannot name what ran" in reasons(data)


@pytest.mark.parametrize("in_git", [True, False], ids=["in-the-repository", "elsewhere"])
def test_a_verdict_with_a_commit_and_no_digest_is_refused_wherever_it_is_checked(
    in_git: bool,
) -> None:
    from pytest_pyramid.verdict.trust import Target, TrustPolicy, trust_problems

    verdict = {"commit": "a" * 40, "tree": {"digest": None, "head": None, "excluded": []},
               "created_at": "2026-01-01T00:00:00Z", "decision": "ready", "gates": [],
               "tiers": {}, "completeness": [], "reasons": []}
    target = Target(commit="a" * 40 if in_git else None, in_git=in_git)
    problems = trust_problems(verdict, target=target, policy=TrustPolicy())
    assert "the verdict records no tree digest, so the code it tested is unknown" in problems
