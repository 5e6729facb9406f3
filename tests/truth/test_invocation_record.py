"""A recorded invocation judged again from its raw facts (``run/invocation.py:
judge_recorded``, what ``pyramid merge`` asks of each shard's record and of its own, and
``verdict/assemble.py: invocation_problems``, the one check every route makes). Pure."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_pyramid.run.invocation import judge_recorded
from pytest_pyramid.verdict.assemble import invocation_problems


def record(*settings: dict[str, Any], environment: dict[str, str] | None = None,
           flags: dict[str, object] | None = None, own_addopts: bool = False,
           plugins_off: list[str] | None = None) -> dict[str, Any]:
    return {
        "sources": [{"source": "addopts", "args": [], "own": own_addopts},
                    {"source": "command line", "args": [], "own": False}],
        "settings": list(settings),
        "environment": environment or {},
        "interpreter": {"executable": "python", "flags": flags or {}},
        "repository": "/repo",
        **({"plugins_off": plugins_off} if plugins_off is not None else {}),
    }


def setting(option: str, value: object, source: str = "command line", dest: str = "x",
            names: list[str] | None = None) -> dict[str, Any]:
    return {"option": option, "value": value, "source": source, "class": "outcome-preserving",
            "own": source == "addopts", "dest": dest, "names": names or [option]}


@pytest.mark.parametrize(
    ("given", "allow", "says"),
    [
        (record(), [], None),
        (record(setting("--tb", "short", dest="tbstyle")), [], None),
        # the class is looked up again: a record calling an unknown option harmless is not
        (record(setting("--made-up", True, dest="made_up")), [], "does not know"),
        (record(setting("--made-up", True, dest="made_up")), ["--made-up"], None),
        (record(setting("--made-up", True, "addopts", "made_up"), own_addopts=True), [], None),
        (record(setting("--made-up", True, "addopts", "made_up")), [], "does not know"),
        (record(setting("-p", ["some_plugin"], dest="plugins")), [], "-p some_plugin"),
        (record(setting("-o", ["xfail_strict=false"], dest="override_ini")), [],
         "-o xfail_strict"),
        (record(environment={"PYTEST_PLUGINS": "x"}), [], "PYTEST_PLUGINS"),
        (record(environment={"PYTEST_PLUGINS": "x"}), ["PYTEST_PLUGINS"], None),
        (record(environment={"PYTHONPATH": "/repo/src"}), [], None),
        (record(environment={"PYTHONPATH": "/elsewhere"}), [], "outside the repository"),
        (record(environment={"PYTEST_SOMETHING_NEW": "1"}), [], "PYTEST_SOMETHING_NEW"),
        (record(flags={"flag optimize": 1}), [], "interpreter flag optimize"),
        (record(plugins_off=["randomly"]), [], None),
        (record(plugins_off=["cacheprovider_x"]), [], "plugins turned off"),
        ({"sources": "garbage"}, [], "cannot be read"),
        ({}, [], "cannot be read"),
    ],
)
def test_a_recorded_invocation_is_judged_from_its_raw_facts(
    given: dict[str, Any], allow: list[str], says: str | None,
) -> None:
    reasons = judge_recorded(given, allow)
    if says is None:
        assert reasons == []
    else:
        assert any(says in reason for reason in reasons), reasons


BAD = record(environment={"PYTEST_PLUGINS": "x"})


@pytest.mark.parametrize(
    ("invocations", "messages"),
    [
        ([("", record(), [])], []),
        ([("", BAD, [])], ["environment variable PYTEST_PLUGINS"]),
        # every shard found it: said once, unprefixed; one shard: named
        ([("shard 1/2", BAD, []), ("shard 2/2", BAD, [])],
         ["environment variable PYTEST_PLUGINS"]),
        ([("shard 1/2", BAD, []), ("shard 2/2", record(), [])],
         ["shard 1/2: environment variable PYTEST_PLUGINS"]),
        ([("shard 1/2", None, []), ("shard 2/2", record(), [])],
         ["shard 1/2: no invocation was recorded"]),
        ([("pyramid merge", BAD, [])], ["pyramid merge: environment variable PYTEST_PLUGINS"]),
    ],
)
def test_every_route_judges_invocations_with_one_check(
    invocations: list[Any], messages: list[str],
) -> None:
    problems = invocation_problems(invocations)
    assert {p["kind"] for p in problems} <= {"narrowed"}
    assert len(problems) == len(messages)
    for problem, start in zip(problems, messages, strict=True):
        assert problem["message"].startswith(start), problem
