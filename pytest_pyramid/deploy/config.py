"""``[tool.pyramid.deploy]``: every key in one table (default, parser, help), validation, flags.

``KEYS`` is the one place a deploy key is defined: its default (written as a user would write
it, parsed by the same parser), how it is validated, and the help text of its ``--flag``.
``DeployConfig`` holds the parsed values; paths are absolute. A bad value raises
:class:`ConfigError` naming the key (or flag), the value and the file.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from pytest_pyramid.config import DEFAULT_VERDICT, read_pyproject_table
from pytest_pyramid.durations import parse_duration
from pytest_pyramid.errors import ConfigError

STRATEGIES = ("canary", "blue-green")
WATCH_POLICIES = ("rollback", "alert", "off")
ROUTERS = ("nginx", "command")


@dataclass(frozen=True)
class Person:
    """Someone named in ``approvers`` or ``deployers``: public keys (several allow rotation)
    and the roles they may approve in (none for a deployer-only entry)."""

    name: str
    keys: tuple[str, ...]
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeployConfig:
    """Every deploy setting, validated; paths are absolute."""

    source: str
    root: Path
    verdict: Path
    strategy: str
    steps: tuple[int, ...]
    interval: float
    measurements: int
    error_rate_limit: float
    p95_limit: float
    min_requests: int
    failure_limit: int
    inconclusive_limit: int
    consecutive_error_limit: int
    compare_with_stable: bool
    max_p95_ratio: float
    max_error_rate_delta: float
    bake: float
    progress_deadline: float
    request_timeout: float
    max_age: float
    approval_ttl: float
    trusted_keys: tuple[str, ...]
    require_signature: bool
    approvers: tuple[Person, ...]
    deployers: tuple[Person, ...]
    deployer_key: Path | None
    work_dir: Path
    history: Path | None
    router: str
    nginx: str
    port: int
    nginx_include: Path | None
    router_command: str
    access_log: Path | None
    command: str
    release_dir: str
    health_path: str
    health_timeout: float
    smoke_paths: tuple[str, ...]
    scale_down_delay: float
    stop_timeout: float
    lease_timeout: float
    watch: str

    @property
    def history_path(self) -> Path:
        return self.history if self.history is not None else self.work_dir / "history.sqlite"

    @property
    def state_path(self) -> Path:
        return self.work_dir / "state.json"

    @property
    def drain_timeout(self) -> float:
        """How long old router workers may take to finish requests in flight: a request can
        wait ``request_timeout`` on the first server and again on the retry."""
        return 2 * self.request_timeout + 5.0

    def release_path(self, commit: str) -> Path:
        path = Path(self.release_dir.format(work_dir=self.work_dir, commit=commit))
        return path if path.is_absolute() else self.root / path


# -- value parsers: each returns the parsed value or raises ValueError(why) -------------------


def _int(minimum: int, maximum: int | None = None) -> Callable[[object], int]:
    def parse(value: object) -> int:
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("expected an integer")
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and <= {maximum}" if maximum is not None else ""
            raise ValueError(f"expected an integer >= {minimum}{upper}")
        return value

    return parse


def _rate(value: object) -> float:
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise ValueError("expected a fraction like 0.005 or a percentage like '0.5%'") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("expected a fraction like 0.005 or a percentage like '0.5%'")
    if not 0 <= value <= 1:
        raise ValueError("expected a fraction between 0 and 1")
    return float(value)


def _positive_float(value: object) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError("expected a number") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError("expected a number > 0")
    return float(value)


def _duration(value: object) -> float:
    return parse_duration(value)


def _positive_duration(value: object) -> float:
    seconds = parse_duration(value)
    if seconds <= 0:
        raise ValueError("expected a duration > 0")
    return seconds


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.lower() in ("true", "1", "yes")
    raise ValueError("expected true or false")


def _choice(options: tuple[str, ...]) -> Callable[[object], str]:
    def parse(value: object) -> str:
        if not isinstance(value, str) or value not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        return value

    return parse


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def _optional_text(value: object) -> str | None:
    if value is None:
        return None
    text = _text(value)
    return text or None


def _url_path(value: object) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise ValueError("expected a URL path starting with '/'")
    return value


def _paths_list(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(
        isinstance(v, str) and v.startswith("/") for v in value
    ):
        raise ValueError("expected a list of URL paths starting with '/'")
    return tuple(value)


def _str_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError("expected a list of non-empty strings")
    return tuple(value)


def parse_steps(value: object) -> tuple[int, ...]:
    """A canary step list: strictly increasing percentages in 1..100 that end at 100."""
    if isinstance(value, str):
        parts = [part.strip().rstrip("%") for part in value.split(",") if part.strip()]
        if not all(part.isdigit() for part in parts):
            raise ValueError("expected a list of integer percentages like [5, 25, 50, 100]")
        value = [int(part) for part in parts]
    if not isinstance(value, list) or not value:
        raise ValueError("expected a non-empty list of integer percentages like [5, 25, 50, 100]")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValueError("expected a list of integer percentages like [5, 25, 50, 100]")
    steps = tuple(int(v) for v in value)
    if any(not 1 <= step <= 100 for step in steps):
        raise ValueError("every step must be a percentage between 1 and 100")
    if any(later <= earlier for earlier, later in itertools.pairwise(steps)):
        raise ValueError("steps must strictly increase (no step may repeat or go back)")
    if steps[-1] != 100:
        raise ValueError("the last step must be 100 so the rollout completes")
    return steps


def _people(with_roles: bool) -> Callable[[object], tuple[Person, ...]]:
    """``name = { key = "...", roles = [...] }`` (``keys = [...]`` for several keys)."""
    shape = ("a table of names, each { key = PUBLIC_KEY" + (", roles = [ROLE, ...]" if with_roles
                                                             else "") + " }")

    def parse(value: object) -> tuple[Person, ...]:
        if not isinstance(value, Mapping):
            raise ValueError(f"expected {shape}")
        people: list[Person] = []
        for name, entry in value.items():
            if not isinstance(entry, Mapping):
                raise ValueError(f"{name!r}: expected {{ key = PUBLIC_KEY ... }}")
            allowed = {"key", "keys", "roles"} if with_roles else {"key", "keys"}
            unknown = sorted(set(entry) - allowed)
            if unknown:
                raise ValueError(f"{name!r}: unknown field(s) {', '.join(unknown)} "
                                 f"(known: {', '.join(sorted(allowed))})")
            keys: list[object] = []
            if "key" in entry:
                keys.append(entry["key"])
            if "keys" in entry:
                listed = entry["keys"]
                if not isinstance(listed, list):
                    raise ValueError(f"{name!r}: keys must be a list of public keys")
                keys.extend(listed)
            if not keys or not all(isinstance(k, str) and k.strip() for k in keys):
                raise ValueError(f"{name!r}: needs key = PUBLIC_KEY (PEM file, PEM text or 64 hex)")
            roles: tuple[str, ...] = ()
            if with_roles:
                raw_roles = entry.get("roles")
                if not isinstance(raw_roles, list) or not raw_roles or not all(
                        isinstance(r, str) and r.strip() for r in raw_roles):
                    raise ValueError(f"{name!r}: roles must be a non-empty list of role names")
                roles = tuple(str(r) for r in raw_roles)
            people.append(Person(str(name), tuple(str(k) for k in keys), roles))
        return tuple(people)

    return parse


def _port(value: object) -> int:
    return _int(1, 65535)(value)


@dataclass(frozen=True)
class Key:
    """One ``[tool.pyramid.deploy]`` key: its default as written in TOML, its parser, its help.

    ``flag`` is False for keys that only make sense in the file (tables, secrets' paths are
    fine as flags). ``path`` keys are resolved against the pyproject's folder (flags: the
    current folder)."""

    default: object
    parse: Callable[[object], object]
    help: str
    flag: bool = True
    path: bool = False
    metavar: str | None = None


def _key(
    default: object, parse: Callable[[object], object], help: str, *, flag: bool = True,
    path: bool = False, metavar: str | None = None,
) -> Key:
    return Key(default, parse, help, flag=flag, path=path, metavar=metavar)


#: Every key, its default and its meaning. docs/deploy.md lists the same table (tested).
KEYS: dict[str, Key] = {
    "verdict": _key(None, _optional_text, "verdict JSON (default: [tool.pyramid] verdict, "
                    f"else {DEFAULT_VERDICT})", path=True, metavar="FILE"),
    "strategy": _key("canary", _choice(STRATEGIES), "canary or blue-green"),
    "steps": _key([5, 25, 50, 100], parse_steps,
                  "canary weights in %, strictly increasing, ending at 100 (e.g. 5,25,50,100)",
                  metavar="LIST"),
    "interval": _key("10s", _positive_duration, "time between measurements",
                     metavar="DURATION"),
    "measurements": _key(3, _int(1), "successful measurements to pass a step", metavar="N"),
    "error_rate_limit": _key(0.005, _rate, "highest error rate accepted (0.005 or 0.5%%)",
                             metavar="RATE"),
    "p95_limit": _key("500ms", _positive_duration, "highest p95 upstream latency accepted",
                      metavar="DURATION"),
    "min_requests": _key(20, _int(1), "fewer canary requests in a measurement: inconclusive "
                         "(unless the errors already make a breach certain)", metavar="N"),
    "failure_limit": _key(0, _int(0), "failed measurements tolerated; one more rolls back",
                          metavar="N"),
    "inconclusive_limit": _key(3, _int(0), "inconclusive measurements in a row tolerated "
                               "before the rollout pauses for a human", metavar="N"),
    "consecutive_error_limit": _key(4, _int(0), "measurement errors (unreadable log) in a "
                                    "row tolerated before rolling back", metavar="N"),
    "compare_with_stable": _key(False, _bool, "also judge the canary against stable"),
    "max_p95_ratio": _key(1.5, _positive_float, "with comparison: canary p95 / stable p95 limit",
                          metavar="RATIO"),
    "max_error_rate_delta": _key(0.005, _rate, "with comparison: canary minus stable error "
                                 "rate limit", metavar="RATE"),
    "bake": _key("1m", _duration, "after 100%%: keep the previous version warm and go on "
                 "analysing this long; a breach switches back at once", metavar="DURATION"),
    "progress_deadline": _key("5m", _positive_duration, "a rollout that has not advanced a "
                              "step for this long (paused included) rolls back",
                              metavar="DURATION"),
    "request_timeout": _key("10s", _positive_duration, "nginx proxy_connect/read timeout to a "
                            "version; a time-out is an error in the analysis",
                            metavar="DURATION"),
    "max_age": _key("24h", _positive_duration, "oldest verdict accepted", metavar="DURATION"),
    "approval_ttl": _key("24h", _positive_duration, "how long a signed approval counts",
                         metavar="DURATION"),
    "trusted_keys": _key([], _str_list, "Ed25519 public keys (PEM file, PEM text or 64 hex) "
                         "whose verdict signatures are trusted", flag=False),
    "require_signature": _key(False, _bool, "refuse a verdict without a valid signature by a "
                              "trusted key"),
    "approvers": _key({}, _people(True), "name = { key = PUBLIC_KEY, roles = [...] }",
                      flag=False),
    "deployers": _key({}, _people(False), "name = { key = PUBLIC_KEY }: people who deploy "
                      "without approving", flag=False),
    "deployer_key": _key(None, _optional_text, "the deployer's Ed25519 private key: proves who "
                         "deploys, so their own approval is not counted", path=True,
                         metavar="FILE"),
    "work_dir": _key(".pyramid/deploy", _text, "router config, logs, releases, state",
                     path=True, metavar="DIR"),
    "history": _key(None, _optional_text, "SQLite history (default: <work_dir>/history.sqlite)",
                    path=True, metavar="FILE"),
    "router": _key("nginx", _choice(ROUTERS), "nginx (run here) or command (yours)"),
    "nginx": _key("nginx", _text, "nginx binary", metavar="PATH"),
    "port": _key(8080, _port, "router listen port on 127.0.0.1", metavar="PORT"),
    "nginx_include": _key(None, _optional_text, "file included in the routing nginx's server "
                          "block", path=True, metavar="FILE"),
    "router_command": _key("", _text, "command router: template run to set weights",
                           metavar="TEMPLATE"),
    "access_log": _key(None, _optional_text, "command router: access log in the pyramid "
                       "format", path=True, metavar="FILE"),
    "command": _key("", _text, "version start template: {port} {release} {commit}",
                    metavar="TEMPLATE"),
    "release_dir": _key("{work_dir}/releases/{commit}", _text, "where the clean checkout of "
                        "a commit goes", metavar="TEMPLATE"),
    "health_path": _key("/healthz", _url_path, "health check path", metavar="PATH"),
    "health_timeout": _key("15s", _positive_duration, "how long a new version may take to "
                           "become healthy", metavar="DURATION"),
    "smoke_paths": _key([], _paths_list, "blue-green: paths requested on the new version "
                        "before the switch (default: the health path)", metavar="PATHS"),
    "scale_down_delay": _key("30s", _duration, "blue-green: shortest bake (the old stack is "
                             "kept at least this long)", metavar="DURATION"),
    "stop_timeout": _key("5s", _positive_duration, "SIGTERM -> SIGKILL grace",
                         metavar="DURATION"),
    "lease_timeout": _key("3s", _positive_duration, "a supervisor whose heartbeat is older "
                          "than this is unwatched: abort/rollback take its lease and act",
                          metavar="DURATION"),
    "watch": _key("rollback", _choice(WATCH_POLICIES), "after the bake the serving release's "
                  "traffic stays judged with the same limits; on a breach: rollback (to the "
                  "previous release), alert (status degraded) or off"),
}

#: Keys that existed once, and why they are gone (a clearer message than "unknown key").
REMOVED: dict[str, str] = {
    "allow_dirty": "deploy always ships the commit itself, never a working tree, so a verdict "
                   "that tested uncommitted changes did not test what would run; commit, run "
                   "the tests again and deploy that verdict",
}


def find_pyproject(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _key_source(text: str, base: Path) -> str:
    """PEM text and 64-hex keys stay as they are; anything else is a file under ``base``."""
    stripped = text.strip()
    if "-----BEGIN" in stripped or (len(stripped) == 64 and all(
            c in "0123456789abcdefABCDEF" for c in stripped)):
        return stripped
    return str((base / Path(stripped).expanduser()).resolve())


def _parse(key: str, raw: object, source: str, *, flag: bool) -> object:
    try:
        return KEYS[key].parse(raw)
    except ValueError as exc:
        name = "--" + key.replace("_", "-") if flag else f"deploy.{key}"
        raise ConfigError(name, raw, source, str(exc)) from None


def build_config(
    table: Mapping[str, object],
    *,
    source: str,
    root: Path,
    overrides: Mapping[str, object] | None = None,
    override_source: str = "command line",
    cwd: Path | None = None,
    pyramid_verdict: str | None = None,
) -> DeployConfig:
    """Validate ``table`` (``[tool.pyramid.deploy]``), then apply command-line ``overrides``.

    ``pyramid_verdict`` is ``[tool.pyramid] verdict``: the deploy's default verdict."""
    values: dict[str, object] = {}
    bases: dict[str, Path] = {}
    for key, raw in table.items():
        if key in REMOVED:
            raise ConfigError(f"deploy.{key}", raw, source, f"no longer supported: {REMOVED[key]}")
        if key not in KEYS:
            known = ", ".join(sorted(KEYS))
            raise ConfigError(f"deploy.{key}", raw, source, f"unknown key (known keys: {known})")
        values[key] = _parse(key, raw, source, flag=False)
        bases[key] = root
    for key, raw in (overrides or {}).items():
        if raw is None:
            continue
        values[key] = _parse(key, raw, override_source, flag=True)
        bases[key] = cwd or Path.cwd()
    for key, spec in KEYS.items():
        if key not in values:
            values[key] = spec.parse(spec.default)
            bases[key] = root
    for key, spec in KEYS.items():
        if spec.path and values[key] is not None:
            values[key] = (bases[key] / Path(str(values[key])).expanduser()).resolve()
    if values["verdict"] is None:
        values["verdict"] = (root / (pyramid_verdict or DEFAULT_VERDICT)).resolve()
    values["trusted_keys"] = tuple(
        _key_source(k, bases["trusted_keys"]) for k in cast("tuple[str, ...]",
                                                             values["trusted_keys"]))
    for table_key in ("approvers", "deployers"):
        people = cast("tuple[Person, ...]", values[table_key])
        values[table_key] = tuple(
            Person(p.name, tuple(_key_source(k, root) for k in p.keys), p.roles) for p in people)
    config = DeployConfig(source=source, root=root, **values)  # type: ignore[arg-type]
    if config.router == "command" and not config.router_command.strip():
        raise ConfigError("deploy.router_command", config.router_command, source,
                          "router = 'command' needs a router_command template")
    _check_people(config)
    return config


