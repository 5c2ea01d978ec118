"""The one walk-forward engine behind both the daily predict step and the backtest.

Games are taken in date order. For each date, every game of the date is forecast by every model
from the state left by earlier dates only; then the date's finished games update the ratings, the
blend's calibration rows and the play rules' records. At each season's first date the blend is
refitted on all earlier finished games. So a forecast for date D never sees a result of D or
later (tests/predict/test_leakage.py), and the daily run and the backtest are the same code.

Each model's forecast carries its side and edge against the line it would bet (the best available
line for each side where the data has one, else the current line), its fair odds, a capped
fractional Kelly stake, and the pick, which is published only when the model's play rule has
earned it (`betting.RuleRecord.earned`); otherwise the pick is None: "no play".
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from spread_eagle.leagues import League
from spread_eagle.odds import format_line, vig_free
from spread_eagle.predict import market_blend as blend_module
from spread_eagle.predict import ratings as ratings_module
from spread_eagle.predict.betting import (
    DEFAULT_PRICE,
    RuleRecord,
    edge,
    fair_american,
    grade_side,
    stake,
)
from spread_eagle.predict.distribution import KeyedDistribution, Outcome
from spread_eagle.predict.market_blend import BlendRow, MarketBlend
from spread_eagle.predict.ratings import GameInput, RatingsState, total_distribution

ProgressCallback = Callable[[int, int, str], None]
MODEL_NAMES = (ratings_module.MODEL_NAME, blend_module.MODEL_NAME)


@dataclass(frozen=True)
class GameRecord:
    """A game with the market's numbers as known before kickoff and, once final, its score.

    For a date being predicted the lines are the current ones; for history the closing ones.
    """

    game: GameInput
    spread_home: float | None = None
    total_line: float | None = None
    moneyline_home: int | None = None
    moneyline_away: int | None = None
    open_spread_home: float | None = None
    open_total: float | None = None
    spread_home_best: float | None = None
    spread_home_best_price: int | None = None
    spread_away_best: float | None = None
    spread_away_best_price: int | None = None
    home_score: int | None = None
    away_score: int | None = None

    @property
    def is_final(self) -> bool:
        return self.home_score is not None and self.away_score is not None

    @property
    def margin(self) -> int:
        """Home points minus away points, of a final game."""
        assert self.home_score is not None and self.away_score is not None
        return self.home_score - self.away_score

    @property
    def points(self) -> int:
        """Both teams' points, of a final game."""
        assert self.home_score is not None and self.away_score is not None
        return self.home_score + self.away_score

    @property
    def p_vigfree_home(self) -> float | None:
        if self.moneyline_home is None or self.moneyline_away is None:
            return None
        try:
            return vig_free(self.moneyline_home, self.moneyline_away)[0]
        except ValueError:
            return None


@dataclass(frozen=True)
class Bet:
    """The side a model would take against a spread, and what it is worth."""

    side: str  # "home" or "away"
    spread_home: float  # the line bet, as the home handicap
    price: int
    p_win: float
    p_push: float
    edge: float


@dataclass(frozen=True)
class ModelForecast:
    model: str
    margin_home: float
    total: float
    p_home_win: float
    p_home_cover: float | None = None  # at the current (history: closing) spread
    p_push: float | None = None
    p_over: float | None = None
    spread_home: float | None = None  # the line the model's side is priced at
    total_line: float | None = None
    side: str | None = None
    price: int | None = None
    edge: float | None = None
    fair_american: int | None = None
    stake: float = 0.0
    is_candidate: bool = False  # edge at or above the rule's threshold
    pick: str | None = None  # published only when the rule has earned it
    rule: Mapping[str, Any] = field(default_factory=dict)
    open_bet: Bet | None = None  # the candidate side at the opening spread, if any


@dataclass(frozen=True)
class Forecast:
    record: GameRecord
    models: Mapping[str, ModelForecast]


def _best_bet(cover: Callable[[float], Outcome], record: GameRecord, spread: float) -> Bet | None:
    """The better side against the best available line of each side (else the given spread)."""
    home_line = record.spread_home_best if record.spread_home_best is not None else spread
    away_line = record.spread_away_best if record.spread_away_best is not None else -spread
    home_price = record.spread_home_best_price or DEFAULT_PRICE
    away_price = record.spread_away_best_price or DEFAULT_PRICE
    h = cover(home_line)
    a = cover(-away_line)  # the away side at +x is the home side at -x, the other way round
    home = Bet("home", home_line, home_price, h.win, h.push, edge(h.win, h.push, home_price))
    away = Bet("away", -away_line, away_price, a.loss, a.push, edge(a.loss, a.push, away_price))
    return home if home.edge >= away.edge else away


