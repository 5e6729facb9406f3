"""A command (an argument list, no shell) that prints the number, or the file source's JSON, on
its standard output; ``{version}`` in an argument is the commit judged. A non-zero exit or a
time-out is no number."""

from __future__ import annotations

import subprocess
import time
from typing import TYPE_CHECKING

from pytest_pyramid.gates.sources import Raw, SourceError, substitute
from pytest_pyramid.gates.sources.file import parse_text

if TYPE_CHECKING:
    from pytest_pyramid.gates.sources import Metric, Spawn

KIND = "command"
OPTIONS = {
    "command": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                "description": 'the argument list to run, e.g. ["./probe", "{version}"]'},
}


def fetch(metric: Metric, version: str, timeout: float, instance: str = "",
          root: str = "", spawn: Spawn | None = None) -> Raw:
    argv = metric.options["command"]
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        raise SourceError(f"command {argv!r} is not a list of strings")
    argv = [substitute(arg, version, instance) for arg in argv]
    try:
        # ``root``: a rollout runs the commit's probe from its release, never the deploying
        # checkout's working tree (hostile case 232)
        # ``spawn``: as the versions run (hostile case 273: under run_as, the probe ran as the
        # deploy account and could open the supervisor's lease)
        done = subprocess.run(argv, capture_output=True, timeout=timeout, check=False,
                              cwd=root or None, stdin=subprocess.DEVNULL,
                              env=None if spawn is None else dict(spawn.env),
                              user=None if spawn is None else spawn.user,
                              group=None if spawn is None else spawn.group,
                              extra_groups=None if spawn is None or spawn.user is None else [])
    except subprocess.TimeoutExpired:
        raise SourceError(f"{argv[0]} did not finish in {timeout:g}s") from None
    except OSError as exc:
        raise SourceError(f"{argv[0]} could not run ({exc.strerror or exc})") from None
    if done.returncode != 0:
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise SourceError(f"{argv[0]} exited {done.returncode} {last[0][:200]}".rstrip())
    return parse_text(done.stdout.decode("utf-8", "replace"), time.time())
