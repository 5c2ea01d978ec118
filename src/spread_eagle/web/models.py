"""Response models: they generate the OpenAPI schema of the JSON API (/openapi.json).

Documents are served as published (the slate byte for byte), so these describe them rather than
re-serialize them; tests validate every API response against the generated schema. Fields may be
added to a document (DESIGN.md), so the models do not forbid extra keys.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Market(BaseModel):
    spread_home: float | None
    total: float | None
    moneyline_home: int | None
    moneyline_away: int | None
    open_spread_home: float | None
    open_total: float | None = None
    books: int
    captured_at: str | None


class ModelNumbers(BaseModel):
    """What every model says of a game, on a card and in a game's predictions."""

    model: str
    model_version: str
    margin_home: float | None
    total: float | None
    p_home_win: float | None
    p_home_cover: float | None
    p_over: float | None


class Prediction(ModelNumbers):
    edge: float | None
    play: str | None
    stake: float | None = Field(
        None, description="Share of bankroll to risk on the play (fractional Kelly, capped)"
    )


class Tldr(BaseModel):
    text: str | None
    provider: str | None
    model: str | None
    grounded: bool


class Result(BaseModel):
    home_score: int
    away_score: int
    home_covered: bool | None


class Game(BaseModel):
    game_id: str
    kickoff_at: str | None
    home_team: str
    away_team: str
    status: str
    neutral_site: bool = False
    market: Market
    predictions: list[Prediction]
    tldr: Tldr | None
    result: Result | None


class SlateDocument(BaseModel):
    """The published slate (DESIGN.md), exactly what `slate --date D --json` prints."""

    date: str
    league: str
    run_id: str
    published_at: str | None
    games: list[Game]


class SlateSummary(BaseModel):
    date: str
    league: str
    run_id: str
    games: int
    published_at: str | None
    document_hash: str
    url: str
    page: str


class LineSnapshot(BaseModel):
    book: str
    source: str | None
    market: str
    side: str
    captured_at: str
    line: float | None
    price: int | None


class PredictionRecord(ModelNumbers):
    spread_home: float | None
    total_line: float | None
    edge: float | None
    play: str | None
    run_id: str
    predicted_at: str | None


class GameDetail(BaseModel):
    """A published game: its card, line history by book up to the run's as-of, the payload
    behind its TL;DR and every model's prediction."""

    game_id: str
    league: str
    date: str
    run_id: str
    as_of: str
    card: Game
    line_history: list[LineSnapshot]
    tldr_context: dict[str, Any] | None
    tldr_context_hash: str | None
    grounding: str | None
    predictions: list[PredictionRecord]


class StepRun(BaseModel):
    step: str
    ordinal: int
    status: str
    started_at: str | None
    ended_at: str | None
    seconds: float | None
    row_counts: dict[str, Any]
    model_version: str | None
    dbt_status: str | None
    llm_status: str | None
    detail: str | None
    error: str | None


class Publication(BaseModel):
    league: str
    run_date: str
    games: int
    document_hash: str
    published_at: str | None


class Run(BaseModel):
    run_id: str
    league: str
    run_date: str
    as_of: str | None
    env: str
    status: str
    from_step: str | None
    command: str
    started_at: str | None
    ended_at: str | None
    seconds: float | None
    error: str | None
    publication: Publication | None
    steps: list[StepRun]


class Health(BaseModel):
    status: str
    published: str


class ErrorBody(BaseModel):
    detail: str
    status: int
