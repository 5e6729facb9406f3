"""The deploy commands' arguments against the project's tracked configuration: one table.

A deploy is judged by the configuration the reviewed commit ships (``[tool.pyramid.deploy]``);
the command line may **tighten** it, never loosen it (hostile case 167: ``--max-age 24000h``
deployed a three-day-old verdict, ``--error-rate-limit 0.9`` judged a rollout that failed 90%
of its requests). Every option the deploy commands register is classified here:

* a ``[tool.pyramid.deploy]`` key's flag (:data:`RULES`): which way is stricter -
  ``smaller`` (a limit: ``max_age``, ``p95_limit`` ...), ``larger`` (evidence asked for:
  ``measurements``, ``min_requests`` ...), ``superset`` (lists: every tracked entry kept),
  ``ranked`` (choices, loosest first), ``same`` (no order: only the tracked value), or
  ``free`` (where this host keeps and serves things: ports, folders, grace periods; nothing
  judged, and no program it runs);
* every other option (:data:`OTHER_OPTIONS`), with why it cannot loosen a tracked value.

:func:`tightened` applies the rules: a value that loosens the tracked one (or the built-in
default when the tracked table sets none) is a :class:`Loosened` error (exit 3) naming the
option, the value, the tracked value and its file. ``tests/unit/deploy/test_arguments.py``
walks the parsers and fails on an option this table does not classify, so a new argument
cannot open a hole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pytest_pyramid.deploy.config import DeployConfig, VerifySettings

DIRECTIONS = ("smaller", "larger", "superset", "ranked", "same", "free")


class Loosened(PyramidError):
    """A command-line value that loosens the tracked configuration (exit 3)."""


@dataclass(frozen=True)
class Rule:
    """How a flag's value compares with the tracked one: ``stricter`` (one of
    :data:`DIRECTIONS`), the reason, and for ``ranked`` the values loosest first."""

    stricter: str
    why: str
    ranks: tuple[str, ...] = ()


def _limit(why: str) -> Rule:
    return Rule("smaller", why)


def _evidence(why: str) -> Rule:
    return Rule("larger", why)


def _host(why: str) -> Rule:
    return Rule("free", why)


#: every ``[tool.pyramid.deploy]`` key that has a flag, and which way is stricter
RULES: dict[str, Rule] = {
    "verdict": _host("which verdict file: the gate judges it (commit, tree, signature, age)"),
    # blue-green sends every user to the new version at once (after its smoke paths),
    # canary a few first: canary is the stricter exposure, whatever else each judges
    "strategy": Rule("ranked", "blue-green moves every user to the new version at once, "
                     "canary a few first", ("blue-green", "canary")),
    "steps": Rule("superset", "every tracked step stays a checkpoint; more steps only add "
                  "looks before more users see the new version"),
    "interval": _evidence("a shorter interval watches each step for less time"),
    "measurements": _evidence("passing measurements needed to advance"),
    "error_rate_limit": _limit("the highest error rate accepted"),
    "p95_limit": _limit("the highest p95 latency accepted"),
    "min_requests": _evidence("fewer requests is inconclusive: more asks for more evidence"),
    "failure_limit": _limit("failed measurements tolerated"),
    "inconclusive_limit": _limit("inconclusive measurements tolerated before a pause"),
    "blind_timeout": _limit("how long a blind analysis waits before rolling back"),
    "compare_with_stable": _evidence("true adds the comparison with stable"),
    "max_p95_ratio": _limit("the canary's p95 over stable's accepted"),
    "max_error_rate_delta": _limit("the canary's error rate over stable's accepted"),
    "judge": Rule("ranked", "nonparametric judges the thresholds and compares with a "
                  "baseline too", ("threshold", "nonparametric")),
    "judge_alpha": _evidence("a larger level rolls a regression back more readily"),
    # a look's level is judge_alpha * share * (2k - 1) / looks**2 while a pass needs a fixed
    # confidence (deploy/nonparametric.py): more looks only make a rollback rarer, and a look
    # past them is inconclusive, never a pass
    "judge_looks": _limit("more planned looks give each look less of judge_alpha: a "
                          "regression rolls back less readily, a pass is as easy"),
    "judge_min_samples": _evidence("fewer requests on either side is inconclusive"),
    "judge_max_shift": _limit("a latency shift below it never rolls back"),
    "bake": _evidence("how long the new version is watched at 100% with the old one warm"),
    "progress_deadline": _limit("how long a rollout may stand still before rolling back"),
    "request_timeout": _limit("a slower answer is an error in the analysis"),
    "max_age": _limit("the oldest verdict accepted"),
    "approval_ttl": _limit("how long a signed approval counts"),
    "require_signature": _evidence("true refuses an unsigned verdict"),
    "deployer_key": _host("who deploys: proven by the key against the tracked people"),
    "work_dir": _host("where this host keeps state (the replay record reads the tracked "
                      "folder too: deploy/replays.py)"),
    "history": _host("where this host keeps the history: read freely (history, stats); a "
                      "command that judges takes only the target's own (judged_history)"),
    # what applies the weights and what the analysis reads judge the rollout, and a program
    # the deploy runs is code: the caller's arguments name none of them (hostile cases 220,
    # 227: `--router command --access-log <a log of 200s>` passed a version failing every
    # request; `--nginx <a script>` ran as the deploy account), only the tracked value
    "router": Rule("same", "the router applies the weights and writes the log the rollout "
                   "is judged by"),
    "nginx": Rule("same", "a program the deploy runs as its account: the tracked one"),
    "port": _host("the port this host listens on"),
    "nginx_include": Rule("same", "configuration of the router the rollout is judged "
                          "through"),
    "router_command": Rule("same", "a program the deploy runs to apply the weights"),
    "access_log": Rule("same", "the log the rollout's analysis reads"),
    # hostile case 220 (a): `--command "python -m http.server {port} --directory <elsewhere>"`
    # served files that are not the commit's, with exit 0; the start is part of the release
    "command": Rule("same", "a program the deploy runs as its account to serve the release: "
                    "the commit's tracked start"),
    "release_dir": _host("where this host checks the commit out"),
    "health_path": Rule("same", "the path whose answer says healthy: another path proves "
                        "something else"),
    "health_timeout": _limit("how long a new version may take to become healthy"),
    "smoke_paths": Rule("same", "the paths requested before the switch (none: the health "
                        "path, which another list would drop)"),
    "scale_down_delay": _evidence("blue-green's shortest bake"),
    "stop_timeout": _host("this host's SIGTERM grace"),
    "lease_timeout": _host("when this host's supervisor counts as gone"),
    "watch": Rule("ranked", "what a breach after the bake does", ("off", "alert", "rollback")),
    "migrations": _host("which folder of the release holds its migrations (never one outside "
                        "it: config.py): what it holds is judged as the tracked folder's would "
                        "be, by the schema check and the contract steps' approvals"),
}

#: every other option of the deploy commands, and why it cannot loosen a tracked value
OTHER_OPTIONS: dict[str, str] = {
    "help": "prints help",
    "config": "the configuration file: the deploy refuses one the commit does not ship "
              "unchanged (deploy/replays.py: shipped_table)",
    "env": "chooses one of the tracked environments (its own table, requires, approvals)",
    "commit": "the commit to deploy: the verdict must be for it",
    "approval": "signed approvals: each counted only when valid (deploy/approvals.py)",
    "dry_run": "changes nothing",
    "redeploy": "a person's override of the replay refusal, said in the output and history",
    "detach": "who follows the rollout, not how it is judged",
    "trust_first_checkout": "a person's explicit override where the anchors record is "
                            "missing or broken or the host's targets index gives the target "
                            "to another folder, said and recorded (deploy/anchors.py)",
    "job": "internal: a job file the deploy wrote",
    "key": "the approver's private key: proven against the tracked approvers",
    "role": "one of the approver's tracked roles",
    "output": "where an approval is written",
    "json": "output format",
    "by": "who decides, recorded",
    "rollout": "which rollout a command is for (refused when another one runs)",
    "wait": "how long a command waits for the supervisor to act",
    "restore_backup": "a backup by its file name in the backup folder (refused otherwise)",
    "force": "pyramid stop: stops a running deploy, which rolls back",
    "limit": "rows shown",
    "id": "which history row is shown",
    "days": "the figures' window",
}


def _rule(key: str) -> Rule:
    """A key's rule; one the table does not classify has no order (allow-list: an unknown
    flag may repeat the tracked value, nothing else)."""
    return RULES.get(key, Rule("same", "not classified in deploy/arguments.py"))


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def _loosens(rule: Rule, tracked: object, given: object) -> bool:
    """Whether ``given`` is looser than ``tracked`` by ``rule`` (equal is never looser)."""
    if rule.stricter == "free" or given == tracked:
        return False
    if rule.stricter == "smaller":
        return float(given) > float(tracked)  # type: ignore[arg-type]
    if rule.stricter == "larger":
        return float(given) < float(tracked)  # type: ignore[arg-type]
    if rule.stricter == "superset":
        return not set(tracked).issubset(set(given))  # type: ignore[call-overload]
    if rule.stricter == "ranked":
        return rule.ranks.index(str(given)) < rule.ranks.index(str(tracked))
    return True  # "same": no order, so any other value is refused


_WORDS = {"smaller": "smaller is stricter", "larger": "larger is stricter",
          "superset": "it must keep every tracked entry",
          "same": "it has no stricter direction, so only the tracked value is accepted"}


def _origin(key: str, deploy: Mapping[str, Any], environment: str, source: str) -> str:
    """Where the tracked value comes from: the environment's table, the deploy table, or the
    built-in default when the tracked file sets none."""
    from pytest_pyramid.deploy.config import KEYS

    own = deploy.get("environments", {}).get(environment, {}) if environment else {}
    if isinstance(own, dict) and key in own:
        return f"{own[key]!r} in {source} [tool.pyramid.deploy.environments.{environment}]"
    if key in deploy:
        return f"{deploy[key]!r} in {source} [tool.pyramid.deploy]"
    return f"the default {KEYS[key].default!r}: {source} sets none"


def loosened(tracked: DeployConfig, given: DeployConfig, overrides: Mapping[str, object],
             deploy: Mapping[str, Any]) -> list[str]:
    """What each command-line value in ``overrides`` loosens: ``tracked`` is the
    configuration without them, ``given`` with them, ``deploy`` the tracked
    ``[tool.pyramid.deploy]`` table as written (empty: none)."""
    found = []
    for key, raw in overrides.items():
        rule = _rule(key)
        if raw is None or not _loosens(rule, getattr(tracked, key), getattr(given, key)):
            continue
        if rule.stricter == "ranked":
            words = f"from loosest to strictest: {', '.join(rule.ranks)}"
        else:
            words = _WORDS[rule.stricter]
        found.append(f"{_flag(key)} {raw} loosens {key} = "
                     f"{_origin(key, deploy, tracked.environment, tracked.source)} ({words}: "
                     f"{rule.why}); the command line may only tighten the tracked "
                     "configuration: change it there")
    return found


def host_only(overrides: Mapping[str, object]) -> dict[str, object]:
    """The command line's values that say where and how this host runs things (``free``)."""
    return {key: value for key, value in overrides.items() if _rule(key).stricter == "free"}


