"""``[tool.pyramid.deploy]``: every key in one table (default, kind, help), validation, flags.

``KEYS`` is the one place a deploy key is defined: its default (written as a user would write
it, parsed by the same parser), its kind (the JSON Schema that validates it, from which the
``deploy`` part of config.schema.json is generated, and what a valid value becomes), and the
help text of its ``--flag``.
``DeployConfig`` holds the parsed values; paths are absolute. A bad value raises
:class:`ConfigError` naming the key (or flag), the value and the file.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, cast

from pytest_pyramid.config import DEFAULT_VERDICT
from pytest_pyramid.deploy import router_kinds
from pytest_pyramid.durations import parse_duration
from pytest_pyramid.errors import ConfigError

STRATEGIES = ("canary", "blue-green")
#: threshold: limits on the new version's own figures; nonparametric: also compared with a
#: fresh baseline (deploy/comparison.py, deploy/nonparametric.py)
JUDGES = ("threshold", "nonparametric")
WATCH_POLICIES = ("rollback", "alert", "off")


@dataclass(frozen=True)
class Person:
    """Someone named in ``approvers`` or ``deployers``: public keys (several allow rotation)
    and the roles they may approve in (none for a deployer-only entry)."""

    name: str
    keys: tuple[str, ...]
    roles: tuple[str, ...] = ()


#: the parts of ``[tool.pyramid]`` the deploy's risk gate reads (DeployConfig.risk)
RISK_PARTS = ("risk", "approvals")
#: when a verify tier runs (deploy/verify.py; each-step: deploy/step_verify.py)
VERIFY_WHEN = ("pre-traffic", "each-step", "post-promotion")


@dataclass(frozen=True)
class VerifySettings:
    """``[tool.pyramid.deploy.verify]``: the tier (or group) run against the new version,
    when, and how long it may take (longer is a failure)."""

    tier: str
    when: tuple[str, ...]
    timeout: float
    #: the folder (relative to the configuration file's) whose tests run: this project, or
    #: a suite of its own kept apart from the release's tiers
    project: str = "."


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
    blind_timeout: float
    compare_with_stable: bool
    max_p95_ratio: float
    max_error_rate_delta: float
    judge: str
    judge_alpha: float
    judge_looks: int
    judge_min_samples: int
    judge_max_shift: float
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
    migrations: str
    database_url_env: str
    migrations_check_tier: str
    #: the deploy's environment variables each version gets (deploy/isolation.py: the rest of
    #: the caller's environment never reaches the released code)
    pass_env: tuple[str, ...]
    #: ``[tool.pyramid.metrics]`` as written (validated): the tables with ``rollout = true``
    #: are judged at each look (deploy/rollout_metrics.py); kept raw so a job carries it as JSON
    metrics: Mapping[str, Any] = field(default_factory=dict)
    #: ``[tool.pyramid.notify]`` as written (validated by deploy/notify.py's parser)
    notify: Mapping[str, Any] = field(default_factory=dict)
    #: ``[tool.pyramid.risk]`` and ``[tool.pyramid.approvals]`` as written (only those the
    #: table has): the deploy's risk gate judges the shipped change by them
    #: (deploy/change_risk.py), anchored to the last good release's (deploy/arguments.py:
    #: anchored_risk); kept raw so a job carries them as JSON
    risk: Mapping[str, Any] = field(default_factory=dict)
    requires: str = ""
    requires_within: float = 72 * 3600.0
    #: approvals this deployment target asks for whatever the verdict (deploy/requirements.py)
    required_approvals: int = 0
    approver_roles: tuple[str, ...] = ()
    #: the environment this deploys to ("": the deploy table without environments)
    environment: str = ""
    #: the history of the environment ``requires`` names (resolved with the project)
    requires_history: Path | None = None
    #: every other environment's history, as this checkout places it: a requirement the
    #: host pins (deploy/requirements.py) is read from there (text: a job carries it as JSON)
    environment_histories: Mapping[str, str] = field(default_factory=dict)
    #: every other environment's work folder, as this checkout places it: where a required
    #: environment's evidence lies when the host's index and pins do not place it
    #: (deploy/requirements.py: evidence_history; never its ``history`` key)
    environment_work_dirs: Mapping[str, str] = field(default_factory=dict)
    #: [tool.pyramid.deploy.verify]: a tier run against the new version (deploy/verify.py)
    verify: VerifySettings | None = None

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


# -- value kinds: the JSON Schema of a valid value, and what it becomes ------------------------
#
# A kind's ``schema`` is the one check of a value's form: the deploy parser validates with it
# (and nothing else), and the ``deploy`` part of config.schema.json is generated from it
# (``python -m pytest_pyramid.deploy.schema``), so pytest, ``pyramid config check`` and
# ``pyramid deploy`` accept exactly the same values. ``convert`` turns a valid value into the
# setting and raises ValueError only for what a schema cannot say (steps ascend and end at
# 100). ``from_text`` reads a command-line flag's text as the TOML value it stands for.

Schema = dict[str, Any]
DURATION_TEXT = "a duration like '30s', '250ms', '5m', '1h' or seconds"
_NUMBER_TEXT = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


@dataclass(frozen=True)
class Kind:
    name: str
    schema: Schema
    convert: Callable[[Any], object] = lambda value: value
    from_text: Callable[[str], object] = lambda text: text


def _messaged(schema: Schema, message: str) -> Schema:
    """``x-message`` on the schema and each ``anyOf`` branch: what a refusal says."""
    if "anyOf" in schema:
        schema = {**schema, "anyOf": [{**b, "x-message": message} for b in schema["anyOf"]]}
    return {**schema, "x-message": message}


def _number_from_text(text: str) -> object:
    stripped = text.strip()
    if re.fullmatch(r"[-+]?\d+", stripped):
        return int(stripped)
    return float(stripped) if _NUMBER_TEXT.match(stripped) else text


def _bool_from_text(text: str) -> object:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    return text


def _list_from_text(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _int(minimum: int, maximum: int | None = None) -> Kind:
    bounds = {"minimum": minimum, **({"maximum": maximum} if maximum is not None else {})}
    upper = f" and <= {maximum}" if maximum is not None else ""
    return Kind("integer", _messaged({"type": "integer", **bounds},
                                     f"expected an integer >= {minimum}{upper}"),
                convert=int, from_text=_number_from_text)


def _durations(positive: bool) -> Kind:
    # a positive duration has a non-zero digit: the lookahead says so in the pattern
    nonzero = "(?=[^1-9]*[1-9])" if positive else ""
    pattern = r"^\s*" + nonzero + r"(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$"
    number: Schema = {"type": "number", **({"exclusiveMinimum": 0} if positive else
                                           {"minimum": 0})}
    message = f"expected {'a duration > 0: ' if positive else ''}{DURATION_TEXT}"
    return Kind("duration", _messaged({"anyOf": [number, {"type": "string", "pattern": pattern}]},
                                      message), convert=parse_duration,
                from_text=lambda text: text)


_duration = _durations(positive=False)
_positive_duration = _durations(positive=True)


def _rate_value(value: float | str) -> float:
    if isinstance(value, str):
        return float(value.strip()[:-1].strip()) / 100
    return float(value)


def _rate_from_text(text: str) -> object:
    return text if text.strip().endswith("%") else _number_from_text(text)


#: a percentage from 0% to 100% (the schema checks the range of the text, too)
_PERCENT = r"^\s*(100(\.0*)?|\d{1,2}(\.\d*)?|\.\d+)\s*%\s*$"
_rate = Kind("rate", _messaged(
    {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
               {"type": "string", "pattern": _PERCENT}]},
    "expected a fraction between 0 and 1 like 0.005, or a percentage like '0.5%'"),
    convert=_rate_value, from_text=_rate_from_text)
_positive_float = Kind("number", _messaged({"type": "number", "exclusiveMinimum": 0},
                                           "expected a number > 0"),
                       convert=float, from_text=_number_from_text)
#: a share strictly between 0 and 1 (the judge's significance level)
_open_fraction = Kind("fraction", _messaged(
    {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
    "expected a number between 0 and 1 (both excluded) like 0.01"),
    convert=float, from_text=_number_from_text)
#: a share from 0 up to 1 excluded (the judge's margins)
_share = Kind("share", _messaged(
    {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
    "expected a number from 0 up to 1 (excluded) like 0.1"),
    convert=float, from_text=_number_from_text)
_bool = Kind("bool", _messaged({"type": "boolean"}, "expected true or false"),
             convert=bool, from_text=_bool_from_text)


def _choice(options: tuple[str, ...]) -> Kind:
    return Kind("choice", _messaged({"type": "string", "enum": list(options)},
                                    f"expected one of {', '.join(options)}"))


_text = Kind("text", _messaged({"type": "string"}, "expected a string"))
#: a folder inside the release: relative, never leaving it (no absolute path, no ``..`` part)
_release_folder = Kind("release_folder", _messaged(
    {"type": "string", "pattern": r"^(?![/\\~])(?![A-Za-z]:)(?!.*(^|[/\\])\.\.([/\\]|$))"},
    "expected a folder inside the release, relative to its project folder (no absolute "
    "path, no '..')"))
_optional_text = Kind("text", _text.schema, convert=lambda value: value or None)
_url_path = Kind("url_path", _messaged({"type": "string", "pattern": "^/"},
                                       "expected a URL path starting with '/'"))
_paths_list = Kind("paths", _messaged(
    {"type": "array", "items": {"type": "string", "pattern": "^/"}},
    "expected a list of URL paths starting with '/'"),
    convert=tuple, from_text=_list_from_text)
_str_list = Kind("strings", _messaged(
    {"type": "array", "items": {"type": "string", "pattern": r"\S"}},
    "expected a list of non-empty strings"), convert=tuple)
def _passed_names(value: list[str]) -> tuple[str, ...]:
    """What a schema cannot say about ``pass_env``: no name the deploy sets itself or whose
    value chooses the code a version runs (deploy/isolation.py: unpassable)."""
    from pytest_pyramid.deploy.isolation import unpassable

    for name in value:
        why = unpassable(name)
        if why:
            raise ValueError(f"{name!r} cannot be passed to a version: {why}")
    return tuple(value)


# the shape of an application's setting (deploy/isolation.py: PASSABLE); what the shape cannot
# say (a name the host's programs read first) is _passed_names'
_env_names = Kind("names", _messaged(
    {"type": "array", "items": {"type": "string", "pattern": r"^[A-Z][A-Z0-9_]*$"}},
    "expected a list of environment variable names of an application setting's shape (upper "
    "case letters, digits and '_', starting with a letter)"),
    convert=_passed_names)


def _steps_value(value: list[int]) -> tuple[int, ...]:
    """What a schema cannot say about canary steps: they ascend and end at 100."""
    steps = tuple(value)
    if any(later <= earlier for earlier, later in itertools.pairwise(steps)):
        raise ValueError("steps must strictly increase (no step may repeat or go back)")
    if steps[-1] != 100:
        raise ValueError("the last step must be 100 so the rollout completes")
    return steps


def _steps_from_text(text: str) -> object:
    parts = [part.rstrip("%").strip() for part in _list_from_text(text)]
    return [int(part) for part in parts] if all(p.isdigit() for p in parts) else text


_steps = Kind("steps", _messaged(
    {"type": "array", "minItems": 1,
     "items": {"type": "integer", "minimum": 1, "maximum": 100}},
    "expected a non-empty list of integer percentages between 1 and 100 like "
    "[5, 25, 50, 100]"), convert=_steps_value, from_text=_steps_from_text)


def parse_steps(value: object) -> tuple[int, ...]:
    """A canary step list (a list, or the text of a flag such as ``5,25,50,100``)."""
    return cast("tuple[int, ...]", _parse_kind(_steps, value, text=isinstance(value, str)))


def _verify_kind() -> Kind:
    """``verify = { tier = "smoke", when = [...], timeout = "2m" }``."""
    when: Schema = {"type": "string", "enum": list(VERIFY_WHEN), "x-message":
                    f"expected one of {', '.join(VERIFY_WHEN)}"}
    schema: Schema = {
        "type": "object",
        "properties": {
            "tier": {"type": "string", "pattern": r"^[A-Za-z_][\w,-]*$",
                     "x-message": "expected a tier or group name (or several, comma-separated)"},
            "when": {"type": "array", "items": when, "minItems": 1, "uniqueItems": True,
                     "x-message": "expected a non-empty list of distinct phases: "
                                  + ", ".join(VERIFY_WHEN)},
            "timeout": _positive_duration.schema,
            "project": {"type": "string", "pattern": r"\S",
                        "x-message": "expected a folder relative to this file"},
        },
        "required": ["tier"],
        "additionalProperties": False,
        "x-message": "expected a table { tier = NAME, when = [PHASES], timeout = DURATION }",
    }

    def convert(value: Mapping[str, Any]) -> VerifySettings:
        return VerifySettings(str(value["tier"]), tuple(value.get("when", ["pre-traffic"])),
                              parse_duration(value.get("timeout", "2m")),
                              str(value.get("project", ".")))

    return Kind("verify", schema, convert=convert)


def _people(with_roles: bool) -> Kind:
    """``name = { key = "...", roles = [...] }`` (``keys = [...]`` for several keys)."""
    text: Schema = {"type": "string", "pattern": r"\S"}
    names: Schema = {"type": "array", "items": text, "minItems": 1}
    entry: Schema = {
        "type": "object",
        "properties": {"key": text, "keys": names, **({"roles": names} if with_roles else {})},
        **({"required": ["roles"]} if with_roles else {}),
        "anyOf": [{"required": ["key"]}, {"required": ["keys"]}],
        "additionalProperties": False,
        "x-message": "needs key = PUBLIC_KEY (PEM file, PEM text or 64 hex)"
                     + (" and roles = [...]" if with_roles else ""),
    }

    def convert(value: Mapping[str, Mapping[str, Any]]) -> tuple[Person, ...]:
        return tuple(
            Person(str(name), (*([e["key"]] if "key" in e else []), *e.get("keys", [])),
                   tuple(e.get("roles", ())))
            for name, e in value.items())

    return Kind("people", {"type": "object", "additionalProperties": entry}, convert=convert)


_port = _int(1, 65535)


def _parse_kind(kind: Kind, value: object, *, text: bool = False) -> object:
    """``value`` validated by the kind's schema and converted; ValueError(why) otherwise."""
    from pytest_pyramid.config_schema import check

    if text and isinstance(value, str):
        value = kind.from_text(value)
    try:
        check(kind.schema, value, "")
    except ConfigError as exc:  # inside a table or list: say where
        raise ValueError(f"{exc.key}: {exc.why}" if exc.key else exc.why) from None
    return kind.convert(value)


