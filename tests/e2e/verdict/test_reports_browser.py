"""Acceptance in a real headless Chromium (``/usr/bin/chromium``): the HTML reports of the
demo suite's ``ready`` run and of its ``DEMO_FAULT=bug`` run, and a report whose test ids
and messages carry markup. Screenshots are kept as test artifacts in
``.pyramid/artifacts/reports/`` (``$PYRAMID_TEST_ARTIFACTS`` overrides)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.toolkits.browser import CHROMIUM_ARGS, browser_environment
from pytest_pyramid.verdict.report_html import render_html
from tests.support.reports.report_helpers import record
from tests.support.shared import demo_bug_run, demo_ready_run
from tests.verdict_factory import make_verdict, tier
from tools import readme_samples

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Dialog

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK), reason="no Chromium here (apt install chromium)"
)


def artifacts_dir() -> Path:
    folder = Path(os.environ.get("PYRAMID_TEST_ARTIFACTS", ROOT / ".pyramid/artifacts/reports"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Browser:
    """One Chromium for the module; each page is opened fresh, its console errors kept."""

    def __init__(self, profile: Path) -> None:
        from playwright.sync_api import sync_playwright

        self._manager = sync_playwright()
        playwright = self._manager.__enter__()
        env: dict[str, str | float | bool] = {**browser_environment(profile)}
        self.browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS), env=env,
        )

    def open(self, html: Path, screenshot: Path, width: int = 1280) -> dict[str, Any]:
        page = self.browser.new_page(viewport={"width": width, "height": 900})
        errors: list[str] = []
        dialogs: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def on_dialog(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.goto(html.as_uri(), wait_until="load")
        found = {
            "errors": errors,
            "dialogs": dialogs,
            "title": page.title(),
            "decision": page.get_attribute("#decision", "data-decision"),
            "tiers": page.eval_on_selector_all(
                "svg.pyramid g.tier", "gs => gs.map(g => g.dataset.tier)"),
            "failed_gates": page.eval_on_selector_all(
                "tr.gate-fail", "rows => rows.map(r => r.dataset.gate)"),
            "scripts": page.locator("script").count(),
            "images": page.locator("img").count(),
            "text": page.inner_text("body"),
            # the page's width against the window's: more is a horizontal scrollbar
            "scroll_width": page.evaluate("document.documentElement.scrollWidth"),
            "client_width": page.evaluate("document.documentElement.clientWidth"),
            "overflowing": page.evaluate(
                "() => [...document.querySelectorAll('body *')].filter(e => "
                "e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)"
                ".map(e => e.tagName + '.' + e.getAttribute('class'))"),
            "markers": page.eval_on_selector_all(
                "svg.pyramid g.marker", "gs => gs.map(g => g.dataset.status)"),
        }
        page.screenshot(path=str(screenshot), full_page=True)
        page.close()
        return found

    def close(self) -> None:
        self.browser.close()
        self._manager.__exit__(None, None, None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # a short profile path: Chromium's sockets live below it (107-byte limit)
    profile = Path(tempfile.mkdtemp(prefix="pyr-chr-"))
    opened = Browser(profile)
    try:
        yield opened
    finally:
        opened.close()
        shutil.rmtree(profile, ignore_errors=True)


DemoRun = Callable[[str], Path]


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The demo suite (suites/) run as ``./dev demo`` runs it, by name: ``ready`` is the
    session's one ready run (tests/support/shared.py: by the release's wheel, read by the
    release's and the shards' tests too), ``bug``
    the session's run with ``DEMO_FAULT=bug``, of the same tree committed the same way. Each
    made when a test first asks for it: two workers make the two at once, neither waits for
    both."""
    makers = {"ready": demo_ready_run, "bug": demo_bug_run}
    return lambda run: makers[run](tmp_path_factory)


# slow: the bug row makes the session's DEMO_FAULT=bug run (a minute), so the suite's
# conftest.py runs it first in the e2e tier, not last, where one worker would idle behind it;
# it needs no other shared thing. The ready row is not slow: in the whole suite the shards'
# test (slow, first) makes the ready run, after the release's wheel is built and installed
# (tests/support/shared.py), and this row, run early on the other worker, only waited for it
# there (up to 80 s of a CI worker behind the bug row); in its collected place it reads it
@pytest.mark.parametrize(
    ("run", "decision", "failing_gates"),
    [
        pytest.param("bug", "blocked", {"tests.pass_rate"}, marks=pytest.mark.slow, id="bug"),
        pytest.param("ready", "ready", set(), id="ready"),
    ],
)
def test_the_demo_reports_open_in_chromium(
    browser: Browser,
    demo_runs: DemoRun,
    run: str,
    decision: str,
    failing_gates: set[str],
) -> None:
    folder = demo_runs(run)
    verdict = json.loads((folder / "pyramid-verdict.json").read_text())
    assert verdict["decision"] == decision, verdict["reasons"]
    screenshot = artifacts_dir() / f"demo-{run}.png"
    page = browser.open(folder / "pyramid-report.html", screenshot)
    assert page["errors"] == []
    assert page["decision"] == decision
    assert page["tiers"] == list(reversed(list(verdict["tiers"])))  # unit at the bottom
    assert len(page["tiers"]) == 6
    expected = {g["id"] for g in verdict["gates"] if g["status"] == "fail"}
    assert failing_gates <= expected
    assert set(page["failed_gates"]) == expected  # every failing gate, listed
    if run == "bug":
        failed = [n for n, t in verdict["tiers"].items() if t["failed"] + t["errors"]]
        assert failed
        assert all(f"{n}\n" in page["text"] or n in page["text"] for n in failed)
        assert "Failures (" in page["text"]
    assert screenshot.stat().st_size > 20_000  # a page was drawn, not a blank


