"""A tiny HTTP service for the deploy tests, with failure modes chosen on the command line.

    python sample_app.py --port 8001
        --mode good|error|slow|tail|crash|unhealthy|hang|missing|truncated|cut-chunked|signin
        [--error-rate 0.5] [--delay 0.8] [--tail-share 0.1] [--crash-after 50] [--fail-file PATH]
        [--fail-health] [--fail-start] [--start-delay 0] [--name NAME | --name-file FILE]
        [--stop-hold MARK HOLD] [--gone-file PATH]

``--fail-file PATH``: while PATH exists every API request fails with 500 (health stays fine
unless ``--fail-health``): a fault the test switches on at the moment it chooses. With
``--fail-start``, a process started while PATH exists exits at once (status 1): a version that
cannot be started again fails its health check now, not after the deploy's ``health_timeout``.
``--gone-file PATH``: while PATH exists ``/checkout`` answers 404, every other path as before (a
route the release lost: hostile case 464). ``--mode missing``: every API request answers 404
(health stays fine). ``--mode truncated``:
every API request gets 200 headers promising 92 bytes more than the body sent, then the
connection closes (an answer cut short); ``--mode cut-chunked`` the same with a chunked answer
(one chunk, no last one). ``--mode signin``: every API request but ``/login`` answers
``302 Location: /login`` (every user signed out: a rotated session secret). ``--mode
tail``: a share ``--tail-share`` of API requests (every n-th, deterministic) waits
``--delay`` (a slow tail: the median and a p95 threshold barely move).
``--name-file FILE``: the first word of every body is read from FILE in the working folder,
so a test can tell which checkout of the code is serving.
``--stop-hold MARK HOLD``: on SIGTERM the app writes MARK, then exits only once HOLD is gone. A
test learns by MARK that the deployer has reached "stop the new version" (after it moved the
traffic), and holds it there, within its ``stop_timeout``, until the test removes HOLD: what
the deployer does after the stop happens after the test's step, by construction, not by timing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", default="good",
                        choices=("good", "error", "slow", "tail", "crash", "unhealthy", "hang",
                                 "missing", "truncated", "cut-chunked", "signin"))
    parser.add_argument("--error-rate", type=float, default=0.5)
    parser.add_argument("--delay", type=float, default=0.8)
    parser.add_argument("--tail-share", type=float, default=0.1)
    parser.add_argument("--crash-after", type=int, default=50)
    parser.add_argument("--fail-file", default=None)
    parser.add_argument("--fail-health", action="store_true")
    parser.add_argument("--fail-start", action="store_true")
    parser.add_argument("--start-delay", type=float, default=0.0)
    parser.add_argument("--name", default=os.environ.get("PYRAMID_COMMIT", "app")[:12])
    parser.add_argument("--name-file", default=None)
    parser.add_argument("--gone-file", default=None)
    parser.add_argument("--stop-hold", nargs=2, metavar=("MARK", "HOLD"), default=None)
    args = parser.parse_args()
    pid_dir = os.environ.get("SAMPLE_APP_PID_DIR")
    if pid_dir:  # lets the tests stop every process they caused, even after a SIGKILLed deploy
        with open(os.path.join(pid_dir, f"{os.getpid()}.pid"), "w") as handle:
            handle.write(str(os.getpid()))
    if args.fail_start and args.fail_file is not None and os.path.exists(args.fail_file):
        raise SystemExit(f"{args.fail_file} exists: this version cannot start")
    if args.name_file:
        with open(args.name_file) as handle:
            args.name = handle.read().split()[0]
    time.sleep(args.start_delay)
    served = 0
    lock = threading.Lock()
    rng = random.Random(1)

    every = max(1, round(1 / args.tail_share)) if args.tail_share > 0 else 0

    def in_tail(count: int) -> bool:
        return every > 0 and count % every == 0

    def failing() -> bool:
        return args.fail_file is not None and os.path.exists(args.fail_file)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as nginx's upstream keepalive expects
        # One write per response: headers and body in separate segments meet delayed ACKs.
        wbufsize = -1
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            nonlocal served
            if self.path == "/healthz":
                bad = args.mode == "unhealthy" or (args.fail_health and failing())
                self.reply(503 if bad else 200, b"ok\n")
                return
            with lock:
                served += 1
                count = served
                fail = (args.mode == "error" and rng.random() < args.error_rate) or failing()
            if args.mode == "crash" and count > args.crash_after:
                os._exit(17)
            if args.mode == "slow" or (args.mode == "tail" and in_tail(count)):
                time.sleep(args.delay)
            if args.mode == "hang":
                time.sleep(3600)
            body = f"{args.name} {count}\n".encode()
            if args.mode == "truncated":  # 200 headers promising more than is sent, then close
                self.reply(200, body, promised=len(body) + 92)
                self.close_connection = True
                return
            if args.mode == "signin" and self.path != "/login":
                self.send_response(302)
                self.send_header("Location", "/login")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if args.mode == "cut-chunked":  # one chunk of a chunked answer, then close
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(body), body))
                self.close_connection = True
                return
            gone = self.path == "/checkout" and args.gone_file is not None and \
                os.path.exists(args.gone_file)
            self.reply(500 if fail else 404 if args.mode == "missing" or gone else 200, body)

        def do_POST(self) -> None:
            # echoes what it received: the body's length and the largest header's length
            length = int(self.headers.get("Content-Length") or 0)
            received = len(self.rfile.read(length)) if length else 0
            widest = max((len(v) for v in self.headers.values()), default=0)
            self.reply(200, f"{args.name} body={received} header={widest}\n".encode())

        def reply(self, status: int, body: bytes, promised: int | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body) if promised is None else promised))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *log_args: object) -> None:
            return None

    if args.stop_hold:
        hold_stop(*args.stop_hold)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever(poll_interval=0.1)


def hold_stop(mark: str, hold: str) -> None:
    def stop(signum: int, frame: object) -> None:
        with open(mark, "w") as handle:
            handle.write(str(os.getpid()))
        while os.path.exists(hold):
            time.sleep(0.05)
        os._exit(0)  # the server's threads need not finish: the deployer drained them

    signal.signal(signal.SIGTERM, stop)


if __name__ == "__main__":
    main()