def judged_history(source: str, pyramid: Mapping[str, Any], overrides: Mapping[str, object],
                   *, env: str | None, given: DeployConfig) -> None:
    """A command that judges (deploy, approve, the rollout's commands) reads the target's own
    history: the rollbacks since a verdict and the deployments that advance the anchors
    record are facts of the target, so ``--history`` may name only the file the table and the
    other flags give (hostile cases 277, 278: a fresh file forgot a rollback; a forged copy
    advanced the anchors record to an unreviewed commit's key). :class:`Loosened` otherwise."""
    from pytest_pyramid.deploy.config import project_config

    if overrides.get("history") is None:
        return
    others = {key: value for key, value in overrides.items() if key != "history"}
    own = project_config(source, pyramid, others, env=env).history_path
    if given.history_path != own:
        raise Loosened(f"--history {given.history_path} is not this target's history ({own}): "
                       "a deploy is judged by its target's own (the rollbacks since a verdict, "
                       "the deployments that advance its anchors record); leave --history out "
                       "(it may name any file for `pyramid history` and `pyramid stats`)")


def tightened(source: str, pyramid: Mapping[str, Any], overrides: Mapping[str, object], *,
              env: str | None, require_env: bool = True) -> DeployConfig:
    """The deploy configuration of ``pyramid`` (the tracked ``[tool.pyramid]`` table read
    from ``source``; ``<defaults>`` with {}: none) with the command line's ``overrides``,
    each of which may only tighten it (:class:`Loosened` otherwise)."""
    from pytest_pyramid.deploy.config import project_config

    # the host's own values (a port, a work folder) are part of the tracked side too: the
    # tracked table may need them to be complete, and nothing is judged by them
    tracked = project_config(source, pyramid, host_only(overrides), env=env,
                             require_env=require_env)
    given = project_config(source, pyramid, overrides, env=env, require_env=require_env)
    deploy = pyramid.get("deploy", {})
    problems = loosened(tracked, given, overrides, deploy if isinstance(deploy, dict) else {})
    if problems:
        raise Loosened("; ".join(problems))
    return given


