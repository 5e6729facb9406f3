"""Issue 19's performance goal: "hashing imported files must not read a file twice". The
closed world hashes a module with the read that imports it: a plain module's by its loader,
a test module's and a conftest's by pytest's rewriter, whose cache check and rewrite read
the source once through the guard (``run/rewrite_cache.py``) and use those bytes; the tree
digests (start and end of the run) are reads of their own."""

from __future__ import annotations

import json
import sys
import textwrap
from typing import TYPE_CHECKING

import pytest

from tests.integration.run.test_closed_world import MODES, closed_world, run

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import ReadVerdict

#: a pytest run with an audit hook counting the opens of the project's files for reading,
#: except the tree digests' (``verdict/provenance.py``); the counts go to argv[1]
COUNTING = textwrap.dedent("""
    import collections, json, os, sys
    root, out = os.getcwd() + os.sep, sys.argv.pop(1)
    counts = collections.Counter()

    def digest(frame):
        while frame is not None:
            if frame.f_code.co_filename.endswith(("provenance.py", "git_objects.py")):
                return True
            frame = frame.f_back
        return False

    def hook(event, args):
        if event == "open" and isinstance(args[0], str) and args[0].startswith(root) \\
                and args[0].endswith(".py") and args[1] in ("r", "rb", None) \\
                and not digest(sys._getframe(1)):
            counts[args[0][len(root):]] += 1

    sys.addaudithook(hook)
    import pytest
    code = pytest.main(["-p", "no:randomly", "-q"])
    with open(out, "w") as handle:
        json.dump(counts, handle)
    sys.exit(code)
""")

FILES = {
    "tests/unit/conftest.py": "import helper\n",
    "tests/unit/helper.py": "VALUE = 1\n",
    "tests/unit/test_one.py": "import helper\ndef test_one(): assert helper.VALUE == 1\n",
}


def test_an_imported_file_is_read_once_first_run_and_cached(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A plain module, a conftest and a test module (the last two rewritten by pytest): one
    read each besides the digests', on a cold cache (compiled) and a warm one (the cached
    bytecode checked against the bytes read), and the run is ready."""
    for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX"):  # the warm run's cache
        monkeypatch.delenv(name, raising=False)
    root = project(FILES)
    out = tmp_path_factory.mktemp("reads") / "counts.json"
    for run_kind in ("cold cache", "warm cache"):
        result = pytester.run(sys.executable, "-c", COUNTING, str(out))
        assert result.ret == 0, (run_kind, result.outlines[-20:])
        counts = json.loads(out.read_text())
        assert {name: counts.get(name) for name in FILES} == dict.fromkeys(FILES, 1), (
            run_kind, counts)
        assert read_verdict()["decision"] == "ready", run_kind
        # the warm run checks the rewritten test module's cached bytecode
        assert any(root.rglob("test_one.*pytest*.pyc")), run_kind


@pytest.mark.parametrize("mode", MODES)
def test_a_test_module_changed_before_its_import_and_restored_is_incomplete(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    """Both digests and the collector's hash see the committed test module (it puts itself
    back as it is imported); the bytes pytest's rewriter compiled are another's: only the
    guard's single read, recorded, tells."""
    project({
        "tests/unit/conftest.py": """
            from pathlib import Path
            SWAPPED = Path(__file__).with_name("test_swap.py")
            COMMITTED = SWAPPED.read_text()

            def pytest_collect_file(file_path, parent):
                if file_path == SWAPPED:
                    file_path.write_text(
                        "from pathlib import Path\\n"
                        f"Path(__file__).write_text({COMMITTED!r})\\n"
                        "def test_swap(): assert 2 == 2\\n")
        """,
        "tests/unit/test_swap.py": "def test_swap(): assert 1 == 1\n",
    })
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["decision"] == "incomplete"
    assert any("tests/unit/test_swap.py" in m for m in closed_world(verdict)), (
        verdict["completeness"])
    assert not any(p["kind"] == "tree_changed" for p in verdict["completeness"])
