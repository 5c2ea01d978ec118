"""A scripted HTTP service behind `httpx.MockTransport`, installed into every HTTP client the
ingestion steps build (`ingest.steps.HTTP_OPTIONS`): no socket, no port, no thread.

Each route is a list of responses served in order (the last one repeats); every request is
recorded. A reply slower than the client's read timeout raises httpx.ReadTimeout, as a real slow
server would.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from spread_eagle.ingest import steps

FIXTURES = Path(__file__).parents[1] / "fixtures"


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay: float = 0.0


@dataclass
class Scripted:
    url: str
    routes: dict[str, list[Reply]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(
        default_factory=list
    )  # (path, query, headers)

    def route(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def hits(self, path: str) -> int:
        return sum(1 for p, _, _ in self.requests if p == path)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path, query = request.url.path, request.url.query.decode()
        self.requests.append((path, query, {k.lower(): v for k, v in request.headers.items()}))
        replies = self.routes.get(path)
        if not replies:
            return httpx.Response(404)
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        read_timeout = (request.extensions.get("timeout") or {}).get("read")
        if reply.delay and read_timeout is not None and reply.delay >= read_timeout:
            raise httpx.ReadTimeout(
                "the scripted reply is slower than the read timeout", request=request
            )
        body = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
        return httpx.Response(reply.status, headers=reply.headers, content=body)


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture
def http_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Scripted]:
    state = Scripted(url="http://scripted.test")
    options = dataclasses.replace(steps.HTTP_OPTIONS, transport=httpx.MockTransport(state.handle))
    monkeypatch.setattr(steps, "HTTP_OPTIONS", options)
    yield state


BUNDLED_GAMES = Path(__file__).parents[2] / "src/spread_eagle/data/nflverse_games.csv"


def season_games_file(tmp_path: Path, *seasons: int) -> Path:
    """The bundled nflverse file cut to some seasons, so the replay's results stay small and fast."""
    lines = BUNDLED_GAMES.read_text(encoding="utf-8").splitlines()
    keep = [lines[0]] + [line for line in lines[1:] if int(line.split(",")[1]) in seasons]
    path = tmp_path / "games.csv"
    path.write_text("\n".join(keep) + "\n", encoding="utf-8")
    return path
