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
