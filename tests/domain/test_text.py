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


def test_the_compiled_stemmer_stems_every_content_word_as_the_pure_python_one():
    # PyStemmer (C) is installed for speed; snowballstemmer falls back to its pure-Python
    # English stemmer where it is missing. The kept FAQ weights and every evaluation assume one
    # set of stems, so the two must agree on every word the content uses.
    import re
    from pathlib import Path

    import Stemmer
    from snowballstemmer.english_stemmer import EnglishStemmer

    from bot.content.loader import default_content_dir

    vocabulary = set()  # the content's words and those of every evaluation and training set
    for path in [*default_content_dir().rglob("*"), *Path(__file__).parents[1].rglob("*.yaml")]:
        if path.is_file() and path.suffix in (".yaml", ".md", ".txt"):
            vocabulary.update(re.findall(r"[a-z]+", path.read_text(encoding="utf-8").lower()))
    assert len(vocabulary) > 5000
    compiled, pure = Stemmer.Stemmer("english"), EnglishStemmer()
    assert [w for w in sorted(vocabulary) if compiled.stemWord(w) != pure.stemWord(w)] == []
    assert type(stem.__wrapped__.__globals__["_STEMMER"]).__module__ == "Stemmer"  # the compiled one is in use
