"""The model registry: which models exist, which are configured, and their versions — known
without fitting a model, so validation and summaries can name what to expect.

A `model_version` is `<name>-<code version>+<league>.<hash>`, the hash (sha256, 10 hex) of the
model's code version, every parameter it reads from the league config and the training cutoff of
those parameters: change any of them and the version changes; change none and it is the same on
every machine. `register` stores versions and parameters in ops.model and backtest metrics in
ops.model_metrics (migration 0006); `spread-eagle models` lists them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from spread_eagle.leagues import League
from spread_eagle.predict import market_blend, ratings
from spread_eagle.predict.engine import MODEL_NAMES, as_params
from spread_eagle.warehouse import Warehouse

CODE_VERSIONS = {
    ratings.MODEL_NAME: ratings.CODE_VERSION,
    market_blend.MODEL_NAME: market_blend.CODE_VERSION,
}
assert tuple(CODE_VERSIONS) == MODEL_NAMES


class UnknownModelError(ValueError):
    pass


def check_model(name: str) -> str:
    if name not in CODE_VERSIONS:
        raise UnknownModelError(f"unknown model {name!r}; known: {', '.join(CODE_VERSIONS)}")
    return name


def parse_models(value: str) -> list[str]:
    """'ratings, market_blend' -> ['ratings', 'market_blend'] (checked, order kept, no repeats)."""
    names: list[str] = []
    for part in value.split(","):
        name = part.strip()
        if name and check_model(name) not in names:
            names.append(name)
    if not names:
        raise UnknownModelError("no model configured (SPREAD_EAGLE_MODELS is empty)")
    return names


def training_cutoff(league: League) -> str:
    return str(league.models.get("fitted_through", ""))


def model_params(name: str, league: League) -> dict[str, Any]:
    """Every league constant the model's forecasts depend on."""
    config = league.models
    params = {
        "ratings": config["ratings"],
        "distribution": config["distribution"],
        "plays": config["plays"],
    }
    if check_model(name) == market_blend.MODEL_NAME:
        params["blend"] = config["blend"]
    return as_params(params)


def model_version(name: str, league: League) -> str:
    material = {
        "name": name,
        "code_version": CODE_VERSIONS[check_model(name)],
        "params": model_params(name, league),
        "training_cutoff": training_cutoff(league),
    }
    digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:10]
    return f"{name}-{CODE_VERSIONS[name]}+{league.league}.{digest}"


def model_versions(league: League) -> dict[str, str]:
    return {name: model_version(name, league) for name in MODEL_NAMES}


def configured_versions(models: str | Sequence[str], league: League) -> dict[str, str]:
    """{model name: model_version} of every configured model for a league."""
    names = parse_models(models) if isinstance(models, str) else [check_model(m) for m in models]
    return {name: model_version(name, league) for name in names}


def register(wh: Warehouse, league: League, names: Sequence[str] = MODEL_NAMES) -> list[str]:
    """Store each model's version and parameters in ops.model (once per version)."""
    versions = []
    for name in names:
        version = model_version(name, league)
        if not wh.query("select 1 from ops.model where model_version = ?", (version,)):
            wh.insert_all(
                "ops.model",
                [
                    {
                        "model_version": version,
                        "model": name,
                        "league": league.league,
                        "code_version": CODE_VERSIONS[name],
                        "params_json": json.dumps(model_params(name, league), sort_keys=True),
                        "training_cutoff": training_cutoff(league),
                        "registered_at": datetime.now(UTC).replace(tzinfo=None),
                    }
                ],
            )
        versions.append(version)
    return versions


def record_metrics(wh: Warehouse, league: League, metrics: dict[str, Any]) -> int:
    """Store a backtest's per-model metrics in ops.model_metrics (replacing the same window)."""
    register(wh, league, list(metrics["models"]))
    rows = 0
    for name, m in metrics["models"].items():
        key = {
            "model_version": m["model_version"],
            "start_season": metrics["start_season"],
            "end_season": metrics["end_season"],
        }
        wh.replace(
            "ops.model_metrics",
            key,
            [
                {
                    **key,
                    "model": name,
                    "games": metrics["games"],
                    "spread_mae": m["spread_mae"],
                    "win_brier": m["win_brier"],
                    "calibration_ece": m["calibration_ece"],
                    "metrics_json": json.dumps(
                        {"model": m, "market": metrics["market"]}, sort_keys=True
                    ),
                    "measured_at": datetime.now(UTC).replace(tzinfo=None),
                }
            ],
        )
        rows += 1
    return rows


def list_models(wh: Warehouse) -> list[dict[str, Any]]:
    """Registered versions, newest first, with their latest backtest's headline figures."""
    return wh.query(
        "select m.model, m.model_version, m.league, m.code_version, m.training_cutoff,"
        " m.registered_at, x.start_season, x.end_season, x.games, x.spread_mae, x.win_brier,"
        " x.calibration_ece"
        " from ops.model m left join ops.model_metrics x on x.model_version = m.model_version"
        " order by m.registered_at desc, m.model, x.end_season desc"
    )
