#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The results file records each test's attempts before its last (`earlier_attempts`), and
# `tests.flaky` fails for a test that needed a rerun. A tracked `@pytest.mark.flaky(reruns=2)`
# (pytest-rerunfailures: the project's own decision) hides a failure in different phases.
# Each row's test fails its first attempt and passes its second. Rows: (a) the call fails;
# (b) the setup (a fixture) fails; (c) the teardown (a fixture's finalizer) fails after a
# passing call; (d) the call *and* the teardown fail; (e) (c) under -n 2; (f) a failed
# subtest on the first attempt.
# Expected: every row that is not blocked: `tests.flaky` fails naming the test, and the test's
# record has one earlier attempt with outcome failed/error (the first attempt did not pass).
# (f) is blocked: pytest itself fails the rerun that passed, because its subtest count for the
# node id still holds the first attempt's failure (exit 1); the verdict agrees with pytest.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
commit init
BAD=""
frow() { local l=$1 phase=$2; shift 2; row "$l" "$@" <<X
import itertools, pytest

calls = itertools.count()

@pytest.fixture
def attempt():
    n = next(calls)
    if "$phase" == "setup" and n == 0:
        raise RuntimeError("setup failed on the first attempt")
    yield n
    if "$phase" in ("teardown", "both") and n == 0:
        raise RuntimeError("teardown failed on the first attempt")

@pytest.mark.flaky(reruns=2)
def test_row(attempt, subtests):
    if "$phase" in ("call", "both"):
        assert attempt > 0, "call failed on the first attempt"
    if "$phase" == "subtest":
        with subtests.test(msg="check"):
            assert attempt > 0, "subtest failed on the first attempt"
X
  local res; res=$("$PY" - <<'P'
import json
v = json.load(open("pyramid-verdict.json"))
g = [x for x in v["gates"] if x["id"] == "tests.flaky"]
r = json.load(open("pyramid-verdict.results.json"))
t = [x for x in r["tests"] if x["nodeid"].endswith("test_row.py::test_row")]
ea = t[0].get("earlier_attempts") if t else "no record"
print("flaky=%s | outcome=%s earlier=%s" % (g[0]["status"] if g else "absent", t[0]["outcome"] if t else "-", json.dumps(ea)))
P
)
  echo "   ($l) $res"
  [ "$(decision)" = ready ] || return 0  # a failed test (pytest's exit 1) blocks: not a hidden failure
  case "$res" in flaky=fail*'"outcome": "failed"'*|flaky=fail*'"outcome": "error"'*) ;; *) BAD="$BAD $l";; esac
}
frow a call
frow b setup
frow c teardown
frow d both
frow e teardown -n 2
frow f subtest
if [ -n "$BAD" ]; then echo "RESULT: BROKEN (rows$BAD: a rerun's first attempt not recorded as failed, or tests.flaky not failing)"
else echo "RESULT: HELD"; fi
