"""Issue 19 section 2: "a module loaded from bytecode is allowed only when that bytecode is
provably from the tracked source". A timestamp ``.pyc`` is matched to its source only by mtime
and size, which other bytes can share (two edits in one second, an mtime put back by a cache
or an archive): such bytecode never runs, and what the run caches instead proves itself.
Each row runs serial and under ``-n 2``."""

from __future__ import annotations

import importlib.util
import marshal
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run import rewrite_cache
from tests.integration.run.test_closed_world import MODES, closed_world, run

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.conftest import ReadVerdict

MTIME = 1_767_225_600  # 2026-01-01, the same for both versions of the file

GOOD = "def add(a, b):\n    return a + b  # ok\n"
BROKEN = "def add(a, b):\n    return a - b  # ok\n"  # the same size as GOOD


def timestamp_header(source: Path) -> bytes:
    """A PEP 552 timestamp header (flags 0, then the source's mtime and size) for ``source``."""
    stat = source.stat()
    mtime = (stat.st_mtime_ns // 10**9) & 0xFFFFFFFF
    size = stat.st_size & 0xFFFFFFFF
    fields = bytes(4) + mtime.to_bytes(4, "little") + size.to_bytes(4, "little")
    return importlib.util.MAGIC_NUMBER + fields


def stale_pyc(source: Path, body: str) -> Path:
    """A timestamp .pyc of ``body`` that Python accepts for ``source`` (same mtime and size)."""
    code = compile(body, str(source), "exec")
    header = timestamp_header(source)
    pyc = Path(importlib.util.cache_from_source(str(source)))
    pyc.parent.mkdir(exist_ok=True)
    pyc.write_bytes(header + marshal.dumps(code))
    return pyc


def flags(pyc: Path) -> bytes:
    return pyc.read_bytes()[4:8]


@pytest.fixture(autouse=True)
def writes_bytecode(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows read the caches a run writes (CI shells may say PYTHONDONTWRITEBYTECODE)."""
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)


@pytest.mark.parametrize("mode", MODES)
def test_a_timestamp_pyc_of_other_bytes_never_runs(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    root = project({
        "mypkg/__init__.py": "",
        "mypkg/core.py": BROKEN,
        "tests/integration/test_int.py": "from mypkg.core import add\n"
                                         "def test_int(): assert add(2, 1) == 3\n",
    })
    source = root / "mypkg/core.py"
    os.utime(source, (MTIME, MTIME))
    pyc = stale_pyc(source, GOOD)
    assert len(GOOD) == len(BROKEN)
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["decision"] != "ready"
    integration = verdict["tiers"]["integration"]
    assert (integration["passed"], integration["failed"]) == (0, 1)  # the committed code ran
    assert flags(pyc) == rewrite_cache.CHECKED_HASH  # the cache now proves its source


@pytest.mark.parametrize("mode", MODES)
def test_the_cached_bytecode_proves_itself_on_the_next_run(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    root = project({
        "mypkg/__init__.py": "",
        "mypkg/core.py": GOOD,
        "tests/integration/test_int.py": "from mypkg.core import add\n"
                                         "def test_int(): assert add(2, 1) == 3\n",
    })
    run(pytester, mode)
    pyc = Path(importlib.util.cache_from_source(str(root / "mypkg/core.py")))
    assert flags(pyc) == rewrite_cache.CHECKED_HASH
    cached = pyc.read_bytes()
    run(pytester, mode)  # Python checks the source's hash and uses the entry as it is
    assert pyc.read_bytes() == cached
    verdict = read_verdict()
    assert verdict["decision"] == "ready", verdict["completeness"]
    assert closed_world(verdict) == []


def rewritten_pyc(test_file: Path, body: str) -> Path:
    """An entry in pytest's rewrite cache for ``test_file`` holding ``body`` under a timestamp
    header (what pytest before 9.2 writes and trusts on mtime and size alone)."""
    from _pytest.assertion.rewrite import PYC_TAIL, get_cache_dir

    code = compile(body, str(test_file), "exec")
    header = timestamp_header(test_file)
    cache_dir = get_cache_dir(test_file)
    cache_dir.mkdir(parents=True, exist_ok=True)
    pyc = cache_dir / (test_file.name[:-3] + PYC_TAIL)
    pyc.write_bytes(header + marshal.dumps(code))
    return pyc


@pytest.mark.parametrize("mode", MODES)
def test_a_rewritten_test_module_cached_under_a_timestamp_is_rewritten_again(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    failing = "def test_int(): assert 1 == 2  # x\n"
    passing = "def test_int(): assert 1 == 1  # x\n"
    root = project({"tests/integration/test_int.py": failing})
    test_file = root / "tests/integration/test_int.py"
    os.utime(test_file, (MTIME, MTIME))
    rewritten_pyc(test_file, passing)
    run(pytester, mode)
    integration = read_verdict()["tiers"]["integration"]
    assert (integration["passed"], integration["failed"]) == (0, 1)


def test_the_rewriter_cache_guard_is_installed_on_this_pytest() -> None:
    """Fails on a pytest that moved ``_read_pyc``: the guard must be re-pointed, not dropped."""
    from _pytest.assertion import rewrite

    original = rewrite._read_pyc
    try:
        assert rewrite_cache.install()
        assert getattr(rewrite._read_pyc, "pyramid_guarded", False)
        guarded = rewrite._read_pyc
        assert rewrite_cache.install()
        assert rewrite._read_pyc is guarded  # once: not wrapped twice
    finally:
        rewrite._read_pyc = original


@pytest.mark.parametrize(("header", "proves"), [
    (b"\x03\x00\x00\x00", True),   # checked hash-based: Python/pytest compare the source hash
    (b"\x00\x00\x00\x00", False),  # timestamp: mtime and size only
    (b"\x01\x00\x00\x00", False),  # unchecked hash-based: never compared
])
def test_which_cache_entries_prove_their_source(
    tmp_path: Path, header: bytes, proves: bool
) -> None:
    pyc = tmp_path / "m.pyc"
    pyc.write_bytes(importlib.util.MAGIC_NUMBER + header + bytes(8))
    assert rewrite_cache.provable(pyc) is proves


def test_a_missing_or_short_cache_entry_proves_nothing(tmp_path: Path) -> None:
    assert not rewrite_cache.provable(tmp_path / "absent.pyc")
    (tmp_path / "short.pyc").write_bytes(b"\x00\x01")
    assert not rewrite_cache.provable(tmp_path / "short.pyc")


def test_dont_write_bytecode_is_honoured(tmp_path: Path) -> None:
    """PYTHONDONTWRITEBYTECODE: the recorder compiles from source and writes no cache."""
    (tmp_path / "mod_dwb.py").write_text("VALUE = 1\n")
    script = (
        "import sys; sys.dont_write_bytecode = True\n"
        "from pytest_pyramid.run.imported import ImportRecorder\n"
        f"r = ImportRecorder({str(tmp_path)!r}, environment=()); r.install()\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "import mod_dwb; assert mod_dwb.VALUE == 1\n"
        "print(sorted(r.seen.files))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert "mod_dwb.py" in out.stdout
    assert not (tmp_path / "__pycache__").exists()
