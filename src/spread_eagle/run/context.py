"""What every step is handed: the run's identity, its clock, its league, settings and warehouse."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from spread_eagle.config import Settings
from spread_eagle.leagues import League
from spread_eagle.warehouse import Warehouse


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def default_as_of(run_date: date, league: League, now: datetime | None = None) -> datetime:
    """The run's clock when --as-of is not given.

    For a date already past: 06:00 league time the next morning, when every game of the date is
    final, so re-running a past date is deterministic. For today or a future date: now.
    """
    now = now or datetime.now(UTC)
    morning_after = datetime.combine(
        run_date + timedelta(days=1), time(6, 0), tzinfo=league.tz
    ).astimezone(UTC)
    return morning_after if morning_after <= now else now.replace(microsecond=0)


@dataclass
class RunContext:
    run_id: str
    league: League
    run_date: date
    as_of: datetime
    settings: Settings
    warehouse: Warehouse
    # quarantined schedule records the person explicitly accepted (--accept-quarantined)
    accept_quarantined: bool = False
    # the earlier run whose steps (and outputs) a resumed run reuses
    resumed_from: str | None = None

    @property
    def env(self) -> str:
        return self.settings.env

    @classmethod
    def new(
        cls,
        settings: Settings,
        warehouse: Warehouse,
        league: League,
        run_date: date,
        as_of: datetime | None = None,
        *,
        accept_quarantined: bool = False,
        resumed_from: str | None = None,
    ) -> RunContext:
        """A fresh run: new run id, and the default as-of clock unless one is given."""
        return cls(
            new_run_id(),
            league,
            run_date,
            as_of or default_as_of(run_date, league),
            settings,
            warehouse,
            accept_quarantined,
            resumed_from,
        )

    @property
    def lock_key(self) -> str:
        return run_lock_key(self.league, self.run_date)


def run_lock_key(league: League, run_date: date) -> str:
    """One run per league and date at a time."""
    return f"{league.league}_{run_date.isoformat()}"
