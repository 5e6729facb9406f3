"""A variable the project's tests and conftests read is an input (issue 19 §1, hostile case
265): set by the job and not the project's own (the table, the platform, the tracked
``allow_options``), it makes the run incomplete, naming it; one set but never read does not.
Serial and under ``-n 2`` (the test's read happens in a worker, the conftest's in every
process)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.git_repo import git

if TYPE_CHECKING:
    from tests.conftest import MakeProject, ReadVerdict

FILES = {
    # read at import, before any test: the run notes it from the first conftest on
    "conftest.py": 'import os\nMODE = os.environ.get("APP_MODE", "default")\n',
    "tests/unit/test_u.py": "def test_u(): pass\n",
    "tests/integration/test_i.py": "def test_i(): pass\n",
    "tests/integration/test_broken.py": """
        import os
        import pytest

        @pytest.mark.skipif(bool(os.environ.get("SKIP_BROKEN")), reason="known broken on CI")
        def test_broken():
            assert False, "a real bug"
    """,
}


def _reasons_naming(data: dict[str, object], name: str) -> list[str]:
    reasons = data["reasons"]
    assert isinstance(reasons, list)
    return [r for r in reasons if f"environment variable {name} " in r]


@pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])
def test_variables_the_tests_read_are_inputs(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, workers: int,
) -> None:
    root = make_project(**FILES)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "project")
    for name in ("SKIP_BROKEN", "APP_MODE", "NEVER_READ"):
        monkeypatch.setenv(name, "1")
    args = ["-n", str(workers)] if workers else []

    pytester.runpytest(*args)
    data = read_verdict()
    assert data["decision"] == "incomplete", data["reasons"]
    assert data["tiers"]["integration"]["skipped"] == 1
    for name in ("SKIP_BROKEN", "APP_MODE"):
        [reason] = _reasons_naming(data, name)
        assert "was read by the tests and is not the project's own" in reason
        assert f'allow_options = ["{name}"]' in reason
    assert _reasons_naming(data, "NEVER_READ") == []  # set, never read: free
    # names only: the verdict carries no value of them
    assert data["run"]["invocation"]["environment_read"] == ["APP_MODE", "SKIP_BROKEN"]

    if workers:
        return  # the same judging function whatever the route (the declared run: serial)
    # the project declares them in its tracked configuration: its own inputs; NEVER_READ,
    # set and not declared, stays free
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\nallow_options = ["SKIP_BROKEN", "APP_MODE"]\n')
    git(root, "commit", "-qam", "declare the inputs")
    pytester.runpytest(*args)
    data = read_verdict()
    assert data["decision"] == "ready", data["reasons"]


#: a failing test per route, each skipping itself on its own variable read that way
#: (``run/env_reads.py``: a copy's names are the environment's; a lookup in it is a read)
THROUGH_A_COPY = {
    "copy": 'os.environ.copy().get("SKIP_COPY")',
    "dict": 'dict(os.environ).get("SKIP_DICT")',
    "star": '{**os.environ}.get("SKIP_STAR")',
    "items": 'any(k == "SKIP_ITEMS" for k, _ in os.environ.items())',
    "keys": '"SKIP_KEYS" in list(os.environ.keys())',
    "iter": '"SKIP_ITER" in set(iter(os.environ))',
    "prefix": 'any(k.startswith("SKIP_PREF") for k in os.environ)',
    "bytes": 'dict(os.environb).get(b"SKIP_BYTES")',
}
#: routes the recorder cannot follow: every name present counts as read
THROUGH_THE_RAW_TABLE = {
    "data": 'os.environ._data.get(b"SKIP_DATA")',
    "vars": 'vars(os.environ)["_data"].get(b"SKIP_VARS")',
    "posix": '__import__(os.name).environ.get(b"SKIP_POSIX")',
    "values": '"1" in os.environ.values()',
}


def _route_files(routes: dict[str, str]) -> dict[str, str]:
    return {f"tests/integration/test_{label}.py": (
        f"import os\nimport pytest\n\n\n@pytest.mark.skipif(bool({read}), reason='CI')\n"
        f"def test_broken_{label}():\n    assert False, 'a real bug'\n")
        for label, read in routes.items()}


# a tracked test that hands a copy of the whole environment to a child, as thousands of
# suites do: the job's own variables stay free
HANDS_ON = """
    import os
    import subprocess
    import sys

    def test_child():
        env = os.environ.copy()
        env["X"] = "1"
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        subprocess.run([sys.executable, "-c", "pass"], env={**os.environ, "Y": "2"},
                       check=True)