@dataclass(frozen=True)
class Key:
    """One ``[tool.pyramid.deploy]`` key: its default as written in TOML, its kind, its help.

    ``flag`` is False for keys that only make sense in the file (tables, secrets' paths are
    fine as flags). ``path`` keys are resolved against the project file's folder (flags: the
    current folder). ``help`` is plain text (``%`` is escaped where argparse needs it)."""

    default: object
    kind: Kind
    help: str
    flag: bool = True
    path: bool = False
    metavar: str | None = None

    @property
    def schema(self) -> Schema:
        """The JSON Schema of the key (the generated ``deploy`` part holds it)."""
        return {**self.kind.schema, "description": self.help}

    def parse(self, value: object) -> object:
        """A value as the file holds it -> the setting; ValueError(why) if refused. ``None``
        is the absent value of a key without a default."""
        if value is None and self.default is None:
            return None
        return _parse_kind(self.kind, value)

    def parse_flag(self, value: object) -> object:
        """A flag's value: its text read as the TOML value it stands for, then as ``parse``."""
        return _parse_kind(self.kind, value, text=True)


def _key(
    default: object, kind: Kind, help: str, *, flag: bool = True,
    path: bool = False, metavar: str | None = None,
) -> Key:
    return Key(default, kind, help, flag=flag, path=path, metavar=metavar)


