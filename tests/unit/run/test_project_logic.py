"""The project a verdict speaks for, as pure rules (hostile cases 126 and 130): where a
project's folder lies in its repository (``provenance.project_folder``), and how the one
trust function compares it (``trust.project_problem`` through ``trust.judge``, and the
deploy's verify tiers through ``trust.target_result``). End to end in
``test_project_named.py``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from pytest_pyramid.verdict.provenance import project_folder
from pytest_pyramid.verdict.trust import Target, TrustPolicy, judge, target_result

if TYPE_CHECKING:
    from pytest_pyramid.verdict.document import Verdict

SHA = "a" * 40


@pytest.mark.parametrize(("toplevel", "folder", "expected"), [
    ("/repo", "/repo", "."),
    ("/repo", "/repo/a", "a"),
    ("/repo", "/repo/services/b", "services/b"),
    ("/repo", "/repo/a/../b", "b"),
    ("/repo", "/elsewhere", None),  # a folder outside the repository names no project here
    ("/repo", "/repository", None),  # a prefix of the name is not inside
    (None, "/repo", None),  # outside git
])
def test_project_folder(toplevel: str | None, folder: str, expected: str | None) -> None:
    assert project_folder(toplevel, Path(folder)) == expected


def verdict(**fields: Any) -> dict[str, Any]:
    """A consistent ``ready`` verdict of commit ``SHA``: only the project varies."""
    return {"schema_version": 2, "decision": "ready", "reasons": [],
            "created_at": "2026-01-01T00:00:00Z", "commit": SHA, "dirty": False,
            "tree": {"digest": SHA, "head": SHA, "excluded": []}, "completeness": [],
            "tiers": {}, "gates": [], "run": {"interrupted": False}, **fields}


NO_PROJECT = object()


@pytest.mark.parametrize(("recorded", "expected", "problem"), [
    ("b", "b", None),
    (".", ".", None),
    ("a", "b", "the verdict is of project 'a', not 'b', the project here"),
    (".", "b", "the verdict is of project '.', not 'b'"),
    ("b", ".", "the verdict is of project 'b', not '.'"),
    (NO_PROJECT, "b", "the verdict names no project"),  # an older version's, or edited
    (None, "b", "the verdict names no project"),  # a run outside git
    (7, "b", "the verdict names no project"),
    ("a", None, None),  # nothing to compare with here (no git): the commit rules decide
])
def test_the_trust_rules_compare_the_project(recorded: object, expected: str | None,
                                             problem: str | None) -> None:
    document = verdict() if recorded is NO_PROJECT else verdict(project=recorded)
    target = Target(SHA, SHA, in_git=expected is not None, project=expected)
    trust = judge(cast("Verdict", document), target=target, policy=TrustPolicy())
    found = [p for p in trust.problems if "project" in p]
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1
        assert found[0].startswith(problem)


@pytest.mark.parametrize(("recorded", "expected", "outcome"), [
    ("svc", "svc", "failed"),  # the run's own result stands
    ("other", "svc", "unverified"),
    (None, "svc", "unverified"),
    ("other", None, "failed"),  # outside git: nothing to compare
])
def test_a_verify_run_of_another_project_is_unverified(recorded: str | None,
                                                        expected: str | None,
                                                        outcome: str) -> None:
    document = verdict(
        project=recorded, decision="blocked",
        completeness=[{"kind": "target_run", "message": "a target run against http://x"}],
        gates=[{"id": "tests.pass_rate", "level": "block", "status": "fail",
                "actual": 0.5, "threshold": 1.0, "message": "1 failed",
                "on_missing": "fail"}])
    found = target_result(document, expected)
    assert found.outcome == outcome
    if outcome == "unverified":
        assert "project" in found.reasons[0]


def test_the_signature_covers_the_project() -> None:
    """A signed verdict moved to another project by editing the field no longer verifies."""
    from pytest_pyramid.verdict.signing import (
        SignatureError,
        attest,
        generate_private_key,
        key_id,
        verify_verdict,
    )

    key = generate_private_key()
    signed = verdict(project="a")
    envelope = attest(signed, key)
    keys = {key_id(key.public_key()): key.public_key()}
    assert verify_verdict(signed, envelope, keys)
    with pytest.raises(SignatureError, match="edited after it was signed"):
        verify_verdict({**signed, "project": "b"}, envelope, keys)
