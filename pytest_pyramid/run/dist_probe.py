"""What an interpreter has installed of some distributions: version and a digest of the code
files its ``RECORD`` lists. One function for both ends: the run records what the tested code
imported (``run/distributions.py``), and the deploy gate runs *this file* as a script under the
interpreter a release will run on (``deploy/libraries.py``), so both sides digest alike.

Standard library only, no package import: the release's interpreter need not have
pytest-pyramid installed (run as ``python -I dist_probe.py`` with a JSON list of names on stdin;
prints ``{name: [version, digest] | null}``).

The digest covers the files a distribution installed as its code: ``RECORD``'s lines (path and
hash) sorted, without the lines an install writes differently in every environment: the
``.dist-info`` folder's own files (``INSTALLER``, ``direct_url.json``, ``RECORD``), bytecode,
and files outside the install folder (``../../../bin/tool`` scripts, whose ``#!`` line names
the environment's interpreter). ``None`` when the distribution has no ``RECORD`` (Debian's
``.egg-info``): its version alone is compared.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys


def normalize(name: str) -> str:
    """A distribution's name as PEP 503 compares it (``Pytest_XDist`` -> ``pytest-xdist``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def record_digest(text: str | None) -> str | None:
    """The digest of a ``RECORD``'s code lines (see the module doc); None without a RECORD."""
    if text is None:
        return None
    kept: list[str] = []
    for line in text.splitlines():
        path, _, rest = line.partition(",")
        path = path.strip('"')
        top = path.split("/", 1)[0]
        if not path or path.startswith(("../", "/")) or top.endswith(".dist-info") or \
                "__pycache__/" in path or path.endswith((".pyc", ".pyo")):
            continue
        kept.append(f"{path},{rest.partition(',')[0]}")
    return "sha256:" + hashlib.sha256("\n".join(sorted(kept)).encode()).hexdigest()


def installed(names: list[str]) -> dict[str, list[str | None] | None]:
    """For each name, this interpreter's ``[version, digest]`` of it (None: not installed)."""
    from importlib.metadata import PackageNotFoundError, distribution

    found: dict[str, list[str | None] | None] = {}
    for name in names:
        try:
            dist = distribution(name)
            found[name] = [str(dist.version), record_digest(dist.read_text("RECORD"))]
        except (PackageNotFoundError, ValueError, OSError):
            found[name] = None
    return found


if __name__ == "__main__":
    asked = json.load(sys.stdin)
    json.dump(installed([str(name) for name in asked]), sys.stdout)
