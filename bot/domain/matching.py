"""Match a subscriber's free-text message to an FAQ entry, a small-talk reply, or "not sure".

How a message is read (content and messages go through the same steps, so the stemmer only has to
be consistent, not linguistically right):

1. Normalization: Unicode folded to ASCII (é -> e), lowercased, split on anything not a letter or
   digit, numbers ("22", "3s", "two") collapsed to one token, stop words and chat filler dropped,
   a small suffix stemmer (pains -> pain, muscles/muscle -> muscl, tested -> test).
2. Typos: a word of five letters or more that the FAQ does not know becomes its closest vocabulary
   word (rapidfuzz ``fuzz.ratio`` >= 85), cached per word; shorter words must match exactly.
3. Synonyms: a content keyword ``term = alias, alias`` makes every alias read as ``term`` in
   messages and in the FAQ alike (D3 -> vitamin d, lumbar -> back), longest alias first and
   repeatedly, so "low vit d" -> "low vitamin d" -> "vitamin d deficiency".
4. Ranking: BM25 over the entries' question + keywords (keywords count as a set, the question once
   more). Terms most entries share (vitamin, d, back, pain) only break ties, so "is my back
   inflamed because of low vitamin d" goes to inflammation.
5. Confidence (0-1): the share of the message's weight (idf; a word the FAQ does not know weighs
   ``UNKNOWN_WORD_WEIGHT``) that the best entry explains. "bitcoin price" explains nothing.
6. Decision: a message that *is* a small-talk phrase ("thanks!", "helo") gets small talk; else the
   best entry answers if its confidence reaches ``ANSWER_THRESHOLD``, or ``ANCHORED_THRESHOLD``
   when the message names the FAQ's subject (a shared term) and a term specific to that entry;
   else a message of small-talk words only, or opening with small talk and naming nothing the
   FAQ knows ("cheers mate"), gets small talk; else "unsure" with the three closest entries.

The thresholds and weights were chosen on tests/matching/eval_messages.yaml (run
``pytest tests/matching/test_faq_eval.py -s`` for the report): off-topic messages score at most
~0.3 there and FAQ-directed ones mostly 0.55 or more. Two batches of that set were held out
while tuning and scored 76-83% top-1; expect about that on messages nobody has seen, and add the
synonym an author would list when the unanswered-questions report shows a miss.

Why rapidfuzz and weighted keywords rather than embeddings or a trained classifier: no model can
be downloaded where the bot runs; the FAQ is small and written by operators, who can fix a miss by
adding a keyword; every decision is explainable; and matching takes well under the 5 ms budget
(bench/bench_matching.py). rapidfuzz is a maintained C++ library that does the one thing a keyword
index cannot: tolerate "magnesum" and "siatica".
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz, process

from bot.content.models import FaqEntry, SmallTalk

ANSWER_THRESHOLD = 0.5
ANCHORED_THRESHOLD = 0.3  # when the message names the FAQ's subject and a specific term
CORE_TERM_IDF = 1.2  # terms most entries share (vitamin, d, back, pain): the FAQ's subject
CORE_TERM_RANK_SHARE = 0.1  # how much a shared term counts when ranking
SPECIFIC_TERM_IDF = 2.0  # a term few entries use (sciatica, magnesium)
SMALLTALK_THRESHOLD = 0.85  # whole-message similarity to a small-talk phrase
UNKNOWN_WORD_WEIGHT = 3.0  # a bit above the weight of a word only one entry uses
COMMON_WORD_FLOOR = 0.25  # so "vitamin d back pain" still counts as being about something
TYPO_CUTOFF = 85
TYPO_MIN_LENGTH = 5  # shorter words are too often a different real word
BM25_K1 = 1.2
BM25_B = 0.75
SYNONYM_MARK = "="
NUMBER = "#"

_WORD = re.compile(r"[a-z0-9]+")
_NUMERIC = re.compile(r"\d+s?")  # "omega 3s", "the 90s"

STOP_WORDS = frozenset(
    """
    a an the and or but if then so of to in on at for from by with about as into than too very
    i me my mine myself we us our you your yours u ur he him his she her it its they them their
    this that these those there here is am are was were be been being do does did doing done
    have has had having can could would should will shall may might must what whats which who
    whom whose when where why how hows not no yes im ive id ill dont doesnt didnt cant couldnt
    isnt arent wasnt wont wouldnt shouldnt thats theres heres just also really actually
    basically pretty quite some any anything something everything nothing please pls plz ok okay
    oh get got gets getting tell like want wanna need needs thing things kind sort lot lots
    bit many most other another still even ever again already now one way go going
    say said guess think wondering wonder question ask asking someone anyone person because
    cuz due since while take taking help helps helped helpful good bad best worse worst better
    true lead leads problem problems issue issues find out happen happens thought come see seem
    seems look looks use used using try tried keep put give gives mean means involved matter
    make makes made roughly exactly till until nobody anybody mention mentioned up down off
    over almost probably maybe perhaps definitely sometimes often usually recently today
    tonight tomorrow yesterday anyway though show shows right wrong first last next
    feel feels feeling felt
    all every each own same such via per both well lately always
    """.split()
)

NUMBER_WORDS = frozenset(
    "two three four five six seven eight nine ten twelve twenty thirty forty fifty sixty".split()
)

Kind = Literal["answer", "smalltalk", "unsure"]


@dataclass(frozen=True)
class Match:
    kind: Kind
    entry: FaqEntry | None = None
    smalltalk: SmallTalk | None = None
    score: float = 0.0
    suggestions: tuple[FaqEntry, ...] = field(default=())


def fold(text: str) -> str:
    """Lowercase ASCII: accents dropped, apostrophes removed so "what's" is one word."""
    text = text.replace("'", "").replace("\u2019", "")
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii").lower()


def words(text: str) -> list[str]:
    """The folded words of ``text``, stop words included (small talk needs them)."""
    return _WORD.findall(fold(text))


_SUFFIXES = (("ies", "y", 2), ("sses", "ss", 2), ("ing", "", 3), ("ed", "", 3), ("ly", "", 4))


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A deliberately small stemmer: plurals, -ing, -ed, -ly and a final silent e."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, replacement, min_stem in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= min_stem:
            word = word[: len(word) - len(suffix)] + replacement
            if suffix in ("ing", "ed"):
                word = _undouble(word)
            break
    else:
        if word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def _undouble(word: str) -> str:
    # "stopping" -> "stopp" -> "stop"; "swelling" keeps its ll so it matches "swell".
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        return word[:-1]
    return word


def terms(text: str, skip: frozenset[str] = frozenset()) -> list[str]:
    """The content-bearing terms of ``text``: numbers collapsed, stop words out, stemmed.

    ``skip``: further words to drop, as written (before stemming).
    """
    result = []
    for word in words(text):
        if word in skip:
            continue
        if _NUMERIC.fullmatch(word) or word in NUMBER_WORDS:
            result.append(NUMBER)
            continue
        if word in STOP_WORDS:
            continue
        stemmed = stem(word)
        if stemmed not in STOP_WORDS:
            result.append(stemmed)
    return result


def parse_keyword(keyword: str) -> tuple[str, list[str]]:
    """``"term = alias, alias"`` -> ("term", ["alias", "alias"]); a plain keyword has no aliases.

    Raises ValueError for a synonym group without a term or without aliases ("= d3", "d3 =").
    """
    if SYNONYM_MARK not in keyword:
        return keyword, []
    head, _, rest = keyword.partition(SYNONYM_MARK)
    aliases = [alias.strip() for alias in rest.split(",") if alias.strip()]
    if not terms(head):
        raise ValueError(f"synonym group {keyword!r} has no term before {SYNONYM_MARK!r}")
    if not aliases or SYNONYM_MARK in rest:
        raise ValueError(
            f"synonym group {keyword!r} needs comma-separated aliases after one {SYNONYM_MARK!r}"
        )
    return head.strip(), aliases


def synonym_table(faq: Iterable[FaqEntry]) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Alias terms -> the terms they stand for, over the whole FAQ.

    Raises ValueError for a malformed group or an alias given two different meanings.
    """
    table: dict[tuple[str, ...], tuple[str, ...]] = {}
    for entry in faq:
        for keyword in entry.keywords:
            head, aliases = parse_keyword(keyword)
            head_terms = tuple(terms(head))
            for alias in aliases:
                alias_terms = tuple(terms(alias))
                # An alias that shrinks to part of its term (stop words gone) would rewrite
                # the term itself: "bad back" -> "back" -> "back pain".
                if not alias_terms or set(alias_terms) <= set(head_terms):
                    continue
                if table.get(alias_terms, head_terms) != head_terms:
                    raise ValueError(
                        f"FAQ {entry.id!r}: alias {alias!r} already stands for"
                        f" {' '.join(table[alias_terms])!r}"
                    )
                table[alias_terms] = head_terms
    return table


