"""tools/layout_tests.py on a small project in git: each test file moves to the folder of the
tier the plugin gives it by path, helpers and an old folder's fixtures move to tests/support/
where every tier still finds them, imports, paths and ``Path(__file__).parents[N]`` follow, the
tier lists disappear; a second run changes nothing, and a test added later in the old layout
is moved alone. The laid-out project's own tests then pass."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import LEAN_ADDOPTS
from tests.git_repo import git, init_repo

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "layout_tests.py"
COMMIT_MESSAGE = "layout: tests/ by tier, by tools/layout_tests.py"

PYPROJECT = f"""
    [tool.pytest.ini_options]
    addopts = "{LEAN_ADDOPTS}"

    [tool.pyramid]
    default_tier = "integration"

    [tool.pyramid.tiers.unit]
    paths = ["tests/test_pure.py", "tests/truth/test_logic.py"]
    budget = "60s"

    [tool.pyramid.tiers.integration]
    paths = ["tests"]

    [tool.pyramid.tiers.e2e]
    paths = ["tests/deploy/test_nginx.py"]
"""
FILES = {
    "conftest.py": "",
    "pyproject.toml": PYPROJECT,
    "docs/testing.md": "Rules: tests/test_pure.py; helpers: tests/deploy/helpers.py.\n",
    "tests/conftest.py": "",
    "tests/test_pure.py": "def test_pure() -> None:\n    pass\n",
    "tests/truth/__init__.py": "",
    "tests/truth/conftest.py": """
        import pytest

        @pytest.fixture
        def answer() -> int:
            return 42
    """,
    "tests/truth/test_logic.py": """
        VALUE = 1

        def test_logic(answer: int) -> None:
            assert answer == 42
    """,
    "tests/truth/test_run.py": """
        from tests.truth.test_logic import VALUE

        def test_run(answer: int) -> None:
            assert (VALUE, answer) == (1, 42)
    """,
    "tests/deploy/helpers.py": "def ok() -> bool:\n    return True\n",
    # a fixtures module of layout_tests.PLUGINS: registered once in tests/conftest.py
    "tests/deploy/conftest.py": """
        import pytest

        @pytest.fixture
        def port() -> int:
            return 8080
    """,
    "tests/deploy/test_nginx.py": """
        from pathlib import Path

        from tests.deploy.helpers import ok

        ROOT = Path(__file__).resolve().parents[2]

        def test_nginx(port: int) -> None:
            assert ok() and (ROOT / "pyproject.toml").is_file() and port == 8080
    """,
}


def layout(root: Path) -> str:
    result = subprocess.run([sys.executable, str(SCRIPT), "--commit"], cwd=root,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def write(root: Path, files: dict[str, str]) -> None:
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body))


def test_the_layout_moves_by_tier_rewrites_references_and_is_repeatable(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(root, FILES)
    init_repo(root)
    out = layout(root)
    tracked = set(git(root, "ls-files").splitlines())
    assert {"tests/unit/test_pure.py", "tests/unit/run/test_logic.py",
            "tests/integration/run/test_run.py", "tests/e2e/deploy/test_nginx.py",
            "tests/support/deploy/helpers.py", "tests/support/truth/fixtures.py",
            "tests/unit/run/conftest.py", "tests/integration/run/conftest.py"} <= tracked, out
    assert not any(name.startswith(("tests/truth/", "tests/deploy/")) for name in tracked)
    assert git(root, "log", "-1", "--format=%s") == COMMIT_MESSAGE
    # every tier's tests find the old folder's fixture; imports and paths follow the moves
    assert "from tests.support.truth.fixtures import answer" in (
        root / "tests/unit/run/conftest.py").read_text()
    # the deploy fixtures: one pytest_plugins line, no conftest per tier
    assert "tests/support/deploy/fixtures.py" in tracked
    assert not any(name.endswith("deploy/conftest.py") for name in tracked), out
    assert 'pytest_plugins = ["tests.support.deploy.fixtures"]\n' in (
        root / "tests/conftest.py").read_text()
    nginx = (root / "tests/e2e/deploy/test_nginx.py").read_text()
    assert "from tests.support.deploy.helpers import ok" in nginx
    assert "parents[3]" in nginx
    assert "from tests.unit.run.test_logic import VALUE" in (
        root / "tests/integration/run/test_run.py").read_text()
    assert (root / "docs/testing.md").read_text() == (
        "Rules: tests/unit/test_pure.py; helpers: tests/support/deploy/helpers.py.\n")
    config = (root / "pyproject.toml").read_text()  # each tier's default path, tests/<tier>
    assert "paths" not in config
    assert "[tool.pyramid.tiers.unit]\nbudget" in config
    assert "tiers.integration" not in config
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q",
                            "--pyramid-verdict", str(tmp_path / "verdict.json")],
                           cwd=root, capture_output=True, text=True, check=False)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    tiers = json.loads((tmp_path / "verdict.json").read_text())["tiers"]
    assert {name: tier["passed"] for name, tier in tiers.items() if tier["collected"]} == {
        "unit": 2, "integration": 1, "e2e": 1}

    head = git(root, "rev-parse", "HEAD")
    assert "0 test file(s) moved" in layout(root)
    assert (git(root, "rev-parse", "HEAD"), git(root, "status", "--porcelain")) == (head, "")

    # tests added in the old layout later (another branch): moved alone, their fixtures kept
    # (the deploy one through pytest_plugins: no conftest is written for its new folder)
    write(root, {"tests/truth/test_new.py": "def test_new(answer: int) -> None:\n    pass\n",
                 "tests/deploy/test_later.py": "def test_later(port: int) -> None:\n    pass\n"})
    git(root, "add", "-A")
    git(root, "commit", "-qm", "new tests")
    out = layout(root)
    assert "git mv tests/truth/test_new.py tests/integration/run/test_new.py" in out
    assert "2 test file(s) moved" in out
    changed = git(root, "show", "--name-status", "--format=", "HEAD").splitlines()
    assert sorted(changed) == [
        "R100\ttests/deploy/test_later.py\ttests/integration/deploy/test_later.py",
        "R100\ttests/truth/test_new.py\ttests/integration/run/test_new.py"]