"""


@pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])
def test_variables_read_through_a_copy_are_inputs(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, workers: int,
) -> None:
    root = make_project(**_route_files(THROUGH_A_COPY), **{
        "tests/unit/test_u.py": "def test_u(): pass\n",
        "tests/integration/test_child.py": HANDS_ON})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "project")
    read = ["SKIP_COPY", "SKIP_DICT", "SKIP_STAR", "SKIP_ITEMS", "SKIP_KEYS", "SKIP_ITER",
            "SKIP_PREFIX", "SKIP_BYTES"]
    for name in [*read, "JOB_OWN_VARIABLE"]:
        monkeypatch.setenv(name, "1")

    pytester.runpytest(*(["-n", str(workers)] if workers else []))
    data = read_verdict()
    assert data["decision"] == "incomplete", data["reasons"]
    assert data["tiers"]["integration"]["skipped"] == len(THROUGH_A_COPY)
    assert data["run"]["invocation"]["environment_read"] == sorted(read)
    for name in read:
        [reason] = _reasons_naming(data, name)
        assert "was read by the tests and is not the project's own" in reason
    assert _reasons_naming(data, "JOB_OWN_VARIABLE") == []  # handed to a child, unread


@pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])
def test_a_read_of_the_raw_table_reads_every_variable(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, workers: int,
) -> None:
    root = make_project(**_route_files(THROUGH_THE_RAW_TABLE),
                        **{"tests/unit/test_u.py": "def test_u(): pass\n"})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "project")
    for name in ("SKIP_DATA", "SKIP_VARS", "SKIP_POSIX", "JOB_OWN_VARIABLE"):
        monkeypatch.setenv(name, "1")

    pytester.runpytest(*(["-n", str(workers)] if workers else []))
    data = read_verdict()
    assert data["decision"] == "incomplete", data["reasons"]
    assert data["tiers"]["integration"]["skipped"] == len(THROUGH_THE_RAW_TABLE)
    read = data["run"]["invocation"]["environment_read"]
    # the raw table, the values: every variable the job set was read (any may decide)
    assert {"SKIP_DATA", "SKIP_VARS", "SKIP_POSIX", "JOB_OWN_VARIABLE"} <= set(read)
    assert len(_reasons_naming(data, "JOB_OWN_VARIABLE")) == 1


#: a failing test per helper, each skipping itself on its own variable, which the standard
#: library reads for it by the name the test chose (hostile cases 311, 340)
THROUGH_A_LIBRARY = {
    "expandvars": 'os.path.expandvars("${SKIP_EXPAND}") == "1"',
    "template": 'string.Template("$SKIP_TEMPLATE").safe_substitute(os.environ) == "1"',
    "chainmap": 'collections.ChainMap(os.environ, {"SKIP_CHAIN": ""})["SKIP_CHAIN"]',
}
#: the project's click CLI skips its check on ``--fast``, which click reads from ACME_FAST
CLICK_ROW = """
    import click
    from click.testing import CliRunner

    @click.command()
    @click.option("--fast", is_flag=True, envvar="ACME_FAST")
    def main(fast):
        if not fast:
            raise click.ClickException("inconsistent ledger")  # the real bug

    def test_click_cli_reads():
        result = CliRunner().invoke(main, [])
        assert result.exit_code == 0, result.output
"""
#: the harness's reads for a test (monkeypatch keeps the value it restores): not the test's
ISOLATED = """
    def test_isolated(monkeypatch):
        monkeypatch.setenv("JOB_SETTING", "test")
        monkeypatch.delenv("JOB_OTHER", raising=False)
