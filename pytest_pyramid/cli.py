"""The ``pyramid`` command: read a verdict (``check``), sign it (``attest``) and, through the
deploy module, ship it.

Exit codes: 0 ready / done, 1 blocked or incomplete, 2 needs approval, 3 unusable input.
Every failure is one line on stderr naming the file and the problem, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pytest_pyramid.durations import parse_duration
from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

EXIT_READY = 0
EXIT_NOT_READY = 1
EXIT_NEEDS_APPROVAL = 2
EXIT_UNUSABLE = 3
DECISION_EXIT = {
    "ready": EXIT_READY,
    "blocked": EXIT_NOT_READY,
    "incomplete": EXIT_NOT_READY,
    "needs_approval": EXIT_NEEDS_APPROVAL,
}


class UsageFailure(PyramidError):
    """Bad input to a command: printed and turned into exit code 3."""


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (exit 3, from :func:`main`) instead of the
    usage block and exit 2. Subcommand parsers are of the same class."""

    def error(self, message: str) -> NoReturn:
        raise UsageFailure(f"{self.prog}: {message} (see {self.prog} --help)")


def _duration_arg(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def _print(text: str, *, err: bool = False) -> None:
    """Print what a verdict says even when the terminal cannot encode it."""
    stream = sys.stderr if err else sys.stdout
    encoding = getattr(stream, "encoding", None) or "utf-8"
    stream.write(text.encode(encoding, "replace").decode(encoding, "replace") + "\n")


def _trust_config() -> tuple[list[str], bool]:
    """``trusted_keys`` and ``require_signature`` of the project's ``[tool.pyramid.deploy]``:
    the deploy gate's own settings, read by its own parser (one meaning for both)."""
    from pytest_pyramid.deploy.config import load_config
    from pytest_pyramid.errors import ConfigError

    try:
        config = load_config(None)
    except ConfigError as exc:
        raise UsageFailure(str(exc)) from None
    return list(config.trusted_keys), config.require_signature


def _name_changes(problem: str, verdict: Mapping[str, Any]) -> str:
    """A dirty verdict's problem, with the files that made it dirty (from the tree it
    recorded, compared with its commit's)."""
    from pytest_pyramid.verdict.provenance import changed_files
    from pytest_pyramid.verdict.trust import DIRTY

    tree = verdict.get("tree")
    if not problem.startswith(DIRTY) or not isinstance(tree, dict):
        return problem
    digest, head = tree.get("digest"), tree.get("head")
    if not isinstance(digest, str) or not isinstance(head, str):
        return problem
    files = changed_files(Path.cwd(), head, digest)
    if not files:
        return problem
    shown = ", ".join(files[:10]) + (f" and {len(files) - 10} more" if len(files) > 10 else "")
    return f"{problem}; changed: {shown}"


def cmd_check(args: argparse.Namespace) -> int:
    from pytest_pyramid.errors import VerdictError
    from pytest_pyramid.verdict.decision import contradiction
    from pytest_pyramid.verdict.document import load_verdict
    from pytest_pyramid.verdict.render_text import decision_lines, gate_lines
    from pytest_pyramid.verdict.signing import SignatureError, envelope_path, read_envelope
    from pytest_pyramid.verdict.trust import (
        TrustError,
        TrustPolicy,
        keyring,
        pinned_key_sources,
        resolve_target,
        trust_problems,
    )

    path = Path(args.verdict)
    try:
        verdict = load_verdict(path)
    except VerdictError as exc:
        raise UsageFailure(str(exc)) from None
    repo_keys, configured_required = _trust_config()
    try:
        sources, origin = pinned_key_sources(args.trusted_key)
        keys = keyring(sources, origin or "trusted key")
        target = resolve_target(Path.cwd(), args.commit, verdict)
        signature_file = Path(args.signature) if args.signature else envelope_path(path)
        envelope = read_envelope(signature_file)
        if args.signature and envelope is None:
            raise UsageFailure(f"{signature_file}: no such signature file")
    except (TrustError, SignatureError) as exc:
        raise UsageFailure(str(exc)) from None
    if repo_keys and not keys:
        _print("note: the trusted_keys of the checked tree are not used (a commit could add its "
               "own signer): pin keys outside it with --trusted-key, PYRAMID_TRUSTED_KEYS or "
               "~/.config/pyramid/trusted_keys", err=True)
    policy = TrustPolicy(
        allow_dirty=args.allow_dirty,
        max_age_s=args.max_age,
        require_signature=args.require_signature or configured_required,
        trusted_keys=keys,
    )
    problems = [
        _name_changes(problem, verdict)
        for problem in trust_problems(verdict, target=target, policy=policy, envelope=envelope)
    ]
    refusing = verdict["decision"] in ("blocked", "incomplete") and contradiction(verdict) is None
    if problems and not refusing:
        raise UsageFailure(f"{path}: " + "; ".join(problems))
    for problem in problems:  # a refusal stays a refusal (exit 1); the problems are shown
        _print(f"note: {problem}", err=True)
    if target.commit is None and verdict["decision"] in ("ready", "needs_approval"):
        raise UsageFailure(
            f"{path}: not bound to any commit (no git repository here): pass --commit SHA to "
            "say which code the verdict must vouch for"
        )
    recorded = (verdict.get("commit") or "no commit")[:12]
    signed = ", signed by a trusted key" if envelope is not None and keys else ""
    _print(f"{path}: {recorded}, created {verdict['created_at']}{signed}")
    if verdict.get("dirty"):
        _print(
            "warning: produced from a working tree with changes not in its commit "
            "(accepted: --allow-dirty)"
        )
    failing = [g for g in verdict["gates"] if g["status"] != "pass"]
    if failing:
        _print("\n".join(gate_lines(failing, explain=False)))
    _print("\n".join(decision_lines(verdict)))
    if args.format == "github":
        _github_annotations(verdict)
    return DECISION_EXIT[verdict["decision"]]


def _github_annotations(verdict: Any) -> None:
    """``::error``/``::warning`` workflow commands for gates that did not pass."""
    from pytest_pyramid.results import effect

    def escape(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    for gate in verdict["gates"]:
        kind = effect(gate["level"], gate["status"], gate.get("on_missing", "fail"))
        if kind == "none":
            continue
        command = "error" if kind == "block" else "warning"
        title = escape(f"gate {gate['id']}").replace(",", "%2C").replace("::", "%3A%3A")
        _print(f"::{command} title={title}::{escape(str(gate.get('message') or gate['status']))}")


def cmd_attest(args: argparse.Namespace) -> int:
    from pytest_pyramid._files import write_text_atomic
    from pytest_pyramid.errors import VerdictError
    from pytest_pyramid.verdict.decision import contradiction
    from pytest_pyramid.verdict.document import load_verdict
    from pytest_pyramid.verdict.signing import (
        SignatureError,
        attest,
        envelope_path,
        key_id,
        load_private_key,
    )

    path = Path(args.verdict)
    try:
        verdict = load_verdict(path)
        key = load_private_key(Path(args.key))
    except (VerdictError, SignatureError) as exc:
        raise UsageFailure(str(exc)) from None
    problem = contradiction(verdict)
    if problem:
        raise UsageFailure(f"{path}: refusing to sign a verdict that contradicts itself: {problem}")
    import json

    envelope = attest(verdict, key)
    out = Path(args.output) if args.output else envelope_path(path)
    write_text_atomic(out, json.dumps(envelope, separators=(",", ":")) + "\n")
    _print(
        f"{out}: signed {verdict['decision']} verdict for "
        f"{(verdict.get('commit') or 'no commit')[:12]} with key {key_id(key.public_key())[:16]}"
    )
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    from pytest_pyramid._files import write_bytes_atomic
    from pytest_pyramid.verdict.signing import (
        SignatureError,
        generate_private_key,
        key_id,
        private_pem,
        public_pem,
    )

    prefix = Path(args.prefix)
    private, public = prefix.with_name(prefix.name + ".key"), prefix.with_name(prefix.name + ".pub")
    for target in (private, public):
        if target.exists() and not args.force:
            raise UsageFailure(f"{target}: exists (use --force to replace it)")
    try:
        key = generate_private_key()
    except SignatureError as exc:
        raise UsageFailure(str(exc)) from None
    write_bytes_atomic(private, private_pem(key), mode=0o600)
    write_bytes_atomic(public, public_pem(key.public_key()))
    _print(f"private key {private} (keep it secret: CI's attest step or an approver only)")
    _print(f"public key  {public} (key id {key_id(key.public_key())})")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    """``pyramid merge``: judge the CI shards' partial results once (verdict/merge.py)."""
    from pytest_pyramid.verdict.merge import run_merge
    from pytest_pyramid.verdict.render_text import decision_lines, gate_lines

    outcome = run_merge(
        args.partials,
        config=args.config,
        output=args.output,
        durations_out=args.durations_out,
        coverage_out=args.coverage_out,
        diff_base=args.diff_base,
        run_id=args.run_id,
    )
    verdict = outcome.result.verdict
    shards = outcome.result.shards
    retried = f", retried: {shards['retried']}" if shards.get("retried") else ""
    _print(
        f"merged {len(outcome.result.shard_set.finished)} of {shards.get('total')} shard(s)"
        f"{retried}; critical path {shards.get('critical_path_s')}s, summed test time "
        f"{shards.get('summed_test_time_s')}s"
    )
    failing = [g for g in verdict["gates"] if g["status"] != "pass"]
    if failing:
        _print("\n".join(gate_lines(failing, explain=False)))
    _print("\n".join(decision_lines(verdict)))
    for note in outcome.result.notes:
        _print(note, err=True)
    _print(f"verdict written to {outcome.verdict_path}")
    if outcome.durations_path is not None:
        _print(f"durations for the next split written to {outcome.durations_path}")
    return DECISION_EXIT[verdict["decision"]]


def _add_merge(commands: Any) -> None:
    merge = commands.add_parser(
        "merge",
        help="judge CI shards' partial results (pyramid-partial-I-of-N.json) once; exit codes "
        "as check; 3 when the partials cannot be one run",
    )
    merge.add_argument("partials", nargs="+", metavar="PARTIAL",
                       help="partial result files, or directories holding them")
    merge.add_argument("-o", "--output", default=None, metavar="FILE",
                       help="where to write the verdict (default: [tool.pyramid] verdict)")
    merge.add_argument("--durations-out", default=None, metavar="FILE",
                       help="durations file for the next split (default: the file the "
                       "shards read: pyramid_durations, else .pyramid/durations.json)")
    merge.add_argument("--coverage-out", default=None, metavar="FILE",
                       help="also keep the combined coverage data file (coverage html ...)")
    merge.add_argument("--config", default=None, metavar="FILE",
                       help="the pyproject.toml or pyramid.toml the shards ran with (default: "
                       "the project at or above this folder)")
    merge.add_argument("--diff-base", default=None, metavar="REV",
                       help="base revision for changed-line coverage and risk (default: the "
                       "shards' --pyramid-diff-base)")
    merge.add_argument("--run-id", default=None, metavar="ID",
                       help="the run the shards belong to, when they carry no CI run id "
                       "(default: PYRAMID_RUN_ID); without one such shards are refused")
    merge.set_defaults(func=cmd_merge)


def cmd_report(args: argparse.Namespace) -> int:
    from pytest_pyramid.errors import VerdictError
    from pytest_pyramid.report_kinds import KINDS
    from pytest_pyramid.verdict.document import load_verdict
    from pytest_pyramid.verdict.reports import ReportError, ReportRequest, build_reports

    path = Path(args.verdict)
    files = {kind.name: getattr(args, kind.name) for kind in KINDS
             if getattr(args, kind.name) is not None}
    request = ReportRequest(files=files, history=args.history, junit_prefix=args.junit_prefix)
    if args.history is not None:
        from pytest_pyramid.cli_flaky import project_policy

        request.flaky_policy = project_policy()
    targets = {f"--{name}": target for name, target in files.items()}
    if args.history is not None:
        targets["--history"] = args.history
    if not targets:
        raise UsageFailure("name at least one output: "
                           + ", ".join(f"--{kind.name}" for kind in KINDS) + " or --history")
    for flag, target in targets.items():
        if target.is_dir():
            raise UsageFailure(f"{flag} {target}: is a directory, not a file")
    try:
        verdict = load_verdict(path)
        outcome = build_reports(verdict, path, request)
    except (VerdictError, ReportError) as exc:
        raise UsageFailure(str(exc)) from None
    if outcome.results_problem:
        _print(f"note: {outcome.results_problem}", err=True)
    for kind, target in outcome.written:
        extra = f" ({outcome.history_runs} run(s) in the trend)" if kind == "history" else ""
        _print(f"{kind}: {target}{extra}")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    """``pyramid history --runs [DB]``: the test-run history, oldest of the window first."""
    import json

    from pytest_pyramid.verdict.history import HistoryError, recent

    database = _runs_database(args)
    if not database.is_file():
        raise UsageFailure(f"{database}: no run history there yet: `pytest "
                           f"--pyramid-history={database}` appends each run to it")
    try:
        rows = recent(database, max(1, args.limit))
    except HistoryError as exc:
        raise UsageFailure(str(exc)) from None
    if args.json:
        _print(json.dumps([
            {"seq": r.seq, "run_id": r.run_id, "run_number": r.run_number,
             "created_at": r.created_at, "commit": r.commit, "branch": r.branch,
             "decision": r.decision, "tests": r.tests, "failed": r.failed,
             "duration_s": r.duration_s, "tiers": r.tiers, "metrics": r.metrics,
             "reordered": r.reordered, "missing_before": r.missing_before}
            for r in rows
        ], indent=2))
        return 0
    _print(f"{'#':>5}  {'run':>6}  {'created':<20}  {'commit':<10}  {'branch':<16}  "
           f"{'decision':<14}  {'tests':>6}  {'failed':>6}  tiers")
    for row in rows:
        flags = []
        if row.missing_before:
            flags.append(f"({row.missing_before} run(s) missing before)")
        if row.reordered:
            flags.append("(older than the row before)")
        tiers = " ".join(f"{name}:{t.get('tests', 0)}" for name, t in row.tiers.items())
        number = "-" if row.run_number is None else str(row.run_number)
        _print(f"{row.seq:>5}  {number:>6}  {row.created_at:<20}  {(row.commit or '-')[:10]:<10}"
               f"  {(row.branch or '-')[:16]:<16}  {row.decision:<14}  {row.tests:>6}  "
               f"{row.failed:>6}  {tiers} {' '.join(flags)}".rstrip())
    return 0


def _runs_database(args: argparse.Namespace) -> Path:
    """``--runs DB``, else ``--history DB``, else ``pyramid_history`` of pytest's
    configuration in the project's folder (the ini file pytest reads it from)."""
    if args.runs:
        return Path(args.runs)
    if getattr(args, "history", None):
        return Path(args.history)
    from pytest_pyramid.project import locate, pytest_ini_option

    # pytest resolves the option against its rootdir: the project's folder
    start = Path.cwd()
    found = locate(start)
    if found is not None and (value := pytest_ini_option(found.folder, "pyramid_history")):
        return found.folder / value
    raise UsageFailure(
        f"no run history named: looked for --runs DB, --history DB and pyramid_history in "
        f"pytest's configuration of the project found from {start}; enable it with "
        "pyramid_history = \"FILE\" there (or `pytest --pyramid-history=FILE`), then "
        "`pyramid history --runs`"
    )


def _project(given: str | None) -> Any:
    """The project ``pyramid config check`` reads: a file, a project directory, or (without
    a path) the nearest project at or above the current directory."""
    from pytest_pyramid.project import load

    return load(config=Path(given) if given is not None else None)


def cmd_config_check(args: argparse.Namespace) -> int:
    """Everything a pytest run (and ``pyramid deploy``) would check at start-up, run none."""
    from pytest_pyramid.cov.config import parse_coverage_settings
    from pytest_pyramid.deploy.config import project_config
    from pytest_pyramid.errors import ConfigError
    from pytest_pyramid.gates.engine import GateEngine
    from pytest_pyramid.run.tiers import MarkerRuleError, MarkerRules

    project = _project(args.path)
    path, table, settings = project.path, project.table, project.settings
    rules = {name: spec.markers for name, spec in settings.tiers.items() if spec.markers}
    try:
        MarkerRules(rules, {name: spec.order for name, spec in settings.tiers.items()})
    except MarkerRuleError as exc:
        raise ConfigError("tiers.*.markers", rules, str(path), str(exc)) from None
    engine = GateEngine.from_settings(settings, environ={})
    parse_coverage_settings(table, str(path), settings.tier_names,
                            source_paths=settings.source_paths)
    project_config(project.source, table)
    gates = sorted({item.spec.id for item in engine.prepared})
    _print(
        f"{path}: valid: tiers {', '.join(settings.tiers)}; gates {', '.join(gates)}"
    )
    return 0


def _measure(project: Any, plan: Any, runs: int, *, own_config: bool = False) -> Any:
    """Run the suite ``runs`` times with the proposal in a temporary pyramid.toml (observe
    mode, no budgets) and read what the verdicts measured. Leaves nothing in the project:
    the verdict, coverage data and pytest's cache go to a temporary folder, no bytecode is
    written, and each run's own output is kept back (it would show gates the proposal turns
    off) except when it fails."""
    import importlib.util
    import tempfile

    from pytest_pyramid import adopt
    from pytest_pyramid.project import STANDALONE

    coverage = bool(project.source) and importlib.util.find_spec("pytest_cov") is not None
    probe = project.root / STANDALONE
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(1, runs + 1):
            # a configured project (`--remeasure`) is measured with its own configuration
            if not own_config:
                probe.write_text(
                    adopt.render(project, plan, None, measuring=True, coverage=coverage)
                )
            try:
                measured = _measure_once(project, Path(tmp), index, runs, coverage=coverage)
                if measured is None and coverage:  # the project's coverage set-up clashes
                    coverage = False
                    if not own_config:
                        probe.write_text(adopt.render(project, plan, None, measuring=True))
                    measured = _measure_once(project, Path(tmp), index, runs, coverage=False)
            finally:
                if not own_config:
                    probe.unlink(missing_ok=True)
            if measured is None:
                raise UsageFailure(f"{project.root}: the measuring run collected no test")
            found.append(measured)
    measured = adopt.slowest(found)
    if measured.failed:
        _print(f"note: {measured.failed} test(s) failed in the measuring run; its figures are "
               "used anyway", err=True)
    return measured


def _measure_once(project: Any, tmp: Path, index: int, runs: int, *, coverage: bool) -> Any:
    """One measuring run; None: it collected no test (or wrote no verdict) with --cov."""
    import json
    import os
    import subprocess

    from pytest_pyramid import adopt

    verdict = tmp / f"verdict-{index}.json"
    verdict.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pytest", f"--pyramid-verdict={verdict}",
               "-p", "no:cacheprovider", "-q"]
    if coverage:
        command += [f"--cov={source}" for source in project.source] + ["--cov-report="]
    env = {**os.environ, "COVERAGE_FILE": str(tmp / ".coverage"), "PYTHONDONTWRITEBYTECODE": "1"}
    _print(f"measuring {index}/{runs}: {' '.join(command[1:])}")
    sys.stdout.flush()
    result = subprocess.run(command, cwd=project.root, env=env, check=False,
                            capture_output=True, text=True)
    measured = None
    if verdict.is_file():
        measured = adopt.read_measurement(json.loads(verdict.read_text("utf-8")))
    if measured is not None and measured.tests:
        total = sum(measured.tests.values())
        _print(f"  {total} test{'' if total == 1 else 's'} in {measured.duration_s:.1f}s "
               f"(exit {result.returncode})")
        return measured
    tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-3:])
    if coverage:
        _print(f"  no test measured with --cov (exit {result.returncode}): the project's own "
               "coverage configuration may clash with --cov; measuring again without "
               f"coverage. Its output ended:\n{tail}", err=True)
        return None
    if measured is None:
        raise UsageFailure(
            f"{project.root}: the measuring run (exit {result.returncode}) wrote no verdict; "
            f"its output ended:\n{tail}"
        )
    return None