@pytest.mark.parametrize(("run", "sample"), [("ready", "demo-ready"), ("bug", "demo-bug")])
def test_the_readme_samples_say_what_a_fresh_demo_run_says(
    demo_runs: DemoRun, run: str, sample: str
) -> None:
    """The README's samples (recorded by tools/readme_samples.py) against this run: the
    same tiers, counts and statuses, the same gates and statuses, the same decision and
    reasons; only timings, coverage decimals and measured values may differ."""
    output = (demo_runs(run).parent / "terminal.txt").read_text()
    recorded = readme_samples.recorded()[sample]
    # the gates a tool's presence or the machine's speed decides are left out (portable)
    assert readme_samples.facts(output, portable=True) == \
        readme_samples.facts(recorded, portable=True)
    if run == "bug":  # the failing demo: short, each failure once, the decision once
        lines = output.splitlines()
        assert len(lines) < 150, output
        assert "Captured log" not in output
        assert sum(1 for line in lines if line.startswith("decision: ")) == 1


def stress_report(tmp_path: Path) -> Path:
    """A report made to be wide: eight tiers (long custom names), long node ids and gate
    ids, long messages, 30 runs of history with metrics."""
    from pytest_pyramid.verdict.history import append, recent

    names = ["unit", "integration", "contract", "e2e", "performance", "security",
             "smoke_tests_against_the_staging_cluster", "nightly"]
    tiers = {name: tier(passed=40 - 4 * i, collected=40 - 4 * i + 1, failed=1,
                        status="failed", coverage={"percent": 80.5, "fail_under": 90.0})
             for i, name in enumerate(names)}
    long_id = ("tests/" + "deeply/nested/" * 6 + "test_module.py::TestClass::test_x["
               + "param-" * 30 + "]")
    entries = [record(f"{long_id}{i}", tier=name, outcome="failed", message="E   " + "x" * 400)
               for i, name in enumerate(names)]
    gates: list[dict[str, Any]] = [
             {"id": f"metric.{'very_long_metric_name_' * 3}{i}_ms{{page:home}}", "level": "block",
              "status": "fail", "actual": 1234.5, "threshold": "p95 < 1000",
              "message": "worst " + "word " * 60} for i in range(3)]
    history = tmp_path / "history.sqlite"
    for number in range(1, 31):
        verdict = make_verdict(
            "ready" if number % 3 else "blocked", tiers=tiers, gates=gates,
            metrics={g["id"][len("metric."):]: {"aggregate": "worst", "value": 900.0 + number,
                                                 "samples": []} for g in gates},
            run_id=f"ci:{number}", run_number=number,
            created_at=f"2026-11-{number:02d}T10:00:00Z",
            reasons=["gate " + g["id"] + ": " + g["message"] for g in gates],
        )
        append(history, verdict)
    html = tmp_path / "wide.html"
    html.write_text(render_html(verdict, entries, history=recent(history)))
    return html


@pytest.mark.parametrize("run", ["ready", "bug", "stress"])
def test_the_report_fits_an_800_px_window(
    browser: Browser, request: pytest.FixtureRequest, tmp_path: Path, run: str
) -> None:
    """No horizontal scrolling at 800 px (the issue's width), and every tier's status drawn
    as a shape beside its colour; screenshots in the artifacts folder."""
    if run == "stress":
        html = stress_report(tmp_path)
    else:  # the demo's runs only when asked for: the stress page alone needs no demo
        html = request.getfixturevalue("demo_runs")(run) / "pyramid-report.html"
    page = browser.open(html, artifacts_dir() / f"{run}-800px.png", width=800)
    assert page["errors"] == []
    assert page["scroll_width"] <= page["client_width"] == 800, page["overflowing"]
    assert page["overflowing"] == []
    assert len(page["markers"]) == len(page["tiers"]) > 0
    if run == "bug":
        assert "failed" in page["markers"]


def test_markup_in_test_ids_and_messages_stays_text(browser: Browser, tmp_path: Path) -> None:
    hostile = ('<script>alert("id")</script><img src=x onerror="alert(1)">'
               "<svg onload=alert(2)>")
    entries = [
        record(f"tests/unit/test_x.py::test_a[{hostile}]", outcome="failed",
               message=f"E   {hostile}\n</pre><script>alert(3)</script>"),
        record(f"tests/unit/{hostile}.py::test_b"),
    ]
    verdict = make_verdict(
        "ready",
        tiers={"unit": tier(passed=1, collected=2, failed=1, status="failed")},
        reasons=[hostile],
        consistent=False,
    )
    html = tmp_path / "report.html"
    html.write_text(render_html(verdict, entries))
    page = browser.open(html, artifacts_dir() / "markup.png")
    assert page["dialogs"] == []
    assert page["errors"] == []
    assert page["scripts"] == 0
    assert page["images"] == 0
    assert '<script>alert("id")</script>' in page["text"]  # shown as the text it is
    assert page["title"].startswith("pytest-pyramid")
