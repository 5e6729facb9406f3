"""Session end on the controller: judge the run, write the verdict, set the exit status.

The run stage hands over what it measured (a :class:`~pytest_pyramid.run.summary.RunSummary`)
and how the run ended (a :class:`RunEnd`); nothing here reaches back into the session.
A placeholder ``incomplete`` verdict is written as early as the path is known, so a run
that dies (a conftest that does not import, a crash, a plugin whose gate hook raises) can
never leave an older ``ready`` verdict behind.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid._files import write_json_atomic
from pytest_pyramid.gates.judging import JUDGED_KEY, Judged, call_each
from pytest_pyramid.results import GateResult, effect_of, record
from pytest_pyramid.run.stash import FINISHED_KEY, RUN_END_KEY, RUN_KEY, started_environ
from pytest_pyramid.verdict.assemble import (
    assemble_verdict,
    closed_world_problems,
    code_problems,
    own_allow,
)
from pytest_pyramid.verdict.decision import exit_status
from pytest_pyramid.verdict.document import (
    SCHEMA_VERSION,
    Verdict,
    config_digest,
    utc_now_iso,
)
from pytest_pyramid.verdict.provenance import (
    GitInfo,
    project_folder,
    python_version,
    read_git_info,
)
from pytest_pyramid.verdict.run_identity import run_identity

if TYPE_CHECKING:
    from collections.abc import Generator

    from pytest_pyramid.config import Settings
    from pytest_pyramid.run.imported import CodeSeen
    from pytest_pyramid.run.shard import ShardSpec
    from pytest_pyramid.run.summary import Problem, RunEnd, RunSummary
    from pytest_pyramid.verdict.document import ResultsRef

#: what git names a tree by (SHA-1 or SHA-256)
_TREE_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")

_INCOMPLETE_EXITS = {
    pytest.ExitCode.INTERRUPTED: "the run was interrupted",
    pytest.ExitCode.INTERNAL_ERROR: "pytest hit an internal error",
    pytest.ExitCode.USAGE_ERROR: "pytest was misused (usage error)",
}


def placeholder_verdict(reason: str, *, selected: Sequence[str] = ()) -> Verdict:
    """An ``incomplete`` verdict that says why the run it stands for gave nothing better."""
    from pytest_pyramid import __version__

    return {
        "schema_version": SCHEMA_VERSION,
        "decision": "incomplete",
        "reasons": [reason],
        "created_at": utc_now_iso(),
        "commit": None,
        "commit_time": None,
        "branch": None,
        "dirty": None,
        "tree": {"digest": None, "head": None, "excluded": []},
        "config": {"file": "", "digest": ""},
        "tool": {"name": "pytest-pyramid", "version": __version__},
        "run": {
            "selected_tiers": list(selected),
            "workers": 0,
            "duration_s": 0.0,
            "pytest_exit": -1,
            "interrupted": True,
            "python": python_version(),
            "pytest": pytest.__version__,
        },
        "completeness": [{"kind": "not_finished", "message": reason}],
        "tiers": {},
        "gates": [],
    }


def write_placeholder(path: Path, reason: str, *, selected: Sequence[str] = ()) -> None:
    write_json_atomic(path, placeholder_verdict(reason, selected=selected))


@record
class FinishResult:
    """The verdict a finished run wrote, the exit status it sets and notes to print."""

    verdict: Verdict
    exitstatus: int
    notes: list[str]


def _shard_outputs(verdict_path: Path, shard: ShardSpec | None) -> tuple[Path, ...]:
    if shard is None:
        return ()
    from pytest_pyramid.verdict.partial import coverage_name, partial_path

    path = partial_path(verdict_path, shard.index, shard.total)
    return path, path.with_name(coverage_name(shard.index, shard.total))


@record
class ShardResult:
    """What a CI shard wrote instead of a verdict."""

    partial: dict[str, Any]
    path: Path
    exitstatus: int


def _only_quarantined_failures(
    run: RunSummary, gates: Sequence[GateResult], tests_failed: int
) -> int:
    """How many failed tests are all excused by quarantine (0 when anything else failed)."""
    pass_rate = next((g for g in gates if g.id == "tests.pass_rate"), None)
    if pass_rate is None or pass_rate.status != "pass" or not run.failed_tests:
        return 0
    excused = len(run.failed_tests)
    # another failure source (pytest-cov's fail-under, a plugin) also counts in testsfailed
    if tests_failed > excused:
        return 0
    return excused


class VerdictWriter:
    """Judges a finished run and writes its verdict: a pytest plugin registered on the xdist
    controller (or the serial process) only, when the plugin is active."""

    def __init__(
        self,
        config: pytest.Config,
        settings: Settings,
        verdict_path: Path,
        *,
        effective_limits: Mapping[str, float | None],
        config_file: str,
        explain: bool = False,
        shard: ShardSpec | None = None,
        diff_base: str | None = None,
        outputs: Sequence[Path] = (),
    ) -> None:
        from pytest_pyramid.verdict.results_file import results_path_for

        self.config = config
        self.settings = settings
        self.verdict_path = verdict_path
        #: a CI shard writes its partial result instead of a verdict (``verdict/partial.py``)
        self.shard = shard
        self.diff_base = diff_base
        self.shard_result: ShardResult | None = None
        self.results_path = results_path_for(verdict_path)
        #: every file the run writes itself: left out of the tree digest (a shard's too: the
        #: verdict stays listed, `pyramid merge` writes it there and the digests must agree)
        # ... but never the configuration the run read, tracked or not: pointing an output at
        # it must not take it out of the tree the verdict names (tracked files: provenance)
        read = {Path(os.path.abspath(p)) for p in (config.inipath, settings.source) if p}
        every = (verdict_path, self.results_path, *outputs, *_shard_outputs(verdict_path, shard))
        self.outputs: tuple[Path, ...] = tuple(
            path for path in every if Path(os.path.abspath(path)) not in read)
        #: outputs written over the configuration this run read
        self.over_config = sorted({str(p) for p in every if Path(os.path.abspath(p)) in read})
        self.effective_limits = dict(effective_limits)
        self.config_file = config_file
        self.explain = explain
        #: the tree as the run started; compared with the tree at its end
        self.git: GitInfo | None = None
        self.result: FinishResult | None = None
        self.near_budget: list[str] = []
        #: the run history (``--pyramid-history``): the verdict carries the flake ledger's standing
        self.ledger_db: Path | None = None
        #: the environment the run started with: the run's CI identity is read from it, never
        #: from what a conftest's import or a test left in os.environ (hostile cases 206, 254)
        self.environ: dict[str, str] = started_environ(config)
        #: the process that configured the session: a fork that escaped its test (a child that
        #: returned instead of calling os._exit) runs the rest of the session as a copy, and is
        #: not the run: it writes nothing (hostile case 214)
        self.pid = os.getpid()

    # -- the hooks ----------------------------------------------------------------------------

    @pytest.hookimpl
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.git = read_git_info(self.config.rootpath, self.outputs)

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(
        self, session: pytest.Session, exitstatus: int
    ) -> Generator[None, None, None]:
        # a wrapper: the run stage's sessionfinish has handed over how the run ended
        outcome = yield
        if os.getpid() != self.pid:  # a forked copy of the session: the run's process writes
            return outcome
        end = self.config.stash.get(RUN_END_KEY, None)
        if end is None:  # nothing ran (--collect-only, --setup-plan ...): keep the last verdict
            return outcome
        run = self.config.stash[RUN_KEY]
        judged = self.config.stash.get(JUDGED_KEY, None)
        if judged is None:  # never a pass: the gates stage did not judge this run
            end.close(run)
            judged = Judged([], [], ["the gates were not judged (pytest-pyramid's gate "
                                     "judging plugin did not run)"])
        if end.shard is not None:
            self.shard_result = self.finish_shard(run, end, judged)
            session.exitstatus = self.shard_result.exitstatus
            self.config.stash[FINISHED_KEY] = True
            return outcome
        self.near_budget = judged.near_budget
        self.result = self.finish(run, end, judged)
        session.exitstatus = self.result.exitstatus
        self.config.stash[FINISHED_KEY] = True
        return outcome

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.shard_result is not None:
            self._shard_summary(terminalreporter, self.shard_result)
            return
        if self.result is None:
            return
        from pytest_pyramid.verdict.render_text import WIDTH, render

        verdict = self.result.verdict
        tr = terminalreporter
        tr.section("pyramid", sep="=")
        if verdict["run"]["pytest_exit"] == pytest.ExitCode.USAGE_ERROR:
            tr.write_line(f"usage error: verdict INCOMPLETE written to {self.verdict_path}")
            return
        width = max(WIDTH, getattr(getattr(tr, "_tw", None), "fullwidth", WIDTH))
        decision = verdict["decision"]
        verbosity = int(self.config.getoption("verbose", 0) or 0)
        for line in render(verdict, explain=self.explain, verbosity=verbosity, width=width):
            markup = {}
            if line.startswith("decision:"):
                markup = {"green": True} if decision == "ready" else {"red": True, "bold": True}
                if decision == "needs_approval":
                    markup = {"yellow": True, "bold": True}
            elif line.startswith("FAIL"):
                markup = {"red": True}
            elif line.startswith("not judged"):
                markup = {"yellow": True}
            tr.write_line(line, **markup)
        run = self.config.stash[RUN_KEY]
        if run.metrics_discarded:
            tr.write_line(
                f"note: {len(run.metrics_discarded)} metric sample(s) discarded: recorded by "
                "tests that did not pass",
                yellow=True,
            )
            if self.explain:
                for nodeid, name, outcome in run.metrics_discarded[:50]:
                    tr.write_line(f"  {name} from {nodeid} ({outcome})")
        for warning in self.near_budget:
            tr.write_line(f"warning: {warning}", yellow=True)
        for note in self.result.notes:
            tr.write_line(note, yellow=True)
        tr.write_line(f"verdict written to {self.verdict_path}")

    @staticmethod
    def _shard_summary(tr: Any, result: ShardResult) -> None:
        partial = result.partial
        shard = partial["shard"]
        tests = partial["tests"]
        failing = sum(1 for t in tests if t["outcome"] in ("failed", "error"))
        tr.section("pyramid", sep="=")
        selection = partial["selection"]
        tr.write_line(
            f"shard {shard['index']}/{shard['total']} ({shard['source']}): {len(tests)} of the "
            f"{selection['count']} selected tests ran here, {failing} failed"
        )
        for problem in partial["completeness"]:
            tr.write_line(f"incomplete: {problem['message']}", yellow=True)
        tr.write_line("judgement deferred: `pyramid merge` of every shard's partial gives the "
                      "verdict")
        tr.write_line(f"partial written to {result.path}")

    def finish_shard(self, run: RunSummary, end: RunEnd, judged: Judged) -> ShardResult:
        """Write the partial result of a CI shard; the exit status is pytest's own (test
        failures and crashes), except that a shard with nothing to run exits 0."""
        from pytest_pyramid.gates.cov.plugin import PLUGIN_NAME
        from pytest_pyramid.verdict.partial import (
            build_partial,
            code_facts,
            coverage_name,
            partial_path,
        )

        assert end.shard is not None
        assert self.shard is not None
        problems, interrupted = self._end_problems(end, run)
        git = self.git if self.git is not None else read_git_info(
            self.config.rootpath, self.outputs)
        tree_problem = self._tree_problem(git)
        if tree_problem is not None:
            problems.append(tree_problem)
        # the shard's own findings; the merge judges the raw facts again (assemble.py)
        problems.extend(closed_world_problems(self._code_seen(), git,
                                              own_allow(end.invocation)))
        problems.extend(self._over_sources(git))
        problems.extend(code_problems(git))
        path = partial_path(self.verdict_path, self.shard.index, self.shard.total)
        coverage: dict[str, object] | None = None
        plugin = self.config.pluginmanager.get_plugin(PLUGIN_NAME)
        if plugin is not None:
            target = path.with_name(coverage_name(self.shard.index, self.shard.total))
            coverage = plugin.export(self.config, target, Path(self.settings.source).parent)
        errors = list(judged.errors)
        merged: dict[str, object] = {}
        for name, section in judged.sections:
            if isinstance(section, Mapping):
                merged.update(section)
            else:
                errors.append(f"pytest_pyramid_verdict_sections of {name} returned {section!r}")
        plugin_gates = judged.providers
        problems.extend({"kind": "plugin_error", "message": e} for e in errors)
        partial = build_partial(
            run=run,
            shard=end.shard,
            git=git,
            config={"file": self.config_file, "digest": config_digest(self.settings.raw)},
            project=self._project(git),
            problems=problems,
            interrupted=interrupted or bool(errors),
            exitstatus=end.exitstatus,
            tests_failed=end.tests_failed,
            required=end.required,
            args=end.args,
            effective_limits=self.effective_limits,
            coverage=coverage,
            sections=merged,
            plugin_gates=plugin_gates,
            diff_base=self.diff_base,
            started=end.started,
            python_version=python_version(),
            pytest_version=pytest.__version__,
            invocation=end.invocation,
            closed_world=code_facts(self._code_seen(), git.toplevel, end.loaded_code,
                                    end.distributions),
            environ=self.environ,
        )
        write_json_atomic(path, partial)
        status = end.exitstatus
        if status == pytest.ExitCode.NO_TESTS_COLLECTED and not end.shard.assigned \
                and end.shard.selection.get("count", 0) > 0:
            status = pytest.ExitCode.OK  # the other shards run the tests: nothing is wrong
        return ShardResult(partial, path, int(status))

    # -- completeness -------------------------------------------------------------------------

    @staticmethod
    def _end_problems(end: RunEnd, run: RunSummary) -> tuple[list[Problem], bool]:
        problems: list[Problem] = []
        interrupted = end.exitstatus in _INCOMPLETE_EXITS
        if interrupted:
            why = _INCOMPLETE_EXITS[pytest.ExitCode(end.exitstatus)]
            detail = f"{why}: {end.stop_text}" if end.stop_text else why
            problems.append({"kind": "interrupted", "message": detail})
        if end.crashes:
            interrupted = True
            problems.extend({"kind": "crash", "message": crash} for crash in end.crashes)
        if end.collection_errors:
            problems.append(
                {
                    "kind": "collection_error",
                    "message": f"{end.collection_errors} collection error(s)",
                }
            )
        unfinished = run.unfinished_tests
        if unfinished:
            problems.append(
                {
                    "kind": "unfinished",
                    "message": f"{unfinished} test(s) started but never finished",
                }
            )
        problems.extend(end.problems)
        return problems, interrupted

    def _project(self, git: GitInfo) -> str | None:
        """The project this run speaks for: its configuration's folder in the repository."""
        from pytest_pyramid.project import configured_folder

        return project_folder(git.toplevel, configured_folder(self.settings.source))

    def _tree_problem(self, start: GitInfo) -> Problem | None:
        """Files that existed when the run started and changed or vanished during it."""
        if start.tree is None or start.toplevel is None:
            return None
        from pytest_pyramid.verdict.provenance import tree_now

        end_tree = tree_now(start, self.outputs)
        if end_tree is None or not _TREE_ID.fullmatch(end_tree):
            # missing evidence is never "unchanged": git gave no tree after the run (a test
            # left subprocess patched, or broke the repository), so nothing says the tree the
            # verdict names is the one the tests ended on (hostile case 211)
            return {
                "kind": "tree_changed",
                "message": "the working tree could not be read again after the tests ran "
                "(git gave no tree id): whether it changed while they ran is unknown",
            }
        if end_tree == start.tree:
            return None
        from pytest_pyramid.verdict.provenance import _git

        out = (
            _git(
                Path(start.toplevel),
                "diff-tree",
                "-r",
                "--name-status",
                "--no-commit-id",
                start.tree,
                end_tree,
            )
            or ""
        )
        changed = [
            line.split("\t", 1)[-1] for line in out.splitlines() if line and line[0] in "MDT"
        ]
        # Only files the commit holds are the code: untracked files that change while tests
        # run are their outputs (logs, reports), and new files are never the tested code.
        if changed:
            tracked = _git(
                Path(start.toplevel), "ls-tree", "-r", "--name-only", "-z", "HEAD", "--",
                *[f":(top,literal){name}" for name in changed],
            )
            changed = [name for name in (tracked or "").split("\0") if name]
        if not changed:
            return None
        shown = ", ".join(changed[:5]) + (
            f" (+{len(changed) - 5} more)" if len(changed) > 5 else ""
        )
        return {
            "kind": "tree_changed",
            "message": f"the working tree changed while the tests ran: {shown}",
        }

    def _over_sources(self, git: GitInfo) -> list[Problem]:
        """Outputs written over a file git tracks or the configuration the run read: the
        tree the verdict names cannot hold both what the run read and what it wrote."""
        over = sorted({*git.tracked_outputs, *self.over_config})
        return [{"kind": "output_over_source", "message": f"the run writes an output over "
                 f"{name}, a file git tracks or the configuration it read: the tree the "
                 "verdict names is not the one the run read"} for name in over]

    def _code_seen(self) -> CodeSeen | None:
        """What every process of the run read (``run/closed_world.py``), judged against the
        tree in ``verdict/assemble.py``."""
        from pytest_pyramid.run.closed_world import CODE_KEY

        return self.config.stash.get(CODE_KEY, None)

    # -- writing ------------------------------------------------------------------------------

    def _write_results(self, run: RunSummary, notes: list[str]) -> ResultsRef | None:
        """The per-test results file beside the verdict (before it: the verdict carries its
        digest). Failing to write it costs the reports their per-test detail, not the
        verdict."""
        from pytest_pyramid.verdict.records import records
        from pytest_pyramid.verdict.results_file import write_results

        try:
            return write_results(
                self.results_path, records(run), relative_to=self.verdict_path.parent
            )
        except OSError as exc:
            notes.append(f"warning: per-test results not written to {self.results_path}: "
                         f"{exc.strerror or exc}")
            return None

    def _flaky_ledger(self, verdict: Verdict, run: RunSummary, notes: list[str]) -> None:
        """The flake ledger's standing with this run as the newest (``verdict/ledger.py``):
        evidence for people. The decision was taken above and never reads it: only tracked
        quarantine entries excuse a failure, a local database never does."""
        from pytest_pyramid.gates.flakes import policy_from
        from pytest_pyramid.verdict.history import HistoryError
        from pytest_pyramid.verdict.ledger import ledger_section, run_of
        from pytest_pyramid.verdict.records import records

        assert self.ledger_db is not None
        policy = policy_from(self.settings.raw.get("flaky"))
        try:
            verdict["flaky_ledger"] = ledger_section(self.ledger_db, policy,
                                                     run_of(verdict, records(run)))
        except HistoryError as exc:
            notes.append(f"warning: flake ledger not read: {exc}")

    def finish(self, run: RunSummary, end: RunEnd, judged: Judged) -> FinishResult:
        """The verdict of a run the gates stage judged (``gates/judging.py``: it closed the
        run summary, collected the gates and the sections); nothing is handed back."""
        from pytest_pyramid import __version__

        notes: list[str] = list(end.notes)
        problems, interrupted = self._end_problems(end, run)
        git = (
            self.git
            if self.git is not None
            else read_git_info(self.config.rootpath, self.outputs)
        )
        tree_problem = self._tree_problem(git)
        if tree_problem is not None:
            problems.append(tree_problem)
        problems.extend(self._over_sources(git))

        hook_errors = list(judged.errors)
        gates, sections = judged.gates, judged.sections
        verdict = assemble_verdict(
            run=run,
            tiers=self.settings.tiers,
            required=end.required,
            gates=gates,
            problems=problems,
            interrupted=interrupted,
            git=git,
            config={"file": self.config_file, "digest": config_digest(self.settings.raw)},
            project=self._project(git),
            tool_version=__version__,
            python_version=python_version(),
            pytest_version=pytest.__version__,
            args=end.args,
            effective_limits=self.effective_limits,
            sections=sections,
            hook_errors=hook_errors,
            invocations=[("", end.invocation, own_allow(end.invocation))]
            if end.invocation is not None else [],
            code_seen=self._code_seen(),
            mode=self.settings.mode,
            budget_basis=self.settings.budget_basis,
        )
        decision = verdict["decision"]
        excused = _only_quarantined_failures(run, gates, end.tests_failed)
        observe = self.settings.mode == "observe"
        status, note = exit_status(
            end.exitstatus,
            decision,
            # observe mode: the gates are reported, they never fail pytest's run
            gate_blocks=not observe and any(effect_of(g) == "block" for g in gates),
            hook_errors=bool(hook_errors),
            excused_failures=excused,
            tests_left_over=end.never_ran > 0,
        )
        if note:
            notes.append(note)
        notes.extend(f"error: {error}" for error in hook_errors)
        verdict["run"]["pytest_exit"] = int(status)
        if end.invocation is not None:
            verdict["run"]["invocation"] = end.invocation
        if end.distributions is not None:
            from pytest_pyramid.run.distributions import listed

            verdict["run"]["distributions"] = listed(end.distributions)
        identity = run_identity(self.environ)
        verdict["run_id"] = identity.run_id
        if identity.run_number is not None:
            verdict["run_number"] = identity.run_number
        reference = self._write_results(run, notes)
        if reference is not None:
            verdict["results"] = reference
        if self.ledger_db is not None:
            self._flaky_ledger(verdict, run, notes)
        write_json_atomic(self.verdict_path, verdict)
        call_each(
            self.config.hook.pytest_pyramid_verdict_written,
            {"config": self.config, "verdict": verdict, "path": self.verdict_path},
            notes,
        )
        return FinishResult(verdict, int(status), notes)
