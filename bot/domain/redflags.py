"""Red-flag symptoms in free text: "seek care" must win over any FAQ answer.

Text goes through the shared pipeline (``bot.domain.text``: fold case, accents and apostrophes,
split into words, Snowball stems), so the detector and the FAQ matcher read people alike.

How a phrase matches (content authors write plain phrases; see content/README.md and
docs/SAFETY.md):
- A phrase is a row of places. ``a|b|c`` is a choice at a place: ``can't control|hold bladder``;
  ``{name}`` is every entry of a named group (``red_flag_words`` in safety.yaml), so a phrase can
  join two concepts: ``{numb} {saddle}`` is any way to say numb near any way to say the saddle
  area. An entry of several words ("pins and needles") must come in its order, at most one word
  apart; ``{cant}+{void}`` joins two places into such entries ("can't pee").
- Small words ("the", "of", "my", "a", ...) are ignored on both sides. The places may come in any
  order, within a few content words of each other ("bladder control loss").
- Words meet on their stems ("legs"/"leg", "numbness"/"numb"); a word of five letters or more
  also tolerates one slip if the first letter agrees ("bladdr", "grion", "incontinance").
  Shorter words and negations only match exactly, so "never" is not "fever". Idioms in the group
  ``not_a_sign`` ("fell asleep") are dropped before matching.
- A negation (no, not, never, without, any "n't" ...) up to two content words before a place,
  in its clause and not part of the match, cancels it: "no numbness in the groin". A negation
  written in the phrase ("can't pee") is just one of its words.
- A sign that is asked about, not reported, is *hypothetical* and raises no alarm: the match sits
  in a question that opens with a question word ("what if I lose bladder control?", "is it serious
  if I can't pee?") or in an "if"/"in case" clause of a question. ``mention`` finds those, so the
  bot can answer with the list of warning signs instead; a statement next to a question ("I can't
  pee, is that serious?") is reported, not hypothetical.

Emergency flags are tried before see-a-doctor ones, so the most urgent reply wins.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.domain.embedding import shared_embedder
from bot.domain.entries import RedFlag
from bot.domain.sentences import QUESTION_OPENERS, SELF, asks, is_number, is_other, patient, sentence_tokens
from bot.domain.signclass import Embeds, SignClassifier, SignModel
from bot.domain.text import CLAUSE_BREAKS, NEGATIONS, stem, tokens

_FUZZY_MIN_LEN = 5
_FUZZY_MIN_SCORE = 80
# Everyday words one letter from a sign word, never read as its typo ("skipped my walk" is no slip).
_NOT_TYPOS = frozenset({"skipped", "skipping", "weeding"})
# Friends named by a word that also calls out to the reader ("mate, I can't pee"): someone else
# only after "my" ("my mate fell in the pond").
_FRIENDS = frozenset({"mate", "pal", "buddy"})
_EXTRA_WORDS_IN_WINDOW = 4  # how far apart a phrase's words may be
_MAX_COMBINATIONS = 256  # placements of a phrase tried in one message
_SENTENCE_ENDS = frozenset(".!?;")
NOT_A_SIGN = "not_a_sign"  # the word group of idioms dropped before matching
LONG_PAST = "long_past"  # phrases that put a sentence's sign in the past, over ("years ago", "fully healed")
HISTORY_SIGNS = "history_signs"  # the flags whose sign is a history ("had cancer years ago"): never long past
_OLD_YEAR = 2  # a year this many years before now or earlier ("a fall in 2009") is long past
_NEGATION_REACH = 2  # content words: "no fever", "never had a fever", not "can't stand, legs weak"
LEVEL_ORDER = ("emergency", "prompt")

_SMALL_WORDS = frozenset(
    """a an the my me i im ive id am is are was were be been being of in on at to for with and or
    it its this that these those some any very really so just also from now still lot lots much bit
    quite totally completely all"""
    .split()
)
_NEGATION_WORDS = NEGATIONS | {"cannot", "couldnt", "nothing", "denies", "denied", "nil"}  # "denies leg weakness"
# A clinical list of denied signs: the negation covers every item of the list, not two words
# ("denies saddle anaesthesia, bladder or bowel change, leg weakness"; "negative for ...";
# "nil fever, nil weight loss").
_LIST_NEGATIONS = frozenset({"denies", "denied", "deny", "denying", "negative", "nil"})
_LIST_SEPARATORS = frozenset({",", "/", "or", "and", "nor"})
_LIST_ITEM_WORDS = 4  # content words in one item of such a list, at most
_RELATIVES = frozenset({"who", "whos", "whose", "which"})  # "my father, who is 91, fell"
# Forms Snowball leaves apart that a person means as one word.
# "fell" stays "fell": the season ("worse in the fall") must not read as a fall.
# "peed" stays "peed": "I need to pee before bed" must not read as "I peed the bed".
_SAME = {
    "peed": "peed", "cannot": "cant", "couldnt": "cant", "weaker": "weak", "weaken": "weak", "fell": "fell",
    "fallen": "fell",
}
# Time and quantity words do not part a sign from its site: "fever 39.5 since two days and my
# back hurts" is as close as "fever and my back hurts" (the window counts the other words).
_UNCOUNTED = frozenset(
    """since ago for day days week weeks hour hours minute minutes month yesterday today tonight
    morning evening afternoon last past couple few one two three four five six seven eight nine ten
    monday tuesday wednesday thursday friday saturday sunday weekend also too again even then c
    degrees""".split()
)
_MODIFIER_GROUPS = frozenset({"{cant}", "{feel}", "{havent}", "{backpain}", "{hurt}", "{had}", "{longterm}", "{sudden}"})
_CONTRAST = frozenset({"but", "however", "although", "though", "yet", "except"})
_JOINS = frozenset({"and", "so", "because", "cause", "then", "while", "since", "as", "plus"})
_SUBJECTS = frozenset({"i", "im", "ive", "my", "it", "its", "the", "this", "he", "she", "we", "they", "your"})
_SUPPOSING = frozenset({"hypothetically", "theoretically", "hypothetical"})
_CONDITIONALS = frozenset({"if", "whether", "incase", "suppose", "supposing", "imagine", "ever"})


def _norm(word: str) -> str:
    if word in _SAME:
        return _SAME[word]
    word_stem = stem(word)
    return _SAME.get(word_stem, word_stem)


def _typo(word: str, key: str) -> bool:
    """Is ``word`` a plausible typo of ``key``? One slip (a letter missing, added, changed or two
    swapped), two in a long word; in a five-letter word a changed letter makes another word
    ("there"/"threw"), so only a missing, added or swapped letter counts there."""
    distance = OSA.distance(word, key)
    if len(key) <= _FUZZY_MIN_LEN:
        return distance == 1 and (len(word) != len(key) or sorted(word) == sorted(key))
    return distance <= (1 if len(key) <= 10 else 2)


def _is_negation(word: str) -> bool:
    return word in _NEGATION_WORDS


def _expand(phrase: str, groups: Mapping[str, Sequence[str]] | None = None) -> list[list[list[str]]]:
    """'can't control|hold bladder' -> [[['cant']], [['control'], ['hold']], [['bladder']]]: one list
    of alternatives per place ("slot"); '{name}' stands for every entry of the group ``name``. An
    alternative of several words ("pins and needles", "down there") is matched in its order."""
    groups = groups or {}
    slots = []
    for part in phrase.split():
        # "{cant}+{void}": the places joined by "+" come in this order, as one ("can't pee", not
        # "pee before bed or I can't sleep").
        joined = [_alternatives(phrase, piece, groups) for piece in part.split("+")]
        alternatives = [" ".join(combination) for combination in itertools.product(*joined)]
        words = [[w for w in tokens(alt) if w[0].isalnum() and w not in _SMALL_WORDS] for alt in alternatives]
        # A place of only small words ("my|the") is no constraint at all; an alternative of only
        # small words in a place with others ("still" among the ways to say "resting") is dropped.
        if any(words):
            slots.append([w for w in words if w])
    return slots


def _alternatives(phrase: str, part: str, groups: Mapping[str, Sequence[str]]) -> list[str]:
    alternatives: list[str] = []
    for alt in part.split("|"):
        if alt.startswith("{") and alt.endswith("}"):
            if alt[1:-1] not in groups:
                raise ValueError(f"phrase {phrase!r} uses the word group {alt}, which is not defined")
            alternatives.extend(groups[alt[1:-1]])
        else:
            alternatives.append(alt)
    return alternatives


@dataclass(frozen=True)
class _Phrase:
    flag: RedFlag
    slots: tuple[tuple[tuple[int, ...], ...], ...]  # per place: its alternatives as vocabulary ids
    size: int  # content words of the shortest reading, for the window
    heads: tuple[frozenset[int], ...]  # per place: the first words of its alternatives


@dataclass(frozen=True)
class _Found:
    flag: RedFlag
    hypothetical: bool


@dataclass
class _Message:
    raw: list[str]  # folded tokens, punctuation kept
    positions: list[int]  # indexes into raw of the content words
    matches: list[frozenset[int]]  # per content word: the vocabulary ids it stands for
    sentence: list[int]  # per content word: which sentence it is in
    rank: list[int]  # per content word: how many counted words (not time or numbers) up to it
    present: frozenset[int]
    occurrences: dict[tuple[int, ...], list[tuple[int, int, frozenset[int]]]]
    patient: frozenset[str] = frozenset()  # who the message is about, when not the writer
    past: frozenset[int] = frozenset()  # sentences that speak of a time long past, or of a sign over


class RedFlagDetector:
    def __init__(
        self, flags: Sequence[RedFlag], groups: Mapping[str, Sequence[str]] | None = None,
        model: SignModel | None = None, embedder: Embeds | None = None,
    ) -> None:
        self._vocabulary: dict[str, int] = {}  # stem -> id
        self._fuzzy_keys: dict[str, int] = {}  # stems and written words -> id
        self._strict: set[int] = set()  # ids that only match exactly
        self._phrases: list[_Phrase] = []
        self._compounds: dict[str, tuple[str, str]] = {}  # "backpain" -> ("back", "pain")
        groups = dict(groups or {})
        # Idioms that look like a sign and are not ("fell asleep", "crash course"): dropped first.
        self._not_a_sign: dict[str, list[tuple[str, ...]]] = {}  # by first word
        for idiom in groups.pop(NOT_A_SIGN, []):
            idiom_words = tuple(_norm(w) for w in tokens(idiom) if w[0].isalnum())
            if idiom_words:
                self._not_a_sign.setdefault(idiom_words[0], []).append(idiom_words)
        # "Years ago", "fully healed": a sign in such a sentence is over, unless it is a history sign.
        self._long_past: dict[str, list[tuple[str, ...]]] = {}
        for entry in groups.pop(LONG_PAST, []):
            entry_words = tuple(_norm(w) for w in tokens(entry) if w[0].isalnum())
            if entry_words:
                self._long_past.setdefault(entry_words[0], []).append(entry_words)
        self._history_signs = frozenset(groups.pop(HISTORY_SIGNS, []))
        self._old_year = datetime.date.today().year - _OLD_YEAR
        ordered = sorted(flags, key=lambda f: LEVEL_ORDER.index(f.level))
        for flag in ordered:
            for phrase in flag.phrases:
                slots = _expand(phrase, groups)
                if not slots:
                    raise ValueError(f"red flag {flag.id!r}: phrase {phrase!r} has no words to match")
                ids = tuple(
                    tuple(dict.fromkeys(tuple(self._word_id(w) for w in alt) for alt in slot)) for slot in slots
                )
                size = sum(min(len(alt) for alt in slot) for slot in ids)
                heads = tuple(frozenset(alt[0] for alt in slot) for slot in ids)
                self._phrases.append(_Phrase(flag, ids, size, heads))
                for slot in slots:
                    for alt in slot:
                        for left, right in zip(alt, alt[1:]):
                            self._compounds[left + right] = (left, right)
                for left_slot, right_slot in zip(slots, slots[1:]):
                    if len(left_slot) * len(right_slot) <= 64:
                        for before, after in itertools.product(left_slot, right_slot):
                            self._compounds[before[-1] + after[0]] = (before[-1], after[0])
        self._concepts = self._index_concepts(groups)
        # Typos are looked up against stems and against the phrase words as written, since a
        # typo often defeats the stemmer ("numbnes" is not stemmed to "numb").
        self._by_initial: dict[str, list[str]] = {}
        for key in self._fuzzy_keys:
            if len(key) >= _FUZZY_MIN_LEN and key.isalpha() and not _is_negation(key):
                self._by_initial.setdefault(key[0], []).append(key)
        self._matches = lru_cache(maxsize=8192)(self._matches_uncached)
        # Phrases by the words their first place may start with: only those a message can meet are tried.
        self._by_head: dict[int, list[int]] = {}
        for number, known in enumerate(self._phrases):
            for word_id in known.heads[0]:
                self._by_head.setdefault(word_id, []).append(number)
        # What the phrases miss, the classifier may catch (rules first; see signclass.py).
        self._by_id = {flag.id: flag for flag in flags}
        self._classifier = None if model is None else SignClassifier(
            model, embedder or shared_embedder(), self.concepts, self.sign_groups,
            {flag.id: flag.level for flag in flags},
        )

    @property
    def sign_groups(self) -> dict[str, frozenset[str]]:
        """Per red flag, the word groups its phrases use ("{numb}", "{saddle}", ...), but for the
        everyday modifiers that say nothing of which sign ("can't", "had", "years", "sudden")."""
        return {
            flag.id: frozenset(re.findall(r"\{\w+\}", " ".join(flag.phrases))) - _MODIFIER_GROUPS
            for flag in self._by_id.values()
        }

    def _index_concepts(self, groups: Mapping[str, Sequence[str]]) -> dict[int, list[tuple[str, tuple[int, ...]]]]:
        """Every entry of every word group, by the id of its first word, for ``concepts``."""
        index: dict[int, list[tuple[str, tuple[int, ...]]]] = {}
        for name, entries in groups.items():
            for entry in entries:
                words = [w for w in tokens(entry) if w[0].isalnum() and w not in _SMALL_WORDS]
                if words:
                    ids = tuple(self._word_id(w) for w in words)
                    index.setdefault(ids[0], []).append((name, ids))
        return index

    def concepts(self, text: str) -> list[str]:
        """The word groups ``text`` speaks of, wherever they stand: "{numb}", a pair met in one
        sentence ("{numb}&{saddle}"), and "~{numb}" when negated. Features for the classifier,
        which sees concepts the phrases' window, order or wording would miss."""
        message = self._read(text)
        found: list[tuple[str, int]] = []  # (group, content-word index)
        used: set[int] = set()  # raw indexes of every group entry found ("no" of "no feeling")
        for k, here in enumerate(message.matches):
            for word_id in here:
                for name, alt in self._concepts.get(word_id, ()):
                    places = [o[2] for o in self._occurrences(alt, message) if o[0] == k] if len(alt) > 1 else [{k}]
                    if places:
                        found.append((name, k))
                        used.update(message.positions[i] for i in places[0])
        by_sentence: dict[int, set[str]] = {}
        negated: set[str] = set()
        for name, k in found:
            if _negated(message.raw, message.positions[k], used):
                negated.add(f"~{{{name}}}")
            else:
                by_sentence.setdefault(message.sentence[k], set()).add(f"{{{name}}}")
        features = sorted(negated)
        for names in by_sentence.values():
            ordered = sorted(names)
            features += ordered + [f"{a}&{b}" for a, b in itertools.combinations(ordered, 2)]
        return list(dict.fromkeys(features))

    def _word_id(self, word: str) -> int:
        word_stem = _norm(word)
        word_id = self._vocabulary.setdefault(word_stem, len(self._vocabulary))
        # A short stem is often a cut-off word ("accid"), one letter from others ("acid").
        if len(word_stem) > _FUZZY_MIN_LEN or word_stem == word:
            self._fuzzy_keys.setdefault(word_stem, word_id)
        if len(word) >= _FUZZY_MIN_LEN and word not in _SAME:
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
        if len(word) >= _FUZZY_MIN_LEN - 1 and word.isalpha() and not _is_negation(word) and word not in _NOT_TYPOS:
            for written in {word_stem, word}:
                for choice, _, _ in process.extract(
                    written, self._by_initial.get(written[0], []), scorer=fuzz.ratio,
                    score_cutoff=_FUZZY_MIN_SCORE, limit=None,
                ):
                    if _typo(written, choice):
                        found.add(self._fuzzy_keys[choice])
        return frozenset(found)

    def detect(self, text: str) -> RedFlag | None:
        """The most urgent flag reported in ``text`` (not negated, not hypothetical), or None."""
        found = self._find(text)
        flag = next((f.flag for f in found if not f.hypothetical), None)
        if flag is None and not found and self._classifier is not None:
            verdict = self._classifier.classify(text)
            flag = None if verdict is None else self._by_id.get(verdict.flag_id)
        return flag

    def mention(self, text: str) -> RedFlag | None:
        """A flag only asked about ("what if I can't pee?"): worth the list of warning signs."""
        found = self._find(text)
        if any(not f.hypothetical for f in found):
            return None
        return next((f.flag for f in found), None)

    def _read(self, text: str) -> _Message:
        raw: list[str] = []
        for token in sentence_tokens(text):
            raw.extend(self._compounds.get(token, (token,)))
        raw = self._drop_idioms(raw)
        positions, sentence, number = [], [], 0
        for i, word in enumerate(raw):
            if word in _SENTENCE_ENDS:
                number += 1
            elif word[0].isalnum() and word not in _SMALL_WORDS:
                positions.append(i)
                sentence.append(number)
        matches = [self._matches(raw[i]) for i in positions]
        rank = list(itertools.accumulate(int(not (raw[i] in _UNCOUNTED or is_number(raw[i]))) for i in positions))
        return _Message(raw, positions, matches, sentence, rank, frozenset().union(*matches), {}, patient(raw),
                        self._past_sentences(raw))

    def _past_sentences(self, raw: list[str]) -> frozenset[int]:
        """The sentences (numbered as in ``_read``) that speak of a time long past or of a sign that
        is over: a ``long_past`` phrase ("years ago", "fully healed"), or a year long gone ("in 2009")."""
        past, number = set(), 0
        stems: list[str] | None = None
        for i, word in enumerate(raw):
            if word in _SENTENCE_ENDS:
                number += 1
            elif len(word) == 4 and word.isdigit() and 1900 < int(word) <= self._old_year:
                past.add(number)
            elif self._long_past:
                stems = stems or [_norm(w) for w in raw]
                if any(tuple(stems[i:i + len(entry)]) == entry for entry in self._long_past.get(stems[i], ())):
                    past.add(number)
        return frozenset(past)

    def _drop_idioms(self, raw: list[str]) -> list[str]:
        if not self._not_a_sign:
            return raw
        stems = [_norm(w) for w in raw]
        out = list(raw)
        for i, first in enumerate(stems):
            for idiom in self._not_a_sign.get(first, ()):
                if tuple(stems[i:i + len(idiom)]) == idiom:
                    out[i:i + len(idiom)] = ["_"] * len(idiom)
        return [w for w in out if w != "_"] if "_" in out else out

    def _find(self, text: str) -> list[_Found]:
        message = self._read(text)
        found: list[_Found] = []
        seen: set[str] = set()
        candidates = sorted({n for word_id in message.present for n in self._by_head.get(word_id, ())})
        for phrase in (self._phrases[n] for n in candidates):  # in order: emergency flags first
            if phrase.flag.id in seen:
                continue
            if not all(not heads.isdisjoint(message.present) for heads in phrase.heads[1:]):
                continue
            hit = self._found(phrase, message)
            if hit is not None:
                found.append(_Found(phrase.flag, hit))
                if not hit:
                    seen.add(phrase.flag.id)
        return found

    def _occurrences(self, alt: tuple[int, ...], message: _Message) -> list[tuple[int, int, frozenset[int]]]:
        """Where an alternative stands: (first, last) content-word indexes and the indexes used.
        Its words come in order, each at most one content word after the previous one."""
        if alt in message.occurrences:
            return message.occurrences[alt]
        out = []
        matches = message.matches
        for start, here in enumerate(matches):
            if alt[0] not in here:
                continue
            used, at = [start], start
            for word_id in alt[1:]:
                nxt = next((k for k in range(at + 1, min(at + 3, len(matches))) if word_id in matches[k]), None)
                if nxt is None or message.sentence[nxt] != message.sentence[start]:
                    break
                used.append(nxt)
                at = nxt
            else:
                out.append((start, at, frozenset(used)))
        message.occurrences[alt] = out
        return out

    def _found(self, phrase: _Phrase, message: _Message) -> bool | None:
        """None if the phrase is not there; else whether its best occurrence is hypothetical."""
        per_slot = []
        for slot in phrase.slots:
            present = message.present
            places = [o for alt in slot if alt[0] in present for o in self._occurrences(alt, message)]
            if not places:
                return None
            per_slot.append(places)
        width = phrase.size + _EXTRA_WORDS_IN_WINDOW
        raw, positions = message.raw, message.positions
        result = None
        for combination in itertools.islice(itertools.product(*per_slot), _MAX_COMBINATIONS):
            first = min(o[0] for o in combination)
            last = max(o[1] for o in combination)
            if message.rank[last] - message.rank[first] >= width:
                continue
            used = [o[2] for o in combination]
            matched_indexes = frozenset().union(*used)
            if len(matched_indexes) != sum(len(u) for u in used):
                continue  # one word cannot fill two places
            matched = {positions[k] for k in matched_indexes}
            if any(_negated(raw, positions[o[0]], matched) for o in combination):
                continue
            if any(_someone_else(raw, positions[o[0]], message.patient) for o in combination):
                continue  # "pain 5, the kid's got a temperature": the sign's own clause names another
            if phrase.flag.id not in self._history_signs and any(
                message.sentence[k] in message.past for k in matched_indexes
            ):
                continue  # "I fell off a ladder in 2009, fully healed"
            if not _hypothetical(raw, positions[first]):
                return False
            result = True
        return result


