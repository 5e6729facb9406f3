"""Live servers for integration, contract, e2e and performance tests.

An ASGI app runs under uvicorn in a thread of the test process (so state handlers and
fixtures can touch its data), a WSGI app under the standard library's threading server,
and any other program as a subprocess. Every server listens on a free port of 127.0.0.1,
is only handed out once its health URL answers, and stops cleanly.

Under xdist each worker starts its own servers: session fixtures are per worker, ports
come from the kernel, and nothing is shared between workers.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from types import TracebackType

LOOPBACK = "127.0.0.1"
DEFAULT_START_TIMEOUT = 15.0
DEFAULT_STOP_TIMEOUT = 5.0


class ServerError(PyramidError):
    """A live server that did not start (or did not stop) as asked."""


@dataclass
class LiveServer:
    """A running server; ``url`` has no trailing slash."""

    host: str
    port: int
    kind: str
    _stop: Callable[[], None] = field(repr=False)
    log_path: Path | None = None
    _stopped: bool = field(default=False, repr=False)
    #: https only for a deployed target (--pyramid-target); the servers started here are http
    scheme: str = "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def url_for(self, path: str) -> str:
        return self.url + ("" if path.startswith("/") else "/") + path

    def stop(self) -> None:
        """Stop the server; calling it twice is harmless."""
        if not self._stopped:
            self._stopped = True
            self._stop()

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def free_port(host: str = LOOPBACK) -> int:
    """A port the kernel just reported free (another process may take it before you do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def is_asgi(app: object) -> bool:
    """ASGI apps are coroutine callables (``async def __call__(scope, receive, send)``)."""
    if inspect.iscoroutinefunction(app):
        return True
    # Look the method up on the class: instances of ASGI app classes are the common case.
    for klass in type(app).__mro__:
        if "__call__" in klass.__dict__:
            return inspect.iscoroutinefunction(klass.__dict__["__call__"])
    return False


def probe(url: str, timeout: float = 1.0) -> int | None:
    """The HTTP status ``url`` answers with, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None


def wait_until_healthy(
    url: str,
    *,
    timeout: float = DEFAULT_START_TIMEOUT,
    died: Callable[[], str | None] = lambda: None,
) -> None:
    """Poll ``url`` until it answers 2xx/3xx; fail early when ``died()`` gives a reason."""
    deadline = time.monotonic() + timeout
    last: int | None = None
    delay = 0.02
    while True:
        reason = died()
        if reason is not None:
            raise ServerError(f"server for {url} stopped before it was healthy: {reason}")
        last = probe(url)
        if last is not None and 200 <= last < 400:
            return
        if time.monotonic() >= deadline:
            seen = "no answer" if last is None else f"last status {last}"
            raise ServerError(f"{url} was not healthy within {timeout:g}s ({seen})")
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


def _bound_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServerError(f"cannot listen on {host}:{port}: {exc}") from exc
    return sock


def serve_asgi(
    app: Any,
    *,
    health_path: str = "/",
    host: str = LOOPBACK,
    port: int = 0,
    timeout: float = DEFAULT_START_TIMEOUT,
) -> LiveServer:
    """Run an ASGI app under uvicorn in a daemon thread of this process."""
    import uvicorn

    # Binding ourselves and handing uvicorn the socket avoids the pick-a-port-then-bind race.
    sock = _bound_socket(host, port)
    bound_port: int = sock.getsockname()[1]
    # log_config=None: uvicorn's default dictConfig would rewire the test process's logging.
    config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{bound_port}", daemon=True
    )

    def stop() -> None:
        server.should_exit = True
        thread.join(DEFAULT_STOP_TIMEOUT)
        if thread.is_alive():
            server.force_exit = True
            thread.join(DEFAULT_STOP_TIMEOUT)
        sock.close()
        if thread.is_alive():
            raise ServerError(f"uvicorn on port {bound_port} did not stop")

    live = LiveServer(host, bound_port, "asgi", stop)
    thread.start()
    try:
        wait_until_healthy(
            live.url_for(health_path),
            timeout=timeout,
            died=lambda: None if thread.is_alive() else "the uvicorn thread exited",
        )
    except BaseException:
        live.stop()
        raise
    return live


def serve_wsgi(
    app: Any,
    *,
    health_path: str = "/",
    host: str = LOOPBACK,
    port: int = 0,
    timeout: float = DEFAULT_START_TIMEOUT,
) -> LiveServer:
    """Run a WSGI app under the standard library's threading WSGI server."""
    import socketserver
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Keep request lines out of the test output."""

    try:
        httpd = make_server(host, port, app, ThreadingServer, QuietHandler)
    except OSError as exc:
        raise ServerError(f"cannot listen on {host}:{port}: {exc}") from exc
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True

    def stop() -> None:
        httpd.shutdown()
        httpd.server_close()
        thread.join(DEFAULT_STOP_TIMEOUT)

    live = LiveServer(host, httpd.server_port, "wsgi", stop)
    thread.start()
    try:
        wait_until_healthy(live.url_for(health_path), timeout=timeout)
    except BaseException:
        live.stop()
        raise
    return live


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def serve_command(
    argv: Sequence[str],
    *,
    health_path: str = "/",
    host: str = LOOPBACK,
    port: int = 0,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    log_path: Path | None = None,
    timeout: float = DEFAULT_START_TIMEOUT,
) -> LiveServer:
    """Run any command as a server; ``{host}`` and ``{port}`` in argv and env are filled in.

    The process gets its own session so stopping it also stops its children. Output goes
    to ``log_path`` (shown when the server fails to start).
    """
    if not argv:
        raise ServerError("serve_command needs a command to run")
    chosen = port or free_port(host)
    fill = {"host": host, "port": str(chosen)}
    args = [part.format(**fill) for part in argv]
    full_env = dict(os.environ)
    full_env.update({key: value.format(**fill) for key, value in (env or {}).items()})
    log = log_path or Path(os.devnull)
    with open(log, "ab") as out:
        try:
            process = subprocess.Popen(
                args, cwd=cwd, env=full_env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        except OSError as exc:
            raise ServerError(f"cannot start {args[0]!r}: {exc}") from exc

    def stop() -> None:
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(DEFAULT_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(DEFAULT_STOP_TIMEOUT)

    def died() -> str | None:
        code = process.poll()
        if code is None:
            return None
        tail = _tail(log) if log_path else ""
        return f"exit code {code}" + (f"; last output:\n{tail}" if tail else "")

    live = LiveServer(host, chosen, "command", stop, log_path=log_path)
    try:
        wait_until_healthy(live.url_for(health_path), timeout=timeout, died=died)
    except BaseException:
        live.stop()
        raise
    return live


def serve(
    target: Any,
    *,
    health_path: str = "/",
    host: str = LOOPBACK,
    port: int = 0,
    timeout: float = DEFAULT_START_TIMEOUT,
    **command_options: Any,
) -> LiveServer:
    """Serve an ASGI app, a WSGI app, or a command (a list/tuple of strings)."""
    if isinstance(target, (list, tuple)):
        return serve_command(
            target, health_path=health_path, host=host, port=port, timeout=timeout,
            **command_options,
        )
    if command_options:
        raise TypeError(f"options {sorted(command_options)} only apply to commands")
    if is_asgi(target):
        return serve_asgi(target, health_path=health_path, host=host, port=port, timeout=timeout)
    if callable(target):
        return serve_wsgi(target, health_path=health_path, host=host, port=port, timeout=timeout)
    raise TypeError(f"cannot serve {target!r}: expected an ASGI/WSGI app or a command list")
