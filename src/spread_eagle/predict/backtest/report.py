"""The backtest's readable report: the only module of the backtest that makes HTML."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from spread_eagle.odds import BREAK_EVEN_AT_MINUS_110
from spread_eagle.predict.backtest.metrics import (
    calibration,
    clv_by_season,
    cumulative_units,
    season_rows,
)
from spread_eagle.predict.engine import Forecast

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1c2430;background:#f6f7f9}
main{max-width:960px;margin:0 auto;padding:24px 16px 48px}
h1{font-size:1.6rem;margin:0 0 4px}h2{font-size:1.15rem;margin:32px 0 8px}
p.sub{color:#5b6675;margin:0 0 16px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde2e8;border-radius:6px;font-size:.92rem}
th,td{padding:7px 10px;text-align:right;border-bottom:1px solid #edf0f3}
th:first-child,td:first-child{text-align:left}th{background:#eef1f5;font-weight:600}
.better{color:#0a7a3d;font-weight:600}.worse{color:#b42318}
.wrap{overflow-x:auto}svg{background:#fff;border:1px solid #dde2e8;border-radius:6px;max-width:100%;height:auto}
dl{font-size:.9rem;color:#3a4552}dt{font-weight:600;margin-top:8px}dd{margin:2px 0 0 0}
"""


def _fmt(value: Any, digits: int = 4) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.{digits}f}"
    return html.escape(str(value))


def _calibration_svg(table: Sequence[dict[str, Any]]) -> str:
    size, pad = 320, 36
    span = size - 2 * pad

    def xy(p: float, y: float) -> tuple[float, float]:
        return pad + p * span, size - pad - y * span

    parts = [
        f'<svg viewBox="0 0 {size} {size}" width="{size}" height="{size}" role="img" '
        'aria-label="Calibration: predicted home win probability against observed win rate">',
        f'<line x1="{pad}" y1="{size - pad}" x2="{size - pad}" y2="{pad}" stroke="#9aa5b1" stroke-dasharray="4 4"/>',
        f'<line x1="{pad}" y1="{size - pad}" x2="{size - pad}" y2="{size - pad}" stroke="#1c2430"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{size - pad}" stroke="#1c2430"/>',
    ]
    for tick in (0.0, 0.5, 1.0):
        x, _ = xy(tick, 0)
        _, y = xy(0, tick)
        parts.append(
            f'<text x="{x:.0f}" y="{size - pad + 16}" font-size="11" text-anchor="middle">{tick:g}</text>'
        )
        parts.append(
            f'<text x="{pad - 6}" y="{y + 4:.0f}" font-size="11" text-anchor="end">{tick:g}</text>'
        )
    points = [xy(row["mean_p"], row["win_rate"]) for row in table]
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1f6feb" stroke-width="2"/>')
    for (x, y), row in zip(points, table, strict=True):
        radius = 3 + min(6.0, row["games"] / 80)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="#1f6feb" fill-opacity=".7">'
            f"<title>{row['games']} games: predicted {row['mean_p']:.3f}, won {row['win_rate']:.3f}</title></circle>"
        )
    parts.append(
        f'<text x="{size / 2}" y="{size - 4}" font-size="11" text-anchor="middle">predicted P(home win)</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _line_svg(
    points: Sequence[tuple[float, float]], label: str, y_label: str, x_labels: tuple[str, str]
) -> str:
    """A small line chart (x in order, y scaled to the data, a zero line) as inline SVG."""
    width, height, pad = 640, 220, 40
    if not points:
        return f'<p class="sub">No {html.escape(label)} to chart.</p>'
    xs = [x for x, _ in points]
    ys = [y for _, y in points] + [0.0]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = min(ys), max(ys) if max(ys) > min(ys) else min(ys) + 1

    def xy(x: float, y: float) -> tuple[float, float]:
        return (
            pad + (x - x0) / (x1 - x0) * (width - 2 * pad),
            height - pad - (y - y0) / (y1 - y0) * (height - 2 * pad),
        )

    path = " ".join(f"{a:.1f},{b:.1f}" for a, b in (xy(x, y) for x, y in points))
    _, zero = xy(x0, 0.0)
    return (
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(label)}">'
        f'<line x1="{pad}" y1="{zero:.1f}" x2="{width - pad}" y2="{zero:.1f}" stroke="#9aa5b1" stroke-dasharray="4 4"/>'
        f'<polyline points="{path}" fill="none" stroke="#1f6feb" stroke-width="1.6"/>'
        f'<text x="{pad}" y="{pad - 12}" font-size="11">{html.escape(y_label)}: {y1:.1f} top, {y0:.1f} bottom</text>'
        f'<text x="{pad}" y="{height - 12}" font-size="11">{html.escape(x_labels[0])}</text>'
        f'<text x="{width - pad}" y="{height - 12}" font-size="11" text-anchor="end">{html.escape(x_labels[1])}</text>'
        "</svg>"
    )


