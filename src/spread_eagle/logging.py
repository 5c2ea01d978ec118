"""Logging is configured once, at the entry point. Library code only does `getLogger(__name__)`.

Every record carries `run_id` and `step` (from context variables the runner sets), goes to the
console for a person and to a JSON-lines file for machines, and passes a redaction filter so a
secret never reaches either. A record logged with an exception is one line on the console; the
file's record also carries the (redacted) traceback.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
import traceback
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from spread_eagle.redact import redact_text

current_run_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("run_id", default=None)
current_step: contextvars.ContextVar[str | None] = contextvars.ContextVar("step", default=None)

_ROOT = "spread_eagle"


@contextlib.contextmanager
def log_context(*, run_id: str | None = None, step: str | None = None) -> Iterator[None]:
    """Tag every record logged inside the block with this run id and/or step."""
    tokens = []
    if run_id is not None:
        tokens.append((current_run_id, current_run_id.set(run_id)))
    if step is not None:
        tokens.append((current_step, current_step.set(step)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class _ContextFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = current_run_id.get()
        record.step = current_step.get()
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            # One line for the console; the traceback, redacted like the message, for the file.
            message = f"{message}: {record.exc_info[1]}"
            trace = "".join(traceback.format_exception(record.exc_info[1])).rstrip()
            record.traceback = redact_text(trace, self.secrets)
            record.exc_info = None
            record.exc_text = None
        record.msg = redact_text(message, self.secrets)
        record.args = None
        return True


class JsonLinesFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "ts": datetime.fromtimestamp(record.created, UTC)
                .isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"),
                "level": record.levelname,
                "logger": record.name,
                "run_id": getattr(record, "run_id", None),
                "step": getattr(record, "step", None),
                "message": record.getMessage(),
                # only on records logged with an exception (log.exception, exc_info=)
                **({"traceback": record.traceback} if hasattr(record, "traceback") else {}),
            },
            sort_keys=False,
        )


class ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        step = getattr(record, "step", None)
        prefix = f"[{step}] " if step else ""
        level = "" if record.levelno == logging.INFO else f"{record.levelname}: "
        return f"{prefix}{level}{record.getMessage()}"


class _LogFileHandler(logging.FileHandler):
    """The JSON-lines file; when it cannot be written (a full disk), one line on stderr, not a
    traceback per record, and the console keeps logging."""

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:
        if not self.failed:
            self.failed = True
            error = sys.exc_info()[1]
            sys.stderr.write(f"WARNING: cannot write the log file {self.baseFilename}: {error}\n")


def configure_logging(
    *, log_dir: Path | None, secrets: Iterable[str] = (), verbose: bool = False
) -> Path | None:
    """Set up the `spread_eagle` logger tree; returns the JSON-lines file path, if any."""
    root = logging.getLogger(_ROOT)
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.DEBUG)
    root.propagate = False
    context_filter = _ContextFilter(secrets)

    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.INFO)
    console.setFormatter(ConsoleFormatter())
    console.addFilter(context_filter)
    root.addHandler(console)

    path: Path | None = None
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / "spread_eagle.jsonl"
        file_handler = _LogFileHandler(path, encoding="utf-8")
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(JsonLinesFormatter())
        file_handler.addFilter(context_filter)
        root.addHandler(file_handler)
    return path
