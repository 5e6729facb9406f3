#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A data-driven collector (conftest pytest_collect_file for *.yaml cases, like pytest-yaml plugins)
# yields two cases with the same name -> two items with the SAME node id; the FIRST fails, the second passes.
# pytest reports 1 failed, 1 passed. Expected: blocked (a test failed), counts 2 in the unit tier.
base_project
w tests/unit/conftest.py <<'X'
import pytest

class CaseItem(pytest.Item):
    def __init__(self, *, expected, **kw):
        super().__init__(**kw)
        self.expected = expected
    def runtest(self):
        from mypkg.core import add
        assert add(1, 1) == self.expected
    def reportinfo(self):
        return self.path, 0, self.name

class CaseFile(pytest.File):
    def collect(self):
        for line in self.path.read_text().splitlines():
            if line.strip():
                name, expected = line.split(":")
                yield CaseItem.from_parent(self, name=name.strip(), expected=int(expected))

def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".cases" and file_path.name.startswith("test_"):
        return CaseFile.from_parent(parent, path=file_path)
X
w tests/unit/test_sums.cases <<'X'
sum_one: 3
sum_one: 2
X
commit init
"$PY" -m pytest -q -p no:cacheprovider -rA > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; grep -E "^(PASSED|FAILED)|passed|failed" "$W/pytest.out" | tail -5
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
if [ "$(decision)" = ready ]; then echo "RESULT: FALSE-READY"
else c=$(jget pyramid-verdict.json tiers.unit.failed); p=$(jget pyramid-verdict.json tiers.unit.passed)
  [ "$c" = 1 ] && [ "$p" = 2 ] && echo "RESULT: HELD" || echo "RESULT: WRONG-FIELD tiers.unit failed=$c passed=$p (pytest: 1 failed, 2 passed in unit)"; fi
