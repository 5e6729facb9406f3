"""Static gates on small real source trees: real radon, real bandit, the duplication detector,
pip-audit's report reading, source discovery, globs and the result cache."""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING, Any, cast

import pytest

from pytest_pyramid.config_schema import check_part
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.gates import audit, complexity, duplication, security
from pytest_pyramid.gates.static import (
    ResultCache,
    StaticSettings,
    parse_static,
    source_files,
    source_hash,
    static_requested,
)
from pytest_pyramid.globs import glob_match
from pytest_pyramid.results import GateResult, effect_of

if TYPE_CHECKING:
    from pathlib import Path

SRC = "pyproject.toml"

def checked(parse: Any, part: str, value: Any, *args: Any) -> Any:
    """The structure through the schema (as the plugin checks it first), then the parser."""
    check_part(part, value, SRC)
    return parse(value, SRC, *args)



def write(root: Path, files: dict[str, str]) -> list[Path]:
    paths = []
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), "utf-8")
        paths.append(path)
    return sorted(paths)


def branchy(name: str, branches: int) -> str:
    body = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(branches))
    return f"def {name}(x):\n{body}    return -1\n"


# --- globs and discovery --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("**/migrations/**", "app/migrations/0001.py", True),
        ("**/migrations/**", "migrations/0001.py", True),
        ("**/migrations/**", "app/migrationsx/0001.py", False),
        ("requirements*.txt", "requirements-dev.txt", True),
        ("requirements*.txt", "deploy/requirements.txt", True),
        ("pyproject.toml", "sub/pyproject.toml", True),
        ("docs/*.md", "docs/a/b.md", False),
        ("docs/*", "docs/a/b.md", True),  # docs/a matches: a matched directory covers it
        ("tests/legacy", "tests/legacy/test_a.py", True),
        ("tests/legacy", "tests/legacy_new/test_a.py", False),
        ("**/legacy/**", "tests/legacy/", True),  # a directory, as the inventory asks
        ("docs/**/*.md", "docs/a/b.md", True),
        ("docs/**/*.md", "docs/b.md", True),
        ("*auth*.py", "src/pkg/oauth_client.py", True),
        ("src/?.py", "src/a.py", True),
        ("src/[ab].py", "src/c.py", False),
        ("**/openapi*.yaml", "./api/openapi.v1.yaml", True),
        (".github/**", ".github/workflows/ci.yml", True),
    ],
)
def test_glob_match(pattern: str, path: str, expected: bool) -> None:
    assert glob_match(pattern, path) is expected


def test_source_files_walks_sources_and_skips_excluded_and_caches(tmp_path: Path) -> None:
    write(tmp_path, {"pkg/a.py": "x = 1\n", "pkg/sub/b.py": "y = 2\n", "pkg/migrations/m.py": "",
                     "pkg/__pycache__/c.py": "", "pkg/notes.txt": "", "one.py": ""})
    files, missing = source_files(tmp_path, ["pkg", "one.py", "gone"], ["**/migrations/**"])
    assert [f.relative_to(tmp_path).as_posix() for f in files] == [
        "one.py", "pkg/a.py", "pkg/sub/b.py"
    ]
    assert missing == ["gone"]


def test_source_hash_changes_with_content_and_options(tmp_path: Path) -> None:
    files = write(tmp_path, {"a.py": "x = 1\n"})
    first = source_hash(files, tmp_path, {"t": 10})
    assert source_hash(files, tmp_path, {"t": 10}) == first
    assert source_hash(files, tmp_path, {"t": 11}) != first
    files[0].write_text("x = 2\n")
    assert source_hash(files, tmp_path, {"t": 10}) != first


