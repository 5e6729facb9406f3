"""A cheaper way for pytest-timeout to arm its signal timer, through its own timer hooks.

pytest-timeout's signal method installs a SIGALRM handler and resets it to ``SIG_DFL`` around
every test: two ``signal.signal`` calls, each a system call behind an enum conversion, plus two
closures. On trivial tests that is most of what per-tier hard limits cost. This plugin answers
pytest-timeout's ``pytest_timeout_set_timer`` / ``pytest_timeout_cancel_timer`` hooks, which it
offers for "alternative timeout implementation strategies": the handler is installed once per
session (and again only if a test replaced it) and each test costs one ``setitimer`` to arm and
one to disarm. Expiry goes through pytest-timeout's own ``timeout_sigalrm``, so the failure,
the stack dump and the debugger detection are pytest-timeout's. The thread method, and any
test not on the main thread, are left to pytest-timeout.
"""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType

_MAIN_THREAD = threading.main_thread().ident
# signal.getsignal turns a handler into an enum member when it can; for a Python callable that
# costs a raised and caught ValueError (about 4 us, on every test). The C function it wraps
# answers in nanoseconds, and returns the same object.
_getsignal: Callable[[int], object] = getattr(
    getattr(signal, "_signal", None), "getsignal", signal.getsignal
)
_UNSET: Any = object()


class SignalTimer:
    """Registered in processes that run tests when pytest-timeout and SIGALRM are available."""

    def __init__(self, fired: set[str] | None = None) -> None:
        #: node ids whose timer went off: a test that catches the exception is still failed
        self.fired: set[str] = set() if fired is None else fired
        self._item: pytest.Item | None = None
        self._settings: Any = None
        self._previous_handler: Any = _UNSET
        self._handler = self._on_alarm  # one bound method: its identity is what we compare

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        item, settings = self._item, self._settings
        if item is None:  # a late signal after the test ended: nothing to stop
            return
        from pytest_timeout import timeout_sigalrm  # type: ignore[import-untyped]

        __tracebackhide__ = True
        self.fired.add(item.nodeid)
        timeout_sigalrm(item, settings)

    @pytest.hookimpl(tryfirst=True)
    def pytest_timeout_set_timer(self, item: pytest.Item, settings: Any) -> bool | None:
        if settings.method != "signal" or threading.get_ident() != _MAIN_THREAD:
            return None  # pytest-timeout's own implementation handles it
        if _getsignal(signal.SIGALRM) is not self._handler:
            previous = signal.signal(signal.SIGALRM, self._handler)
            if self._previous_handler is _UNSET:
                self._previous_handler = previous
        self._item, self._settings = item, settings
        signal.setitimer(signal.ITIMER_REAL, settings.timeout)
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_timeout_cancel_timer(self, item: pytest.Item) -> bool | None:
        if self._item is not item:
            return None  # armed by pytest-timeout itself (thread method), or never armed
        signal.setitimer(signal.ITIMER_REAL, 0)
        self._item = self._settings = None
        return True

    @pytest.hookimpl
    def pytest_unconfigure(self) -> None:
        if self._item is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self._item = None
        if self._previous_handler is not _UNSET and (
            signal.getsignal(signal.SIGALRM) is self._handler
        ):
            previous = self._previous_handler
            # None: a handler installed from C, which Python cannot put back
            signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
