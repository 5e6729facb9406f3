"""Answers judged per path (hostile case 464): a class stable does not give on a path it serves
is the release's doing, whatever the path's share of the whole; small log windows."""

from __future__ import annotations

import pytest

from pytest_pyramid.deploy import analysis, comparison
from pytest_pyramid.deploy.analysis import AnalysisRun, Limits, PathShares
from pytest_pyramid.deploy.nonparametric import Settings

CANARY, STABLE = "127.0.0.1:2", "127.0.0.1:1"


def line(addr: str, path: str, code: int) -> str:
    return f"1.0|{code}|{addr}|{code}|0.004|0.004|0|0|GET|{path}"


def served(addr: str, paths: dict[str, tuple[int, int]]) -> list[str]:
    """``paths``: path -> (answered 200, answered the other code: 404 or 302 by the path's
    name)."""
    lines: list[str] = []
    for path, (good, other) in paths.items():
        code = 302 if path.startswith("/login") else 404
        lines += [line(addr, path, 200)] * good + [line(addr, path, code)] * other
    return lines


def measured(canary: dict[str, tuple[int, int]], stable: dict[str, tuple[int, int]] | None,
             carried: dict[str, PathShares] | None = None) -> analysis.Measurement:
    window = analysis.parse_lines(served(CANARY, canary) + served(STABLE, stable or {}))
    return analysis.judge(window.upstreams.get(CANARY), window.upstreams.get(STABLE), Limits(),
                          carried=carried)


@pytest.mark.parametrize(
    ("canary", "stable", "result", "reason"),
    [
        # 464: 8% of requests on a route the canary lost; stable answers it 200
        ({"/": (92, 0), "/checkout": (0, 8)}, {"/": (92, 0), "/checkout": (8, 0)}, "failed",
         "4xx on /checkout: 8 of 8 (100%) where stable gave 0 of 8 (0%) on that path"),
        # the same 404s from stable too: the clients' own (a page that does not exist)
        ({"/": (92, 0), "/checkout": (0, 8)}, {"/": (92, 0), "/checkout": (0, 8)},
         "successful", "within limits"),
        # 3xx by the same rule: one route sends everyone to the sign-in page
        ({"/": (92, 0), "/login-only": (0, 8)}, {"/": (92, 0), "/login-only": (8, 0)},
         "failed", "3xx on /login-only: 8 of 8"),
        # too few on the path for chance to be ruled out: not a pass, the window grows
        ({"/": (40, 0), "/checkout": (0, 3)}, {"/": (40, 0), "/checkout": (3, 0)},
         "inconclusive", "3 answered 4xx/3xx beyond stable's share"),
        # a path stable did not answer in the window is judged by the whole share only
        ({"/": (92, 0), "/new": (0, 4)}, {"/": (100, 0)}, "successful", "within limits"),
        # a share within max_rejected_delta of stable's on the path: the clients' own
        ({"/": (50, 0), "/a": (96, 4)}, {"/": (50, 0), "/a": (100, 0)}, "successful",
         "within limits"),
        # a difference chance explains at these counts among the pairs compared
        ({"/": (60, 0), "/a": (17, 3)}, {"/": (60, 0), "/a": (19, 1)}, "inconclusive",
         "beyond stable's share"),
    ],
)
def test_each_path_against_stables_share_of_it(
    canary: dict[str, tuple[int, int]], stable: dict[str, tuple[int, int]], result: str,
    reason: str,
) -> None:
    m = measured(canary, stable)
    assert (m.result, reason in "; ".join(m.reasons)) == (result, True), m.reasons


