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
- `cover_brier`: mean (P(cover | no push) - covered)^2 on games with a closing spread that did
  not push; covered is 1 when margin + spread_home > 0.
- `calibration_ece`: expected calibration error of `p_home_win`: decided games binned in ten
  equal-width probability bins, sum over bins of (bin games / games) * |mean p - win rate|.
- `ats_vs_close`: the model's rule bets (its better side when the edge, P(cover | decided) over
  the price's break-even, reaches the rule's `min_edge` in the league config) graded against the
  closing line: wins, losses, pushes, pct = wins / (wins + losses) (0.0 with no decided bets),
  and `pct_ci95`, a 95% bootstrap interval (2,000 resamples of the bets, fixed seed).
- `ats_vs_open`: the same forecast handed the OPENING spread (aussportsbetting sheet, true
  openers 2014 to 2024 week 3; the close where a game has none), its rule bet graded at it.
- `roi_at_minus110` (+ `_ci95`): profit per bet of the close bets at -110 (+100/110, -1, push 0).
- `clv_mean_points` (+ `_ci95`): mean points the line moved toward the open bets from open to
  close (home bet: open - close; away bet: close - open). `open_lines` counts real openers.
- `published_plays`: the bets the daily run would have published: a rule bet only once the
  rule's own walk-forward record (earlier bets only) is above the -110 break-even.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from spread_eagle.odds import WIN_AT_MINUS_110, vig_free
from spread_eagle.predict.engine import Forecast, GameRecord

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


def market_metrics(games: Sequence[GameRecord]) -> dict[str, float | None]:
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


BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 20150910  # fixed: two backtests of the same input write the same bytes


def _grade_results(bets: Sequence[tuple[bool, int, float]]) -> list[str]:
    return [_grade(home, margin, line) for home, margin, line in bets]


def _bootstrap(results: Sequence[str], clv: Sequence[float], seed: int) -> dict[str, Any]:
    """95% percentile intervals of win pct, ROI at -110 and mean CLV over resampled bets."""
    if not results:
        return {"pct": None, "roi": None, "clv": None}
    rng = np.random.default_rng(seed)
    outcome = np.array([1 if r == "win" else -1 if r == "loss" else 0 for r in results])
    idx = rng.integers(0, len(outcome), size=(BOOTSTRAP_SAMPLES, len(outcome)))
    sample = outcome[idx]
    wins, losses = (sample == 1).sum(axis=1), (sample == -1).sum(axis=1)
    decided = np.maximum(wins + losses, 1)
    pct = wins / decided
    roi = (wins * WIN_AT_MINUS_110 - losses) / len(outcome)

    def interval(values: np.ndarray) -> list[float | None]:
        lo, hi = np.percentile(values, [2.5, 97.5])
        return [_r(float(lo)), _r(float(hi))]

    out: dict[str, Any] = {"pct": interval(pct), "roi": interval(roi), "clv": None}
    if clv:
        c = np.asarray(clv, dtype=float)
        cidx = rng.integers(0, len(c), size=(BOOTSTRAP_SAMPLES, len(c)))
        out["clv"] = interval(c[cidx].mean(axis=1))
    return out


def _bets(forecasts: Sequence[Forecast], name: str) -> dict[str, Any]:
    """The model's rule bets graded at the close, at the open (with CLV), and its published plays."""
    close: list[tuple[bool, int, float]] = []
    published: list[tuple[bool, int, float]] = []
    opening: list[tuple[bool, int, float]] = []
    clv: list[float] = []
    for f in forecasts:
        if not f.record.is_final:
            continue
        m = f.models[name]
        if m.is_candidate and m.side is not None and m.spread_home is not None:
            close.append((m.side == "home", f.record.margin, m.spread_home))
            if m.pick is not None:
                published.append((m.side == "home", f.record.margin, m.spread_home))
        bet, closing = m.open_bet, f.record.spread_home
        if bet is not None and closing is not None:
            opening.append((bet.side == "home", f.record.margin, bet.spread_home))
            clv.append(
                bet.spread_home - closing if bet.side == "home" else closing - bet.spread_home
            )
    return {"close": close, "published": published, "open": opening, "clv": clv}


