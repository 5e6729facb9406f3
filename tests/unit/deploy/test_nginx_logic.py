"""The router's programs are the host's (hostile case 279): a name is found on the host's fixed
search path, never on the caller's PATH."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.routers.nginx import HOST_PROGRAM_PATH, NginxRouter, host_program

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(("name", "expected"), [
    ("sh", "host"),                          # a name: the host's, not the caller's first
    ("no-such-program-279", "/usr/local/sbin/no-such-program-279"),  # fails its start, named
    ("/opt/nginx/sbin/nginx", "/opt/nginx/sbin/nginx"),  # a path (tracked): kept
])
def test_a_program_named_without_a_folder_is_found_on_the_host_s_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, expected: str,
) -> None:
    for planted in ("sh", "no-such-program-279"):  # the caller's PATH offers its own
        (tmp_path / planted).write_text("#!/bin/sh\nexit 0\n")
        (tmp_path / planted).chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    got = host_program(name)
    assert not got.startswith(str(tmp_path))
    if expected == "host":
        assert os.path.dirname(got) in HOST_PROGRAM_PATH.split(":")
    else:
        assert got == expected


def test_the_router_runs_the_host_s_nginx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "nginx").write_text("#!/bin/sh\nexit 0\n")
    (tmp_path / "nginx").chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    router = NginxRouter(tmp_path / "work", port=18279)
    assert router.binary != str(tmp_path / "nginx")
    assert os.path.dirname(router.binary) in HOST_PROGRAM_PATH.split(":")


@pytest.mark.parametrize(("title", "ours"), [
    ("nginx: master process nginx -p {edge} -c {edge}/nginx.conf", True),
    ("nginx: master process nginx -p {split} -e x -c {split}/nginx.conf", True),
    # hostile case 282: the host's own nginx (no -p), listening on our port, is not ours
    ("nginx: master process /usr/sbin/nginx -g daemon on; master_process on;", False),
    ("nginx: master process nginx -c /etc/nginx/nginx.conf", False),
    # hostile case 228: another work folder's router
    ("nginx: master process nginx -p /srv/other/router/edge -c x", False),
])
def test_only_a_router_with_our_prefix_is_ours_to_stop(
        tmp_path: Path, title: str, ours: bool) -> None:
    import subprocess
    import time

    from pytest_pyramid.deploy.processes import cmdline

    router = NginxRouter(tmp_path / "work", port=18282)
    argv0 = title.format(edge=router.edge.prefix, split=router.split.prefix)
    # a real process titled as that master, leading its own process group
    master = subprocess.Popen([argv0, "60"], executable="sleep", start_new_session=True)
    try:
        deadline = time.monotonic() + 60  # its title is the exec'd one (polled: a loaded host)
        while not cmdline(master.pid).startswith("nginx:") and time.monotonic() < deadline:
            time.sleep(0.01)
        assert router._ours(master.pid) is ours
    finally:
        master.kill()
        master.wait()
