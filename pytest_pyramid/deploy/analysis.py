"""Per-upstream figures from access-log lines, and Argo-style judgement of measurements.

The router writes one line per request in ``LOG_FORMAT``. A request nginx retried on another
server lists every attempt (``a, b``); each attempt is charged to the server that made it, so a
canary that refuses connections shows errors even when the retry hid them from the client.
A time-out (``request_timeout`` ran out: nginx logs 504 for that attempt) is an error too,
counted apart so the reason can say so.

A request is a success only when it is *known* to be one (hostile cases 370, 372, 374, 421),
an allow-list: an upstream answer 2xx delivered whole (the body the upstream sent is as long as
its ``Content-Length`` said). Every other answer is an error, except 4xx and 3xx: some are the
clients' own (a missing page a client asks for, a signed-out client sent to the sign-in page,
on every version), so each class is judged by its share against the stable version's
(:func:`class_share_breach`, one rule for both); where no stable share was measured (a first
deployment, the 100% step, the watch) by an absolute rule: a share above
:data:`ABSOLUTE_REJECTED_SHARE` beyond chance fails, and the output says the absolute rule
judged it. No request is left out by its path (hostile case 420: a commit named its order page
a smoke path): on the health path only a success is not counted, the application's report on
itself (a monitor's poll, the router check), not a user served (372); a failure there counts,
whoever sent it. A window without a user request judges nothing.
"""

from __future__ import annotations

import contextlib
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Mapping

# '|' never occurs in these variables, unlike ' ' and ',' which do in $upstream_addr, except in
# the decoded path ($uri: a client's "%7C"), which is therefore the last field.
# $upstream_response_length is the body each attempt received; $upstream_http_content_length
# the length the last attempt's headers promised ("-": none, e.g. chunked).
LOG_FORMAT = ("$msec|$status|$upstream_addr|$upstream_status|$upstream_response_time|"
              "$request_time|$upstream_response_length|$upstream_http_content_length|"
              "$request_method|$uri")
_FIELDS = LOG_FORMAT.count("|") + 1
#: answers that carry no body whatever their Content-Length says (RFC 9110 6.4.1)
_BODILESS_STATUS = frozenset({"204", "304"})

Result = Literal["successful", "failed", "inconclusive"]
AnswerClass = Literal["4xx", "3xx"]
#: the answers neither a known success nor an error: some are the clients' own (a missing page,
#: a login redirect for a signed-out client), so each class is judged by its share, against
#: stable's or the absolute rule, one rule for every class (:func:`class_share_breach`)
SHARE_CLASSES: tuple[AnswerClass, ...] = ("4xx", "3xx")
Action = Literal["measure", "advance", "rollback", "pause"]

#: the most distinct paths a window's per-path table keeps (clients choose paths: a scanner
#: sends thousands); the window's first paths get a row each, every later one is folded into
#: :data:`OTHER_PATHS`, the same fold for every upstream, so stable's and the canary's rows
#: are of the same paths. The fold is judged by the whole-share rule only.
MAX_PATHS = 64
OTHER_PATHS = "(other paths)"


@dataclass
class PathShares:
    """One path's answers judged by their share (:data:`SHARE_CLASSES`) on one upstream."""

    requests: int = 0
    rejected: int = 0
    redirected: int = 0

    def count(self, cls: AnswerClass) -> int:
        return self.rejected if cls == "4xx" else self.redirected

    def as_list(self) -> list[int]:
        return [self.requests, self.rejected, self.redirected]


#: path -> its answers, at most :data:`MAX_PATHS` rows and the fold
PathTable = dict[str, PathShares]


@dataclass
class UpstreamStats:
    requests: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    timeouts: int = 0
    #: answers 4xx: the clients' own or the release's, told apart only against stable's share
    rejected: int = 0
    #: answers 3xx: a redirect is no known success (every user sent to a sign-in page: hostile
    #: case 421), judged like 4xx against stable's share
    redirected: int = 0
    #: answers known cut short from the access log (a body shorter than its Content-Length)
    short: int = 0
    #: the answers per path (:data:`MAX_PATHS`): a class stable does not give on a path it
    #: serves is the release's doing whatever the path's share of the whole (hostile case 464)
    paths: PathTable = field(default_factory=dict)

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None

    @property
    def p95(self) -> float | None:
        return percentile(self.latencies, 95)

    @property
    def rejected_share(self) -> float | None:
        return self.rejected / self.requests if self.requests else None

    def count(self, cls: AnswerClass) -> int:
        """The answers of one class judged by its share (:data:`SHARE_CLASSES`)."""
        return self.rejected if cls == "4xx" else self.redirected

    def share(self, cls: AnswerClass) -> float | None:
        return self.count(cls) / self.requests if self.requests else None


