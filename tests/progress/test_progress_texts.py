"""The words: /progress summary, weekly summaries and the completion summary."""

import re
from datetime import date, timedelta

import pytest

from bot.domain.progress import (
    completion_summary_markdown,
    format_day,
    summarize,
    summary_markdown,
    weekly_summary_markdown,
)
from tests.progress.samples import START, ng, nmol, pain, realistic_history

# Words that would turn a number into a medical claim: the texts must stay descriptive.
CLAIMS = re.compile(r"because|thanks to|caused|improv|work(s|ed|ing)|heal|cure|dose|IU\b", re.I)


def d(n: int) -> date:
    return START + timedelta(days=n - 1)


def two_weeks(first: int, second: int):
    return pain(d(1), *[first] * 7, *[second] * 7)


class TestFormatDay:
    def test_day_and_month_without_leading_zero(self):
        assert format_day(date(2026, 11, 2)) == "2 Nov"
        assert format_day(date(2026, 1, 25), reference_year=2026) == "25 Jan"

    def test_year_only_when_it_differs(self):
        assert format_day(date(2027, 1, 25), reference_year=2026) == "25 Jan 2027"
        assert format_day(date(2025, 12, 31), reference_year=2026) == "31 Dec 2025"


class TestSummaryMarkdown:
    def test_the_example_from_the_issue(self):
        levels = [ng(date(2026, 11, 2), 18), ng(date(2026, 11, 24), 31)]
        text = summary_markdown(summarize(two_weeks(7, 4), levels))
        assert "Average pain: 7.0 in your first week → 4.0 in the latest week (down 3.0)." in text
        assert "Vitamin D: 18 ng/mL on 2 Nov → 31 ng/mL on 24 Nov." in text
        assert "Retesting: ask your clinician when to retest." in text  # no timeline of our own
        assert "weeks after" not in text

    def test_empty_state_tells_how_to_add_data(self):
        text = summary_markdown(summarize([], []), title="Your progress")
        assert text.startswith("**Your progress**\n")
        assert "`/pain 6`" in text and "`/level 24 ng/mL`" in text and "buttons" in text

    def test_one_checkin_asks_for_another_day(self):
        text = summary_markdown(summarize(pain(d(1), 6), []))
        assert "One check-in so far: pain 6 on 1 Nov" in text
        assert "tomorrow" in text
        assert "first week →" not in text

    def test_under_8_days_says_there_is_no_comparison_yet(self):
        text = summary_markdown(summarize(pain(d(1), 8, 6, 4), []))
        assert "Average pain: 6.0 over 3 check-ins since 1 Nov." in text
        assert "more than 7 days" in text
        assert "→" not in text.split("\n")[0]

    def test_overlapping_weeks_are_flagged(self):
        text = summary_markdown(summarize(pain(d(1), *[6] * 10), []))
        assert "(no change)" in text
        assert "share some days" in text

    def test_separate_weeks_are_not_flagged(self):
        text = summary_markdown(summarize(two_weeks(3, 5), []))
        assert "(up 2.0)" in text
        assert "share some days" not in text

    def test_pain_only_points_to_level(self):
        text = summary_markdown(summarize(two_weeks(5, 5), []))
        assert "No vitamin D result yet" in text and "`/level 24 ng/mL`" in text
        assert "Retest" not in text

    def test_levels_only_points_to_pain(self):
        text = summary_markdown(summarize([], [ng(d(2), 18)]))
        assert "No pain check-ins yet" in text and "`/pain 6`" in text
        assert "Vitamin D: 18 ng/mL on 2 Nov." in text
        assert "Retesting: ask your clinician when to retest." in text

    def test_nmol_results_show_as_given_and_in_ng(self):
        text = summary_markdown(summarize([], [nmol(d(2), 45), nmol(d(24), 78)]))
        assert "45 nmol/L (18 ng/mL) on 2 Nov → 78 nmol/L (31.3 ng/mL) on 24 Nov" in text

    def test_decimal_results_keep_one_decimal(self):
        text = summary_markdown(summarize([], [ng(d(2), 18.45)]))
        assert "18.5 ng/mL" in text

    def test_more_than_two_results_are_counted(self):
        text = summary_markdown(summarize([], [ng(d(2), 18), ng(d(10), 22), ng(d(24), 31)]))
        assert "(3 results)" in text

    def test_no_retest_timeline_is_given_even_long_after_the_first_result(self):
        levels = [ng(date(2026, 1, 5), 18), ng(date(2026, 6, 1), 35)]
        text = summary_markdown(summarize([], levels))
        assert "Retesting: ask your clinician when to retest." in text and "window" not in text

    def test_no_medical_claims(self):
        points, levels = realistic_history()
        for text in (
            summary_markdown(summarize(points, levels)),
            completion_summary_markdown(points, levels, 30),
            weekly_summary_markdown(points, levels, week=2, today=d(14)),
        ):
            assert not CLAIMS.search(text), text

    def test_numbers_have_at_most_one_decimal(self):
        points, levels = realistic_history()
        levels = levels + [nmol(d(20), 77.7)]
        text = summary_markdown(summarize(points, levels))
        assert not re.search(r"\d\.\d\d", text)


