"""The nginx router's pinned route (routers/base.py: the route contract), with real nginx and two
real HTTP servers: while a rollout pins the new version, every request through the router's
verify port reaches it whatever the weights and is logged apart from user traffic; users, even
sending the pin header themselves, get the weighted split and never reach the application with
that header; without a pin the verify port is the weighted split too."""

from __future__ import annotations

import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.analysis import parse_lines
from pytest_pyramid.deploy.processes import free_port
from pytest_pyramid.deploy.routers.nginx import PIN_HEADER, PIN_VALUE, NginxRouter

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


class Named(ThreadingHTTPServer):
    """Answers every GET with its name, and whether the pin header reached it."""

    def __init__(self, name: str) -> None:
        self.name = name

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                seen = "header" if self.headers.get(PIN_HEADER) is not None else "clean"
                body = f"{name} {seen}\n".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return None

        super().__init__(("127.0.0.1", 0), Handler)  # the kernel's port: bound, no race
        self.daemon_threads = True

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def servers() -> Iterator[tuple[Named, Named]]:
    pair = (Named("stable"), Named("canary"))
    threads = [threading.Thread(target=s.serve_forever, args=(0.05,), daemon=True) for s in pair]
    for thread in threads:
        thread.start()
    yield pair
    for server in pair:
        server.shutdown()
        server.server_close()


@pytest.fixture
def router(tmp_path: Path, nginx: str) -> Iterator[NginxRouter]:
    found = NginxRouter(tmp_path / "work", port=free_port(), binary=nginx)
    yield found
    found.stop(timeout=5.0)


def pinned_of(router: NginxRouter) -> str | None:
    """What the split's admin port says is pinned (the live configuration's own answer)."""
    live = router.actual()
    assert live is not None
    return live.pinned


def get(url: str, header: str | None = None) -> str:
    request = urllib.request.Request(url, headers={PIN_HEADER: header} if header else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.read().decode().strip())


def logged(path: Path | None, total: int) -> dict[str, int]:
    """Requests per version in an access log, once it holds ``total`` of them: nginx writes a
    line after its response is sent, so a client may read the log a moment before it."""
    assert path is not None
    deadline = time.monotonic() + 30.0
    while True:
        lines = path.read_text().splitlines() if path.exists() else []
        found = {addr: s.requests for addr, s in parse_lines(lines).upstreams.items()}
        if sum(found.values()) >= total or time.monotonic() >= deadline:
            return found
        time.sleep(0.02)


def test_the_pin_reaches_the_new_version_only_through_the_verify_port_and_only_while_pinned(
    router: NginxRouter, servers: tuple[Named, Named]
) -> None:
    stable, canary = servers
    assert router.ensure_running({stable.addr: 100}).ok
    pinned_url = router.pinned_url
    assert pinned_url is not None
    assert pinned_url != router.url
    # no rollout: the verify port is the weighted split, nothing is logged as pinned
    assert get(pinned_url) == "stable clean"
    assert pinned_of(router) is None

    weights = {stable.addr: 99, canary.addr: 1}
    assert router.apply(weights, pinned=canary.addr).ok
    assert pinned_of(router) == canary.addr
    # the verify port: the new version every time, whatever its 1% weight, header removed
    assert [get(pinned_url) for _ in range(20)] == ["canary clean"] * 20
    # users, forging the header on the public port or the split's own: the weighted split
    # (one pick in a hundred is the canary's), and the application never sees the header
    users = [get(router.url, PIN_VALUE) for _ in range(20)]
    direct = [get(f"http://127.0.0.1:{router.split_port}", "stable") for _ in range(20)]
    assert users.count("stable clean") >= 19
    assert direct.count("stable clean") >= 19
    assert set(users + direct) <= {"stable clean", "canary clean"}
    assert logged(router.pinned_log_path, 20) == {canary.addr: 20}  # the verify run's, apart
    assert sum(logged(router.log_path, 41).values()) == 41  # users' (and the unpinned probe)

    assert router.apply({stable.addr: 100}).ok  # the rollout ended: the pin with it
    assert get(pinned_url) == "stable clean"
    assert sum(logged(router.log_path, 42).values()) == 42  # no pin: logged as any request
    assert logged(router.pinned_log_path, 20) == {canary.addr: 20}
