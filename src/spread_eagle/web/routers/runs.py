"""Runs pages: recent runs with each step's status, duration, counts and errors; one run."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from spread_eagle.web.routers.api import find_run
from spread_eagle.web.state import WebDep

router = APIRouter(include_in_schema=False)


@router.get("/runs")
def runs_page(web: WebDep) -> Response:
    return HTMLResponse(web.render("runs.html", runs=web.reader.runs(), title="Runs"))


@router.get("/runs/{run_id}")
def run_page(web: WebDep, run_id: str) -> Response:
    run = find_run(web, run_id)
    return HTMLResponse(web.render("run.html", run=run, title=f"Run {run_id}"))
