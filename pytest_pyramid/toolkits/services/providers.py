"""Where a PostgreSQL or Redis server comes from, in order, and what was tried: pure logic.

Providers, tried in the order ``[tool.pyramid.services]`` gives (default ``url``, then
``binaries``):

- ``url``: an explicit server (a CI service): ``PYRAMID_POSTGRES_URL`` / ``PYRAMID_REDIS_URL``;
- ``binaries``: a server of our own, started per xdist worker on a free loopback port, from
  the binaries on ``PATH``, ``pg_config --bindir``, then the distribution's versioned folders
  (``/usr/lib/postgresql/<major>/bin``, newest first, as Debian's apt installs them).

There is no embedded fallback: no in-process PostgreSQL or Redis behaves as the real server
does (fakeredis and SQLite answer other questions), and a test tier that passed on one would
read as passed on the real thing. No provider is an error that names every attempt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_pyramid.toolkits.services.selection import ServicesConfigError, services_tiers

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

POSTGRES = "postgres"
REDIS = "redis"
SERVICES = (POSTGRES, REDIS)
URL = "url"
BINARIES = "binaries"
PROVIDERS = (URL, BINARIES)
#: the environment variable each service's ``url`` provider reads
URL_VARIABLES: Mapping[str, str] = {
    POSTGRES: "PYRAMID_POSTGRES_URL",
    REDIS: "PYRAMID_REDIS_URL",
}
#: a folder (or SQL file) that replaces ``postgres_schema`` for this run: ``pyramid deploy``'s
#: schema check builds the previous release's template from the new release's migrations
SCHEMA_VARIABLE = "PYRAMID_POSTGRES_SCHEMA"
#: the verdict's ``services.used`` line saying the template was built from SCHEMA_VARIABLE
SCHEMA_USED = f"postgres: template built from {SCHEMA_VARIABLE}="
#: the binaries a local server needs, per service
BINARY_NAMES: Mapping[str, tuple[str, ...]] = {
    POSTGRES: ("initdb", "postgres"),
    REDIS: ("redis-server",),
}
#: where distributions keep versioned PostgreSQL installs (Debian/Ubuntu: apt's packages)
POSTGRES_ROOTS = (Path("/usr/lib/postgresql"),)
URL_SCHEMES: Mapping[str, tuple[str, ...]] = {
    POSTGRES: ("postgresql", "postgres"),
    REDIS: ("redis",),
}


@dataclass(frozen=True)
class ServicesSettings:
    """``[tool.pyramid.services]``: which tiers use the services, providers, the schema."""

    #: tiers whose tests use the fixtures (empty: every tier)
    tiers: tuple[str, ...] = ()
    providers: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {s: PROVIDERS for s in SERVICES}
    )
    #: the schema the template database is built from: a SQL file or a folder of them
    postgres_schema: Path | None = None


def parse_services(
    table: Mapping[str, object], tier_names: Sequence[str], source: str, project_dir: Path
) -> ServicesSettings:
    """The table's values the schema cannot check: tier names, provider names, the schema
    path (relative to the project)."""
    where = f"{source}: [tool.pyramid.services]"
    tiers = services_tiers(table, tier_names, source)
    providers = {}
    for service in SERVICES:
        key = f"{service}_providers"
        names = tuple(str(p) for p in _list(table, key, where)) if key in table else PROVIDERS
        bad = [p for p in names if p not in PROVIDERS]
        if bad or not names:
            raise ServicesConfigError(
                f"{where} {key}: {bad[0] if bad else '[]'!r} is not a provider "
                f"(one or more of: {', '.join(PROVIDERS)})"
            )
        providers[service] = names
    schema = table.get("postgres_schema")
    path = None
    if schema is not None:
        path = Path(project_dir, str(schema))
        if not path.exists():
            raise ServicesConfigError(f"{where} postgres_schema: {str(schema)!r} does not exist"
                                      f" (relative to {project_dir})")
    return ServicesSettings(tiers=tiers, providers=providers, postgres_schema=path)


def _list(table: Mapping[str, object], key: str, where: str) -> list[object]:
    value = table.get(key, [])
    if not isinstance(value, list):
        raise ServicesConfigError(f"{where} {key}: {value!r} is not a list")
    return value


@dataclass(frozen=True)
class Found:
    """A provider that can give the service, or None with every attempt said."""

    provider: str | None
    #: the URL (``url``) or the binaries' folder (``binaries``)
    where: str | None
    attempts: tuple[str, ...]

    def unavailable(self, service: str) -> str:
        tried = "; ".join(self.attempts) or "no provider is configured"
        return f"no {service} server could be had: tried {tried}"


def find(
    service: str,
    providers: Sequence[str],
    env: Mapping[str, str],
    *,
    which: Callable[[str, str | None], str | None],
    pg_config_bindir: Callable[[], str | None] = lambda: None,
    roots: Sequence[Path] = POSTGRES_ROOTS,
) -> Found:
    """The first provider, in order, that can give ``service``. ``which(name, path)`` is
    :func:`shutil.which`; ``pg_config_bindir`` runs ``pg_config --bindir``."""
    attempts: list[str] = []
    for provider in providers:
        if provider == URL:
            url, said = _url(service, env)
            attempts.append(said)
            if url is not None:
                return Found(URL, url, tuple(attempts))
        elif provider == BINARIES:
            folders = _candidate_folders(service, env, pg_config_bindir, roots)
            for origin, folder in folders:
                if folder == "":  # nothing there to look in: the attempt is said as it is
                    attempts.append(f"binaries: {origin}")
                    continue
                missing = [n for n in BINARY_NAMES[service] if which(n, folder) is None]
                if not missing:
                    attempts.append(f"binaries: {origin}")
                    first = which(BINARY_NAMES[service][0], folder)
                    return Found(BINARIES, str(Path(str(first)).parent), tuple(attempts))
                attempts.append(f"binaries: {origin}: no {', '.join(missing)}")
    return Found(None, None, tuple(attempts))


def _url(service: str, env: Mapping[str, str]) -> tuple[str | None, str]:
    name = URL_VARIABLES[service]
    value = env.get(name, "").strip()
    if not value:
        return None, f"url: {name} is not set"
    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if scheme not in URL_SCHEMES[service]:
        # a wrong URL is the team's mistake to hear about, not a reason to start another
        # server silently: it is an attempt that failed, named
        return None, (f"url: {name} is not a {'/'.join(URL_SCHEMES[service])}:// URL "
                      f"({redact(value)!r})")
    return value, f"url: {name} ({redact(value)})"


def redact(url: str) -> str:
    """The URL without its password, for messages and the verdict."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


def _candidate_folders(
    service: str,
    env: Mapping[str, str],
    pg_config_bindir: Callable[[], str | None],
    roots: Sequence[Path],
) -> list[tuple[str, str | None]]:
    """(what it is, folder or None for PATH), in the order they are tried."""
    folders: list[tuple[str, str | None]] = [("PATH", env.get("PATH"))]
    if service != POSTGRES:
        return folders
    bindir = pg_config_bindir()
    folders.append(("pg_config --bindir", bindir) if bindir else ("pg_config --bindir: none",
                                                                   ""))
    versioned = sorted(
        (p for root in roots if root.is_dir() for p in root.iterdir() if (p / "bin").is_dir()),
        key=_version_key, reverse=True,
    )
    if not versioned:
        folders.append((f"{', '.join(f'{r}/*/bin' for r in roots)}: none", ""))
    folders.extend((str(p / "bin"), str(p / "bin")) for p in versioned)
    return folders


def _version_key(path: Path) -> tuple[int, ...]:
    parts = path.name.split(".")
    return tuple(int(p) if p.isdigit() else -1 for p in parts)
