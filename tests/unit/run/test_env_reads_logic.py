"""Environment variables the project's code reads are inputs (``run/env_reads.py``, judged by
``run/invocation.py: read_variable_reasons``; hostile case 265)."""

from __future__ import annotations

import os

import pytest

from pytest_pyramid.run import env_reads
from pytest_pyramid.run.invocation import judge_recorded, read_variable_reasons


@pytest.mark.parametrize(
    ("read", "allow", "named"),
    [
        # hostile 265 b: a job's variable a tracked test skips itself on
        (["SKIP_BROKEN"], [], ["SKIP_BROKEN"]),
        # the project declares it: its own input
        (["SKIP_BROKEN"], ["SKIP_BROKEN"], []),
        # the platform's, each with its reason
        (["HOME", "PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "CI", "NO_COLOR"], [], []),
        # the table's prefixes are judged as set, read or not (run/invocation.py)
        (["PYTEST_XDIST_WORKER", "PYRAMID_RUN_ID", "PYTHONHASHSEED", "LD_PRELOAD"], [], []),
        # sorted, once each, and an allow-listed one left out
        (["FAST_ONLY", "APP_MODE", "FAST_ONLY"], ["APP_MODE"], ["FAST_ONLY"]),
        ([], [], []),
    ],
)
def test_variables_the_tests_read(read: list[str], allow: list[str], named: list[str]) -> None:
    reasons = read_variable_reasons(read, allow)
    assert len(reasons) == len(named), reasons
    for name, reason in zip(named, reasons, strict=True):
        assert reason.startswith(f"environment variable {name} was read by the tests"), reason
        assert f'allow_options = ["{name}"]' in reason


@pytest.mark.parametrize("recorded", [None, "SKIP_BROKEN", {"SKIP_BROKEN": "1"}])
def test_a_record_without_the_reads_is_not_known(recorded: object) -> None:
    """Missing data is never a pass: an older partial, an edited one."""
    assert read_variable_reasons(recorded, []) == [
        "which environment variables the tests read was not recorded: what reached the run "
        "is not known"]


def test_the_merge_judges_a_shards_reads_by_the_same_function() -> None:
    record = {"sources": [], "settings": [], "environment": {}, "environment_later": {},
              "repository": ".",
              "interpreter": {"flags": {}, "warnoptions": []}, "narrowing": {},
              "plugins": [], "plugins_declared": [],
              "environment_read": ["SKIP_BROKEN"]}
    reasons = judge_recorded(record, [])
    assert not any("cannot be read" in r for r in reasons), reasons
    assert [r for r in reasons if "SKIP_BROKEN" in r] == read_variable_reasons(
        ["SKIP_BROKEN"], [])
    assert not any("SKIP_BROKEN" in r for r in judge_recorded(record, ["SKIP_BROKEN"]))


def test_reads_by_name_are_noted_and_copies_are_not(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every way of reading one name is noted, by this file (the project's code here); a copy
    of the whole environment (handed to a child) and a read by code that is not the
    project's are not. Values never: names only."""
    for name in ("ER_ITEM", "ER_GET", "ER_GETENV", "ER_IN", "ER_COPY", "ER_UNSET_IN",
                 "ER_BYTES"):
        monkeypatch.setenv(name, "1")
    before = type(os.environ)  # this suite's own run may be recording already
    sink = env_reads.Sink(lambda path: path if path == __file__ else None)
    env_reads.start(sink)
    try:
        dict(os.environ)
        os.environ.copy()
        _ = {**os.environ}
        list(os.environ.items())
        assert sink.names == set()
        _ = os.environ["ER_ITEM"]
        os.environ.get("ER_GET")
        os.getenv("ER_GETENV")
        _ = "ER_IN" in os.environ
        _ = "ER_NEVER_SET" in os.environ
        os.getenvb(b"ER_BYTES")  # the bytes view of the same variables
        dict(os.environb)
        eval('__import__("os").environ.get("ER_COPY")', {})  # code of no project file
    finally:
        env_reads.stop(sink)
    assert type(os.environ) is before
    assert {type(os.environ), type(os.environb)} == {before}
    assert sink.names == {"ER_ITEM", "ER_GET", "ER_GETENV", "ER_IN", "ER_NEVER_SET",
                          "ER_BYTES"}
    # only the names the run's starting environment held are the job's
    started = {"ER_ITEM": "1", "ER_GET": "1", "HOME": "/root"}
    assert env_reads.set_at_start(sink.names, started) == ["ER_GET", "ER_ITEM"]


def test_two_recording_runs_note_into_their_own_sinks() -> None:
    """A test's own in-process run records beside the outer run; the outer run's class swap
    survives the inner run's end."""
    outer = env_reads.Sink(lambda path: path)
    inner = env_reads.Sink(lambda path: None)
    env_reads.start(outer)
    try:
        env_reads.start(inner)
        os.environ.get("ER_BOTH")
        env_reads.stop(inner)
        assert type(os.environ) is env_reads.RecordingEnviron
        os.environ.get("ER_AFTER")
    finally:
        env_reads.stop(outer)
    assert (outer.names, inner.names) == ({"ER_BOTH", "ER_AFTER"}, set())
