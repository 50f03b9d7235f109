"""Pictures of calculator results (bot.core.types.PensionChart) as PNG images sized for a phone screen.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no global figure state), so drawing is safe in a
worker thread: channels call `render_png` through `asyncio.to_thread` and never block their event loop. The
image is deterministic: a fixed size and resolution, DejaVu Sans (bundled with matplotlib, with every Vietnamese
diacritic), and no software version or date in its metadata. matplotlib is imported on first use only: most
processes never draw.
"""

from __future__ import annotations

import io
from pathlib import Path

from bot.core.types import PensionChart

SIZE_INCHES = (9.0, 9.0)
DPI = 120  # 1080 × 1080 pixels: full width on a phone, legible without zooming
TITLE_SIZE, LABEL_SIZE, TICK_SIZE, NOTE_SIZE = 28, 22, 19, 21
PENSION_COLOUR, LUMP_COLOUR, CROSSING_COLOUR = "#1565c0", "#c62828", "#2e7d32"
MILLION = 1_000_000


def _millions(value: float, _position: object = None) -> str:
    """Axis ticks: 160 -> "160", 1500 -> "1.500" (Vietnamese thousands separator)."""
    return f"{value:,.0f}".replace(",", ".")


def render_png(chart: PensionChart) -> bytes:
    """The chart as PNG bytes, 1080 × 1080 pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    totals = [total / MILLION for total in chart.pension_totals]
    lump = chart.lump_sum / MILLION
    axes.plot(chart.ages, totals, color=PENSION_COLOUR, linewidth=5, label=chart.pension_label)
    axes.axhline(lump, color=LUMP_COLOUR, linewidth=4, linestyle="--", label=chart.lump_label)
    if chart.crossover_age is not None and chart.crossover_age in chart.ages:
        crossing = totals[chart.ages.index(chart.crossover_age)]
        axes.plot([chart.crossover_age], [crossing], "o", color=CROSSING_COLOUR, markersize=18, zorder=5)
        axes.axvline(chart.crossover_age, color=CROSSING_COLOUR, linewidth=2, linestyle=":")
    axes.set_title(chart.title, fontsize=TITLE_SIZE, pad=16)
    axes.set_xlabel(chart.age_label, fontsize=LABEL_SIZE)
    axes.set_ylabel(chart.money_label, fontsize=LABEL_SIZE)
    axes.tick_params(labelsize=TICK_SIZE)
    axes.yaxis.set_major_formatter(FuncFormatter(_millions))
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=TICK_SIZE, framealpha=1.0).set_zorder(10)
    figure.text(0.5, 0.025, chart.crossover_label, ha="center", fontsize=NOTE_SIZE, color=CROSSING_COLOUR, wrap=True)
    figure.tight_layout(rect=(0.0, 0.06, 1.0, 1.0))
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def save_png(chart: PensionChart, path: Path) -> Path:
    """Write the chart to `path` (a PNG file); the path written."""
    path.write_bytes(render_png(chart))
    return path