#: the keys a rollout is judged by (hostile case 371): the commit under judgement may tighten
#: them for itself, never loosen them; its loosening counts from the next rollout, once it
#: was deployed under the limits in force (deploy/trust_record.py: limits_commit). Not here:
#: the gate's keys (anchored by deploy/anchors.py) and ``same`` keys (the tracked value only)
ANCHORED_LIMITS = (
    "steps", "interval", "measurements", "error_rate_limit", "p95_limit", "min_requests",
    "failure_limit", "inconclusive_limit", "blind_timeout", "compare_with_stable",
    "max_p95_ratio", "max_error_rate_delta", "judge", "judge_alpha", "judge_looks",
    "judge_min_samples", "judge_max_shift", "bake", "progress_deadline", "request_timeout",
    "scale_down_delay", "watch",
    # canary -> blue-green moved every user at once; more judge_looks made the judge mute
    "strategy",
    # the gate's own limits (hostile follow-up of 371): a commit raising max_age would pass
    # its own stale verdict, raising approval_ttl its own old approvals
    "max_age", "approval_ttl",
)

#: what the rollout is judged through or by that has no stricter direction (a program, a log,
#: a router's configuration, which tests run): where the commit changes one, the last good
#: release's is kept whole (:func:`anchored_settings`; ``nginx_include`` by its content, read
#: from git at both commits: deploy/cli.py ``_anchored_include``); the commit's counts from the
#: next rollout, once it has deployed
ANCHORED_SETTINGS = ("router", "router_command", "access_log", "nginx_include", "verify",
                     "migrations_check_tier")