def _negated(raw: list[str], at: int, matched: set[int]) -> bool:
    """Is there a negation just before the word at ``at``, in its clause, that is not itself part
    of the match ("no numbness", "never had a fever"; not "can't pee", whose "can't" is matched)?
    Or is the word an item of a clinical list of denied signs?"""
    seen = 0
    for i in range(at - 1, -1, -1):
        word = raw[i]
        if word in CLAUSE_BREAKS or word in _CONTRAST:
            return _denied_list_item(raw, at)
        # "I can't sleep and my legs are weak": a new subject after "and" starts a new clause.
        if word in _JOINS and i + 1 < len(raw) and raw[i + 1] in _SUBJECTS:
            return False
        if _is_negation(word) and i not in matched:
            return True
        if word not in _SMALL_WORDS and i not in matched:
            seen += 1
        if seen == _NEGATION_REACH:
            return _denied_list_item(raw, at)
    return False


def _denied_list_item(raw: list[str], at: int) -> bool:
    """Is the word at ``at`` an item of a list that starts with a clinical negation ("denies A, B
    or C")? Every item must be short and name nobody ("I", "my"): a list of signs, not clauses."""
    words = 0
    for i in range(at - 1, -1, -1):
        word = raw[i]
        if word in _LIST_NEGATIONS:
            return True
        if word in _LIST_SEPARATORS:
            words = 0
            continue
        if word in CLAUSE_BREAKS or word in _CONTRAST or word in _SUBJECTS or word in SELF:
            return False
        if word not in _SMALL_WORDS:
            words += 1
            if words > _LIST_ITEM_WORDS:
                return False
    return False