class Engine:
    def __init__(self, league: League) -> None:
        self.league = league
        config = league.models
        self.params = config
        self.ratings = RatingsState(config["ratings"], config["distribution"])
        self.total_dist = total_distribution(
            config["distribution"], float(config["blend"]["total_sd"])
        )
        self.blend_margin_dist = ratings_module.margin_distribution(
            config["distribution"], float(config["blend"]["margin_sd"])
        )
        self.blend = MarketBlend(config["blend"], self.blend_margin_dist, self.total_dist)
        self.rating_total_dist = total_distribution(
            config["distribution"], float(config["ratings"]["total_sd"])
        )
        play = config["plays"]
        self.kelly_fraction = float(play["kelly_fraction"])
        self.stake_cap = float(play["stake_cap"])
        self.rules = {
            name: RuleRecord(
                name, float(play["min_edge"][name]), int(play["min_bets"]), line="current"
            )
            for name in MODEL_NAMES
        }
        self.rows: list[BlendRow] = []
        self.season: int | None = None

    def fork(self) -> Engine:
        """A copy to forecast from that leaves this engine as it was. Forecasting a date is not
        read-only: it may start a season (regressing the ratings, refitting the blend) and
        registers teams and quarterbacks it has not seen; a batch that walks history once forecasts
        each date from a fork, so no date's forecasts change the state the next date starts from."""
        twin = copy.copy(self)
        twin.ratings = self.ratings.copy()
        twin.blend = copy.copy(self.blend)  # its calibration is immutable, replaced by a refit
        twin.rules = {
            name: replace(rule, history=list(rule.history)) for name, rule in self.rules.items()
        }
        twin.rows = list(self.rows)
        return twin

    # -- one model's side, stake and pick --------------------------------------------------------

    def _bet(
        self,
        name: str,
        record: GameRecord,
        margin: float,
        total: float,
        p_win: float,
        cover: Callable[[float], Outcome],
        over: Callable[[float, float], Outcome],
        open_cover: Callable[[float], Outcome] | None = None,
    ) -> ModelForecast:
        rule = self.rules[name]
        out: dict[str, Any] = {
            "model": name,
            "margin_home": margin,
            "total": total,
            "p_home_win": p_win,
            "rule": rule.snapshot(),
        }
        if record.total_line is not None:
            out["total_line"] = record.total_line
            out["p_over"] = over(total, record.total_line).win
        if record.spread_home is not None:
            at_line = cover(record.spread_home)
            out["p_home_cover"], out["p_push"] = at_line.win, at_line.push
            bet = _best_bet(cover, record, record.spread_home)
            if bet is not None:
                candidate = bet.edge >= rule.min_edge
                earned = candidate and rule.earned
                team = record.game.home_team_id if bet.side == "home" else record.game.away_team_id
                line = bet.spread_home if bet.side == "home" else -bet.spread_home
                out.update(
                    spread_home=bet.spread_home,
                    side=bet.side,
                    price=bet.price,
                    edge=bet.edge,
                    fair_american=fair_american(bet.p_win, bet.p_push),
                    is_candidate=candidate,
                    stake=(
                        stake(bet.p_win, bet.p_push, bet.price, self.kelly_fraction, self.stake_cap)
                        if earned
                        else 0.0
                    ),
                    pick=f"{team} {format_line(line)}" if earned else None,
                )
            opening = record.open_spread_home
            if opening is not None:
                opened = GameRecord(game=record.game, spread_home=opening)
                open_bet = _best_bet(open_cover or cover, opened, opening)
                if open_bet is not None and open_bet.edge >= rule.min_edge:
                    out["open_bet"] = open_bet
        return ModelForecast(**out)

    def _forecast(self, record: GameRecord) -> tuple[Forecast, BlendRow | None]:
        r = self.ratings.forecast(record.game)
        ratings_dist = self.ratings.margin_dist
        forecasts = {
            ratings_module.MODEL_NAME: self._bet(
                ratings_module.MODEL_NAME,
                record,
                r.margin_home,
                r.total,
                r.p_home_win,
                lambda s: ratings_dist.home_cover(r.margin_home, s),
                self.rating_total_dist.above,
            )
        }
        row = None
        if record.spread_home is not None:
            p_market = self.blend.market_p_win(record.spread_home, record.p_vigfree_home)
            b = self.blend.forecast(
                r.margin_home,
                r.total,
                r.p_home_win,
                record.spread_home,
                record.total_line,
                p_market,
            )
            if record.is_final:
                row = BlendRow(
                    rating_margin=r.margin_home,
                    rating_total=r.total,
                    rating_p_win=r.p_home_win,
                    spread_home=record.spread_home,
                    total_line=record.total_line,
                    p_market_win=p_market,
                    margin=record.margin,
                    points=record.points,
                )
            forecasts[blend_module.MODEL_NAME] = self._bet(
                blend_module.MODEL_NAME,
                record,
                b.margin_home,
                b.total,
                b.p_home_win,
                lambda s: self.blend.cover(b.margin_home, s),
                self.blend.over,
                self._open_cover(r, record),
            )
        else:  # no line: the blend has nothing to blend, it is the ratings' number
            forecasts[blend_module.MODEL_NAME] = ModelForecast(
                model=blend_module.MODEL_NAME,
                margin_home=r.margin_home,
                total=r.total,
                p_home_win=r.p_home_win,
                rule=self.rules[blend_module.MODEL_NAME].snapshot(),
            )
        return Forecast(record, forecasts), row

    def _open_cover(
        self, r: ratings_module.RatingForecast, record: GameRecord
    ) -> Callable[[float], Outcome] | None:
        """The blend as it stood when the line opened: fed the opener (and no moneyline), so its
        open bets and their closing-line value never use the closing number."""
        opening = record.open_spread_home
        if opening is None:
            return None
        p_market = self.blend.market_p_win(opening, None)
        b = self.blend.forecast(
            r.margin_home, r.total, r.p_home_win, opening, record.open_total, p_market
        )
        return lambda s: self.blend.cover(b.margin_home, s)

    # -- the walk ----------------------------------------------------------------------------------

    def walk(
        self,
        records: Sequence[GameRecord],
        keep: Callable[[GameRecord], bool] | None = None,
        progress: ProgressCallback | None = None,
    ) -> list[Forecast]:
        """Forecast every record (date order required), returning those `keep` selects (all by
        default). `progress(done, total, date)` is called after each date that has a kept game."""
        by_date: list[list[GameRecord]] = []
        for rec in records:
            if by_date and by_date[-1][0].game.game_date == rec.game.game_date:
                by_date[-1].append(rec)
            else:
                if by_date and rec.game.game_date < by_date[-1][0].game.game_date:
                    raise ValueError("records must be in date order")
                by_date.append([rec])
        kept_dates = sum(1 for day in by_date if keep is None or any(keep(r) for r in day))
        done = 0
        out: list[Forecast] = []
        for day in by_date:
            season = max(r.game.season for r in day)
            if self.season is None or season > self.season:
                self.season = season
                self.blend.refit(self.rows)
            results = [self._forecast(r) for r in day]
            for forecast, row in results:
                rec = forecast.record
                if rec.is_final:
                    assert rec.home_score is not None and rec.away_score is not None
                    margin = rec.home_score - rec.away_score
                    for name, mf in forecast.models.items():
                        if mf.is_candidate and mf.side is not None and mf.spread_home is not None:
                            self.rules[name].grade(
                                grade_side(mf.side == "home", margin, mf.spread_home)
                            )
                    if row is not None:
                        self.rows.append(row)
            for rec in day:
                if rec.is_final:
                    assert rec.home_score is not None and rec.away_score is not None
                    self.ratings.update(rec.game, rec.home_score, rec.away_score)
            wanted = [f for f, _ in results if keep is None or keep(f.record)]
            out.extend(wanted)
            if wanted and progress is not None:
                done += 1
                progress(done, kept_dates, day[0].game.game_date.isoformat())
        return out


def as_params(value: Any) -> Any:
    """Parameters as plain JSON-able data (for hashing and storing)."""
    if isinstance(value, Mapping):
        return {str(k): as_params(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [as_params(v) for v in value]
    return value


def distribution_of(league: League) -> KeyedDistribution:
    return ratings_module.margin_distribution(
        league.models["distribution"], float(league.models["blend"]["margin_sd"])
    )
