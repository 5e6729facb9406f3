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


@pytest.mark.parametrize("missing", ["DEMO_DATABASE_URL", "DEMO_REDIS_URL"])
def test_app_needs_a_database_and_a_cache(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    from demo_service.app import CACHE_ENV, DATABASE_ENV, create_app

    monkeypatch.setenv(DATABASE_ENV, "postgresql://127.0.0.1:1/shop")
    monkeypatch.setenv(CACHE_ENV, "redis://127.0.0.1:1/0")
    monkeypatch.delenv(missing)
    with pytest.raises(RuntimeError, match=r"needs a PostgreSQL and a Redis URL"):
        create_app()
