"""A Prometheus-compatible server's instant query API (``GET /api/v1/query``): exactly one
series (a vector of one sample, or a scalar) or no number."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

from pytest_pyramid.gates.sources import Raw, SourceError, substitute

if TYPE_CHECKING:
    from pytest_pyramid.gates.sources import Metric, Spawn

KIND = "prometheus"
OPTIONS = {
    "url": {"type": "string", "pattern": "^https?://",
            "description": "the server's address, e.g. http://127.0.0.1:9090"},
    "query": {"type": "string", "minLength": 1,
              "description": "a PromQL instant query giving one series; {version} is the commit"},
}


def fetch(metric: Metric, version: str, timeout: float, instance: str = "",
          root: str = "", spawn: Spawn | None = None) -> Raw:  # a URL: no folder, no process
    base = str(metric.options["url"]).rstrip("/")
    query = substitute(str(metric.options["query"]), version, instance)
    address = f"{base}/api/v1/query?{urllib.parse.urlencode({'query': query})}"
    try:
        with urllib.request.urlopen(address, timeout=timeout) as response:
            body = response.read(1_000_000)
    except urllib.error.HTTPError as exc:  # Prometheus answers 400/422/503 with a JSON error
        body = exc.read(1_000_000)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SourceError(f"{base} could not be queried ({reason})") from None
    return parse_response(body)


def parse_response(body: bytes) -> Raw:
    """The one number of an instant query's JSON answer."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        raise SourceError("the answer is not JSON") from None
    if not isinstance(data, dict) or data.get("status") != "success":
        why = data.get("error") if isinstance(data, dict) else None
        raise SourceError(f"the query failed: {why or 'no status success'}")
    result = data.get("data", {})
    kind, values = result.get("resultType"), result.get("result")
    if kind == "scalar":
        return _sample(values)
    if kind != "vector" or not isinstance(values, list):
        raise SourceError(f"a {kind} result (one vector sample or a scalar expected)")
    if len(values) != 1:
        raise SourceError(f"{len(values)} series (exactly one expected: aggregate the query)")
    return _sample(values[0].get("value") if isinstance(values[0], dict) else None)


def _sample(pair: object) -> Raw:
    if not isinstance(pair, list) or len(pair) != 2:
        raise SourceError("a sample is not [timestamp, value]")
    try:
        return Raw(float(pair[1]), float(pair[0]))  # Prometheus spells NaN/+Inf as strings
    except (TypeError, ValueError):
        raise SourceError(f"the value {pair[1]!r} is not a number") from None
