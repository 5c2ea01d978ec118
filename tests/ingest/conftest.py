"""A scripted HTTP server on 127.0.0.1 (a free port, started and stopped by each test that uses it).

Each route is a list of responses served in order (the last one repeats); every request is recorded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

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


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture
def http_server() -> Iterator[Scripted]:
    state = Scripted(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            state.requests.append((path, query, {k.lower(): v for k, v in self.headers.items()}))
            replies = state.routes.get(path)
            if not replies:
                self.send_response(404)
                self.end_headers()
                return
            reply = replies.pop(0) if len(replies) > 1 else replies[0]
            if reply.delay:
                time.sleep(reply.delay)
            body = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
            try:
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and left

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


BUNDLED_GAMES = Path(__file__).parents[2] / "src/spread_eagle/data/nflverse_games.csv"


def season_games_file(tmp_path: Path, *seasons: int) -> Path:
    """The bundled nflverse file cut to some seasons, so the replay's results stay small and fast."""
    lines = BUNDLED_GAMES.read_text(encoding="utf-8").splitlines()
    keep = [lines[0]] + [line for line in lines[1:] if int(line.split(",")[1]) in seasons]
    path = tmp_path / "games.csv"
    path.write_text("\n".join(keep) + "\n", encoding="utf-8")
    return path
