"""The history a backtest walks: every game of a games file as the engine's `GameRecord`, with the
closing lines as the market's number and the opener beside them, sign conventions ours.

The games come from the league's replay games file (`settings.games_file_for(league)`, in the
league's format) read through the same parser the daily run uses (the format's parser: unusable
rows are dropped with their reason, team names resolved through the league's alias table; every
format lands nflverse's columns), with the parser module's
one Python copy of staging's sign conversion (`spread_home = -spread_line`). Opening spreads come
from the replay provider's open/close sheet (`ReplayProvider.opening_lines`). Nothing is read
from the warehouse, so a fresh checkout can run it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from spread_eagle.ingest.parsers.games_file import games_format
from spread_eagle.ingest.parsers.nflverse_csv import COLUMNS, spread_home
from spread_eagle.ingest.payload import Payload
from spread_eagle.ingest.providers.replay import ReplayProvider
from spread_eagle.leagues import League
from spread_eagle.predict.engine import GameRecord
from spread_eagle.predict.ratings import GameInput


class BacktestError(ValueError):
    pass


def with_opener(game: GameRecord) -> GameRecord:
    """The record the backtest walks: where the sheet has no opener, the close stands in for it, so
    every lined game has an open bet to grade (its closing-line value is then 0)."""
    if game.open_spread_home is not None:
        return game
    return replace(game, open_spread_home=game.spread_home)


def _number(value: str | None) -> float | None:
    return None if value is None or not value.strip() else float(value)


def _text(value: str | None) -> str | None:
    return value.strip() if value is not None and value.strip() else None


def _integer(value: str | None) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def load_games(
    games_file: Path, league: League, lines_file: Path | None = None
) -> list[GameRecord]:
    """Every usable game of a games CSV in the league's format, oldest first (kickoff date, then game_id), with
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
    parsed = games_format(league).parse(payload, league)
    rows = [dict(zip(COLUMNS, row, strict=True)) for row in parsed.rows]
    openers = (
        ReplayProvider(league, games_file, lines_file).opening_lines(rows)
        if lines_file is not None
        else {}
    )
    games = []
    for row in rows:
        game_id = str(row["game_id"])
        game = GameInput(
            game_id=game_id,
            season=int(str(row["season"])),
            game_date=date.fromisoformat(str(row["gameday"])),
            home_team_id=league.team_id(row["home_team"]) or str(row["home_team"]),
            away_team_id=league.team_id(row["away_team"]) or str(row["away_team"]),
            is_neutral_site=row["location"] == "Neutral",
            home_rest_days=_integer(row["home_rest"]),
            away_rest_days=_integer(row["away_rest"]),
            home_qb_id=_text(row["home_qb_id"]),
            away_qb_id=_text(row["away_qb_id"]),
        )
        games.append(
            GameRecord(
                game=game,
                spread_home=spread_home(_number(row["spread_line"])),
                total_line=_number(row["total_line"]),
                moneyline_home=_integer(row["home_moneyline"]),
                moneyline_away=_integer(row["away_moneyline"]),
                open_spread_home=openers.get(game_id),
                home_score=_integer(row["home_score"]),
                away_score=_integer(row["away_score"]),
            )
        )
    return sorted(games, key=lambda g: (g.game.game_date, g.game.game_id))


def with_result(
    games: Sequence[GameRecord], game_id: str, home_score: int, away_score: int
) -> list[GameRecord]:
    """A copy of `games` where one game's final score is changed (what-if analysis, leakage tests)."""
    return [
        replace(g, home_score=home_score, away_score=away_score) if g.game.game_id == game_id else g
        for g in games
    ]
