"""`spread-eagle serve`: a read-only web UI and JSON API over the published slates.

Standard library only (`http.server.ThreadingHTTPServer`): the UI is a few server-rendered pages
and the API a few JSON documents, which a framework would not make simpler.

It reads ONLY the published relations, through `publish.slate.read_slate` and `published_dates`,
so `/api/slates/{date}` is byte for byte the document `slate --date D --json` prints.

Every request opens its own warehouse connection and closes it before responding, so the server
never holds the DuckDB file between requests: a daily run in another process can write while the
server runs. If that run holds the file at the moment of a request, the request gets a 503 with
Retry-After rather than waiting.

Routes (all GET/HEAD; `?league=` defaults to the configured league):
    /                       HTML list of published slates, newest first
    /slates/{date}          HTML slate of a date
    /api/slates             JSON list of published slates, newest first
    /api/slates/{date}      JSON slate document (read_slate's output)
    /healthz                JSON liveness and warehouse reachability
A malformed date is a 400, an unpublished date or unknown path a 404 (JSON under /api, HTML
elsewhere), with a message saying what to do.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import date
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from spread_eagle.config import Settings
from spread_eagle.leagues import League, UnknownLeagueError, load_league
from spread_eagle.publish.slate import SlateNotFoundError, iso_z, published_dates, read_slate
from spread_eagle.warehouse import WarehouseError, connect, duckdb_path
from spread_eagle.web import render

log = logging.getLogger(__name__)

DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
SLATE_LIMIT = 200


class HttpError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class SlateServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that knows the Settings its handlers read with."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, settings: Settings, address: tuple[str, int]) -> None:
        self.settings = settings
        super().__init__(address, SlateHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


def make_server(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> SlateServer:
    """A bound server (port 0 picks a free port); call serve_forever() to serve."""
    load_league(settings.league)  # fail at start, not on the first request, on a bad default
    return SlateServer(settings, (host, port))


def parse_day(text: str) -> date:
    if not DATE_PATTERN.fullmatch(text):
        raise HttpError(HTTPStatus.BAD_REQUEST, f"{text!r} is not a date like 2024-11-24")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"{text!r} is not a valid calendar date") from None


def _nothing_stored(settings: Settings) -> bool:
    """A DuckDB file that does not exist yet: say so rather than create an empty one."""
    url = settings.database_url
    return url.startswith("duckdb://") and not duckdb_path(url).exists()


def _slate_list(settings: Settings, league: League) -> list[dict[str, Any]]:
    if _nothing_stored(settings):
        return []
    with connect(settings.database_url) as wh:
        if not wh.relation_exists("publish", "slate"):
            return []
        rows = published_dates(wh, league.league, limit=SLATE_LIMIT)
    return [
        {
            "date": r["run_date"].isoformat(),
            "league": r["league"],
            "run_id": r["run_id"],
            "games": int(r["games"]),
            "published_at": iso_z(r["published_at"]),
            "url": f"/api/slates/{r['run_date'].isoformat()}?league={r['league']}",
        }
        for r in rows
    ]


def _slate(settings: Settings, league: League, day: date) -> dict[str, Any]:
    if _nothing_stored(settings):
        raise HttpError(
            HTTPStatus.NOT_FOUND,
            f"nothing is published yet; run `spread-eagle run-daily --date {day}`",
        )
    with connect(settings.database_url) as wh:
        if not wh.relation_exists("publish", "slate"):
            raise HttpError(
                HTTPStatus.NOT_FOUND,
                f"nothing is published yet; run `spread-eagle run-daily --date {day}`",
            )
        try:
            return read_slate(wh, league.league, day)
        except SlateNotFoundError as exc:
            raise HttpError(HTTPStatus.NOT_FOUND, str(exc)) from None


class SlateHandler(BaseHTTPRequestHandler):
    server: SlateServer
    server_version = "SpreadEagle"
    protocol_version = "HTTP/1.1"

    # -- plumbing -------------------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    def _send(
        self, status: HTTPStatus, body: str, content_type: str, extra: dict[str, str] | None = None
    ) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if content_type.startswith("text/html"):
            self.send_header(
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
            )
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _json(self, status: HTTPStatus, document: Any, extra: dict[str, str] | None = None) -> None:
        self._send(
            status, json.dumps(document, indent=2) + "\n", "application/json; charset=utf-8", extra
        )

    def _html(self, status: HTTPStatus, page: str) -> None:
        self._send(status, page, "text/html; charset=utf-8")

    def _error(
        self, api: bool, status: HTTPStatus, message: str, extra: dict[str, str] | None = None
    ) -> None:
        if api:
            self._json(status, {"error": message, "status": int(status)}, extra)
        else:
            self._send(
                status, render.error_page(int(status), message), "text/html; charset=utf-8", extra
            )

    # -- routing --------------------------------------------------------------------------------
    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        api = path.startswith("/api/") or path == "/healthz"
        try:
            self._route(path, parse_qs(url.query))
        except HttpError as exc:
            self._error(api, exc.status, exc.message)
        except WarehouseError as exc:
            log.warning("warehouse unavailable: %s", exc)
            self._error(
                api,
                HTTPStatus.SERVICE_UNAVAILABLE,
                f"the warehouse is busy or unreachable, try again shortly ({exc})",
                {"Retry-After": "5"},
            )
        except Exception:
            log.exception("error serving %s", self.path)
            self._error(api, HTTPStatus.INTERNAL_SERVER_ERROR, "internal error; see the server log")

    def do_HEAD(self) -> None:
        self.do_GET()

    def _read_only(self) -> None:
        self._error(
            True, HTTPStatus.METHOD_NOT_ALLOWED, "this server is read-only", {"Allow": "GET, HEAD"}
        )

    do_POST = do_PUT = do_PATCH = do_DELETE = _read_only

    def _league(self, query: dict[str, list[str]]) -> League:
        name = (query.get("league") or [self.server.settings.league])[0]
        try:
            return load_league(name)
        except UnknownLeagueError as exc:
            raise HttpError(HTTPStatus.BAD_REQUEST, str(exc)) from None

    def _route(self, path: str, query: dict[str, list[str]]) -> None:
        settings = self.server.settings
        parts = path.strip("/").split("/") if path != "/" else []
        if parts == ["healthz"]:
            self._health()
        elif parts == []:
            league = self._league(query)
            slates = _slate_list(settings, league)
            self._html(HTTPStatus.OK, render.index_page(slates, league.league))
        elif parts == ["api", "slates"]:
            self._json(HTTPStatus.OK, _slate_list(settings, self._league(query)))
        elif len(parts) == 3 and parts[:2] == ["api", "slates"]:
            day, league = parse_day(parts[2]), self._league(query)
            self._json(HTTPStatus.OK, _slate(settings, league, day))
        elif len(parts) == 2 and parts[0] == "slates":
            day, league = parse_day(parts[1]), self._league(query)
            self._html(HTTPStatus.OK, render.slate_page(_slate(settings, league, day), league.tz))
        else:
            raise HttpError(HTTPStatus.NOT_FOUND, f"no such page: {path}; try / or /api/slates")

    def _health(self) -> None:
        if _nothing_stored(self.server.settings):
            self._json(HTTPStatus.OK, {"status": "ok", "warehouse": "empty (no DuckDB file yet)"})
            return
        try:
            with connect(self.server.settings.database_url) as wh:
                wh.scalar("select 1")
        except WarehouseError as exc:
            self._json(
                HTTPStatus.SERVICE_UNAVAILABLE,
                {"status": "unavailable", "warehouse": str(exc)},
                {"Retry-After": "5"},
            )
            return
        self._json(HTTPStatus.OK, {"status": "ok", "warehouse": "ok"})