#: Every key, its default and its meaning. docs/deploy.md lists the same table (tested).
KEYS: dict[str, Key] = {
    "verdict": _key(None, _optional_text, "verdict JSON (default: [tool.pyramid] verdict, "
                    f"else {DEFAULT_VERDICT})", path=True, metavar="FILE"),
    "strategy": _key("canary", _choice(STRATEGIES), "canary or blue-green"),
    "steps": _key([5, 25, 50, 100], _steps,
                  "canary weights in %, strictly increasing, ending at 100 (e.g. 5,25,50,100)",
                  metavar="LIST"),
    "interval": _key("10s", _positive_duration, "time between measurements",
                     metavar="DURATION"),
    "measurements": _key(3, _int(1), "successful measurements to pass a step", metavar="N"),
    "error_rate_limit": _key(0.005, _rate, "highest error rate accepted (0.005 or 0.5%)",
                             metavar="RATE"),
    "p95_limit": _key("500ms", _positive_duration, "highest p95 upstream latency accepted",
                      metavar="DURATION"),
    "min_requests": _key(20, _int(1), "fewer canary requests in a measurement: inconclusive "
                         "(unless the errors already make a breach certain)", metavar="N"),
    "failure_limit": _key(0, _int(0), "failed measurements tolerated; one more rolls back",
                          metavar="N"),
    "inconclusive_limit": _key(3, _int(0), "inconclusive measurements in a row tolerated "
                               "before the rollout pauses for a human", metavar="N"),
    "blind_timeout": _key("5s", _positive_duration, "an analysis that cannot read the "
                          "router's log (missing, rotated, not written, disk full) pauses the "
                          "rollout at its weight; still blind after this long, it rolls back",
                          metavar="DURATION"),
    "compare_with_stable": _key(False, _bool, "also judge the canary against stable"),
    "max_p95_ratio": _key(1.5, _positive_float, "with comparison: canary p95 / stable p95 limit",
                          metavar="RATIO"),
    "max_error_rate_delta": _key(0.005, _rate, "with comparison: canary minus stable error "
                                 "rate limit", metavar="RATE"),
    "judge": _key("threshold", _choice(JUDGES), "threshold: the limits above; nonparametric: "
                  "also start a fresh baseline of the stable release, give it the canary's weight "
                  "and compare per-request latency, slow tail and errors with statistics "
                  "(docs/deploy.md)"),
    "judge_alpha": _key(0.01, _open_fraction, "nonparametric: chance of a false rollback over "
                        "the whole rollout (split over the tests and the planned looks)",
                        metavar="P"),
    "judge_looks": _key(10, _int(1), "nonparametric: planned looks that spend judge_alpha, "
                        "counted over the whole rollout (a resumed one too); a look past them "
                        "is inconclusive", metavar="N"),
    "judge_min_samples": _key(50, _int(2), "nonparametric: fewer requests on either side: the "
                              "look is inconclusive (never a pass)", metavar="N"),
    "judge_max_shift": _key(0.1, _share, "nonparametric: a latency shift below this share of "
                            "the baseline's median never rolls back, and a pass needs the "
                            "shift shown below it", metavar="SHARE"),
    "bake": _key("1m", _duration, "after 100%: keep the previous version warm and go on "
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
    "router": _key("nginx", _choice(router_kinds.NAMES), router_kinds.key_help()),
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
    "verify": _key(None, _verify_kind(), "a tier or group of the project's tests run as a "
                   "pytest subprocess against the new version (--pyramid-target): "
                   "pre-traffic (before any user request; a failure stops the rollout), "
                   "each-step (at every canary step, through the router pinned to the new "
                   "version while users get the weighted split; a failure rolls back) and/or "
                   "post-promotion (at 100%, before the bake; a failure rolls back); "
                   "when defaults to [\"pre-traffic\"], timeout to 2m; project: the folder whose "
                   "tests run (default: this file's)", flag=False),
    "watch": _key("rollback", _choice(WATCH_POLICIES), "after the bake the serving release's "
                  "traffic stays judged with the same limits; on a breach: rollback (to the "
                  "previous release), alert (status degraded) or off"),
    "requires": _key("", _text, "an environment (e.g. staging) that must have deployed the "
                     "same commit healthily first (succeeded, not reverted)", flag=False),
    "requires_within": _key("72h", _positive_duration, "how recent that healthy deploy must "
                            "be", flag=False),
    "required_approvals": _key(0, _int(0), "signed approvals every deploy here needs, a ready "
                               "verdict included (a needs_approval verdict: the larger of its "
                               "count and this); 0: only what the verdict asks", flag=False),
    "approver_roles": _key([], _str_list, "the roles those approvals must come from (empty: "
                           "any configured approver)", flag=False),
    # schema changes (deploy/migrate.py): applied before a new version starts, and checked
    # against the release still serving first
    "migrations": _key("", _release_folder, "folder of SQL migrations in the release (relative "
                       "to its project folder), applied in name order before a new version "
                       "starts; empty: none", metavar="DIR"),
    "database_url_env": _key("DATABASE_URL", _text, "environment variable holding the "
                             "database URL the migrations are applied to (the versions read "
                             "the same one)", flag=False),
    "migrations_check_tier": _key("integration", _text, "the previous release's tier run "
                                  "against the new migrations before any is applied; a "
                                  "failure refuses the deploy", flag=False),
    # hostile case 221: a version's environment is allow-listed (deploy/isolation.py); what
    # more it reads from the deploy's environment is the commit's own tracked decision
    "pass_env": _key([], _env_names, "environment variables of the deploy each version gets "
                     "too (e.g. [\"DATABASE_URL\"]); the rest of the deploy's environment never "
                     "reaches a version: it gets PATH (the deploy interpreter's folder, then "
                     "the system's), HOME and USER of its account, LANG, LC_*, TZ, TMPDIR, "
                     "PORT and PYRAMID_RELEASE/PYRAMID_COMMIT", flag=False),
}

#: Keys that existed once, and why they are gone (a clearer message than "unknown key").
REMOVED: dict[str, str] = {
    "consecutive_error_limit": "a measurement that cannot read the router's log is blind now: "
                               "the rollout pauses at its weight at once, and blind_timeout "
                               "bounds how long before it rolls back",
    "allow_dirty": "deploy always ships the commit itself, never a working tree, so a verdict "
                   "that tested uncommitted changes did not test what would run; commit, run "
                   "the tests again and deploy that verdict",
}


def _key_source(text: str, base: Path) -> str:
    """PEM text and 64-hex keys stay as they are; anything else is a file under ``base``."""
    stripped = text.strip()
    if "-----BEGIN" in stripped or (len(stripped) == 64 and all(
            c in "0123456789abcdefABCDEF" for c in stripped)):
        return stripped
    return str((base / Path(stripped).expanduser()).resolve())


def _parse(key: str, raw: object, source: str, *, flag: bool) -> object:
    try:
        return KEYS[key].parse_flag(raw) if flag else KEYS[key].parse(raw)
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
    environment: str = "",
    requires_history: Path | None = None,
    metrics: Mapping[str, Any] | None = None,
    notify: Mapping[str, Any] | None = None,
) -> DeployConfig:
    """Validate ``table`` (``[tool.pyramid.deploy]``), then apply command-line ``overrides``.

    ``pyramid_verdict`` is ``[tool.pyramid] verdict``: the deploy's default verdict."""
    values: dict[str, object] = {}
    bases: dict[str, Path] = {}
    for key, raw in table.items():
        if key == "environments":
            continue  # chosen before: environment_table
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
    values.update(environment=environment, requires_history=requires_history)
    config = DeployConfig(source=source, root=root, metrics=_rollout_metrics(metrics, source),
                          notify=_notify(notify, source), **values)  # type: ignore[arg-type]
    for needed in router_kinds.BY_NAME[config.router].needs:
        if not str(getattr(config, needed) or "").strip():
            raise ConfigError(f"deploy.{needed}", getattr(config, needed), source,
                              f"router = {config.router!r} needs {needed}")
    _check_people(config)
    _check_judge(config)
    _check_verify(config)
    _check_router_program(config)
    return config


