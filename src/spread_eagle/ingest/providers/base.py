"""The provider interface: the schedule of a date, line snapshots, and final results.

A provider returns verbatim payloads together with the parser that lands them; settings decide
which provider serves which of the three, so they can be combined (schedule and results from one
source, odds from another).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from spread_eagle.ingest.payload import ParsedPayload, Payload


class Provider(Protocol):
    """What every source implements for the kinds of data it has."""

    source: str

    def parse(self, payload: Payload) -> ParsedPayload:
        """Turn one of this provider's payloads into raw rows and quarantined records."""

    def fetch_schedule(self, run_date: date, as_of: datetime) -> list[Payload]:
        """The games of the league's local date `run_date`, as the source tells them at `as_of`."""

    def fetch_lines(self, run_date: date, as_of: datetime) -> list[Payload]:
        """Current line snapshots for that date's games (every book the source has)."""

    def fetch_results(self, run_date: date, as_of: datetime) -> list[Payload]:
        """Final scores of games finished by `as_of` (and corrections)."""
