"""Unit tests for the FAQ matcher: normalization, synonyms, typos, decisions, content checks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content.models import FaqEntry, SmallTalk
from bot.domain.matching import (
    NUMBER,
    FaqMatcher,
    fold,
    parse_keyword,
    stem,
    synonym_table,
    terms,
    words,
)


def entry(entry_id: str, question: str, *keywords: str) -> FaqEntry:
    return FaqEntry(
        id=entry_id, question=question, answer=f"answer {entry_id}", keywords=list(keywords)
    )


TOY_FAQ = [
    entry("alone", "Is vitamin D alone enough?", "alone", "vitamin d = d3, sunshine vitamin"),
    entry("minerals", "Which nutrients work with vitamin D?", "magnesium", "calcium"),
    entry("nerves", "Can vitamin D cause sciatica?", "sciatica", "nerve",
          "back = lumbar, lower back"),
    entry("dose", "How much vitamin D should I take?", "dose", "dosage"),
]
TOY_SMALLTALK = [
    SmallTalk(id="hello", phrases=["hi", "hello"], reply="Hi!"),
    SmallTalk(id="thanks", phrases=["thanks", "thank you", "thx"], reply="You're welcome!"),
]


@pytest.fixture
def toy() -> FaqMatcher:
    return FaqMatcher(TOY_FAQ, TOY_SMALLTALK)


# -- normalization ---------------------------------------------------------------------------


def test_fold_drops_accents_case_and_apostrophes():
    assert fold("Vitamine D pour Zoé, what’s UP") == "vitamine d pour zoe, whats up"


def test_words_splits_on_punctuation_and_keeps_stop_words():
    assert words("Is D3...enough?!") == ["is", "d3", "enough"]
    assert words("¿¡—!?") == []


@pytest.mark.parametrize(
    ("plural", "singular"),
    [("pains", "pain"), ("muscles", "muscle"), ("injuries", "injury"), ("vertebrae", "vertebra")],
)
def test_plurals_stem_like_their_singular(plural, singular):
    assert stem(plural) == stem(singular)


@pytest.mark.parametrize(
    ("form", "base"), [("tested", "test"), ("testing", "tests"), ("quickly", "quick")]
)
def test_common_suffixes_stem_to_the_base(form, base):
    assert stem(form) == stem(base)


def test_stem_leaves_short_words_and_words_with_digits_alone():
    assert stem("gas") == "gas"
    assert stem("d3") == "d3"
    assert stem("class") == "class"  # -ss is not a plural


def test_terms_drop_stop_words_and_collapse_numbers():
    assert terms("What is the NORMAL range?") == ["normal", "rang"]
    assert terms("my level is 22, two weeks, omega 3s") == [
        "level", NUMBER, NUMBER, "week", "omega", NUMBER,
    ]
    assert terms("is it ok?") == []


# -- the synonym syntax ----------------------------------------------------------------------


def test_parse_keyword_accepts_plain_keywords_and_groups():
    assert parse_keyword("blood test") == ("blood test", [])
    assert parse_keyword("vitamin d = d3,  calciferol , sunshine vitamin") == (
        "vitamin d",
        ["d3", "calciferol", "sunshine vitamin"],
    )


@pytest.mark.parametrize("bad", ["= d3", "vitamin d =", "vitamin d = , ,", "a = b = c", "the = d3"])
def test_parse_keyword_refuses_malformed_groups(bad):
    with pytest.raises(ValueError):
        parse_keyword(bad)


def test_an_alias_cannot_mean_two_things():
    faq = [entry("a", "A?", "back = lumbar"), entry("b", "B?", "spine = lumbar")]
    with pytest.raises(ValueError, match="lumbar"):
        synonym_table(faq)
    with pytest.raises(ValueError):
        FaqMatcher(faq)


def test_an_alias_that_shrinks_into_its_own_term_is_ignored():
    # "bad" is a stop word, so "bad back" would otherwise turn every "back" into "back pain".
    table = synonym_table([entry("a", "A?", "back pain = bad back, backache")])
    assert table == {("backach",): ("back", "pain")}


# -- matching ------------------------------------------------------------------------------


def test_word_order_and_punctuation_do_not_matter(toy):
    assert toy.match("Is vitamin D alone enough?").entry.id == "alone"
    assert toy.match("enough alone vitamin d").entry.id == "alone"
    assert toy.match("ENOUGH,alone!!!").entry.id == "alone"


@pytest.mark.parametrize(
    ("typo", "expected"), [("magnesum?", "minerals"), ("siatica", "nerves"), ("dosagee", "dose")]
)
def test_typos_land_on_the_right_entry(toy, typo, expected):
    result = toy.match(typo)
    assert result.kind == "answer"
    assert result.entry.id == expected


def test_short_words_are_not_typo_corrected(toy):
    # "dosa" is as close to "dose" as "magnesum" is to "magnesium", but four letters are too
    # often a different real word to be guessed.
    assert toy.match("dosa").kind == "unsure"
    assert toy.match("dosagee").entry.id == "dose"


@pytest.mark.parametrize("message", ["is d3 enough alone", "sunshine vitamin alone enough"])
def test_synonyms_read_as_their_term(toy, message):
    result = toy.match(message)
    assert result.entry.id == "alone"
    assert result.score == pytest.approx(1.0)


def test_multiword_alias_reads_exactly_as_its_term(toy):
    plain = toy.match("back sciatica")
    assert plain.entry.id == "nerves"
    assert toy.match("lumbar sciatica").score == plain.score
    assert toy.match("lower back sciatica").score == plain.score
    assert toy.match("upper back sciatica").score < plain.score  # "upper" is not an alias


def test_one_word_questions(toy):
    assert toy.match("magnesium?").entry.id == "minerals"
    assert toy.match("dose").entry.id == "dose"


def test_rare_words_outweigh_shared_ones(toy):
    # "vitamin d" is in every question; "calcium" only in one entry.
    assert toy.match("vitamin d and calcium").entry.id == "minerals"


@pytest.mark.parametrize(
    "message", ["what's the weather", "bitcoin price", "my cat is sick", "tell me a joke"]
)
def test_off_topic_is_unsure_with_three_suggestions(toy, message):
    result = toy.match(message)
    assert result.kind == "unsure"
    assert result.entry is None
    assert len(result.suggestions) == 3
    assert result.score < 0.5


def test_suggestions_are_the_closest_entries_best_first(toy):
    assert [e.id for e in toy.closest("sciatica nerve magnesium", n=2)] == ["nerves", "minerals"]
    assert toy.match("sciatica").suggestions[0].id == "nerves"
    assert len(toy.closest("sciatica", n=10)) == len(TOY_FAQ)


@pytest.mark.parametrize(
    ("message", "expected"),
    [("helo", "hello"), ("Hi!", "hello"), ("thx", "thanks"), ("thank u", "thanks"),
     ("THANK YOU!!", "thanks")],
)
def test_greetings_and_thanks_get_smalltalk_even_with_typos(toy, message, expected):
    result = toy.match(message)
    assert result.kind == "smalltalk"
    assert result.smalltalk.id == expected
    assert result.entry is None


def test_a_question_after_a_greeting_is_answered(toy):
    result = toy.match("hi, is magnesium needed?")
    assert result.kind == "answer"
    assert result.entry.id == "minerals"


def test_smalltalk_opener_with_unknown_words(toy):
    assert toy.match("thanks mate").smalltalk.id == "thanks"
    assert toy.match("thanks pizza recipe now").kind == "smalltalk"
    assert toy.match("mate thanks pizza").kind == "unsure"


def test_empty_or_non_latin_text_is_unsure(toy):
    for text in ["", "   ", "???", "витамин"]:
        result = toy.match(text)
        assert result.kind == "unsure"
        assert result.score == 0.0


def test_works_without_smalltalk_or_faq():
    assert FaqMatcher(TOY_FAQ).match("hello").kind == "unsure"
    empty = FaqMatcher([], TOY_SMALLTALK)
    assert empty.match("magnesium").kind == "unsure"
    assert empty.match("hi").kind == "smalltalk"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gets_a_consistent_match(text):
    result = FaqMatcher(TOY_FAQ, TOY_SMALLTALK).match(text)
    assert 0.0 <= result.score <= 1.0
    assert (result.entry is not None) == (result.kind == "answer")
    assert (result.smalltalk is not None) == (result.kind == "smalltalk")
    assert len(result.suggestions) <= 3


# -- the real content ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("magnesium?", "nutrients"),
        ("test?", "which-test"),
        ("calciferol on its own enough?", "vitamin-d-alone"),
        ("is the sunshine vitamin a hormone", "hormone"),
        ("lumbar pain lasting months, chronic?", "chronic-definition"),
        ("spine fractures from low D3", "spine"),
        ("sciatica?", "nerve-pain"),
    ],
)
def test_real_faq_examples_from_the_issue(matcher, message, expected):
    result = matcher.match(message)
    assert (result.kind, result.entry and result.entry.id) == ("answer", expected)


def test_real_faq_entries_cite_article_sections_and_have_unique_ids(faq):
    sections = {
        "introduction", "more-than-mechanical", "hormone-not-vitamin", "why-common",
        "bone-vs-muscle-pain", "spine-vertebral-strength", "deep-muscle-weakness",
        "postural-collapse", "inflammation", "nerve-pain", "fatigue-deconditioning",
        "why-missed", "testing", "correcting-safely", "nutrients", "movement-rehabilitation",
        "protocol", "faq", "final-thoughts",
    }
    assert len({e.id for e in faq}) == len(faq)
    assert all(e.source in sections for e in faq)
    assert all(e.keywords for e in faq)
    synonym_table(faq)  # raises on a malformed group


def test_real_faq_has_the_articles_four_questions_verbatim(faq):
    questions = {e.question for e in faq}
    assert {
        "Can vitamin D deficiency really cause back pain?",
        "How soon can pain improve?",
        "Is vitamin D alone enough?",
        "Should everyone with back pain test vitamin D?",
    } <= questions


def test_dose_answer_gives_no_dose(faq):
    dose = next(e for e in faq if e.id == "dose")
    assert "healthcare provider" in dose.answer
    assert not any(unit in dose.answer.lower() for unit in (" iu", "mcg", " mg", "000"))
