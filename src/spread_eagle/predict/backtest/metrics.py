"""Backtest metrics: pure functions over in-memory rows (games and their forecasts).

What `metrics.json` (DESIGN.md shape) reports. "Graded" games are games of a season in
A..B that have a final score; only graded games are evaluated. margin = home - away score.

Market (the closing line is the forecast):
- `spread_mae`: mean |margin - (-spread_home)| over graded games with a closing spread.
- `total_mae`: mean |home + away score - total_line| over graded games with a closing total.
- `win_brier`: mean (p - y)^2 where p is the vig-free home win probability from the two closing
  moneylines (each American price -> implied probability, normalised to sum to 1) and y is 1 for
  a home win, 0 for an away win; games with both moneylines, ties excluded.
- `win_logloss`: mean -[y ln p + (1 - y) ln(1 - p)] on the same games.
- `su_accuracy`: share of games won straight up by the closing-spread favourite, on decided
  games (no tie) that have a favourite (spread not 0 / pick'em).

Model (`models.<name>`):
- `spread_mae`, `total_mae`: as above with the model's `margin_home` and `total`.
- `win_brier`, `win_logloss`: the model's `p_home_win` on decided games (ties excluded),
  probabilities clipped to [1e-6, 1 - 1e-6] for the log.
- `su_accuracy`: share of decided games where the sign of `margin_home` names the winner
  (games with a predicted margin of exactly 0 are excluded).
- `cover_brier`: mean (p_home_cover - covered)^2 on games with a closing spread that did not
  push; covered is 1 when margin + spread_home > 0.
- `calibration_ece`: expected calibration error of `p_home_win`: decided games binned in ten
  equal-width probability bins, sum over bins of (bin games / games) * |mean p - win rate|.
- `ats_vs_close`: the model's plays (a side is played when its edge over the -110 break-even is
  positive: the `play` the daily run publishes) graded against the closing line: wins, losses,
  pushes, and pct = wins / (wins + losses) (0.0 with no decided bets).
- `ats_vs_open`: the same fitted model handed the OPENING spread instead of the close (as it
  would have been when the line opened), its play graded against that opener. Openers come from
  the aussportsbetting open/close sheet (`settings.resolved_lines_file`, the bundled one by
  default), matched to the games as the replay provider matches them; it has true openers from
  the 2014 season to 2024 week 3. A game without one (later 2024 games, or no sheet row) uses its
  closing line as its opener. `open_lines` in the model block counts the graded games with a real
  opener.
- `roi_at_minus110`: profit per unit risked betting every close play at -110: a win returns
  +100/110, a loss -1, a push 0, divided by the number of bets (pushes included).
- `clv_mean_points`: closing-line value of the open plays: mean over bets of how many points the
  line moved in the bet's favour from open to close (home bet: open_spread - close_spread; away
  bet: close_spread - open_spread). 0.0 when every opener is the close.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from spread_eagle.odds import WIN_AT_MINUS_110, vig_free
from spread_eagle.predict.backtest.history import HistoricalGame
from spread_eagle.predict.backtest.walk_forward import Forecast

CALIBRATION_BINS = 10
DIGITS = 6
_EPS = 1e-6


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else float("nan")


def _r(value: float) -> float | None:
    """Metrics keep DIGITS decimals; a metric with no games to measure is null."""
    return None if math.isnan(value) else round(value, DIGITS)


def _logloss(p: float, y: float) -> float:
    p = min(max(p, _EPS), 1 - _EPS)
    return -(y * math.log(p) + (1 - y) * math.log(1 - p))


def market_metrics(games: Sequence[HistoricalGame]) -> dict[str, float | None]:
    graded = [g for g in games if g.is_final]
    spread = [g for g in graded if g.spread_home is not None]
    totals = [g for g in graded if g.total_line is not None]
    priced = [
        (vig_free(g.moneyline_home, g.moneyline_away)[0], 1.0 if g.margin > 0 else 0.0)
        for g in graded
        if g.moneyline_home is not None and g.moneyline_away is not None and g.margin != 0
    ]
    favoured = [g for g in spread if g.spread_home != 0 and g.margin != 0]
    return {
        "spread_mae": _r(
            _mean(abs(g.margin + g.spread_home) for g in spread if g.spread_home is not None)
        ),
        "total_mae": _r(
            _mean(abs(g.points - g.total_line) for g in totals if g.total_line is not None)
        ),
        "win_brier": _r(_mean((p - y) ** 2 for p, y in priced)),
        "win_logloss": _r(_mean(_logloss(p, y) for p, y in priced)),
        "su_accuracy": _r(
            _mean(float(((g.spread_home or 0.0) < 0) == (g.margin > 0)) for g in favoured)
        ),
    }


def _grade(side_home: bool, margin: int, spread_home: float) -> str:
    cover = margin + spread_home
    if cover == 0:
        return "push"
    return "win" if (cover > 0) == side_home else "loss"


def _ats(results: Sequence[str]) -> dict[str, Any]:
    wins, losses, pushes = results.count("win"), results.count("loss"), results.count("push")
    return {
        "wins": wins,
        "losses": losses,
        "pushes": pushes,
        "pct": _r(wins / (wins + losses)) if wins + losses else 0.0,
    }


def calibration(
    pairs: Sequence[tuple[float, float]], bins: int = CALIBRATION_BINS
) -> list[dict[str, Any]]:
    """Equal-width reliability bins of (probability, outcome) pairs; empty bins are left out."""
    grouped: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for p, y in pairs:
        grouped[min(int(p * bins), bins - 1)].append((p, y))
    return [
        {
            "low": b / bins,
            "high": (b + 1) / bins,
            "games": len(items),
            "mean_p": _mean(p for p, _ in items),
            "win_rate": _mean(y for _, y in items),
        }
        for b, items in sorted(grouped.items())
    ]


def _ece(table: Sequence[dict[str, Any]]) -> float:
    total = sum(row["games"] for row in table)
    return (
        sum(row["games"] / total * abs(row["mean_p"] - row["win_rate"]) for row in table)
        if total
        else 0.0
    )


def model_metrics(forecasts: Sequence[Forecast], model_version: str) -> dict[str, Any]:
    graded = [f for f in forecasts if f.game.is_final]
    decided = [f for f in graded if f.game.margin != 0]
    win_pairs = [(f.prediction.p_home_win, 1.0 if f.game.margin > 0 else 0.0) for f in decided]
    cover_pairs = [
        (f.prediction.p_home_cover, 1.0 if f.game.margin + f.game.spread_home > 0 else 0.0)
        for f in graded
        if f.game.spread_home is not None
        and f.prediction.p_home_cover is not None
        and f.game.margin + f.game.spread_home != 0
    ]
    close_results: list[str] = []
    open_results: list[str] = []
    clv: list[float] = []
    for f in graded:
        close = f.game.spread_home
        if (
            close is not None
            and f.prediction.p_home_cover is not None
            and f.prediction.play is not None
        ):
            close_results.append(_grade(f.prediction.p_home_cover > 0.5, f.game.margin, close))
        opening, p_open = f.game.opening_spread, f.at_open.p_home_cover
        if (
            opening is not None
            and close is not None
            and p_open is not None
            and f.at_open.play is not None
        ):
            home_side = p_open > 0.5
            open_results.append(_grade(home_side, f.game.margin, opening))
            clv.append(opening - close if home_side else close - opening)
    close_ats = _ats(close_results)
    bets = len(close_results)
    profit = close_ats["wins"] * WIN_AT_MINUS_110 - close_ats["losses"]
    table = calibration(win_pairs)
    return {
        "model_version": model_version,
        "spread_mae": _r(_mean(abs(f.game.margin - f.prediction.margin_home) for f in graded)),
        "total_mae": _r(_mean(abs(f.game.points - f.prediction.total) for f in graded)),
        "win_brier": _r(_mean((p - y) ** 2 for p, y in win_pairs)),
        "win_logloss": _r(_mean(_logloss(p, y) for p, y in win_pairs)),
        "su_accuracy": _r(
            _mean(
                float((f.prediction.margin_home > 0) == (f.game.margin > 0))
                for f in decided
                if f.prediction.margin_home != 0
            )
        ),
        "cover_brier": _r(_mean((p - y) ** 2 for p, y in cover_pairs)),
        "calibration_ece": _r(_ece(table)),
        "ats_vs_close": close_ats,
        "ats_vs_open": _ats(open_results),
        "roi_at_minus110": _r(profit / bets) if bets else 0.0,
        "clv_mean_points": _r(_mean(clv)) if clv else 0.0,
        "open_lines": sum(1 for f in graded if f.game.open_spread_home is not None),
    }


def season_rows(forecasts: Sequence[Forecast]) -> list[dict[str, Any]]:
    """Per-season spread MAE of market and model and the model's ATS record, for the report."""
    by_season: dict[int, list[Forecast]] = defaultdict(list)
    for f in forecasts:
        if f.game.is_final:
            by_season[f.game.season].append(f)
    rows = []
    for season, items in sorted(by_season.items()):
        lined = [f for f in items if f.game.spread_home is not None]
        ats = _ats(
            [
                _grade(
                    (f.prediction.p_home_cover or 0) > 0.5, f.game.margin, f.game.spread_home or 0.0
                )
                for f in lined
                if f.prediction.play is not None
            ]
        )
        rows.append(
            {
                "season": season,
                "games": len(items),
                "market_spread_mae": _mean(
                    abs(f.game.margin + (f.game.spread_home or 0.0)) for f in lined
                ),
                "model_spread_mae": _mean(
                    abs(f.game.margin - f.prediction.margin_home) for f in items
                ),
                "ats": ats,
            }
        )
    return rows