def _check_router_program(config: DeployConfig) -> None:
    """The router's program runs as the deploy's account: a path must be the host's file
    (deploy/isolation.py: foreign_program); a bare name is found on the host's own search
    path when it starts (routers/nginx.py: host_program)."""
    from pytest_pyramid.deploy.isolation import foreign_program

    key = router_kinds.BY_NAME[config.router].host_program
    program = str(getattr(config, key)) if key else ""
    if "/" not in program:
        return
    # the release folder's fixed part ("{work_dir}/releases/{commit}": the work folder's)
    releases = config.release_dir.replace("{work_dir}", str(config.work_dir)).split("{")[0]
    releases = str(config.root / os.path.dirname(releases))
    why = foreign_program(program, inside=(str(config.root), str(config.work_dir), releases))
    if why:
        raise ConfigError(f"deploy.{key}", program, config.source,
                          f"the router's program must be the host's: {why}")


def _check_verify(config: DeployConfig) -> None:
    """each-step verify needs a router with a pinned route (routers/base.py)."""
    if config.verify is None or "each-step" not in config.verify.when:
        return
    if not router_kinds.BY_NAME[config.router].pins:
        pinning = ", ".join(k.name for k in router_kinds.KINDS if k.pins)
        raise ConfigError("deploy.verify.when", list(config.verify.when), config.source,
                          f"each-step pins the verify run to the new version through the "
                          f"router; router = {config.router!r} cannot (routers that can: "
                          f"{pinning})")


