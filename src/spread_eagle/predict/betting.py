"""From a model's probabilities to a bet: edge against a price, fair odds, a capped fractional Kelly
stake, and the walk-forward record of the rule that decides whether a play is published.

Odds arithmetic (implied probability, American <-> decimal, how a line prints) is
`spread_eagle.odds`'; this module only decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from spread_eagle.odds import (
    BREAK_EVEN_AT_MINUS_110,
    american_to_decimal,
    decimal_to_american,
    implied_probability,
)

DEFAULT_PRICE = -110
Z95 = 1.959963984540054


def kelly_fraction(p_win: float, p_push: float, decimal_odds: float) -> float:
    """The growth-optimal share of bankroll on a bet that wins (decimal - 1) per unit with p_win,
    returns the stake with p_push and loses it otherwise; 0 when the bet has no edge.

    Maximising p_win ln(1 + b f) + p_loss ln(1 - f) gives f = (b p_win - p_loss) / (b (p_win +
    p_loss)) with b = decimal - 1; with no push that is the textbook (b p - q) / b.
    """
    b = decimal_odds - 1.0
    p_loss = max(0.0, 1.0 - p_win - p_push)
    if b <= 0 or p_win + p_loss <= 0:
        return 0.0
    return max(0.0, (b * p_win - p_loss) / (b * (p_win + p_loss)))


def stake(p_win: float, p_push: float, american: float, fraction: float, cap: float) -> float:
    """Fractional Kelly, capped: the share of bankroll to risk (0 when there is no edge)."""
    return min(cap, fraction * kelly_fraction(p_win, p_push, american_to_decimal(american)))


def edge(p_win: float, p_push: float, american: float) -> float:
    """The side's chance to win when the bet is decided (pushes set aside) over the price's
    break-even: at -110 this is P(cover | no push) - 0.5238, as the slate's `edge` always was."""
    decided = p_win + max(0.0, 1.0 - p_win - p_push)
    if decided <= 0:
        return 0.0
    return p_win / decided - implied_probability(american)


def fair_american(p_win: float, p_push: float) -> int | None:
    """The price at which the side breaks even (pushes refunded): 1 / P(win | decided)."""
    decided = p_win + max(0.0, 1.0 - p_win - p_push)
    if decided <= 0 or p_win <= 0 or p_win >= decided:
        return None
    return decimal_to_american(decided / p_win)


def wilson(wins: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a win rate (0, 1 with no bets)."""
    if n == 0:
        return 0.0, 1.0
    phat = wins / n
    denom = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class RuleRecord:
    """A play rule (model, minimum edge, line) and its record so far, graded at the line it bet."""

    model: str
    min_edge: float
    min_bets: int
    line: str = "current"
    wins: int = 0
    losses: int = 0
    pushes: int = 0
    history: list[str] = field(default_factory=list, repr=False)

    @property
    def decided(self) -> int:
        return self.wins + self.losses

    @property
    def pct(self) -> float | None:
        return self.wins / self.decided if self.decided else None

    @property
    def earned(self) -> bool:
        """Plays are published only once the rule has `min_bets` decided bets and wins more often
        than the -110 break-even."""
        pct = self.pct
        return self.decided >= self.min_bets and pct is not None and pct > BREAK_EVEN_AT_MINUS_110

    def grade(self, result: str) -> None:
        if result == "win":
            self.wins += 1
        elif result == "loss":
            self.losses += 1
        else:
            self.pushes += 1

    @property
    def name(self) -> str:
        return f"{self.model} edge>={self.min_edge:.3f} vs {self.line} line"

    def snapshot(self) -> dict[str, object]:
        low, high = wilson(self.wins, self.decided)
        pct = self.pct
        return {
            "rule": self.name,
            "wins": self.wins,
            "losses": self.losses,
            "pushes": self.pushes,
            "pct": None if pct is None else round(pct, 4),
            "ci95": [round(low, 4), round(high, 4)],
            "break_even": round(BREAK_EVEN_AT_MINUS_110, 4),
            "earned": self.earned,
        }


def grade_side(home_side: bool, margin: int, spread_home: float) -> str:
    """win/loss/push of a spread bet on the home side (or the away side) at `spread_home`."""
    cover = margin + spread_home
    if cover == 0:
        return "push"
    return "win" if (cover > 0) == home_side else "loss"
