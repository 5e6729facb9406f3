"""``python -m pytest_pyramid.deploy`` is the ``pyramid`` command (usage errors exit 3)."""

from __future__ import annotations

import sys

from pytest_pyramid.cli import main

sys.exit(main())
