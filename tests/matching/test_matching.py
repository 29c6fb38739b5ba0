"""Unit tests for the FAQ matcher, referrals and check-ins in words: what they accept and refuse."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content.models import FaqEntry, SmallTalk
from bot.domain.checkins import parse_checkin_words
from bot.domain.matching import NUMBER, FaqMatcher, content_words, parse_keyword, synonym_table, terms
from bot.domain.referrals import referral_topic


def entry(entry_id: str, question: str, examples: list[str], *keywords: str) -> FaqEntry:
    return FaqEntry(
        id=entry_id, question=question, answer=f"answer {entry_id}", examples=examples, keywords=list(keywords)
    )


TOY_FAQ = [
    entry("alone", "Is vitamin D alone enough?",
          ["is vitamin d enough by itself", "do i need anything besides vitamin d", "will vitamin d on its own fix it"],
          "alone", "vitamin d = d3, sunshine vitamin"),
    entry("minerals", "Which nutrients work with vitamin D?",
          ["should i take magnesium too", "do i need calcium with it", "what minerals help vitamin d"],
          "magnesium", "calcium"),
    entry("nerves", "Can vitamin D cause sciatica?",
          ["does low vitamin d cause nerve pain", "burning pain down my leg", "sciatica and vitamin d"],
          "sciatica", "nerve", "back = lumbar, lower back"),
    entry("dose", "How much vitamin D should I take?",
          ["what dose of vitamin d", "how many iu a day", "what is the right dosage"], "dose", "dosage"),
]
TOY_SMALLTALK = [
    SmallTalk(id="hello", phrases=["hi", "hello"], reply="Hi!"),
    SmallTalk(id="thanks", phrases=["thanks", "thank you", "thx"], reply="You're welcome!"),
]


@pytest.fixture(scope="module")
def toy() -> FaqMatcher:
    return FaqMatcher(TOY_FAQ, TOY_SMALLTALK)


# -- reading words ---------------------------------------------------------------------------


def test_content_words_drop_stop_words_and_collapse_numbers():
    assert content_words("Is 5000 IU of D3 too much?") == [NUMBER, "iu", "d3", "too", "much"]
    assert terms("Weakening muscles, weaker bones") == ["weak", "muscl", "weak", "bone"]


def test_parse_keyword_accepts_plain_keywords_and_groups():
    assert parse_keyword("sciatica") == ("sciatica", [])
    assert parse_keyword("vitamin d = d3, vit d") == ("vitamin d", ["d3", "vit d"])


@pytest.mark.parametrize("bad", ["= d3", "vitamin d =", "vitamin d = , ,", "a = b = c", "the = d3"])
def test_parse_keyword_refuses_malformed_groups(bad):
    with pytest.raises(ValueError):
        parse_keyword(bad)


def test_an_alias_cannot_mean_two_things():
    clash = [entry("a", "A?", [], "vitamin d = d3"), entry("b", "B?", [], "calcium = d3")]
    with pytest.raises(ValueError, match="already stands for"):
        synonym_table(clash)


# -- decisions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [("is magnesum needed", "minerals"), ("siatica from low vitamin d?", "nerves"), ("is d3 enough alone", "alone")],
)
def test_typos_and_synonyms_land_on_the_right_entry(toy, message, expected):
    result = toy.match(message)
    assert (result.kind, result.entry.id) == ("answer", expected)


@pytest.mark.parametrize("message", ["what's the weather", "bitcoin price", "my cat is sick", "tell me a joke"])
def test_off_topic_is_unsure_with_three_suggestions(toy, message):
    result = toy.match(message)
    assert result.kind == "unsure" and result.entry is None
    assert len(result.suggestions) == 3


@pytest.mark.parametrize(
    ("message", "expected"),
    [("helo", "hello"), ("Hi!", "hello"), ("thx", "thanks"), ("thank u", "thanks"), ("THANK YOU!!", "thanks")],
)
def test_greetings_and_thanks_get_smalltalk_even_with_typos(toy, message, expected):
    result = toy.match(message)
    assert (result.kind, result.smalltalk.id) == ("smalltalk", expected)


def test_a_question_after_a_greeting_is_answered(toy):
    assert toy.match("hi, is magnesium needed?").entry.id == "minerals"


def test_empty_or_non_latin_text_is_unsure(toy):
    for text in ["", "   ", "???", "витамин"]:
        assert toy.match(text).kind == "unsure"


def test_works_without_smalltalk_or_faq():
    assert FaqMatcher(TOY_FAQ).match("hello").kind == "unsure"
    empty = FaqMatcher([], TOY_SMALLTALK)
    assert empty.match("magnesium").kind == "unsure"
    assert empty.match("hi").kind == "smalltalk"


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("can I take vitamin D while pregnant", "pregnancy"),
        ("is d3 ok when breastfeeding", "pregnancy"),
        ("dose for my 4 year old", "children"),
        ("my daughter has back pain", "children"),
        ("does vitamin d interact with warfarin", "medicines"),
        ("can I take it with my blood pressure meds", "medicines"),
        ("I have kidney disease, is d3 safe", "conditions"),
        ("do I have a slipped disc", "diagnosis"),
        ("are you a real doctor?", "about-the-bot"),
        ("is this a scam", "about-the-bot"),
        ("should I get back surgery", "other-treatments"),
        ("how much vitamin d should my 80 year old mum take", "dose-for-someone"),
        ("i weigh 95 kg, what dose", "dose-for-someone"),
        ("how much magnesium should i take", "supplements"),
        ("is turmeric good for back pain", "supplements"),
        ("can i take d3 with candesartan", "medicines"),  # a generic-name stem, not in the list
        ("does vitamin d help osteoporosis", "conditions"),
        ("is my back pain arthritis?", "diagnosis"),
        ("what does my mri mean", "diagnosis"),
        ("am i talking to a human", "about-the-bot"),
        ("is this a bot or a human", "about-the-bot"),
        ("my blood test shows low ferritin, is that why i'm tired", "conditions"),
        ("can vitamin d prevent colds and flu", "conditions"),
        ("will vitamin d fix my knee pain", "conditions"),
        ("is meloxicam ok with vitamin d", "medicines"),  # -icam
        ("should i wear a back brace", "other-treatments"),
        ("what's my diagnosis based on my symptoms", "diagnosis"),
        ("my dad is on dialysis, can he take vitamin d", "conditions"),
        ("d2 vs d3, which one", "supplements"), ("which brand of vitamin d do you recommend", "supplements"),
        ("should i get an x-ray", "diagnosis"), ("is any of this reviewed by doctors", "about-the-bot"),
        ("do you hold a medical license", "about-the-bot"), ("would a vitamin d jab be quicker", "other-treatments"),
        ("are vitamin d gummies as good", "supplements"), ("is a uv lamp safe", "supplements"),
        ("my calcium was a bit high on the bloods", "conditions"), ("who wrote this program", "about-the-bot"),
    ],
)
def test_questions_the_article_cannot_answer_are_referrals(toy, message, topic):
    assert referral_topic(message) == topic
    assert toy.match(message).kind == "referral"


@pytest.mark.parametrize(
    "message",
    [
        "how long do I have to wait for it to work",  # "do I have to" is not "do I have"
        "why do doctors just give painkillers",
        "my husband has back pain too",
        "is a 40 year old at risk",
        "how much vitamin d should i take",
        "how much vitamin d is too much",
        "which nutrients help",
        "should i take magnesium with vitamin d",
        "does vitamin d help sciatica",
        "is this sciatica from low vitamin d",
        "my scan shows arthritis but it barely hurts",
        "why does my mri look normal when i hurt so much",
        "why do i have low vitamin d",
        "the mri showed only a mild disc bulge, yet i can hardly get out of bed",
        "what's the best mattress for back pain",  # no medical question: unsure, kept for operators
        "does cold weather make my back worse",
        "what is the difference between d and d3",  # the FAQ's own words: no product choice asked
        "why does my x-ray look fine",
    ],
)
def test_ordinary_questions_are_not_referrals(message):
    assert referral_topic(message) is None


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gets_a_consistent_match(toy, text):
    result = toy.match(text)
    assert (result.entry is not None) == (result.kind == "answer")
    assert (result.smalltalk is not None) == (result.kind == "smalltalk")
    assert (result.referral is not None) == (result.kind == "referral")
    assert len(result.suggestions) <= 3


# -- check-ins in words -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "score", "note"),
    [
        ("6", 6, None), ("pain 6", 6, None), ("my back is a 6 today", 6, None),
        ("today my pain is 4/10", 4, None), ("seven", 7, None), ("8 out of 10", 8, None),
        ("It's a 3 today!", 3, None), ("5, stiff after sitting", 5, "stiff after sitting"),
        ("3 - bit stiff", 3, "bit stiff"), ("no pain today, 0", 0, None), ("10", 10, None),
        ("not great, 8", 8, None), ("5ish", 5, None), ("maybe a 6?", 6, None), ("low back pain 5", 5, None),
        ("tbh a 6 sir", 6, None), ("a 6 after gardening", 6, "after gardening"), ("no pain at all", 0, None),
        ("pain free!", 0, None), ("pain 2, **stiff**", 2, "**stiff**"),
        ("nothing at all today, no pain", 0, None),
        ("pain 8, could barely get dressed", 8, "could barely get dressed"),
        ("about a five i'd say", 5, None),  # "i'd" is no vitamin "d"
        ("1/10 best day in months", 1, None),  # its scale makes it a score, whatever span follows
        ("my mum says her pain is 6 today", 6, None),  # typed for the subscriber: confirmed before saving
        ("three outta ten", 3, None), ("0/10 lovely day in ages", 0, None),  # a 0 with its scale is a score
        ("a wee 1 this mornin", 1, None), ("nought this morning", 0, None), ("two the day", 2, None),
        ("its a seven, was lifting boxes", 7, "was lifting boxes"),  # no subject after "was": no question
        ("nine, rough one", 9, "rough one"), ("9/10, can hardly sit", 9, "can hardly sit"),
        ("my pain is 7 from 10", 7, None), ("we're at 3 today, grand", 3, "grand"),
        ("is two today, much better", 2, "much better"), ("10/10 can barely sit", 10, None),
    ],
)
def test_check_ins_in_words_are_understood(text, score, note):
    assert parse_checkin_words(text) == (score, note) or (
        parse_checkin_words(text).score == score and parse_checkin_words(text).note == note
    )


@pytest.mark.parametrize(
    "text",
    [
        "is 32 a good number", "my level came back at 18 ng/ml", "is 6 weeks of back pain chronic",
        "11", "6-7", "07:30", "7 am", "2 days ago", "is a 7 bad?", "what does a pain score of 8 mean",
        "whats 2+2", "I'm 5 months pregnant", "my son is 10", "", "pain", "6 or 7 or 8",
        "day 5", "is 6 ok?", "a 5 today?", "5ish?!?", "1000 iu", "level 30 ng/ml", "5 may", "at 7",
        "i have 2 bulging discs", "give me 5 exercises", "omega 3", "d3 5", "no pain relief works", "0 energy",
        "my pain is a 9, can i take tramadol", "5.5", "she is 6 today", "my dad is 7", "6/10 for 3 weeks now",
        "her son is 6 months",
        "nice one", "good one", "7, was it the lifting?", "5, did you get my result", "the two day course",
        "is 6 ok", "6 is that bad", "a rough one", "from 8 to 3", "is 5 normal", "6 can i take ibuprofen",
        "is 10 the worst", "10/10 would recommend",
    ],
)
def test_what_is_not_a_check_in_is_refused(text):
    assert parse_checkin_words(text) is None


# -- the real content ------------------------------------------------------------------------


def test_real_faq_entries_cite_article_sections_and_have_unique_ids(faq):
    sections = {
        "introduction", "more-than-mechanical", "hormone-not-vitamin", "why-common",
        "bone-vs-muscle-pain", "spine-vertebral-strength", "deep-muscle-weakness",
        "postural-collapse", "inflammation", "nerve-pain", "fatigue-deconditioning",
        "why-missed", "testing", "correcting-safely", "nutrients", "movement-rehabilitation",
        "protocol", "faq", "final-thoughts",
    }
    assert len({e.id for e in faq}) == len(faq)
    # The warning signs are the program's own safety advice: no article section backs them.
    assert all(e.source in sections for e in faq if e.id != "see-a-doctor")
    assert next(e for e in faq if e.id == "see-a-doctor").source is None
    assert all(len(set(e.examples)) >= 15 for e in faq)
    synonym_table(faq)  # raises on a malformed group


def test_real_faq_has_the_articles_four_questions_verbatim(faq):
    questions = {e.question for e in faq}
    assert {
        "Can vitamin D deficiency really cause back pain?",
        "How soon can pain improve?",
        "Is vitamin D alone enough?",
        "Should everyone with back pain test vitamin D?",
    } <= questions


def test_dose_answers_give_no_dose_and_send_to_a_doctor(faq):
    for entry_id in ("dose", "too-much"):
        answer = next(e for e in faq if e.id == entry_id).answer
        assert "doctor or pharmacist" in answer
        assert not any(unit in answer.lower() for unit in (" iu", "mcg", " mg", "000"))


def test_warning_signs_answer_lists_both_levels(faq):
    answer = next(e for e in faq if e.id == "see-a-doctor").answer
    assert "not part of the article" in answer  # the program's own safety advice, written once in safety.yaml
    for sign in ("bladder or bowel", "groin", "sexual function", "leg weakness", "fall or an injury",
                 "fever", "weight loss", "cancer", "steroid", "weakened immune system", "rest does not ease"):
        assert sign in answer
    assert answer.index("emergency") < answer.index("See a doctor promptly")


def test_a_question_among_other_sentences_is_found(toy):
    result = toy.match("My back has been bad all week. I saw my gp. Should I take magnesium too?")
    assert (result.kind, result.entry.id) == ("answer", "minerals")


# -- meaning: weighted vectors, classifier, confidence ---------------------------------------


def test_weighted_vectors_with_equal_weights_are_the_plain_average():
    from bot.domain.embedding import shared_embedder

    embedder = shared_embedder()
    texts = ["how much vitamin d should i take", "sciatica", ""]
    plain = embedder.embed(texts)
    weighted = embedder.embed_weighted(texts, np.full(embedder.vocabulary_size, 2.0, dtype=np.float32))
    assert np.allclose(plain, weighted, atol=1e-5)
    assert not weighted[2].any()  # no token, no direction


def test_words_every_entry_shares_weigh_less_than_words_one_entry_uses(toy):
    ids = toy._embedder.token_ids(["vitamin", "magnesium"])
    shared, distinctive = ids[0][0], ids[1][0]
    assert toy._token_weights[shared] < toy._token_weights[distinctive]


def test_the_semantic_model_is_built_once_per_faq_and_cannot_be_changed(toy):
    again = FaqMatcher(TOY_FAQ, TOY_SMALLTALK)
    assert again._classifier is toy._classifier
    with pytest.raises(ValueError):
        again._classifier[0, 0] = 1.0


def test_the_classifier_puts_each_example_in_its_own_entry(toy):
    from bot.domain.matching import _softmax

    predicted = _softmax(toy._asked_vectors @ toy._classifier + toy._classifier_bias).argmax(axis=1)
    assert (predicted == toy._asked_entry).mean() == 1.0


def test_word_features_are_stems_and_pairs_of_neighbours():
    from bot.domain.matching import word_features

    assert word_features(["vitamin", "d", "dose", "d"]) == ["vitamin", "d", "dose", "vitamin d", "d dose"]


def test_the_sparse_word_matrix_multiplies_like_a_dense_one():
    import numpy as np

    from bot.domain.matching import _Sparse

    rows = [([0, 2], 4), ([], 1), ([1], 1)]  # the second row knows no feature
    dense = np.zeros((3, 3), dtype=np.float32)
    for r, (found, total) in enumerate(rows):
        dense[r, found] = 1 / np.sqrt(total)
    sparse = _Sparse(rows, 3)
    weights = np.arange(6, dtype=np.float32).reshape(3, 2)
    error = np.arange(6, dtype=np.float32).reshape(3, 2) - 2
    assert np.allclose(sparse.times(weights), dense @ weights)
    assert np.allclose(sparse.transposed_times(error), dense.T @ error)


def test_the_classifier_reads_word_features(toy):
    assert toy._feature_index and toy._word_weights.shape == (len(toy._feature_index), len(TOY_FAQ))


def test_confidence_grows_with_the_lead_over_the_next_entries():
    close = FaqMatcher.answer_probability((1.5, 0.05, 0.1, 0.8, 1.0, 4.0))
    clear = FaqMatcher.answer_probability((1.5, 0.8, 0.9, 0.8, 1.0, 4.0))
    assert 0.0 < close < clear < 1.0


def test_a_paraphrase_far_from_every_example_still_finds_its_entry(toy):
    result = toy.match("is d3 alone sufficient or do i need more")
    assert result.suggestions[0].id == "alone"


def test_the_scope_model_trusts_known_words_more_than_unknown_ones():
    # Features: best score, leads, closest cosine, coverage, known words, unknown words, probability.
    about_the_faq = FaqMatcher.scope_probability((2.5, 1.5, 1.7, 0.8, 1.0, 4.0, 0.0, 0.9))
    about_something_else = FaqMatcher.scope_probability((2.5, 1.5, 1.7, 0.8, 0.5, 2.0, 2.0, 0.9))
    assert 0.0 < about_something_else < about_the_faq < 1.0


@pytest.mark.parametrize("text", ["whats 7 times 8", "12 + 30?", "what is 6 * 7"])
def test_a_sum_gets_no_faq_answer(matcher, text):
    assert matcher.match(text).kind == "unsure"


def test_a_typo_keeps_its_first_letter(matcher):
    assert matcher._correct("vertabrae") == "vertebrae"
    assert matcher._correct("oranges") is None  # not "ranges"
