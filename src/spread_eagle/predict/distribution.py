"""Discrete score distributions that know the key numbers.

A final margin is a whole number, and some whole numbers are far likelier than a bell curve says:
about 15% of NFL games end by exactly 3 and 9% by exactly 7. So a half point across 3 is worth far
more than a half point across 10, and a push on a whole-number line is its own outcome.

`KeyedDistribution` is a normal curve over the integers, centred on the predicted value, with each
integer's probability multiplied by a learned key-number weight and the whole renormalised:

    P(X = k | mu) = exp(-(k - mu)^2 / (2 sd^2)) * w(k) / sum_j exp(-(j - mu)^2 / (2 sd^2)) * w(j)

For margins the weights depend on |k| (winning by 3 and losing by 3 are the same key number); for
totals on k itself. The weights are learned per league from history (`fit_weights`) and stored in
the league's config; a value not listed has weight 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Outcome:
    """A bet on `X > line` (over, or the home side when X = margin + handicap): win, push, loss."""

    win: float
    push: float
    loss: float


@dataclass(frozen=True)
class KeyedDistribution:
    sd: float
    weights: Mapping[int, float] = field(default_factory=dict)
    symmetric: bool = True  # weights by |k| (margins) or by k (totals)
    low: int = -80
    high: int = 80

    @cached_property
    def support(self) -> np.ndarray:
        return np.arange(self.low, self.high + 1)

    @cached_property
    def _w(self) -> np.ndarray:
        keys = np.abs(self.support) if self.symmetric else self.support
        return np.array([float(self.weights.get(int(k), 1.0)) for k in keys])

    def pmf(self, mu: float) -> np.ndarray:
        """P(X = k) for every k of `support`, summing to 1 (read-only: the newest is kept, since
        a game's bets ask for several lines around the same centre)."""
        last = self.__dict__.get("_last_pmf")
        if last is not None and last[0] == mu:
            return last[1]
        z = (self.support - mu) / self.sd
        p = np.exp(-0.5 * z * z) * self._w
        p = p / p.sum()
        p.flags.writeable = False
        self.__dict__["_last_pmf"] = (mu, p)  # frozen: set as cached_property does
        return p

    def probability(self, mu: float, value: int) -> float:
        if not self.low <= value <= self.high:
            return 0.0
        return float(self.pmf(mu)[value - self.low])

    def above(self, mu: float, line: float) -> Outcome:
        """P(X > line), P(X == line), P(X < line)."""
        if math.isnan(line):
            return Outcome(win=0.0, push=0.0, loss=1.0)  # what a mask over the support gives
        p = self.pmf(mu)
        # the support is every integer low..high: X > line from index floor(line) + 1 - low on
        # (the same elements, in the same order, as a mask over the support selects)
        first = min(max(math.floor(line) + 1 - self.low, 0), len(p))
        win = float(p[first:].sum())
        at = int(line) - self.low
        push = float(p[at : at + 1].sum()) if line == int(line) and 0 <= at < len(p) else 0.0
        return Outcome(win=win, push=push, loss=max(0.0, 1.0 - win - push))

    def home_cover(self, mu: float, spread_home: float) -> Outcome:
        """The home side at `spread_home` (a book's handicap): covers when margin + spread > 0."""
        return self.above(mu, -spread_home)

    def above_many(self, mus: np.ndarray, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised `above`: (P(X > line), P(X == line)) for each (mu, line) pair."""
        z = (self.support[None, :] - mus[:, None]) / self.sd
        p = np.exp(-0.5 * z * z) * self._w[None, :]
        p /= p.sum(axis=1, keepdims=True)
        win = (p * (self.support[None, :] > lines[:, None])).sum(axis=1)
        push = (p * (self.support[None, :] == lines[:, None])).sum(axis=1)
        return win, push

    def home_win(self, mu: float) -> float:
        """P(home wins), a tie counted half (the win probability a moneyline prices)."""
        o = self.above(mu, 0.0)
        return o.win + 0.5 * o.push


def _normal_pmf(support: np.ndarray, mu: np.ndarray, sd: float) -> np.ndarray:
    z = (support[None, :] - mu[:, None]) / sd
    p = np.exp(-0.5 * z * z)
    return p / p.sum(axis=1, keepdims=True)


def fit_weights(
    centres: Sequence[float],
    outcomes: Sequence[int],
    sd: float,
    keys: Sequence[int],
    symmetric: bool = True,
    low: int = -80,
    high: int = 80,
    iterations: int = 25,
) -> dict[int, float]:
    """Key-number weights that make the model's expected frequency of each key value match history.

    `centres` are the forecasts each game was expected around (the closing line's margin or total)
    and `outcomes` what happened. Starting from weight 1, each key's weight is multiplied by
    observed / expected count, and the expected counts recomputed under the new weights, until
    they agree (a fixed point; 25 rounds settle to 1e-6).
    """
    support = np.arange(low, high + 1)
    mu = np.asarray(centres, dtype=float)
    base = _normal_pmf(support, mu, sd)
    folded = np.abs(support) if symmetric else support
    observed_values = np.abs(np.asarray(outcomes)) if symmetric else np.asarray(outcomes)
    weights = {int(k): 1.0 for k in keys}
    for _ in range(iterations):
        w = np.array([weights.get(int(k), 1.0) for k in folded])
        p = base * w
        p /= p.sum(axis=1, keepdims=True)
        for k in keys:
            expected = float(p[:, folded == k].sum())
            observed = float((observed_values == k).sum())
            if expected > 0:  # a value never seen (an NBA tie) gets weight 0
                weights[int(k)] *= observed / expected
    return {k: round(v, 4) for k, v in sorted(weights.items())}