#: why each of :data:`ANCHORED_SETTINGS` is the last good release's, not the commit's
_SETTINGS_WHY = {
    "router": "the command router runs the commit's program and the analysis reads the log "
              "its access_log names: a commit could point the judge at a log it writes",
    "router_command": "the program that applies the weights: the analysis trusts that they "
                      "are live",
    "access_log": "the log the analysis reads: a file the commit names could be one it wrote",
    "nginx_include": "configuration of the router the rollout is judged through: it could "
                     "answer users itself or rewrite what the log says",
    "verify": "which tests run against the release, and when: a commit dropping a tier or a "
              "phase is checked less (its added ones run too)",
    "migrations_check_tier": "the serving release's tests that check the new migrations: "
                             "that release's own word, not the new commit's",
}

#: how a commit is kept from loosening a ``[tool.pyramid.deploy]`` key for itself, one class
#: per key (``tests/unit/deploy/test_arguments.py`` walks the deploy schema and fails on a key
#: this table does not classify, so a new key cannot open a hole unseen):
#:
#: * ``anchored``: a limit in :data:`ANCHORED_LIMITS`, kept at the last release deployed
#:   here's value where the commit loosens it (deploy/cli.py: ``_anchored_limits``), or a
#:   setting in :data:`ANCHORED_SETTINGS`, kept where the commit changes it;
#: * ``anchors``: who signs, approves, deploys and what must come first: from the host's pins
#:   or the anchors record, never the commit (deploy/anchors.py, deploy/trust_record.py);
#: * ``host``: where this host keeps and serves things, or a program checked against the host
#:   (deploy/isolation.py: ``foreign_program``): nothing judged by it;
#: * ``commit``: what the release is and how it starts: the commit's own code and word, which
#:   the rollout then judges under the anchored limits; it sets no limit to loosen.
SAFETY: dict[str, tuple[str, str]] = {
    **{key: ("anchored", RULES[key].why) for key in ANCHORED_LIMITS},
    **{key: ("anchored", _SETTINGS_WHY[key]) for key in ANCHORED_SETTINGS},
    **{key: ("anchors", why) for key, why in {
        "trusted_keys": "the keys a verdict's signature is checked against",
        "require_signature": "only ever tightens through the record",
        "approvers": "who approves: a commit's additions count once it deployed",
        "deployers": "who deploys: a commit's additions count once it deployed",
        "requires": "the environments that must have deployed the commit first",
        "requires_within": "how recent that deploy must be: merged with the record's "
                           "(deploy/trust_record.py: merged_requires)",
        "required_approvals": "the record's count is kept where the commit's is smaller",
        "approver_roles": "the record's roles narrow the commit's",
    }.items()},
    **{key: ("host", why) for key, why in {
        "verdict": "which verdict file: the gate judges it (commit, tree, signature, age)",
        "deployer_key": "the deployer's proof, checked against the anchored deployers",
        "work_dir": "where this host keeps state; the anchors record and the targets index "
                    "follow the service, not the folder (deploy/targets.py)",
        "history": "where this host keeps the history; a judging command reads the target's "
                   "own (arguments.judged_history)",
        "nginx": "a program the deploy runs as itself: the host's, refused otherwise "
                 "(isolation.foreign_program)",
        "port": "the port this host listens on; its first use is judged by the targets index",
        "release_dir": "where this host checks the commit out",
        "stop_timeout": "this host's SIGTERM grace",
        "lease_timeout": "when this host's supervisor counts as gone",
    }.items()},
    **{key: ("commit", why) for key, why in {
        # what the release is and how it starts and answers: the commit's code decides these
        # answers whatever a key says, so a key can prove no more than its code; users'
        # traffic through the host's router judges it under the anchored limits
        "command": "the release's start: the commit's code",
        "health_path": "the release's own health answer (its code writes it): a success "
                       "there is no evidence, a failure counts (analysis.probe_paths, cases "
                       "372, 420), so another path only removes successes",
        "health_timeout": "only how long the deploy waits, before any user is sent to the "
                          "version, for its health answer: longer only waits (the serving "
                          "release keeps serving); it must still answer and then serve users",
        "smoke_paths": "paths requested on the version's own address before a blue-green "
                       "switch: the commit's code answers them anyway; users' requests to "
                       "them are judged like any other (case 420: never left out of the log)",
        "migrations": "the release's own folder of migrations, checked against the serving "
                      "release's own tier before any is applied",
        "database_url_env": "which variable names the database, passed like pass_env",
        "pass_env": "names the release's own code reads; the host's are refused "
                    "(isolation.unpassable)",
    }.items()},
}


