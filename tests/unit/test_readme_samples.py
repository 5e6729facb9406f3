"""The README's demo samples are the recorded real runs (tools/readme_samples.py), so they
cannot go stale by hand; the recordings are held to a fresh demo run in
tests/e2e/verdict/test_reports_browser.py (e2e)."""

from __future__ import annotations

import pytest

from tools import readme_samples as samples

SECTION = "=" * 10 + " pyramid " + "=" * 10


def test_the_readme_samples_are_the_recorded_runs() -> None:
    readme = samples.README.read_text(encoding="utf-8")
    assert set(samples.blocks_in(readme)) == {s.name for s in samples.SAMPLES}
    # what `python tools/readme_samples.py write` would make of the README changes nothing
    assert samples.fill(readme, samples.recorded()) == readme
    assert samples.main(["check"]) == 0


def test_the_recordings_are_the_demo_s_ready_and_blocked_runs() -> None:
    outputs = samples.recorded()
    ready, bug = samples.facts(outputs["demo-ready"]), samples.facts(outputs["demo-bug"])
    assert ready["decision"] == "decision: READY"
    assert bug["decision"] == "decision: BLOCKED"
    for found in (ready, bug):
        assert list(found["tiers"]) == [  # type: ignore[call-overload]
            "unit", "integration", "contract", "e2e", "performance", "security"]
        assert sum(counts[0] for counts, _ in found["tiers"].values()) == 78  # type: ignore[attr-defined]
        assert found["decisions_said"] == 1
    assert bug["gates"]["tests.pass_rate"] == ("FAIL", "block")  # type: ignore[index]
    assert "tests.pass_rate" in bug["reason_gates"]  # type: ignore[operator]


def test_the_failing_demo_leads_with_its_failures_each_once_and_says_the_decision_once() -> None:
    output = samples.recorded()["demo-bug"]
    lines = output.splitlines()
    assert len(lines) < 150  # 478, then 264: captured framework logs, the decision twice,
    # a pact transcript and forty library frames of one application error
    assert "Captured log" not in output
    assert "short test summary info" not in output  # the names are not listed a second time
    first_failure = lines.index(next(line for line in lines if "FAILURES" in line))
    assert first_failure < lines.index(next(line for line in lines if "= pyramid =" in line))
    assert sum(1 for line in lines if line.startswith("decision: ")) == 1


def test_portable_facts_leave_out_what_the_machine_decides() -> None:
    slow = RUN.replace("tests.pass_rate              97.56 (limit 100)",
                       "tests.pass_rate              97.56 (limit 100)\n"
                       "FAIL          block   budget.e2e                   1m40s (limit 1m30s)")
    slow = slow.replace("  - gate tests.pass_rate: 1 of 41 executed tests failed",
                        "  - gate tests.pass_rate: 1 of 41 executed tests failed\n"
                        "  - gate budget.e2e: 1m40s > 1m30s")
    audited = RUN.replace("NOT EVALUATED warn    static.audit                 - (limit 0)\n", "")
    assert samples.facts(slow) != samples.facts(RUN)  # as said, the budget line is a fact
    assert samples.facts(slow, portable=True) == samples.facts(RUN, portable=True)
    assert samples.facts(audited, portable=True) == samples.facts(RUN, portable=True)
    # what the demo's code decides stays: a different pass-rate gate is still a difference
    other = RUN.replace("FAIL          block   tests.pass_rate",
                        "PASS          block   tests.pass_rate")
    assert samples.facts(other, portable=True) != samples.facts(RUN, portable=True)


RUN = f"""header
{SECTION}
tier         tests  pass  fail  skip xfail xpass  wall / budget          test time    cov  status
unit            41    40     1     0     0     0  1.3s / 30.0s (4%)           1.2s  76.2%  failed
e2e              3     3     0     0     0     0  8.1s / 1m30s (9%)           8.0s  81.0%  passed

gates:
FAIL          block   tests.pass_rate              97.56 (limit 100)
NOT EVALUATED warn    static.audit                 - (limit 0)

decision: BLOCKED
  - gate tests.pass_rate: 1 of 41 executed tests failed
"""


@pytest.mark.parametrize(
    ("output", "key", "expected"),
    [
        (RUN, "tiers", {"unit": ((41, 40, 1, 0, 0, 0), "failed"),
                        "e2e": ((3, 3, 0, 0, 0, 0), "passed")}),
        (RUN, "gates", {"tests.pass_rate": ("FAIL", "block"),
                        "static.audit": ("NOT EVALUATED", "warn")}),
        (RUN, "decision", "decision: BLOCKED"),
        (RUN, "reason_gates", ["tests.pass_rate"]),
        (RUN, "reasons", 1),
        # timings and coverage are not facts: another machine's run has other ones
        (RUN.replace("1.3s / 30.0s (4%)", "9.9s / 30.0s (33%)").replace("76.2%", "70.0%"),
         "tiers", {"unit": ((41, 40, 1, 0, 0, 0), "failed"),
                   "e2e": ((3, 3, 0, 0, 0, 0), "passed")}),
        (RUN + "decision: BLOCKED\n", "decisions_said", 2),
    ],
)
def test_facts_of_a_run(output: str, key: str, expected: object) -> None:
    assert samples.facts(output)[key] == expected


def test_a_block_is_the_prompt_then_the_pyramid_section() -> None:
    sample = samples.SAMPLES[0]
    text = samples.block(sample, RUN)
    assert text.splitlines()[:3] == [sample.prompt, "...", SECTION]
    assert "header" not in text


@pytest.mark.parametrize(
    ("readme", "error"),
    [
        ("<!-- sample: nope -->\n```\nold\n```\n<!-- /sample -->\n", "'nope' has no recording"),
    ],
)
def test_fill_refuses_a_block_without_a_recording(readme: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        samples.fill(readme, {})


def test_an_output_without_the_pyramid_section_is_refused() -> None:
    with pytest.raises(ValueError, match="no '= pyramid =' section"):
        samples.excerpt("== 3 passed in 1s ==\n")


def test_fill_replaces_only_the_block_body() -> None:
    readme = "before\n<!-- sample: demo-ready -->\n```\nstale\n```\n<!-- /sample -->\nafter\n"
    filled = samples.fill(readme, {"demo-ready": RUN})
    assert filled.startswith("before\n<!-- sample: demo-ready -->\n```\n$ ./dev demo")
    assert filled.endswith("```\n<!-- /sample -->\nafter\n")
    assert "stale" not in filled
