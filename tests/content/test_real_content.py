"""The shipped content folder: valid, faithful to the article, and shaped like the protocol."""

from __future__ import annotations

import re

import pytest

from bot.content.loader import check_content, default_content_dir
from bot.content.models import PROGRAM_LENGTH, Content
from tests.content.conftest import SITE_ARTICLES, SOURCE_ARTICLE

ARTICLE_HEADINGS = [
    "Introduction",
    "Chronic Back Pain: More Than a Mechanical Problem",
    "Vitamin D: A Hormone, Not Just a Vitamin",
    "Why Vitamin D Deficiency Is So Common",
    "Bone Pain vs Muscle Pain: Understanding the Difference",
    "Vitamin D, Spine Health, and Vertebral Strength",
    "Vitamin D Deficiency and Deep Muscle Weakness",
    "Postural Collapse and Back Pain",
    "Inflammation, Pain Sensitivity, and Vitamin D",
    "Vitamin D and Nerve-Related Back Pain",
    "Fatigue, Deconditioning, and Pain Amplification",
    "Why Vitamin D–Related Back Pain Is Often Missed",
    "Testing Vitamin D in Chronic Back Pain",
    "Correcting Vitamin D Deficiency Safely",
    "Nutrients That Work With Vitamin D for Back Health",
    "Movement, Rehabilitation, and Vitamin D Synergy",
    "A Practical 30-Day Back Pain Recovery Protocol",
    "Frequently Asked Questions",
    "Final Thoughts & Disclaimer",
]

WEEKS_1_2 = {
    "test vitamin D levels": ("test",),
    "begin correction": ("correction", "correct"),
    "hydration": ("hydration", "water"),
    "protein": ("protein",),
}
WEEKS_3_4 = {
    "gentle strengthening": ("strengthening",),
    "posture exercises": ("posture",),
    "anti-inflammatory nutrition": ("anti-inflammatory",),
}
DAILY_FOCUS = {"sunlight": ("sunlight", "daylight"), "movement": ("movement", "walk"), "supplementation": ("supplement",)}


def _plain(markdown: str) -> str:
    text = markdown.replace("**", "").replace("_", "")
    text = re.sub(r"^- ", "• ", text, flags=re.M)
    return " ".join(text.split())


def _article_sections() -> list[tuple[str, str]]:
    lines = SOURCE_ARTICLE.read_text(encoding="utf-8").splitlines()
    starts = [lines.index(heading) for heading in ARTICLE_HEADINGS] + [len(lines)]
    return [
        (heading, " ".join(" ".join(lines[a + 1 : b]).split()))
        for heading, a, b in zip(ARTICLE_HEADINGS, starts, starts[1:])
    ]


def _mentions(text: str, words: tuple[str, ...]) -> bool:
    return any(word.lower() in text.lower() for word in words)


def failing_problems(problems):
    """Problems that fail `content check` (FAQ attribution findings included)."""
    return [p for p in problems if p.fails_check]


def test_the_real_folder_has_no_problems() -> None:
    assert failing_problems(check_content(default_content_dir())) == []


def test_every_article_section_is_a_section_in_order_with_the_articles_text(content: Content) -> None:
    expected = _article_sections()
    assert [s.title for s in content.sections] == [heading for heading, _ in expected]
    assert [s.order for s in content.sections] == list(range(1, len(expected) + 1))
    for section, (_, article_text) in zip(content.sections, expected):
        assert _plain(section.body) == article_text, section.id


def test_every_section_is_read_exactly_once_in_article_order(content: Content) -> None:
    reading = [(day.day, section_id) for day in content.days for section_id in day.sections]
    read_ids = [section_id for _, section_id in reading]
    assert sorted(read_ids) == sorted(s.id for s in content.sections)
    assert len(read_ids) == len(set(read_ids))
    order = {s.id: s.order for s in content.sections}
    by_article_order = sorted(reading, key=lambda item: order[item[1]])
    days_in_article_order = [day for day, _ in by_article_order]
    assert days_in_article_order == sorted(days_in_article_order)


def test_days_one_to_thirty_each_exist_with_a_task_and_a_pain_check_in(content: Content) -> None:
    assert [d.day for d in content.days] == list(range(1, PROGRAM_LENGTH + 1))
    for day in content.days:
        assert day.title.strip() and len(day.task.strip()) > 40, day.day
        assert "/pain" in day.checkin_prompt and "10" in day.checkin_prompt, day.day


@pytest.mark.parametrize(
    ("days", "own", "other"),
    [(range(1, 15), WEEKS_1_2, WEEKS_3_4), (range(15, 31), WEEKS_3_4, WEEKS_1_2)],
    ids=["weeks 1-2", "weeks 3-4"],
)
def test_each_task_follows_the_protocol_for_its_weeks(content: Content, days, own, other) -> None:
    tasks = {n: content.day(n).task for n in days}
    for number, task in tasks.items():
        assert any(_mentions(task, words) for words in own.values()), f"day {number}: {task}"
    for item, words in own.items():
        assert sum(_mentions(task, words) for task in tasks.values()) >= 2, f"{item} is rarely a task"
    if own is WEEKS_1_2:
        for number, task in tasks.items():
            later = [item for item, words in other.items() if _mentions(task, words)]
            assert not later, f"day {number} already asks for {later}"


def test_the_daily_focus_is_woven_through_the_program(content: Content) -> None:
    for focus, words in DAILY_FOCUS.items():
        days = [d.day for d in content.days if _mentions(d.task, words)]
        assert len(days) >= 5, f"{focus} appears only on days {days}"