class TestWeeklySummary:
    def test_compares_this_week_with_the_first(self):
        text = weekly_summary_markdown(two_weeks(7, 4), [], week=2, today=d(14))
        assert text.startswith("**Week 2 in numbers**\n")
        assert (
            "This week: average pain 4.0 from 7 check-ins; first week: 7.0 from 7 check-ins "
            "(down 3.0)." in text
        )

    def test_week_one_has_nothing_to_compare(self):
        text = weekly_summary_markdown(pain(d(1), 6, None, 4, 5), [], week=1, today=d(7))
        assert "This week: average pain 5.0 from 3 check-ins." in text
        assert "first week" not in text

    def test_counts_only_the_7_days_ending_today(self):
        points = pain(d(1), *[8] * 7, *[6] * 7, *[2] * 7)
        text = weekly_summary_markdown(points, [], week=2, today=d(14))
        assert "average pain 6.0 from 7 check-ins" in text

    def test_is_the_same_numbers_as_summarize(self):
        points, levels = realistic_history()
        summary = summarize(points, levels, as_of=d(21))
        text = weekly_summary_markdown(points, levels, week=3, today=d(21))
        assert f"average pain {summary.latest_week.average:.1f}" in text
        assert f"first week: {summary.first_week.average:.1f}" in text

    def test_quiet_week_is_encouraged(self):
        text = weekly_summary_markdown(pain(d(1), 6, 5), [], week=3, today=d(21))
        assert "No check-ins in the last 7 days" in text and "`/pain 6`" in text
        assert "average pain" not in text

    def test_no_checkins_at_all(self):
        text = weekly_summary_markdown([], [], week=1, today=d(7))
        assert "No check-ins in the last 7 days" in text

    def test_shows_results_up_to_today(self):
        text = weekly_summary_markdown(two_weeks(5, 5), [ng(d(2), 18), ng(d(20), 30)],
                                       week=2, today=d(14))
        assert "Vitamin D: 18 ng/mL on 2 Nov." in text
        assert "30 ng/mL" not in text

    def test_refuses_week_zero(self):
        with pytest.raises(ValueError):
            weekly_summary_markdown([], [], week=0, today=d(7))


class TestCompletionSummary:
    def test_first_week_vs_last_week_and_levels(self):
        levels = [ng(d(2), 18), ng(d(24), 31)]
        points = pain(d(1), *[7] * 7, *[5] * 16, *[4] * 7)
        text = completion_summary_markdown(points, levels, 30)
        assert "7.0 in your first week → 4.0 in your last week (down 3.0)" in text
        assert "18 ng/mL on 2 Nov → 31 ng/mL on 24 Nov" in text
        assert "Retesting: ask your clinician when to retest." in text

    def test_without_a_result_recommends_the_test(self):
        text = completion_summary_markdown(two_weeks(6, 5), [], 30)
        assert "25-hydroxyvitamin D" in text and "`/level 24 ng/mL`" in text
        assert "Retest" not in text

    def test_without_checkins(self):
        text = completion_summary_markdown([], [ng(d(2), 18)], 30)
        assert "No pain check-ins yet" in text
        assert "Vitamin D: 18 ng/mL on 2 Nov." in text