def test_result_cache_round_trip_and_key_mismatch(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    gate = GateResult("static.x", "warn", "fail", 12, 10, "why", "skip", {"offenders": [1]})
    cache.store("static.x", "k1", gate, {"sarif": {"version": "2.1.0"}})
    assert (tmp_path / ".pyramid" / "cache" / "static.x.json").is_file()
    assert cache.load("static.x", "k1") == (gate, {"sarif": {"version": "2.1.0"}})
    assert cache.load("static.x", "k2") is None
    (tmp_path / ".pyramid" / "cache" / "static.x.json").write_text("{not json")
    assert cache.load("static.x", "k1") is None
    assert ResultCache(tmp_path, enabled=False).load("static.x", "k1") is None


@pytest.mark.parametrize(
    ("settings", "selected", "has_tests", "run", "why"),
    [
        (StaticSettings(), True, True, True, "security tier is selected"),
        (StaticSettings(), False, True, False, "not selected"),
        (StaticSettings(), True, False, False, "has no tests"),
        (StaticSettings(enabled=True), False, False, True, "enabled = true"),
        (StaticSettings(enabled=False), True, True, False, "enabled = false"),
    ],
)
def test_static_requested(settings: StaticSettings, selected: bool, has_tests: bool, run: bool,
                          why: str) -> None:
    ok, reason = static_requested(settings, tier_selected=selected, tier_has_tests=has_tests)
    assert ok is run
    assert why in reason


@pytest.mark.parametrize(
    ("table", "key", "why"),
    [
        ({"enable": True}, "static.enable", "unknown key"),
        ({"enabled": "yes"}, "static.enabled", '"auto"'),
        ({"tier": "sec"}, "static.tier", "unknown tier"),
        ({"cache": 1}, "static.cache", "true or false"),
        ({"exclude": "x"}, "static.exclude", "list of glob"),
        ({"sarif": ""}, "static.sarif", "path"),
    ],
)
def test_static_config_errors(table: dict[str, object], key: str, why: str) -> None:
    with pytest.raises(ConfigError) as info:
        checked(parse_static, "static", table, ("unit", "security"))
    assert str(info.value).startswith(f"{SRC}: [tool.pyramid] {key} = ")
    assert why in str(info.value)


# --- complexity (real radon) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("branches", "status", "actual"),
    [(3, "pass", 4), (9, "pass", 10), (10, "fail", 11), (14, "fail", 15)],
)
def test_complexity_gate_on_real_source(tmp_path: Path, branches: int, status: str,
                                        actual: int) -> None:
    files = write(tmp_path, {"pkg/a.py": branchy("simple", 1) + branchy("tangled", branches),
                             "pkg/b.py": "class C:\n    def m(self):\n        return 1\n"})
    gate = complexity.run(files, tmp_path, threshold=10, level="warn")
    assert (gate.id, gate.level, gate.status, gate.actual, gate.threshold) == (
        "static.complexity", "warn", status, actual, 10
    )
    offenders = gate.details["offenders"]
    if status == "fail":
        assert offenders == [{"file": "pkg/a.py", "line": 5, "name": "tangled",
                              "complexity": actual}]
        assert "tangled (pkg/a.py:5)" in gate.message
    else:
        assert offenders == []


def test_complexity_measures_methods_and_closures_once(tmp_path: Path) -> None:
    files = write(tmp_path, {"m.py": """\
        class C:
            def m(self, y):
                def inner(z):
                    return z if z else 0
                for i in y:
                    if i:
                        pass
                return inner
        """})
    measured, unparsable = complexity.measure(files, tmp_path)
    assert unparsable == []
    assert sorted((f.name, f.complexity) for f in measured) == [("C.m", 3), ("inner", 2)]


def test_complexity_not_evaluated_when_nothing_parses(tmp_path: Path) -> None:
    files = write(tmp_path, {"bad.py": "def f(:\n"})
    gate = complexity.run(files, tmp_path, threshold=10, level="warn")
    assert gate.status == "not_evaluated"
    assert "could not parse" in gate.message
    assert effect_of(gate) == "warn"


# --- duplication ----------------------------------------------------------------------------

CLONE = """\
def load(path, retries):
    result = []
    for attempt in range(retries):
        handle = open(path)
        try:
            data = handle.read().split(",")
            result.extend(item.strip() for item in data if item)
        finally:
            handle.close()
    return sorted(set(result))
"""


def test_duplication_detects_a_clone_across_files_ignoring_comments() -> None:
    commented = "# a copy\n" + CLONE.replace("    result = []\n", "    result = []  # again\n")
    report = duplication.detect([("a.py", CLONE), ("b.py", commented),
                                 ("c.py", "x = 1\ny = 2\n")], min_tokens=30)
    assert report.code_lines == 10 + 10 + 2
    assert report.duplicated_lines == 20
    assert {(b.file, b.start_line, b.end_line, b.also_in) for b in report.blocks} == {
        ("a.py", 1, 10, "b.py"), ("b.py", 2, 11, "a.py")
    }


def test_duplication_within_one_file_and_no_self_overlap() -> None:
    twice = CLONE + "\n\n" + CLONE.replace("def load", "def load_again")
    report = duplication.detect([("a.py", twice)], min_tokens=30)
    assert report.duplicated_lines > 0
    repeated = "".join(f"x{i % 2} = 1\n" for i in range(4))  # short repetition: below min_lines
    assert duplication.detect([("r.py", repeated)], min_tokens=4, min_lines=5).blocks == ()


def test_duplication_ignores_clones_shorter_than_min_lines() -> None:
    line = "value = compute(alpha, beta, gamma, delta, epsilon, zeta, eta, theta, iota)\n"
    report = duplication.detect([("a.py", line), ("b.py", line)], min_tokens=10, min_lines=5)
    assert report.duplicated_lines == 0


