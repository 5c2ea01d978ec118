"""Odds conventions: the one Python place for what a price means and how a line prints.

American odds are stored as given (DESIGN.md); probabilities are derived here. The dbt macros in
`dbt/macros/conventions.sql` (`american_to_prob`, `vig_free`) are the SQL layer's copy of the same
arithmetic and must agree with it.
"""

from __future__ import annotations


def _check_american(american: float) -> None:
    if -100 < american < 100:
        raise ValueError(f"{american!r} is not American odds (0 or between -100 and +100)")


def implied_probability(american: float) -> float:
    """American odds -> the implied probability with the book's vig still in (-110 -> 0.5238)."""
    _check_american(american)
    return 100.0 / (american + 100.0) if american > 0 else -american / (-american + 100.0)


def vig_free(price_a: float, price_b: float) -> tuple[float, float]:
    """Two sides' prices -> their probabilities with the vig removed: each side's share of the
    overround (the sum of both implied probabilities), so the pair sums to 1."""
    a, b = implied_probability(price_a), implied_probability(price_b)
    return a / (a + b), b / (a + b)


def american_to_decimal(american: float) -> float:
    """-110 -> 1.909..., +150 -> 2.5: the total return per unit staked, stake included."""
    _check_american(american)
    return 1.0 + (american / 100.0 if american > 0 else 100.0 / -american)


def decimal_to_american(decimal: float) -> int:
    """1.91 -> -110, 2.5 -> +150, rounded to the whole price a book quotes (2.0 is +100)."""
    if decimal <= 1.0:
        raise ValueError(f"{decimal!r} is not decimal odds (must be above 1.0)")
    if decimal >= 2.0:
        return round((decimal - 1.0) * 100.0)
    return round(-100.0 / (decimal - 1.0))


# What a -110 bet needs to win to break even, and what a winning one returns per unit risked.
BREAK_EVEN_AT_MINUS_110 = implied_probability(-110)
WIN_AT_MINUS_110 = 100.0 / 110.0


def format_line(value: float) -> str:
    """A handicap as a sportsbook prints it: 11.0 -> '+11', -3.5 -> '-3.5', 0 -> 'pk'."""
    if value == 0:
        return "pk"
    text = f"{value:+.1f}"
    return text[:-2] if text.endswith(".0") else text
