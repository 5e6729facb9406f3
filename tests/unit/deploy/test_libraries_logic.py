"""deploy/libraries.py and run/dist_probe.py: the release runs on the distributions the
verdict's run imported, or is refused naming them (hostile case 466). Pure parts: which
interpreter a command runs on, what the verdict asks, and the comparison."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.deploy.libraries import compare, interpreter, wanted
from pytest_pyramid.run.dist_probe import installed, record_digest

if TYPE_CHECKING:
    from pathlib import Path

RECORD = ("pricing/__init__.py,sha256=AAA,10\n"
          "pricing-2.0.dist-info/METADATA,sha256=BBB,50\n"
          "pricing-2.0.dist-info/RECORD,,\n"
          "pricing/__pycache__/__init__.cpython-311.pyc,sha256=CCC,99\n"
          "../../../bin/pricing,sha256=DDD,200\n")


@pytest.mark.parametrize(("other", "same"), [
    # what an install writes differently in every environment leaves the digest alone
    (RECORD.replace("sha256=DDD", "sha256=EEE"), True),  # a script's #! line
    (RECORD.replace("sha256=BBB", "sha256=FFF"), True),  # the dist-info's own files
    (RECORD.replace("sha256=CCC", "sha256=GGG"), True),  # bytecode
    ("".join(reversed(RECORD.splitlines(keepends=True))), True),  # order
    # the code it installed does not
    (RECORD.replace("sha256=AAA", "sha256=ZZZ"), False),
    (RECORD + "pricing/extra.py,sha256=HHH,1\n", False),
])
def test_the_record_digest_covers_the_code_files(other: str, same: bool) -> None:
    assert (record_digest(other) == record_digest(RECORD)) is same


def test_no_record_is_no_digest() -> None:
    assert record_digest(None) is None


def test_the_probe_answers_for_this_interpreter() -> None:
    found = installed(["pytest", "no-such-distribution-here"])
    assert found["no-such-distribution-here"] is None
    version, digest = found["pytest"] or [None, None]
    assert version == pytest.__version__
    assert isinstance(digest, str)
    assert digest.startswith("sha256:")


ROW: dict[str, Any] = {"name": "pricing", "version": "2.0", "record": "sha256:x",
                       "harness": False}


@pytest.mark.parametrize(("found", "said"), [
    ({"pricing": ["2.0", "sha256:x"]}, None),
    ({"pricing": None}, "pricing 2.0 (the verdict's run imported it) is not installed"),
    ({}, "pricing 2.0 (the verdict's run imported it) is not installed"),
    ({"pricing": ["1.0", "sha256:x"]}, "pricing: the verdict's run imported 2.0, /py "
     "(which the release runs on) has 1.0"),
    ({"pricing": ["2.0", "sha256:y"]}, "pricing 2.0: the files /py has installed are not "
     "those the verdict's run imported"),
    ({"pricing": "2.0"}, "is not installed"),  # a malformed answer is no match
])
def test_the_interpreter_must_have_what_was_tested(found: dict[str, Any],
                                                   said: str | None) -> None:
    problems = compare([ROW], found, "/py")
    assert (problems == []) if said is None else (said in problems[0] and len(problems) == 1)


def test_without_a_record_digest_the_version_decides() -> None:
    assert compare([{**ROW, "record": None}], {"pricing": ["2.0", "sha256:other"]}, "/py") == []


@pytest.mark.parametrize(("recorded", "expected"), [
    (None, None),  # an older verdict: not evaluated, never a pass
    ("pricing", None),
    ([], []),
    ([ROW, {**ROW, "name": "pytest", "harness": True}, "junk"], [ROW]),
])
def test_what_the_verdict_asks_of_the_release(recorded: object, expected: object) -> None:
    assert wanted(recorded) == expected


def _program(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    path.chmod(0o755)
    return path


def test_the_interpreter_a_command_runs_on(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python = _program(bin_dir, "python3", "#!/bin/sh\n")
    server = _program(bin_dir, "serve", f"#!{python}\nimport app\n")
    _program(bin_dir, "serve-env", "#!/usr/bin/env python3\n")
    shell = _program(bin_dir, "run.sh", "#!/bin/sh\nexec app\n")
    path = str(bin_dir)
    assert interpreter(["python3", "app.py"], path, tmp_path)[0] == str(python)
    assert interpreter([str(python), "app.py"], "", tmp_path)[0] == str(python)
    assert interpreter(["env", "A=1", "python3", "x"], path, tmp_path)[0] == str(python)
    assert interpreter([str(server), "--port", "1"], "", tmp_path)[0] == str(python)
    assert interpreter(["serve-env"], path, tmp_path)[0] == str(python)
    # a command that names no Python runs on the deploy's (the version's PATH starts there)
    assert interpreter([str(shell)], path, tmp_path)[0] == sys.executable
    assert interpreter([], path, tmp_path)[0] == sys.executable
    # a Python the host does not have (a path into the release, made later): not asked
    missing, why = interpreter(["./venv/bin/python", "app.py"], path, tmp_path)
    assert missing is None
    assert "./venv/bin/python is not a program of the host" in why


@pytest.mark.parametrize(("record", "rows"), [
    ({"pricing==2.0": {"record": "sha256:x", "harness": False},
      "pytest==9.0": {"record": None, "harness": True}},
     [{"name": "pricing", "version": "2.0", "record": "sha256:x", "harness": False},
      {"name": "pytest", "version": "9.0", "record": None, "harness": True}]),
    # two versions two shards ran on are both kept
    ({"pricing==2.0": {}, "pricing==1.0": {}},
     [{"name": "pricing", "version": "1.0", "record": None, "harness": False},
      {"name": "pricing", "version": "2.0", "record": None, "harness": False}]),
    # a malformed partial's entry is never the harness' and has no digest
    ({"pricing==2.0": "x", "lib==1": {"record": 5, "harness": "yes"}, "==3": {}},
     [{"name": "lib", "version": "1", "record": None, "harness": False},
      {"name": "pricing", "version": "2.0", "record": None, "harness": False}]),
])
def test_the_verdicts_rows_of_a_record(record: dict[str, Any],
                                       rows: list[dict[str, Any]]) -> None:
    from pytest_pyramid.run.distributions import listed

    assert listed(record) == rows