def _someone_else(raw: list[str], at: int, about: frozenset[str] = frozenset()) -> bool:
    """Is the clause before the match about another person ("my friend had a car accident")?
    Not when that person is the one the message is written for (``about``: "typing for my dad,
    he ..."). A relative clause between commas or in brackets is passed over: "my father, who is
    91, fell"."""
    i = at - 1
    while i >= 0:
        if raw[i] in CLAUSE_BREAKS:
            opening = _relative_opening(raw, i)
            if opening is None:
                return False
            i = opening - 1  # on before the comma or bracket that opened it
            continue
        if raw[i] in about:
            return False
        if is_other(raw[i]) or (raw[i] in _FRIENDS and i > 0 and raw[i - 1] in ("my", "our", "me")):
            return True
        if raw[i] in SELF:  # "my partner noticed I'm limping"
            return False
        i -= 1
    return False


def _relative_opening(raw: list[str], end: int) -> int | None:
    """Where the relative clause closed by the comma or bracket at ``end`` opens (", who is 91,"
    or "(who isn't on the program)"); None when that clause is no relative clause."""
    start = next((i for i in range(end - 1, -1, -1) if raw[i] in CLAUSE_BREAKS), 0)
    opener = next((w for w in raw[start + 1:end] if w[0].isalnum()), "")
    is_relative = (raw[start], raw[end]) in ((",", ","), ("(", ")")) and opener in _RELATIVES
    return start if is_relative else None