@pytest.mark.parametrize(
    ("carried", "result", "reason"),
    [
        # the 100% step, the bake, the watch: no stable share now, the compared step's rows
        ({"/": PathShares(50), "/checkout": PathShares(9)}, "failed",
         "4xx on /checkout: 8 of 8 (100%) where stable gave 0 of 9"),
        ({"/": PathShares(50), "/checkout": PathShares(9, 9)}, "successful",
         "per path by stable's shares of the last compared step (2 path(s))"),
        # nothing carried (a first deployment, blue-green): the absolute rule alone, said so
        (None, "successful", "4xx share 8.00% judged by the absolute rule (at most 20%)"),
    ],
)
def test_carried_rows_judge_where_no_stable_serves(
    carried: dict[str, PathShares] | None, result: str, reason: str,
) -> None:
    m = measured({"/": (92, 0), "/checkout": (0, 8)}, None, carried)
    assert (m.result, reason in "; ".join(m.reasons)) == (result, True), m.reasons


def test_the_table_is_bounded_and_the_same_fold_for_every_upstream() -> None:
    lines = [line(addr, f"/p{i}", 200) for i in range(200) for addr in (STABLE, CANARY)]
    window = analysis.parse_lines(lines)
    canary, stable = window.upstreams[CANARY], window.upstreams[STABLE]
    assert len(canary.paths) == analysis.MAX_PATHS + 1
    assert canary.paths.keys() == stable.paths.keys()
    assert canary.paths[analysis.OTHER_PATHS].requests == 200 - analysis.MAX_PATHS


def test_folded_rows_stay_bounded() -> None:
    rows: analysis.PathTable = {}
    analysis.fold_rows(rows, {f"/p{i}": PathShares(2, 1) for i in range(100)})
    analysis.fold_rows(rows, {"/p0": PathShares(1), "/late": PathShares(5, 5)})
    assert len(rows) == analysis.MAX_PATHS + 1
    assert (rows["/p0"], rows[analysis.OTHER_PATHS]) == (
        PathShares(3, 1), PathShares(2 * (100 - analysis.MAX_PATHS) + 5, 100 - 64 + 5))


@pytest.mark.parametrize(
    ("hits", "n", "other_hits", "other_n", "expected"),
    [(7, 7, 0, 7, 1 / 3432), (0, 5, 0, 5, 1.0), (1, 2, 1, 2, 5 / 6), (3, 3, 0, 1, 1 / 4),
     (2, 4, 0, 4, 3 / 14)],
)
def test_fisher_greater(hits: int, n: int, other_hits: int, other_n: int,
                        expected: float) -> None:
    assert analysis.fisher_greater(hits, n, other_hits, other_n) == pytest.approx(expected)


@pytest.mark.parametrize(
    "data",
    [None, [], {"/": [1, 2]}, {"/": [1, 1, 1]}, {"/": [1, -1, 0]}, {"/": [True, 0, 0]},
     {"/": ["1", 0, 0]}, {f"/p{i}": [1, 0, 0] for i in range(analysis.MAX_PATHS + 2)}],
)
def test_malformed_carried_rows_are_none(data: object) -> None:
    assert analysis.rows_from_dict(data) is None


def test_carried_rows_round_trip() -> None:
    rows = {"/": PathShares(5, 1, 2), analysis.OTHER_PATHS: PathShares(3)}
    assert analysis.rows_from_dict(analysis.rows_as_dict(rows)) == rows


def test_the_fresh_baseline_judges_the_canarys_paths_at_50() -> None:
    """judge = "nonparametric" at 50%: the warm stable gets nothing, the baseline (the stable
    release, fresh) answers /checkout 200 where the canary answers 404."""
    baseline = "127.0.0.1:3"
    window = analysis.parse_lines(served(CANARY, {"/": (92, 0), "/checkout": (0, 8)})
                                  + served(baseline, {"/": (92, 0), "/checkout": (8, 0)}))
    m = comparison.judged(window, CANARY, baseline, STABLE, Limits(),
                          Settings(resolution=0.001), AnalysisRun())
    assert m.result == "failed"
    assert "4xx on /checkout: 8 of 8" in "; ".join(m.reasons)
