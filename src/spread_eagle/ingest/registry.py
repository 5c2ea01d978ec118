"""Which provider serves schedule, lines and results: chosen by settings, combinable."""

from __future__ import annotations

from collections.abc import Callable

from spread_eagle.config import Settings
from spread_eagle.ingest.providers.base import Provider
from spread_eagle.ingest.providers.replay import ReplayProvider
from spread_eagle.leagues import League


class ProviderNotAvailableError(ValueError):
    pass


def _replay(settings: Settings, league: League) -> Provider:
    return ReplayProvider(league, settings.resolved_games_file)


FACTORIES: dict[str, Callable[[Settings, League], Provider]] = {"replay": _replay}


def build_provider(name: str, settings: Settings, league: League) -> Provider:
    try:
        factory = FACTORIES[name]
    except KeyError:
        raise ProviderNotAvailableError(
            f"provider {name!r} is not available; choose one of: {', '.join(sorted(FACTORIES))}"
        ) from None
    return factory(settings, league)


def providers_for(settings: Settings, league: League) -> dict[str, Provider]:
    """kind -> provider, one instance per distinct provider name."""
    names = {
        "schedule": settings.schedule_provider,
        "lines": settings.odds_provider,
        "results": settings.results_provider,
    }
    built: dict[str, Provider] = {}
    return {
        kind: built.setdefault(name, build_provider(name, settings, league))
        for kind, name in names.items()
    }
