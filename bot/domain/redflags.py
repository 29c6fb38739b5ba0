"""Red-flag symptoms in free text: "seek medical care now" must win over any FAQ answer.

How a phrase matches (content authors write plain phrases, no syntax):
- Small words ("my", "of", "the", "have", ...) are ignored on both sides; the phrase's remaining
  words must all appear, in any order, within a few words of each other in the message
  ("loss of bladder control" matches "bladder control loss").
- Words are compared after light stemming ("legs"/"leg", "numbness"/"numb", "lost"/"loss") and
  with typo tolerance against phrase words of five letters or more, if the first letter agrees
  ("bladdr", "fevr"). Short words (under five letters once stemmed), small words and negations
  match exactly only, so "never" is not "fever".
- A negation (no, not, never, without, none, nor, any "n't" ...) up to three words before the
  match, in the same clause, or among the matched words themselves, cancels it: "no numbness in
  the groin" is not a red flag. A negation that is part of the phrase ("can't control my bladder",
  "lost weight without trying") is just a word of the phrase.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.content.models import RedFlag

_FUZZY_MIN_LEN = 5
_FUZZY_MIN_SCORE = 80
_EXTRA_WORDS_IN_WINDOW = 2  # how far apart a phrase's words may be
_NEGATION_REACH = 3

_STOPWORDS = frozenset(
    """a an the my me i im i'm ive i've am is are was were be been being have has had having
    of in on at to for with and or it its it's this that these those some any very really so just
    also from since now still get gets getting got feel feeling felt like around area
    lot lots much bit""".split()
)
_NEGATIONS = frozenset(
    """no not never without none neither nor nothing nobody nowhere cannot cant dont doesnt
    didnt isnt arent wasnt werent havent hasnt hadnt wont wouldnt couldnt shouldnt aint""".split()
)
_CLAUSE_BREAKS = frozenset("but however although though yet except".split())
_IRREGULAR = {
    "fell": "fall", "fallen": "fall", "falling": "fall", "falls": "fall",
    "lost": "lose", "losing": "lose", "loss": "lose", "loses": "lose",
    "gave": "give", "giving": "give", "given": "give", "gives": "give",
    "weaker": "weak", "weakened": "weak", "weakening": "weak",
    "feverish": "fever", "fevers": "fever", "hurt": "hurt", "hurts": "hurt", "hurting": "hurt",
}
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|[.,;:!?()—–]")


def _stem(word: str) -> str:
    word = word.replace("'", "")
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    for suffix, replacement in (("ness", ""), ("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""),
                                ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix in ("s", "es") and word.endswith("ss"):
                break  # "stress", not a plural
            return word[: -len(suffix)] + replacement
    return word


def _is_negation(word: str) -> bool:
    return word.replace("'", "") in _NEGATIONS or word.endswith("n't")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("’", "'").replace("‘", "'"))


@dataclass(frozen=True)
class _Phrase:
    flag: RedFlag
    words: tuple[int, ...]  # vocabulary ids of the content words


class RedFlagDetector:
    def __init__(self, flags: Sequence[RedFlag]) -> None:
        self._vocabulary: dict[str, int] = {}  # stem -> id
        self._strict: set[int] = set()  # ids that only match exactly
        self._phrases: list[_Phrase] = []
        self._compounds: dict[str, tuple[str, str]] = {}  # "backpain" -> ("back", "pain")
        for flag in flags:
            for phrase in flag.phrases:
                words = [w for w in _tokens(phrase) if w[0].isalnum() and w not in _STOPWORDS]
                if not words:
                    raise ValueError(f"red flag {flag.id!r}: phrase {phrase!r} has no words to match")
                ids = tuple(dict.fromkeys(self._word_id(w) for w in words))
                self._phrases.append(_Phrase(flag, ids))
                for left, right in zip(words, words[1:]):
                    self._compounds[left + right] = (left, right)
        self._by_initial: dict[str, list[str]] = {}
        for stem, word_id in self._vocabulary.items():
            if word_id not in self._strict:
                self._by_initial.setdefault(stem[0], []).append(stem)
        self._matches = lru_cache(maxsize=8192)(self._matches_uncached)

    def _word_id(self, word: str) -> int:
        stem = _stem(word)
        word_id = self._vocabulary.setdefault(stem, len(self._vocabulary))
        # A short stem is one letter away from too many other words ("pain"/"paint").
        if len(stem) < _FUZZY_MIN_LEN or _is_negation(word):
            self._strict.add(word_id)
        return word_id

    def _matches_uncached(self, word: str) -> frozenset[int]:
        """The vocabulary ids a message word stands for."""
        stem = _stem(word)
        found = {self._vocabulary[stem]} if stem in self._vocabulary else set()
        # A typo shortens a word, so a four-letter word may still be a typo of a longer stem.
        if len(word) >= _FUZZY_MIN_LEN - 1 and word not in _STOPWORDS and not _is_negation(word):
            for choice, _, _ in process.extract(
                stem, self._by_initial.get(stem[0], []), scorer=fuzz.ratio,
                score_cutoff=_FUZZY_MIN_SCORE, limit=None,
            ):
                found.add(self._vocabulary[choice])
        return frozenset(found)

    def detect(self, text: str) -> RedFlag | None:
        """The first flag (in content order) with a phrase in ``text`` that is not negated."""
        raw: list[str] = []
        for token in _tokens(text):
            raw.extend(self._compounds.get(token, (token,)))
        # Positions (in ``raw``) of the words that count, and what each one matches.
        positions = [i for i, w in enumerate(raw) if w[0].isalnum() and w not in _STOPWORDS]
        matches = [self._matches(raw[i]) for i in positions]
        present = set().union(*matches)
        for phrase in self._phrases:
            if present.issuperset(phrase.words) and self._found(phrase.words, raw, positions, matches):
                return phrase.flag
        return None

    def _found(self, words, raw, positions, matches) -> bool:
        width = len(words) + _EXTRA_WORDS_IN_WINDOW
        for start in range(len(positions)):
            if not matches[start].intersection(words):
                continue
            used: dict[int, int] = {}  # phrase word id -> position index
            for k in range(start, min(start + width, len(positions))):
                for word_id in matches[k].intersection(words):
                    used.setdefault(word_id, k)
                if len(used) == len(words):
                    matched = {positions[j] for j in used.values()}
                    if not _negated(raw, positions[start], positions[k], matched):
                        return True
                    break
        return False


def _negated(raw: list[str], first: int, last: int, matched: set[int]) -> bool:
    inside = any(_is_negation(raw[i]) for i in range(first, last + 1) if i not in matched)
    if inside:
        return True
    seen = 0
    for i in range(first - 1, -1, -1):
        word = raw[i]
        if not word[0].isalnum() or word in _CLAUSE_BREAKS:
            return False
        if _is_negation(word):
            return True
        seen += 1
        if seen == _NEGATION_REACH:
            return False
    return False