def _stricter_of(rule: Rule, base: object, given: object) -> object:
    """The value kept where ``given`` loosens ``base``: ``base``, or for a list both lists'
    entries (the commit's added checkpoints stay, the dropped ones come back)."""
    if rule.stricter == "superset":
        return tuple(sorted(set(base) | set(given)))  # type: ignore[call-overload]
    return base


def anchored(base: DeployConfig, given: DeployConfig, by: str) -> tuple[dict[str, Any],
                                                                        list[str]]:
    """The limits of ``base`` (the table of the last release deployed here, commit ``by``)
    that ``given`` (the commit's own configuration) loosens: the values kept, and one line
    for each saying which and why."""
    kept: dict[str, Any] = {}  # DeployConfig's own field values
    said: list[str] = []
    for key in ANCHORED_LIMITS:
        rule, old, new = RULES[key], getattr(base, key), getattr(given, key)
        if not _loosens(rule, old, new):
            continue
        kept[key] = _stricter_of(rule, old, new)
        words = (f"from loosest to strictest: {', '.join(rule.ranks)}"
                 if rule.stricter == "ranked" else _WORDS[rule.stricter])
        said.append(f"{key}: kept {kept[key]!r}, not this commit's {new!r}: it loosens "
                    f"{old!r} of {by[:12]}, the last release deployed here ({words}: "
                    f"{rule.why}); a commit may tighten the limits it is judged by, a "
                    "loosening counts from the next rollout, once it has deployed")
    return kept, said


def anchored_metrics(base: DeployConfig, given: DeployConfig, by: str
                     ) -> tuple[dict[str, Any] | None, list[str]]:
    """The rollout metrics (``[tool.pyramid.metrics.<name>]`` with ``rollout = true``) a
    rollout is judged by, anchored like :data:`ANCHORED_LIMITS` (hostile case 423: a commit
    deleted the metric that had rolled its predecessor back): each metric of ``base`` (the
    last good release's table, commit ``by``) the commit drops or changes is judged as
    ``base`` has it; the commit's own new metrics are judged too. A change counts from the
    next rollout, once it has deployed. None: nothing kept; and one line per metric kept."""
    old, new = dict(base.metrics), dict(given.metrics)
    kept = {name: table for name, table in old.items() if new.get(name) != table}
    said = [f"metrics.{name}: kept {by[:12]}'s rollout metric, not this commit's "
            f"{'change to it' if name in new else 'removal of it'}: the last release deployed "
            "here was judged by it; a change to what judges a rollout counts from the next "
            "rollout, once it has deployed" for name in sorted(kept)]
    return ({**new, **kept} if kept else None), said