def _ci(values: Any, digits: int = 3) -> str:
    if not values or values[0] is None:
        return "-"
    return f"[{values[0]:.{digits}f}, {values[1]:.{digits}f}]"


def _model_section(name: str, m: dict[str, Any], forecasts: Sequence[Forecast]) -> str:
    decided = [
        (f.models[name].p_home_win, 1.0 if f.record.margin > 0 else 0.0)
        for f in forecasts
        if f.record.is_final and f.record.margin != 0
    ]
    table = calibration(decided)
    calib_rows = "".join(
        f"<tr><td>{r['low']:.1f}-{r['high']:.1f}</td><td>{r['games']}</td><td>{r['mean_p']:.3f}</td>"
        f"<td>{r['win_rate']:.3f}</td><td>{r['win_rate'] - r['mean_p']:+.3f}</td></tr>"
        for r in table
    )
    season_html = "".join(
        f"<tr><td>{r['season']}</td><td>{r['games']}</td><td>{_fmt(r['market_spread_mae'], 2)}</td>"
        f"<td>{_fmt(r['model_spread_mae'], 2)}</td><td>{_fmt(r['model_win_brier'], 4)}</td>"
        f"<td>{r['ats']['wins']}-{r['ats']['losses']}-{r['ats']['pushes']}</td>"
        f"<td>{_fmt(r['ats']['pct'], 3)}</td></tr>"
        for r in season_rows(forecasts, name)
    )
    units = cumulative_units(forecasts, name)
    units_svg = _line_svg(
        [(float(i), u) for i, (_, u) in enumerate(units)],
        f"{name}: cumulative units of its rule bets at -110",
        "units",
        (units[0][0], units[-1][0]) if units else ("", ""),
    )
    clv = clv_by_season(forecasts, name)
    clv_svg = _line_svg(
        [(float(season), mean) for season, mean, _ in clv],
        f"{name}: mean closing-line value of its open bets by season",
        "CLV points",
        (str(clv[0][0]), str(clv[-1][0])) if clv else ("", ""),
    )
    clv_rows = "".join(
        f"<tr><td>{season}</td><td>{n}</td><td>{mean:+.3f}</td></tr>" for season, mean, n in clv
    )
    a, o, pub = m["ats_vs_close"], m["ats_vs_open"], m["published_plays"]
    return f"""
<h2 id="{html.escape(name)}">{html.escape(name)} <small>{html.escape(m["model_version"])}</small></h2>
<div class="wrap"><table><thead><tr><th>bets</th><th>W-L-P</th><th>win %</th><th>95% interval</th></tr></thead><tbody>
<tr><td>rule bets vs close</td><td>{a["wins"]}-{a["losses"]}-{a["pushes"]}</td><td>{_fmt(a["pct"], 3)}</td><td>{_ci(a.get("pct_ci95"))}</td></tr>
<tr><td>rule bets vs open</td><td>{o["wins"]}-{o["losses"]}-{o["pushes"]}</td><td>{_fmt(o["pct"], 3)}</td><td>{_ci(o.get("pct_ci95"))}</td></tr>
<tr><td>published plays (rule earned)</td><td>{pub["wins"]}-{pub["losses"]}-{pub["pushes"]}</td><td>{_fmt(pub["pct"], 3)}</td><td>{_ci(pub.get("pct_ci95"))}</td></tr>
</tbody></table></div>
<p class="sub">ROI per bet at -110: {_fmt(m["roi_at_minus110"])} {_ci(m.get("roi_at_minus110_ci95"), 4)};
mean CLV {_fmt(m["clv_mean_points"], 3)} points {_ci(m.get("clv_mean_points_ci95"))}; cover Brier {_fmt(m["cover_brier"])};
ECE {_fmt(m["calibration_ece"])}.</p>
<h3>Reliability of P(home win)</h3>
{_calibration_svg(table)}
<div class="wrap"><table><thead><tr><th>predicted</th><th>games</th><th>mean predicted</th><th>home win rate</th>
<th>difference</th></tr></thead><tbody>{calib_rows}</tbody></table></div>
<h3>Cumulative units (rule bets vs close, -110)</h3>
{units_svg}
<h3>Closing-line value over time</h3>
{clv_svg}
<div class="wrap"><table><thead><tr><th>season</th><th>open bets</th><th>mean CLV (points)</th></tr></thead>
<tbody>{clv_rows}</tbody></table></div>
<h3>By season</h3>
<div class="wrap"><table><thead><tr><th>season</th><th>games</th><th>market spread MAE</th><th>model spread MAE</th>
<th>model win Brier</th><th>ATS vs close</th><th>ATS %</th></tr></thead><tbody>{season_html}</tbody></table></div>
"""


