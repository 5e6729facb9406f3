"""Duplicated-lines percentage of the measured source: a small token-window clone detector.

Gate ``static.duplication``: threshold 3 % and level ``block``, as in the seed strategy
("code_duplication: maximum 3, blocker: true", also SonarQube's "Sonar way").

Why our own detector: the maintained copy/paste detectors are jscpd (a Node tool: a second
runtime for a Python plugin) and pylint's ``symilar`` (pulls all of pylint in, reports duplicate
blocks but no percentage, and its API is internal); clonedigger has been dead since 2010. What the
gate needs, exact clones over a token window (what jscpd's default "mild" mode finds), is ~100
lines on top of the standard library's ``tokenize`` and is tested here on real source trees.

Method: each file is tokenized with comments, blank lines and indentation dropped (so formatting
and comments do not hide a clone). Every run of ``min_tokens`` consecutive tokens (default 50, as
jscpd) is hashed with a rolling hash; runs found at two or more non-overlapping places are clones
(the hash buckets are confirmed token by token). Covered tokens merge into blocks; blocks spanning
fewer than ``min_lines`` lines (default 5, as jscpd) are ignored. The percentage is duplicated
lines over code lines (lines with at least one token), counting every copy, not only the second.
"""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pytest_pyramid.gates.specs.duplication import (
    DEFAULT_MIN_LINES,
    DEFAULT_MIN_TOKENS,
    DEFAULT_THRESHOLD,
    GATE_ID,
)
from pytest_pyramid.gates.static import relpath
from pytest_pyramid.gates.static_run import source_gate
from pytest_pyramid.results import GateResult, Level

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from pytest_pyramid.gates.spec import Context, GateConfig
    from pytest_pyramid.gates.static import StaticInputs

BLOCKS_LISTED = 50
DETECTOR_VERSION = "1"

_DROPPED = frozenset({
    tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
    tokenize.ENCODING, tokenize.ENDMARKER,
})
_MOD = (1 << 61) - 1
_BASE = 1_000_003


@dataclass
class _File:
    name: str
    ids: list[int] = field(default_factory=list)
    first_lines: list[int] = field(default_factory=list)
    last_lines: list[int] = field(default_factory=list)
    marked: list[bool] = field(default_factory=list)
    partner: dict[int, tuple[str, int]] = field(default_factory=dict)
    code_lines: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class CloneBlock:
    file: str
    start_line: int
    end_line: int
    also_in: str
    also_line: int

    @property
    def lines(self) -> int:
        return self.end_line - self.start_line + 1


@dataclass(frozen=True)
class DuplicationReport:
    code_lines: int
    duplicated_lines: int
    blocks: tuple[CloneBlock, ...]
    unparsable: tuple[str, ...] = ()
    files: int = 0

    @property
    def percent(self) -> float:
        return 100.0 * self.duplicated_lines / self.code_lines if self.code_lines else 0.0


def tokenize_source(text: str) -> list[tuple[str, int, int]]:
    """(token text, first line, last line) of every significant token."""
    out: list[tuple[str, int, int]] = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in _DROPPED:
            continue
        out.append((tok.string, tok.start[0], tok.end[0]))
    return out


def detect(
    sources: Sequence[tuple[str, str]],
    *,
    min_tokens: int = DEFAULT_MIN_TOKENS,
    min_lines: int = DEFAULT_MIN_LINES,
) -> DuplicationReport:
    """Find clones among ``(name, text)`` sources."""
    if min_tokens < 2:
        raise ValueError("min_tokens must be at least 2")
    vocabulary: dict[str, int] = {}
    files: list[_File] = []
    unparsable: list[str] = []
    code_lines = 0
    for name, text in sources:
        try:
            tokens = tokenize_source(text)
        except (tokenize.TokenError, SyntaxError) as exc:
            unparsable.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        entry = _File(name=name)
        lines: set[int] = set()
        for string, first, last in tokens:
            entry.ids.append(vocabulary.setdefault(string, len(vocabulary) + 1))
            entry.first_lines.append(first)
            entry.last_lines.append(last)
            lines.update(range(first, last + 1))
        entry.marked = [False] * len(entry.ids)
        entry.code_lines = lines
        code_lines += len(lines)
        files.append(entry)

    buckets: dict[int, list[tuple[int, int]]] = {}
    top = pow(_BASE, min_tokens - 1, _MOD)
    for file_index, entry in enumerate(files):
        ids = entry.ids
        if len(ids) < min_tokens:
            continue
        h = 0
        for i in range(min_tokens):
            h = (h * _BASE + ids[i]) % _MOD
        buckets.setdefault(h, []).append((file_index, 0))
        for start in range(1, len(ids) - min_tokens + 1):
            h = ((h - ids[start - 1] * top) * _BASE + ids[start + min_tokens - 1]) % _MOD
            buckets.setdefault(h, []).append((file_index, start))

    for places in buckets.values():
        if len(places) < 2:
            continue
        # Confirm by content: a hash bucket may (very rarely) mix different windows.
        groups: dict[tuple[int, ...], list[tuple[int, int]]] = {}
        for file_index, start in places:
            window = tuple(files[file_index].ids[start : start + min_tokens])
            groups.setdefault(window, []).append((file_index, start))
        for group in groups.values():
            _mark_group(files, group, min_tokens)

    blocks: list[CloneBlock] = []
    duplicated = 0
    for entry in files:
        own = _blocks(entry, min_lines)
        blocks.extend(own)
        dup_lines: set[int] = set()
        for block in own:
            dup_lines.update(range(block.start_line, block.end_line + 1))
        # Blank and comment lines inside a clone are not code lines: count code lines only.
        duplicated += len(dup_lines & entry.code_lines)
    return DuplicationReport(
        code_lines=code_lines,
        duplicated_lines=duplicated,
        blocks=tuple(blocks),
        unparsable=tuple(unparsable),
        files=len(files),
    )


