"""The /progress chart: what is plotted equals what is stored, and the PNG has the asked size."""

import asyncio
import struct
from datetime import timedelta

import pytest
from matplotlib import dates as mdates

from bot.domain.progress import rolling_average
from bot.services.chart import (
    AVERAGE_LABEL,
    LEVEL_LABEL,
    PAIN_LABEL,
    BandShade,
    build_figure,
    chart_series,
    date_ticks,
    render_progress_chart,
)
from tests.progress.samples import START, ng, nmol, pain, realistic_history

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which always comes first."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def line(axis, label):
    return next(item for item in axis.lines if item.get_label() == label)


def xy(axis, label):
    data = line(axis, label).get_xydata()
    return [mdates.num2date(x).date() for x in data[:, 0]], list(data[:, 1])


class TestChartSeries:
    def test_series_are_the_inputs_sorted_and_in_ng(self):
        points = pain(START, 7, None, 5)[::-1]
        levels = [nmol(START + timedelta(days=5), 78), ng(START, 18)]
        series = chart_series(points, levels)
        assert series.pain_dates == [START, START + timedelta(days=2)]
        assert series.pain_scores == [7, 5]
        assert series.average_dates == series.pain_dates
        assert series.average_values == [7.0, 6.0]
        assert series.level_dates == [START, START + timedelta(days=5)]
        assert series.level_values == pytest.approx([18, 78 / 2.496])

    def test_empty(self):
        assert chart_series([], []).is_empty


class TestDateTicks:
    @pytest.mark.parametrize("span", [0, 1, 4, 5, 9, 13, 23, 29, 60, 400])
    def test_evenly_spaced_from_the_first_date_and_at_most_5(self, span):
        ticks = date_ticks(START, START + timedelta(days=span))
        assert ticks[0] == START and 1 <= len(ticks) <= 5
        assert ticks[-1] <= START + timedelta(days=span)
        assert len({b - a for a, b in zip(ticks, ticks[1:])}) <= 1

    def test_a_program_month_is_ticked_weekly(self):
        ticks = date_ticks(START, START + timedelta(days=23))
        assert [t.day for t in ticks] == [1, 8, 15, 22]