def _ignore_outputs(root: Path) -> str:
    """Add the run's output files to the project's .gitignore; what was added, in words."""
    from pytest_pyramid import adopt
    from pytest_pyramid._files import write_text_atomic

    path = root / ".gitignore"
    existing = path.read_text("utf-8") if path.is_file() else ""
    lines = adopt.gitignore_lines(existing)
    if not lines:
        return ""
    head = existing if not existing or existing.endswith("\n") else existing + "\n"
    write_text_atomic(path, head + "# pytest-pyramid's run outputs\n" + "\n".join(lines) + "\n")
    return f"{path.name}: added {', '.join(lines)}"


def _remeasure(root: Path, runs: int) -> int:
    """Measure a configured project with its own configuration and print, per tier, its
    budget next to the one ``pyramid init`` would propose now (nothing is written)."""
    from pytest_pyramid import adopt
    from pytest_pyramid.durations import format_duration

    settings = _project(str(root)).settings
    project = adopt.inspect(root)
    measured = _measure(project, None, runs, own_config=True)
    for name, spec in settings.tiers.items():
        if name not in measured.wall_s:
            continue
        now = "no budget" if spec.budget is None else f"budget {format_duration(spec.budget)}"
        wall = measured.wall_s[name]
        _print(f"{name}: {now}; proposed {adopt.nice_budget(wall)} "
               f"({adopt.budget_comment(wall, measured.runs)})")
    _print("not written: edit the budgets in the configuration to take the proposal")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    """Propose a first [tool.pyramid] from the project and one measured run; write it after
    showing the diff and asking (``--write``: without asking)."""
    import difflib

    from pytest_pyramid import adopt
    from pytest_pyramid._files import write_text_atomic
    from pytest_pyramid.errors import ConfigError

    root = Path(args.path).resolve()
    try:
        already = adopt.configured(root)
    except ConfigError as exc:
        raise UsageFailure(str(exc)) from None
    if already is not None:
        if args.remeasure:
            return _remeasure(root, args.runs)
        raise UsageFailure(
            f"{already}: pytest-pyramid is configured already (`pyramid config check` "
            "validates it; `pyramid init --remeasure` measures its budgets again)"
        )
    project = adopt.inspect(root)
    plan = adopt.propose(project)
    measured = None if args.no_run else _measure(project, plan, args.runs)
    text = adopt.render(project, plan, measured, observe=args.observe)
    target = project.target
    before = target.read_text("utf-8") if target.is_file() else ""
    after = before.rstrip("\n") + ("\n\n" if before.strip() else "") + text
    _print("".join(difflib.unified_diff(
        before.splitlines(True), after.splitlines(True), f"{target.name} (now)",
        f"{target.name} (proposed)",
    )).rstrip("\n"))
    if not args.write:
        if not sys.stdin.isatty():
            _print(f"not written: `pyramid init --write` writes it to {target}")
            return 0
        answer = input(f"write this to {target}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            _print("not written")
            return 0
    write_text_atomic(target, after)
    ignored = _ignore_outputs(root)
    _print(f"{target}: written" + (f"; {ignored}" if ignored else "") + ". Next: `pyramid "
           "config check`, commit the change (a verdict of a tree with uncommitted changes is "
           "not ready), then `pytest` for the first verdict (docs/adopting.md)")
    return 0


def _default_verdict() -> str:
    """The deploy's verdict: ``[tool.pyramid.deploy] verdict``, else ``[tool.pyramid]
    verdict`` of the project (the loader's), else the plugin's default (one rule for all)."""
    from pytest_pyramid.deploy.config import load_config
    from pytest_pyramid.errors import ConfigError

    try:
        return str(load_config(None).verdict)
    except ConfigError as exc:
        raise UsageFailure(str(exc)) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    from pytest_pyramid import __version__
    from pytest_pyramid.adopt import RUNS

    parser = _Parser(prog="pyramid", description="Read a pytest-pyramid verdict and act on it.")
    parser.add_argument("--version", action="version", version=f"pyramid {__version__}")
    # typed as argparse's own: the deploy module adds its commands to it too
    commands: argparse._SubParsersAction[Any] = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True)
    check = commands.add_parser(
        "check",
        help="judge whether a verdict can be trusted for this code now; exit 0 ready, "
        "1 blocked/incomplete, 2 needs approval, 3 unusable or untrusted",
    )
    check.add_argument(
        "verdict",
        nargs="?",
        default=None,
        help="path of the verdict JSON (default: [tool.pyramid] verdict of the project "
        "at or above this folder, else pyramid-verdict.json)",
    )
    check.add_argument(
        "--commit",
        help="the commit the verdict must be for: a SHA (>= 7 hex digits) or a revision "
        "(default: HEAD, and the working tree must be the one that was tested)",
    )
    check.add_argument(
        "--max-age",
        type=_duration_arg,
        default=None,
        metavar="DURATION",
        help="refuse a verdict older than this (e.g. 24h, 30m)",
    )
    check.add_argument(
        "--allow-dirty",
        action="store_true",
        help="accept a verdict produced from a tree with uncommitted changes",
    )
    check.add_argument(
        "--signature",
        metavar="FILE",
        default=None,
        help="DSSE envelope from `pyramid attest` (default: VERDICT.intoto.jsonl when it exists)",
    )
    check.add_argument(
        "--trusted-key",
        action="append",
        default=[],
        metavar="KEY",
        help="a trusted Ed25519 public key (PEM file, PEM text or 64 hex); "
        "repeat for rotation; added to [tool.pyramid.deploy] trusted_keys",
    )
    check.add_argument(
        "--require-signature",
        action="store_true",
        help="refuse an unsigned verdict (also [tool.pyramid.deploy] require_signature)",
    )
    check.add_argument(
        "--format",
        choices=("text", "github"),
        default="text",
        help="github: also print ::error annotations for failing gates",
    )
    check.set_defaults(func=cmd_check)

    attest = commands.add_parser(
        "attest", help="sign a verdict (after the tests, outside them) with an Ed25519 key"
    )
    attest.add_argument("verdict", nargs="?", default=None, help="path of the verdict JSON")
    attest.add_argument(
        "--key", required=True, metavar="FILE", help="PEM Ed25519 private key (pyramid keygen)"
    )
    attest.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="FILE",
        help="where to write the DSSE envelope (default: VERDICT.intoto.jsonl)",
    )
    attest.set_defaults(func=cmd_attest)

    init = commands.add_parser(
        "init",
        help="propose a first [tool.pyramid] from the project and one measured run of its "
        "suite; shows the diff and asks before writing",
    )
    init.add_argument("path", nargs="?", default=".", help="the project (default: here)")
    init.add_argument("--write", action="store_true", help="write without asking (scripts)")
    init.add_argument("--runs", type=_positive_int, default=RUNS, metavar="N",
                      help="measuring runs; budgets come from the slowest (default: %(default)s)")
    init.add_argument("--remeasure", action="store_true",
                      help="a configured project: measure it again with its own configuration "
                      "and show each tier's budget beside the proposed one (writes nothing)")
    init.add_argument("--no-run", action="store_true",
                      help="propose tiers only: no measuring run, no budgets or thresholds")
    init.add_argument("--observe", action="store_true",
                      help='start in observe mode (mode = "observe": gates reported, the exit '
                      "status stays pytest's own)")
    init.set_defaults(func=cmd_init)

    config = commands.add_parser("config", help="work with the [tool.pyramid] configuration")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION",
                                            required=True)
    config_check = config_commands.add_parser(
        "check",
        help="validate [tool.pyramid] (pyproject.toml or pyramid.toml) without running tests; "
        "exit 0 valid, 3 invalid",
    )
    config_check.add_argument(
        "path", nargs="?", default=None,
        help="pyproject.toml, pyramid.toml or a project directory (default: the nearest "
        "project at or above the current directory)",
    )
    config_check.set_defaults(func=cmd_config_check)

    keygen = commands.add_parser(
        "keygen", help="create an Ed25519 key pair (PREFIX.key, PREFIX.pub)"
    )
    keygen.add_argument("prefix", help="path prefix of the key files")
    keygen.add_argument("--force", action="store_true", help="replace existing files")
    keygen.set_defaults(func=cmd_keygen)
    _add_merge(commands)

    report = commands.add_parser(
        "report",
        help="build reports from a verdict and its per-test results file (after the run, "
        "also for a merged verdict of CI shards)",
    )
    report.add_argument("verdict", nargs="?", default=None, help="path of the verdict JSON")
    from pytest_pyramid.report_kinds import KINDS

    for kind in KINDS:  # one flag per report kind of the table
        report.add_argument(f"--{kind.name}", type=Path, metavar="FILE",
                            help=kind.help.replace("%", "%%"))
    report.add_argument("--history", type=Path, metavar="DB",
                        help="SQLite run history: append this verdict, show the last 30 runs")
    report.add_argument("--junit-prefix", default=None, metavar="STR",
                        help="what pytest's --junit-prefix was, for identical classnames")
    report.set_defaults(func=cmd_report)
    try:
        from pytest_pyramid.deploy.cli import add_commands
    except ImportError:
        pass
    else:
        add_commands(commands)
    _add_run_history(commands)
    from pytest_pyramid.cli_flaky import add_command

    add_command(commands)  # `pyramid flaky ...`: its own module
    return parser


