"""The router must not change the application's behaviour: request bodies and headers of any
size the application takes pass (nginx's default answers 413 above 1 MiB), and a changed
request_timeout reaches the edge at the next deploy. Real nginx."""

from __future__ import annotations

import urllib.request
from typing import TYPE_CHECKING

from tests.support.deploy.load import Clients

if TYPE_CHECKING:
    from tests.support.deploy.helpers import Project


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.read().decode()


def test_large_bodies_and_headers_pass_the_router(deployed: tuple[Project, str]) -> None:
    project, first = deployed
    big = 5 * 1024 * 1024  # 5 MiB: nginx's default limit is 1 MiB
    status, body = post(project.url + "upload", b"x" * big)
    assert status == 200
    assert body.split() == [first[:12], f"body={big}", body.split()[2]]
    cookie = "c=" + "y" * 30_000  # nginx's default header buffers (8k) answer 400
    status, body = post(project.url + "upload", b"", {"Cookie": cookie})
    assert status == 200
    assert f"header={len(cookie)}" in body


def test_a_changed_request_timeout_reaches_the_edge(deployed: tuple[Project, str]) -> None:
    project, _ = deployed
    edge = project.work_dir / "router" / "edge" / "nginx.conf"
    before = edge.read_text()
    # the edge waits at least 10 minutes: the split enforces request_timeout (10s here)
    assert "proxy_read_timeout 600000ms;" in before
    assert "proxy_read_timeout 10000ms;" in (edge.parent.parent / "split" / "nginx.conf") \
        .read_text()
    with Clients(project.url, rate=60) as clients:
        clients.wait_for(10)
        shorter = project.run("deploy", "--redeploy", "--request-timeout", "1s")
        assert shorter.returncode == 0, shorter.stdout
        assert "edge nginx reloaded" not in shorter.stdout  # nothing to change there
        assert clients.failures == []
        project.write_config(request_timeout="400s")  # looser: only the commit may say so
        project.commit("v2")
        kept = project.run("deploy")  # judged by the serving release's limit (371)
        assert kept.returncode == 0, kept.stdout
        assert "[limits] request_timeout: kept 10.0" in kept.stdout
        longer = project.run("deploy", "--redeploy")  # once deployed, its own counts
        assert longer.returncode == 0, longer.stdout
    assert "edge nginx reloaded with new settings" in longer.stdout
    assert "proxy_read_timeout 805000ms;" in edge.read_text()  # 2 x 400s + 5s
    # nginx closes idle keep-alive connections on a reload (docs/deploy.md): a keep-alive
    # client may see its idle connection closed under it; no request gets an error answer
    assert {(r.kind, r.served) for r in clients.failures} <= {
        ("keepalive", "RemoteDisconnected"), ("keepalive", "ConnectionResetError")}
    print(f"[figure] requests lost to the edge reload: {len(clients.failures)} of "
          f"{clients.sent}")
