"""The offline writer behind the provider interface: no key, no network, no tokens."""

from __future__ import annotations

import time
from typing import Any

from spread_eagle.summarize import offline
from spread_eagle.summarize.providers.base import Completion, elapsed


class Offline:
    name = "offline"
    model: str | None = None
    in_process = True

    def write(self, prompt: str, payload: dict[str, Any]) -> Completion:
        started = time.perf_counter()
        text = offline.write_tldr(payload)
        return Completion(text, 0, 0, elapsed(started), 0, None)
