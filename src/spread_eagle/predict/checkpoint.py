"""The models' walked state, kept between runs so a date's walk starts where an earlier one ended.

A forecast for date D is made from the engine after it walked every final game before D, oldest
first, from the league's first season. That walk is most of a daily run's predict step (21k NBA
games, 6.6k NFL ones), and it is the same walk every day but for the newest games. So the predict
step saves the engine as it stands before its date (`ops.model_state`, migration 0010), and the
next run resumes from the newest state saved before its own date.

A saved state is used only when it is exactly what a walk from scratch would reach: it was saved by
this code with these league constants (`state_key`), and the games it learned from are the same
games today (`history_hash` over the records read again, in the same order): a corrected result, a
late score or a rebuilt history changes the hash, and the walk starts from scratch. The engine
gives the same forecasts whether a history is walked in one piece or in several (it is walked in
chunks by a backfill already: tests/predict/test_history_walk.py), so a resumed walk and a walk
from scratch publish the same numbers (tests/predict/test_checkpoint.py).

The state is a pickle of the engine's learned parts. It is read only from the warehouse the run
writes to, and only under a key that names this exact code: a state from other code is never
unpickled.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from typing import Any

from spread_eagle.leagues import League
from spread_eagle.predict.engine import Engine, GameRecord, as_params
from spread_eagle.warehouse import Warehouse

log = logging.getLogger(__name__)

TABLE = "ops.model_state"
KEEP = 3  # saved states per league and key: the newest dates, which the next runs start from
_STATE = ("ratings", "blend", "rules", "rows", "season")  # what an engine learns as it walks


@cache
def _code_hash() -> str:
    """A hash of the models' source (every module of `spread_eagle.predict` and the odds
    conventions): a state saved by other code is never resumed."""
    digest = hashlib.sha256()
    files = [f for f in resources.files("spread_eagle.predict").iterdir() if f.name.endswith(".py")]
    for entry in [
        *sorted(files, key=lambda f: f.name),
        resources.files("spread_eagle") / "odds.py",
    ]:
        digest.update(entry.name.encode())
        digest.update(entry.read_bytes())
    return digest.hexdigest()


def state_key(league: League) -> str:
    """What a state depends on besides its history: the models' code and the league's constants."""
    constants = json.dumps(as_params(league.models), sort_keys=True)
    return hashlib.sha256(f"{_code_hash()}\n{constants}".encode()).hexdigest()[:16]


def digest_of(records: Sequence[GameRecord], digest: Any = None) -> Any:
    """A running sha256 over records (each its repr, a line): extended as a walk learns more."""
    digest = digest if digest is not None else hashlib.sha256()
    for record in records:
        digest.update(repr(record).encode())
        digest.update(b"\n")
    return digest


def _dump(engine: Engine) -> bytes:
    return pickle.dumps({name: getattr(engine, name) for name in _STATE}, protocol=5)


def _load(league: League, blob: bytes) -> Engine:
    engine = Engine(league)
    # only our own states, saved under a key naming this code (see the module doc)
    for name, value in pickle.loads(blob).items():
        setattr(engine, name, value)
    return engine


@dataclass(frozen=True)
class Resumed:
    """An engine resumed from a saved state: how many of the history's records it has walked, the
    date it was saved for, and the running digest of those records."""

    engine: Engine
    walked: int
    walked_before: date
    digest: Any


def resume(
    wh: Warehouse, league: League, history: Sequence[GameRecord], day: date
) -> Resumed | None:
    """The engine as the newest usable state saved for a date at or before `day` left it; None
    when no saved state fits (`history`: final games before some date, oldest first), and the walk
    starts from scratch."""
    key = state_key(league)
    saved = wh.query(
        f"select walked_before, games, history_hash from {TABLE}"
        " where league = ? and state_key = ? and walked_before <= ?"
        " order by walked_before desc",
        (league.league, key, day),
    )
    dates = [r.game.game_date for r in history]
    for row in saved:
        walked_before = row["walked_before"]
        walked = bisect.bisect_left(dates, walked_before)
        if walked != row["games"]:
            continue  # games were added or removed before that date since it was saved
        digest = digest_of(history[:walked])
        if digest.hexdigest() != row["history_hash"]:
            continue  # a result or a line before that date changed (a correction, a late score)
        blob = wh.scalar(
            f"select state from {TABLE} where league = ? and state_key = ? and walked_before = ?",
            (league.league, key, walked_before),
        )
        log.debug("resuming the walk at %s (%d games walked)", walked_before, walked)
        return Resumed(_load(league, bytes(blob)), walked, walked_before, digest)
    return None


def save(
    wh: Warehouse,
    league: League,
    engine: Engine,
    walked_before: date,
    games: int,
    digest: Any,
    run_id: str,
) -> None:
    """Keep `engine`, which has walked the `games` final games before `walked_before` (`digest`
    their running digest), for the runs of later dates; only the newest few states are kept."""
    key = state_key(league)
    with wh.transaction():
        wh.replace(
            TABLE,
            {"league": league.league, "state_key": key, "walked_before": walked_before},
            [
                {
                    "league": league.league,
                    "state_key": key,
                    "walked_before": walked_before,
                    "games": games,
                    "history_hash": digest.hexdigest(),
                    "state": _dump(engine),
                    "run_id": run_id,
                    "saved_at": datetime.now(UTC),
                }
            ],
        )
        # older states of this league go, and any saved by other code or constants
        wh.execute(
            f"delete from {TABLE} where league = ? and (state_key <> ? or walked_before not in"
            f" (select walked_before from {TABLE} where league = ? and state_key = ?"
            f" order by walked_before desc limit {KEEP}))",
            (league.league, key, league.league, key),
        )
