"""A fake LLM server on 127.0.0.1 (port 0) speaking OpenAI chat completions and Anthropic messages.

By default it answers with the offline writer's TL;DR of the payload it was sent (so the answer is
grounded); `script` queues faults for the next requests: 429, 500, a timeout, malformed JSON, an
empty answer, or an answer with an invented number.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from spread_eagle.summarize.offline import write_tldr

FIXTURES = Path(__file__).parent / "fixtures"
INVENTED = " WAS won 13 straight."
TIMEOUT_DELAY = 1.5


def load_payload(name: str = "payload.dal_was.json") -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class FakeLLM:
    url: str = ""
    script: deque[str] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fault(self, *faults: str) -> None:
        self.script.extend(faults)

    def calls(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == path]


def _openai_body(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1732400000,
        "model": "gpt-test-2024",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 812, "completion_tokens": 64, "total_tokens": 876},
    }


def _anthropic_body(text: str) -> dict[str, Any]:
    return {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 790, "output_tokens": 71},
    }


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    state = FakeLLM()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state.lock:
                state.requests.append(
                    {"path": self.path, "headers": dict(self.headers.items()), "body": body}
                )
                fault = state.script.popleft() if state.script else None
            anthropic = self.path.endswith("/messages")
            user = body["messages"][-1]["content"]
            text = write_tldr(json.loads(user))
            if fault == "timeout":
                time.sleep(TIMEOUT_DELAY)
            status, payload = 200, None
            if fault in ("429", "500"):
                status = int(fault)
                payload = (
                    {"type": "error", "error": {"type": "api_error", "message": fault}}
                    if anthropic
                    else {"error": {"message": fault, "type": "server_error"}}
                )
            elif fault == "401-echo":  # a server that echoes the request's credentials back
                status = 401
                key = self.headers.get("x-api-key") or self.headers.get("Authorization")
                payload = {"error": {"message": f"bad key {key}", "type": "auth"}}
            elif fault == "empty":
                text = ""
            elif fault == "invented":
                text += INVENTED
            raw = (
                b'{"id": "chatcmpl-test", "choices": [ {"message": '
                if fault == "malformed"
                else json.dumps(
                    payload or (_anthropic_body(text) if anthropic else _openai_body(text))
                ).encode()
            )
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
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