def _hypothetical(raw: list[str], at: int) -> bool:
    """Is the word at ``at`` inside a question about a sign rather than a report of one?"""
    start = at
    while start > 0 and raw[start - 1] not in ".!?":
        start -= 1
    end = at
    while end < len(raw) and raw[end] not in ".!?":
        end += 1
    sentence = raw[start:end]
    question = (end < len(raw) and raw[end] == "?") or asks(sentence)
    clause_start = at
    while clause_start > start and raw[clause_start - 1] not in CLAUSE_BREAKS:
        clause_start -= 1
    clause = raw[clause_start:at]
    opener = next((w for w in sentence if w[0].isalnum()), "")
    clause_opener = next((w for w in clause if w[0].isalnum()), "")
    if sentence[:2] == ["what", "if"] or clause[:2] == ["what", "if"] or clause[:2] == ["in", "case"]:
        return True
    if opener in _SUPPOSING:  # "hypothetically, if I got night sweats ..."
        return True
    conditional = any(w in _CONDITIONALS for w in clause)
    if conditional and (question or opener in QUESTION_OPENERS):
        return True
    # "Could vitamin D deficiency cause incontinence?": the clause itself is the question.
    # After a colon a question starts afresh: "Mum asks: would pain after a fall need an x-ray?"
    fresh = clause_start == start or raw[clause_start - 1] == ":"
    return question and clause_opener in QUESTION_OPENERS and (fresh or opener in QUESTION_OPENERS)