class TestFigure:
    def test_plotted_data_equals_the_stored_data(self):
        points, levels = realistic_history()
        figure = build_figure(chart_series(points, levels))
        pain_axis, level_axis = figure.axes
        dates, scores = xy(pain_axis, PAIN_LABEL)
        assert dates == [p.day for p in points]
        assert scores == [p.score for p in points]
        dates, values = xy(pain_axis, AVERAGE_LABEL)
        expected = rolling_average(points)
        assert dates == [day for day, _ in expected]
        assert values == pytest.approx([value for _, value in expected])
        dates, values = xy(level_axis, LEVEL_LABEL)
        assert dates == [level.taken_on for level in levels]
        assert values == pytest.approx([level.value_ng_ml for level in levels])

    def test_axes_are_labelled_for_a_reader(self):
        points, levels = realistic_history()
        figure = build_figure(chart_series(points, levels))
        pain_axis, level_axis = figure.axes
        assert pain_axis.get_ylabel() == "Back pain (0-10)"
        assert level_axis.get_ylabel() == "Vitamin D (ng/mL)"
        assert pain_axis.get_ylim()[0] <= 0 and pain_axis.get_ylim()[1] >= 10
        assert pain_axis.get_title(loc="left")
        figure.canvas.draw()
        ticks = [t.get_text() for t in pain_axis.get_xticklabels() if t.get_text()]
        assert ticks == ["1 Nov", "8 Nov", "15 Nov", "22 Nov"]
        values = {t.get_text() for t in level_axis.texts}
        assert {"18", "31"} <= values
        legend = [t.get_text() for t in figure.legends[0].get_texts()]
        assert legend == [PAIN_LABEL, AVERAGE_LABEL, LEVEL_LABEL]

    def test_level_values_are_shown_in_ng(self):
        figure = build_figure(chart_series(pain(START, 5, 5), [nmol(START, 45)]))
        assert "18" in {t.get_text() for t in figure.axes[1].texts}

    def test_level_axis_fits_a_high_result(self):
        figure = build_figure(chart_series([], [ng(START, 140)]))
        assert figure.axes[1].get_ylim()[1] > 140

    def test_pain_only_has_no_level_axis(self):
        figure = build_figure(chart_series(pain(START, 6, 5, 4), []))
        assert len(figure.axes) == 1
        assert xy(figure.axes[0], PAIN_LABEL)[1] == [6, 5, 4]

    def test_levels_only_says_there_is_no_pain_yet(self):
        figure = build_figure(chart_series([], [ng(START, 18)]))
        pain_axis, level_axis = figure.axes
        assert xy(pain_axis, PAIN_LABEL)[1] == []
        assert xy(level_axis, LEVEL_LABEL) == ([START], [18.0])
        assert any("No pain check-ins" in t.get_text() for t in pain_axis.texts)

    def test_every_point_is_inside_the_visible_dates(self):
        points = pain(START, 4)
        levels = [ng(START - timedelta(days=40), 12)]
        figure = build_figure(chart_series(points, levels))
        low, high = figure.axes[0].get_xlim()
        for day in (START, START - timedelta(days=40)):
            assert low < mdates.date2num(day) < high

    def test_band_key_follows_the_bands_given(self):
        band = BandShade(40, 60, "Optimal 40-60", "#9fd8a4")
        levels_axis = build_figure(chart_series([], [ng(START, 18)]), bands=[band]).axes[1]
        assert "Optimal\n40-60" in {t.get_text() for t in levels_axis.texts}
        assert not any("Deficient" in t.get_text() for t in levels_axis.texts)
        bare = build_figure(chart_series([], [ng(START, 18)]), bands=[]).axes[1]
        assert {t.get_text() for t in bare.texts} == {"18"}

    def test_empty_is_refused(self):
        with pytest.raises(ValueError):
            build_figure(chart_series([], []))


class TestPng:
    @pytest.mark.parametrize(
        ("width", "height", "dpi"), [(1200, 800, 150), (999, 701, 100), (1080, 1080, 144)]
    )
    def test_has_the_intended_size(self, width, height, dpi):
        points, levels = realistic_history()
        data = render_progress_chart(points, levels, width_px=width, height_px=height, dpi=dpi)
        assert png_size(data) == (width, height)

    def test_default_size(self):
        assert png_size(render_progress_chart(pain(START, 5), [])) == (1200, 800)

    @pytest.mark.parametrize(
        "case",
        [
            ([], [ng(START, 18)]),
            (pain(START, 6), []),
            (pain(START, 6, None, None, 2), [nmol(START, 60)]),
        ],
    )
    def test_small_cases_render(self, case):
        assert png_size(render_progress_chart(*case)) == (1200, 800)

    def test_empty_is_refused(self):
        with pytest.raises(ValueError):
            render_progress_chart([], [])

    async def test_renders_in_threads_concurrently(self):
        points, levels = realistic_history()
        results = await asyncio.gather(
            *(
                asyncio.to_thread(render_progress_chart, points[:n], levels, width_px=600 + n)
                for n in (5, 10, 15, 22)
            )
        )
        assert [png_size(r)[0] for r in results] == [605, 610, 615, 622]

    def test_leaves_no_pyplot_figure_behind(self):
        import matplotlib.pyplot as plt

        before = plt.get_fignums()
        render_progress_chart(*realistic_history())
        assert plt.get_fignums() == before


def test_docs_chart_is_the_sample_chart_size():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "docs" / "progress-chart.png"
    if not path.exists():
        pytest.skip("docs/progress-chart.png not generated yet")
    assert png_size(path.read_bytes()) == (1200, 800)

