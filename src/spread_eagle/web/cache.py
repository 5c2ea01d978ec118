"""A response cache in front of the app: a repeated GET is answered with the bytes the app
produced the first time, without routing, dependency injection, reading or rendering, for as
long as what the response was built from is unchanged. Published slates change about once a day.

One cache, two ways to tell that nothing changed, by where the server reads:

- **Published files (DuckDB).** An entry keeps every published file the app read to build it,
  with that file's identity (inode, mtime, size; `publish.documents.recording_reads`), and is
  served only while each file still has it: publish `os.replace`s the files it changes, so the
  request after a new publication lands is a miss and is built from the new files. Checking an
  entry costs one `stat` per file it depends on.
- **A version query (PostgreSQL).** An entry keeps the version of the tables its route reads,
  read by ONE query (`WarehouseReader.version`: each table's row count and the sum of its rows'
  `xmin`) that started after the request arrived and before the response was built, and is
  served only while a query started after the next request arrived answers the same. Requests
  that arrive while a query is in flight share the next one (`Versions`), so under load it is one
  query per round trip, not one per request. Slate, game and their API routes depend on
  `publish.slate`, which every publication rewrites in the transaction that writes the slate's
  cards, details and history; the runs routes on the ledger (`ops.run`, `ops.step_run`) and
  `ops.publication`. The backtest link (a file) is checked by identity as on DuckDB.

Only 200 answers of the routes below are kept: their handlers read nothing but the published
documents or the ledger (and the backtest report's presence, which `Web.render` notes). A 404
can depend on the clock (a future date), so it is always built afresh.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spread_eagle.publish.documents import Reads, recording_reads, unchanged

log = logging.getLogger(__name__)

CACHED_PATHS = re.compile(
    r"/|/slates(/[^/]+)?|/api/slates(/[^/]+)?|/games/[^/]+|/api/games/[^/]+"
    r"|/runs(/[^/]+)?|/api/runs(/[^/]+)?"
)
LEDGER_PATHS = re.compile(r"(/api)?/runs(/[^/]+)?")
PUBLICATION_TABLES = ("publish.slate",)
LEDGER_TABLES = ("ops.run", "ops.step_run", "ops.publication")
MAX_ENTRIES = 256  # one per date, game and run page that is asked for; cleared when full

Version = Hashable | None  # None: unknown (the query failed), never matches


class Versions:
    """`current()` answers with what `read` returns when run after the call: a request waits for
    the next read to start, so the version it sees is never older than the request. Calls that
    arrive while a read is in flight share the next read (at most one runs at a time)."""

    def __init__(self, read: Callable[[], Version]) -> None:
        self._read = read
        self._next: asyncio.Future[Version] | None = None  # what the next read will answer
        self._drainer: asyncio.Task[None] | None = None

    async def current(self) -> Version:
        if self._next is None:
            loop = asyncio.get_running_loop()
            self._next = loop.create_future()
            if self._drainer is None:
                self._drainer = loop.create_task(self._drain())
        # shielded: one waiter going away (a closed connection) must not cancel the others'
        return await asyncio.shield(self._next)

    async def _drain(self) -> None:
        waiting: asyncio.Future[Version] | None = None
        try:
            while self._next is not None:
                # Detached before the read starts: every waiter on it arrived before the read.
                waiting, self._next = self._next, None
                try:
                    value = await run_in_threadpool(self._read)
                except Exception:  # a failed check only means no cache hit
                    log.exception("could not read the published version")
                    value = None
                waiting.set_result(value)
        finally:
            self._drainer = None
            for left in (waiting, self._next):
                if left is not None and not left.done():
                    left.cancel()
            self._next = None


@dataclass(frozen=True)
class Entry:
    headers: list[tuple[bytes, bytes]]
    body: bytes
    reads: Reads
    version: Version


class ResponseCache:
    """Plain ASGI middleware: outermost, so a hit skips the whole stack (its headers included,
    as the stack set them). `version(tables)`, when given, reads the version of those tables
    (blocking; run in a thread); without it entries are checked by their files alone."""

    def __init__(
        self, app: ASGIApp, version: Callable[[tuple[str, ...]], Version] | None = None
    ) -> None:
        self.app = app
        self._entries: dict[tuple[str, bytes], Entry] = {}
        self._versions: dict[bool, Versions] | None = None
        if version is not None:
            self._versions = {
                ledger: Versions(functools.partial(version, tables))
                for ledger, tables in ((False, PUBLICATION_TABLES), (True, LEDGER_TABLES))
            }

    async def _version(self, path: str) -> Version:
        if self._versions is None:
            return None
        return await self._versions[bool(LEDGER_PATHS.fullmatch(path))].current()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not CACHED_PATHS.fullmatch(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"])
        version = await self._version(scope["path"])
        hit = self._entries.get(key)
        if (
            hit is not None
            and (self._versions is None or (version is not None and version == hit.version))
            and unchanged(hit.reads)
        ):
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

        # Built after `version` was read: if a publication lands meanwhile, the entry is newer
        # than its version says, so the next request misses; it is never older.
        with recording_reads() as reads:
            await self.app(scope, receive, capture)
        checkable = version is not None if self._versions is not None else bool(reads)
        if started and started[0]["status"] == 200 and checkable:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            headers = list(started[0].get("headers", []))
            self._entries[key] = Entry(headers, b"".join(chunks), reads, version)
