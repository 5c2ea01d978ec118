"""A response cache in front of the app, for servers that read the published files (DuckDB).

Published slates change about once a day, so a repeated GET is answered with the bytes the app
produced the first time, without routing, dependency injection or rendering. An entry keeps
every published file the app read to build it, with that file's identity (inode, mtime, size;
`publish.documents.recording_reads`), and is served only while each file still has it: publish
`os.replace`s the files it changes, so the request after a new publication lands is a miss and is
built from the new files. Checking an entry costs one `stat` per file it depends on.

Only 200 answers of the routes below are kept: their handlers read nothing but the published
files (and the backtest report's presence, which `Web.render` notes the same way). A 404 can
depend on the clock (a future date), so it is always built afresh.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spread_eagle.publish.documents import Reads, recording_reads, unchanged

CACHED_PATHS = re.compile(
    r"/|/slates(/[^/]+)?|/api/slates(/[^/]+)?|/games/[^/]+|/api/games/[^/]+"
    r"|/runs(/[^/]+)?|/api/runs(/[^/]+)?"
)
MAX_ENTRIES = 256  # one per date, game and run page that is asked for; cleared when full


@dataclass(frozen=True)
class Entry:
    headers: list[tuple[bytes, bytes]]
    body: bytes
    reads: Reads


class ResponseCache:
    """Plain ASGI middleware: outermost, so a hit skips the whole stack (its headers included,
    as the stack set them)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._entries: dict[tuple[str, bytes], Entry] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not CACHED_PATHS.fullmatch(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"])
        hit = self._entries.get(key)
        if hit is not None and unchanged(hit.reads):
            await send({"type": "http.response.start", "status": 200, "headers": hit.headers})
            await send({"type": "http.response.body", "body": hit.body})
            return

        started: list[Message] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.append(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        with recording_reads() as reads:
            await self.app(scope, receive, capture)
        if started and started[0]["status"] == 200 and reads:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            headers = list(started[0].get("headers", []))
            self._entries[key] = Entry(headers, b"".join(chunks), reads)