def _route(config: DeployConfig) -> tuple[object, ...]:
    """What the analysis is read through: the router, and for one whose program is not the
    deploy's own (the command router) that program and the log it names."""
    from pytest_pyramid.deploy.router_kinds import BY_NAME

    own = BY_NAME[config.router].runs_here
    return (config.router,) if own else (config.router, config.router_command,
                                         config.access_log)


def _stricter_verify(old: VerifySettings | None, new: VerifySettings | None
                     ) -> VerifySettings | None:
    """The verify run kept where ``new`` (the commit's) checks less than ``old``: every tier
    and phase of both (for another project folder, ``old`` whole). The commit's timeout is
    taken: a run past it fails, so a longer one only waits."""
    from dataclasses import replace

    from pytest_pyramid.deploy.config import VERIFY_WHEN

    if old is None or new == old:
        return new
    if new is None or new.project != old.project:
        return old
    tiers = old.tier.split(",")
    tiers += [tier for tier in new.tier.split(",") if tier not in tiers]
    when = [phase for phase in VERIFY_WHEN if phase in old.when or phase in new.when]
    return replace(new, tier=",".join(tiers), when=tuple(when))


def anchored_settings(base: DeployConfig, given: DeployConfig, by: str
                      ) -> tuple[dict[str, Any], list[str]]:
    """The :data:`ANCHORED_SETTINGS` of ``base`` (the last good release's table, commit
    ``by``) kept where ``given`` (the commit's own) changes them, and one line for each
    (``nginx_include`` is compared by content elsewhere: deploy/cli.py)."""
    kept: dict[str, Any] = {}
    if _route(base) != _route(given):
        kept.update(router=base.router, router_command=base.router_command,
                    access_log=base.access_log)
    verify = _stricter_verify(base.verify, given.verify)
    if verify != given.verify:
        kept["verify"] = verify
    if base.migrations_check_tier != given.migrations_check_tier:
        kept["migrations_check_tier"] = base.migrations_check_tier
    said = [f"{key}: kept {value!r}, not this commit's {getattr(given, key)!r} "
            f"({_SETTINGS_WHY[key]}): {by[:12]}, the last release deployed here, was judged "
            "so; a change counts from the next rollout, once it has deployed"
            for key, value in kept.items() if value != getattr(given, key)]
    return kept, said


#: the tables of ``[tool.pyramid]`` beside ``deploy`` that judge a deploy, anchored like
#: :data:`ANCHORED_LIMITS` (hostile case 463: a commit adding a migration set its own
#: migrations factor to weight 0, or ``approval_from = "never"``): the deploy's risk gate
#: (deploy/change_risk.py) judges the shipped change by the last good release's rules where
#: the commit loosens them (:func:`anchored_risk`); the commit's count from the next rollout
ANCHORED_TABLES = ("risk", "approvals")


def anchored_risk(base: DeployConfig, given: DeployConfig, by: str
                  ) -> tuple[dict[str, Any], list[str]]:
    """``[tool.pyramid.risk]`` and ``[tool.pyramid.approvals]`` as the deploy judges by them:
    the commit's (``given``) where at least as strict as those of ``base`` (the last good
    release's table, commit ``by``), rule by rule (gates/risk.py: stricter_risk); the raw
    tables kept (``{"risk": ...}``, nothing when nothing is) and one line per rule. A table
    of ``by`` the schema refuses is judged as the built-in rules, never as the commit's."""
    from pytest_pyramid.errors import ConfigError
    from pytest_pyramid.gates.risk import RiskSettings, checked_risk, risk_tables, stricter_risk

    try:
        old = checked_risk(base.risk, base.source)
    except (ConfigError, KeyError, TypeError, ValueError):
        old = RiskSettings(enabled=True)
    settings, kept = stricter_risk(old, checked_risk(given.risk, given.source))
    if not kept:
        return {}, []
    said = [f"{key}: kept {mine}, not this commit's {theirs}: {by[:12]}, the last release "
            "deployed here, was judged so (the risk of a change and the approvals it needs: "
            "a commit may tighten the rules it is judged by, a loosening counts from the next "
            "rollout, once it has deployed)" for key, mine, theirs in kept]
    return {"risk": risk_tables(settings)}, said
