"""The provider interface: the schedule of a date, line snapshots, and final results.

A provider returns verbatim payloads together with the parser that lands them; settings decide
which provider serves which of the three (SPREAD_EAGLE_SCHEDULE_PROVIDER, _ODDS_PROVIDER,
_RESULTS_PROVIDER), so they can be combined (schedule and results from one source, odds from
another). A provider declares the kinds of data it has in `kinds`; the registry refuses a setting
that asks a source for a kind it does not have. Providers never write to the warehouse; the steps
store what they return (raw_store) and record `stats()` (e.g. API quota headers) in the ledger.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from spread_eagle.ingest.payload import ParsedPayload, Payload

SCHEDULE, LINES, RESULTS = "schedule", "lines", "results"
KINDS = (SCHEDULE, LINES, RESULTS)


class Provider(Protocol):
    """What every source implements for the kinds of data it has."""

    source: str
    kinds: frozenset[str]

    def parse(self, payload: Payload) -> ParsedPayload:
        """Turn one of this provider's payloads into raw rows and quarantined records."""

    def fetch_schedule(self, run_date: date, as_of: datetime) -> list[Payload]:
        """The games of the league's local date `run_date`, as the source tells them at `as_of`."""

    def fetch_lines(self, run_date: date, as_of: datetime) -> list[Payload]:
        """Current line snapshots for that date's games (every book the source has)."""

    def fetch_results(self, run_date: date, as_of: datetime) -> list[Payload]:
        """Final scores of games finished by `as_of` (and corrections)."""

    def stats(self) -> dict[str, str]:
        """Facts about the fetches so far worth a line in the ledger (quota headers...)."""