@pytest.mark.parametrize(
    ("files", "threshold", "status"),
    [
        ({"a.py": CLONE, "b.py": CLONE.replace("load", "read")}, 3.0, "fail"),
        ({"a.py": CLONE, "b.py": branchy("other", 30)}, 3.0, "pass"),
        ({"a.py": CLONE, "b.py": CLONE.replace("load", "read")}, 100.0, "pass"),
        ({"bad.py": "def f(:\n  '''unterminated"}, 3.0, "not_evaluated"),
    ],
)
def test_duplication_gate(tmp_path: Path, files: dict[str, str], threshold: float,
                          status: str) -> None:
    gate = duplication.run(write(tmp_path, files), tmp_path, threshold=threshold, level="block",
                           min_tokens=30)
    assert (gate.id, gate.level, gate.status) == ("static.duplication", "block", status)
    if status == "fail":
        assert gate.actual == 100.0
        assert "a.py:1-10 = b.py:1" in gate.message or "b.py:1-10 = a.py:1" in gate.message


# --- security (real bandit) -----------------------------------------------------------------

VULNERABLE = """\
import subprocess


def run(cmd):
    return subprocess.call(cmd, shell=True)
"""


@pytest.mark.parametrize(
    ("comment", "reason"),
    [
        ("# nosec", ""),
        ("# nosec B602", ""),
        ("# nosec: B602, B607", ""),
        ("# nosec assert_used", ""),
        ("# nosec B602 # argv is a constant list", "argv is a constant list"),
        ("# nosec: reviewed by security, JIRA-9", "reviewed by security, JIRA-9"),
        ("# noqa: E501 # nosec B101 - tests only", "tests only"),
        ("# plain comment", None),
    ],
)
def test_nosec_reason(comment: str, reason: str | None) -> None:
    assert security.nosec_reason(comment) == reason


def test_security_gate_on_real_bandit_finds_high_and_writes_sarif(tmp_path: Path) -> None:
    files = write(tmp_path, {"pkg/__init__.py": "", "pkg/run.py": VULNERABLE})
    gate, sarif = security.run(files, tmp_path, level="block", sarif_path=".pyramid/b.sarif")
    assert (gate.id, gate.status) == ("static.security", "fail")
    assert "high 1 > 0" in gate.message
    findings: list[dict[str, Any]] = cast("list[dict[str, Any]]", gate.details["findings"])
    found = {(f["rule"], f["file"], f["line"], f["severity"]) for f in findings}
    assert ("B602", "pkg/run.py", 5, "high") in found
    assert ("B404", "pkg/run.py", 1, "low") in found
    assert sarif is not None
    assert sarif["version"] == "2.1.0"
    bandit_run = cast("list[dict[str, Any]]", sarif["runs"])[0]
    assert bandit_run["tool"]["driver"]["name"] == "bandit"
    result = next(r for r in bandit_run["results"] if r["ruleId"] == "B602")
    assert result["level"] == "error"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "pkg/run.py"
    assert location["region"]["startLine"] == 5
    rule_ids = [r["id"] for r in bandit_run["tool"]["driver"]["rules"]]
    assert rule_ids[result["ruleIndex"]] == "B602"


@pytest.mark.parametrize(
    ("suffix", "status", "nosec_count"),
    [
        ("  # nosec B602 # command comes from our own config", "pass", 0),
        ("  # nosec", "fail", 1),
        ("  # nosec B602", "fail", 1),
    ],
)
def test_suppressions_need_a_reason(tmp_path: Path, suffix: str, status: str,
                                    nosec_count: int) -> None:
    source = VULNERABLE.replace("shell=True)", "shell=True)" + suffix)
    source = source.replace("import subprocess", "import subprocess  # nosec B404 # needed")
    files = write(tmp_path, {"pkg/run.py": source})
    gate, sarif = security.run(files, tmp_path, level="block")
    assert gate.status == status
    assert gate.details["counts"] == {"low": 0, "medium": 0, "high": 0,
                                      "unexplained_nosec": nosec_count}
    assert sarif is not None
    nosec_results = cast("list[dict[str, Any]]", sarif["runs"])[1]["results"]
    assert len(nosec_results) == nosec_count
    if nosec_count:
        assert nosec_results[0]["ruleId"] == "PYRAMID-NOSEC"
        assert "pkg/run.py:5" in gate.message


