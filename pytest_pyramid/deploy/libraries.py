"""The release runs on what was tested, or is refused (hostile case 466).

The verdict records the installed distributions its run imported (``run.distributions``,
``run/distributions.py``). A version runs on the libraries of the interpreter its ``command``
starts: the one it names (``python``, found on the version's ``PATH``, which begins with the
deploy interpreter's folder; an absolute path; a script's ``#!`` interpreter such as
``uvicorn``'s), else the deploy's own. The gate asks *that* interpreter (``run/dist_probe.py``'s
text, run by it isolated and as the version's account: version and RECORD digest) for every
distribution the run imported that is not only the test tools' (``harness``), and refuses one
missing, at another version, or with other files, naming it. A verdict without the record (an
older pyramid) is not evaluated for this check, which refuses: never a pass.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_pyramid.deploy.config import DeployConfig

#: a program name that is a Python interpreter (``python``, ``python3``, ``python3.12``)
_PYTHON = re.compile(r"python(\d+(\.\d+)?)?")
_PROBE_TIMEOUT_S = 60


def interpreter(argv: list[str], search_path: str, cwd: Path) -> tuple[str | None, str]:
    """The Python a version started with ``argv`` runs on, and how that was found: the
    program itself when it is a Python, a script's ``#!`` Python (``env`` followed), else
    the deploy's own interpreter (what ``python`` on the version's PATH is). None when the
    command names a Python the gate cannot ask: not found on the host before the release
    exists (a path into the release: the commit's own, not the host's)."""
    words = _after_env(argv)
    program = _resolve(words[0], search_path, cwd) if words else None
    if words and _PYTHON.fullmatch(os.path.basename(words[0])):
        if program is None:
            return None, f"the command's {words[0]} is not a program of the host"
        return program, f"the command's {words[0]}"
    shebang = _shebang(program) if program is not None else None
    if shebang:
        python = _resolve(shebang[0], search_path, cwd) if _PYTHON.fullmatch(
            os.path.basename(shebang[0])) else None
        if python is not None:
            return python, f"the #! interpreter of {words[0]}"
    return sys.executable, "the deploy's interpreter (the command names no Python)"


def _after_env(argv: list[str]) -> list[str]:
    """``argv`` without a leading ``env [-i] [NAME=VALUE ...]``."""
    if argv and os.path.basename(argv[0]) == "env":
        rest = argv[1:]
        while rest and (rest[0].startswith("-") or "=" in rest[0]):
            rest = rest[1:]
        return rest
    return argv


def _resolve(program: str, search_path: str, cwd: Path) -> str | None:
    if "/" in program:
        path = program if os.path.isabs(program) else str(cwd / program)
        return path if os.access(path, os.X_OK) else None
    return shutil.which(program, path=search_path)


def _shebang(program: str) -> list[str] | None:
    """A script's ``#!`` words, ``env`` followed (None: no ``#!`` line)."""
    try:
        with open(program, "rb") as handle:
            first = handle.readline(512)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    words = _after_env(first[2:].decode("utf-8", "replace").split())
    return words or None


def probe(python: str, names: list[str]) -> dict[str, Any]:
    """Ask ``python`` (isolated: no PYTHON* variables, no user site) which of ``names`` it
    has installed, at which version and RECORD digest (``run/dist_probe.py``)."""
    from pytest_pyramid.deploy.processes import as_account, versions_account
    from pytest_pyramid.run import dist_probe

    # the interpreter the commit's command names runs as a version would: as the host's
    # run_as account when it sets one, never with the deploy's rights; the probe's text is
    # given (-c), so that account need not read this installation's files
    source = Path(dist_probe.__file__).read_text("utf-8")
    result = subprocess.run(  # type: ignore[call-overload]
        [python, "-I", "-c", source], input=json.dumps(names), capture_output=True,
        text=True, timeout=_PROBE_TIMEOUT_S, cwd="/", check=False,
        env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"},
        **as_account(versions_account()))
    if result.returncode != 0:
        raise OSError(f"exit {result.returncode}: {result.stderr.strip()[-200:]}")
    found = json.loads(result.stdout)
    if not isinstance(found, dict):
        raise OSError(f"answered {result.stdout[:80]!r}")
    return found


def wanted(recorded: object) -> list[dict[str, Any]] | None:
    """The verdict's recorded distributions the release needs (not only the harness'); None
    when the verdict has no such record."""
    if not isinstance(recorded, list):
        return None
    return [dict(row) for row in recorded if isinstance(row, Mapping) and not row.get("harness")]


def compare(needed: list[dict[str, Any]], found: Mapping[str, Any], python: str) -> list[str]:
    """Why the interpreter's installed distributions (``found``: name -> [version, digest]
    or None) are not those the run tested (``needed``); empty when they are."""
    problems: list[str] = []
    for row in needed:
        name, version, record = str(row.get("name")), str(row.get("version")), row.get("record")
        got = found.get(name)
        if not isinstance(got, list) or len(got) != 2:
            problems.append(f"{name} {version} (the verdict's run imported it) is not installed "
                            f"for {python}, which the release runs on")
        elif got[0] != version:
            problems.append(f"{name}: the verdict's run imported {version}, {python} (which "
                            f"the release runs on) has {got[0]}")
        elif record is not None and got[1] != record:
            problems.append(f"{name} {version}: the files {python} has installed are not "
                            "those the verdict's run imported (another RECORD)")
    return problems


def problems(config: DeployConfig, verdict: Mapping[str, Any], commit: str) -> tuple[
        list[str], str]:
    """Why the release would run on other libraries than were tested (empty: none), and the
    line that says what was checked."""
    from pytest_pyramid.deploy import releases
    from pytest_pyramid.deploy.isolation import STANDARD_PATH
    from pytest_pyramid.deploy.processes import StartError, render_command

    run = verdict.get("run")
    needed = wanted(run.get("distributions") if isinstance(run, Mapping) else None)
    if needed is None:
        return [("libraries not evaluated: the verdict records no run.distributions (the "
                 "installed distributions its run imported: made by an older pytest-pyramid), "
                 "so what the release runs on cannot be compared with what was tested; "
                 "run the tests again")], ""
    cwd = releases.project_folder(config.root, config.release_path(commit))
    try:
        argv = render_command(config.command or "", port=0, release=cwd, commit=commit)
    except StartError as exc:
        return [str(exc)], ""
    python, how = interpreter(argv, f"{os.path.dirname(sys.executable)}:{STANDARD_PATH}", cwd)
    if python is None:
        return [f"libraries not evaluated: {how}, so the distributions the release runs on "
                "cannot be compared with those the verdict's run imported"], ""
    if not needed:
        return [], f"libraries: the verdict's run imported no installed distribution ({how})"
    try:
        found = probe(python, sorted({str(row.get("name")) for row in needed}))
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        return [f"libraries not evaluated: {python} ({how}) could not be asked for the "
                f"distributions the verdict's run imported: {exc}"], ""
    said = compare(needed, found, python)
    names = ", ".join(f"{row['name']} {row['version']}" for row in needed[:5])
    more = f" +{len(needed) - 5} more" if len(needed) > 5 else ""
    return said, f"libraries: {python} ({how}) has those the verdict's run imported: " \
                 f"{names}{more}"
