"""Walk-forward backtest: every game of seasons A..B predicted with only what was known before it.

The games come from the replay games file (`settings.resolved_games_file`, nflverse format) read
through the same parser the daily run uses (`parse_games_csv`: unusable rows are dropped with
their reason, team names resolved through the league's alias table), and the same one sign
conversion as staging: nflverse `spread_line` is positive when the HOME team is favored, our
`spread_home = -spread_line`. Nothing is read from the warehouse, so a fresh checkout can run it.

Walk-forward: the games are grouped by `game_date` (the league-local date). For each date, the
model is fitted on finished games strictly before that date (and, as in the daily predict step,
only the current season and the `seasons_of_history` before it), then predicts that date's games
from their closing lines. No game's own result, nor any later game's, reaches its prediction.

Metric definitions (`metrics.json`, DESIGN.md shape). "Graded" games are games of a season in
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

import bisect
import html
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from spread_eagle.config import Settings
from spread_eagle.ingest.parsers.nflverse_csv import COLUMNS, parse_games_csv, spread_home
from spread_eagle.ingest.payload import Payload
from spread_eagle.ingest.providers.replay import ReplayProvider
from spread_eagle.leagues import League, load_league
from spread_eagle.odds import BREAK_EVEN_AT_MINUS_110, WIN_AT_MINUS_110, vig_free
from spread_eagle.predict.ratings import FinishedGame, Prediction, RatingsModel

CALIBRATION_BINS = 10
DIGITS = 6
_EPS = 1e-6


class BacktestError(ValueError):
    pass


@dataclass(frozen=True)
class HistoricalGame:
    """One game of the history, sign conventions already ours (`spread_home` as a book prints it)."""

    game_id: str
    season: int
    game_type: str
    game_date: date
    home_team_id: str
    away_team_id: str
    is_neutral_site: bool
    home_score: int | None
    away_score: int | None
    spread_home: float | None
    total_line: float | None
    moneyline_home: int | None
    moneyline_away: int | None
    open_spread_home: float | None = None

    @property
    def is_final(self) -> bool:
        return self.home_score is not None and self.away_score is not None

    @property
    def margin(self) -> int:
        assert self.home_score is not None and self.away_score is not None
        return self.home_score - self.away_score

    @property
    def points(self) -> int:
        assert self.home_score is not None and self.away_score is not None
        return self.home_score + self.away_score

    def finished(self) -> FinishedGame:
        assert self.home_score is not None and self.away_score is not None
        return FinishedGame(
            self.game_date,
            self.home_team_id,
            self.away_team_id,
            self.is_neutral_site,
            self.home_score,
            self.away_score,
        )

    @property
    def opening_spread(self) -> float | None:
        """The opening spread, or the closing one where the source has no opener."""
        return self.spread_home if self.open_spread_home is None else self.open_spread_home

    def features(self, opening: bool = False) -> dict[str, Any]:
        """What the model sees before kickoff: teams, venue and the lines (never the score).

        The feature names are feat__game's; with `opening` the opening spread stands in for the close.
        """
        return {
            "game_id": self.game_id,
            "home_team_id": self.home_team_id,
            "away_team_id": self.away_team_id,
            "is_neutral_site": self.is_neutral_site,
            "spread_home_current": self.opening_spread if opening else self.spread_home,
            "total_current": self.total_line,
        }


@dataclass(frozen=True)
class Forecast:
    game: HistoricalGame
    prediction: Prediction  # made with the closing lines
    at_open: (
        Prediction  # the same fitted model given the opening lines (the closing ones where none)
    )


def _number(value: str | None) -> float | None:
    return None if value is None or not value.strip() else float(value)


def _integer(value: str | None) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def load_games(
    games_file: Path, league: League, lines_file: Path | None = None
) -> list[HistoricalGame]:
    """Every usable game of an nflverse-format CSV, oldest first (kickoff date, then game_id), with
    its opening spread from the open/close sheet `lines_file` where that has one."""
    if not games_file.is_file():
        raise BacktestError(f"games file not found: {games_file} (set SPREAD_EAGLE_GAMES_FILE)")
    payload = Payload(
        source="backtest",
        endpoint="games.csv",
        body=games_file.read_text(encoding="utf-8-sig"),
        fetched_at=datetime.now(UTC),
        content_type="text/csv",
    )
    parsed = parse_games_csv(payload, league)
    rows = [dict(zip(COLUMNS, row, strict=True)) for row in parsed.rows]
    openers = (
        ReplayProvider(league, games_file, lines_file).opening_lines(rows)
        if lines_file is not None
        else {}
    )
    games = []
    for row in rows:
        game_id = str(row["game_id"])
        games.append(
            HistoricalGame(
                game_id=game_id,
                season=int(str(row["season"])),
                game_type=str(row["game_type"]),
                game_date=date.fromisoformat(str(row["gameday"])),
                home_team_id=league.team_id(row["home_team"]) or str(row["home_team"]),
                away_team_id=league.team_id(row["away_team"]) or str(row["away_team"]),
                is_neutral_site=row["location"] == "Neutral",
                home_score=_integer(row["home_score"]),
                away_score=_integer(row["away_score"]),
                spread_home=spread_home(_number(row["spread_line"])),
                total_line=_number(row["total_line"]),
                moneyline_home=_integer(row["home_moneyline"]),
                moneyline_away=_integer(row["away_moneyline"]),
                open_spread_home=openers.get(game_id),
            )
        )
    return sorted(games, key=lambda g: (g.game_date, g.game_id))


def walk_forward(
    model: RatingsModel,
    games: Sequence[HistoricalGame],
    start_season: int,
    end_season: int,
    on_date: Callable[[date, int], None] | None = None,
) -> list[Forecast]:
    """Predict every game of seasons start..end, each date fitted on finished games strictly before it.

    `games` must be sorted by date (load_games does). `on_date(day, done_dates)` reports progress.
    """
    history_seasons = int(model.params["seasons_of_history"])
    days = [g.game_date for g in games]
    seasons = [g.season for g in games]
    finished = [g.finished() if g.is_final else None for g in games]
    by_date: dict[date, list[HistoricalGame]] = defaultdict(list)
    for game in games:
        if start_season <= game.season <= end_season:
            by_date[game.game_date].append(game)
    forecasts: list[Forecast] = []
    for done, day in enumerate(sorted(by_date), start=1):
        todays = by_date[day]
        season = max(g.season for g in todays)
        cutoff = bisect.bisect_left(days, day)  # games[:cutoff] are strictly before `day`
        first = bisect.bisect_left(seasons, season - history_seasons, hi=cutoff)
        history = [
            f
            for f, s in zip(finished[first:cutoff], seasons[first:cutoff], strict=True)
            if f is not None and s >= season - history_seasons
        ]
        fitted = model.fit(history, day)
        at_close = model.predict(fitted, [g.features() for g in todays])
        at_open = model.predict(fitted, [g.features(opening=True) for g in todays])
        forecasts.extend(
            Forecast(g, c, o) for g, c, o in zip(todays, at_close, at_open, strict=True)
        )
        if on_date is not None:
            on_date(day, done)
    return forecasts


# -- metrics ----------------------------------------------------------------------------------


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


# -- the command ------------------------------------------------------------------------------


def evaluate(
    settings: Settings,
    start_season: int,
    end_season: int,
    show_progress: bool = True,
    games: Sequence[HistoricalGame] | None = None,
) -> tuple[dict[str, Any], list[Forecast]]:
    """metrics.json's document and the forecasts behind it (games default to the replay file)."""
    if end_season < start_season:
        raise BacktestError(f"--end-season {end_season} is before --start-season {start_season}")
    league = load_league(settings.league)
    if games is None:
        games = load_games(settings.resolved_games_file, league, settings.resolved_lines_file)
    evaluated = [g for g in games if start_season <= g.season <= end_season and g.is_final]
    if not evaluated:
        raise BacktestError(
            f"no finished games in seasons {start_season}-{end_season} of "
            f"{settings.resolved_games_file}"
        )
    model = RatingsModel(league)
    if show_progress:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        total = len({g.game_date for g in games if start_season <= g.season <= end_season})
        with Progress(
            TextColumn("backtest {task.fields[day]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        ) as progress:
            task = progress.add_task("backtest", total=total, day="")
            forecasts = walk_forward(
                model,
                games,
                start_season,
                end_season,
                lambda day, done: progress.update(task, completed=done, day=day.isoformat()),
            )
    else:
        forecasts = walk_forward(model, games, start_season, end_season)
    metrics = {
        "start_season": start_season,
        "end_season": end_season,
        "games": len(evaluated),
        "market": market_metrics(evaluated),
        "models": {model.name: model_metrics(forecasts, model.version)},
    }
    return metrics, forecasts


def run_backtest(
    settings: Settings,
    start_season: int,
    end_season: int,
    out_dir: Path,
    show_progress: bool = True,
) -> dict[str, Any]:
    """Evaluate, then write DIR/metrics.json and DIR/report.html; returns the metrics document."""
    metrics, forecasts = evaluate(settings, start_season, end_season, show_progress=show_progress)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    (out_dir / "report.html").write_text(
        render_report(metrics, forecasts, settings.resolved_games_file.name), encoding="utf-8"
    )
    return metrics


# -- the report -------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1c2430;background:#f6f7f9}
main{max-width:960px;margin:0 auto;padding:24px 16px 48px}
h1{font-size:1.6rem;margin:0 0 4px}h2{font-size:1.15rem;margin:32px 0 8px}
p.sub{color:#5b6675;margin:0 0 16px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde2e8;border-radius:6px;font-size:.92rem}
th,td{padding:7px 10px;text-align:right;border-bottom:1px solid #edf0f3}
th:first-child,td:first-child{text-align:left}th{background:#eef1f5;font-weight:600}
.better{color:#0a7a3d;font-weight:600}.worse{color:#b42318}
.wrap{overflow-x:auto}svg{background:#fff;border:1px solid #dde2e8;border-radius:6px;max-width:100%;height:auto}
dl{font-size:.9rem;color:#3a4552}dt{font-weight:600;margin-top:8px}dd{margin:2px 0 0 0}
"""


def _fmt(value: Any, digits: int = 4) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.{digits}f}"
    return html.escape(str(value))


def _calibration_svg(table: Sequence[dict[str, Any]]) -> str:
    size, pad = 320, 36
    span = size - 2 * pad

    def xy(p: float, y: float) -> tuple[float, float]:
        return pad + p * span, size - pad - y * span

    parts = [
        f'<svg viewBox="0 0 {size} {size}" width="{size}" height="{size}" role="img" '
        'aria-label="Calibration: predicted home win probability against observed win rate">',
        f'<line x1="{pad}" y1="{size - pad}" x2="{size - pad}" y2="{pad}" stroke="#9aa5b1" stroke-dasharray="4 4"/>',
        f'<line x1="{pad}" y1="{size - pad}" x2="{size - pad}" y2="{size - pad}" stroke="#1c2430"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{size - pad}" stroke="#1c2430"/>',
    ]
    for tick in (0.0, 0.5, 1.0):
        x, _ = xy(tick, 0)
        _, y = xy(0, tick)
        parts.append(
            f'<text x="{x:.0f}" y="{size - pad + 16}" font-size="11" text-anchor="middle">{tick:g}</text>'
        )
        parts.append(
            f'<text x="{pad - 6}" y="{y + 4:.0f}" font-size="11" text-anchor="end">{tick:g}</text>'
        )
    points = [xy(row["mean_p"], row["win_rate"]) for row in table]
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1f6feb" stroke-width="2"/>')
    for (x, y), row in zip(points, table, strict=True):
        radius = 3 + min(6.0, row["games"] / 80)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="#1f6feb" fill-opacity=".7">'
            f"<title>{row['games']} games: predicted {row['mean_p']:.3f}, won {row['win_rate']:.3f}</title></circle>"
        )
    parts.append(
        f'<text x="{size / 2}" y="{size - 4}" font-size="11" text-anchor="middle">predicted P(home win)</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def render_report(metrics: dict[str, Any], forecasts: Sequence[Forecast], source_name: str) -> str:
    """A self-contained HTML page (inline CSS and SVG, no external assets)."""
    market = metrics["market"]
    rows = []
    for key, label in (
        ("spread_mae", "Spread MAE (points)"),
        ("total_mae", "Total MAE (points)"),
        ("win_brier", "Win Brier"),
        ("win_logloss", "Win log loss"),
        ("su_accuracy", "Straight-up accuracy"),
    ):
        cells = [f"<td>{_fmt(market[key])}</td>"]
        for m in metrics["models"].values():
            higher_is_better = key == "su_accuracy"
            better = (m[key] > market[key]) if higher_is_better else (m[key] < market[key])
            cells.append(f'<td class="{"better" if better else "worse"}">{_fmt(m[key])}</td>')
        rows.append(f'<tr><th scope="row">{label}</th>{"".join(cells)}</tr>')
    model_heads = "".join(
        f"<th>{html.escape(name)}<br><small>{html.escape(m['model_version'])}</small></th>"
        for name, m in metrics["models"].items()
    )
    betting = []
    for name, m in metrics["models"].items():
        for key, label in (("ats_vs_close", "vs close"), ("ats_vs_open", "vs open")):
            a = m[key]
            betting.append(
                f"<tr><td>{html.escape(name)} {label}</td><td>{a['wins']}</td><td>{a['losses']}</td>"
                f"<td>{a['pushes']}</td><td>{_fmt(a['pct'], 3)}</td></tr>"
            )
    extra = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{_fmt(m['cover_brier'])}</td><td>{_fmt(m['calibration_ece'])}</td>"
        f"<td>{_fmt(m['roi_at_minus110'])}</td><td>{_fmt(m['clv_mean_points'], 2)}</td><td>{m['open_lines']}</td></tr>"
        for name, m in metrics["models"].items()
    )
    decided = [
        (f.prediction.p_home_win, 1.0 if f.game.margin > 0 else 0.0)
        for f in forecasts
        if f.game.is_final and f.game.margin != 0
    ]
    table = calibration(decided)
    calib_rows = "".join(
        f"<tr><td>{r['low']:.1f}-{r['high']:.1f}</td><td>{r['games']}</td><td>{r['mean_p']:.3f}</td>"
        f"<td>{r['win_rate']:.3f}</td><td>{r['win_rate'] - r['mean_p']:+.3f}</td></tr>"
        for r in table
    )
    season_html = "".join(
        f"<tr><td>{r['season']}</td><td>{r['games']}</td><td>{_fmt(r['market_spread_mae'], 2)}</td>"
        f"<td>{_fmt(r['model_spread_mae'], 2)}</td><td>{r['ats']['wins']}-{r['ats']['losses']}-{r['ats']['pushes']}</td>"
        f"<td>{_fmt(r['ats']['pct'], 3)}</td></tr>"
        for r in season_rows(forecasts)
    )
    title = f"Spread Eagle backtest {metrics['start_season']}-{metrics['end_season']}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{_CSS}</style></head>
<body><main>
<h1>{html.escape(title)}</h1>
<p class="sub">Walk-forward on {metrics["games"]} graded games from {html.escape(source_name)}: each game date is predicted
by a model fitted only on games finished before it. Green beats the closing market, red does not.</p>
<h2>Against the closing market</h2>
<div class="wrap"><table><thead><tr><th>metric</th><th>market (close)</th>{model_heads}</tr></thead>
<tbody>{"".join(rows)}</tbody></table></div>
<h2>Betting the model's plays at -110</h2>
<div class="wrap"><table><thead><tr><th>model</th><th>wins</th><th>losses</th><th>pushes</th><th>win %</th></tr></thead>
<tbody>{"".join(betting)}</tbody></table></div>
<p class="sub">Break-even at -110 is {BREAK_EVEN_AT_MINUS_110:.3f}.</p>
<div class="wrap"><table><thead><tr><th>model</th><th>cover Brier</th><th>calibration ECE</th><th>ROI per bet</th>
<th>mean CLV (points)</th><th>games with an opener</th></tr></thead><tbody>{extra}</tbody></table></div>
<h2>Calibration of P(home win)</h2>
{_calibration_svg(table)}
<div class="wrap"><table><thead><tr><th>predicted</th><th>games</th><th>mean predicted</th><th>home win rate</th>
<th>difference</th></tr></thead><tbody>{calib_rows}</tbody></table></div>
<h2>By season</h2>
<div class="wrap"><table><thead><tr><th>season</th><th>games</th><th>market spread MAE</th><th>model spread MAE</th>
<th>ATS vs close</th><th>ATS %</th></tr></thead><tbody>{season_html}</tbody></table></div>
<h2>Definitions</h2>
<dl>
<dt>Market</dt><dd>The closing line is the forecast: -spread for the margin, the total for points, the vig-free
moneyline probability for the winner (games with both moneylines, ties excluded). Straight-up accuracy is the closing
spread favourite's, on decided games with a favourite.</dd>
<dt>Plays</dt><dd>The model plays a side when its cover probability beats the -110 break-even. "vs close" plays and
grades at the closing line; "vs open" hands the model the opening line (aussportsbetting sheet, 2014 to 2024 week 3;
the close where a game has no opener) and grades at it. CLV is how far the line then moved toward the open play.</dd>
<dt>ECE</dt><dd>Expected calibration error over ten equal-width probability bins.</dd>
</dl>
</main></body></html>
"""


def with_result(
    games: Sequence[HistoricalGame], game_id: str, home_score: int, away_score: int
) -> list[HistoricalGame]:
    """A copy of `games` where one game's final score is changed (what-if analysis, leakage tests)."""
    return [
        replace(g, home_score=home_score, away_score=away_score) if g.game_id == game_id else g
        for g in games
    ]
