"""Where a service comes from (providers in order, every attempt said) and the
``[tool.pyramid.services]`` table's own checks: pure tables, no server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.toolkits.services.providers import (
    BINARIES,
    POSTGRES,
    REDIS,
    URL,
    find,
    parse_services,
    redact,
)
from pytest_pyramid.toolkits.services.selection import ServicesConfigError, tiers_wanted

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def fake_which(present: dict[str, set[str]]) -> Callable[[str, str | None], str | None]:
    """shutil.which over a table: folder -> binaries in it (PATH is the folder "PATH")."""

    def which(name: str, path: str | None) -> str | None:
        for folder in (path or "").split(":"):
            if name in present.get(folder, set()):
                return f"{folder}/{name}"
        return None

    return which


def versioned(tmp_path: Path, *majors: str) -> Path:
    root = tmp_path / "postgresql"
    for major in majors:
        (root / major / "bin").mkdir(parents=True)
    return root


@pytest.mark.parametrize(
    ("service", "providers", "env", "present", "expected"),
    [
        # an explicit URL wins over local binaries, in the default order
        (POSTGRES, (URL, BINARIES), {"PYRAMID_POSTGRES_URL": "postgresql://u:pw@db:5432/x",
                                     "PATH": "/bin"}, {"/bin": {"initdb", "postgres"}},
         (URL, "postgresql://u:pw@db:5432/x")),
        # no URL: the binaries on PATH
        (POSTGRES, (URL, BINARIES), {"PATH": "/opt/pg/bin"},
         {"/opt/pg/bin": {"initdb", "postgres"}}, (BINARIES, "/opt/pg/bin")),
        # the order is the configuration's: binaries first
        (POSTGRES, (BINARIES, URL), {"PYRAMID_POSTGRES_URL": "postgresql://db/x",
                                     "PATH": "/bin"}, {"/bin": {"initdb", "postgres"}},
         (BINARIES, "/bin")),
        # half an install (postgres without initdb) is not a provider
        (POSTGRES, (BINARIES,), {"PATH": "/bin"}, {"/bin": {"postgres"}}, (None, None)),
        (REDIS, (URL, BINARIES), {"PYRAMID_REDIS_URL": "redis://cache:6379/2"}, {},
         (URL, "redis://cache:6379/2")),
        (REDIS, (URL, BINARIES), {"PATH": "/usr/bin"}, {"/usr/bin": {"redis-server"}},
         (BINARIES, "/usr/bin")),
        # a URL of the wrong kind is a failed attempt, never silently another server's URL
        (REDIS, (URL,), {"PYRAMID_REDIS_URL": "postgresql://db/x"}, {}, (None, None)),
        (REDIS, (URL,), {}, {}, (None, None)),
    ],
)
def test_providers_are_tried_in_order(
    service: str, providers: tuple[str, ...], env: dict[str, str],
    present: dict[str, set[str]], expected: tuple[str | None, str | None], tmp_path: Path,
) -> None:
    found = find(service, providers, env, which=fake_which(present), roots=(tmp_path / "none",))
    assert (found.provider, found.where) == expected


def test_the_versioned_debian_folders_newest_first(tmp_path: Path) -> None:
    root = versioned(tmp_path, "13", "15", "9.6")
    present = {str(root / m / "bin"): {"initdb", "postgres"} for m in ("13", "15", "9.6")}
    found = find(POSTGRES, (BINARIES,), {"PATH": "/bin"}, which=fake_which(present),
                 roots=(root,))
    assert found.where == str(root / "15" / "bin")
    assert found.attempts == (
        "binaries: PATH: no initdb, postgres",
        "binaries: pg_config --bindir: none",
        f"binaries: {root / '15' / 'bin'}",
    )


def test_pg_config_bindir_before_the_versioned_folders(tmp_path: Path) -> None:
    root = versioned(tmp_path, "15")
    present = {"/opt/pg16/bin": {"initdb", "postgres"},
               str(root / "15" / "bin"): {"initdb", "postgres"}}
    found = find(POSTGRES, (BINARIES,), {}, which=fake_which(present),
                 pg_config_bindir=lambda: "/opt/pg16/bin", roots=(root,))
    assert found.where == "/opt/pg16/bin"


def test_no_provider_names_every_attempt(tmp_path: Path) -> None:
    found = find(POSTGRES, (URL, BINARIES), {"PATH": "/bin"}, which=fake_which({}),
                 roots=(tmp_path / "postgresql",))
    assert found.provider is None
    message = found.unavailable(POSTGRES)
    assert message == (
        "no postgres server could be had: tried url: PYRAMID_POSTGRES_URL is not set; "
        "binaries: PATH: no initdb, postgres; binaries: pg_config --bindir: none; "
        f"binaries: {tmp_path / 'postgresql'}/*/bin: none"
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://app:secret@db:5432/shop", "postgresql://app:***@db:5432/shop"),
        ("postgresql://app@db/shop", "postgresql://app@db/shop"),
        ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
        ("redis://cache", "redis://cache"),
    ],
)
def test_passwords_never_reach_messages(url: str, shown: str) -> None:
    assert redact(url) == shown


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"tiers": ["integraton"]}, "tiers: 'integraton' is not a tier"),
        ({"postgres_providers": ["docker"]}, "postgres_providers: 'docker' is not a provider"),
        ({"redis_providers": []}, "redis_providers: '[]' is not a provider"),
        ({"postgres_schema": "missing.sql"}, "postgres_schema: 'missing.sql' does not exist"),
    ],
)
def test_bad_tables_are_named(table: dict[str, object], message: str, tmp_path: Path) -> None:
    with pytest.raises(ServicesConfigError, match=r"pyproject\.toml: \[tool\.pyramid\.services\]") \
            as raised:
        parse_services(table, ("unit", "integration"), "pyproject.toml", tmp_path)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("tiers", "selected", "wanted"),
    [
        ((), ("unit",), True),  # not restricted: every tier may use them
        (("integration",), ("unit",), False),  # --pyramid-tier=unit pays for no service
        (("integration",), ("unit", "integration"), True),
        (("integration",), None, True),  # no pytest-pyramid run: the fixtures are there
    ],
)
def test_registered_only_for_the_tiers_that_use_them(
    tiers: tuple[str, ...], selected: tuple[str, ...] | None, wanted: bool
) -> None:
    assert tiers_wanted(tiers, selected) is wanted


def test_a_good_table(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    settings = parse_services(
        {"tiers": ["integration"], "postgres_providers": ["binaries"], "postgres_schema": "db"},
        ("unit", "integration"), "pyproject.toml", tmp_path,
    )
    assert settings.tiers == ("integration",)
    assert settings.providers == {POSTGRES: (BINARIES,), REDIS: (URL, BINARIES)}
    assert settings.postgres_schema == tmp_path / "db"