@pytest.mark.parametrize(
    ("limits", "min_confidence", "status"),
    [
        ({"high": 1, "medium": 5, "low": None}, "low", "pass"),
        ({"high": 1, "medium": 5, "low": 0}, "low", "fail"),  # B404 is low severity
        ({"high": 0, "medium": 5, "low": None}, "low", "fail"),
    ],
)
def test_security_limits_are_configurable(tmp_path: Path, limits: dict[str, int | None],
                                          min_confidence: str, status: str) -> None:
    files = write(tmp_path, {"pkg/run.py": VULNERABLE})
    gate, _ = security.run(files, tmp_path, level="block", limits=limits,
                           min_confidence=min_confidence)
    assert gate.status == status


def test_security_not_evaluated_when_bandit_cannot_run(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # Bandit is installed here; the missing-tool path is reached by hiding its distribution.
    monkeypatch.setattr(security, "bandit_version", lambda: None)
    gate, sarif = security.run(write(tmp_path, {"a.py": "x = 1\n"}), tmp_path, level="block")
    assert (gate.status, sarif) == ("not_evaluated", None)
    assert "bandit is not installed" in gate.message
    assert effect_of(gate) == "block"


# --- dependency audit -----------------------------------------------------------------------

# The shape of pip-audit 2.10's ``--format json`` report, as recorded on this machine (every
# package skipped: the vulnerability service is unreachable), plus a found vulnerability.
SKIPPED = {"name": "certifi",
           "skip_reason": "Dependency not found on PyPI and could not be audited: certifi (1)"}
EDITABLE = {"name": "pytest-pyramid-verdict", "skip_reason": "distribution marked as editable"}
CLEAN = {"name": "idna", "version": "3.20", "vulns": []}
VULN = {"name": "requests", "version": "2.19.0", "vulns": [
    {"id": "PYSEC-2018-28", "fix_versions": ["2.20.0"], "aliases": ["CVE-2018-18074"],
     "description": "..."}]}


@pytest.mark.parametrize(
    ("deps", "ignore", "status", "actual", "text"),
    [
        ([SKIPPED, EDITABLE], (), "not_evaluated", None, "could not audit 1 of 1"),
        ([EDITABLE], (), "not_evaluated", None, "could not audit 0 of 0"),
        ([CLEAN, EDITABLE], (), "pass", 0, "1 package(s) audited"),
        ([CLEAN, SKIPPED], (), "not_evaluated", None, "could not audit 1 of 2"),
        ([CLEAN, VULN], (), "fail", 1, "requests 2.19.0: PYSEC-2018-28"),
        ([VULN, SKIPPED], (), "fail", 1, "1 more package(s) could not be audited"),
        ([CLEAN, VULN], ("CVE-2018-18074",), "pass", 0, "2 package(s) audited"),
    ],
)
def test_audit_gate_never_an_all_clear_on_nothing(deps: list[dict[str, object]],
                                                  ignore: tuple[str, ...], status: str,
                                                  actual: int | None, text: str) -> None:
    report = audit.parse_audit({"dependencies": deps, "fixes": []})
    gate = audit.audit_gate(report, ignore=ignore)
    assert (gate.id, gate.level, gate.status, gate.actual) == ("static.audit", "block", status,
                                                               actual)
    assert text in gate.message
    if status == "not_evaluated":
        assert gate.on_missing == "warn"
        assert effect_of(gate) == "warn"
        assert "offline machine" in gate.message


def test_audit_report_must_be_pip_audit_json() -> None:
    with pytest.raises(audit.AuditUnavailable, match="dependencies"):
        audit.parse_audit({"results": []})


def test_audit_not_installed_is_not_evaluated(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "audit_command", lambda configured=None: None)
    gate = audit.run(tmp_path, level="block")
    assert (gate.status, gate.on_missing) == ("not_evaluated", "warn")
    assert "pip-audit is not installed" in gate.message


def test_audit_command_that_prints_no_report(tmp_path: Path) -> None:
    # A real subprocess standing in for a pip-audit that crashes before writing its report.
    script = tmp_path / "fake_pip_audit.py"
    script.write_text("import sys\nsys.stderr.write('resolution failed')\nsys.exit(2)\n")
    import sys

    gate = audit.run(tmp_path, level="block", command=[sys.executable, str(script)])
    assert gate.status == "not_evaluated"
    assert "exited 2 without a report: resolution failed" in gate.message


def test_audit_command_output_is_parsed(tmp_path: Path) -> None:
    # A stand-in executable that prints a recorded-format report: the subprocess plumbing is real.
    script = tmp_path / "fake_pip_audit.py"
    report = {"dependencies": [CLEAN, VULN], "fixes": []}
    script.write_text(f"import sys\nprint({json.dumps(json.dumps(report))})\nsys.exit(1)\n")
    import sys

    gate = audit.run(tmp_path, level="approve", command=[sys.executable, str(script)])
    assert (gate.status, gate.level, gate.actual) == ("fail", "approve", 1)
