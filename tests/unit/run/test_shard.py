"""The shard spec, the durations file and the assignment (run/shard.py): pure tables."""

from __future__ import annotations

import json
import random

import pytest

from pytest_pyramid.run.shard import (
    KEEP_TOGETHER_MIN_S,
    Durations,
    ShardError,
    ShardSpec,
    assign,
    build_units,
    dist_group,
    durations_document,
    from_environment,
    kept_together,
    load_durations_bytes,
    parse_durations,
    parse_shard,
    scope_keys,
    selection_digest,
    updated_durations,
)

TIERS = ("unit", "integration", "e2e")


@pytest.mark.parametrize(
    ("text", "index", "total"),
    [("1/1", 1, 1), ("2/4", 2, 4), (" 4 / 4 ", 4, 4), ("+3/5", 3, 5)],
)
def test_explicit_shards(text: str, index: int, total: int) -> None:
    spec = parse_shard(text, "--pyramid-shard", {})
    assert (spec.index, spec.total) == (index, total)
    assert spec.source == f"--pyramid-shard={text.strip()}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5/4", r"--pyramid-shard=5/4: shard 5 is beyond the 4 shard\(s\)"),
        ("1/0", r"--pyramid-shard=1/0: 0 shard\(s\): the number of shards must be at least 1"),
        ("0/4", r"shard 0: shards are numbered 1\.\.4 \(GitHub's strategy\.job-index"),
        ("-1/3", r"shard -1: shards are numbered"),
        ("2", r"--pyramid-shard='2': expected I/N"),
        ("two/four", r"--pyramid-shard='two/four': expected I/N"),
        ("", r"expected I/N"),
    ],
)
def test_bad_explicit_shards_name_the_value(text: str, message: str) -> None:
    with pytest.raises(ShardError, match=message):
        parse_shard(text, "--pyramid-shard", {})


