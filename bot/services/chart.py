"""The ``/progress`` chart: daily pain, its 7-day average and vitamin D results on one time axis.

Built with matplotlib's object-oriented API (``Figure`` + ``FigureCanvasAgg``), never pyplot, so
no global figure state is touched and rendering is safe from ``asyncio.to_thread``. The data that
gets plotted comes from ``chart_series`` alone, so tests compare it with the stored data, and
``build_figure`` returns the figure itself so tests can read back what was actually drawn.
"""

from __future__ import annotations

import asyncio
import io
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bot.domain.progress import LevelPoint, PainPoint, daily_series, format_day, rolling_average

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# matplotlib is imported where a chart is drawn, not with this module: it is half a second of every
# process start (the bot's, each `vitd-bot` command's), and most processes never draw a chart.

PAIN_LABEL = "Daily pain"
AVERAGE_LABEL = "7-day average"
LEVEL_LABEL = "Vitamin D result"

PAIN_COLOR = "#1f5fa8"
LEVEL_COLOR = "#c2410c"
FONT_SIZE = 15


@dataclass(frozen=True)
class BandShade:
    """A shaded vitamin D band on the right axis, in ng/mL."""

    lower: float
    upper: float
    label: str
    color: str


# The article's bands ("Testing Vitamin D in Chronic Back Pain"); content/ holds the same numbers
# for the texts. Only these three are shaded: more would make the chart hard to read on a phone.
ARTICLE_BANDS = (
    BandShade(0, 20, "Deficient <20", "#f4a6a6"),
    BandShade(20, 30, "Insufficient 20-30", "#f7d08a"),
    BandShade(40, 60, "Optimal 40-60", "#9fd8a4"),
)


@dataclass(frozen=True)
class ChartSeries:
    """Exactly what gets plotted. Levels are in ``level_unit``, the subscriber's unit."""

    pain_dates: list[date]
    pain_scores: list[int]
    average_dates: list[date]
    average_values: list[float]
    level_dates: list[date]
    level_values: list[float]
    level_unit: str = "ng/mL"

    @property
    def is_empty(self) -> bool:
        return not self.pain_dates and not self.level_dates

    def all_dates(self) -> list[date]:
        return self.pain_dates + self.level_dates


def chart_series(
    pain_points: Sequence[PainPoint], level_points: Sequence[LevelPoint], unit: str = "ng/mL"
) -> ChartSeries:
    pain = daily_series(pain_points)
    average = rolling_average(pain)
    levels = sorted(level_points, key=lambda level: level.taken_on)
    return ChartSeries(
        pain_dates=[p.day for p in pain],
        pain_scores=[p.score for p in pain],
        average_dates=[day for day, _ in average],
        average_values=[value for _, value in average],
        level_dates=[level.taken_on for level in levels],
        level_values=[_in_unit(level, unit) for level in levels],
        level_unit=unit,
    )


def _in_unit(level: LevelPoint, unit: str) -> float:
    """The result as the lab printed it when that is the chart's unit, else converted."""
    if level.original_unit == unit:
        return level.original_value
    return level.value_ng_ml if unit == "ng/mL" else round(level.value_ng_ml * 2.496, 1)


def date_ticks(first: date, last: date, max_ticks: int = 5) -> list[date]:
    """Evenly spaced tick dates from ``first``: every 1-4 days or whole weeks, so a
    24-day program gets 1, 8, 15, 22 Nov rather than matplotlib's month-aligned picks."""
    span = (last - first).days
    step = next(
        n for n in (1, 2, 3, 4, *(7 * 2**k for k in range(12))) if span // n + 1 <= max_ticks
    )
    return [first + timedelta(days=offset) for offset in range(0, span + 1, step)]