def _rollout_metrics(table: Mapping[str, Any] | None, source: str) -> dict[str, Any]:
    """The metric tables marked ``rollout = true``, after the one parser checked them all
    (a bad metric table is refused by the deploy as by the plugin)."""
    if not table:
        return {}
    from pytest_pyramid.gates.sources import parse_metrics

    marked = {m.name for m in parse_metrics(table, source) if m.rollout}
    return {name: dict(value) for name, value in table.items() if name in marked}


def _notify(table: Mapping[str, Any] | None, source: str) -> dict[str, Any]:
    """``[tool.pyramid.notify]``, refused here by its one parser when bad."""
    if not table:
        return {}
    from pytest_pyramid.deploy.notify import parse_notify

    parse_notify(table, source)
    return dict(table)


def _check_judge(config: DeployConfig) -> None:
    """What the schema cannot say: the comparison needs a step of at most 50% (the baseline
    gets the canary's weight there: deploy/comparison.py) and scipy (the stats extra); and a
    metric compared with the baseline needs that baseline."""
    if config.judge != "nonparametric":
        for name, table in config.metrics.items():
            if "compare" in table:
                raise ConfigError(f"metrics.{name}.compare", table["compare"], config.source,
                                  "compares with the fresh baseline of judge = "
                                  f"'nonparametric'; this deploy's judge is {config.judge!r}")
        return
    if config.strategy == "blue-green" or not any(w <= 50 for w in config.steps):
        raise ConfigError("deploy.judge", config.judge, config.source,
                          f"compares at steps of at most 50% (where the baseline gets the "
                          f"canary's weight); this plan ({config.strategy}, steps "
                          f"{list(config.steps)}) has none")
    _check_looks(config)
    import importlib.util

    if importlib.util.find_spec("scipy") is None:
        raise ConfigError("deploy.judge", config.judge, config.source,
                          "needs scipy: pip install 'pytest-pyramid-verdict[stats]'")


