"""Audited result corrections (`spread-eagle correct-result`, `spread-eagle corrections`).

A correction is a row of `ops.correction`, never updated or deleted: who recorded it (the OS user
and SPREAD_EAGLE_ENV), when (`recorded_at`, the wall clock), why, the score it sets and the score
it replaced (what `facts.fct__game` showed, and from which source). dbt applies the newest one a
run's clock can see (`corrected_at <= as_of`) over every source (stg__corrections__result ->
int__game__conformed), so `fct__game`, the features after the game and the published result all
follow on the next run of any date at or after the game.

Incremental features are re-processed only near their high-water mark, so a correction of an old
game would be left behind: the transform step pulls its `rebuild_from` back to the earliest game
date of a visible correction not yet applied (`pending_rebuild_from`), and after a successful
build records what it applied (`record_applied`, `ops.correction_applied`).
"""

from __future__ import annotations

import getpass
import os
import secrets
from datetime import UTC, date, datetime
from typing import Any

from spread_eagle.warehouse import Warehouse, where_equal


class CorrectionError(ValueError):
    """The correction cannot be recorded; the message says why and what to do."""


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return os.environ.get("USER") or f"uid {os.getuid()}"


def new_correction_id(now: datetime) -> str:
    return f"c{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def record_correction(
    wh: Warehouse,
    *,
    league: str,
    game_id: str,
    home_score: int,
    away_score: int,
    reason: str,
    env: str,
    corrected_at: datetime | None = None,
    now: datetime | None = None,
    user: str | None = None,
    facts_schema: str = "facts",
) -> dict[str, Any]:
    """Record a correction of `game_id`'s final score; returns the stored row.

    The game must be known to `facts.fct__game` (a run of its date, or a later one, built it).
    `corrected_at` (default: now) is the run clock from which runs see the correction.
    `facts_schema`: the league's facts schema (League.schema("facts"))."""
    reason = reason.strip()
    if not reason:
        raise CorrectionError("--reason is required: say why the result is corrected")
    if home_score < 0 or away_score < 0:
        raise CorrectionError("scores cannot be negative")
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    corrected_at = (corrected_at or now).astimezone(UTC)
    if not wh.relation_exists(facts_schema, "fct__game"):
        raise CorrectionError(
            f"no games are built yet ({facts_schema}.fct__game is missing): run the game's date first, "
            "e.g. spread-eagle run-daily --date YYYY-MM-DD"
        )
    games = wh.query(
        "select game_id, game_date, status, home_score, away_score, score_source_id, correction_id"
        f" from {facts_schema}.fct__game where league_id = ? and game_id = ?",
        (league, game_id),
    )
    if not games:
        raise CorrectionError(
            f"unknown game {game_id!r} for {league}: {facts_schema}.fct__game does not have it (ids look "
            "like 2024_12_KC_CAR; run its date first if it is new)"
        )
    game = games[0]
    newest = wh.query(
        "select correction_id from ops.correction where league = ? and game_id = ?"
        " order by corrected_at desc, recorded_at desc, correction_id desc limit 1",
        (league, game_id),
    )
    row: dict[str, Any] = {
        "correction_id": new_correction_id(now),
        "league": league,
        "game_id": game_id,
        "game_date": game["game_date"],
        "home_score": int(home_score),
        "away_score": int(away_score),
        "previous_home_score": game["home_score"],
        "previous_away_score": game["away_score"],
        "previous_status": game["status"],
        "previous_source": game["score_source_id"],
        "replaces_correction_id": newest[0]["correction_id"] if newest else None,
        "reason": reason,
        "corrected_by": user or _who(),
        "env": env,
        "recorded_at": now,
        "corrected_at": corrected_at,
    }
    with wh.transaction():
        wh.insert_all("ops.correction", [row])
    return row


def list_corrections(
    wh: Warehouse, league: str | None = None, game_id: str | None = None
) -> list[dict[str, Any]]:
    """Every correction, newest first, with whether a transform has applied it (and which run)."""
    clause, params = where_equal({"c.league": league, "c.game_id": game_id})
    return wh.query(
        "select c.correction_id, c.league, c.game_id, c.game_date, c.home_score, c.away_score,"
        " c.previous_home_score, c.previous_away_score, c.previous_status, c.previous_source,"
        " c.replaces_correction_id, c.reason, c.corrected_by, c.env, c.recorded_at,"
        " c.corrected_at, a.run_id as applied_by_run_id, a.applied_at"
        f" from ops.correction c left join ops.correction_applied a"
        f" on a.correction_id = c.correction_id {clause}"
        " order by c.recorded_at desc, c.correction_id desc",
        params,
    )


def pending_rebuild_from(wh: Warehouse, league: str, as_of: datetime) -> date | None:
    """The earliest game date of a correction this clock sees that no transform has applied yet:
    incremental features must be re-processed from there (beyond their lookback)."""
    value = wh.scalar(
        "select min(c.game_date) from ops.correction c where c.league = ? and c.corrected_at <= ?"
        " and not exists (select 1 from ops.correction_applied a"
        " where a.correction_id = c.correction_id)",
        (league, as_of),
    )
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else value


def record_applied(wh: Warehouse, league: str, run_id: str, as_of: datetime) -> int:
    """After a successful transform: every correction this clock sees is applied (the build
    re-processed from the earliest pending one); one it cannot see is not (the build re-wrote the
    features without it), so a later clock rebuilds from its game again. Returns newly applied."""
    now = datetime.now(UTC)
    with wh.transaction():
        wh.execute(
            "delete from ops.correction_applied where correction_id in (select correction_id"
            " from ops.correction where league = ? and corrected_at > ?)",
            (league, as_of),
        )
        pending = [
            r["correction_id"]
            for r in wh.query(
                "select c.correction_id from ops.correction c where c.league = ?"
                " and c.corrected_at <= ? and not exists (select 1 from ops.correction_applied a"
                " where a.correction_id = c.correction_id)",
                (league, as_of),
            )
        ]
        wh.insert_rows(
            "ops.correction_applied",
            ["correction_id", "run_id", "applied_at"],
            [[c, run_id, now] for c in pending],
        )
    return len(pending)
