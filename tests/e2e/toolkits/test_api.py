"""Schemathesis on small real FastAPI apps: a correct API passes, real bugs are found."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import pytest
from fastapi import FastAPI, HTTPException, Path
from pydantic import BaseModel

from pytest_pyramid.toolkits.api import ApiCallError, ApiSchemaError, api_suite, check_options

if TYPE_CHECKING:
    from tests.conftest import MakeProject, ReadVerdict


class Thing(BaseModel):
    id: int
    name: str


def make_app(*, crash_on_missing: bool = False) -> FastAPI:
    # FastAPI resolves these (string) annotations in this module's globals.
    app = FastAPI()
    things = {1: Thing(id=1, name="one")}

    @app.get(
        "/things/{thing_id}",
        response_model=Thing,
        responses={404: {"description": "No such thing"}},
    )
    def get_thing(thing_id: Annotated[int, Path(ge=1, le=1000)]) -> Thing:
        thing = things.get(thing_id)
        if thing is None:
            if crash_on_missing:
                raise RuntimeError("forgot the 404")
            raise HTTPException(404, "no such thing")
        return thing

    return app


@pytest.mark.parametrize(
    ("max_examples", "modes", "message"),
    [
        (0, ("positive",), "max_examples must be a positive integer"),
        (True, ("positive",), "max_examples must be a positive integer"),
        (5, (), "modes must be a non-empty subset"),
        (5, ("positive", "fuzzy"), "modes must be a non-empty subset"),
    ],
)
def test_bad_options(max_examples: int, modes: tuple[str, ...], message: str) -> None:
    with pytest.raises(ApiSchemaError, match=message):
        check_options(max_examples, modes)


def test_correct_api_passes_every_operation() -> None:
    suite = api_suite(make_app(), max_examples=15, seed=3)
    assert suite.operations() == ["GET /things/{thing_id}"]
    suite.check("GET /things/{thing_id}")


def test_server_error_is_found_with_the_applications_own_frames() -> None:
    suite = api_suite(make_app(crash_on_missing=True), max_examples=25, seed=3)
    with pytest.raises(ApiCallError) as raised:
        suite.check("GET /things/{thing_id}")
    lines = str(raised.value).splitlines()
    assert lines[0] == ("GET /things/{thing_id}: the application raised RuntimeError: "
                        "forgot the 404")
    frames = [line for line in lines if line.startswith("  ") and " in " in line]
    # only this file's frame: none of Schemathesis, requests, anyio, Starlette, FastAPI
    assert [f.split(":")[0].strip() for f in frames] == ["tests/e2e/toolkits/test_api.py"]
    assert '    raise RuntimeError("forgot the 404")' in lines
    assert lines[-2] == "reproduce with:"
    assert "curl -X GET" in lines[-1]
    assert raised.value.__suppress_context__  # the library-deep original is not printed
    notes = getattr(raised.value, "__notes__", [])
    assert not [n for n in notes if n.startswith(("Failing test case", "Falsifying"))]


def test_a_checks_own_failure_is_not_taken_for_an_application_error() -> None:
    suite = api_suite(make_app(), max_examples=3, seed=3, modes=("positive",))

    def check(case: Any) -> None:
        raise AssertionError("the check's own finding")

    with pytest.raises(AssertionError, match="the check's own finding"):
        suite.check("GET /things/{thing_id}", check=check)


def test_unknown_operation_lists_the_known_ones() -> None:
    suite = api_suite(make_app(), max_examples=1)
    with pytest.raises(ApiSchemaError, match=r"no operation 'POST /x'.*GET /things/\{thing_id\}"):
        suite.operation("POST /x")


def test_unloadable_schema_names_its_source() -> None:
    with pytest.raises(ApiSchemaError, match=r"cannot load the OpenAPI schema from /nope"):
        api_suite(make_app(), path="/nope")


def test_custom_check_sees_every_case() -> None:
    seen: list[Any] = []
    suite = api_suite(make_app(), max_examples=7, seed=1, modes=("positive",))
    suite.check("GET /things/{thing_id}", check=seen.append)
    assert 1 <= len(seen) <= 7
    assert all(1 <= case.path_parameters["thing_id"] <= 1000 for case in seen)


def test_one_item_per_operation_in_the_security_tier(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        """
        [tool.pyramid.tiers.security]
        paths = ["tests/security"]
        [tool.pyramid.static]
        enabled = false
        """,
        **{
            "tests/security/test_api.py": """
                import pytest
                from fastapi import FastAPI

                from pytest_pyramid.toolkits.api import api_suite

                app = FastAPI()

                @app.get("/a")
                def a() -> dict[str, int]:
                    return {"a": 1}

                @app.get("/b/{n}")
                def b(n: int) -> dict[str, int]:
                    # a real bug: 500 for every n but one (not left to the examples drawn:
                    # which ints 40 examples reach shifts with unrelated changes)
                    return {"b": 1 // int(n == 123456789)}

                suite = api_suite(app, max_examples=40, seed=7)

                @pytest.mark.parametrize("operation", suite.operations())
                def test_api(operation):
                    suite.check(operation)
            """
        },
    )
    result = pytester.runpytest_subprocess("-v")
    result.stdout.fnmatch_lines([
        "*test_api.py::test_api?GET /a? PASSED*",
        "*test_api.py::test_api?GET /b/{n}? FAILED*",
    ])
    verdict = read_verdict()
    assert verdict["tiers"]["security"]["passed"] == 1
    assert verdict["tiers"]["security"]["failed"] == 1
