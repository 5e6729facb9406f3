"""An allowance says who and what, not where (hostile cases 293 and 297), end to end: a tool's
folder is allowed for what that tool keeps there, not for whatever a test reads from it, and a
loader path list allowed by name is still judged by where its entries point. Each row runs
serial and under ``-n 2``."""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib.metadata import distribution
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.integration.run.test_closed_world import BASE, MODES, closed_world, run

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.conftest import ReadVerdict

#: the tools' folders the rows write into, all git-ignored
IGNORED = BASE[".gitignore"] + "*.egg-info/\n*.dist-info/\n.hypothesis/\n.pyramid/\nfixtures/\n"
METADATA = "Metadata-Version: 2.1\nName: mypkg\nVersion: 2.0\n"
#: a test taking its answer from a file of the repository's top, by its path there
READS = """
    from pathlib import Path
    def test_answer():
        top = Path(__file__).resolve().parents[2]
        assert int((top / "{path}").read_text()) == 4
"""
#: an example as Hypothesis's database keeps it: examples/<key hash>/<value hash>
EXAMPLE = ".hypothesis/examples/0123456789abcdef/fedcba9876543210"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("answer", "named"), [
    # a stale `pip install -e .` left metadata at the top: a clean clone has none
    ({"mypkg.egg-info/PKG-INFO": METADATA}, "mypkg.egg-info/PKG-INFO"),
    ({"mypkg-2.0.dist-info/METADATA": METADATA}, "mypkg-2.0.dist-info/METADATA"),
], ids=["egg-info", "dist-info"])
def test_package_metadata_in_the_repository_is_an_input(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...], answer: dict[str, str], named: str,
) -> None:
    project({".gitignore": IGNORED, "mypkg/__init__.py": "",
             "tests/unit/test_version.py": """
                 from importlib.metadata import version
                 def test_version(): assert version("mypkg") == "2.0"
             """}, later=answer, ini='pythonpath = ["."]')
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["decision"] == "incomplete"
    assert any(named in message for message in closed_world(verdict)), verdict["completeness"]


#: a distribution installed in this environment, and its metadata as setuptools would copy
#: it into the project at an editable install (PKG-INFO is the installed METADATA)
INSTALLED = distribution("pytest")
#: its folder in site-packages (RECORD names METADATA's place)
TWIN = Path(os.path.realpath(str(INSTALLED.locate_file(next(
    file for file in INSTALLED.files or () if file.name == "METADATA"))))).parent


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("pkg_info", "extra", "ready"), [
    ("METADATA", {}, True),  # the installed bytes: a clean clone answers alike
    ("stale", {}, False),  # another version than the installed one
    ("METADATA", {"expected.txt": "4\n"}, False),  # a file no installed twin holds, read
], ids=["installed-copy", "stale-version", "extra-file"])
def test_an_egg_info_is_the_environments_only_as_the_installed_bytes(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...], pkg_info: str, extra: dict[str, str], ready: bool,
) -> None:
    # setuptools writes <name>.egg-info into the project at every editable install; found
    # through `pythonpath = ["."]`, importlib.metadata answers from it
    metadata = (TWIN / "METADATA").read_text("utf-8")
    if pkg_info == "stale":
        metadata = metadata.replace(f"Version: {INSTALLED.version}", "Version: 0.0.1", 1)
    folder = "pytest.egg-info"
    later = {f"{folder}/PKG-INFO": metadata,
             f"{folder}/entry_points.txt": (TWIN / "entry_points.txt").read_text("utf-8"),
             **{f"{folder}/{name}": body for name, body in extra.items()}}
    reads = "".join(f"\n    assert (top / {f'{folder}/{name}'!r}).read_text()"
                    for name in extra)
    project({".gitignore": IGNORED, "tests/unit/test_version.py": f"""
from importlib.metadata import entry_points, version
from pathlib import Path
def test_version():
    top = Path(__file__).resolve().parents[2]
    assert version("pytest") and entry_points(group="console_scripts"){reads}
"""}, later=later, ini='pythonpath = ["."]')
    run(pytester, mode)
    _judged(read_verdict(), ready, f"{folder}/{next(iter(extra), 'PKG-INFO')}")


