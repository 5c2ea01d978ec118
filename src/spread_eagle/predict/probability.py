"""Model probability: the normal approximation that turns a predicted margin into a chance.

Odds arithmetic (implied and vig-free probability, the -110 break-even, how a line prints) lives
in `spread_eagle.odds`.
"""

from __future__ import annotations

import math


def normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))
