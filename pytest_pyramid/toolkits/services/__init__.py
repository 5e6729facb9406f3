"""Real PostgreSQL and Redis for the integration tier (the ``services`` extra).

- :mod:`.selection`: whether the selected tiers need the fixtures (all a fast run imports);
- :mod:`.providers`: which server a run can have (a URL, local binaries), what was tried, and
  the ``[tool.pyramid.services]`` table; pure.
- :mod:`.records`: every server started is recorded under ``.pyramid/services/``; what a
  killed run left is reaped by the next one.
- :mod:`.servers`: starting and stopping the servers, the sealed template database and its
  per-test clones (psycopg 3, redis-py; imported only when a test asks for a service).
- :mod:`.plugin`: the fixtures ``pyramid_postgres`` and ``pyramid_redis``.
"""

from __future__ import annotations