def render_report(metrics: dict[str, Any], forecasts: Sequence[Forecast], source_name: str) -> str:
    """A self-contained HTML page (inline CSS and SVG, no external assets)."""
    market = metrics["market"]
    rows = []
    for key, label in (
        ("spread_mae", "Spread MAE (points)"),
        ("total_mae", "Total MAE (points)"),
        ("win_brier", "Win Brier"),
        ("win_logloss", "Win log loss"),
        ("su_accuracy", "Straight-up accuracy"),
    ):
        cells = [f"<td>{_fmt(market[key])}</td>"]
        for m in metrics["models"].values():
            higher_is_better = key == "su_accuracy"
            better = (m[key] > market[key]) if higher_is_better else (m[key] < market[key])
            cells.append(f'<td class="{"better" if better else "worse"}">{_fmt(m[key])}</td>')
        rows.append(f'<tr><th scope="row">{label}</th>{"".join(cells)}</tr>')
    ece = "".join(f"<td>{_fmt(m['calibration_ece'])}</td>" for m in metrics["models"].values())
    rows.append(f'<tr><th scope="row">Calibration ECE</th><td>-</td>{ece}</tr>')
    model_heads = "".join(
        f"<th>{html.escape(name)}<br><small>{html.escape(m['model_version'])}</small></th>"
        for name, m in metrics["models"].items()
    )
    sections = "".join(_model_section(name, m, forecasts) for name, m in metrics["models"].items())
    title = f"Spread Eagle backtest {metrics['start_season']}-{metrics['end_season']}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{_CSS}</style></head>
<body><main>
<h1>{html.escape(title)}</h1>
<p class="sub">Walk-forward on {metrics["games"]} graded games from {html.escape(source_name)}: each game date is predicted
from games finished before it only. Green beats the closing market, red does not.</p>
<h2>Against the closing market</h2>
<div class="wrap"><table><thead><tr><th>metric</th><th>market (close)</th>{model_heads}</tr></thead>
<tbody>{"".join(rows)}</tbody></table></div>
<p class="sub">Break-even at -110 is {BREAK_EVEN_AT_MINUS_110:.3f}. Intervals are 95% bootstrap intervals
(2,000 resamples of the bets, fixed seed).</p>
{sections}
<h2>Definitions</h2>
<dl>
<dt>Market</dt><dd>The closing line is the forecast: -spread for the margin, the total for points, the vig-free
moneyline probability for the winner (games with both moneylines, ties excluded). Straight-up accuracy is the closing
spread favourite's, on decided games with a favourite.</dd>
<dt>ratings</dt><dd>Team and starting-quarterback ratings learned from results alone; it never sees a line.</dd>
<dt>market_blend</dt><dd>The ratings combined with the market's spread, total and moneyline, its coefficients
fitted at each season's start on earlier seasons only.</dd>
<dt>Rule bets</dt><dd>A model bets its better side when P(cover | no push) beats the price's break-even by the
rule's minimum edge. "vs open" hands it the opening line (aussportsbetting sheet, 2014 to 2024 week 3; the close
where a game has none) and grades at it. CLV is how far the line then moved toward that bet. A play is published
only once the rule's own record, on earlier games, is above break-even.</dd>
<dt>ECE</dt><dd>Expected calibration error over ten equal-width probability bins.</dd>
</dl>
</main></body></html>
"""
