"""The bottom of the pipeline: the run context, the ledger, the step protocol and its errors.

Steps import this package, never `pipeline` (which composes them): there is no arrow back up.
"""

from spread_eagle.run.context import RunContext, default_as_of, new_run_id, run_lock_key
from spread_eagle.run.step import (
    BatchStep,
    Progress,
    RunInvalidError,
    Step,
    StepFailedError,
    StepOutcome,
    per_run,
)

__all__ = [
    "BatchStep",
    "Progress",
    "RunContext",
    "RunInvalidError",
    "Step",
    "StepFailedError",
    "StepOutcome",
    "default_as_of",
    "new_run_id",
    "per_run",
    "run_lock_key",
]