def test_no_text_gives_a_dose(content: Content) -> None:
    dose = re.compile(r"\d[\d,.]*\s*(iu|i\.u\.|mcg|µg|μg|mg|units?|micrograms?|milligrams?)\b", re.I)
    texts = [d.task for d in content.days] + [d.checkin_prompt for d in content.days]
    texts += [b.meaning for b in content.bands] + [b.advice or "" for b in content.bands]
    safety = content.safety
    texts += [safety.emergency_reply, safety.prompt_reply, safety.warning_signs, safety.severe_pain_reply]
    texts += [safety.completion, safety.retest_reminder]
    assert [t for t in texts if dose.search(t)] == []


def test_the_disclaimer_is_the_articles_word_for_word(content: Content) -> None:
    article = " ".join(SOURCE_ARTICLE.read_text(encoding="utf-8").split())
    disclaimer = _plain(content.safety.disclaimer)
    assert disclaimer.startswith("Disclaimer: ")
    assert disclaimer in article


def test_every_red_flag_the_spec_names_is_there_at_its_level(content: Content) -> None:
    levels = {flag.label.lower(): flag.level for flag in content.safety.red_flags}
    expected = {
        "loss of bladder or bowel control": "emergency",
        "trouble passing urine": "emergency",
        "numbness in the groin or saddle area": "emergency",
        "sudden sexual dysfunction": "emergency",
        "new or worsening leg weakness": "emergency",
        "pain after a fall or injury": "emergency",
        "fever, chills or night sweats": "prompt",
        "unexplained weight loss": "prompt",
        "history of cancer": "prompt",
        "long-term steroids or osteoporosis, with sudden pain": "prompt",
        "injecting drugs or a weakened immune system": "prompt",
        "pain at night that rest does not ease": "prompt",
    }
    assert levels == expected
    assert all(len(flag.phrases) >= 4 for flag in content.safety.red_flags)


def test_the_warning_signs_list_every_flag_in_two_levels(content: Content) -> None:
    signs = content.safety.warning_signs.lower()
    assert "emergency care now" in signs and "see a doctor promptly" in signs
    for words in ("bladder", "urine", "groin", "sexual", "leg weakness", "fall", "fever", "night sweats",
                  "weight loss", "cancer", "steroid", "osteoporosis", "injecting drugs", "immune", "rest"):
        assert words in signs, words


def test_no_retest_timeline_is_given_and_the_clinician_decides(content: Content) -> None:
    for text in (content.safety.retest_reminder, content.safety.completion):
        assert not re.search(r"\d+\s*[–-]\s*\d+\s*weeks? after|retest\w* (in|after|within) \d", text, re.I)
    assert "ask your clinician when to retest" in content.safety.retest_reminder.lower()
    assert '"Monitoring ensures safety and effectiveness."' in content.safety.retest_reminder


def test_one_article_teaser_per_site_title_with_its_subtitle_and_no_invented_body(content: Content) -> None:
    lines = [line.strip() for line in SITE_ARTICLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    read_more = [i for i, line in enumerate(lines) if line.startswith("Read More")]
    expected = {(lines[i - 2], lines[i - 1]) for i in read_more}
    assert {(a.title, a.summary) for a in content.articles.values()} == expected
    assert all(a.body == "" and a.url is None for a in content.articles.values())



def test_every_day_has_a_reading_or_a_passage_worth_rereading(content: Content) -> None:
    from bot.content.program import day_markdown

    for day in content.days:
        text = day_markdown(content, day.day)
        assert ("Today's reading" in text) != ("Worth re-reading" in text), day.day


def test_every_strengthening_or_posture_day_carries_the_stop_rule(content: Content) -> None:
    from bot.content.program import day_markdown

    rule = content.safety.exercise_stop_rule
    assert all(words in rule for words in ("sharper", "spreads down a leg", "numbness", "weakness"))
    for day in content.days:
        exercising = re.search(r"strengthening|posture exercise", day.task, re.I) is not None
        assert day.exercise == exercising, day.day
        assert (rule.strip() in day_markdown(content, day.day)) == exercising, day.day
    assert {18, 21, 24, 27, 30} <= {d.day for d in content.days if d.exercise}  # the days


def test_days_18_to_29_do_not_repeat_each_other(content: Content) -> None:
    days = [content.day(n) for n in range(18, 30)]
    assert len({d.title for d in days}) == len(days)
    first_sentences = [d.task.split(".")[1] for d in days]  # after the bold heading
    assert len(set(first_sentences)) == len(days)
    passages = [d.reread.passage for d in days if d.reread]
    assert len(set(passages)) == len(passages)


def test_wording_fits_morning_and_evening_delivery(content: Content) -> None:
    texts = [d.task for d in content.days] + [d.checkin_prompt for d in content.days]
    texts += list(content.checkin_notes.model_dump().values())
    for text in texts:
        assert not re.search(r"this morning|tonight|this evening|each morning|good morning", text, re.I), text


def test_no_text_names_a_food_or_figure_the_article_does_not(content: Content) -> None:
    foods = r"\b(fish|salmon|sardines?|eggs?|milk|cheese|yogh?urt|nuts|seeds|mushrooms?|spinach|beans)\b"
    texts = [d.task for d in content.days] + [b.meaning + (b.advice or "") for b in content.bands]
    assert [t for t in texts if re.search(foods, t, re.I)] == []
