"""SIGTERM and SIGINT during a run: the run ends `failed`, the ledger names the step and the signal.

`interrupts_as_failures()` installs handlers for the run's duration only (the previous handlers
come back after). The first signal raises `RunInterrupted` (a KeyboardInterrupt, so libraries that
clean up on Ctrl-C, dbt's thread pool among them, do so) wherever the main thread is; the run loop
records it through a fresh connection if it must, and re-raises. A second signal while the failure
is being recorded is noted, not raised, so the record is written.

Inside `critical()` (writing the ledger) a signal is held until the block ends, and the run stops
at the next step boundary (`raise_if_interrupted`). Once publish starts its switch
(`hold_until_run_ends`) a signal no longer stops the run: the slate is switched entirely, the run
finishes, and the signal is reported. Libraries that swallow a KeyboardInterrupt (dbtRunner turns
it into a result) are caught by `raise_if_interrupted` after they return.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

HANDLED = (signal.SIGTERM, signal.SIGINT)


class RunInterrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGTERM, SIGINT)."""

    run_id: str | None = None  # the run it stopped and the step it was in (set by the run loop)
    step: str | None = None
    recorded = False  # the ledger already says so

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.signal_name = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.signal_name}")

    def __str__(self) -> str:
        return f"interrupted by {self.signal_name}"

    @property
    def exit_code(self) -> int:
        """What a shell reports for a process ended by this signal (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + self.signum


class _State:
    received: int | None = None  # the first signal of this run
    raised = False  # RunInterrupted already raised for it
    critical = 0  # depth of critical() blocks
    active = False  # handlers installed (interrupts_as_failures)


_state = _State()


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state.received is None:
        _state.received = signum
        log.warning("received %s: stopping the run", signal.Signals(signum).name)
    if _state.raised or _state.critical:
        return  # recording the failure (or in a critical block): noted, not raised again
    _state.raised = True
    raise RunInterrupted(signum)


def received() -> int | None:
    """The signal this run received, if any."""
    return _state.received


def raise_if_interrupted() -> None:
    """At a step boundary (or after a library that swallows KeyboardInterrupt): stop if signalled."""
    if _state.received is not None and not _state.critical:
        _state.raised = True
        raise RunInterrupted(_state.received)


def as_interrupt(exc: BaseException) -> RunInterrupted | None:
    """`exc` as the run's interruption: a RunInterrupted, any KeyboardInterrupt (Ctrl-C outside
    the handlers, or one re-raised by a library), or any error once the handler has raised the
    interrupt into the run: a library may turn it into its own error (DuckDB cancels the query it
    was running and raises `RuntimeError: Query interrupted`), and the signal is still the cause."""
    if isinstance(exc, RunInterrupted):
        return exc
    if isinstance(exc, KeyboardInterrupt):
        return RunInterrupted(_state.received or signal.SIGINT)
    if _state.raised and _state.received is not None:
        return RunInterrupted(_state.received)
    return None


@contextlib.contextmanager
def critical() -> Iterator[None]:
    """Hold signals until the block ends (then `raise_if_interrupted` stops the run)."""
    _state.critical += 1
    try:
        yield
    finally:
        _state.critical -= 1


def hold_until_run_ends() -> None:
    """From here on a signal no longer stops the run (publish's switch is under way): the run
    finishes, and the signal is reported when it ends."""
    if _state.active and _state.critical == 0:
        _state.critical = 1


@contextlib.contextmanager
def interrupts_as_failures() -> Iterator[None]:
    """For the run's duration: SIGTERM and SIGINT raise RunInterrupted; restored afterwards.

    Signal handlers can only be set from the main thread; elsewhere (a server's worker thread) the
    block runs with the process's handlers as they are."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[signal.Signals, Any] = {s: signal.getsignal(s) for s in HANDLED}
    saved = (_state.received, _state.raised, _state.critical, _state.active)
    _state.received, _state.raised, _state.critical, _state.active = None, False, 0, True
    for s in HANDLED:
        signal.signal(s, _handler)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _state.received, _state.raised, _state.critical, _state.active = saved