def _value_label(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def build_figure(
    series: ChartSeries,
    *,
    width_px: int = 1200,
    height_px: int = 800,
    dpi: int = 150,
    bands: Sequence[BandShade] = ARTICLE_BANDS,
) -> Figure:
    """The chart as a Figure: ``figure.axes[0]`` is pain, ``figure.axes[1]`` (present only when
    there are results) is vitamin D. Raises ValueError when there is nothing to plot: the caller
    shows the empty-state text instead."""
    if series.is_empty:
        raise ValueError("nothing to plot: no check-ins and no vitamin D results")
    from matplotlib import dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, FuncFormatter

    figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    pain_axis = figure.add_subplot()
    handles = _draw_pain(pain_axis, series)

    first, last = min(series.all_dates()), max(series.all_dates())
    pad = timedelta(days=1 if (last - first).days >= 6 else 3)
    left, right = mdates.date2num(first - pad), mdates.date2num(last + pad)
    if series.level_dates:
        level_axis = pain_axis.twinx()
        # Pain is the main story: its axis is drawn above the level axis.
        pain_axis.set_zorder(level_axis.get_zorder() + 1)
        pain_axis.patch.set_visible(False)
        handles += _draw_levels(level_axis, series)
        if bands:
            # The band key sits in a column right of the data, so it never covers a point and
            # no pain point appears to lie "in" a vitamin D band.
            key_right = right + max(4.0, (right - left) * 0.2)
            _draw_band_key(level_axis, bands, right, key_right)
            right = key_right

    pain_axis.set_xlim(left, right)  # the twin shares this x axis
    pain_axis.xaxis.set_major_locator(FixedLocator(mdates.date2num(date_ticks(first, last))))
    pain_axis.xaxis.set_major_formatter(
        FuncFormatter(
            lambda x, _pos: format_day(mdates.num2date(x).date(), reference_year=last.year)
        )
    )
    pain_axis.set_title("Your back pain and vitamin D", fontsize=FONT_SIZE + 3, loc="left")
    figure.legend(
        handles=handles, loc="outside lower center", ncols=len(handles), frameon=False,
        fontsize=FONT_SIZE - 1, handlelength=1.6, columnspacing=1.2,
    )
    return figure


def _draw_pain(axis, series: ChartSeries) -> list:
    from matplotlib import dates as mdates
    from matplotlib.ticker import MaxNLocator

    handles = axis.plot(
        mdates.date2num(series.pain_dates), series.pain_scores, linestyle="none", marker="o",
        markersize=7, color=PAIN_COLOR, alpha=0.55, label=PAIN_LABEL,
    )
    handles += axis.plot(
        mdates.date2num(series.average_dates), series.average_values, linewidth=3.5,
        color=PAIN_COLOR, label=AVERAGE_LABEL,
    )
    axis.set_ylim(-0.3, 10.3)
    axis.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    axis.set_ylabel("Back pain (0-10)", color=PAIN_COLOR, fontsize=FONT_SIZE)
    # Sizes are set on each element, not through rcParams: those are process-global.
    axis.tick_params(labelsize=FONT_SIZE)
    axis.grid(axis="y", alpha=0.25)
    if not series.pain_dates:
        axis.text(
            0.02, 0.96, "No pain check-ins yet", transform=axis.transAxes, va="top",
            color=PAIN_COLOR, fontsize=FONT_SIZE,
        )
    return handles


def _draw_levels(axis, series: ChartSeries) -> list:
    from matplotlib import dates as mdates

    axis.set_ylim(0, max(70.0 if series.level_unit == "ng/mL" else 175.0, max(series.level_values) * 1.2))
    level_x = mdates.date2num(series.level_dates)
    handles = axis.plot(
        level_x, series.level_values, linestyle="none", marker="D", markersize=12,
        color=LEVEL_COLOR, markeredgecolor="white", markeredgewidth=1.5, label=LEVEL_LABEL,
    )
    for x, value in zip(level_x, series.level_values):
        axis.annotate(
            _value_label(value), (x, value), xytext=(0, 11), textcoords="offset points",
            ha="center", va="bottom", fontsize=FONT_SIZE, fontweight="bold", color=LEVEL_COLOR,
        )
    axis.set_ylabel(f"Vitamin D ({series.level_unit})", color=LEVEL_COLOR, fontsize=FONT_SIZE)
    axis.tick_params(labelsize=FONT_SIZE)
    return handles


def _draw_band_key(axis, bands: Sequence[BandShade], start: float, end: float) -> None:
    for band in bands:
        axis.fill_between(
            [start, end], band.lower, band.upper, color=band.color, alpha=0.5, linewidth=0
        )
        axis.text(
            (start + end) / 2, (band.lower + band.upper) / 2, band.label.replace(" ", "\n", 1),
            ha="center", va="center", fontsize=FONT_SIZE - 3, color="#333333", linespacing=1.1,
        )


def render_progress_chart(
    pain_points: Sequence[PainPoint],
    level_points: Sequence[LevelPoint],
    *,
    width_px: int = 1200,
    height_px: int = 800,
    dpi: int = 150,
    bands: Sequence[BandShade] = ARTICLE_BANDS,
    unit: str = "ng/mL",
) -> bytes:
    """The chart as PNG bytes of exactly ``width_px`` x ``height_px``.

    Raises ValueError when there are neither check-ins nor results: show the empty-state text.
    """
    figure = build_figure(
        chart_series(pain_points, level_points, unit),
        width_px=width_px, height_px=height_px, dpi=dpi, bands=bands,
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


class ChartCache:
    """Each subscriber's last chart, kept until their data changes: rendering takes a good part
    of a second of CPU, so someone sending /progress again and again must not cost it again."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._charts: OrderedDict[int, tuple[Hashable, bytes]] = OrderedDict()
        self.renders = 0

    async def png(
        self,
        subscriber_id: int,
        pain_points: Sequence[PainPoint],
        level_points: Sequence[LevelPoint],
        bands: Sequence[BandShade] = ARTICLE_BANDS,
        unit: str = "ng/mL",
    ) -> bytes:
        key = (tuple(pain_points), tuple(level_points), tuple(bands), unit)
        cached = self._charts.get(subscriber_id)
        if cached is not None and cached[0] == key:
            self._charts.move_to_end(subscriber_id)
            return cached[1]
        # matplotlib is slow and blocking: render off the event loop.
        png = await asyncio.to_thread(render_progress_chart, pain_points, level_points, bands=bands, unit=unit)
        self.renders += 1
        self._charts[subscriber_id] = (key, png)
        self._charts.move_to_end(subscriber_id)
        while len(self._charts) > self.size:
            self._charts.popitem(last=False)
        return png


CHARTS = ChartCache()
