"""The verdict stage: the document and its schema, the decision rule, provenance, trust and
signatures. Readers need only :func:`load_verdict` and :func:`decide`."""

from __future__ import annotations

from pytest_pyramid.verdict.decision import approvals_needed, decide
from pytest_pyramid.verdict.document import (
    DECISIONS,
    SCHEMA_VERSION,
    Decision,
    Verdict,
    load_verdict,
    schema_errors,
    validate_verdict,
)

__all__ = [
    "DECISIONS",
    "SCHEMA_VERSION",
    "Decision",
    "Verdict",
    "approvals_needed",
    "decide",
    "load_verdict",
    "schema_errors",
    "validate_verdict",
]
