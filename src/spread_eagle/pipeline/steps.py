"""The seven steps of the daily run, in order (DESIGN.md). Steps talk only through the warehouse."""

from __future__ import annotations

from collections.abc import Callable

from spread_eagle.ingest.steps import ingest_results, ingest_slate
from spread_eagle.pipeline.context import RunContext, StepOutcome
from spread_eagle.predict.step import predict
from spread_eagle.publish.step import publish
from spread_eagle.summarize.step import summarize
from spread_eagle.transform.step import transform
from spread_eagle.validate.step import validate

Step = Callable[[RunContext], StepOutcome]

STEPS: dict[str, Step] = {
    "ingest_slate": ingest_slate,
    "ingest_results": ingest_results,
    "transform": transform,
    "predict": predict,
    "summarize": summarize,
    "validate": validate,
    "publish": publish,
}
STEP_NAMES = list(STEPS)
