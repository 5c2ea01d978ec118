"""`spread-eagle` with one step of the daily run held at its start, for the fault matrix (tests only:
test_fault_matrix.py runs this file as a script; nothing here is library code).

FAULT_PAUSE_STEP=S FAULT_PAUSE_DIR=D: when the run enters step S (its ledger row `running`, the
run lock held), the step writes D/paused and waits until D/go exists, then does its real work. So a
signal, a kill or a terminated connection lands inside S however fast S is, and a fault that must
meet the step's own work (a full disk, terminated connections) is set up before the test releases
it. FAULT_DBT_PROJECT=P runs dbt on the project copy P (one with a failing test added).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from spread_eagle.pipeline import steps
from spread_eagle.run import RunContext, Step, StepOutcome


def _held(original: Step, folder: Path) -> Step:
    def held(ctx: RunContext) -> StepOutcome:
        (folder / "paused").write_text(str(os.getpid()), encoding="utf-8")
        deadline = time.monotonic() + 300
        while not (folder / "go").exists():  # a signal raises out of this sleep
            if time.monotonic() > deadline:
                raise RuntimeError("fault driver: never released")
            time.sleep(0.02)
        return original(ctx)

    return held


def main() -> None:
    step = os.environ.get("FAULT_PAUSE_STEP")
    if step:
        steps.STEPS[step] = _held(steps.STEPS[step], Path(os.environ["FAULT_PAUSE_DIR"]))
    project = os.environ.get("FAULT_DBT_PROJECT")
    if project:
        from spread_eagle.transform import dbt_runner

        dbt_runner.DBT_PROJECT_DIR = Path(project)
    from spread_eagle.cli import app

    app(prog_name="spread-eagle", args=sys.argv[1:])


if __name__ == "__main__":
    main()
