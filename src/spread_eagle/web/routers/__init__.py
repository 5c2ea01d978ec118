"""One router per resource: the JSON API, slate pages, game pages, runs, backtest, docs."""
