"""The baseline "ratings" model: recency-weighted ridge team ratings for margin and scoring,
blended with the market's own number, turned into probabilities with the league's margin spread.

A step is a function of its inputs: `fit` takes finished games, `predict` takes feature rows;
neither touches the warehouse, so both are tested on plain lists.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from spread_eagle.leagues import League
from spread_eagle.odds import BREAK_EVEN_AT_MINUS_110, format_line
from spread_eagle.predict.probability import normal_cdf

MODEL_NAME = "ratings"
MODEL_SEMVER = "1.0.0"


def model_version(league: League) -> str:
    """Name, code version and a hash of the league constants it uses: change either, new version."""
    constants = {
        "ratings": league.ratings,
        "home_field_points": league.home_field_points,
        "margin_sd": league.margin_sd,
        "total_sd": league.total_sd,
    }
    digest = hashlib.sha256(json.dumps(constants, sort_keys=True).encode()).hexdigest()[:8]
    return f"{MODEL_NAME}-{MODEL_SEMVER}+{league.league}.{digest}"


@dataclass(frozen=True)
class FinishedGame:
    game_date: date
    home_team_id: str
    away_team_id: str
    is_neutral_site: bool
    home_score: int
    away_score: int


@dataclass(frozen=True)
class Prediction:
    game_id: str
    margin_home: float
    total: float
    p_home_win: float
    p_home_cover: float | None
    p_over: float | None
    spread_home: float | None
    total_line: float | None
    edge: float | None
    play: str | None


@dataclass
class FittedRatings:
    margin: dict[str, float]
    scoring: dict[str, float]
    mean_total: float
    games: int


class RatingsModel:
    name = MODEL_NAME

    def __init__(self, league: League) -> None:
        self.league = league
        self.version = model_version(league)
        self.params = league.ratings

    def fit(self, games: Sequence[FinishedGame], as_of_date: date) -> FittedRatings:
        """Ridge ratings on games strictly before `as_of_date`, weighted by recency."""
        usable = [g for g in games if g.game_date < as_of_date]
        teams = sorted({g.home_team_id for g in usable} | {g.away_team_id for g in usable})
        if not usable:
            return FittedRatings({}, {}, self.league.typical_total, 0)
        index = {team: i for i, team in enumerate(teams)}
        n, size = len(usable), len(teams)
        home = np.fromiter((index[g.home_team_id] for g in usable), dtype=np.intp, count=n)
        away = np.fromiter((index[g.away_team_id] for g in usable), dtype=np.intp, count=n)
        home_edge = self.league.home_field_points
        margin = np.fromiter(
            (
                (g.home_score - g.away_score) - (0.0 if g.is_neutral_site else home_edge)
                for g in usable
            ),
            dtype=float,
            count=n,
        )
        total = np.fromiter((g.home_score + g.away_score for g in usable), dtype=float, count=n)
        half_life = float(self.params["half_life_days"])
        weight = np.fromiter(
            (0.5 ** ((as_of_date - g.game_date).days / half_life) for g in usable),
            dtype=float,
            count=n,
        )
        # The weighted normal equations of the design rows (+1 home, -1 away) for the margin and
        # (+1 home, +1 away) for scoring, accumulated game by game (np.bincount) rather than
        # through a dense n x teams matrix: O(games), no BLAS threads (which thrash on a busy
        # machine), and the same solution.
        appearances = np.bincount(home, weights=weight, minlength=size) + np.bincount(
            away, weights=weight, minlength=size
        )
        pairs = np.bincount(home * size + away, weights=weight, minlength=size * size).reshape(
            size, size
        )
        pairs = pairs + pairs.T
        ridge = float(self.params["ridge"]) * np.eye(size)
        mean_total = float(np.average(total, weights=weight))
        wm, wt = weight * margin, weight * (total - mean_total)
        margin_ratings = np.linalg.solve(
            np.diag(appearances) - pairs + ridge,
            np.bincount(home, weights=wm, minlength=size)
            - np.bincount(away, weights=wm, minlength=size),
        )
        scoring = np.linalg.solve(
            np.diag(appearances) + pairs + ridge,
            np.bincount(home, weights=wt, minlength=size)
            + np.bincount(away, weights=wt, minlength=size),
        )
        return FittedRatings(
            margin={t: float(margin_ratings[i]) for t, i in index.items()},
            scoring={t: float(scoring[i]) for t, i in index.items()},
            mean_total=mean_total,
            games=n,
        )

    def predict(
        self, fitted: FittedRatings, features: Sequence[dict[str, Any]]
    ) -> list[Prediction]:
        """One prediction per feature row (a feat__game row), in the order given."""
        w = float(self.params["market_weight"])
        out = []
        for f in features:
            home, away = f["home_team_id"], f["away_team_id"]
            home_edge = 0.0 if f["is_neutral_site"] else self.league.home_field_points
            rating_margin = fitted.margin.get(home, 0.0) - fitted.margin.get(away, 0.0) + home_edge
            rating_total = (
                fitted.mean_total + fitted.scoring.get(home, 0.0) + fitted.scoring.get(away, 0.0)
            )
            spread, total_line = f.get("spread_home_current"), f.get("total_current")
            margin = rating_margin if spread is None else w * (-spread) + (1 - w) * rating_margin
            total = rating_total if total_line is None else w * total_line + (1 - w) * rating_total
            margin, total = round(margin, 1), round(total, 1)
            p_cover = p_over = edge = None
            play = None
            if spread is not None:
                p_cover = round(normal_cdf((margin + spread) / self.league.margin_sd), 3)
                edge = round(max(p_cover, 1 - p_cover) - BREAK_EVEN_AT_MINUS_110, 3)
                if edge > 0:
                    play = (
                        f"{home} {format_line(spread)}"
                        if p_cover > 0.5
                        else f"{away} {format_line(-spread)}"
                    )
            if total_line is not None:
                p_over = round(normal_cdf((total - total_line) / self.league.total_sd), 3)
            out.append(
                Prediction(
                    game_id=f["game_id"],
                    margin_home=margin,
                    total=total,
                    p_home_win=round(normal_cdf(margin / self.league.margin_sd), 3),
                    p_home_cover=p_cover,
                    p_over=p_over,
                    spread_home=spread,
                    total_line=total_line,
                    edge=edge,
                    play=play,
                )
            )
        return out
