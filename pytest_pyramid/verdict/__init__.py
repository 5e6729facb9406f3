"""The verdict stage: the document and its schema, the decision rule, provenance, trust and
signatures. Readers need only :func:`load_verdict` and :func:`decide`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Loaded on first use: the pytest entry point ``markers`` reads the report kinds
# (``verdict/report_kinds.py``) in every pytest run, which must not pay for the document's
# schema machinery (20-70 ms measured) just by entering this package.
_LAZY = {
    "approvals_needed": "pytest_pyramid.verdict.decision",
    "decide": "pytest_pyramid.verdict.decision",
    **{name: "pytest_pyramid.verdict.document" for name in (
        "DECISIONS", "SCHEMA_VERSION", "Decision", "Verdict", "load_verdict", "schema_errors",
        "validate_verdict")},
}


def __getattr__(name: str) -> Any:
    from pytest_pyramid import lazy_attribute

    return lazy_attribute(__name__, globals(), _LAZY, name)