"""


def _helper_files(routes: dict[str, str]) -> dict[str, str]:
    return {f"tests/integration/test_{label}.py": (
        "import collections\nimport fnmatch\nimport os\nimport string\n\nimport pytest\n\n\n"
        f"@pytest.mark.skipif(bool({read}), reason='CI')\n"
        f"def test_broken_{label}():\n    assert False, 'a real bug'\n")
        for label, read in routes.items()}


def _committed(make_project: MakeProject, files: dict[str, str]) -> None:
    root = make_project(**files, **{"tests/unit/test_u.py": "def test_u(): pass\n"})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "project")


@pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])
def test_variables_a_library_reads_for_the_tests_are_inputs(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, workers: int,
) -> None:
    _committed(make_project, {**_helper_files(THROUGH_A_LIBRARY),
                              "tests/integration/test_click_cli_reads.py": CLICK_ROW,
                              "tests/integration/test_isolated.py": ISOLATED})
    read = ["ACME_FAST", "SKIP_CHAIN", "SKIP_EXPAND", "SKIP_TEMPLATE"]
    for name in [*read, "JOB_SETTING", "JOB_OTHER"]:
        monkeypatch.setenv(name, "1")

    pytester.runpytest(*(["-n", str(workers)] if workers else []))
    data = read_verdict()
    assert data["decision"] == "incomplete", data["reasons"]
    assert data["tiers"]["integration"]["skipped"] == len(THROUGH_A_LIBRARY)
    noted = data["run"]["invocation"]["environment_read"]
    assert set(read) <= set(noted)  # and the platform's (click reads LANG: harmless)
    assert {"JOB_SETTING", "JOB_OTHER"}.isdisjoint(noted)  # the harness's reads
    for name in read:
        [reason] = _reasons_naming(data, name)
        assert "was read by the tests and is not the project's own" in reason


@pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])
def test_a_library_iterating_for_the_tests_reads_every_variable(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, workers: int,
) -> None:
    """``fnmatch.filter(os.environ, ...)``: the names go through a regular expression the
    recorder cannot follow, so every variable present was read (case 340 e)."""
    _committed(make_project, _helper_files(
        {"fnmatch": 'fnmatch.filter(os.environ, "SKIP_FNMATCH")'}))
    for name in ("SKIP_FNMATCH", "JOB_OWN_VARIABLE"):
        monkeypatch.setenv(name, "1")

    pytester.runpytest(*(["-n", str(workers)] if workers else []))
    data = read_verdict()
    assert data["decision"] == "incomplete", data["reasons"]
    assert data["tiers"]["integration"]["skipped"] == 1
    assert {"SKIP_FNMATCH", "JOB_OWN_VARIABLE"} <= set(
        data["run"]["invocation"]["environment_read"])
    assert len(_reasons_naming(data, "SKIP_FNMATCH")) == 1


#: a settings loader that reads its names in worker threads, handing ``os.getenv`` itself to
#: the pool (hostile case 390: the worker's stack holds no frame of the project)
THREADED = {
    "tests/integration/settings_loader.py": """
        import asyncio
        import os
        from concurrent.futures import ThreadPoolExecutor


        def pooled(name):
            with ThreadPoolExecutor(max_workers=2) as pool:
                return pool.submit(os.getenv, name).result()


        def mapped(name):
            with ThreadPoolExecutor(max_workers=2) as pool:
                return list(pool.map(os.getenv, [name]))[0]


        def in_loop(name):
            async def load():
                return await asyncio.get_running_loop().run_in_executor(None, os.getenv, name)
            return asyncio.run(load())
    """,
    "tests/integration/test_threaded.py": """
        import pytest

        import settings_loader as settings


        @pytest.mark.parametrize(("load", "name"), [
            (settings.pooled, "SKIP_POOLED"), (settings.mapped, "SKIP_MAPPED"),
            (settings.in_loop, "SKIP_IN_LOOP")])
        def test_broken(load, name):
            if load(name):
                pytest.skip("lenient on CI")
            assert False, "a real bug"
    """,
}


@pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])
def test_a_read_in_a_worker_thread_is_whoever_asked_for_the_work(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, workers: int,
) -> None:
    """``pool.submit(os.getenv, name)``, ``pool.map``, ``loop.run_in_executor``: the read is
    the project's, which asked for the work (case 390); the harness's own threads (xdist's,
    the plugin's) read nothing of the job's."""
    _committed(make_project, THREADED)
    names = ["SKIP_POOLED", "SKIP_MAPPED", "SKIP_IN_LOOP"]
    for name in [*names, "JOB_SETTING"]:
        monkeypatch.setenv(name, "1")

    pytester.runpytest(*(["-n", str(workers)] if workers else []))
    data = read_verdict()
    assert data["decision"] == "incomplete", data["reasons"]
    assert data["tiers"]["integration"]["skipped"] == len(names)
    noted = data["run"]["invocation"]["environment_read"]
    assert set(names) <= set(noted)
    assert "JOB_SETTING" not in noted
    for name in names:
        [reason] = _reasons_naming(data, name)
        assert "was read by the tests and is not the project's own" in reason


COPIES = {"tests/unit/test_copies.py": """
    import copy
    import json
    import os
    import pickle
    import subprocess
    import sys

    import yaml


    def test_a_copy_of_the_environment_leaves_as_plain_text():
        env = dict(os.environ)
        assert yaml.safe_load(yaml.safe_dump(env))
        assert "python/object" not in yaml.dump(env)
        assert "python/object" not in yaml.dump(env, Dumper=yaml.SafeDumper)
        assert json.loads(json.dumps(env))
        assert pickle.loads(pickle.dumps(env))
        assert copy.deepcopy(env) and copy.copy(env)
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
"""}


@pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])
def test_a_copy_of_the_environment_serialises_as_without_the_plugin(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, workers: int,
) -> None:
    """The plugin must not change what a test sees beyond what it records: a copy's keys are
    a ``str`` subclass, which PyYAML's representers (exact types) refused; handed on to a
    serialiser, a copy reads nothing (json, pickle, copy, a child's environment, yaml)."""
    _committed(make_project, COPIES)
    monkeypatch.setenv("JOB_SETTING", "1")

    result = pytester.runpytest(*(["-n", str(workers)] if workers else []))
    result.assert_outcomes(passed=2)
    data = read_verdict()
    assert data["decision"] == "ready", data["reasons"]
    assert "JOB_SETTING" not in data["run"]["invocation"]["environment_read"]
