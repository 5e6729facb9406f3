"""API conformance and negative testing with Schemathesis 4.x, bounded for CI.

``api_suite`` loads an OpenAPI schema from an ASGI app (requests go straight into the
app, no server needed) or from a URL, with a fixed seed and an example budget so a CI
run is reproducible and its cost known. The tests it makes live in whichever tier their
file belongs to (``tests/security`` or ``tests/contract``)::

    suite = api_suite(app, max_examples=25)

    @pytest.mark.parametrize("operation", suite.operations())
    def test_api(operation):
        suite.check(operation)

One ordinary pytest item per operation, driven by Hypothesis here rather than through
Schemathesis's own ``schema.parametrize()``: on pytest 9.2 the items that decorator makes
all share one node id, which breaks ``--lf`` and per-test accounting.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

DEFAULT_SEED = 1
DEFAULT_MAX_EXAMPLES = 25
#: Both: valid data must be accepted, invalid data rejected with a 4xx.
DEFAULT_MODES: tuple[str, ...] = ("positive", "negative")


class ApiSchemaError(PyramidError):
    """The schema could not be loaded or the options are out of range."""


class ApiCallError(Exception):
    """The application raised while answering a generated request.

    Raised in place of the application's own exception, whose traceback runs through
    some forty frames of Schemathesis, requests, anyio, Starlette and FastAPI before it
    reaches the line at fault: the message keeps the application's frames (files outside
    the installed libraries and the standard library), the exception and how to
    reproduce the request."""


_HYPOTHESIS_NOTES = ("Failing test case", "Falsifying example")


def _library_roots() -> tuple[str, ...]:
    import sysconfig

    paths = sysconfig.get_paths()
    roots = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    roots.add(os.path.dirname(os.path.abspath(__file__)))  # this toolkit's own frames
    return tuple(os.path.join(root, "") for root in sorted(roots))


def _own_frames(exc: BaseException) -> list[str]:
    """The frames of ``exc``'s traceback outside the libraries, innermost last."""
    import traceback

    roots = _library_roots()
    here = os.getcwd()
    lines: list[str] = []
    for frame in traceback.extract_tb(exc.__traceback__):
        name = os.path.abspath(frame.filename)
        if name.startswith(roots) or frame.filename.startswith("<"):
            continue
        shown = os.path.relpath(name, here) if name.startswith(os.path.join(here, "")) else name
        lines.append(f"  {shown}:{frame.lineno} in {frame.name}")
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    return lines


def describe_call_error(label: str, case: Any, exc: BaseException) -> str:
    """What :class:`ApiCallError` says: the operation, the application's frames, the error
    and a command that sends the same request."""
    lines = [f"{label}: the application raised {type(exc).__name__}: {exc}"]
    frames = _own_frames(exc)
    if frames:
        lines += ["raised at (the application's own frames; libraries left out):", *frames]
    try:
        curl = case.as_curl_command()
    except Exception:  # an odd case must not hide the error itself
        curl = None
    if curl:
        lines += ["reproduce with:", f"  {curl}"]
    return "\n".join(lines)


def check_options(max_examples: int, modes: Iterable[str]) -> tuple[str, ...]:
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise ApiSchemaError(f"max_examples must be a positive integer, got {max_examples!r}")
    chosen = tuple(modes)
    unknown = [m for m in chosen if m not in ("positive", "negative")]
    if not chosen or unknown:
        raise ApiSchemaError(
            f"modes must be a non-empty subset of ('positive', 'negative'), got {chosen!r}"
        )
    return chosen


def api_schema(
    source: Any,
    *,
    path: str = "/openapi.json",
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    seed: int = DEFAULT_SEED,
    modes: Iterable[str] = DEFAULT_MODES,
    base_url: str | None = None,
) -> Any:
    """A Schemathesis schema from an ASGI app (``path`` inside it) or a schema URL.

    The generation database is off: examples found in one run must not leak into the next,
    or the same commit could pass and then fail.
    """
    chosen = check_options(max_examples, modes)
    import schemathesis
    from schemathesis import GenerationMode

    try:
        if isinstance(source, str):
            schema = schemathesis.openapi.from_url(source)
        else:
            schema = schemathesis.openapi.from_asgi(path, source)
    except Exception as exc:
        where = source if isinstance(source, str) else f"{path} of {type(source).__name__}"
        raise ApiSchemaError(f"cannot load the OpenAPI schema from {where}: {exc}") from exc
    if base_url is not None:
        schema.config.base_url = base_url
    schema.config.seed = seed
    schema.config.generation.update(
        modes=[GenerationMode(m) for m in chosen], max_examples=max_examples, database="none"
    )
    return schema


@dataclass
class ApiSuite:
    """A loaded schema plus the budget every operation is checked with."""

    schema: Any
    max_examples: int
    seed: int
    modes: tuple[str, ...]

    def operations(self) -> list[str]:
        """Labels of every operation (``"GET /items/{id}"``), in schema order."""
        return [result.ok().label for result in self.schema.get_all_operations()]

    def operation(self, label: str) -> Any:
        for result in self.schema.get_all_operations():
            operation = result.ok()
            if operation.label == label:
                return operation
        raise ApiSchemaError(f"no operation {label!r} in the schema; known: {self.operations()}")

    def check(self, label: str, check: Callable[[Any], object] | None = None) -> None:
        """Generate up to ``max_examples`` cases for ``label`` and validate each response.

        ``check`` defaults to Schemathesis's ``case.call_and_validate()`` (no server
        errors, documented status codes and content types, response schemas, invalid
        data rejected and valid data accepted).
        """
        import hypothesis
        from hypothesis import HealthCheck, given, settings
        from hypothesis import strategies as st
        from hypothesis.errors import HypothesisException
        from schemathesis import GenerationMode
        from schemathesis.core.failures import FailureGroup

        operation = self.operation(label)
        strategy = st.one_of(
            *(operation.as_strategy(generation_mode=GenerationMode(m)) for m in self.modes)
        )
        run_check = check or (lambda case: case.call_and_validate())

        @hypothesis.seed(self.seed)
        @settings(
            max_examples=self.max_examples,
            deadline=None,  # latency is the performance tier's business, not a flaky failure
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case: Any) -> None:
            __tracebackhide__ = True
            try:
                run_check(case)
            except (AssertionError, FailureGroup, HypothesisException):
                raise  # a check's finding (Schemathesis reports it) or Hypothesis's own
            except Exception as exc:
                raise ApiCallError(describe_call_error(label, case, exc)) from None

        __tracebackhide__ = True
        try:
            run()
        except ApiCallError as exc:
            # Hypothesis's frames and its "Failing test case: run(case=...)" note (the case
            # does not print) say nothing the message's curl command does not say better.
            notes = getattr(exc, "__notes__", None)
            if notes is not None:
                notes[:] = [n for n in notes if not n.startswith(_HYPOTHESIS_NOTES)]
            raise exc.with_traceback(None) from None


def api_suite(
    source: Any,
    *,
    path: str = "/openapi.json",
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    seed: int = DEFAULT_SEED,
    modes: Iterable[str] = DEFAULT_MODES,
    base_url: str | None = None,
) -> ApiSuite:
    """Load the schema (see :func:`api_schema`) and bundle it with its test budget."""
    chosen = check_options(max_examples, modes)
    schema = api_schema(
        source, path=path, max_examples=max_examples, seed=seed, modes=chosen, base_url=base_url
    )
    return ApiSuite(schema, max_examples, seed, chosen)
