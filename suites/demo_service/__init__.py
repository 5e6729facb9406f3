"""A small inventory and orders service: the code under test of the demo pyramid."""

from __future__ import annotations
