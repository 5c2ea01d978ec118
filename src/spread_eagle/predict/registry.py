"""The model registry: which models exist, which are configured, and their versions — known
without building or fitting a model, so validation and summaries can name what to expect."""

from __future__ import annotations

from spread_eagle.leagues import League
from spread_eagle.predict import ratings

MODELS = {ratings.MODEL_NAME: ratings.RatingsModel}
VERSIONS = {ratings.MODEL_NAME: ratings.model_version}


class UnknownModelError(ValueError):
    pass


def check_model(name: str) -> str:
    if name not in MODELS:
        raise UnknownModelError(f"unknown model {name!r}; known: {', '.join(MODELS)}")
    return name


def configured_versions(model_name: str, league: League) -> dict[str, str]:
    """{model name: model_version} of the configured model(s) for a league."""
    return {check_model(model_name): VERSIONS[model_name](league)}


def build_model(name: str, league: League) -> ratings.RatingsModel:
    return MODELS[check_model(name)](league)