def _mark_group(files: list[_File], group: list[tuple[int, int]], width: int) -> None:
    # Keep only occurrences that do not overlap an earlier kept one in the same file: a run
    # of repeated statements is not a clone of itself shifted by one token.
    kept: list[tuple[int, int]] = []
    for file_index, start in sorted(group):
        if kept and kept[-1][0] == file_index and start < kept[-1][1] + width:
            continue
        kept.append((file_index, start))
    if len(kept) < 2:
        return
    for n, (file_index, start) in enumerate(kept):
        other_file, other_start = kept[(n + 1) % len(kept)]
        entry = files[file_index]
        for i in range(start, start + width):
            entry.marked[i] = True
        entry.partner.setdefault(
            start, (files[other_file].name, files[other_file].first_lines[other_start])
        )


def _blocks(entry: _File, min_lines: int) -> list[CloneBlock]:
    blocks: list[CloneBlock] = []
    i = 0
    n = len(entry.marked)
    while i < n:
        if not entry.marked[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and entry.marked[j + 1]:
            j += 1
        start_line, end_line = entry.first_lines[i], entry.last_lines[j]
        if end_line - start_line + 1 >= min_lines:
            partner = next(
                (entry.partner[k] for k in range(i, j + 1) if k in entry.partner), ("?", 0)
            )
            blocks.append(CloneBlock(entry.name, start_line, end_line, partner[0], partner[1]))
        i = j + 1
    return blocks


def duplication_gate(
    report: DuplicationReport, *, threshold: float = DEFAULT_THRESHOLD, level: Level = "block"
) -> GateResult:
    if report.code_lines == 0:
        why = "no code lines to measure"
        if report.unparsable:
            why = f"none of the {len(report.unparsable)} file(s) could be tokenized"
        return GateResult(
            id=GATE_ID, level=level, status="not_evaluated", actual=None, threshold=threshold,
            message=why, details={"unparsable": list(report.unparsable)},
        )
    percent = round(report.percent, 2)
    ok = report.percent <= threshold
    ordered = sorted(report.blocks, key=lambda b: (-b.lines, b.file, b.start_line))
    summary = (
        f"{percent}% duplicated ({report.duplicated_lines} of {report.code_lines} code lines, "
        f"{len(report.blocks)} block(s))"
    )
    if ok:
        message = f"{summary}, within {threshold}%"
    else:
        worst = ", ".join(
            f"{b.file}:{b.start_line}-{b.end_line} = {b.also_in}:{b.also_line}" for b in ordered[:3]
        )
        message = f"{summary}, over {threshold}%: {worst}"
    details: dict[str, object] = {
        "files": report.files,
        "code_lines": report.code_lines,
        "duplicated_lines": report.duplicated_lines,
        "blocks": [
            {"file": b.file, "start_line": b.start_line, "end_line": b.end_line,
             "also_in": b.also_in, "also_line": b.also_line}
            for b in ordered[:BLOCKS_LISTED]
        ],
    }
    if report.unparsable:
        details["unparsable"] = list(report.unparsable)
        message += f"; {len(report.unparsable)} file(s) could not be tokenized"
    return GateResult(
        id=GATE_ID,
        level=level,
        status="pass" if ok else "fail",
        actual=percent,
        threshold=threshold,
        message=message,
        details=details,
    )


def run(
    files: Sequence[Path],
    rootdir: Path,
    *,
    threshold: float,
    level: Level,
    min_tokens: int = DEFAULT_MIN_TOKENS,
    min_lines: int = DEFAULT_MIN_LINES,
) -> GateResult:
    sources: list[tuple[str, str]] = []
    unreadable: list[str] = []
    for path in files:
        try:
            sources.append((relpath(path, rootdir), path.read_text("utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            unreadable.append(f"{relpath(path, rootdir)}: {exc}")
    report = detect(sources, min_tokens=min_tokens, min_lines=min_lines)
    if unreadable:
        report = DuplicationReport(
            code_lines=report.code_lines,
            duplicated_lines=report.duplicated_lines,
            blocks=report.blocks,
            unparsable=report.unparsable + tuple(unreadable),
            files=report.files,
        )
    return duplication_gate(report, threshold=threshold, level=level)


# -- the gate as the engine runs it (its spec: gates/specs/duplication.py) -------------------------


def evaluate(config: GateConfig, ctx: Context) -> list[GateResult]:
    def compute(inputs: StaticInputs) -> tuple[GateResult, None]:
        result = run(
            inputs.files, ctx.setup.rootdir, threshold=config.opt("threshold"),
            level=config.level, min_tokens=config.opt("min_tokens"),
            min_lines=config.opt("min_lines"),
        )
        return result, None

    results, _ = source_gate(
        ctx, GATE_ID, config, config.opt("threshold"),
        tool_version=lambda: DETECTOR_VERSION, compute=compute,
    )
    return results