def _check_looks(config: DeployConfig) -> None:
    """``judge_looks`` covers the looks the plan takes (counted by the function the rollout's
    steps are compared by): fewer, and the last compared step could only be inconclusive."""
    from pytest_pyramid.deploy.strategies import compared_phase, planned_looks

    needed = planned_looks(config.strategy, config.steps, config.measurements)
    if needed > config.judge_looks:
        compared = [w for w in config.steps if compared_phase(w, "step")]
        raise ConfigError("deploy.judge_looks", config.judge_looks, config.source,
                          f"fewer than the {needed} looks this plan takes (steps {compared} "
                          f"compared x measurements = {config.measurements}): past "
                          f"judge_looks a look is inconclusive, so the rollout could never "
                          f"pass; set judge_looks >= {needed}, or compare fewer steps")


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


# -- environments: staging, production ... (deploy/environments.py says what they are) ----------
ENVIRONMENTS = "environments"
ENVIRONMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def environments_of(table: Mapping[str, Any], source: str) -> dict[str, Mapping[str, Any]]:
    """The environments the deploy table declares, each a table (ConfigError otherwise)."""
    envs = table.get(ENVIRONMENTS, {})
    if not isinstance(envs, Mapping):
        raise ConfigError("deploy.environments", envs, source,
                          "expected tables, e.g. [tool.pyramid.deploy.environments.staging]")
    for name, own in envs.items():
        if not ENVIRONMENT_NAME.match(str(name)):
            raise ConfigError(f"deploy.environments.{name}", name, source,
                              "an environment's name is letters, digits, '-' and '_'")
        if not isinstance(own, Mapping):
            raise ConfigError(f"deploy.environments.{name}", own, source, "expected a table")
        for key, value in own.items():
            if key not in KEYS:
                raise ConfigError(f"deploy.environments.{name}.{key}", value, source,
                                  "unknown key (an environment sets keys of "
                                  "[tool.pyramid.deploy])")
    return dict(envs)


