"""The shared text pipeline: folding, tokens and stems that FAQ matching and red flags both use."""

from bot.domain.text import fold, stem, stems, tokens, words


def test_fold_drops_accents_case_and_apostrophes():
    assert fold("What’s Ibuprofène?") == "whats ibuprofene?"


def test_words_and_tokens():
    assert words("Numb, down there!") == ["numb", "down", "there"]
    assert tokens("Numb, down there!") == ["numb", ",", "down", "there", "!"]


def test_stem_meets_inflections_and_irregulars():
    assert stem("weakness") == stem("weak")
    assert stem("numbness") == stem("numb")
    assert stem("fell") == stem("falling") == "fall"
    assert stems("lost control") == [stem("lose"), "control"]
    assert stem("24") == "24"