class FaqMatcher:
    """Built once at start-up from the content; ``match`` is pure and fast.

    Raises ValueError when the FAQ's synonym groups are malformed (see ``synonym_table``).
    """

    def __init__(self, faq: Sequence[FaqEntry], smalltalk: Sequence[SmallTalk] = ()) -> None:
        self._faq = tuple(faq)
        self._smalltalk = tuple(smalltalk)
        self._synonyms = synonym_table(self._faq)
        self._longest_alias = max((len(alias) for alias in self._synonyms), default=0)
        entry_terms = [self._entry_terms(entry) for entry in self._faq]
        document_frequency = Counter(term for counts in entry_terms for term in counts)
        total = len(self._faq)
        self._idf = {
            term: math.log(1 + (total - df + 0.5) / (df + 0.5))
            for term, df in document_frequency.items()
        }
        # BM25's saturation and length normalisation: an entry with a long keyword list should
        # not win ties just by listing more words.
        average_length = sum(len(counts) for counts in entry_terms) / max(total, 1)
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, counts in enumerate(entry_terms):
            norm = BM25_K1 * (1 - BM25_B + BM25_B * len(counts) / average_length)
            for term, count in counts.items():
                self._postings[term].append((index, count * (BM25_K1 + 1) / (count + norm)))
        alias_words = {word for alias in self._synonyms for word in alias}
        self._vocabulary = tuple(sorted(set(self._idf) | alias_words))
        self._known = frozenset(self._vocabulary)
        self._smalltalk_phrases = [
            (" ".join(words(phrase)), item) for item in self._smalltalk for phrase in item.phrases
        ]
        self._smalltalk_words = frozenset(
            word for phrase, _ in self._smalltalk_phrases for word in phrase.split()
        )
        # "hi, is magnesium needed?": the greeting neither helps nor hurts the question.
        self._smalltalk_only_words = frozenset(
            word for word in self._smalltalk_words if not set(terms(word)) & self._known
        )
        self._correct = lru_cache(maxsize=4096)(self._correct_uncached)

    def _entry_terms(self, entry: FaqEntry) -> Counter[str]:
        """1 for a term in the keywords, 1 more if the question itself uses it.

        Keywords count as a set: listing "risk", "at risk" and "risk factors" must not make
        "risk" outweigh the words of another entry's question.
        """
        counts = Counter(set(self._rewrite(terms(entry.question))))
        keyword_terms: set[str] = set()
        for keyword in entry.keywords:
            keyword_terms.update(self._rewrite(terms(parse_keyword(keyword)[0])))
        counts.update(keyword_terms)
        return counts

    def _rewrite(self, sequence: list[str]) -> list[str]:
        """Aliases replaced by their term, repeatedly, so "low vit d" -> "low vitamin d" -> ..."""
        for _ in range(3):
            rewritten = [term for term, _ in self._rewrite_once([(t, 1.0) for t in sequence])]
            if rewritten == sequence:
                break
            sequence = rewritten
        return sequence

    # -- reading a message -------------------------------------------------------------------

    def _correct_uncached(self, term: str) -> tuple[str, float]:
        """The vocabulary word ``term`` most likely means, with how sure (1.0 = exact)."""
        if term in self._known:
            return term, 1.0
        if len(term) < TYPO_MIN_LENGTH or term == NUMBER:
            return term, 0.0
        found = process.extractOne(
            term, self._vocabulary, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF
        )
        if found is None:
            return term, 0.0
        return found[0], found[1] / 100

    def _rewrite_once(self, corrected: list[tuple[str, float]]) -> list[tuple[str, float]]:
        result: list[tuple[str, float]] = []
        position = 0
        while position < len(corrected):
            for length in range(min(self._longest_alias, len(corrected) - position), 0, -1):
                window = corrected[position : position + length]
                head = self._synonyms.get(tuple(term for term, _ in window))
                if head is not None and all(certainty > 0 for _, certainty in window):
                    certainty = min(c for _, c in window)
                    result += [(term, certainty) for term in head]
                    position += length
                    break
            else:
                result.append(corrected[position])
                position += 1
        return result

    def _query(self, text: str) -> dict[str, float]:
        """Message terms after typo correction and synonyms, each with its match certainty."""
        corrected = [self._correct(term) for term in terms(text, skip=self._smalltalk_only_words)]
        for _ in range(3):
            rewritten = self._rewrite_once(corrected)
            if rewritten == corrected:
                break
            corrected = rewritten
        result: dict[str, float] = {}
        for term, certainty in corrected:
            result[term] = max(result.get(term, 0.0), certainty)
        return result

    def _rank_weight(self, term: str) -> float:
        # Words most entries share only break ties: "is my back inflamed because of low vitamin d"
        # is about inflammation, however many entries also say "back" and "vitamin d".
        idf = self._idf.get(term, 0.0)
        return idf if idf >= CORE_TERM_IDF else idf * CORE_TERM_RANK_SHARE

    def _weight(self, term: str, certainty: float) -> float:
        if certainty == 0.0 or term not in self._idf:
            return UNKNOWN_WORD_WEIGHT
        return max(self._idf[term], COMMON_WORD_FLOOR)

    def _rank(self, text: str) -> list[tuple[float, float, int]]:
        """(rank score, confidence, entry index) for every entry, best first."""
        return self._rank_query(self._query(text))

    def _rank_query(self, query: dict[str, float]) -> list[tuple[float, float, int]]:
        message_weight = sum(self._weight(t, c) for t, c in query.items())
        scores = [0.0] * len(self._faq)
        explained = [0.0] * len(self._faq)
        for term, certainty in query.items():
            if certainty == 0.0:
                continue
            weight = self._weight(term, certainty) * certainty
            rank_weight = self._rank_weight(term) * certainty
            for index, saturation in self._postings.get(term, ()):
                scores[index] += rank_weight * saturation
                explained[index] += weight
        ranked = [
            (scores[i], explained[i] / message_weight if message_weight else 0.0, i)
            for i in range(len(self._faq))
        ]
        # Ties keep the FAQ's own order, so an empty match suggests its first questions.
        ranked.sort(key=lambda item: (-item[0], item[2]))
        return ranked

    def closest(self, text: str, n: int = 3) -> tuple[FaqEntry, ...]:
        return tuple(self._faq[index] for _, _, index in self._rank(text)[:n])

    def _smalltalk_match(self, text: str) -> tuple[SmallTalk | None, float, bool]:
        """Best small-talk item, its whole-message similarity, whether all words are small talk."""
        message_words = words(text)
        if not message_words or not self._smalltalk_phrases:
            return None, 0.0, False
        message = " ".join(message_words)
        best_item, best_score = None, 0.0
        for phrase, item in self._smalltalk_phrases:
            score = fuzz.ratio(message, phrase) / 100
            if score > best_score:
                best_item, best_score = item, score
        only_smalltalk = all(
            word in self._smalltalk_words or word in STOP_WORDS for word in message_words
        ) and any(word in self._smalltalk_words for word in message_words)
        if only_smalltalk and best_score < SMALLTALK_THRESHOLD:
            best_item = max(
                self._smalltalk_phrases,
                key=lambda pair: fuzz.token_set_ratio(message, pair[0]),
            )[1]
        return best_item, best_score, only_smalltalk

    def _threshold(self, query: dict[str, float], best: int) -> float:
        """Lower when the message is plainly about the FAQ's subject and the entry's own topic.

        "my sciatica flares up all the time, could vitamin d help" explains little of itself, but
        it names vitamin D and a term only a few entries share; "is vitamin c good for a cold"
        names the subject without any specific term and keeps the full threshold.
        """
        matched = [t for t, c in query.items() if c > 0 and t in self._idf]
        names_subject = any(self._idf[t] < CORE_TERM_IDF for t in matched)
        names_topic = any(
            self._idf[t] >= SPECIFIC_TERM_IDF and self._entry_has(best, t) for t in matched
        )
        return ANCHORED_THRESHOLD if names_subject and names_topic else ANSWER_THRESHOLD

    def _entry_has(self, index: int, term: str) -> bool:
        return any(i == index for i, _ in self._postings.get(term, ()))

    def _smalltalk_opener(self, text: str) -> SmallTalk | None:
        """The small talk the message starts with, if any ("thanks doc" -> thanks)."""
        message = " ".join(words(text)) + " "
        openers = [
            (len(phrase), item)
            for phrase, item in self._smalltalk_phrases
            if len(phrase) > 1 and message.startswith(phrase + " ")
        ]
        return max(openers, key=lambda pair: pair[0])[1] if openers else None

    def match(self, text: str) -> Match:
        smalltalk, smalltalk_score, only_smalltalk = self._smalltalk_match(text)
        if smalltalk is not None and smalltalk_score >= SMALLTALK_THRESHOLD:
            return Match("smalltalk", smalltalk=smalltalk, score=smalltalk_score)
        query = self._query(text)
        ranked = self._rank_query(query)
        if not ranked:
            return Match("unsure")
        suggestions = tuple(self._faq[index] for _, _, index in ranked[:3])
        best_score, confidence, best = ranked[0]
        if best_score > 0 and confidence >= self._threshold(query, best):
            return Match("answer", entry=self._faq[best], score=confidence, suggestions=suggestions)
        if smalltalk is not None and only_smalltalk:
            return Match("smalltalk", smalltalk=smalltalk, score=smalltalk_score)
        if confidence == 0.0:
            # Nothing the FAQ knows: "cheers mate", "hello bot" still deserve small talk.
            opener = self._smalltalk_opener(text)
            if opener is not None:
                return Match("smalltalk", smalltalk=opener, score=smalltalk_score)
        return Match("unsure", score=confidence, suggestions=suggestions)
