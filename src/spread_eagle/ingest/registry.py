"""Which provider serves schedule, lines and results: chosen by settings, combinable.

SPREAD_EAGLE_SCHEDULE_PROVIDER, SPREAD_EAGLE_ODDS_PROVIDER and SPREAD_EAGLE_RESULTS_PROVIDER each
name a source (`replay` by default; `odds_api`, `espn`, `nflverse` where the source has that kind
of data), e.g. schedule and results from `espn` with odds from `odds_api`. One instance is built
per distinct source, so a source serving two kinds is fetched once per run where it can be.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from spread_eagle.config import Settings
from spread_eagle.ingest.http import HttpClient
from spread_eagle.ingest.providers.base import LINES, RESULTS, SCHEDULE, Provider
from spread_eagle.ingest.providers.espn import EspnProvider
from spread_eagle.ingest.providers.nflverse import NflverseProvider, StoredCopy, split_url
from spread_eagle.ingest.providers.odds_api import OddsApiProvider
from spread_eagle.ingest.providers.replay import ReplayProvider
from spread_eagle.leagues import League
from spread_eagle.warehouse import Warehouse


class ProviderNotAvailableError(ValueError):
    pass


@dataclass
class HttpOptions:
    """What tests may inject into every HTTP client (a MockTransport, a sleep that records)."""

    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep


def _client(settings: Settings, source: str, base_url: str, options: HttpOptions) -> HttpClient:
    return HttpClient(
        source=source,
        base_url=base_url,
        transport=options.transport,
        timeout_seconds=settings.http_timeout_seconds,
        max_attempts=settings.http_max_attempts,
        backoff_seconds=settings.http_backoff_seconds,
        sleep=options.sleep,
        secrets=settings.secrets(),
    )


def stored_copy(warehouse: Warehouse | None) -> Callable[[str], StoredCopy | None]:
    """The newest stored download of a source with its validators (read-only)."""

    def lookup(source: str) -> StoredCopy | None:
        if warehouse is None:
            return None
        rows = warehouse.query(
            "select p.body, p.content_type, h.etag, h.last_modified from raw.http_response h"
            " join raw.payload p on p.payload_id = h.payload_id"
            " where h.source = ? and h.status_code = 200 order by h.fetched_at desc limit 1",
            (source,),
        )
        if not rows:
            return None
        r = rows[0]
        return StoredCopy(r["body"], r["content_type"] or "", r["etag"], r["last_modified"])

    return lookup


def _replay(
    settings: Settings, league: League, warehouse: Warehouse | None, options: HttpOptions
) -> Provider:
    return ReplayProvider(league, settings.games_file_for(league), settings.lines_file_for(league))


def _odds_api(
    settings: Settings, league: League, warehouse: Warehouse | None, options: HttpOptions
) -> Provider:
    return OddsApiProvider(
        settings, league, _client(settings, "odds_api", settings.odds_api_base_url, options)
    )


def _espn(
    settings: Settings, league: League, warehouse: Warehouse | None, options: HttpOptions
) -> Provider:
    return EspnProvider(league, _client(settings, "espn", settings.espn_base_url, options))


def _nflverse(
    settings: Settings, league: League, warehouse: Warehouse | None, options: HttpOptions
) -> Provider:
    base, _ = split_url(settings.nflverse_games_url)
    return NflverseProvider(
        league,
        settings.nflverse_games_url,
        _client(settings, "nflverse", base, options),
        stored_copy(warehouse),
    )


Factory = Callable[[Settings, League, Warehouse | None, HttpOptions], Provider]
FACTORIES: dict[str, Factory] = {
    "replay": _replay,
    "odds_api": _odds_api,
    "espn": _espn,
    "nflverse": _nflverse,
}
# Which kinds of data each source has (checked before anything is built or fetched).
KINDS: dict[str, frozenset[str]] = {
    "replay": ReplayProvider.kinds,
    "odds_api": OddsApiProvider.kinds,
    "espn": EspnProvider.kinds,
    "nflverse": NflverseProvider.kinds,
}


def build_provider(
    name: str,
    settings: Settings,
    league: League,
    warehouse: Warehouse | None = None,
    options: HttpOptions | None = None,
) -> Provider:
    try:
        factory = FACTORIES[name]
    except KeyError:
        raise ProviderNotAvailableError(
            f"provider {name!r} is not available; choose one of: {', '.join(sorted(FACTORIES))}"
        ) from None
    return factory(settings, league, warehouse, options or HttpOptions())


def provider_names(settings: Settings) -> dict[str, str]:
    return {
        SCHEDULE: settings.schedule_provider,
        LINES: settings.odds_provider,
        RESULTS: settings.results_provider,
    }


def with_source(settings: Settings, source: str) -> Settings:
    """Settings where `source` serves every kind of data it has (the others stay as configured)."""
    if source not in FACTORIES:
        raise ProviderNotAvailableError(
            f"provider {source!r} is not available; choose one of: {', '.join(sorted(FACTORIES))}"
        )
    fields = {SCHEDULE: "schedule_provider", LINES: "odds_provider", RESULTS: "results_provider"}
    return settings.model_copy(update={fields[k]: source for k in KINDS[source]})


def providers_for(
    settings: Settings,
    league: League,
    warehouse: Warehouse | None = None,
    options: HttpOptions | None = None,
) -> dict[str, Provider]:
    """kind -> provider, one instance per distinct provider name."""
    names = provider_names(settings)
    for kind, name in names.items():
        if name in KINDS and kind not in KINDS[name]:
            raise ProviderNotAvailableError(
                f"provider {name!r} has no {kind} data; choose one of: "
                f"{', '.join(sorted(n for n, k in KINDS.items() if kind in k))}"
            )
    built: dict[str, Provider] = {}
    out: dict[str, Provider] = {}
    for kind, name in names.items():
        if name not in built:
            built[name] = build_provider(name, settings, league, warehouse, options)
        out[kind] = built[name]
    return out
