"""A process read in the middle of its exec shows an empty environment: ``processes.ours``
asks again instead of taking it (and keeping it) for nobody's; an environment that stays empty,
or carries other marks, is still not ours."""

from __future__ import annotations

import os

import pytest

from pytest_pyramid.deploy import processes

MARKS = {"PYRAMID_COMMIT": "c" * 40, "PYRAMID_RELEASE": "/r", "PORT": "8001"}


@pytest.mark.parametrize(
    ("reads", "ours"),
    [
        ([{}, {}, MARKS], True),  # mid-exec twice, then the environment the deploy gave it
        ([MARKS], True),
        ([{}], False),  # empty for good (the settle time runs out): nobody's
        ([{**MARKS, "PORT": "9"}], False),
        ([None], False),  # unreadable: gone, or another user's
    ],
    ids=["mid-exec", "at-once", "stays-empty", "other-marks", "unreadable"],
)
def test_an_environment_read_mid_exec_is_read_again(
    monkeypatch: pytest.MonkeyPatch, reads: list[dict[str, str] | None], ours: bool
) -> None:
    remaining = list(reads)

    def environ_of(pid: int) -> dict[str, str] | None:
        return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    monkeypatch.setattr(processes, "environ_of", environ_of)
    monkeypatch.setattr(processes, "EXEC_SETTLE_S", 0.05)
    monkeypatch.setattr(processes, "_OURS", {})
    version = processes.Version("c" * 40, 8001, os.getpid(), "/r", "", None)
    assert processes.ours(os.getpid(), version) is ours
