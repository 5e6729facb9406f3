"""Who listens on a port is asked of the kernel's socket table for listeners alone
(sock_diag): /proc/net/tcp lists every TIME_WAIT socket of a busy host too (tens of thousands
on CI, a quarter second and more per read, several reads per deploy). Both routes must name the
same sockets: real sockets of this process, IPv4 and IPv6, listening or not."""

from __future__ import annotations

import contextlib
import os
import socket
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy import processes

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def sockets() -> Iterator[dict[str, socket.socket]]:
    """A listener on each family, a bound socket that does not listen, and a connected one."""
    made: dict[str, socket.socket] = {}
    with contextlib.ExitStack() as stack:
        for name, family, host in (("v4", socket.AF_INET, "127.0.0.1"),
                                   ("v6", socket.AF_INET6, "::1")):
            one = stack.enter_context(socket.socket(family))
            try:
                one.bind((host, 0))
            except OSError:
                pytest.skip(f"no {host} here")
            one.listen()
            made[name] = one
        bound = stack.enter_context(socket.socket())
        bound.bind(("127.0.0.1", 0))
        made["bound"] = bound
        client = stack.enter_context(socket.create_connection(made["v4"].getsockname()[:2]))
        made["client"] = client
        yield made


def _inode(one: socket.socket) -> str:
    return str(os.fstat(one.fileno()).st_ino)


def _port(one: socket.socket) -> int:
    port: int = one.getsockname()[1]
    return port


def test_the_kernel_names_the_listeners_on_the_ports_asked(
        sockets: dict[str, socket.socket]) -> None:
    ports = [_port(one) for one in sockets.values()]
    expected = {_inode(sockets[name]): _port(sockets[name]) for name in ("v4", "v6")}
    assert processes._diag_listening() is not None  # linux: the kernel answered
    assert processes._listening_inodes(ports) == expected
    assert processes._proc_listening(set(ports)) == expected  # the route it replaces agrees


def test_a_port_not_asked_is_left_out(sockets: dict[str, socket.socket]) -> None:
    assert processes._listening_inodes([_port(sockets["v6"])]) == {
        _inode(sockets["v6"]): _port(sockets["v6"])}


def test_listeners_are_named_by_their_process(sockets: dict[str, socket.socket]) -> None:
    ports = {_port(sockets["v4"]), _port(sockets["v6"])}
    found = processes.listeners([*ports, _port(sockets["bound"])])
    assert found.get(os.getpid()) == ports
