"""The JSON API. Documents are served as published: `/api/slates/{date}` is byte for byte what
`slate --date D --json` prints (both read it through `publish.documents`)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from spread_eagle.publish.documents import GameNotFoundError
from spread_eagle.publish.slate import SlateNotFoundError
from spread_eagle.web.models import ErrorBody, GameDetail, Health, Run, SlateDocument, SlateSummary
from spread_eagle.web.state import Web, WebDep, WebError, parse_day

router = APIRouter(tags=["api"])
League = Annotated[
    str | None, Query(description="League id (default: the configured league, nfl).")
]
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "A malformed date or an unknown league"},
    404: {"model": ErrorBody, "description": "Nothing published under that name"},
}


def summaries(web: Web, league: str) -> list[dict[str, Any]]:
    _, index = web.reader.index(league)
    return [
        {
            "date": s["date"],
            "league": s["league"],
            "run_id": s["run_id"],
            "games": s["games"],
            "published_at": s["published_at"],
            "document_hash": s["document_hash"],
            "url": f"/api/slates/{s['date']}?league={s['league']}",
            "page": f"/slates/{s['date']}?league={s['league']}",
        }
        for s in index
    ]


@router.get("/api/slates", response_model=list[SlateSummary], responses=ERRORS)
async def list_slates(web: WebDep, league: League = None) -> Response:
    """Published slates, newest date first."""
    return JSONResponse(await web.call(summaries, web, web.league(league).league))


@router.get("/api/slates/{day}", response_model=SlateDocument, responses=ERRORS)
async def get_slate(day: str, web: WebDep, league: League = None) -> Response:
    """The published slate of a date (YYYY-MM-DD), exactly as `slate --date D --json` prints it."""
    name = web.league(league).league
    try:
        slate = await web.call(web.reader.slate, name, parse_day(day))
    except SlateNotFoundError as exc:
        raise WebError(HTTPStatus.NOT_FOUND, str(exc)) from None
    return Response(slate.text, media_type="application/json")


@router.get("/api/games/{game_id}", response_model=GameDetail, responses=ERRORS)
def get_game(game_id: str, web: WebDep, league: League = None) -> Response:
    """A published game: card, line history by book, the TL;DR's payload and the predictions."""
    try:
        return JSONResponse(web.reader.game(web.league(league).league, game_id))
    except GameNotFoundError as exc:
        raise WebError(HTTPStatus.NOT_FOUND, str(exc)) from None


@router.get("/api/runs", response_model=list[Run])
def list_runs(web: WebDep) -> Response:
    """Recent runs, newest first, each step with its status, duration, counts and error."""
    return JSONResponse(web.reader.runs())


@router.get("/api/runs/{run_id}", response_model=Run, responses=ERRORS)
def get_run(web: WebDep, run_id: str) -> Response:
    """One recent run, step by step."""
    return JSONResponse(find_run(web, run_id))


@router.get("/healthz", response_model=Health)
def health(web: WebDep) -> Response:
    """The server is up and its published documents are readable."""
    return JSONResponse(web.reader.health())


def find_run(web: Web, run_id: str) -> dict[str, Any]:
    for run in web.reader.runs():
        if run["run_id"] == run_id:
            return run
    raise WebError(HTTPStatus.NOT_FOUND, f"no recent run {run_id!r}; see /runs")