#: the rows of a tool's folder read from: the incomplete ones' -n 2 proof is one run reading
#: all three (test_tools_folders_hold_no_answers_folded_xdist), each file named
TOOLS_FOLDERS = [
    (".hypothesis/expected.txt", False),
    (".pyramid/expected.txt", False),  # the plugin reads its own files unrecorded
    ("fixtures/.git/expected.txt", False),  # a folder named .git that is no repository
    (EXAMPLE, True),  # what Hypothesis keeps there: replaying it can only find a failure
]


@pytest.mark.parametrize(("path", "ready", "mode"), [
    pytest.param(path, ready, mode.values[0], id=f"{mode.id}-{path}")
    for mode in MODES for path, ready in TOOLS_FOLDERS if ready or not mode.values[0]
])
def test_a_tools_folder_allows_what_the_tool_keeps_there(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...], path: str, ready: bool,
) -> None:
    project({".gitignore": IGNORED, "tests/unit/test_answer.py": READS.format(path=path)},
            later={path: "4\n", "fixtures/.git/HEAD": "ref: refs/heads/main\n"})
    run(pytester, mode)
    _judged(read_verdict(), ready, path)


def test_tools_folders_hold_no_answers_folded_xdist(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
) -> None:
    """The incomplete rows above at once under -n 2, a test file each: every file named."""
    paths = [path for path, ready in TOOLS_FOLDERS if not ready]
    project({".gitignore": IGNORED, **{f"tests/unit/test_answer_{index}.py": READS.format(
        path=path) for index, path in enumerate(paths)}},
        later={**{path: "4\n" for path in paths}, "fixtures/.git/HEAD": "ref: refs/heads/main\n"})
    run(pytester, ("-n", "2"))
    verdict = read_verdict()
    assert verdict["tiers"]["unit"]["passed"] == 1 + len(paths), verdict["tiers"]["unit"]
    for path in paths:
        _judged(verdict, False, path)


def _judged(verdict: dict[str, Any], ready: bool, named: str) -> None:
    """``ready`` with nothing named, else ``incomplete`` naming ``named``."""
    if ready:
        assert (verdict["decision"], closed_world(verdict)) == ("ready", [])
    else:
        assert verdict["decision"] == "incomplete"
        assert any(named in message for message in closed_world(verdict)), \
            verdict["completeness"]


LOADS = """
    import ctypes
    def test_answer(): assert ctypes.CDLL("libanswer.so").answer() == 42
"""


@pytest.mark.parametrize(("mode", "hidden"), [
    pytest.param((), False, id="serial"),
    pytest.param(("-n", "2"), False, id="xdist"),
    # the tracked conftest drops the variable from os.environ (xdist's workers then start
    # without it: the library is not found there, the test fails)
    pytest.param((), True, id="serial-popped-by-conftest"),
])
def test_an_allowed_library_path_into_ignored_files_is_judged_by_its_entries(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, mode: tuple[str, ...], hidden: bool,
) -> None:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build the stale library with")
    conftest = 'import os\nos.environ.pop("LD_LIBRARY_PATH", None)\n' if hidden else ""
    root = project({".gitignore": IGNORED + "build/\n", "tests/unit/test_load.py": LOADS,
                    "tests/conftest.py": conftest},
                   config='allow_options = ["LD_LIBRARY_PATH"]\n')
    (root / "build/lib").mkdir(parents=True)
    (root / "answer.c").write_text("int answer(void) { return 42; }\n")
    subprocess.run([compiler, "-shared", "-fPIC", "-o", "build/lib/libanswer.so", "answer.c"],
                   cwd=root, check=True)
    (root / "answer.c").unlink()
    monkeypatch.setenv("LD_LIBRARY_PATH", str(root / "build/lib"))
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["decision"] == "incomplete"
    # the library the loader found by its name is judged as a file read, whatever os.environ
    # says by then (the loader read the variable when the process started)
    assert any("build/lib/libanswer.so" in m for m in closed_world(verdict)), \
        verdict["completeness"]
    if not hidden:
        assert any("LD_LIBRARY_PATH is allowed by name" in problem["message"]
                   for problem in verdict["completeness"]), verdict["completeness"]
