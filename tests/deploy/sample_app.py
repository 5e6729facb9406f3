"""A tiny HTTP service for the deploy tests, with failure modes chosen on the command line.

    python sample_app.py --port 8001 --mode good|error|slow|crash|unhealthy
        [--error-rate 0.5] [--delay 0.8] [--crash-after 50]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", default="good",
                        choices=("good", "error", "slow", "crash", "unhealthy"))
    parser.add_argument("--error-rate", type=float, default=0.5)
    parser.add_argument("--delay", type=float, default=0.8)
    parser.add_argument("--crash-after", type=int, default=50)
    parser.add_argument("--name", default=os.environ.get("PYRAMID_COMMIT", "app")[:12])
    args = parser.parse_args()
    pid_dir = os.environ.get("SAMPLE_APP_PID_DIR")
    if pid_dir:  # lets the tests stop every process they caused, even after a SIGKILLed deploy
        with open(os.path.join(pid_dir, f"{os.getpid()}.pid"), "w") as handle:
            handle.write(str(os.getpid()))
    served = 0
    lock = threading.Lock()
    rng = random.Random(1)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as nginx's upstream keepalive expects
        # One write per response: headers and body in separate segments meet delayed ACKs.
        wbufsize = -1
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            nonlocal served
            if self.path == "/healthz":
                self.reply(503 if args.mode == "unhealthy" else 200, b"ok\n")
                return
            with lock:
                served += 1
                count = served
                fail = args.mode == "error" and rng.random() < args.error_rate
            if args.mode == "crash" and count > args.crash_after:
                os._exit(17)
            if args.mode == "slow":
                time.sleep(args.delay)
            body = f"{args.name} {count}\n".encode()
            self.reply(500 if fail else 200, body)

        def reply(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *log_args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main()
