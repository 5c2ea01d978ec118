"""`spread-eagle serve`: the read-only web UI and JSON API over the published documents.

FastAPI with one router per resource, Jinja2 templates with autoescape, served by uvicorn. Every
page and document comes from `publish.documents` (the same reader as `slate --json`): on DuckDB it
reads the files publish exported and never opens the warehouse, so the server cannot be in a
running pipeline's way; on PostgreSQL it reads publish.*. Nothing here writes.
"""

from __future__ import annotations

import gc
import logging
from http import HTTPStatus
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spread_eagle import __version__
from spread_eagle.config import Settings
from spread_eagle.publish.documents import (
    PublishedReader,
    SidecarReader,
    WarehouseReader,
    reader_for,
)
from spread_eagle.warehouse import WarehouseError
from spread_eagle.web.cache import ResponseCache
from spread_eagle.web.routers import api, backtest, docs, games, runs, slates
from spread_eagle.web.state import Web, WebError

log = logging.getLogger(__name__)

# Pages load nothing from elsewhere and run no script; charts are inline SVG.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """Plain ASGI middleware (cheaper per request than BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP.encode()))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cache-control", b"no-cache"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path in ("/api", "/healthz", "/openapi.json")


def _error(request: Request, status: int, message: str, headers: dict[str, str]) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message, "status": status}, status, headers=headers)
    web: Web = request.app.state.web
    html = web.render("error.html", status=status, message=message, title=HTTPStatus(status).phrase)
    return HTMLResponse(html, status, headers=headers)


def create_app(settings: Settings, reader: PublishedReader | None = None) -> FastAPI:
    app = FastAPI(
        title="Spread Eagle",
        version=__version__,
        summary="Published NFL slates: lines, model numbers, TL;DRs and results (read-only).",
        docs_url=None,  # FastAPI's /docs and /redoc load their scripts from a CDN; ours is local
        redoc_url=None,
    )
    app.state.web = Web(settings, reader or reader_for(settings.database_url))
    app.add_middleware(SecurityHeaders)
    # Added last: outermost. On DuckDB its entries are checked by the files they were read
    # from (the sidecar reader notes each read); on PostgreSQL by one version query.
    if isinstance(app.state.web.reader, SidecarReader):
        app.add_middleware(ResponseCache)
    elif isinstance(app.state.web.reader, WarehouseReader):
        app.add_middleware(ResponseCache, version=app.state.web.reader.version)
    static = resources.files("spread_eagle.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for module in (api, slates, games, runs, backtest, docs):
        app.include_router(module.router)

    @app.exception_handler(WebError)
    async def web_error(request: Request, exc: WebError) -> Response:
        return _error(request, exc.status, exc.message, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail)
        if exc.status_code == 404:
            message = f"no such page: {request.url.path}; try / or /api/slates"
        elif exc.status_code == 405:
            message = "this server is read-only"
        return _error(request, exc.status_code, message, dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return _error(request, 400, f"bad request: {problems}", {})

    @app.exception_handler(WarehouseError)
    async def unavailable(request: Request, exc: WarehouseError) -> Response:
        log.warning("warehouse unavailable: %s", exc)
        return _error(
            request,
            503,
            f"the warehouse is unreachable, try again shortly ({exc})",
            {"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> Response:
        log.exception("error serving %s", request.url.path)
        return _error(request, 500, "internal error; see the server log", {})

    return app


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the app under uvicorn until interrupted.

    uvicorn picks httptools and uvloop (dependencies) when installed, else its pure-Python h11
    and asyncio: with the response cache they are most of a request's cost, and the C ones cut
    it to about 40%. No access log: a line per request would cost more than a cached answer.
    """
    import uvicorn

    app = create_app(settings)
    # What is alive now (modules, the app, templates) lives as long as the process: keep it out
    # of the collector's generations so a collection never walks it mid-request.
    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