@dataclass(frozen=True)
class LogWindow:
    """What a slice of the access log says, per upstream, plus what clients saw."""

    upstreams: Mapping[str, UpstreamStats]
    client_requests: int
    client_errors: int
    malformed: int


def percentile(values: Iterable[float], pct: float) -> float | None:
    """Nearest-rank percentile (a value that was actually observed), None without data."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _split(field_value: str) -> list[str]:
    # " : " separates attempts across internal redirects, ", " across retries.
    return [part.strip() for part in field_value.replace(" : ", ", ").split(",")]


def probe_paths(health_path: str) -> frozenset[str]:
    """The health path as nginx's ``$uri`` logs it (no query): a *success* there is the
    application's report on itself (the deploy's router check, a monitor's poll), not a user
    served, so it is no evidence (hostile case 372); every other answer there counts. The
    deploy's own smoke and health checks go to a version's own address, never through the
    router, so they are not in the router's log at all; ``smoke_paths`` are user paths like any
    other (hostile case 420: the commit chose them, and users' orders went to one)."""
    return frozenset({health_path.split("?", 1)[0]})


def _short(attempt: int, last: int, lengths: list[str], promised: str, method: str,
           status: str) -> bool:
    """Whether the last attempt's body is known to be shorter than its headers promised (only
    the last attempt's headers are logged; an earlier attempt failed before any answer)."""
    if attempt != last or method == "HEAD" or status in _BODILESS_STATUS:
        return False
    got = lengths[attempt] if attempt < len(lengths) else "-"
    return promised.isdigit() and got.isdigit() and int(got) < int(promised)


def _count(stats: UpstreamStats, status: str, short: bool, up_time: str, path: str) -> None:
    """One attempt: a success only as a 2xx answer delivered whole; 3xx and 4xx apart, also
    per path (``path``: its row in the window's table)."""
    stats.requests += 1
    row = stats.paths.get(path)
    if row is None:
        row = stats.paths[path] = PathShares()
    row.requests += 1
    # A connection error shows as 502/504 or as "-" (no response at all).
    code = int(status) if status.isdigit() else 0
    if 400 <= code < 500:
        stats.rejected += 1
        row.rejected += 1
    elif 300 <= code < 400 and not short:
        stats.redirected += 1
        row.redirected += 1
    elif not 200 <= code < 300 or short:
        stats.errors += 1
        stats.short += short
    if status == "504":
        stats.timeouts += 1
    with contextlib.suppress(ValueError):
        stats.latencies.append(float(up_time))


#: an nginx error-log line for an answer whose body failed after its headers were passed on
#: (the upstream closed early, reset, timed out "while reading upstream"): logged with the
#: upstream's status (200), so the access log cannot tell it when no Content-Length was
#: promised (chunked). The header phase's errors ("... while reading response header from
#: upstream") are logged 502/504 already.
_CUT = re.compile(r'\[error\] \d+#\d+: \*\d+ [^,]* while reading upstream, client: .*?, '
                  r'upstream: "[a-z]+://([^/"]+)')


def cut_short(error_lines: Iterable[str]) -> dict[str, int]:
    """Answers cut short per upstream address, from nginx's error-log lines."""
    counts: dict[str, int] = {}
    for line in error_lines:
        found = _CUT.search(line)
        if found:
            counts[found[1]] = counts.get(found[1], 0) + 1
    return counts


def _charge_cuts(upstreams: Mapping[str, UpstreamStats], cut: Mapping[str, int]) -> None:
    """Errors for the answers the error log saw cut short, beyond those the access log told
    (a Content-Length answer shows in both): never more errors than answers."""
    for addr, count in cut.items():
        stats = upstreams.get(addr)
        if stats is not None:
            extra = max(0, count - stats.short)
            apart = stats.rejected + stats.redirected
            stats.errors = min(stats.requests - apart, stats.errors + extra)


def parse_lines(lines: Iterable[str], probes: Collection[str] = frozenset(),
                cut: Mapping[str, int] | None = None) -> LogWindow:
    """The window's figures per upstream. On a path in ``probes`` (:func:`probe_paths`) only
    a known success is left out, whoever sent it, never a failure, a 3xx or a 4xx (so nothing
    failing is ever hidden, and a poll cannot dilute an error rate); a line not in
    ``LOG_FORMAT`` (an older format too) is malformed, never a success. ``cut``: answers cut
    short per upstream (:func:`cut_short`)."""
    upstreams: dict[str, UpstreamStats] = {}
    client_requests = client_errors = malformed = 0
    rows: set[str] = set()  # the window's paths with a row of their own (MAX_PATHS)
    for line in lines:
        parts = line.rstrip("\n").split("|", _FIELDS - 1)
        if len(parts) != _FIELDS or not parts[1].isdigit():
            malformed += 1 if line.strip() else 0
            continue
        _, status, addrs, statuses, times, _, lengths, promised, method, path = parts
        probe = path in probes
        if not (probe and status.startswith("2")):
            client_requests += 1
        if int(status) >= 500:
            client_errors += 1
        if addrs == "-":
            continue
        attempts = list(zip(_split(addrs), _split(statuses), _split(times), strict=False))
        sizes = _split(lengths)
        if path not in rows and len(rows) < MAX_PATHS:
            rows.add(path)
        row = path if path in rows else OTHER_PATHS
        for n, (addr, up_status, up_time) in enumerate(attempts):
            if addr and addr != "-":
                short = _short(n, len(attempts) - 1, sizes, promised, method, up_status)
                if probe and up_status.startswith("2") and not short:
                    continue  # a health report, not a user served: no evidence either way
                _count(upstreams.setdefault(addr, UpstreamStats()), up_status, short, up_time,
                       row)
    _charge_cuts(upstreams, cut or {})
    return LogWindow(upstreams, client_requests, client_errors, malformed)


@dataclass(frozen=True)
class Limits:
    error_rate: float = 0.005
    p95: float = 0.5
    min_requests: int = 20
    compare_with_stable: bool = False
    max_p95_ratio: float = 1.5
    max_error_rate_delta: float = 0.005
    #: how far the canary's 4xx share may exceed stable's: at least this, and at least
    #: REJECTED_Z standard errors of the difference (two small samples differ by chance)
    max_rejected_delta: float = 0.05


#: standard errors of the difference of two 4xx shares that count as a jump, not chance (a
#: one-sided z of 3: about one look in 700 of two equal versions fails on noise)
REJECTED_Z = 3.0

#: where no stable share was measured (a first deployment, the 100% step, the watch), the
#: absolute rule: the clients' own 4xx (a missing favicon, a scanner's probes) are taken to be
#: at most this share of a version's answers, the default stable share of nothing (0) plus
#: far more than ``max_rejected_delta``'s margin, since no stable version shows this site's
#: normal; a share whose lower bound (Wilson, :data:`REJECTED_Z`) lies above it fails (every
#: request 404 on a first deployment: it was unjudged, hostile follow-up of 370)
ABSOLUTE_REJECTED_SHARE = 0.2


@dataclass(frozen=True)
class Measurement:
    result: Result
    requests: int
    error_rate: float | None
    p95: float | None
    reasons: tuple[str, ...]
    stable_requests: int = 0
    stable_error_rate: float | None = None
    stable_p95: float | None = None
    #: judge = "nonparametric": the look's numbers (nonparametric.Look.as_dict), kept so a
    #: person can see why it decided as it did
    comparison: Mapping[str, object] | None = None
    #: metric sources judged at this look (deploy/rollout_metrics.py): name -> reading
    metrics: Mapping[str, object] | None = None

    def as_dict(self) -> dict[str, object]:
        return ({} if self.comparison is None else {"comparison": dict(self.comparison)}) | (
            {} if self.metrics is None else {"metrics": dict(self.metrics)}) | {
            "result": self.result,
            "requests": self.requests,
            "error_rate": self.error_rate,
            "p95_s": self.p95,
            "reasons": list(self.reasons),
            "stable_requests": self.stable_requests,
            "stable_error_rate": self.stable_error_rate,
            "stable_p95_s": self.stable_p95,
        }


def blind(why: str, seen: Measurement) -> Measurement:
    """A window the analysis cannot trust to hold every request (sight.py): inconclusive
    whatever it showed, never a pass; its figures are kept for the record."""
    return Measurement("inconclusive", seen.requests, seen.error_rate, seen.p95,
                       (f"blind: {why}",), seen.stable_requests, seen.stable_error_rate,
                       seen.stable_p95, seen.comparison, seen.metrics)


def class_jump(cls: AnswerClass, canary: UpstreamStats, stable: UpstreamStats,
               limits: Limits) -> str | None:
    """Why the canary's share of ``cls`` answers is a jump over stable's (None: it is not).
    Some are the clients' own, and those reach stable as often: only a share well above
    stable's is the release's doing (every request 404: hostile case 370; every request
    redirected to the sign-in page: 421)."""
    ours, theirs = canary.share(cls), stable.share(cls)
    if ours is None or theirs is None:
        return None
    pooled = (canary.count(cls) + stable.count(cls)) / (canary.requests + stable.requests)
    noise = REJECTED_Z * math.sqrt(pooled * (1 - pooled) * (1 / canary.requests
                                                             + 1 / stable.requests))
    if ours - theirs <= max(limits.max_rejected_delta, noise):
        return None
    return (f"{cls} share {ours:.2%} exceeds stable {theirs:.2%} by more than "
            f"{max(limits.max_rejected_delta, noise):.2%}")


def wilson_low(hits: int, n: int, z: float) -> float:
    """The lower end of the Wilson score interval of ``hits`` in ``n`` (0 without data):
    unlike the normal one, it stays inside [0, 1] and is honest at a share of 0 or 1."""
    if n <= 0:
        return 0.0
    share = hits / n
    centre = share + z * z / (2 * n)
    spread = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return max(0.0, (centre - spread) / (1 + z * z / n))


def class_absolute(cls: AnswerClass, canary: UpstreamStats) -> str | None:
    """Why the canary's share of ``cls`` answers fails the absolute rule (None: it does not),
    for a window with no stable share to judge it against."""
    share = canary.share(cls)
    if share is None or wilson_low(canary.count(cls), canary.requests,
                                   REJECTED_Z) <= ABSOLUTE_REJECTED_SHARE:
        return None
    return (f"{cls} share {share:.2%} above the absolute {ABSOLUTE_REJECTED_SHARE:.0%} (no "
            "stable share to judge it against: the absolute rule)")


#: the one-sided level of the per-path test, REJECTED_Z's (about one look in 700 of two equal
#: versions fails on noise), shared by every (path, class) pair a window compares (Bonferroni)
PATH_ALPHA = 0.5 * math.erfc(REJECTED_Z / math.sqrt(2))


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_greater(hits: int, n: int, other_hits: int, other_n: int) -> float:
    """One-sided Fisher's exact p-value that ``hits`` of ``n`` is a larger share than
    ``other_hits`` of ``other_n``: the chance of ``hits`` or more among ``n`` when the
    ``hits + other_hits`` fell on either sample alike (exact for the sparse counts of one
    path in one window, where a normal approximation is not: 7 of 7 against 0 of 7)."""
    total, k = n + other_n, hits + other_hits
    base = _log_comb(total, n)
    tail = sum(math.exp(_log_comb(k, x) + _log_comb(total - k, n - x) - base)
               for x in range(hits, min(k, n) + 1))
    return min(1.0, tail)


def compared_paths(ours: Mapping[str, PathShares], theirs: Mapping[str, PathShares]
                   ) -> list[tuple[str, PathShares, PathShares]]:
    """The paths both sides answered (the fold of other paths is no path: the whole-share
    rule judges it), each with the canary's row and stable's."""
    return [(path, row, theirs[path]) for path, row in ours.items()
            if path != OTHER_PATHS and row.requests and path in theirs
            and theirs[path].requests]


def _shown(path: str) -> str:
    """A client-chosen path, bounded and printable, for a reason line."""
    text = path if len(path) <= 80 else path[:77] + "..."
    return text.encode("unicode_escape").decode("ascii")


def path_jump(canary: UpstreamStats, theirs: Mapping[str, PathShares],
              limits: Limits) -> str | None:
    """Why the canary gives a class of answers on a path that stable's share there does not
    explain (None: it does not): more than ``max_rejected_delta`` above stable's share on that
    path, and beyond chance by Fisher's exact test at :data:`PATH_ALPHA` over the pairs
    compared. Whatever the path's share of the whole: a route lost (every request to it 404
    where stable answers 200) is the release's doing at 8% of traffic (hostile case 464)."""
    compared = compared_paths(canary.paths, theirs)
    level = PATH_ALPHA / max(1, len(compared) * len(SHARE_CLASSES))
    for path, ours, stable in compared:
        for cls in SHARE_CLASSES:
            hits, had = ours.count(cls), stable.count(cls)
            if hits / ours.requests - had / stable.requests <= limits.max_rejected_delta:
                continue
            p = fisher_greater(hits, ours.requests, had, stable.requests)
            if p < level:
                return (f"{cls} on {_shown(path)}: {hits} of {ours.requests} "
                        f"({hits / ours.requests:.0%}) where stable gave {had} of "
                        f"{stable.requests} ({had / stable.requests:.0%}) on that path: an "
                        f"answer stable does not give on a path it serves (one-sided Fisher "
                        f"p={p:.2g} < {level:.2g}, {len(compared)} path(s) compared)")
    return None


def path_unknown(canary: UpstreamStats, theirs: Mapping[str, PathShares],
                 limits: Limits) -> int:
    """The canary's 4xx and 3xx on the paths both answered beyond stable's share of each path
    plus ``max_rejected_delta``: not known to be the clients' own (:func:`path_jump` fails
    them once chance cannot explain them)."""
    return sum(
        max(0, ours.count(cls) - math.floor(
            ours.requests * (stable.count(cls) / stable.requests + limits.max_rejected_delta)))
        for _, ours, stable in compared_paths(canary.paths, theirs) for cls in SHARE_CLASSES)


def class_share_breach(canary: UpstreamStats, stable: UpstreamStats | None,
                       limits: Limits, theirs: Mapping[str, PathShares] | None = None
                       ) -> str | None:
    """The one rule for every answer class judged by its share (:data:`SHARE_CLASSES`):
    against stable's share where one was measured (``stable``), else the absolute rule; then
    per path against stable's share of each path (``theirs``: stable's rows by default, or
    those carried from the last compared step where no stable share is measured now)."""
    for cls in SHARE_CLASSES:
        why = (class_jump(cls, canary, stable, limits) if stable is not None
               else class_absolute(cls, canary))
        if why is not None:
            return why
    rows = theirs if theirs is not None else (stable.paths if stable is not None else {})
    return path_jump(canary, rows, limits)


def unknown_rejected(canary: UpstreamStats, stable: UpstreamStats | None,
                     limits: Limits) -> int:
    """The canary's 4xx and 3xx not known to be the clients' own: all of them without a stable
    share to compare with; with one, those of each class beyond stable's share plus
    ``max_rejected_delta``, or beyond stable's share of their path (:func:`path_unknown`),
    whichever is more. They are neither successes nor errors (a jump fails through
    :func:`class_share_breach`, once the samples can tell it from chance); the rest count as
    answers, like stable's."""
    if stable is not None:
        return max(_whole_unknown(canary, stable, limits),
                   path_unknown(canary, stable.paths, limits))
    return _whole_unknown(canary, stable, limits)


def _whole_unknown(canary: UpstreamStats, stable: UpstreamStats | None,
                   limits: Limits) -> int:
    unknown = 0
    for cls in SHARE_CLASSES:
        share = stable.share(cls) if stable is not None else None
        if share is None:
            unknown += canary.count(cls)
            continue
        allowed = math.floor(canary.requests * (share + limits.max_rejected_delta))
        unknown += max(0, canary.count(cls) - allowed)
    return unknown


def judge(
    canary: UpstreamStats | None, stable: UpstreamStats | None, limits: Limits,
    carried: Mapping[str, PathShares] | None = None,
) -> Measurement:
    """One measurement: too little traffic is inconclusive, never a silent pass. The error
    rate is over the requests whose outcome is known (:func:`unknown_rejected`). ``carried``:
    stable's rows per path from the rollout's last compared step, which judge the paths where
    no stable share is measured now (the 100% step, the bake, the watch), so the absolute rule
    never loosens what the comparison held (hostile case 464)."""
    canary = canary or UpstreamStats()
    stable = stable or UpstreamStats()
    baseline = stable.requests >= max(1, limits.min_requests)
    theirs = stable.paths if baseline else (carried or {})
    unknown = (unknown_rejected(canary, stable, limits) if baseline
               else max(absolute_unknown(canary), path_unknown(canary, theirs, limits)))
    known = canary.requests - unknown
    rate = canary.errors / known if known else None

    def make(result: Result, reasons: tuple[str, ...]) -> Measurement:
        return Measurement(
            result, canary.requests, rate, canary.p95, reasons,
            stable.requests, stable.error_rate, stable.p95,
        )

    timeouts = f" ({canary.timeouts} timed out)" if canary.timeouts else ""
    # a jump in a 4xx/3xx share fails at any sample size: the test bounds chance itself
    jump = class_share_breach(canary, stable if baseline else None, limits, theirs)
    if jump is not None:
        return make("failed", (jump, *_breaches(canary, stable, limits, rate or 0.0,
                                                timeouts)))
    # a window without one user request judges nothing, whatever min_requests says
    least = max(1, limits.min_requests)
    if known < least:
        # Fail fast: when the errors already seen would breach the limit even if every request
        # still missing up to min_requests succeeded, more data cannot change the result.
        if canary.errors > limits.error_rate * least:
            return make("failed", (
                f"{canary.errors} error(s){timeouts} in {known} request(s): above "
                f"the {limits.error_rate:.2%} limit even at min_requests {least}",
            ))
        why = "" if not unknown else (
            f"; {unknown} answered 4xx/3xx beyond stable's share" if baseline
            else f"; {unknown} answered 4xx/3xx beyond the absolute "
                 f"{ABSOLUTE_REJECTED_SHARE:.0%} (no stable share to judge them against)")
        return make("inconclusive", (f"{known} request(s) < min_requests {least}{why}",))
    breaches = _breaches(canary, stable, limits, rate or 0.0, timeouts)
    if breaches:
        return make("failed", tuple(breaches))
    if unknown:
        # a share above the allowed one that chance could still explain is no pass: the window
        # grows (not committed) until the test tells it either way; a pass here would let small
        # windows of a release redirecting everyone pass one by one (hostile case 426)
        return make("inconclusive", (
            f"{unknown} answered 4xx/3xx beyond " + ("stable's share" if baseline else
                                                     f"the absolute {ABSOLUTE_REJECTED_SHARE:.0%}")
            + ": not told from chance yet, the window grows",))
    said = () if baseline else tuple(
        f"{cls} share {canary.share(cls) or 0:.2%} judged by the absolute rule (at most "
        f"{ABSOLUTE_REJECTED_SHARE:.0%}): no stable share"
        + (f"; per path by stable's shares of the last compared step "
           f"({len(compared_paths(canary.paths, theirs))} path(s))" if theirs else "")
        for cls in SHARE_CLASSES if canary.count(cls))
    return make("successful", ("within limits", *said))


def fold_rows(into: PathTable, more: Mapping[str, PathShares]) -> None:
    """Add ``more``'s rows to ``into`` (stable's rows of the compared windows, carried to the
    steps that compare with no stable): at most :data:`MAX_PATHS` rows, the rest folded."""
    for path, row in more.items():
        key = path if path in into or len(into) < MAX_PATHS else OTHER_PATHS
        total = into.setdefault(key, PathShares())
        total.requests += row.requests
        total.rejected += row.rejected
        total.redirected += row.redirected


def rows_as_dict(rows: Mapping[str, PathShares]) -> dict[str, list[int]]:
    return {path: row.as_list() for path, row in rows.items()}


def rows_from_dict(data: object) -> PathTable | None:
    """The rows :func:`rows_as_dict` wrote; None for anything malformed (then nothing is
    carried: the absolute rule alone, never a row made up)."""
    if not isinstance(data, dict) or len(data) > MAX_PATHS + 1:
        return None
    rows: PathTable = {}
    for path, counts in data.items():
        if not (isinstance(path, str) and isinstance(counts, list) and len(counts) == 3
                and all(isinstance(c, int) and not isinstance(c, bool) and c >= 0
                        for c in counts)
                and counts[1] + counts[2] <= counts[0]):
            return None
        rows[path] = PathShares(*counts)
    return rows


def absolute_unknown(canary: UpstreamStats) -> int:
    """With no stable share, the canary's 4xx and 3xx beyond :data:`ABSOLUTE_REJECTED_SHARE`
    of its answers, per class: not known to be the clients' own (the rest count as answers, as
    stable's would)."""
    allowed = math.floor(canary.requests * ABSOLUTE_REJECTED_SHARE)
    return sum(max(0, canary.count(cls) - allowed) for cls in SHARE_CLASSES)


def _breaches(canary: UpstreamStats, stable: UpstreamStats, limits: Limits, rate: float,
              timeouts: str) -> list[str]:
    """The limits the canary's error rate and p95 break (against stable's where compared)."""
    breaches: list[str] = []
    if rate > limits.error_rate:
        breaches.append(f"error rate {rate:.2%}{timeouts} > limit {limits.error_rate:.2%}")
    p95 = canary.p95
    if p95 is not None and p95 > limits.p95:
        breaches.append(f"p95 {p95 * 1000:.0f}ms > limit {limits.p95 * 1000:.0f}ms")
    if limits.compare_with_stable and stable.requests >= limits.min_requests:
        stable_rate = stable.error_rate or 0.0
        if rate - stable_rate > limits.max_error_rate_delta:
            breaches.append(
                f"error rate {rate:.2%} exceeds stable {stable_rate:.2%} "
                f"by more than {limits.max_error_rate_delta:.2%}"
            )
        if p95 is not None and stable.p95 and p95 > stable.p95 * limits.max_p95_ratio:
            breaches.append(
                f"p95 {p95 * 1000:.0f}ms > {limits.max_p95_ratio}x stable "
                f"{stable.p95 * 1000:.0f}ms"
            )
    return breaches


@dataclass
class AnalysisRun:
    """Counts measurements across a rollout the way Argo Rollouts does.

    More than ``failure_limit`` failed measurements -> rollback. More than
    ``inconclusive_limit`` inconclusive measurements in a row -> pause for a human. (A window
    the analysis cannot read is blind, not Argo's "error": rollout.py pauses on it at once and
    ``blind_timeout`` bounds it.) A step advances after ``measurements_per_step`` successful
    measurements.
    """

    failure_limit: int = 0
    inconclusive_limit: int = 3
    measurements_per_step: int = 1
    failures: int = 0
    consecutive_inconclusive: int = 0
    step_successes: int = 0
    #: judge = "nonparametric": looks that ran the tests so far (each spent its share of alpha),
    #: carried over from the rollout's durable record when a supervisor resumes it
    looks: int = 0
    #: the share of the rollout's alpha those looks spent
    alpha_spent: float = 0.0
    #: called after a look is counted and before its tests run: the rollout writes the count
    #: to its state first, so a supervisor killed during the look never spends it twice
    on_look: Callable[[], None] | None = None

    def spend_look(self, alpha: float) -> int:
        """Count the next look (which spends ``alpha``) durably; its number (1-based)."""
        self.looks += 1
        self.alpha_spent += alpha
        if self.on_look is not None:
            self.on_look()
        return self.looks

    def new_step(self) -> None:
        self.step_successes = 0
        self.consecutive_inconclusive = 0

    def record(self, result: Result) -> Action:
        if result == "failed":
            self.failures += 1
            self.consecutive_inconclusive = 0
            return "rollback" if self.failures > self.failure_limit else "measure"
        if result == "inconclusive":
            self.consecutive_inconclusive += 1
            return "pause" if self.consecutive_inconclusive > self.inconclusive_limit else "measure"
        self.consecutive_inconclusive = 0
        self.step_successes += 1
        return "advance" if self.step_successes >= self.measurements_per_step else "measure"
