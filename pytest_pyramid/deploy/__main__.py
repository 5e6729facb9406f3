from __future__ import annotations

import sys

from pytest_pyramid.deploy.cli import main

sys.exit(main())