def _check_people(config: DeployConfig) -> None:
    """A name in both tables is one person; one key may not stand for two people."""
    owners: dict[str, str] = {}
    for table_key, people in (("approvers", config.approvers), ("deployers", config.deployers)):
        for person in people:
            for key in person.keys:
                owner = owners.setdefault(key, person.name)
                if owner != person.name:
                    raise ConfigError(
                        f"deploy.{table_key}.{person.name}", key[:60], config.source,
                        f"the same key is configured for {owner!r}: one key is one person")


def load_config(
    pyproject: Path | None,
    overrides: Mapping[str, object] | None = None,
    *,
    cwd: Path | None = None,
) -> DeployConfig:
    """Read ``[tool.pyramid.deploy]`` from ``pyproject`` (or the nearest one above ``cwd``)."""
    cwd = cwd or Path.cwd()
    path = pyproject if pyproject is not None else find_pyproject(cwd)
    if path is None:
        return build_config({}, source="<defaults>", root=cwd, overrides=overrides, cwd=cwd)
    if not path.is_file():
        raise ConfigError("--config", str(path), "command line", "no such file")
    pyramid = read_pyproject_table(path) or {}
    table = pyramid.get("deploy", {})
    if not isinstance(table, Mapping):
        raise ConfigError("deploy", table, str(path), "expected a table [tool.pyramid.deploy]")
    verdict = pyramid.get("verdict")
    if verdict is not None and (not isinstance(verdict, str) or not verdict.strip()):
        raise ConfigError("verdict", verdict, str(path), "expected a file path")
    return build_config(table, source=str(path), root=path.parent.resolve(), overrides=overrides,
                        cwd=cwd, pyramid_verdict=verdict)
