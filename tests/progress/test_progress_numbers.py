"""The numbers: data points, daily series, rolling average and summarize."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.progress import (
    LevelPoint,
    PainPoint,
    daily_series,
    rolling_average,
    round1,
    summarize,
)
from tests.progress.samples import START, ng, nmol, pain, realistic_history


def d(n: int) -> date:
    """Day n of the sample calendar (day 1 is START)."""
    return START + timedelta(days=n - 1)


class TestPoints:
    @pytest.mark.parametrize("score", [0, 5, 10])
    def test_accepts_scores_0_to_10(self, score):
        assert PainPoint(d(1), score).score == score

    @pytest.mark.parametrize("score", [-1, 11, 5.5, True, "6", None])
    def test_refuses_other_scores(self, score):
        with pytest.raises(ValueError):
            PainPoint(d(1), score)

    @pytest.mark.parametrize("unit", ["ng/mL", "nmol/L"])
    def test_accepts_both_units(self, unit):
        assert LevelPoint(d(1), 20.0, 20.0, unit).original_unit == unit

    @pytest.mark.parametrize("unit", ["ng/ml", "nmol", "", "mg"])
    def test_refuses_other_units(self, unit):
        with pytest.raises(ValueError):
            LevelPoint(d(1), 20.0, 20.0, unit)

    @pytest.mark.parametrize("value", [0.0, -3.0])
    def test_refuses_non_positive_levels(self, value):
        with pytest.raises(ValueError):
            LevelPoint(d(1), value, value, "ng/mL")


def test_round1_rounds_half_up():
    assert round1(4.25) == 4.3  # round() would give 4.2
    assert round1(-1.25) == -1.3
    assert round1(6.84) == 6.8


class TestDailySeries:
    def test_sorts_by_date(self):
        points = [PainPoint(d(3), 1), PainPoint(d(1), 2), PainPoint(d(2), 3)]
        assert [p.day for p in daily_series(points)] == [d(1), d(2), d(3)]

    def test_empty(self):
        assert daily_series([]) == []

    def test_refuses_two_checkins_on_one_date(self):
        with pytest.raises(ValueError, match="two pain check-ins"):
            daily_series([PainPoint(d(1), 2), PainPoint(d(2), 3), PainPoint(d(1), 4)])


class TestRollingAverage:
    def test_empty(self):
        assert rolling_average([]) == []

    def test_one_point(self):
        assert rolling_average(pain(d(1), 6)) == [(d(1), 6.0)]

    def test_window_is_calendar_days_ending_on_each_checkin(self):
        points = pain(d(1), 7, 7, 7, 7, 7, 7, 7, 0)  # day 8 drops day 1 out of its window
        result = dict(rolling_average(points))
        assert result[d(7)] == 7.0
        assert result[d(8)] == pytest.approx(6 * 7 / 7)

    def test_missing_days_are_not_zeros(self):
        points = pain(d(1), 8, None, None, 4)
        assert rolling_average(points) == [(d(1), 8.0), (d(4), 6.0)]

    def test_long_gap_restarts_the_window(self):
        points = [PainPoint(d(1), 9), PainPoint(d(20), 2)]
        assert rolling_average(points) == [(d(1), 9.0), (d(20), 2.0)]

    def test_custom_window(self):
        assert rolling_average(pain(d(1), 2, 4, 6), window_days=2) == [
            (d(1), 2.0), (d(2), 3.0), (d(3), 5.0),
        ]

    def test_refuses_empty_window(self):
        with pytest.raises(ValueError):
            rolling_average(pain(d(1), 2), window_days=0)

    @given(
        st.dictionaries(
            st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=10),
            max_size=40,
        )
    )
    def test_matches_a_brute_force_mean(self, by_offset):
        points = [PainPoint(d(1) + timedelta(days=k), v) for k, v in by_offset.items()]
        result = rolling_average(points)
        assert [day for day, _ in result] == sorted(p.day for p in points)
        for day, value in result:
            inside = [p.score for p in points if 0 <= (day - p.day).days < 7]
            assert value == pytest.approx(sum(inside) / len(inside))
            assert 0 <= value <= 10


class TestSummarize:
    def test_empty(self):
        summary = summarize([], [])
        assert summary.is_empty
        assert summary.as_of is None
        assert summary.first_week is None and summary.latest_week is None
        assert summary.change is None and summary.retest_from is None

    def test_one_checkin(self):
        summary = summarize(pain(d(3), 6), [])
        assert summary.checkin_count == 1
        assert summary.first_week.average == summary.latest_week.average == 6.0
        assert summary.weeks_identical
        assert summary.change is None

    def test_fewer_than_8_days_is_not_a_trend(self):
        summary = summarize(pain(d(1), 8, 7, 6, 5, 4, 3, 2), [])
        assert summary.weeks_identical and summary.weeks_overlap
        assert summary.change is None

    def test_8_days_compares_overlapping_weeks(self):
        summary = summarize(pain(d(1), 8, 8, 8, 8, 8, 8, 8, 1), [])
        assert not summary.weeks_identical and summary.weeks_overlap
        assert summary.first_week.average == 8.0
        assert summary.latest_week.average == round1((6 * 8 + 1) / 7)
        assert summary.change == round1(summary.latest_week.average - 8.0)

    def test_two_full_weeks_do_not_overlap(self):
        summary = summarize(pain(d(1), *[7] * 7, *[3] * 7), [])
        assert not summary.weeks_overlap
        assert (summary.first_week.start, summary.first_week.end) == (d(1), d(7))
        assert (summary.latest_week.start, summary.latest_week.end) == (d(8), d(14))
        assert summary.change == -4.0

    def test_weeks_average_only_the_days_with_checkins(self):
        summary = summarize(pain(d(1), 6, None, None, 4, *[None] * 10, 2), [])
        assert summary.first_week.average == 5.0
        assert summary.first_week.checkins == 2
        assert summary.latest_week.checkins == 1
        assert summary.checkin_count == 3

    def test_change_is_the_difference_of_the_rounded_averages(self):
        # 48/7 shows as 6.9 and 29/7 as 4.1, so the text must say "down 2.8", although the
        # unrounded difference (2.71) would round to 2.7.
        points = pain(d(1), 7, 7, 7, 7, 7, 7, 6, None, None, None, None, None, None, None,
                      4, 4, 4, 4, 4, 4, 5)
        summary = summarize(points, [])
        assert summary.first_week.average == 6.9
        assert summary.latest_week.average == 4.1
        assert summary.change == -2.8
        assert round1(29 / 7 - 48 / 7) == -2.7

    def test_levels_only(self):
        summary = summarize([], [ng(d(2), 18), ng(d(24), 31)])
        assert summary.checkin_count == 0 and summary.first_week is None
        assert summary.first_level.value_ng_ml == 18 and summary.latest_level.value_ng_ml == 31
        assert summary.level_count == 2
        assert summary.as_of == d(24)

    def test_levels_are_ordered_by_date_not_input(self):
        summary = summarize([], [ng(d(24), 31), ng(d(2), 18), ng(d(10), 25)])
        assert summary.first_level.taken_on == d(2)
        assert summary.latest_level.taken_on == d(24)
        assert summary.level_count == 3

    def test_retest_window_is_8_to_12_weeks_after_the_first_result(self):
        summary = summarize([], [ng(date(2026, 11, 24), 31), ng(date(2026, 11, 2), 18)])
        assert summary.retest_from == date(2026, 12, 28)
        assert summary.retest_until == date(2027, 1, 25)

    def test_nmol_result_keeps_its_original_unit(self):
        summary = summarize([], [nmol(d(1), 45)])
        assert summary.first_level.original_unit == "nmol/L"
        assert summary.first_level.original_value == 45
        assert summary.first_level.value_ng_ml == pytest.approx(18.03, abs=0.01)

    def test_latest_week_ends_at_the_latest_checkin_not_a_later_result(self):
        summary = summarize(pain(d(1), *[5] * 14), [ng(d(30), 30)])
        assert summary.latest_week.end == d(14)
        assert summary.as_of == d(30)

    def test_as_of_ends_the_latest_week_and_ignores_later_data(self):
        points = pain(d(1), *[6] * 7, *[4] * 7, 0)
        summary = summarize(points, [ng(d(2), 18), ng(d(20), 40)], as_of=d(14))
        assert summary.latest_week == summary.latest_week.__class__(d(8), d(14), 4.0, 7)
        assert summary.checkin_count == 14
        assert summary.latest_level.taken_on == d(2) and summary.level_count == 1

    def test_as_of_with_a_quiet_week(self):
        summary = summarize(pain(d(1), 6, 5), [], as_of=d(14))
        assert summary.latest_week.average is None and summary.latest_week.checkins == 0
        assert summary.change is None

    def test_realistic_history(self):
        points, levels = realistic_history()
        summary = summarize(points, levels)
        assert summary.checkin_count == 22
        first = [p.score for p in points if p.day <= d(7)]
        latest = [p.score for p in points if p.day >= d(18)]
        assert summary.first_week.average == round1(sum(first) / len(first))
        assert summary.latest_week.average == round1(sum(latest) / len(latest))
        assert summary.change < 0
