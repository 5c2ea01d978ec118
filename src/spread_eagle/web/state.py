"""What every request handler is handed: settings, the published-document reader, the template
environment; and the one error type handlers raise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from http import HTTPStatus
from importlib import resources
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader

from spread_eagle.config import Settings
from spread_eagle.leagues import League, UnknownLeagueError, known_leagues, load_league
from spread_eagle.publish.documents import PublishedReader, SidecarReader, observe_file

T = TypeVar("T")


class WebError(Exception):
    """An answer other than 200: JSON under /api and /healthz, an HTML page elsewhere."""

    def __init__(
        self, status: HTTPStatus, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def template_env() -> Environment:
    folder = resources.files("spread_eagle.web") / "templates"
    # Autoescape everything: every stored string (TL;DRs, team names, errors) is untrusted.
    env = Environment(loader=FileSystemLoader(str(folder)), autoescape=True)
    env.trim_blocks = env.lstrip_blocks = True
    return env


@dataclass
class Web:
    settings: Settings
    reader: PublishedReader
    env: Environment = field(default_factory=template_env)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a read on the event loop when it cannot block (stat and cached files), in the
        thread pool when it queries PostgreSQL: the hop to a thread is most of a cached read's
        cost, and the hot routes use this."""
        if isinstance(self.reader, SidecarReader):
            return fn(*args)
        return await run_in_threadpool(fn, *args)

    def league(self, name: str | None) -> League:
        try:
            return load_league(name or self.settings.league, self.settings.leagues_dir)
        except UnknownLeagueError as exc:
            raise WebError(HTTPStatus.BAD_REQUEST, str(exc)) from None

    def backtest_link(self) -> bool:
        """Whether the header links the backtest page; noted as a read, since a cached page
        depends on it."""
        return observe_file(self.settings.backtest_dir / "metrics.json") is not None

    def render(self, template: str, **context: Any) -> str:
        """A page; every page has the league switch (the page's `league`, else the default)."""
        context.setdefault("league", self.settings.league)
        return self.env.get_template(template).render(
            backtest=self.backtest_link(),
            leagues=known_leagues(self.settings.leagues_dir),
            **context,
        )

    def page(self, build: Callable[[], str]) -> HTMLResponse:
        """A rendered page. Pages are kept by the response cache in front of the app
        (`web/cache.py`), which must see everything a page is built from, so it is built each
        time it is asked for here."""
        return HTMLResponse(build())


async def get_web(request: Request) -> Web:  # async: FastAPI runs a sync dependency in a thread
    web: Web = request.app.state.web
    return web


def parse_day(text: str) -> date:
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise WebError(HTTPStatus.BAD_REQUEST, f"{text!r} is not a date like 2024-11-24")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise WebError(HTTPStatus.BAD_REQUEST, f"{text!r} is not a valid calendar date") from None


WebDep = Annotated[Web, Depends(get_web)]
