"""Principle: the release runs on what was tested, or is refused (hostile case 466). The
verdict records the installed distributions its run imported (``run.distributions``:
tests/integration/run/test_imported_distributions.py); the deploy gate asks the interpreter
the release's ``command`` runs on (the one it names, else the deploy's own: a version's PATH
starts with its folder) for each, and refuses one missing, at another version or with other
files, naming it (``deploy/libraries.py``). A verdict without the record is not evaluated for
this check: refused, never a pass.

Real venvs: ``pricing`` 2.0 (the tested one), 1.0, and 2.0 built from other code, each
installed offline by pip from a wheel made here, and a real ``pyramid deploy`` CLI process on
a committed project (the gate's answer: ``--dry-run``, no router needed)."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import zipfile
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.run.dist_probe import record_digest

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.deploy.helpers import Project

APP = """import http.server, sys
import pricing
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        data = f"rate={pricing.RATE}\\n".encode()
        self.send_response(200); self.send_header("Content-Length", str(len(data)))
        self.end_headers(); self.wfile.write(data)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def _wheel(folder: Path, version: str, rate: int) -> Path:
    """A pure wheel of ``pricing`` (what a build backend would make of a local folder)."""
    files = {"pricing/__init__.py": f"RATE = {rate}\n",
             f"pricing-{version}.dist-info/METADATA":
                 f"Metadata-Version: 2.1\nName: pricing\nVersion: {version}\n",
             f"pricing-{version}.dist-info/WHEEL":
                 "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    lines = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        lines.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    files[f"pricing-{version}.dist-info/RECORD"] = "\n".join(
        [*lines, f"pricing-{version}.dist-info/RECORD,,"]) + "\n"
    path = folder / f"rate{rate}" / f"pricing-{version}-py3-none-any.whl"
    path.parent.mkdir(parents=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


@pytest.fixture(scope="module")
def venvs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """name -> the python of a venv with that ``pricing``: tested (2.0, RATE 2), older
    (1.0, RATE 1), rebuilt (2.0, RATE 3: same version, other code). Made side by side."""
    base = tmp_path_factory.mktemp("venvs")
    wanted = {"tested": ("2.0", 2), "older": ("1.0", 1), "rebuilt": ("2.0", 3)}
    made = [subprocess.Popen([sys.executable, "-m", "venv", "--without-pip", str(base / name)])
            for name in wanted]
    assert all(process.wait(120) == 0 for process in made)
    installs = []
    for name, (version, rate) in wanted.items():
        site = next((base / name / "lib").glob("python3*/site-packages"))
        installs.append(subprocess.Popen(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
             "--disable-pip-version-check", "--target", str(site),
             str(_wheel(base, version, rate))]))
    assert all(process.wait(180) == 0 for process in installs)
    return {name: base / name / "bin" / "python" for name in wanted}


def _tested_record(venvs: dict[str, Path]) -> list[dict[str, Any]]:
    """What a run through the tested venv records (the RECORD pip wrote there)."""
    record = next(venvs["tested"].parent.parent.glob(
        "lib/python3*/site-packages/pricing-2.0.dist-info/RECORD")).read_text()
    return [{"name": "pricing", "version": "2.0", "record": record_digest(record),
             "harness": False}]


def _dry_run(repo: Project, command: str, recorded: list[dict[str, Any]] | None
             ) -> subprocess.CompletedProcess[str]:
    (repo.root / "app.py").write_text(APP)
    repo.commit("pricing", command=command)
    verdict = json.loads(repo.verdict_path.read_text())
    if recorded is None:
        verdict["run"].pop("distributions", None)
    else:
        verdict["run"]["distributions"] = recorded
    repo.verdict_path.write_text(json.dumps(verdict))
    return repo.run("deploy", "--dry-run")


def test_the_tested_interpreter_is_allowed(repo: Project, venvs: dict[str, Path]) -> None:
    result = _dry_run(repo, f"{venvs['tested']} app.py {{port}}", _tested_record(venvs))
    assert result.returncode == 0, result.stdout
    assert f"[gate] libraries: {venvs['tested']} (the command's {venvs['tested']}) has " \
        "those the verdict's run imported: pricing 2.0" in result.stdout


@pytest.mark.parametrize(("venv", "said"), [
    pytest.param("older", "pricing: the verdict's run imported 2.0, {python} (which the "
                 "release runs on) has 1.0", id="older"),
    pytest.param("rebuilt", "pricing 2.0: the files {python} has installed are not those the "
                 "verdict's run imported (another RECORD)", id="rebuilt"),
])
def test_an_interpreter_with_other_libraries_is_refused_naming_them(
        repo: Project, venvs: dict[str, Path], venv: str, said: str) -> None:
    result = _dry_run(repo, f"{venvs[venv]} app.py {{port}}", _tested_record(venvs))
    assert result.returncode == 1, result.stdout
    assert said.format(python=venvs[venv]) in result.stdout


def test_the_deploys_own_python_is_asked_when_the_command_says_python(
        repo: Project, venvs: dict[str, Path]) -> None:
    """``python`` in ``command`` is the deploy interpreter's (its folder leads the version's
    PATH), which has no ``pricing``: refused, naming it."""
    result = _dry_run(repo, "python app.py {port}", _tested_record(venvs))
    assert result.returncode == 1, result.stdout
    assert f"pricing 2.0 (the verdict's run imported it) is not installed for " \
        f"{sys.executable}" in result.stdout


def test_a_verdict_without_the_record_is_not_evaluated_never_a_pass(
        repo: Project, venvs: dict[str, Path]) -> None:
    result = _dry_run(repo, f"{venvs['tested']} app.py {{port}}", None)
    assert result.returncode == 1, result.stdout
    assert "libraries not evaluated: the verdict records no run.distributions" in result.stdout
