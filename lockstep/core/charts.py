"""Chart.js configurations built on the server (docs/architecture.md, "Charts").

A page passes a `Chart` to `{% include "partials/chart.html" with chart=… %}`: a
`<figure class="chart">` with a `<canvas data-chart="ID" role="img" aria-label="…">`, a
`<figcaption>` and the configuration in `{{ config|json_script:ID }}` (a JSON script is data,
not code, so the strict CSP holds). `static/lockstep/charts.js` draws every such canvas.

Colours: the Okabe–Ito palette, readable with every common colour-vision deficiency; the
series order below is the order charts use them. A target is always a black tick across
the bar it belongs to (`target_line`).
Every chart sits next to the table that holds its numbers (and that table's CSV)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

# Okabe & Ito (2008), "Color Universal Design".
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
PURPLE = "#CC79A7"
SKY = "#56B4E9"
VERMILLION = "#D55E00"
YELLOW = "#F0E442"
BLACK = "#000000"
PALETTE = [BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILLION, YELLOW, BLACK]

POINT_STYLES = ["circle", "rect", "triangle", "rectRot", "crossRot", "star"]

Format = Literal["number", "percent", "hours", "money", "score"]
Number = int | float | Decimal | None


@dataclass
class Chart:
    """One chart: `id` names both the canvas and its JSON script (unique on the page),
    `label` is the text alternative (what the chart shows, in a sentence), `caption` the
    visible caption, `fmt` how charts.js formats the value axis and tooltips."""

    id: str
    label: str
    caption: str
    config: dict[str, Any]
    fmt: Format = "number"
    size: Literal["", "short", "tall"] = ""
    rows: int = 0  # categories of a horizontal bar chart: charts.js sizes it to fit

    @property
    def dom_id(self) -> str:
        """The id of the JSON script and the canvas's `data-chart`: prefixed, so a chart
        never clashes with a section of the page that has the same name."""
        return f"chart-{self.id}"


@dataclass
class Series:
    label: str
    values: Sequence[Number]
    color: str = ""
    kind: Literal["bar", "line"] = "bar"
    dashed: bool = False
    target: bool = False  # a target: a black tick mark on each category, no line
    stack: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def dataset(self, index: int) -> dict[str, Any]:
        color = self.color or PALETTE[index % len(PALETTE)]
        data: dict[str, Any] = {
            "label": self.label,
            "data": [None if v is None else float(v) for v in self.values],
            "backgroundColor": color,
            "borderColor": color,
            "order": 1,  # Chart.js draws lower orders last, on top: targets (0) over bars
        }
        if self.target:
            # a tick across each bar, where the target is (a "bullet chart"): readable with
            # one category as with thirty, in colour and in print
            data |= {
                "type": "line", "showLine": False, "pointStyle": "line", "pointRadius": 13,
                "pointHoverRadius": 13, "borderWidth": 3, "order": 0,
            }  # fmt: skip
        elif self.kind == "line":
            data |= {"type": "line", "fill": False, "borderWidth": 2, "pointRadius": 3}
            if self.dashed:
                data |= {"borderDash": [6, 4], "pointRadius": 0, "pointStyle": "line"}
        if self.stack:
            data["stack"] = self.stack
        return data | self.extra


def target_line(label: str, values: Sequence[Number]) -> Series:
    """A target (or expectation) drawn over bars: a black tick across each bar."""
    return Series(label, values, color=BLACK, kind="line", target=True)


def bar_chart(
    chart_id: str,
    *,
    labels: Sequence[str],
    series: Sequence[Series],
    label: str,
    caption: str,
    fmt: Format = "number",
    horizontal: bool = False,
    stacked: bool = False,
    max_value: float | None = None,
    size: Literal["", "short", "tall"] = "",
) -> Chart:
    value_axis = "x" if horizontal else "y"
    category_axis = "y" if horizontal else "x"
    value_scale: dict[str, Any] = {"beginAtZero": True, "stacked": stacked}
    if max_value is not None:
        value_scale["max"] = max_value
    datasets = [s.dataset(i) for i, s in enumerate(series)]
    for s, data in zip(series, datasets, strict=True):
        if s.target and horizontal:
            data["rotation"] = 90  # the tick stands across a horizontal bar
    config = {
        "type": "bar",
        "data": {"labels": list(labels), "datasets": datasets},
        "options": {
            "indexAxis": "y" if horizontal else "x",
            "scales": {value_axis: value_scale, category_axis: {"stacked": stacked}},
            "plugins": {"legend": {"display": len(series) > 1}},
        },
    }
    rows = len(labels) if horizontal else 0
    return Chart(chart_id, label, caption, config, fmt=fmt, size=size, rows=rows)


def line_chart(
    chart_id: str,
    *,
    labels: Sequence[str],
    series: Sequence[Series],
    label: str,
    caption: str,
    fmt: Format = "number",
    min_value: float | None = None,
    max_value: float | None = None,
    size: Literal["", "short", "tall"] = "",
) -> Chart:
    value_scale: dict[str, Any] = {"beginAtZero": min_value is None}
    if min_value is not None:
        value_scale["min"] = min_value
    if max_value is not None:
        value_scale["max"] = max_value
    datasets = []
    for i, s in enumerate(series):
        data = s.dataset(i) | {"type": "line", "fill": False, "borderWidth": 2, "pointRadius": 4}
        # a different marker per series: readable without colour, and in print
        data |= {"spanGaps": False, "pointStyle": POINT_STYLES[i % len(POINT_STYLES)]}
        datasets.append(data)
    config = {
        "type": "line",
        "data": {"labels": list(labels), "datasets": datasets},
        "options": {
            "scales": {"y": value_scale},
            "plugins": {"legend": {"display": len(series) > 1}},
        },
    }
    return Chart(chart_id, label, caption, config, fmt=fmt, size=size)
