"""The distribution's ``.pth`` line (``setup.py``, ``run/early.py``): installed with the package,
the line ``setup.py`` ships, and the module imported only where it has work to do."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).parents[3]
#: the probe's command line must not name pytest (the line's first test is a substring)
PROBE = "import sys; print(any(name.endswith('.run.early') for name in sys.modules))"


def shipped_line() -> str:
    """``setup.py``'s ``LINE``, read without running the file (it calls ``setup()``)."""
    for node in ast.parse((ROOT / "setup.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "LINE":
            return str(ast.literal_eval(node.value))
    raise AssertionError("setup.py has no LINE")


def test_the_installed_pth_is_the_shipped_line() -> None:
    """``./dev setup``'s editable install put it beside the package's own ``.pth``."""
    installed = Path(sysconfig.get_paths()["purelib"], "pytest_pyramid_record.pth")
    assert installed.read_text(encoding="utf-8") == shipped_line()


def probe(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "PYRAMID_RECORD_SPOOL"}
    return subprocess.run([sys.executable, "-c", PROBE], env={**clean, **env},
                          capture_output=True, text=True, check=True).stdout.strip()


def test_a_process_no_run_started_does_not_import_the_module() -> None:
    assert probe() == "False"


def test_a_child_of_a_run_imports_it_and_a_bad_value_starts_nothing_else() -> None:
    """A value that is not a running run's: the module is imported, follows nothing, and the
    interpreter starts as usual (no error on stderr, exit 0)."""
    assert probe(PYRAMID_RECORD_SPOOL="not json") == "True"
