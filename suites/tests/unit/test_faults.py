from __future__ import annotations

import pytest
from demo_service.faults import active_fault


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("none", None), ("0", None), ("slow", "slow"), (" BUG ", "bug")],
)
def test_active_fault(value: str | None, expected: str | None) -> None:
    environ = {} if value is None else {"DEMO_FAULT": value}
    assert active_fault(environ) == expected


def test_unknown_fault_names_the_variable() -> None:
    with pytest.raises(ValueError, match=r"DEMO_FAULT='boom': expected one of slow, bug"):
        active_fault({"DEMO_FAULT": "boom"})


def test_app_needs_a_database(monkeypatch: pytest.MonkeyPatch) -> None:
    from demo_service.app import DB_ENV, create_app

    monkeypatch.delenv(DB_ENV, raising=False)
    with pytest.raises(RuntimeError, match=r"needs a database path"):
        create_app()
