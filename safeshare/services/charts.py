"""Report charts as SVG, drawn on the server with matplotlib (no JavaScript, no build step).

Each chart is a plain bar chart (stacked or grouped, vertical or horizontal) from a
:class:`~safeshare.services.reports.Chart`. Text stays text in the SVG (readable
by screen readers and searchable), output is deterministic (fixed hash salt, no
date), and the figure carries a ``<title>`` naming what it shows.
"""

from __future__ import annotations

import io
import re
import threading
from html import escape
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # no display: render to files only

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

if TYPE_CHECKING:
    from safeshare.services.reports import Chart

# GOV.UK Design System colours: blue, orange, turquoise, purple, green, red.
PALETTE = ["#1d70b8", "#f47738", "#28a197", "#4c2c92", "#00703c", "#d4351c"]
_LOCK = threading.Lock()  # pyplot's state is global: draw one chart at a time


def _size(chart: Chart) -> tuple[float, float]:
    """Wide enough for the bars it has (a lone bar should not fill a page), room on the right for a legend."""
    n = max(1, len(chart.categories))
    legend = 1.8 if len(chart.series) > 1 else 0.0
    if chart.horizontal:
        return 7.5, 0.45 * n + 1
    return min(9.0, max(3.2, 0.9 * n * max(1, len(chart.series) if not chart.stacked else 1) + 1.5)) + legend, 3.4


def chart_svg(chart: Chart, title: str, *, show_title: bool = True) -> str:
    """One chart as an SVG document (a string), or a short note when there is nothing to draw.

    ``title`` is always the SVG's ``<title>``; ``show_title=False`` leaves it off the
    drawing, for a page whose heading already says it.
    """
    with _LOCK, plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "safeshare", "font.size": 9}):
        fig, ax = plt.subplots(figsize=_size(chart))
        try:
            if not chart.categories or not any(any(v for v in values) for values in chart.series.values()):
                ax.text(0.5, 0.5, "Nothing to show for this period", ha="center", va="center", color="#505a5f")
                ax.set_axis_off()
            else:
                _bars(ax, chart)
            if show_title:
                ax.set_title(title, loc="left", fontsize=10, fontweight="bold")
            fig.tight_layout()
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Title": title})
        finally:
            plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML prolog and DOCTYPE so it can sit inline in HTML
    opening = svg.index(">") + 1  # a <title> first thing inside <svg> is what screen readers announce
    svg = svg[:opening] + f"<title>{escape(title)}</title>" + svg[opening:]
    return re.sub(r"<svg ", '<svg role="img" ', svg, count=1)


def _bars(ax: plt.Axes, chart: Chart) -> None:
    positions = list(range(len(chart.categories)))
    names = list(chart.series)
    width = 0.8 if chart.stacked or len(names) == 1 else 0.8 / len(names)
    base = [0.0] * len(positions)
    for n, name in enumerate(names):
        values = [float(v) for v in chart.series[name]]
        offset = 0.0 if chart.stacked or len(names) == 1 else (n - (len(names) - 1) / 2) * width
        at = [p + offset for p in positions]
        colour = PALETTE[n % len(PALETTE)]
        if chart.horizontal:
            bars = ax.barh(at, values, height=width, left=base if chart.stacked else None, label=name, color=colour)
        else:
            bars = ax.bar(at, values, width=width, bottom=base if chart.stacked else None, label=name, color=colour)
        ax.bar_label(bars, labels=[f"{v:g}" if v else "" for v in values], fontsize=8,
                     label_type="center" if chart.stacked else "edge",
                     color="white" if chart.stacked else "#0b0c0c")  # fmt: skip
        if chart.stacked:
            base = [b + v for b, v in zip(base, values, strict=True)]
    if chart.horizontal:
        ax.set_yticks(positions, chart.categories)
        ax.invert_yaxis()
        ax.set_xlabel(chart.y_label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        crowded = len(chart.categories) > 4 and max(len(c) for c in chart.categories) > 8
        ax.set_xticks(positions, chart.categories, rotation=20 if crowded else 0, ha="right" if crowded else "center")
        ax.set_ylabel(chart.y_label)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    if len(names) > 1:
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
