"""The README's demo samples, from real runs of the demo suite.

    python tools/readme_samples.py record   # run the demo (ready, then DEMO_FAULT=bug) in a
                                            # copy of suites/, keep each output in docs/samples/
    python tools/readme_samples.py write    # fill the README's sample blocks from docs/samples/
    python tools/readme_samples.py check    # exit 1 when the README differs from docs/samples/

A sample block in README.md sits between ``<!-- sample: NAME -->`` and ``<!-- /sample -->``;
its text is derived from the recorded output ``docs/samples/NAME.txt`` by ``block()`` alone,
so `tests/unit/test_readme_samples.py` can hold the README to the recording, and the e2e test
`tests/e2e/verdict/test_reports_browser.py` holds the recording to a fresh demo run: the same
tiers with the same counts and statuses, the same gates with the same statuses, the same
decision and reasons (timings, coverage decimals and measured values may differ).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RECORDED = ROOT / "docs" / "samples"


@dataclass(frozen=True)
class Sample:
    name: str
    fault: str | None  # DEMO_FAULT for the run
    prompt: str  # the command line the README shows


SAMPLES = (
    Sample("demo-ready", None,
           "$ ./dev demo        # cd suites && pytest -n 2: the demo shop's six tiers"),
    Sample("demo-bug", "bug",
           "$ DEMO_FAULT=bug ./dev demo       # or DEMO_FAULT=slow: every response waits 0.6 s"),
)
#: where the README's excerpt of a run starts: pytest-pyramid's own section
_SECTION = re.compile(r"^=+ pyramid =+$")
_BLOCK = re.compile(
    r"(<!-- sample: (?P<name>[\w-]+) -->\n```\n)(?P<body>.*?)(```\n<!-- /sample -->)", re.S
)


def run_demo(fault: str | None) -> str:
    """The demo suite run as ``./dev demo`` runs it (``pytest -n 2`` in suites/), in a copy
    outside any repository; its terminal output with the copy's path put back to suites/."""
    base = Path(tempfile.mkdtemp(prefix="pyr-sample-"))
    copy = base / "suites"
    try:
        shutil.copytree(
            ROOT / "suites", copy,
            ignore=shutil.ignore_patterns(".pyramid", "__pycache__", "pyramid-verdict*",
                                          "pyramid-report*", ".coverage*", "test-results"),
        )
        env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(base), "COLUMNS": "100"}
        for name in ("DEMO_FAULT", "PYTEST_XDIST_WORKER", "PYTEST_ADDOPTS"):
            env.pop(name, None)
        if fault:
            env["DEMO_FAULT"] = fault
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-n", "2", "-p", "no:randomly"],
            cwd=copy, env=env, capture_output=True, text=True, timeout=900, check=False,
        )
        return normalise(done.stdout + done.stderr, copy)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def normalise(output: str, folder: Path) -> str:
    """Paths of the temporary copy read as the repository's ``suites/``, the checkout's as
    ``.``; no trailing blanks."""
    text = output.replace(str(folder), "suites").replace(str(ROOT), ".")
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def excerpt(output: str) -> list[str]:
    """pytest-pyramid's section of a run's output, to the end (the README's sample)."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if _SECTION.match(line)), None)
    if start is None:
        raise ValueError("the output has no '= pyramid =' section: not a pytest-pyramid run")
    return lines[start:]


def block(sample: Sample, output: str) -> str:
    """The README block's text for one recorded output."""
    return "\n".join([sample.prompt, "...", *excerpt(output)]) + "\n"


def fill(readme: str, outputs: dict[str, str]) -> str:
    """``readme`` with every sample block replaced by its recorded output's ``block``."""
    by_name = {s.name: s for s in SAMPLES}

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in by_name or name not in outputs:
            raise ValueError(f"README sample {name!r} has no recording in {RECORDED}")
        return match[1] + block(by_name[name], outputs[name]) + match[4]

    return _BLOCK.sub(replace, readme)


def blocks_in(readme: str) -> dict[str, str]:
    """The README's sample blocks as they stand: name -> text."""
    return {m["name"]: m["body"] for m in _BLOCK.finditer(readme)}


def recorded() -> dict[str, str]:
    return {s.name: (RECORDED / f"{s.name}.txt").read_text(encoding="utf-8") for s in SAMPLES}


# -- what a fresh run must share with the recording -------------------------------------------

_TIER_ROW = re.compile(
    r"^(?P<tier>[\w.-]+)\s+(?P<counts>(?:\d+\s+){6})\S.*?\s(?P<status>passed|failed|empty|"
    r"not selected|not_run|skipped)$"
)
_GATE = re.compile(r"^(?P<status>PASS|FAIL|NOT EVALUATED)\s+(?P<level>block|approve|warn|off)"
                   r"\s+(?P<id>\S+)")
_REASON_GATE = re.compile(r"^  - gate (\S+):")


#: Gates this machine decides rather than the demo's code: a tool being installed (pip-audit,
#: which also needs the network) or the machine's speed (budgets, latencies, throughput, page
#: loads). A fresh run on another machine, or under load, may list them differently.
MACHINE_DEPENDENT = ("budget.", "static.audit", "metric.load.p95_ms", "metric.load.avg_ms",
                     "metric.load.rps", "metric.e2e.page_load_ms")
_ANY_REASON_GATE = re.compile(r"^  - (?:warning: )?gate (\S+):")


def _machine_decides(gate: str) -> bool:
    return gate.startswith(MACHINE_DEPENDENT)


def facts(output: str, *, portable: bool = False) -> dict[str, object]:
    """What a demo run's section says that does not depend on the machine's speed: per tier
    its six counts and status, each gate listed with its status and level, the decision, the
    gates its reasons name, and how many reasons there are. ``portable`` leaves out the gates
    in :data:`MACHINE_DEPENDENT` and the reasons naming them, for comparing runs made on
    different machines."""
    lines = excerpt(output)
    tiers = {}
    for line in lines:
        row = _TIER_ROW.match(line)
        if row:
            tiers[row["tier"]] = (tuple(int(n) for n in row["counts"].split()), row["status"])
    gates = {g["id"]: (g["status"], g["level"]) for g in map(_GATE.match, lines) if g}
    decision = next((line for line in lines if line.startswith("decision: ")), None)
    reasons = [line for line in lines if line.startswith("  - ")]
    if portable:
        gates = {gate: found for gate, found in gates.items() if not _machine_decides(gate)}
        reasons = [line for line in reasons
                   if not ((m := _ANY_REASON_GATE.match(line)) and _machine_decides(m[1]))]
    return {
        "tiers": tiers,
        "gates": gates,
        "decision": decision,
        "reason_gates": [m[1] for m in map(_REASON_GATE.match, reasons) if m],
        "reasons": len(reasons),
        "decisions_said": sum(1 for line in lines if line.startswith("decision: ")),
    }


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "record":
        RECORDED.mkdir(parents=True, exist_ok=True)
        for sample in SAMPLES:
            print(f"readme_samples: running the demo for {sample.name} (about a minute)",
                  file=sys.stderr)
            (RECORDED / f"{sample.name}.txt").write_text(run_demo(sample.fault), encoding="utf-8")
        command = "write"
    text = README.read_text(encoding="utf-8")
    wanted = fill(text, recorded())
    if command == "write":
        README.write_text(wanted, encoding="utf-8")
        return 0
    if command == "check":
        if wanted != text:
            print("README.md's samples differ from docs/samples/: "
                  "python tools/readme_samples.py write", file=sys.stderr)
            return 1
        return 0
    print(f"readme_samples: unknown command {command!r} (record, write, check)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
