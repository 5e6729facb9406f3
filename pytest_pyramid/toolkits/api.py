"""API conformance and negative testing with Schemathesis 4.x, bounded for CI.

``api_schema`` loads an OpenAPI schema from an ASGI app (requests go straight into the
app, no server needed) or from a URL, with a fixed seed and an example budget so a CI
run is reproducible and its cost known. The tests it makes live in whichever tier their
file belongs to (``tests/security`` or ``tests/contract``)::

    schema = api_schema(app, max_examples=25)

    @schema.parametrize()
    def test_api(case):
        case.call_and_validate()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    from collections.abc import Iterable

DEFAULT_SEED = 1
DEFAULT_MAX_EXAMPLES = 25
#: Both: valid data must be accepted, invalid data rejected with a 4xx.
DEFAULT_MODES: tuple[str, ...] = ("positive", "negative")


class ApiSchemaError(PyramidError):
    """The schema could not be loaded or the options are out of range."""


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
