"""Which run a verdict belongs to: the CI run (shared by its shards), else one of its own.

The history keys its rows by this id, so appending the same run twice (a retried job, the
report step after the test step) replaces its row instead of adding one; the CI's run number,
when it has one, lets the report show runs missing from the history instead of drawing over
them. ``PYRAMID_RUN_ID`` / ``PYRAMID_RUN_NUMBER`` override both (a matrix of Python versions
in one CI run needs one id per leg: ``PYRAMID_RUN_ID=${{ github.run_id }}-py${{ matrix.py }}``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Mapping


class RunIdentity(NamedTuple):
    run_id: str
    run_number: int | None


#: (marker variable, prefix, variables joined into the id, run number variable); the job name
#: is part of the id (two jobs of one pipeline are two runs), a retry's attempt number is not
_PROVIDERS: tuple[tuple[str, str, tuple[str, ...], str | None], ...] = (
    ("GITHUB_ACTIONS", "github", ("GITHUB_REPOSITORY", "GITHUB_RUN_ID", "GITHUB_JOB"),
     "GITHUB_RUN_NUMBER"),
    ("GITLAB_CI", "gitlab", ("CI_PROJECT_PATH", "CI_PIPELINE_ID", "CI_JOB_NAME"),
     "CI_PIPELINE_IID"),
    ("BUILDKITE", "buildkite", ("BUILDKITE_PIPELINE_SLUG", "BUILDKITE_BUILD_ID",
                                "BUILDKITE_STEP_KEY"), "BUILDKITE_BUILD_NUMBER"),
    ("CIRCLECI", "circleci", ("CIRCLE_PROJECT_REPONAME", "CIRCLE_WORKFLOW_ID", "CIRCLE_JOB"),
     None),
    ("JENKINS_URL", "jenkins", ("JOB_NAME", "BUILD_NUMBER"), "BUILD_NUMBER"),
)
#: GitLab names the jobs of ``parallel: N`` "test 1/4", "test 2/4": one run, N shards
_SHARD_SUFFIX = re.compile(r"\s+\d+/\d+$")


def _number(text: str | None) -> int | None:
    if text is None or not text.strip().isdigit():
        return None
    return int(text.strip())


def run_identity(environ: Mapping[str, str]) -> RunIdentity:
    """The run's id and number from the environment (a fresh id when no CI is seen)."""
    explicit = environ.get("PYRAMID_RUN_ID", "").strip()
    if explicit:
        return RunIdentity(explicit, _number(environ.get("PYRAMID_RUN_NUMBER")))
    for marker, prefix, keys, number_key in _PROVIDERS:
        if not environ.get(marker):
            continue
        parts = [_SHARD_SUFFIX.sub("", environ.get(key, "").strip()) for key in keys]
        if not any(parts[1:]):  # no run id: a CI we do not know well enough
            continue
        number = _number(environ.get(number_key)) if number_key else None
        if "PYRAMID_RUN_NUMBER" in environ:
            number = _number(environ["PYRAMID_RUN_NUMBER"])
        return RunIdentity(":".join([prefix, *parts]), number)
    import uuid

    return RunIdentity(f"local:{uuid.uuid4().hex}", _number(environ.get("PYRAMID_RUN_NUMBER")))