def environment_table(table: Mapping[str, Any], env: str | None, source: str, *,
              require_env: bool = False) -> dict[str, Any]:
    """The deploy table ``env`` deploys with: the base keys, the environment's own on top,
    its work folder (and history) its own unless it names them."""
    envs = environments_of(table, source)
    base = {k: v for k, v in table.items() if k != ENVIRONMENTS}
    if env is None:
        if envs and require_env:
            raise ConfigError("--env", None, source,
                              f"this project deploys to environments ({', '.join(envs)}): "
                              "name one with --env")
        return base
    if env not in envs:
        known = ", ".join(envs) or "none; [tool.pyramid.deploy.environments.<name>] defines one"
        raise ConfigError("--env", env, source, f"no such environment (known: {known})")
    own = envs[env]
    merged = {**base, **own}
    if "work_dir" not in own:
        merged["work_dir"] = str(PurePosixPath(str(base.get("work_dir",
                                                            KEYS["work_dir"].default))) / env)
    if "history" not in own and base.get("history"):
        history = PurePosixPath(str(base["history"]))
        merged["history"] = str(history.with_name(f"{history.stem}-{env}{history.suffix}"))
    return merged


def check_apart(configs: Mapping[str, DeployConfig], source: str) -> None:
    """Two environments never share a port or a work folder (one would take the other's
    traffic, state and history)."""
    seen: dict[tuple[str, object], str] = {}
    for name, config in configs.items():
        for what, value in (("port", config.port), ("work_dir", config.work_dir)):
            other = seen.setdefault((what, value), name)
            if other != name:
                raise ConfigError(f"deploy.environments.{name}.{what}", value, source,
                                  f"the same as environment {other!r}: each needs its own")



