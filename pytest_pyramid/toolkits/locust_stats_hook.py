"""Writes Locust's own final statistics; loaded *by Locust* in its process, never by pytest.

``run_locust`` passes this file to Locust next to the user's locustfile
(``-f locustfile.py,locust_stats_hook.py``). When the run ends (Locust's ``quitting`` event,
once every user has stopped) it writes Locust's own ``--csv`` requests table - one row per
endpoint and the ``Aggregated`` row, with Locust's percentiles and requests/s - to the path in
``$PYRAMID_LOCUST_FINAL_STATS``.

Why not Locust's own files (measured with Locust 2.47):

* ``--csv`` rewrites ``PREFIX_stats.csv`` once a second and not again on shutdown, so it misses
  the last second of requests (527 of 711 in a 3 s run);
* ``--json-file`` (and ``--json``) is final but has no aggregate and no percentiles, and
  writing it *resets* every endpoint's statistics (``StatsEntry.get_stripped_report``), so
  anything reading them afterwards - the ``quit`` event included - sees zeros.
"""

from __future__ import annotations

import csv
import os
from typing import Any

from locust import events as locust_events
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

TARGET_ENV = "PYRAMID_LOCUST_FINAL_STATS"
#: Locust's event hooks are untyped.
events: Any = locust_events


def _write_final_stats(environment: Any, **_: Any) -> None:
    target = os.environ.get(TARGET_ENV)
    if not target:
        return
    runner = environment.runner
    if runner is not None:
        # Already stopped when the run ended by itself (-t, runner.quit()); after a SIGTERM
        # the users still run, and Locust would stop them right after this event anyway.
        runner.stop()
    partial = f"{target}.partial"
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        StatsCSV(environment, PERCENTILES_TO_REPORT).requests_csv(csv.writer(handle))
    os.replace(partial, target)  # the reader never sees half a table


events.quitting.add_listener(_write_final_stats)
