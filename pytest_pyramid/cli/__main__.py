"""``python -m pytest_pyramid.cli``: the ``pyramid`` command."""

from __future__ import annotations

import sys

from pytest_pyramid.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
