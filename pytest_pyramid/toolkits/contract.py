"""Consumer-driven contracts with pact-python 4.x: write pacts, verify a running provider.

A Pact object is locked once its mock server has started, so consumer tests use one Pact
per test and ``write_file`` merges their interactions into ``<consumer>-<provider>.json``.
Writes take a file lock so xdist workers merge safely; stale pact files are removed once,
at session start, by the controller (before any worker starts).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    from pathlib import Path

UNVERIFIED_METRIC = "contract.unverified"
VERIFIED_METRIC = "contract.verified"
INTERACTIONS_METRIC = "contract.interactions"
LOCK_NAME = ".pact.lock"

StateHandler = Callable[..., None]


class ContractError(PyramidError):
    """A contract setup problem (no pacts to verify, a bad pact file)."""


class ContractVerificationError(AssertionError):
    """The provider does not honour a pact; the message lists every mismatch."""


def disable_tracking() -> None:
    """Pact's usage telemetry would phone home from CI: switch it off before pact loads."""
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")


def clear_pacts(directory: Path) -> int:
    """Remove the pact files from a previous run; returns how many were removed."""
    removed = 0
    if directory.is_dir():
        for path in directory.glob("*.json"):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """An exclusive lock on ``directory`` shared by every process of this machine."""
    from pytest_pyramid.run.imported import unrecorded

    directory.mkdir(parents=True, exist_ok=True)
    # the lock file is opened for reading too ("a+"): the plugin's own, not a test's input
    with unrecorded():
        handle = open(directory / LOCK_NAME, "a+b")  # noqa: SIM115 (closed below)
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def new_pact(consumer: str, provider: str) -> Any:
    """A fresh V4 Pact between ``consumer`` and ``provider``."""
    disable_tracking()
    from pact import Pact

    return Pact(consumer, provider).with_specification("V4")


def write_pact(pact: Any, directory: Path) -> None:
    """Merge ``pact``'s interactions into its file in ``directory`` (locked)."""
    with locked(directory):
        pact.write_file(directory)


@dataclass(frozen=True)
class PactFile:
    path: Path
    consumer: str
    provider: str
    interactions: int