def model_metrics(
    forecasts: Sequence[Forecast], name: str, model_version: str, seed: int = BOOTSTRAP_SEED
) -> dict[str, Any]:
    graded = [(f.record, f.models[name]) for f in forecasts if f.record.is_final]
    decided = [(g, m) for g, m in graded if g.margin != 0]
    win_pairs = [(m.p_home_win, 1.0 if g.margin > 0 else 0.0) for g, m in decided]
    cover_pairs = [
        (
            m.p_home_cover / max(1.0 - (m.p_push or 0.0), _EPS),
            1.0 if g.margin + g.spread_home > 0 else 0.0,
        )
        for g, m in graded
        if g.spread_home is not None
        and m.p_home_cover is not None
        and g.margin + g.spread_home != 0
    ]
    bets = _bets(forecasts, name)
    close_results = _grade_results(bets["close"])
    open_results = _grade_results(bets["open"])
    published_results = _grade_results(bets["published"])
    close_ats, open_ats = _ats(close_results), _ats(open_results)
    boot_close = _bootstrap(close_results, bets["clv"], seed)
    boot_open = _bootstrap(open_results, [], seed + 1)
    boot_published = _bootstrap(published_results, [], seed + 2)
    close_ats["pct_ci95"] = boot_close["pct"]
    open_ats["pct_ci95"] = boot_open["pct"]
    published_ats = _ats(published_results)
    published_ats["pct_ci95"] = boot_published["pct"]
    n = len(close_results)
    profit = close_ats["wins"] * WIN_AT_MINUS_110 - close_ats["losses"]
    table = calibration(win_pairs)
    return {
        "model_version": model_version,
        "spread_mae": _r(_mean(abs(g.margin - m.margin_home) for g, m in graded)),
        "total_mae": _r(_mean(abs(g.points - m.total) for g, m in graded)),
        "win_brier": _r(_mean((p - y) ** 2 for p, y in win_pairs)),
        "win_logloss": _r(_mean(_logloss(p, y) for p, y in win_pairs)),
        "su_accuracy": _r(
            _mean(
                float((m.margin_home > 0) == (g.margin > 0))
                for g, m in decided
                if m.margin_home != 0
            )
        ),
        "cover_brier": _r(_mean((p - y) ** 2 for p, y in cover_pairs)),
        "calibration_ece": _r(_ece(table)),
        "ats_vs_close": close_ats,
        "ats_vs_open": open_ats,
        "roi_at_minus110": _r(profit / n) if n else 0.0,
        "roi_at_minus110_ci95": boot_close["roi"],
        "clv_mean_points": _r(_mean(bets["clv"])) if bets["clv"] else 0.0,
        "clv_mean_points_ci95": boot_close["clv"],
        "published_plays": published_ats,
        "open_lines": sum(1 for g, _ in graded if g.open_spread_home is not None),
    }


def season_rows(forecasts: Sequence[Forecast], name: str) -> list[dict[str, Any]]:
    """Per season: market and model spread MAE, win Brier, and the model's rule ATS at the close."""
    by_season: dict[int, list[Forecast]] = defaultdict(list)
    for f in forecasts:
        if f.record.is_final:
            by_season[f.record.game.season].append(f)
    rows = []
    for season, items in sorted(by_season.items()):
        lined = [f for f in items if f.record.spread_home is not None]
        ats = _ats(_grade_results(_bets(items, name)["close"]))
        decided = [f for f in items if f.record.margin != 0]
        rows.append(
            {
                "season": season,
                "games": len(items),
                "market_spread_mae": _mean(
                    abs(f.record.margin + (f.record.spread_home or 0.0)) for f in lined
                ),
                "model_spread_mae": _mean(
                    abs(f.record.margin - f.models[name].margin_home) for f in items
                ),
                "model_win_brier": _mean(
                    (f.models[name].p_home_win - (1.0 if f.record.margin > 0 else 0.0)) ** 2
                    for f in decided
                ),
                "ats": ats,
            }
        )
    return rows


def cumulative_units(forecasts: Sequence[Forecast], name: str) -> list[tuple[str, float]]:
    """Running profit in units of the rule's close bets at -110, by date."""
    total, out = 0.0, []
    for f in forecasts:
        m = f.models[name]
        if (
            f.record.is_final
            and m.is_candidate
            and m.side is not None
            and m.spread_home is not None
        ):
            r = _grade(m.side == "home", f.record.margin, m.spread_home)
            total += WIN_AT_MINUS_110 if r == "win" else -1.0 if r == "loss" else 0.0
            out.append((f.record.game.game_date.isoformat(), total))
    return out


def clv_by_season(forecasts: Sequence[Forecast], name: str) -> list[tuple[int, float, int]]:
    """(season, mean CLV points, open bets) of the model's rule bets at the opener."""
    grouped: dict[int, list[float]] = defaultdict(list)
    for f in forecasts:
        m, close = f.models[name], f.record.spread_home
        if f.record.is_final and m.open_bet is not None and close is not None:
            b = m.open_bet
            grouped[f.record.game.season].append(
                b.spread_home - close if b.side == "home" else close - b.spread_home
            )
    return [(s, _mean(v), len(v)) for s, v in sorted(grouped.items())]