@pytest.mark.parametrize(
    ("environ", "index", "total", "system"),
    [
        ({"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "3"}, 1, 3, "GitLab"),  # 1-based
        ({"CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "3"}, 3, 3, "GitLab"),
        ({"CI_NODE_TOTAL": "1"}, 1, 1, "GitLab"),  # a job without parallel:
        ({"CIRCLE_NODE_INDEX": "0", "CIRCLE_NODE_TOTAL": "4"}, 1, 4, "CircleCI"),  # 0-based
        ({"CIRCLE_NODE_INDEX": "3", "CIRCLE_NODE_TOTAL": "4"}, 4, 4, "CircleCI"),
        ({"BUILDKITE_PARALLEL_JOB": "1", "BUILDKITE_PARALLEL_JOB_COUNT": "2"}, 2, 2,
         "Buildkite"),
        ({"TEST_SHARD_INDEX": "0", "TEST_TOTAL_SHARDS": "2"}, 1, 2, "Bazel"),
        # Bazel's variables come from the test runner itself: they win over the CI's
        ({"TEST_SHARD_INDEX": "1", "TEST_TOTAL_SHARDS": "2", "CIRCLE_NODE_INDEX": "0",
          "CIRCLE_NODE_TOTAL": "1"}, 2, 2, "Bazel"),
    ],
)
def test_auto_reads_each_ci(environ: dict[str, str], index: int, total: int, system: str) -> None:
    spec = parse_shard("auto", "--pyramid-shard", environ)
    assert (spec.index, spec.total) == (index, total)
    assert system in spec.source
    assert spec.source.startswith("--pyramid-shard=auto (")


def test_auto_keeps_bazels_status_file() -> None:
    spec = from_environment({"TEST_SHARD_INDEX": "0", "TEST_TOTAL_SHARDS": "3",
                             "TEST_SHARD_STATUS_FILE": "/tmp/status"})
    assert spec == ShardSpec(1, 3, spec.source, status_file="/tmp/status")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, r"none of the CI shard variables is set .*CI_NODE_INDEX/CI_NODE_TOTAL \(GitLab\)"),
        ({"GITHUB_ACTIONS": "true"}, r"pass --pyramid-shard=I/N explicitly \(GitHub Actions"),
        # the glci failure: the index is missing on every shard -> never "run everything"
        ({"CI_NODE_TOTAL": "4"}, r"GitLab's CI_NODE_TOTAL='4' is set but CI_NODE_INDEX is not"),
        ({"CIRCLE_NODE_INDEX": "1"}, r"CIRCLE_NODE_INDEX='1' is set but CIRCLE_NODE_TOTAL"),
        ({"CI_NODE_INDEX": "x", "CI_NODE_TOTAL": "4"}, r"CI_NODE_INDEX='x' is not a whole"),
        ({"CI_NODE_INDEX": "0", "CI_NODE_TOTAL": "4"}, r"shard 0: shards are numbered"),
        ({"CIRCLE_NODE_INDEX": "4", "CIRCLE_NODE_TOTAL": "4"}, r"shard 5 is beyond the 4"),
        ({"BUILDKITE_PARALLEL_JOB": "0", "BUILDKITE_PARALLEL_JOB_COUNT": "0"},
         r"0 shard\(s\): the number of shards must be at least 1"),
    ],
)
def test_auto_without_usable_variables_is_an_error(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ShardError, match=message) as info:
        parse_shard("auto", "--pyramid-shard", environ)
    assert str(info.value).startswith("--pyramid-shard=auto")


def test_selection_digest_ignores_order() -> None:
    ids = [f"t.py::test_{i}" for i in range(50)]
    shuffled = ids[:]
    random.Random(1).shuffle(shuffled)
    assert selection_digest(ids) == selection_digest(shuffled)
    assert selection_digest(ids) != selection_digest(ids[:-1])
    assert selection_digest(ids).startswith("sha256:")


@pytest.mark.parametrize(
    ("nodeid", "keys"),
    [
        ("t.py::test_a", ["t.py"]),
        ("d/t.py::TestX::test_a", ["d/t.py", "d/t.py::TestX"]),
        ("t.py::TestX::TestY::test_a[1]", ["t.py", "t.py::TestX", "t.py::TestX::TestY"]),
        ("t.py::test_a[a::b]", ["t.py"]),  # a parameter id may hold '::'
        ("t.py", []),
    ],
)
def test_scope_keys(nodeid: str, keys: list[str]) -> None:
    assert scope_keys(nodeid) == keys


@pytest.mark.parametrize(
    ("shared", "own", "together"),
    [
        (0.0, 0.0, False),
        (KEEP_TOGETHER_MIN_S, 100.0, True),  # paying it twice costs a second: keep it
        (0.5, 0.4, True),  # the shared setup dominates the tests' own time
        (0.5, 2.0, False),
        (0.001, 0.0005, True),
    ],
)
def test_kept_together(shared: float, own: float, together: bool) -> None:
    assert kept_together(shared, own) is together


def _durations(tests: dict[str, tuple[str, float, float, float]],
               scopes: dict[str, float] | None = None) -> Durations:
    return Durations(tests, scopes or {})


def test_a_module_with_an_expensive_fixture_is_one_unit() -> None:
    tests = {f"tests/int/test_db.py::test_{i}": "integration" for i in range(6)}
    tests.update({f"tests/unit/test_u.py::test_{i}": "unit" for i in range(4)})
    recorded = {nodeid: (tier, 0.001, 0.1, 0.001) for nodeid, tier in tests.items()}
    recorded["tests/int/test_db.py::test_0"] = ("integration", 2.0, 0.1, 0.001)  # paid it
    units, estimated = build_units(tests, _durations(recorded, {"tests/int/test_db.py": 2.0}))
    assert estimated == 0
    db = [u for u in units if u.key == "tests/int/test_db.py"]
    assert len(db) == 1
    assert len(db[0].nodeids) == 6
    # the shared setup once plus every test's own time
    assert db[0].cost == pytest.approx(2.0 + 5 * 0.102 + 0.101)
    assert sum(1 for u in units if u.tier == "unit") == 4  # per test: no shared setup


def test_a_cheap_module_fixture_does_not_bind_its_tests() -> None:
    tests = {f"t.py::test_{i}": "unit" for i in range(10)}
    recorded = {nodeid: ("unit", 0.0, 1.0, 0.0) for nodeid in tests}
    units, _ = build_units(tests, _durations(recorded, {"t.py": 0.2}))
    assert len(units) == 10


def test_unknown_tests_cost_their_tiers_median() -> None:
    tests = {"a.py::t1": "unit", "a.py::t2": "unit", "a.py::t3": "unit", "a.py::new": "unit",
             "e.py::t1": "e2e", "e.py::new": "e2e", "x.py::new": "security"}
    recorded = {"a.py::t1": ("unit", 0.0, 1.0, 0.0), "a.py::t2": ("unit", 0.0, 2.0, 0.0),
                "a.py::t3": ("unit", 0.0, 9.0, 0.0), "e.py::t1": ("e2e", 0.0, 30.0, 0.0)}
    units, estimated = build_units(tests, _durations(recorded))
    cost = {u.key: u.cost for u in units}
    assert estimated == 3
    assert cost["a.py::new"] == 2  # the unit tier's median, not its mean (4)
    assert cost["e.py::new"] == 30
    assert cost["x.py::new"] == 5.5  # no record in its tier: the median of all


def test_nothing_recorded_splits_by_count() -> None:
    tests = {f"t{m}.py::test_{i}": TIERS[m % 3] for m in range(5) for i in range(20)}
    result = assign(tests, Durations(), 4, TIERS)
    assert sorted(len(s) for s in result.shards) == [25, 25, 25, 25]
    assert result.estimated == 100


def _suite(seed: int, tests: int = 2000) -> tuple[dict[str, str], Durations]:
    rng = random.Random(seed)
    selection: dict[str, str] = {}
    recorded: dict[str, tuple[str, float, float, float]] = {}
    for n in range(tests):
        tier = rng.choice(TIERS)
        nodeid = f"tests/{tier}/test_m{n // 20}.py::test_{n}"
        selection[nodeid] = tier
        recorded[nodeid] = (tier, 0.0, rng.lognormvariate(-3, 1.2), 0.0)
    return selection, Durations(recorded)


@pytest.mark.parametrize("shards", [1, 2, 4, 8])
def test_every_test_lands_on_exactly_one_shard(shards: int) -> None:
    selection, durations = _suite(3)
    result = assign(selection, durations, shards, TIERS)
    flat = [nodeid for shard in result.shards for nodeid in shard]
    assert sorted(flat) == sorted(selection)
    assert len(flat) == len(set(flat))
    assert all(shard == sorted(shard) for shard in result.shards)


@pytest.mark.parametrize("shards", [2, 4, 8])
def test_the_split_is_balanced(shards: int) -> None:
    selection, durations = _suite(5)
    result = assign(selection, durations, shards, TIERS)
    assert result.ratio() <= 1.02
    # and per tier: every shard reaches each tier at about the same time
    for tier in TIERS:
        loads = [t.get(tier, 0.0) for t in result.tier_loads]
        assert max(loads) - min(loads) <= 2 * max(durations.tests[n][2] for n in selection)


def test_the_split_does_not_depend_on_collection_order() -> None:
    selection, durations = _suite(7, 500)
    reordered = dict(sorted(selection.items(), reverse=True))
    assert assign(selection, durations, 4, TIERS).shards == assign(
        reordered, durations, 4, TIERS).shards


def test_more_shards_than_units_leaves_some_empty() -> None:
    result = assign({"a.py::t": "unit", "b.py::t": "unit"}, Durations(), 5, TIERS)
    assert [len(s) for s in result.shards] == [1, 1, 0, 0, 0]


def test_durations_round_trip() -> None:
    durations = Durations({"t.py::a": ("unit", 0.5, 1.25, 0.0)}, {"t.py": 0.5})
    document = durations_document(durations)
    raw = json.dumps(document).encode()
    assert load_durations_bytes(raw) == durations
    assert load_durations_bytes(None) == Durations()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected a JSON object"),
        ({"format": "pytest-split"}, "'format' is 'pytest-split'"),
        ({"format": "pytest-pyramid-durations", "version": 9}, "'version' is 9"),
        ({"format": "pytest-pyramid-durations", "version": 1, "tests": {"a": [1, 2]}},
         r"tests\['a'\]: expected \[tier, setup_s, call_s, teardown_s\]"),
        ({"format": "pytest-pyramid-durations", "version": 1,
          "tests": {"a": ["unit", 0, -1, 0]}}, r"tests\['a'\]: -1 is not a number of seconds"),
        ({"format": "pytest-pyramid-durations", "version": 1, "scopes": {"m": "x"}},
         r"scopes\['m'\]: 'x' is not a number"),
    ],
)
def test_bad_durations_say_what_is_wrong(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_durations(data)


def test_not_json_is_refused() -> None:
    with pytest.raises(ValueError, match="not valid JSON"):
        load_durations_bytes(b"{nope")


def test_updated_durations_keep_what_did_not_run() -> None:
    previous = Durations(
        {
            "u.py::ran": ("unit", 0, 9, 0),
            "u.py::skipped": ("unit", 0, 3, 0),
            "u.py::deleted": ("unit", 0, 1, 0),
            "e.py::other_tier": ("e2e", 0, 20, 0),
        },
        {"e.py": 5.0, "u.py": 1.0},
    )
    results = [
        ("u.py::ran", "unit", "passed", 0.0, 2.0, 0.0),
        ("u.py::skipped", "unit", "skipped", 0.0, 0.0, 0.0),
        ("u.py::new", "unit", "failed", 0.1, 0.5, 0.0),
    ]
    fresh = updated_durations(previous, results, {}, ["unit"])
    assert fresh.tests == {
        "u.py::ran": ("unit", 0.0, 2.0, 0.0),  # this run's time
        "u.py::new": ("unit", 0.1, 0.5, 0.0),  # a failed test ran too
        "u.py::skipped": ("unit", 0, 3, 0),  # skipped now: its old time stays
        "e.py::other_tier": ("e2e", 0, 20, 0),  # its tier was not selected
    }  # u.py::deleted is gone: its tier ran and it was not in the selection
    # e.py did not run: its old shared setup stays; u.py ran and measured none now
    assert fresh.scopes == {"e.py": 5.0}


@pytest.mark.parametrize(
    ("nodeid", "dist", "group"),
    [
        ("t.py::test_a", "loadfile", "t.py"),
        ("t.py::TestX::test_a[1]", "loadfile", "t.py"),
        ("t.py::TestX::test_a[1]", "loadscope", "t.py::TestX"),
        ("t.py::test_a", "loadscope", "t.py"),
        ("t.py::test_a", "load", None),
        ("t.py::test_a", "worksteal", None),
        ("t.py::test_a", "no", None),
    ],
)
def test_dist_groups(nodeid: str, dist: str, group: str | None) -> None:
    assert dist_group(nodeid, dist) == group


def test_groups_are_kept_whole_whatever_they_cost() -> None:
    tests = {f"m{m}.py::test_{i}": "unit" for m in range(4) for i in range(5)}
    groups = {nodeid: nodeid.split("::")[0] for nodeid in tests}  # --dist=loadfile
    result = assign(tests, Durations(), 2, TIERS, groups)
    assert result.units == 4
    for shard in result.shards:
        assert len(shard) == 10
        assert len({nodeid.split("::")[0] for nodeid in shard}) == 2  # two whole files each
