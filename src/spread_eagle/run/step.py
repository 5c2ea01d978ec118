"""The step protocol: a step is a function of the run context that reports a StepOutcome, and
the errors through which a step tells the run loop how it ended."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spread_eagle.run.context import RunContext


@dataclass
class StepOutcome:
    """What a step reports to the ledger."""

    counts: dict[str, Any] = field(default_factory=dict)
    model_version: str | None = None
    dbt_status: str | None = None
    llm_status: str | None = None
    detail: str | None = None


Step = Callable[["RunContext"], StepOutcome]


class RunInvalidError(RuntimeError):
    """The run's outputs failed validation: the run ends `invalid` and nothing is published."""


class StepFailedError(RuntimeError):
    """A step failed; the ledger already says so (run failed/invalid, later steps skipped)."""

    def __init__(self, step: str, status: str, error: str) -> None:
        super().__init__(f"{step}: {error}")
        self.step, self.status, self.error = step, status, error


# Progress through a long job: (done, total, what is being done now). The CLI draws it.
Progress = Callable[[int, int, str], None]
