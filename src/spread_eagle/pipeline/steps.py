"""The seven steps of the daily run, in order (DESIGN.md). Steps talk only through the warehouse;
this module composes them and is the only one that knows them all."""

from __future__ import annotations

from spread_eagle.ingest.steps import ingest_results, ingest_slate
from spread_eagle.predict.step import predict
from spread_eagle.publish.step import publish
from spread_eagle.run import RunContext, Step, StepOutcome
from spread_eagle.summarize.step import summarize
from spread_eagle.transform.step import transform
from spread_eagle.validate.step import validate, validation_gate


def publish_validated(ctx: RunContext) -> StepOutcome:
    """Publish re-runs validation on what it is about to switch in: no path (a resumed run, a
    backfill) publishes outputs that fail it."""
    validation_gate(ctx)
    return publish(ctx)


STEPS: dict[str, Step] = {
    "ingest_slate": ingest_slate,
    "ingest_results": ingest_results,
    "transform": transform,
    "predict": predict,
    "summarize": summarize,
    "validate": validate,
    "publish": publish_validated,
}
STEP_NAMES = list(STEPS)
INGEST_STEPS = {name: STEPS[name] for name in ("ingest_slate", "ingest_results")}

# What each step writes under its run id: a resumed run copies these from the run it resumes, so
# every run's outputs are complete under its own id (and validation checks exactly those).
STEP_OUTPUTS: dict[str, tuple[str, ...]] = {
    "predict": ("outputs.game_prediction",),
    "summarize": ("outputs.game_tldr",),
}
