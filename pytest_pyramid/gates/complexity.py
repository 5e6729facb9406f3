"""Cyclomatic complexity of the measured source (radon), worst function against a maximum.

Gate ``static.complexity``: default level ``warn`` and threshold 10 (the seed strategy's
"complexity: maximum 10, blocker: false, warning: true"). Every function, method and nested
function is measured on its own (radon's ``cc_visit``); class blocks are not, since their
figure is a sum over methods. Offenders are listed worst first in ``details``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_pyramid.gates.specs.complexity import DEFAULT_THRESHOLD, GATE_ID
from pytest_pyramid.gates.static import relpath
from pytest_pyramid.gates.static_run import source_gate
from pytest_pyramid.results import GateResult, Level

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from pytest_pyramid.gates.spec import Context, GateConfig
    from pytest_pyramid.gates.static import StaticInputs
OFFENDERS_LISTED = 50


@dataclass(frozen=True)
class FunctionComplexity:
    file: str
    line: int
    name: str
    complexity: int


def radon_version() -> str:
    from importlib.metadata import version

    return version("radon")


def measure(files: Sequence[Path], rootdir: Path) -> tuple[list[FunctionComplexity], list[str]]:
    """Complexity of every function in ``files``; and the files radon could not parse."""
    from radon.complexity import cc_visit

    measured: list[FunctionComplexity] = []
    unparsable: list[str] = []
    for path in files:
        rel = relpath(path, rootdir)
        try:
            blocks = cc_visit(path.read_text("utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
            unparsable.append(f"{rel}: {type(exc).__name__}: {exc}")
            continue
        for block in blocks:
            # Methods appear both inside their class block and on their own: take functions only.
            if hasattr(block, "methods"):
                continue
            _collect(block, rel, measured)
    return measured, unparsable


def _collect(block: Any, rel: str, out: list[FunctionComplexity]) -> None:
    out.append(
        FunctionComplexity(
            file=rel,
            line=int(block.lineno),
            name=str(block.fullname),
            complexity=int(block.complexity),
        )
    )
    for closure in getattr(block, "closures", ()) or ():
        _collect(closure, rel, out)


def complexity_gate(
    measured: Sequence[FunctionComplexity],
    unparsable: Sequence[str],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    level: Level = "warn",
    files: int = 0,
) -> GateResult:
    if not measured:
        why = "no functions to measure"
        if unparsable:
            why = f"radon could not parse any of the {len(unparsable)} file(s)"
        return GateResult(
            id=GATE_ID, level=level, status="not_evaluated", actual=None, threshold=threshold,
            message=why, details={"unparsable": list(unparsable)} if unparsable else {},
        )
    ordered = sorted(measured, key=lambda f: (-f.complexity, f.file, f.line))
    worst = ordered[0]
    offenders = [f for f in ordered if f.complexity > threshold]
    if offenders:
        named = ", ".join(f"{f.name} ({f.file}:{f.line}) = {f.complexity}" for f in offenders[:3])
        more = f" and {len(offenders) - 3} more" if len(offenders) > 3 else ""
        message = (
            f"{len(offenders)} function(s) above cyclomatic complexity {threshold}: {named}{more}"
        )
    else:
        message = (
            f"worst of {len(measured)} functions: {worst.name} ({worst.file}:{worst.line}) = "
            f"{worst.complexity}, within {threshold}"
        )
    details: dict[str, object] = {
        "functions": len(measured),
        "files": files,
        "offenders": [
            {"file": f.file, "line": f.line, "name": f.name, "complexity": f.complexity}
            for f in offenders[:OFFENDERS_LISTED]
        ],
    }
    if len(offenders) > OFFENDERS_LISTED:
        details["offenders_not_listed"] = len(offenders) - OFFENDERS_LISTED
    if unparsable:
        details["unparsable"] = list(unparsable)
        message += f"; {len(unparsable)} file(s) could not be parsed"
    return GateResult(
        id=GATE_ID,
        level=level,
        status="fail" if offenders else "pass",
        actual=worst.complexity,
        threshold=threshold,
        message=message,
        details=details,
    )


def run(files: Sequence[Path], rootdir: Path, *, threshold: int, level: Level) -> GateResult:
    measured, unparsable = measure(files, rootdir)
    return complexity_gate(measured, unparsable, threshold=threshold, level=level, files=len(files))


# -- the gate as the engine runs it (its spec: gates/specs/complexity.py) --------------------------


def evaluate(config: GateConfig, ctx: Context) -> list[GateResult]:
    def compute(inputs: StaticInputs) -> tuple[GateResult, None]:
        result = run(inputs.files, ctx.setup.rootdir,
                                threshold=config.opt("threshold"), level=config.level)
        return result, None

    results, _ = source_gate(ctx, GATE_ID, config, config.opt("threshold"),
                                    tool_version=radon_version, compute=compute)
    return results
