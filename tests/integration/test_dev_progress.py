"""``./dev test`` shows which tier it is in: the root conftest's TierProgress prints a line
as each tier's first result arrives (PYRAMID_DEV_PROGRESS=1), serially and under xdist."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import MakeProject

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]])
@pytest.mark.parametrize("progress", ["1", ""])
def test_each_tier_says_when_it_starts(
    pytester: pytest.Pytester, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch,
    workers: list[str], progress: str,
) -> None:
    make_project(
        """
        [tool.pyramid.tiers.unit]
        paths = ["tests/unit"]
        [tool.pyramid.tiers.e2e]
        paths = ["tests/e2e"]
        """,
        **{
            "tests/unit/test_u.py": "def test_a(): pass\ndef test_b(): pass\n",
            "tests/e2e/test_e.py": "def test_c(): pass\n",
        },
    )
    # the repository's own root conftest, as `./dev test` loads it
    (pytester.path / "conftest.py").write_text((ROOT / "conftest.py").read_text())
    monkeypatch.setenv("PYRAMID_DEV_PROGRESS", progress)
    result = pytester.runpytest_subprocess(*workers, "-p", "no:randomly")
    assert result.ret == 0, result.stdout.str()
    lines = [line for line in result.stdout.lines if line.startswith("dev: tier ")]
    if not progress:
        assert lines == []
        return
    assert sorted(line.split()[2] for line in lines) == ["e2e", "unit"]  # each once
    for line in lines:
        assert line.endswith("s in)")


def test_an_unknown_dev_command_is_named() -> None:
    done = subprocess.run([str(ROOT / "dev"), "frobnicate"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2
    assert "unknown command 'frobnicate'" in done.stderr
    assert "./dev demo" in done.stderr


def _dev_function(name: str) -> str:
    """One shell function's text, as ``./dev`` defines it."""
    text = (ROOT / "dev").read_text(encoding="utf-8")
    start = text.index(f"\n{name}() {{") + 1
    return text[start:text.index("\n}\n", start) + 3]


@pytest.mark.parametrize(
    ("code", "said", "shown"),
    [
        (0, "exit 0, the verdict is ready for this commit", False),
        (1, "exit 1, the verdict is not ready (its decision is above)", False),
        (3, "exit 3", True),  # a usage error: its one line is what the person needs
    ],
)
def test_dev_says_what_pyramid_check_answered(
    tmp_path: Path, code: int, said: str, shown: bool
) -> None:
    # A named fake of `pyramid` (this row is about ./dev's reading of its exit code; the
    # command itself is tested in tests/test_cli*.py): it prints its arguments and exits.
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    fake = bin_dir / "pyramid"
    fake.write_text(f'#!/bin/sh\necho "fake pyramid: $*"\nexit {code}\n')
    fake.chmod(0o755)
    script = "\n".join([
        'say() { echo "dev: $*" >&2; }',
        _dev_function("check_verdict"),
        f"VENV_ABS={tmp_path / 'venv'}",
        "check_verdict --allow-dirty pyramid-verdict.json",
        'echo "returned $?"',
    ])
    # run in tmp_path: the script names pyramid-verdict.json, and in the repository's root
    # that is this very run's own verdict (its start-up placeholder), which the closed world
    # would take for an input the test read
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                          check=False, cwd=tmp_path)
    assert done.stdout == "returned 0\n"  # ./dev's own exit status is the run's, not check's
    assert f"dev: pyramid check --allow-dirty pyramid-verdict.json: {said}\n" in done.stderr
    assert ("fake pyramid: check --allow-dirty pyramid-verdict.json" in done.stderr) is shown
