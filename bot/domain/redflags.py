"""Red-flag symptoms in free text: "seek care" must win over any FAQ answer.

Text goes through the shared pipeline (``bot.domain.text``: fold case, accents and apostrophes,
split into words, Snowball stems), so the detector and the FAQ matcher read people alike.

How a phrase matches (content authors write plain phrases; see content/README.md):
- ``a|b|c`` in a phrase is a choice of words at that place: ``can't control|hold bladder|bowels``;
  ``{name}`` is every word of a named group (``red_flag_words`` in safety.yaml), so one list of
  ways to say "numb" or "groin" serves every phrase that needs it.
- Small words ("the", "of", "my", "a", ...) are ignored on both sides. The phrase's other words
  must all appear, in any order, within a few words of each other ("bladder control loss").
- Words meet on their stems ("legs"/"leg", "numbness"/"numb", "lost"/"loss"); a stem of five
  letters or more also tolerates a typo if the first letter agrees ("bladdr", "incontinance").
  Shorter words and negations only match exactly, so "never" is not "fever".
- A negation (no, not, never, without, any "n't" ...) up to three words before the match in the
  same clause, or among the matched words, cancels it: "no numbness in the groin". A negation
  written in the phrase ("can't pee") is just one of its words.
- A sign that is asked about, not reported, is *hypothetical* and raises no alarm: the match sits
  in a question that opens with a question word ("what if I lose bladder control?", "is it serious
  if I can't pee?") or in an "if"/"in case" clause of a question. ``mention`` finds those, so the
  bot can answer with the list of warning signs instead; a statement next to a question ("I can't
  pee, is that serious?") is reported, not hypothetical.

Emergency flags are tried before see-a-doctor ones, so the most urgent reply wins.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.content.models import RedFlag
from bot.domain.text import CLAUSE_BREAKS, NEGATIONS, stem, tokens

_FUZZY_MIN_LEN = 5
_FUZZY_MIN_SCORE = 80
_EXTRA_WORDS_IN_WINDOW = 3  # how far apart a phrase's words may be
_NEGATION_REACH = 2  # content words: "no fever", "never had a fever", not "can't stand, legs weak"
LEVEL_ORDER = ("emergency", "prompt")

_SMALL_WORDS = frozenset(
    """a an the my me i im ive id am is are was were be been being of in on at to for with and or
    it its this that these those some any very really so just also from now still lot lots much bit
    quite totally completely all"""
    .split()
)
_NEGATION_WORDS = NEGATIONS | {"cannot", "couldnt", "nothing"}
# Forms Snowball leaves apart that a person means as one word.
# "fell" stays "fell": the season ("worse in the fall") must not read as a fall.
_SAME = {"cannot": "cant", "couldnt": "cant", "weaker": "weak", "weaken": "weak", "fell": "fell", "fallen": "fell"}
_CONTRAST = frozenset({"but", "however", "although", "though", "yet", "except"})
_QUESTION_OPENERS = frozenset(
    """what when how why which who where whats is are am can could should would will does do did
    might may shall""".split()
)
_CONDITIONALS = frozenset({"if", "whether", "incase", "suppose", "supposing", "imagine", "ever"})
# A sign that is someone else's ("my mum had cancer") is not the subscriber's red flag.
_OTHERS = frozenset(
    """mum mom mother mam dad father friend friends sister brother wife husband partner son
    daughter kid kids child children aunt uncle grandma grandmother nan granny grandpa grandfather
    family colleague coworker neighbour neighbor boss cousin baby dog cat he she they someone
    somebody people""".split()
)


def _norm(word: str) -> str:
    if word in _SAME:
        return _SAME[word]
    word_stem = stem(word)
    return _SAME.get(word_stem, word_stem)


def _is_negation(word: str) -> bool:
    return word in _NEGATION_WORDS


def _expand(phrase: str, groups: Mapping[str, Sequence[str]] | None = None) -> list[list[str]]:
    """'can't control|hold bladder' -> [['cant', 'control', 'bladder'], ['cant', 'hold', 'bladder']];
    '{name}' stands for every word (or words) of the group ``name``."""
    groups = groups or {}
    choices = []
    for part in phrase.split():
        alternatives: list[str] = []
        for alt in part.split("|"):
            if alt.startswith("{") and alt.endswith("}"):
                if alt[1:-1] not in groups:
                    raise ValueError(f"phrase {phrase!r} uses the word group {alt}, which is not defined")
                alternatives.extend(groups[alt[1:-1]])
            else:
                alternatives.append(alt)
        choices.append([w for alt in alternatives for w in [" ".join(tokens(alt))] if w])
    out = []
    for combination in itertools.product(*[c for c in choices if c]):
        words = [w for chunk in combination for w in chunk.split() if w[0].isalnum()]
        out.append(words)
    return out


@dataclass(frozen=True)
class _Phrase:
    flag: RedFlag
    words: tuple[int, ...]  # vocabulary ids of the content words


@dataclass(frozen=True)
class _Found:
    flag: RedFlag
    hypothetical: bool


class RedFlagDetector:
    def __init__(self, flags: Sequence[RedFlag], groups: Mapping[str, Sequence[str]] | None = None) -> None:
        self._vocabulary: dict[str, int] = {}  # stem -> id
        self._fuzzy_keys: dict[str, int] = {}  # stems and written words -> id
        self._strict: set[int] = set()  # ids that only match exactly
        self._phrases: list[_Phrase] = []
        self._compounds: dict[str, tuple[str, str]] = {}  # "backpain" -> ("back", "pain")
        ordered = sorted(flags, key=lambda f: LEVEL_ORDER.index(f.level))
        for flag in ordered:
            for phrase in flag.phrases:
                for words in _expand(phrase, groups):
                    content_words = [w for w in words if w not in _SMALL_WORDS]
                    if not content_words:
                        raise ValueError(f"red flag {flag.id!r}: phrase {phrase!r} has no words to match")
                    ids = tuple(dict.fromkeys(self._word_id(w) for w in content_words))
                    self._phrases.append(_Phrase(flag, ids))
                    for left, right in zip(words, words[1:]):
                        self._compounds[left + right] = (left, right)
        # Typos are looked up against stems and against the phrase words as written, since a
        # typo often defeats the stemmer ("numbnes" is not stemmed to "numb").
        self._by_initial: dict[str, list[str]] = {}
        for key, word_id in self._fuzzy_keys.items():
            if len(key) >= _FUZZY_MIN_LEN and key.isalpha() and not _is_negation(key):
                self._by_initial.setdefault(key[0], []).append(key)
        self._matches = lru_cache(maxsize=8192)(self._matches_uncached)

    def _word_id(self, word: str) -> int:
        word_stem = _norm(word)
        word_id = self._vocabulary.setdefault(word_stem, len(self._vocabulary))
        self._fuzzy_keys.setdefault(word_stem, word_id)
        if len(word) >= _FUZZY_MIN_LEN:
            self._fuzzy_keys.setdefault(word, word_id)
        # A short stem is one letter away from too many other words ("pain"/"paint").
        if len(word_stem) < _FUZZY_MIN_LEN or _is_negation(word) or not word_stem.isalpha():
            self._strict.add(word_id)
        return word_id

    def _matches_uncached(self, word: str) -> frozenset[int]:
        """The vocabulary ids a message word stands for."""
        word_stem = _norm(word)
        found = {self._vocabulary[word_stem]} if word_stem in self._vocabulary else set()
        # A typo shortens a word, so a four-letter word may still be a typo of a longer stem.
        if len(word) >= _FUZZY_MIN_LEN - 1 and word.isalpha() and not _is_negation(word):
            for written in {word_stem, word}:
                for choice, _, _ in process.extract(
                    written, self._by_initial.get(written[0], []), scorer=fuzz.ratio,
                    score_cutoff=_FUZZY_MIN_SCORE, limit=None,
                ):
                    found.add(self._fuzzy_keys[choice])
        return frozenset(found)

    def detect(self, text: str) -> RedFlag | None:
        """The most urgent flag reported in ``text`` (not negated, not hypothetical), or None."""
        found = self._find(text)
        return next((f.flag for f in found if not f.hypothetical), None)

    def mention(self, text: str) -> RedFlag | None:
        """A flag only asked about ("what if I can't pee?"): worth the list of warning signs."""
        found = self._find(text)
        if any(not f.hypothetical for f in found):
            return None
        return next((f.flag for f in found), None)

    def _find(self, text: str) -> list[_Found]:
        raw: list[str] = []
        for token in tokens(text):
            raw.extend(self._compounds.get(token, (token,)))
        positions = [i for i, w in enumerate(raw) if w[0].isalnum() and w not in _SMALL_WORDS]
        matches = [self._matches(raw[i]) for i in positions]
        present = set().union(*matches)
        found: list[_Found] = []
        seen: set[str] = set()
        for phrase in self._phrases:
            if phrase.flag.id in seen or not present.issuperset(phrase.words):
                continue
            hit = self._found(phrase.words, raw, positions, matches)
            if hit is not None:
                found.append(_Found(phrase.flag, hit))
                if not hit:
                    seen.add(phrase.flag.id)
        return found

    def _found(self, words, raw, positions, matches) -> bool | None:
        """None if the phrase is not there; else whether its best occurrence is hypothetical."""
        width = len(words) + _EXTRA_WORDS_IN_WINDOW
        result = None
        for start in range(len(positions)):
            if not matches[start].intersection(words):
                continue
            used: dict[int, int] = {}  # phrase word id -> position index
            for k in range(start, min(start + width, len(positions))):
                for word_id in matches[k].intersection(words):
                    used.setdefault(word_id, k)
                if len(used) == len(words):
                    matched = {positions[j] for j in used.values()}
                    first = positions[start]
                    if not _negated(raw, first, positions[k], matched) and not _someone_else(raw, first):
                        if not _hypothetical(raw, first):
                            return False
                        result = True
                    break
        return result


def _negated(raw: list[str], first: int, last: int, matched: set[int]) -> bool:
    if any(_is_negation(raw[i]) for i in range(first, last + 1) if i not in matched):
        return True
    seen = 0
    for i in range(first - 1, -1, -1):
        word = raw[i]
        if word in CLAUSE_BREAKS or word in _CONTRAST:
            return False
        if _is_negation(word):
            return True
        if word not in _SMALL_WORDS:
            seen += 1
        if seen == _NEGATION_REACH:
            return False
    return False


def _someone_else(raw: list[str], at: int) -> bool:
    """Is the clause before the match about another person ("my friend had a car accident")?"""
    for i in range(at - 1, -1, -1):
        if raw[i] in CLAUSE_BREAKS:
            return False
        if raw[i] in _OTHERS:
            return True
    return False


def _hypothetical(raw: list[str], at: int) -> bool:
    """Is the word at ``at`` inside a question about a sign rather than a report of one?"""
    start = at
    while start > 0 and raw[start - 1] not in ".!?":
        start -= 1
    end = at
    while end < len(raw) and raw[end] not in ".!?":
        end += 1
    sentence = raw[start:end]
    question = end < len(raw) and raw[end] == "?"
    clause_start = at
    while clause_start > start and raw[clause_start - 1] not in CLAUSE_BREAKS:
        clause_start -= 1
    clause = raw[clause_start:at]
    opener = next((w for w in sentence if w[0].isalnum()), "")
    clause_opener = next((w for w in clause if w[0].isalnum()), "")
    if sentence[:2] == ["what", "if"] or clause[:2] == ["what", "if"] or clause[:2] == ["in", "case"]:
        return True
    conditional = any(w in _CONDITIONALS for w in clause)
    if conditional and (question or opener in _QUESTION_OPENERS):
        return True
    # "Could vitamin D deficiency cause incontinence?": the clause itself is the question.
    return question and clause_opener in _QUESTION_OPENERS and (clause_start == start or opener in _QUESTION_OPENERS)
