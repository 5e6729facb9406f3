"""Report benchmark (run on demand, never as a test).

    python benchmarks/bench_report.py [--tests 50000] [--failures 500] [--repeat 5]

A synthetic verdict of ``--tests`` tests in six tiers with ``--failures`` failures (each with
a traceback-sized message), its per-test results file and a 30-run history are written to a
temporary folder; then:

1. generating every report (``pyramid report --html --ctrf --junit --summary`` as a function
   call: reading the verdict and the results file included, the history append excluded)
   is timed, median of ``--repeat``, each report's own share shown;
2. the sizes: the HTML (budget 2 MB) and the step summary (budget 64 KiB);
3. headless Chromium (``/usr/bin/chromium``) opens the HTML: first contentful paint and load
   event from the page's own performance entries (budget 2 s), console errors, the tiers
   drawn in the pyramid;
4. the CTRF document is validated against the vendored schema (``jsonschema``) and the
   JUnit file against the vendored XSD (``xmlschema``, when installed): errors counted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_pyramid.verdict import decide, schema_errors  # noqa: E402
from pytest_pyramid.verdict.history import append  # noqa: E402
from pytest_pyramid.verdict.reports import ReportRequest, build_reports  # noqa: E402
from pytest_pyramid.verdict.results_file import results_path_for, write_results  # noqa: E402

TIERS = {"unit": 0.7, "integration": 0.16, "contract": 0.06, "e2e": 0.04,
         "performance": 0.02, "security": 0.02}
BUDGETS = {"unit": 900.0, "integration": 600.0, "contract": 300.0, "e2e": 900.0,
           "performance": 1800.0, "security": 1200.0}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-default-apps"]


def traceback_text(rng: random.Random, index: int) -> str:
    frames = []
    for depth in range(rng.randint(3, 8)):
        frames.append(
            f"tests/pkg_{index % 50}/test_mod_{index % 97}.py:{10 + depth * 7}: in helper_{depth}\n"
            f"    result = service.call(payload, retries={depth}, timeout=0.{depth}5)\n"
            + "".join(f"    local_{k} = {{'id': {k}, 'name': 'item-{k}', 'price': {k}.5}}\n"
                      for k in range(rng.randint(2, 6)))
        )
    return ("".join(frames)
            + f"E   AssertionError: expected 200, got 500 for order {index} <b>&amp;</b>\n"
            + "E   assert 500 == 200\n")[:4000]


def synthetic(tests: int, failures: int, seed: int = 7) -> tuple[dict, list[dict]]:
    rng = random.Random(seed)
    records: list[dict] = []
    counts = {name: round(tests * share) for name, share in TIERS.items()}
    counts["unit"] += tests - sum(counts.values())
    failing = set(rng.sample(range(tests), failures))
    index = 0
    for tier, count in counts.items():
        for number in range(count):
            module = f"tests/{tier}/pkg_{number // 1000}/test_mod_{number // 100}.py"
            cls = f"TestGroup{number % 7}::" if number % 3 == 0 else ""
            nodeid = f"{module}::{cls}test_case_{number % 100}[param-{number}]"
            entry = {
                "nodeid": nodeid, "tier": tier, "outcome": "passed",
                "setup_s": round(rng.random() * 0.002, 6),
                "call_s": round(rng.lognormvariate(-5, 1.2), 6),
                "teardown_s": round(rng.random() * 0.001, 6),
            }
            if index in failing:
                entry["outcome"] = "failed" if index % 5 else "error"
                entry["message"] = traceback_text(rng, index)
            elif index % 997 == 0:
                entry["outcome"] = "skipped"
                entry["message"] = "needs a GPU"
            elif index % 1499 == 0:
                entry["reruns"] = 1
            records.append(entry)
            index += 1
    records.sort(key=lambda e: e["nodeid"])
    tiers = {}
    for tier in TIERS:
        mine = [e for e in records if e["tier"] == tier]
        passed = sum(1 for e in mine if e["outcome"] == "passed")
        failed = sum(1 for e in mine if e["outcome"] == "failed")
        errors = sum(1 for e in mine if e["outcome"] == "error")
        skipped = sum(1 for e in mine if e["outcome"] == "skipped")
        took = sum(e["setup_s"] + e["call_s"] + e["teardown_s"] for e in mine)
        tiers[tier] = {
            "selected": True, "required": True, "collected": len(mine), "deselected": 0,
            "files_on_disk": len(mine) // 100, "passed": passed, "failed": failed,
            "errors": errors, "skipped": skipped, "xfailed": 0, "xpassed": 0, "never_ran": 0,
            "test_time_s": round(took, 4), "wall_time_s": round(took / 2, 4),
            "budget_s": BUDGETS[tier], "test_timeout_s": 60.0, "slowest": [],
            "status": "failed" if failed or errors else "passed",
            "coverage": {"percent": round(70 + rng.random() * 25, 2), "fail_under": 80.0},
        }
    gates = [
        {"id": "tests.pass_rate", "level": "block", "status": "fail",
         "actual": round(100 * (tests - failures) / tests, 2), "threshold": 100,
         "message": f"{failures} of {tests} executed tests failed"},
        *({"id": f"budget.{t}", "level": "block", "status": "pass",
           "actual": tiers[t]["test_time_s"], "threshold": BUDGETS[t], "message": "within"}
          for t in TIERS),
        {"id": "metric.load.p95_ms", "level": "block", "status": "pass", "actual": 120.0,
         "threshold": "< 500", "message": "ok"},
        {"id": "static.audit", "level": "block", "status": "not_evaluated", "actual": None,
         "threshold": 0, "message": "pip-audit is not installed", "on_missing": "skip"},
    ]
    verdict = {
        "schema_version": 2, "decision": "blocked", "reasons": [],
        "created_at": "2026-11-30T12:00:00Z", "commit": "0123456789abcdef" * 2 + "01234567",
        "commit_time": None, "branch": "main", "dirty": False,
        "tree": {"digest": None, "head": None, "excluded": []},
        "config": {"file": "pyproject.toml", "digest": "sha256:0"},
        "tool": {"name": "pytest-pyramid", "version": "bench"},
        "run": {"selected_tiers": list(TIERS), "workers": 8, "duration_s": 1234.5,
                "pytest_exit": 1, "interrupted": False, "collected": tests, "never_ran": 0},
        "completeness": [], "tiers": tiers, "gates": gates,
        "metrics": {"load.p95_ms": {"aggregate": "worst", "value": 120.0, "samples": []}},
        "run_id": "bench:30", "run_number": 30,
    }
    verdict["decision"], verdict["reasons"] = decide(verdict)
    return verdict, records


def write_history(path: Path, verdict: dict, runs: int, rng: random.Random) -> None:
    for number in range(1, runs):
        earlier = json.loads(json.dumps(verdict))
        earlier["run_id"], earlier["run_number"] = f"bench:{number}", number
        earlier["created_at"] = f"2026-11-{number:02d}T12:00:00Z"
        for tier in earlier["tiers"].values():
            tier["collected"] = max(0, tier["collected"] - (runs - number) * 10)
            tier["test_time_s"] *= 0.8 + rng.random() * 0.4
            tier["coverage"]["percent"] = round(70 + rng.random() * 25, 2)
        append(path, earlier)


def open_in_chromium(html: Path, home: Path) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    os.environ["HOME"] = str(home)
    os.environ["XDG_CONFIG_HOME"] = str(home / ".config")
    os.environ["XDG_CACHE_HOME"] = str(home / ".cache")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        started = time.perf_counter()
        page.goto(html.as_uri(), wait_until="load")
        wall = time.perf_counter() - started
        timing = page.evaluate(
            "() => { const n = performance.getEntriesByType('navigation')[0];"
            " const p = performance.getEntriesByName('first-contentful-paint')[0];"
            " return {load: n.loadEventEnd, dom: n.domContentLoadedEventEnd,"
            " fcp: p ? p.startTime : null}; }"
        )
        tiers = page.locator("svg.pyramid g.tier").count()
        page.screenshot(path=str(html.with_suffix(".png")))
        browser.close()
    return {"wall_s": wall, **timing, "errors": errors, "tiers": tiers}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=50_000)
    parser.add_argument("--failures", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="write the files here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-report-"))
    folder.mkdir(parents=True, exist_ok=True)
    verdict, records = synthetic(args.tests, args.failures)
    verdict_path = folder / "pyramid-verdict.json"
    verdict["results"] = write_results(results_path_for(verdict_path), records,
                                       relative_to=folder)
    assert schema_errors(verdict) == [], schema_errors(verdict)[:3]
    verdict_path.write_text(json.dumps(verdict))
    history = folder / "history.sqlite"
    write_history(history, verdict, 30, random.Random(3))
    append(history, verdict)

    from pytest_pyramid.verdict.document import load_verdict
    from pytest_pyramid.verdict.reports import read_records

    times: dict[str, list[float]] = {k: [] for k in
                                     ("load", "html", "ctrf", "junit", "summary", "all", "all_cpu")}
    for round_ in range(args.repeat):
        summary = folder / f"summary-{round_}.md"
        summary.unlink(missing_ok=True)  # the step summary is appended to, as GitHub's
        started = time.perf_counter()
        loaded = load_verdict(verdict_path)
        read_records(loaded, verdict_path)
        times["load"].append(time.perf_counter() - started)
        for kind in ("html", "ctrf", "junit", "summary"):
            target = summary if kind == "summary" else folder / f"report.{kind}"
            request = ReportRequest(**{kind: target})
            t0 = time.perf_counter()
            build_reports(loaded, verdict_path, request)
            times[kind].append(time.perf_counter() - t0)
        (folder / "summary-all.md").unlink(missing_ok=True)
        t0, c0 = time.perf_counter(), time.process_time()
        loaded = load_verdict(verdict_path)
        build_reports(loaded, verdict_path, ReportRequest(
            html=folder / "report.html", ctrf=folder / "report.ctrf", junit=folder / "report.junit",
            summary=folder / "summary-all.md"))
        times["all"].append(time.perf_counter() - t0)
        times["all_cpu"].append(time.process_time() - c0)
        (folder / "summary-all.md").unlink()
    for kind in ("html", "ctrf", "junit"):  # the files of the last round, for the checks below
        assert (folder / f"report.{kind}").is_file()

    def median(key: str) -> float:
        return statistics.median(times[key])

    print(f"synthetic verdict: {args.tests} tests, {args.failures} failures, "
          f"results file {results_path_for(verdict_path).stat().st_size / 1e6:.1f} MB")
    print(f"generation, median of {args.repeat}:")
    for key in ("load", "html", "ctrf", "junit", "summary"):
        extra = " (reading both files; part of each report below)" if key == "load" else ""
        print(f"  {key:<8} {median(key) * 1000:8.0f} ms{extra}")
    print(f"  all four in one call (verdict + results read once): {median('all') * 1000:.0f} ms"
          f" wall, {median('all_cpu') * 1000:.0f} ms CPU  [budget 1000 ms]")
    print(f"  machine load average while measuring: {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    html = folder / "report.html"
    summary_bytes = (folder / "summary-0.md").stat().st_size
    print(f"HTML: {html.stat().st_size / 1e6:.2f} MB  [budget 2 MB]")
    print(f"step summary: {summary_bytes / 1024:.1f} KiB  [budget 64 KiB]")
    print(f"CTRF: {(folder / 'report.ctrf').stat().st_size / 1e6:.1f} MB, "
          f"JUnit: {(folder / 'report.junit').stat().st_size / 1e6:.1f} MB")

    import jsonschema

    schema = json.loads((ROOT / "pytest_pyramid/verdict/ctrf.schema.json").read_text())
    ctrf = json.loads((folder / "report.ctrf").read_text())
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    ctrf_errors = sum(1 for _ in validator.iter_errors(ctrf))
    print(f"CTRF schema errors: {ctrf_errors}; tests {ctrf['results']['summary']['tests']} "
          f"(verdict: {sum(t['collected'] for t in verdict['tiers'].values())})")
    try:
        import xmlschema
    except ImportError:
        print("JUnit XSD: xmlschema not installed, not validated")
    else:
        xsd = xmlschema.XMLSchema(str(ROOT / "pytest_pyramid/verdict/junit-10.xsd"))
        print(f"JUnit XSD errors: {sum(1 for _ in xsd.iter_errors(str(folder / 'report.junit')))}")

    browser = open_in_chromium(html, folder / "home")
    print(f"Chromium: first contentful paint {browser['fcp']:.0f} ms, load event "
          f"{browser['load']:.0f} ms (goto wall {browser['wall_s'] * 1000:.0f} ms)  "
          f"[budget 2000 ms]; console errors {len(browser['errors'])}; "  # type: ignore[arg-type]
          f"pyramid tiers drawn {browser['tiers']}")
    print(f"files in {folder} (screenshot report.png)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