def load_config(
    pyproject: Path | None,
    overrides: Mapping[str, object] | None = None,
    *,
    cwd: Path | None = None,
    env: str | None = None,
    require_env: bool = False,
) -> DeployConfig:
    """``[tool.pyramid.deploy]`` of ``pyproject`` (``--config``: a pyproject.toml, a
    pyramid.toml or a project folder), else of the project at or above ``cwd``
    (:mod:`pytest_pyramid.project` finds it, as for every command); defaults without one.
    ``env``: the environment deployed to (``require_env``: refuse to guess one)."""
    from pytest_pyramid.project import load_optional

    cwd = cwd or Path.cwd()
    project = load_optional(cwd, config=pyproject)
    if project is None:
        if env is not None:
            raise ConfigError("--env", env, "<defaults>", "no project configuration declares "
                              "environments")
        return build_config({}, source="<defaults>", root=cwd, overrides=overrides, cwd=cwd)
    return project_config(project.source, project.table, overrides, cwd=cwd, env=env,
                          require_env=require_env)


def project_config(
    source: str,
    pyramid: Mapping[str, object],
    overrides: Mapping[str, object] | None = None,
    *,
    cwd: Path | None = None,
    env: str | None = None,
    require_env: bool = False,
) -> DeployConfig:
    """The deploy settings of a project's ``[tool.pyramid]`` table read from ``source``, for
    ``env`` (deploy/environments.py) when given."""
    path = Path(source)
    table = pyramid.get("deploy", {})
    if not isinstance(table, Mapping):
        raise ConfigError("deploy", table, source, "expected a table [tool.pyramid.deploy]")
    verdict = pyramid.get("verdict")
    if verdict is not None and (not isinstance(verdict, str) or not verdict.strip()):
        raise ConfigError("verdict", verdict, source, "expected a file path")
    metrics = cast("Mapping[str, Any] | None", pyramid.get("metrics"))
    notify = cast("Mapping[str, Any] | None", pyramid.get("notify"))
    root = path.parent.resolve()
    chosen = environment_table(table, env, source, require_env=require_env)
    requires_history = None
    required = chosen.get("requires")
    if env is not None and required:
        if required == env or required not in environments_of(table, source):
            raise ConfigError(f"deploy.environments.{env}.requires", required, source,
                              "expected another environment of [tool.pyramid.deploy."
                              "environments]")
        before = build_config(environment_table(table, str(required), source),
                              source=source, root=root, pyramid_verdict=verdict,
                              metrics=metrics, notify=notify)
        requires_history = before.history_path
    config = build_config(chosen, source=source, root=root, overrides=overrides,
                          cwd=cwd or Path.cwd(), pyramid_verdict=verdict,
                          environment=env or "", requires_history=requires_history,
                          metrics=metrics, notify=notify)
    if env is not None:
        everyone = {name: build_config(environment_table(table, name, source),
                                       source=source, root=root, pyramid_verdict=verdict,
                                       metrics=metrics, notify=notify)
                    for name in environments_of(table, source) if name != env}
        check_apart({**everyone, env: config}, source)
        config = replace(config, environment_histories={
            name: str(other.history_path) for name, other in everyone.items()},
            environment_work_dirs={name: str(other.work_dir) for name, other in everyone.items()})
    return replace(config, risk={part: pyramid[part] for part in RISK_PARTS if part in pyramid})
