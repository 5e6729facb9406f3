"""Deploy a verdict-gated release: approvals, canary / blue-green rollouts behind nginx, history."""

from __future__ import annotations
