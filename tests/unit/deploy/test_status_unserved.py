"""``pyramid status`` judges what users get (hostile case 378): a request the router answered
itself, with no upstream, means no release served it, whatever the weights say."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import pytest

from pytest_pyramid.deploy.status import _unserved

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_pyramid.deploy.routers.base import Router

SERVED = "1.0|200|127.0.0.1:9001|200|0.001|0.002|5|5|GET|/api/items"
MAINTENANCE = "2.0|200|-|-|-|0.000|-|-|GET|/api/items"
BAD_REQUEST = "3.0|400|-|-|-|0.000|-|-|-|-"


@pytest.mark.parametrize(("lines", "problem"), [
    ([], False),
    ([SERVED] * 5, False),
    ([BAD_REQUEST, SERVED], False),        # nginx refusing a malformed request: the client's
    ([SERVED, MAINTENANCE], True),         # an include's location answered a user
    ([MAINTENANCE] + [SERVED] * 300, False),  # long ago: outside the last requests read
    (["garbage", SERVED], False),
    ([SERVED, MAINTENANCE.replace("/api/items", "/a|b")], True),  # a path holding "|"
    ([SERVED, "2.0|200|-|-|-|0.000"], False),  # another format's line: not this router's
])
def test_requests_answered_without_an_upstream_are_a_problem(
        tmp_path: Path, lines: list[str], problem: bool) -> None:
    log = tmp_path / "access.log"
    log.write_text("".join(f"{line}\n" for line in lines))
    found = _unserved(cast("Router", SimpleNamespace(log_path=log)))
    assert bool(found) is problem
    if problem:
        assert "answered by the router itself" in found[0]
        assert "no release serves them" in found[0]


def test_no_log_is_no_finding(tmp_path: Path) -> None:
    router = cast("Router", SimpleNamespace(log_path=tmp_path / "missing.log"))
    assert _unserved(router) == []
