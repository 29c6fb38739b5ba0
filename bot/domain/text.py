"""The one text pipeline shared by the FAQ matcher and the red-flag detector.

Both read what people type in their own words, so both need the same steps: fold case, accents
and apostrophes ("what's" -> "whats", "Ibuprofène" -> "ibuprofene"), split into words (keeping
clause punctuation for those who need it), and stem with the Snowball English stemmer so that
"weakness", "weaker" and "weakening" meet. One implementation, so a fix in one place helps both.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_STEMMER = snowballstemmer.stemmer("english")

_WORD = re.compile(r"[a-z0-9]+")
_TOKEN = re.compile(r"[a-z0-9]+|[.,;:!?()\u2014\u2013]")
_APOSTROPHES = str.maketrans("", "", "'\u2019\u2018`\u00b4")

# Irregular forms the Snowball stemmer leaves apart but a person means as one word.
IRREGULAR = {
    "fell": "fall",
    "fallen": "fall",
    "lost": "lose",
    "loss": "lose",
    "took": "take",
    "taken": "take",
    "gave": "give",
    "given": "give",
    "worse": "bad",
    "worst": "bad",
    "peed": "pee",
    "peeing": "pee",
    # Snowball keeps the -en verb apart from its adjective: "weakening" -> "weaken".
    "weaken": "weak",
    "weakens": "weak",
    "weakened": "weak",
    "weakening": "weak",
    "weaker": "weak",
    "weakest": "weak",
}

NEGATIONS = frozenset(
    """no not never without none neither nor nothing nobody nowhere cannot cant dont doesnt
    didnt isnt arent wasnt werent havent hasnt hadnt wont wouldnt couldnt shouldnt aint""".split()
)

CLAUSE_BREAKS = frozenset(".,;:!?()\u2014\u2013")


def fold(text: str) -> str:
    """Lowercase ASCII: accents dropped, apostrophes removed so "what's" is one word."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    return decomposed.encode("ascii", "ignore").decode("ascii").lower()


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order, punctuation dropped."""
    return _WORD.findall(fold(text))


def tokens(text: str) -> list[str]:
    """The folded words of ``text`` with clause punctuation kept as tokens of its own."""
    return _TOKEN.findall(fold(text))


@lru_cache(maxsize=16384)
def stem(word: str) -> str:
    """The stem of one folded word: irregular forms first, then Snowball English."""
    if word in IRREGULAR:
        return IRREGULAR[word]
    if not word.isalpha():
        return word
    return _STEMMER.stemWord(word)


def stems(text: str) -> list[str]:
    """Every word of ``text`` folded and stemmed, stop words included."""
    return [stem(word) for word in words(text)]
