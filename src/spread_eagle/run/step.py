"""The step protocol: a step is a function of the run context that reports a StepOutcome, and
the errors through which a step tells the run loop how it ended."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

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
# A step of many runs at once (a backfill's batch), oldest first: it yields each run's outcome in
# order once that run's share is written, and raises for the first run it could not complete
# (the runs after it are not run). The run loop records it as it records a Step.
BatchStep = Callable[[list["RunContext"]], Iterator[StepOutcome]]


T = TypeVar("T")


def until_failure(
    ctxs: list[RunContext], one: Callable[[RunContext], T]
) -> tuple[list[T], Exception | None]:
    """`one` of each run in turn, up to the first that raises: what the runs before it gave, and
    that failure (for a batch step to write the others' share, yield their outcomes, then raise)."""
    done: list[T] = []
    for ctx in ctxs:
        try:
            done.append(one(ctx))
        except Exception as exc:
            return done, exc
    return done, None


def per_run(step: Step) -> BatchStep:
    """A step of one run as a batch step: each run's step in turn."""

    def batch(ctxs: list[RunContext]) -> Iterator[StepOutcome]:
        for ctx in ctxs:
            yield step(ctx)

    return batch


class RunInvalidError(RuntimeError):
    """The run's outputs failed validation: the run ends `invalid` and nothing is published."""


class StepFailedError(RuntimeError):
    """A step failed; the ledger already says so (run failed/invalid, later steps skipped)."""

    def __init__(self, step: str, status: str, error: str, run_id: str | None = None) -> None:
        super().__init__(f"{step}: {error}")
        self.step, self.status, self.error, self.run_id = step, status, error, run_id


# Progress through a long job: (done, total, what is being done now). The CLI draws it.
Progress = Callable[[int, int, str], None]
