from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.cli import main
from pytest_pyramid.signing import SIGNING_KEY_ENV, signature_for, verify_signature

if TYPE_CHECKING:
    from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def verdict(decision: str = "ready", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema_version": 1,
        "decision": decision,
        "reasons": ["because"],
        "created_at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        "commit": COMMIT,
        "branch": "main",
        "dirty": False,
        "tool": {"name": "pytest-pyramid", "version": "0.1.0"},
        "run": {"selected_tiers": ["unit"], "workers": 0, "duration_s": 1.0, "pytest_exit": 0},
        "tiers": {},
        "gates": [
            {
                "id": "g",
                "level": "block",
                "status": "fail",
                "actual": 1,
                "threshold": 0,
                "message": "one finding",
            }
        ]
        if decision == "blocked"
        else [],
    }
    data.update(changes)
    return data


def write(tmp_path: Path, data: dict[str, Any]) -> str:
    path = tmp_path / "verdict.json"
    path.write_text(json.dumps(data))
    return str(path)


@pytest.mark.parametrize(
    ("decision", "code"),
    [("ready", 0), ("blocked", 1), ("incomplete", 1), ("needs_approval", 2)],
)
def test_check_exit_code_follows_the_decision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], decision: str, code: int
) -> None:
    assert main(["check", write(tmp_path, verdict(decision))]) == code
    out = capsys.readouterr().out
    assert f"decision: {decision.upper()}" in out
    if decision == "blocked":
        assert "one finding" in out


@pytest.mark.parametrize(
    ("args", "data", "message"),
    [
        (["--commit", "fedcba9"], verdict(), "not fedcba9"),
        (["--commit", COMMIT[:8]], verdict(commit=None), "records no commit"),
        (
            ["--max-age", "1h"],
            verdict(
                created_at=(datetime.now(timezone.utc) - timedelta(hours=2))
                .isoformat()
                .replace("+00:00", "Z")
            ),
            "older than",
        ),
        ([], {"decision": "ready"}, "schema"),
    ],
)
def test_check_refuses_unusable_verdicts_with_exit_3(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    data: dict[str, Any],
    message: str,
) -> None:
    assert main(["check", write(tmp_path, data), *args]) == 3
    assert message in capsys.readouterr().err


def test_check_accepts_matching_short_commit(tmp_path: Path) -> None:
    assert main(["check", write(tmp_path, verdict()), "--commit", COMMIT[:10]]) == 0


def test_bad_usage_is_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "v.json", "--max-age", "soon"]) == 3
    assert "soon" in capsys.readouterr().err
    assert main(["frobnicate"]) == 3


def test_signature_round_trip_and_tampering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = b"s3cret"
    data = verdict()
    data["signature"] = signature_for(data, key)
    assert verify_signature(data, key) is None
    assert verify_signature(data, b"other") is not None
    monkeypatch.setenv(SIGNING_KEY_ENV, "s3cret")
    assert main(["check", write(tmp_path, data)]) == 0
    data["decision"] = "ready"
    data["reasons"] = ["edited by hand"]
    assert main(["check", write(tmp_path, data)]) == 3
    assert "does not match" in capsys.readouterr().err
    del data["signature"]
    assert main(["check", write(tmp_path, data)]) == 3
    assert "not signed" in capsys.readouterr().err


def test_check_commit_empty_or_unknown_is_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, verdict())
    assert main(["check", path, "--commit", ""]) == 3
    assert "--commit is empty" in capsys.readouterr().err
    assert main(["check", path, "--commit", "no-such-rev"]) == 3
    assert "neither a SHA nor a revision" in capsys.readouterr().err


def test_check_resolves_a_revision_and_mentions_a_dirty_tree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    monkeypatch.chdir(tmp_path)
    for args in (
        ["init", "-q"],
        ["-c", "user.email=a@b", "-c", "user.name=a", "commit", "--allow-empty", "-qm", "x"],
    ):
        subprocess.run(["git", *args], check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    path = write(tmp_path, verdict(commit=head, dirty=True))
    assert main(["check", path, "--commit", "HEAD"]) == 0
    assert "uncommitted changes" in capsys.readouterr().out
