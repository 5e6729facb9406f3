"""pytest glue of ``--pyramid-shard``: keep this shard's tests, time shared fixture setup.

Registered only when a shard is requested, in every process (serial, xdist controller and
workers): an unsharded run has none of these hooks. Each process that collects computes the
same assignment (``run/shard.py``) from the same durations file, so xdist workers inside a
shard agree on its tests. The other shards' tests are deselected through
``pytest_deselected`` (the terminal counts them) but are not a narrowing of the run: a shard
defers judgement to ``pyramid merge``, which checks that the shards add up to the selection.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.run.collection import param_digests
from pytest_pyramid.run.param_values import selection_values_digest
from pytest_pyramid.run.shard import (
    GROUPING_DIST,
    Durations,
    ShardError,
    ShardSpec,
    assign,
    dist_group,
    durations_digest,
    load_durations_bytes,
    parse_shard,
    selection_digest,
)
from pytest_pyramid.run.stash import TIER_KEY

if TYPE_CHECKING:
    from collections.abc import Generator, Mapping

    from pytest_pyramid.run.session import PyramidSession

#: This run's shard; present only when ``--pyramid-shard`` (or its ini twin) was given.
SHARD_KEY: pytest.StashKey[ShardSpec] = pytest.StashKey()
#: where an xdist worker ships the shared setup times it measured
SCOPES_KEY = "pyramid_scope_setup"
#: how an xdist controller tells its workers its ``--dist`` mode
DIST_KEY = "pyramid_shard_dist"
DEFAULT_DURATIONS = ".pyramid/durations.json"
_TIMED_SCOPES = frozenset({"module", "class"})


def shard_from_config(
    option: object, ini: object, environ: Mapping[str, str], ini_origin: str
) -> ShardSpec | None:
    """The shard asked for on the command line (winning) or in the ini file; None: none.

    Raises :class:`pytest.UsageError` naming the value and where it came from.
    """
    if option not in (None, ""):
        text, origin = str(option), "--pyramid-shard"
    elif ini not in (None, ""):
        text, origin = str(ini), f"{ini_origin}: pyramid_shard"
    else:
        return None
    try:
        return parse_shard(text, origin, environ)
    except ShardError as exc:
        raise pytest.UsageError(f"pytest-pyramid: {exc}") from None


def read_durations(path: Path, origin: str) -> tuple[Durations, str | None]:
    """The durations file and its digest; no file is no record (every test costs alike)."""
    try:
        raw: bytes | None = path.read_bytes()
    except FileNotFoundError:
        raw = None
    except OSError as exc:
        raise pytest.UsageError(
            f"pytest-pyramid: {origin} = {str(path)!r}: cannot read it: {exc.strerror or exc}"
        ) from None
    try:
        return load_durations_bytes(raw), durations_digest(raw)
    except ValueError as exc:
        raise pytest.UsageError(
            f"pytest-pyramid: {origin} = {str(path)!r}: not a durations file: {exc} (delete "
            "it, or write a new one with `pyramid merge --durations-out`)"
        ) from None


def touch_status_file(spec: ShardSpec) -> None:
    """Bazel's protocol: the file says the runner sharded (else every shard is assumed to
    have run everything)."""
    if spec.status_file:
        try:
            Path(spec.status_file).touch()
        except OSError as exc:
            raise pytest.UsageError(
                f"pytest-pyramid: {spec.source}: cannot touch TEST_SHARD_STATUS_FILE "
                f"{spec.status_file!r}: {exc.strerror or exc}"
            ) from None


class ShardSplit:
    """Keeps this shard's tests and measures module/class fixture setup, in every process."""

    def __init__(
        self,
        owner: PyramidSession,
        spec: ShardSpec,
        durations: Durations,
        durations_path: Path,
        durations_sha: str | None,
    ) -> None:
        self.owner = owner
        self.spec = spec
        self.durations = durations
        self.durations_path = durations_path
        self.durations_sha = durations_sha
        #: module/class node id -> seconds its module/class-scoped fixtures took to set up
        self.scopes: dict[str, float] = {}
        owner.shard = spec
        owner.facts.shard = self._durations_facts()

    def _durations_facts(self) -> dict[str, Any]:
        try:
            shown = self.durations_path.resolve().relative_to(self.owner.project_dir.resolve())
            path = shown.as_posix()
        except ValueError:
            path = str(self.durations_path)
        return {"durations": path, "durations_digest": self.durations_sha}

    @pytest.hookimpl(trylast=True)  # after every other plugin chose and ordered the tests
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        if not all(isinstance(item, pytest.Item) for item in items):
            return  # collectors from perform_collect(genitems=False): not a run's tests
        tiers = {item.nodeid: item.stash.get(TIER_KEY, "") for item in items}
        order = sorted(self.owner.settings.tiers, key=self.owner.order.__getitem__)
        dist = self._dist(config)
        groups = None
        if dist == "loadgroup":  # what xdist keeps on one worker, a shard keeps too
            groups = {item.nodeid: f"@{name}" for item in items
                      if (name := _xdist_group(item)) is not None}
        elif dist in GROUPING_DIST:
            found = {nodeid: dist_group(nodeid, dist) for nodeid in tiers}
            groups = {nodeid: group for nodeid, group in found.items() if group is not None}
        assignment = assign(tiers, self.durations, self.spec.total, order, groups)
        mine = set(assignment.shards[self.spec.index - 1])
        kept = [item for item in items if item.nodeid in mine]
        others = [item for item in items if item.nodeid not in mine]
        facts = self.owner.facts
        # what each id of the selection means (the whole selection: two ids' values that one
        # text does not tell apart may fall in two shards): shards that collected other differ
        facts.param_values = param_digests(items)
        facts.shard = {
            **self._durations_facts(),
            "digest": selection_digest(tiers),
            "values": selection_values_digest(facts.param_values.items()),
            "count": len(tiers),
            "tiers": dict(Counter(tiers.values())),
            "units": assignment.units,
            "estimated": assignment.estimated,
            "predicted_s": [round(load, 3) for load in assignment.loads],
        }
        if others:
            self.owner.deselect_quietly(config, others)
        items[:] = kept

    @staticmethod
    def _dist(config: pytest.Config) -> str:
        """xdist's ``--dist`` mode (an xdist worker is told by its controller: xdist sets the
        worker's own option to ``no``)."""
        workerinput = getattr(config, "workerinput", None)
        if workerinput is not None:
            return str(workerinput.get(DIST_KEY, "no"))
        return str(getattr(config.option, "dist", "no") or "no")

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[DIST_KEY] = self._dist(self.owner.config)

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Generator[None, object, object]:
        if fixturedef.scope not in _TIMED_SCOPES:
            return (yield)
        start = time.perf_counter()
        try:
            return (yield)
        finally:
            # dependencies are set up before this hook, so this is the fixture's own time
            key = request.node.nodeid
            self.scopes[key] = self.scopes.get(key, 0.0) + time.perf_counter() - start

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[SCOPES_KEY] = dict(self.scopes)
        else:
            self._fold(self.scopes)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        data = getattr(node, "workeroutput", {}).get(SCOPES_KEY)
        if isinstance(data, dict):
            self._fold(data)

    def _fold(self, scopes: Mapping[str, float]) -> None:
        # each worker (or shard) pays a module's setup once: keep the largest, not the sum
        folded = self.owner.facts.scope_setup
        for key, seconds in scopes.items():
            if seconds > folded.get(key, 0.0):
                folded[key] = seconds


def _xdist_group(item: pytest.Item) -> str | None:
    """The group name of an ``xdist_group`` mark (``name=`` or the first argument)."""
    mark = item.get_closest_marker("xdist_group")
    if mark is None:
        return None
    name = mark.kwargs.get("name", mark.args[0] if mark.args else None)
    return None if name is None else str(name)


def durations_path(
    option: object, ini: object, *, invocation_dir: Path, rootdir: Path, project_dir: Path
) -> tuple[Path, str]:
    """Where the durations file is read from, and what said so (the option wins)."""
    if option not in (None, ""):
        return Path(invocation_dir, str(option)), "--pyramid-durations"
    if ini not in (None, ""):
        return rootdir / str(ini), "pyramid_durations"
    return project_dir / DEFAULT_DURATIONS, "the default durations file"

