"""Fixtures of the tests laid out here by tools/layout_tests.py, defined once in
tests/support/ for every tier that needs them."""

from __future__ import annotations

from tests.support.deploy.fixtures import (
    approver_keys,
    database,
    deployed,
    fault_report,
    nginx,
    pg_server,
    pg_url,
    project,
    repo,
)

__all__ = [
    "approver_keys",
    "database",
    "deployed",
    "fault_report",
    "nginx",
    "pg_server",
    "pg_url",
    "project",
    "repo",
]
