"""``[tool.pyramid.deploy]``: defaults from the seed strategy, validation, CLI overrides."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.config import read_pyproject_table
from pytest_pyramid.durations import parse_duration
from pytest_pyramid.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

STRATEGIES = ("canary", "blue-green")
ROUTERS = ("nginx", "command")


@dataclass(frozen=True)
class DeployConfig:
    """Every deploy setting, already validated; paths are absolute."""

    source: str = "<defaults>"
    root: Path = field(default_factory=Path.cwd)
    verdict: Path = Path("verdict.json")
    strategy: str = "canary"
    steps: tuple[int, ...] = (5, 25, 50, 100)
    interval: float = 10.0
    measurements: int = 3
    error_rate_limit: float = 0.005
    p95_limit: float = 0.5
    min_requests: int = 20
    failure_limit: int = 0
    inconclusive_limit: int = 3
    consecutive_error_limit: int = 4
    compare_with_stable: bool = False
    max_p95_ratio: float = 1.5
    max_error_rate_delta: float = 0.005
    max_age: float = 24 * 3600.0
    allow_dirty: bool = False
    approval_ttl: float = 24 * 3600.0
    work_dir: Path = Path(".pyramid/deploy")
    history: Path | None = None
    router: str = "nginx"
    nginx: str = "nginx"
    port: int = 8080
    nginx_include: Path | None = None
    router_command: str = ""
    access_log: Path | None = None
    command: str = ""
    release_dir: str = "{work_dir}/releases/{commit}"
    health_path: str = "/healthz"
    health_timeout: float = 15.0
    smoke_paths: tuple[str, ...] = ()
    scale_down_delay: float = 30.0
    stop_timeout: float = 5.0

    @property
    def history_path(self) -> Path:
        return self.history if self.history is not None else self.work_dir / "history.sqlite"

    @property
    def state_path(self) -> Path:
        return self.work_dir / "state.json"


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
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        assert isinstance(value, str)
        return value

    return parse


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


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


def _port(value: object) -> int:
    return _int(1, 65535)(value)


_PATH_KEYS = {"verdict", "work_dir", "history", "nginx_include", "access_log"}

PARSERS: dict[str, Callable[[object], Any]] = {
    "verdict": _text,
    "strategy": _choice(STRATEGIES),
    "steps": parse_steps,
    "interval": _positive_duration,
    "measurements": _int(1),
    "error_rate_limit": _rate,
    "p95_limit": _positive_duration,
    "min_requests": _int(1),
    "failure_limit": _int(0),
    "inconclusive_limit": _int(0),
    "consecutive_error_limit": _int(0),
    "compare_with_stable": _bool,
    "max_p95_ratio": _positive_float,
    "max_error_rate_delta": _rate,
    "max_age": _positive_duration,
    "allow_dirty": _bool,
    "approval_ttl": _positive_duration,
    "work_dir": _text,
    "history": _text,
    "router": _choice(ROUTERS),
    "nginx": _text,
    "port": _port,
    "nginx_include": _text,
    "router_command": _text,
    "access_log": _text,
    "command": _text,
    "release_dir": _text,
    "health_path": _url_path,
    "health_timeout": _positive_duration,
    "smoke_paths": _paths_list,
    "scale_down_delay": _duration,
    "stop_timeout": _positive_duration,
}
assert set(PARSERS) == {f.name for f in fields(DeployConfig)} - {"source", "root"}


def find_pyproject(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def build_config(
    table: Mapping[str, object],
    *,
    source: str,
    root: Path,
    overrides: Mapping[str, object] | None = None,
    override_source: str = "command line",
) -> DeployConfig:
    """Validate ``table`` (the ``[tool.pyramid.deploy]`` mapping), then apply CLI ``overrides``."""
    values: dict[str, Any] = {}
    for key, raw in table.items():
        if key not in PARSERS:
            known = ", ".join(sorted(PARSERS))
            raise ConfigError(f"deploy.{key}", raw, source, f"unknown key (known keys: {known})")
        values[key] = _parse(key, raw, source)
    for key, raw in (overrides or {}).items():
        if raw is None:
            continue
        values[key] = _parse(key, raw, override_source, flag=True)
    config = DeployConfig(source=source, root=root)
    for key in _PATH_KEYS:
        if key in values:
            values[key] = Path(values[key]) if values[key] else None
    work_dir = values.get("work_dir") or config.work_dir
    values["work_dir"] = (root / work_dir).resolve()
    for key in ("verdict", "history", "nginx_include", "access_log"):
        if values.get(key) is not None:
            values[key] = (root / values[key]).resolve()
    if "verdict" not in values:
        values["verdict"] = (root / config.verdict).resolve()
    result = replace(config, **values)
    if result.router == "command" and not result.router_command.strip():
        raise ConfigError("deploy.router_command", result.router_command, source,
                          "router = 'command' needs a router_command template")
    return result


def _parse(key: str, raw: object, source: str, *, flag: bool = False) -> Any:
    try:
        return PARSERS[key](raw)
    except ValueError as exc:
        name = "--" + key.replace("_", "-") if flag else f"deploy.{key}"
        raise ConfigError(name, raw, source, str(exc)) from None


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
        return build_config({}, source="<defaults>", root=cwd, overrides=overrides)
    try:
        pyramid = read_pyproject_table(path) or {}
    except OSError as exc:
        raise ConfigError("deploy", str(path), str(path), f"cannot read: {exc}") from exc
    table = pyramid.get("deploy", {})
    if not isinstance(table, Mapping):
        raise ConfigError("deploy", table, str(path), "expected a table [tool.pyramid.deploy]")
    return build_config(table, source=str(path), root=path.parent.resolve(), overrides=overrides)
