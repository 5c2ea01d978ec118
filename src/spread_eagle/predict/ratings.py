"""The `ratings` model: a team-and-quarterback strength model fitted on results alone.

It never reads a line. `GameInput` has no field for one, so nothing the market says can reach it
(tests/predict/test_line_blind.py changes every line of the history and compares).

Ratings (points above an average team on a neutral field) are a Kalman filter, the Bayesian
cousin of FiveThirtyEight's Elo and nfelo: each team has a strength T and each starting
quarterback a value Q (points he adds over an average starter), both with a variance. A game's
expected home margin is

    T_home + Q_home_qb - T_away - Q_away_qb + home_field (0 at a neutral site) + rest * (days diff)

and after the game the miss (capped at `mov_cap` points, a margin-of-victory damping) is shared
among the four ratings in proportion to their variances, the Kalman gain var / (sum of vars +
game noise). Uncertainty grows a little every game (ratings drift), and at each new season every
team is regressed toward average and its variance widened (`season_regression`,
`season_variance`). A quarterback never seen starts at `qb_new` (a backup or rookie is worth less
than the starter he replaces) with a wide variance, so a starting-QB change moves the number at
once and the model learns the new starter quickly. Home field is itself a slowly-learned state
(`home_field_rate`), since the NFL's home edge has shrunk over the decades.

A league without quarterbacks (the NBA) has no `qb_*` constants in its config, and then no QB
terms at all; a source without rest days (the NBA file) can have them counted from the model's own
schedule (`rest_from_schedule`: days since each team's last game it learned from).

Totals: each team has an offence and a defence rating in points, learned with a fixed rate, on a
league-wide scoring level that also drifts. Win probability comes from the league's discrete
margin distribution (key numbers included) around the predicted margin with the model's own
spread. Constants are fitted on 1999-2014 (`spread_eagle.predict.fit`) and live in the league's
config under `models.ratings`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from spread_eagle.predict.distribution import KeyedDistribution

MODEL_NAME = "ratings"
CODE_VERSION = "2.0.0"


@dataclass(frozen=True)
class GameInput:
    """What the ratings model may know about a game before kickoff: no line, no score."""

    game_id: str
    season: int
    game_date: date
    home_team_id: str
    away_team_id: str
    is_neutral_site: bool
    home_rest_days: int | None = None
    away_rest_days: int | None = None
    home_qb_id: str | None = None
    away_qb_id: str | None = None


@dataclass(frozen=True)
class RatingForecast:
    margin_home: float
    total: float
    p_home_win: float


def margin_distribution(params: Mapping[str, Any], sd: float) -> KeyedDistribution:
    weights = {int(k): float(v) for k, v in dict(params["margin_key_weights"]).items()}
    return KeyedDistribution(sd=sd, weights=weights, symmetric=True)


def total_distribution(params: Mapping[str, Any], sd: float) -> KeyedDistribution:
    weights = {int(k): float(v) for k, v in dict(params.get("total_key_weights", {})).items()}
    low, high = params.get("total_range", (0, 140))  # the league's possible totals
    return KeyedDistribution(sd=sd, weights=weights, symmetric=False, low=int(low), high=int(high))


class RatingsState:
    """The ratings as of some moment: `forecast` a game, then `update` it once final.

    Feed games in date order and forecast every game of a date before updating with any of them
    (the engine does), so nothing of a date or later reaches that date's forecasts.
    """

    def __init__(self, params: Mapping[str, Any], distribution: Mapping[str, Any]) -> None:
        p = {k: v for k, v in params.items() if not isinstance(v, dict | list)}
        self.p = {k: float(v) for k, v in p.items()}
        self.franchise: dict[str, str] = dict(params.get("franchises", {}))
        self.margin_dist = margin_distribution(distribution, self.p["margin_sd"])
        self.team: dict[str, float] = {}
        self.team_var: dict[str, float] = {}
        self.qb: dict[str, float] = {}
        self.qb_var: dict[str, float] = {}
        self.last_qb: dict[str, str] = {}
        self.offence: dict[str, float] = {}
        self.defence: dict[str, float] = {}
        # A league without quarterbacks (the NBA) has no `qb_*` constants: no QB terms at all.
        self.has_qb = "qb_prior_variance" in self.p
        self.home_field = self.p["home_field"]
        self.points = self.p["points_per_team"]
        self.season: int | None = None
        self.last_played: dict[str, date] = {}

    def copy(self) -> RatingsState:
        """An independent copy: the parameters are shared (never changed), the state is not."""
        twin = copy.copy(self)
        for name in (
            "team",
            "team_var",
            "qb",
            "qb_var",
            "last_qb",
            "offence",
            "defence",
            "last_played",
        ):
            setattr(twin, name, dict(getattr(self, name)))
        return twin

    def _franchise(self, team: str) -> str:
        return self.franchise.get(team, team)

    def _new_season(self, season: int) -> None:
        if self.season is not None and season <= self.season:
            return
        self.season = season
        p = self.p
        for t in self.team:
            self.team[t] *= p["season_regression"]
            self.team_var[t] = min(
                self.team_var[t] + p["season_variance"], p["team_prior_variance"]
            )
        for q in self.qb if self.has_qb else ():
            self.qb[q] *= p["qb_season_regression"]
            self.qb_var[q] = min(self.qb_var[q] + p["qb_season_variance"], p["qb_prior_variance"])
        for t in self.offence:
            self.offence[t] *= p["points_season_regression"]
            self.defence[t] *= p["points_season_regression"]

    def _team(self, team: str) -> str:
        t = self._franchise(team)
        if t not in self.team:
            self.team[t] = 0.0
            self.team_var[t] = self.p["team_prior_variance"]
            self.offence[t] = 0.0
            self.defence[t] = 0.0
        return t

    def _qb(self, team: str, qb_id: str | None) -> str:
        """The starter's key: as given, else the team's last known starter, else a team stand-in."""
        if not self.has_qb:
            self.qb.setdefault("", 0.0)
            self.qb_var.setdefault("", 0.0)
            return ""
        key = qb_id or self.last_qb.get(team) or f"team:{team}"
        if key not in self.qb:
            self.qb[key] = self.p["qb_new"] if qb_id else 0.0
            self.qb_var[key] = self.p["qb_prior_variance"]
        return key

    def _parts(self, g: GameInput) -> tuple[str, str, str, str, float, float]:
        self._new_season(g.season)
        h, a = self._team(g.home_team_id), self._team(g.away_team_id)
        hq, aq = self._qb(h, g.home_qb_id), self._qb(a, g.away_qb_id)
        home_edge = 0.0 if g.is_neutral_site else self.home_field
        rest = 0.0
        home_rest, away_rest = g.home_rest_days, g.away_rest_days
        if (home_rest is None or away_rest is None) and self.p.get("rest_from_schedule"):
            # A source without rest days (the NBA file): days since each team's last game here.
            home_rest, away_rest = self._rest(h, g.game_date), self._rest(a, g.game_date)
        if home_rest is not None and away_rest is not None:
            cap = self.p["rest_cap_days"]
            rest = self.p["rest_points_per_day"] * max(-cap, min(cap, float(home_rest - away_rest)))
        return h, a, hq, aq, home_edge, rest

    def _rest(self, team: str, day: date) -> int:
        last = self.last_played.get(team)
        return int(self.p["rest_cap_days"]) if last is None else (day - last).days

    def forecast(self, g: GameInput) -> RatingForecast:
        h, a, hq, aq, home_edge, rest = self._parts(g)
        margin = self.team[h] + self.qb[hq] - self.team[a] - self.qb[aq] + home_edge + rest
        total = (
            2 * self.points + self.offence[h] + self.defence[a] + self.offence[a] + self.defence[h]
        )
        return RatingForecast(
            margin_home=margin, total=total, p_home_win=self.margin_dist.home_win(margin)
        )

    def update(self, g: GameInput, home_score: int, away_score: int) -> None:
        p = self.p
        h, a, hq, aq, home_edge, rest = self._parts(g)
        for t in (h, a):
            self.team_var[t] += p["game_variance"]
        for q in (hq, aq) if self.has_qb else ():
            self.qb_var[q] += p["qb_game_variance"]
        expected = self.team[h] + self.qb[hq] - self.team[a] - self.qb[aq] + home_edge + rest
        cap = p["mov_cap"]
        miss = max(-cap, min(cap, (home_score - away_score) - expected))
        spread = self.team_var[h] + self.team_var[a] + self.qb_var[hq] + self.qb_var[aq]
        spread += p["game_noise_variance"]
        qbs = ((hq, self.qb, self.qb_var, 1.0), (aq, self.qb, self.qb_var, -1.0))
        for key, store, var, sign in (
            (h, self.team, self.team_var, 1.0),
            (a, self.team, self.team_var, -1.0),
            *(qbs if self.has_qb else ()),
        ):
            gain = var[key] / spread
            store[key] += sign * gain * miss
            var[key] *= 1.0 - gain
        if not g.is_neutral_site:
            self.home_field += p["home_field_rate"] * miss
        # Scoring: the league level, then each side's offence and the other side's defence.
        rate = p["points_rate"]
        expected_home = self.points + self.offence[h] + self.defence[a]
        expected_away = self.points + self.offence[a] + self.defence[h]
        self.points += p["points_level_rate"] * (
            (home_score + away_score) - (expected_home + expected_away)
        )
        miss_home, miss_away = home_score - expected_home, away_score - expected_away
        self.offence[h] += rate * miss_home
        self.defence[a] += rate * miss_home
        self.offence[a] += rate * miss_away
        self.defence[h] += rate * miss_away
        if self.has_qb:
            self.last_qb[h], self.last_qb[a] = hq, aq
        self.last_played[h] = self.last_played[a] = g.game_date
