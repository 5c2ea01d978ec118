"""Normal-approximation probabilities and the arithmetic of a -110 bet."""

from __future__ import annotations

import math

BREAK_EVEN_AT_MINUS_110 = 110.0 / 210.0


def normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def format_line(value: float) -> str:
    """11.0 -> '+11', -3.5 -> '-3.5', 0 -> 'pk' (as a sportsbook prints a handicap)."""
    if value == 0:
        return "pk"
    text = f"{value:+.1f}"
    return text[:-2] if text.endswith(".0") else text