def read_pact(path: Path) -> PactFile:
    try:
        data = json.loads(path.read_text("utf-8"))
        return PactFile(
            path,
            str(data["consumer"]["name"]),
            str(data["provider"]["name"]),
            len(data.get("interactions", [])),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ContractError(f"{path}: not a readable pact file: {exc}") from exc


def pact_files(directory: Path, provider: str | None = None) -> list[PactFile]:
    """The pacts in ``directory`` (optionally only those of ``provider``), sorted by path."""
    if not directory.is_dir():
        return []
    pacts = [read_pact(path) for path in sorted(directory.glob("*.json"))]
    return [p for p in pacts if provider is None or p.provider == provider]


@dataclass
class PactResult:
    pact: PactFile
    verified: bool
    output: str
    mismatches: list[str] = field(default_factory=list)
    handler_errors: list[str] = field(default_factory=list)


@dataclass
class VerificationResult:
    provider: str
    pacts: list[PactResult]

    @property
    def verified(self) -> int:
        return sum(1 for p in self.pacts if p.verified)

    @property
    def unverified(self) -> int:
        return len(self.pacts) - self.verified

    @property
    def interactions(self) -> int:
        return sum(p.pact.interactions for p in self.pacts)

    @property
    def ok(self) -> bool:
        return bool(self.pacts) and self.unverified == 0

    def report(self) -> str:
        """Every failed pact with its mismatches grouped by interaction, each said once.

        The verifier's own transcript repeats every mismatch three times (a summary, each
        interaction with OK/FAILED per check, a "Failures" list) and lists the interactions
        that passed: it is shown only when the verifier gave no mismatch to list (a crash, a
        refused connection), where it is the only account of what happened."""
        parts: list[str] = []
        for result in self.pacts:
            if result.verified:
                continue
            pact = result.pact
            parts.append(f"pact {pact.path.name} ({pact.consumer} -> {self.provider}):")
            prefix = f"Verifying a pact between {pact.consumer} and {self.provider} "
            grouped: dict[str, list[str]] = {}
            for line in result.mismatches:
                where, _, text = line.partition(": ")
                grouped.setdefault(where.removeprefix(prefix), []).append(text)
            for where, texts in grouped.items():
                parts.append(f"  {where}:")
                parts.extend(f"    - {text}" for text in texts)
            parts.extend(f"  - state handler error: {e}" for e in result.handler_errors)
            if not result.mismatches and not result.handler_errors:
                parts.append(result.output.strip())
        return "\n".join(parts)


def mismatches_of(results: Mapping[str, Any]) -> list[str]:
    """One line per mismatch from the verifier's JSON results."""
    lines: list[str] = []
    for error in results.get("errors", []) or []:
        where = str(error.get("interaction", "?"))
        mismatch = error.get("mismatch") or {}
        found = mismatch.get("mismatches") if isinstance(mismatch, dict) else None
        if found:
            for item in found:
                text = item.get("mismatch") or f"expected {item.get('expected')!r}"
                lines.append(f"{where}: {text}")
        else:
            text = mismatch.get("message", mismatch) if isinstance(mismatch, dict) else mismatch
            lines.append(f"{where}: {text}")
    return lines


def _guarded(handlers: Mapping[str, StateHandler], errors: list[str]) -> dict[str, StateHandler]:
    """Wrap state handlers so an exception is reported instead of retried.

    The verifier retries a failing state change with exponential back-off (minutes), which
    would turn a typo in a handler into a hung test.
    """
    import inspect

    def wrap(state: str, handler: StateHandler) -> StateHandler:
        wants = inspect.signature(handler).parameters

        def call(**kwargs: Any) -> None:
            try:
                handler(**{k: v for k, v in kwargs.items() if k in wants})
            except Exception as exc:
                errors.append(f"{state!r}: {type(exc).__name__}: {exc}")

        # pact passes arguments by name: declare all three so it passes them all.
        def guarded(state: str, action: str, parameters: dict[str, Any] | None) -> None:
            call(state=state, action=action, parameters=parameters)

        return guarded

    return {state: wrap(state, handler) for state, handler in handlers.items()}


def _close_callback_servers(verifier: Any) -> None:
    """Close the sockets of the verifier's callback servers.

    pact-python 4.2 shuts these servers down without ``server_close()``, so each
    verification leaks a listening socket and a ResourceWarning (an error under
    ``filterwarnings = error``).
    """
    for attribute in ("_state_handler", "_message_producer"):
        server = getattr(getattr(verifier, attribute, None), "_server", None)
        close = getattr(server, "server_close", None)
        if callable(close):
            close()


def verify_pacts(
    provider: str,
    provider_url: str,
    directory: Path,
    *,
    state_handlers: Mapping[str, StateHandler] | None = None,
    teardown: bool = False,
    pacts: Sequence[PactFile] | None = None,
    request_timeout_ms: int = 5_000,
) -> VerificationResult:
    """Verify every pact of ``provider`` in ``directory`` against the running provider.

    Each pact file is verified on its own, so the result says which consumer's contract
    broke. State handlers receive ``parameters`` (and ``action`` when ``teardown``) by name.
    """
    disable_tracking()
    from pact import Verifier

    chosen = list(pacts) if pacts is not None else pact_files(directory, provider)
    if not chosen:
        raise ContractError(f"no pact files for provider {provider!r} in {directory}")
    results: list[PactResult] = []
    for pact in chosen:
        handler_errors: list[str] = []
        verifier = (
            Verifier(provider, host="127.0.0.1")
            .add_transport(url=provider_url)
            .add_source(str(pact.path))
            .set_request_timeout(request_timeout_ms)
        )
        if state_handlers:
            verifier.state_handler(_guarded(state_handlers, handler_errors), teardown=teardown)
        try:
            verifier.verify()
            verified = True
        except RuntimeError:
            verified = False
        finally:
            _close_callback_servers(verifier)
        output = verifier.output(strip_ansi=True)
        mismatches = [] if verified else mismatches_of(verifier.results)
        results.append(
            PactResult(pact, verified and not handler_errors, output, mismatches, handler_errors)
        )
    return VerificationResult(provider, results)