def _add_run_history(commands: Any) -> None:
    """``pyramid history --runs``: the test-run history, on the deploy module's ``history``
    command (which keeps its meaning without ``--runs``), or on a command of its own when
    the deploy module is absent. Deploy's ``--history``, ``--limit`` and ``--json`` are
    reused when it has them."""
    history = commands.choices.get("history")
    deployments = None
    if history is None:
        history = commands.add_parser("history", help="list the test-run history (--runs)")
    else:
        deployments = history.get_default("func")
    history.add_argument(
        "--runs", nargs="?", const="", default=None, metavar="DB",
        help="list the test-run history (pytest --pyramid-history) instead of deployments; "
        "DB defaults to --history, else the project's pyramid_history ini option",
    )
    for flag, options in (("--limit", {"type": int, "default": 20}),
                          ("--json", {"action": "store_true"}),
                          ("--history", {"default": None})):
        with contextlib.suppress(argparse.ArgumentError):  # deploy's own: same meaning
            history.add_argument(flag, **options)

    def dispatch(args: argparse.Namespace) -> int:
        if args.runs is not None or deployments is None:
            return cmd_runs(args)
        code: int = deployments(args)
        return code

    history.set_defaults(func=dispatch)


def main(argv: Sequence[str] | None = None) -> int:
    from pytest_pyramid.foreign import problem

    if (clash := problem()) is not None:  # another project's pytest_pyramid: one line
        _print(f"pyramid: {clash}", err=True)
        return EXIT_UNUSABLE
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageFailure as exc:  # _Parser.error: one line, exit 3 (argparse's would be 2)
        _print(str(exc), err=True)
        return EXIT_UNUSABLE
    except SystemExit as exc:  # --help and --version
        status = exc.code if isinstance(exc.code, int) else EXIT_UNUSABLE
        return EXIT_UNUSABLE if status == 2 else status
    try:
        if getattr(args, "verdict", "") is None and args.command in ("check", "attest", "report"):
            args.verdict = _default_verdict()
        code: int = args.func(args)
    except UsageFailure as exc:
        _print(f"pyramid {args.command}: {exc}", err=True)
        return EXIT_UNUSABLE
    except PyramidError as exc:
        _print(f"pyramid {args.command}: {exc}", err=True)
        return EXIT_UNUSABLE
    except (OSError, ValueError, RecursionError, MemoryError) as exc:
        # the last line of defence for input nobody foresaw: one line, exit 3, no traceback
        _print(f"pyramid {args.command}: {type(exc).__name__}: {str(exc)[:300]}", err=True)
        return EXIT_UNUSABLE
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
