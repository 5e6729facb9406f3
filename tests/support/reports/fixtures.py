"""Report tests are hermetic about the CI they run in: a run id taken from the CI's
environment would make every run of a test one run in the history."""

from __future__ import annotations

import pytest

CI_VARIABLES = ("PYRAMID_RUN_ID", "PYRAMID_RUN_NUMBER", "GITHUB_ACTIONS", "GITLAB_CI",
                "BUILDKITE", "CIRCLECI", "JENKINS_URL", "GITHUB_STEP_SUMMARY")


@pytest.fixture(autouse=True)
def _no_ci_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)
