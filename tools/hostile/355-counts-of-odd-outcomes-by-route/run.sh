#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 13a, wrong fields: one suite of odd outcome shapes run by every route (serial, -n 2,
# two shards + `pyramid merge`); the tiers' counts (collected, passed, failed, skipped, errors,
# xfailed, xpassed) must agree across routes. Shapes: unittest's setUpClass raising SkipTest,
# unittest.expectedFailure (failing and passing), unittest subTest failures, a class-level
# skipif, pytest.skip(allow_module_level=True) in one module, an error in a class-scoped
# fixture shared by two tests, a test that fails in call and errors in teardown, an empty
# parameter set, a non-strict xpass, a strict xfail that passes.
# Expected: the same counts through every route (and each route's decision `blocked`).
base_project
printf 'pyramid-verdict*\n.pyramid/\npyramid-partial*\nparts*/\n' >> .gitignore
w tests/integration/test_ut.py <<'X'
import unittest


class SkippedClass(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise unittest.SkipTest("no backend")

    def test_a(self):
        pass

    def test_b(self):
        pass


class Expected(unittest.TestCase):
    @unittest.expectedFailure
    def test_known_bug(self):
        self.assertEqual(1, 2)

    @unittest.expectedFailure
    def test_fixed_bug(self):
        self.assertEqual(1, 1)

    def test_subtests(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertLess(i, 1)
X
w tests/integration/test_shapes.py <<'X'
import pytest


@pytest.mark.skipif(True, reason="class skip")
class TestSkipped:
    def test_x(self):
        pass

    def test_y(self):
        pass


class TestBrokenFixture:
    @pytest.fixture(scope="class")
    def res(self):
        raise RuntimeError("setup fails")

    def test_one(self, res):
        pass

    def test_two(self, res):
        pass


@pytest.fixture
def bad_teardown():
    yield
    raise RuntimeError("teardown fails")


def test_fail_and_teardown_error(bad_teardown):
    assert False


@pytest.mark.parametrize("x", [])
def test_empty(x):
    pass


@pytest.mark.xfail(reason="flaky")
def test_xpass():
    pass


@pytest.mark.xfail(strict=True, reason="must fail")
def test_strict_xpass():
    pass
X
w tests/integration/test_modskip.py <<'X'
import pytest

pytest.skip("whole module", allow_module_level=True)


def test_never():
    pass
X
commit init
export PYRAMID_RUN_ID=r355
counts() { "$PY" - "$1" <<'X'
import json, sys
try:
    v = json.load(open(sys.argv[1]))
except Exception as e:
    print("unreadable", e); sys.exit()
out = [v.get("decision")]
for t, d in sorted((v.get("tiers") or {}).items()):
    if d.get("collected"):
        out.append("%s: %s" % (t, " ".join("%s=%s" % (k, d.get(k)) for k in ("collected", "passed", "failed", "skipped", "errors", "xfailed", "xpassed", "deselected"))))
print(" | ".join(map(str, out)))
X
}
"$PY" -m pytest -q -p no:cacheprovider -rA > "$W/serial.out" 2>&1; tail -1 "$W/serial.out"
S=$(counts pyramid-verdict.json); echo "serial : $S"
"$PY" -m pytest -q -p no:cacheprovider -n 2 > "$W/xdist.out" 2>&1; tail -1 "$W/xdist.out"
X2=$(counts pyramid-verdict.json); echo "-n 2   : $X2"
rm -rf parts; mkdir parts
for i in 1 2; do "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=$i/2 > "$W/shard$i.out" 2>&1; mv pyramid-partial-$i-of-2.json parts/; done
"$PYR" merge parts -o "$W/merged.json" > "$W/merge.out" 2>&1; echo "merge exit=$?"
M=$(counts "$W/merged.json"); echo "merged : $M"
if [ "$S" = "$X2" ] && [ "$S" = "$M" ] && ! echo "$S" | grep -q '^ready'; then echo "RESULT: HELD"
else echo "RESULT: BROKEN (the routes disagree on the counts, or a route was ready)"; fi
