"""What environment a run ran in, as one comparable record: the interpreter (implementation,
full version, platform) and the installed distributions (a digest of every ``name==version``
the environment holds).

Shards of one CI run are one run only when they ran in one environment: a matrix's legs (two
Pythons, or the lowest and the latest dependencies) share the workflow's run id, and their
partials merged into one verdict took a passing leg's shards as later attempts of a failing
leg's (hostile cases 353, 359). ``pyramid merge`` compares this record across partials
(``verdict/merge.py: _IDENTITY``); the gates' pip-audit fingerprint uses the same digest.

Pure: no pytest import. Computed once per process that writes a partial (a few milliseconds
for a few hundred distributions).
"""

from __future__ import annotations

import hashlib
import platform
import sys
import sysconfig
from typing import TypedDict


class EnvironmentIdentity(TypedDict):
    implementation: str
    python: str
    platform: str
    distributions: str


def distributions_digest() -> str:
    """sha256 of the sorted ``name==version`` lines of every distribution installed where
    this interpreter imports from (names normalised as packaging does: case, ``-``/``_``/``.``)."""
    from importlib.metadata import distributions

    from pytest_pyramid.run.installed import headers

    found = set()
    # the headers as d.metadata["Name"] and d.version give them, read without parsing
    # each file whole (280 ms for 150 distributions: every shard's partial pays it)
    for name, version in (headers(d, ("name", "version")) for d in distributions()):
        if name:
            found.add(f"{_normalised(name)}=={version}")
    names = sorted(found)
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def _normalised(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def environment_identity() -> EnvironmentIdentity:
    """This process's environment (see the module docstring)."""
    return {
        "implementation": sys.implementation.name,
        "python": platform.python_version(),
        "platform": sysconfig.get_platform(),
        "distributions": distributions_digest(),
    }
