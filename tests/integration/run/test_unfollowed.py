"""Principle: what the closed world cannot follow is named, never passed (hostile case 121;
``run/unfollowed.py``). A test runs a tracked shell script, which runs a git-ignored Python
script: the recorder sees the script start, not what the shell starts in turn, so the run is
``incomplete``, naming the script, serially and under ``-n 2``. The project's tracked
``allow_options = ["process scripts/check.sh"]`` vouches for it."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from tests.integration.run.test_closed_world import BASE, MODES, closed_world, run

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import ReadVerdict

SCRIPT_RUNS_IGNORED = {
    "scripts/check.sh": '#!/bin/sh\nexec python3 "$(dirname "$0")/local_check.py"\n',
    "tests/unit/test_cli.py": """
        import subprocess
        from pathlib import Path
        def test_script():
            root = Path(__file__).resolve().parents[2]
            out = subprocess.run([str(root / "scripts" / "check.sh")], capture_output=True,
                                 text=True, check=True)
            assert out.stdout.strip() == "ok"
    """,
    ".gitignore": BASE[".gitignore"] + "scripts/local_*\n",
}


@pytest.mark.parametrize(("mode", "config"), [
    (MODES[0].values[0], ""),
    (MODES[1].values[0], ""),
    (MODES[0].values[0], 'allow_options = ["process scripts/check.sh"]\n'),
], ids=["serial", "xdist", "serial-vouched"])
def test_a_repository_script_whose_children_are_not_followed_is_named(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...], config: str,
) -> None:
    root = project(SCRIPT_RUNS_IGNORED, later={"scripts/local_check.py": "print('ok')\n"},
                   config=config)
    os.chmod(root / "scripts" / "check.sh", 0o755)
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["tiers"]["unit"]["passed"] == 2, verdict["tiers"]["unit"]
    if config:
        assert (verdict["decision"], closed_world(verdict)) == ("ready", [])
        return
    assert verdict["decision"] == "incomplete"
    assert any("scripts/check.sh (run as a program of its own (a sh script)" in m
               for m in closed_world(verdict)), verdict["completeness"]


# hostile cases 154, 155: a script without a `#!` line is a shell's script however the shell
# is started (the audit event's own argument vector: the executable, then argv[1:]); 156: a
# tracked script fed to a shell on its standard input, whose commands no file and no argument
# names (the audit event shows `sh`, not the pipe)
NO_SHEBANG_RUNS_IGNORED = {
    **SCRIPT_RUNS_IGNORED,
    "scripts/check.sh": 'python3 "$(dirname "$0")/local_check.py"\n',
    "scripts/piped.sh": "#!/bin/sh\nexec python3 scripts/local_check.py\n",  # $0: the shell
    "tests/unit/test_cli.py": """
        import os, subprocess
        from pathlib import Path
        def test_through_a_shell_command():
            os.chdir(Path(__file__).resolve().parents[2])
            out = subprocess.run("scripts/check.sh", shell=True, capture_output=True, text=True)
            assert out.stdout.strip() == "ok"
        def test_after_a_shell_option():
            os.chdir(Path(__file__).resolve().parents[2])
            out = subprocess.run(["bash", "-e", "scripts/check.sh"], capture_output=True, text=True)
            assert out.stdout.strip() == "ok"
        def test_piped_from_a_file():
            os.chdir(Path(__file__).resolve().parents[2])
            with open("scripts/piped.sh") as script:
                out = subprocess.run(["sh"], stdin=script, capture_output=True, text=True)
            assert out.stdout.strip() == "ok"
        def test_given_as_input():
            os.chdir(Path(__file__).resolve().parents[2])
            out = subprocess.run(["bash", "-s"], input=Path("scripts/piped.sh").read_text(),
                                 capture_output=True, text=True)
            assert out.stdout.strip() == "ok"
    """,
}


def test_a_shells_script_is_named_however_the_shell_starts_or_reads_it(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
) -> None:
    """A shell reading its standard input is named as the shell that ran (``sh <stdin>``),
    unless the tracked configuration vouches for it (here ``bash``'s only). Serial only (CI
    time): what is new is the recorder's reading of the started command, the same in every
    process; the route from a worker's facts to the verdict is the ``xdist`` row above, and
    a shard's facts travel to the merge as they are (tests/unit/verdict/test_partial.py)."""
    root = project(NO_SHEBANG_RUNS_IGNORED, later={"scripts/local_check.py": "print('ok')\n"},
                   config='allow_options = ["process bash <stdin>"]\n')
    os.chmod(root / "scripts" / "check.sh", 0o755)
    run(pytester, ())  # serial
    verdict = read_verdict()
    assert verdict["tiers"]["unit"]["passed"] == 5, verdict["tiers"]["unit"]
    assert verdict["decision"] == "incomplete"
    said = closed_world(verdict)
    assert any("scripts/check.sh (run as a program of its own (a shell script)" in m
               for m in said), verdict["completeness"]
    assert any("sh <stdin> (run as a program of its own (sh reading its commands from its "
               "standard input)" in m for m in said), verdict["completeness"]
    assert not any("bash <stdin>" in m for m in said), said
