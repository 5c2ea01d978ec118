"""`python -m bench.child MODULE KWARGS_JSON OUT_JSON`: call bench.MODULE.measure(**kwargs) in this
(child) process and write its result to OUT_JSON, so the harness can take this process's wall time
and peak RSS apart from its own."""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path


def main() -> None:
    module, kwargs, out = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])
    os.environ.setdefault("DO_NOT_TRACK", "1")
    measure = importlib.import_module(f"bench.{module}").measure
    result = measure(**kwargs)
    out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
