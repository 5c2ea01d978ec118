"""The response cache's version check (PostgreSQL): one read per round, never an older one."""

from __future__ import annotations

import asyncio
import threading

from spread_eagle.web.cache import Versions


def test_a_call_never_gets_a_read_that_started_before_it() -> None:
    """Calls that arrive while a read is in flight wait for the next read and share it: the
    answer each gets was read after it asked, and a burst costs two reads, not one a call."""
    started: list[int] = []
    release = threading.Event()

    def read() -> int:
        started.append(len(started) + 1)
        release.wait(timeout=10)
        return len(started)  # which read this is

    async def scenario() -> tuple[int, list[int]]:
        versions = Versions(read)
        first = asyncio.create_task(versions.current())
        while not started:  # the first read is in flight...
            await asyncio.sleep(0.01)
        later = [asyncio.create_task(versions.current()) for _ in range(5)]  # ...when these ask
        await asyncio.sleep(0.05)
        assert started == [1]  # they wait for it to end rather than start their own
        release.set()
        return await first, list(await asyncio.gather(*later))

    first, later = asyncio.run(scenario())
    assert first == 1 and later == [2] * 5 and started == [1, 2]


def test_a_failed_read_answers_none_and_the_next_call_reads_again() -> None:
    calls: list[str] = []

    def read() -> str:
        calls.append("read")
        if len(calls) == 1:
            raise OSError("server closed the connection")
        return "v1"

    async def scenario() -> tuple[object, object]:
        versions = Versions(read)
        return await versions.current(), await versions.current()

    assert asyncio.run(scenario()) == (None, "v1") and len(calls) == 2
