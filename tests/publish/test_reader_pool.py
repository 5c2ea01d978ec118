"""The PostgreSQL reader's connection pool under a burst: it never holds more than its size and
reuses what it opened (opening a connection per request cost more than the queries)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import spread_eagle.warehouse
from spread_eagle.publish.documents import WarehouseReader


class FakeConnection:
    open_now = 0
    most_open = 0
    opened = 0
    lock = threading.Lock()

    def __init__(self) -> None:
        with FakeConnection.lock:
            FakeConnection.opened += 1
            FakeConnection.open_now += 1
            FakeConnection.most_open = max(FakeConnection.most_open, FakeConnection.open_now)

    def scalar(self, sql: str) -> Any:
        time.sleep(0.002)  # a query's round trip, so the burst overlaps
        return 1

    def close(self) -> None:
        with FakeConnection.lock:
            FakeConnection.open_now -= 1


def test_a_burst_waits_for_a_pooled_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spread_eagle.warehouse, "connect", lambda *a, **k: FakeConnection())
    reader = WarehouseReader("postgresql://unused/db", pool_size=3)
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: reader.health(), range(200)))
    assert answers == [{"status": "ok", "published": "ok"}] * 200
    assert FakeConnection.most_open <= 3 and FakeConnection.opened <= 3
    reader.close()
    assert FakeConnection.open_now == 0
