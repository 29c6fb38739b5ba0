"""Match a subscriber's free-text message to an FAQ entry, a referral, small talk, or "not sure".

How a message is read (the FAQ's questions, examples and answers go through the same steps):

1. The shared text pipeline (bot/domain/text.py): folded to lowercase ASCII, split into words;
   stop words and chat filler dropped; numbers become one token ``#``.
2. Typos: a word of five letters or more that the FAQ never uses becomes its closest FAQ word
   with the same first letter (rapidfuzz ``fuzz.ratio`` >= 85), cached per word; shorter words
   must match exactly. ("oranges" is not a typo of "ranges".)
3. Stems (Snowball English, from the pipeline), then synonyms: a content keyword
   ``term = alias, alias`` makes every alias read as ``term`` ("vit d" -> "vitamin d").
4. Meaning: a sentence vector of the message (WordLlama, bot/domain/embedding.py), its tokens
   weighted by 1 + idf over the FAQ's entries so the words every question shares ("vitamin",
   "back", "pain") do not drown the ones that tell entries apart. Per entry: the probability from a
   softmax classifier trained at start-up on the example vectors and word features (each stem and
   each pair of neighbouring stems, ``word_features``), the cosine of the closest example, the mean
   of the three closest, and the cosine of the entry's centroid.
5. Words: BM25 (the ``bm25s`` library) over one document per example question, plus one for the
   answer and one for the keywords; an entry scores its best examples plus a share of its answer's
   and keywords' scores. An entry's score adds the meaning scores (``*_SHARE``) and
   ``LEXICAL_SHARE`` of its BM25 score relative to the best entry's.
   Coverage (0-1): the share of the message's weight (idf; a word the FAQ never uses weighs
   ``UNKNOWN_WORD_WEIGHT``) that the best entry's words explain. "bitcoin price" explains nothing.
6. Decision, in order: a referral when the message asks what the article cannot answer
   (bot/domain/referrals.py: a dose for someone, pregnancy, children, other supplements and
   medicines, other conditions, diagnoses, "are you a doctor");
   small talk when the whole message is a small-talk phrase; "unsure" for a sum ("7 times 8");
   an answer when the entry knows enough of the message's words (``ANSWER_THRESHOLD``), a logistic
   model of how far the best entry leads the next two (``CONFIDENCE_*``) says it is right with
   probability ``CONFIDENCE_THRESHOLD``, and a second one (``SCOPE_*``: known and unknown words,
   closeness, the classifier's probability) says the message is about the FAQ at all; small talk
   for a message of small-talk words; otherwise "unsure", with the three closest entries.

The thresholds were calibrated on development data only (tests/matching/dev.yaml and a 5-fold
cross-validation over the FAQ's examples, with ``python tests/matching/calibrate.py``); the
held-out batches in tests/matching/heldout/ measure them (``pytest tests/matching/test_faq_eval.py
-s`` prints the figures; tests/matching/SCORES.md keeps each batch's first score). Keywords alone
reached 73% top-1 on held-out messages; the sentence vectors (a 33 MB model inside the
``wordllama`` wheel, nothing downloaded) and the classifier lift it, and the whole match stays far
under the 5 ms budget (bench/bench_matching.py). Operators fix a miss by adding the question to the
entry's examples (`vitd-bot questions` lists what people asked).
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal, NamedTuple, Protocol

import bm25s
import numpy as np
from rapidfuzz import fuzz, process

from bot.domain.embedding import Embedder, shared_embedder
from bot.domain.entries import FaqEntry, SmallTalk
from bot.domain.referrals import referral_topic
from bot.domain.text import fold, stem, words

ANSWER_THRESHOLD = 0.5  # share of the message's words the best entry knows
# An entry's score: its classifier probability, closest example, three closest, centroid, BM25.
# Chosen on the 5-fold cross-validation over the FAQ's examples (round 4): the classifier and BM25
# generalise to new wordings better than the closest single example does.
CLASSIFIER_SHARE = 1.5
CLOSEST_SHARE = 0.25
TOP3_SHARE = 0.25
CENTROID_SHARE = 0.4
LEXICAL_SHARE = 0.8  # BM25 relative to the best entry's
ANSWER_SHARE = 0.35  # how much an entry's answer counts next to its best example (BM25)
NEXT_EXAMPLES_SHARE = (0.5, 0.25)  # how much its 2nd and 3rd best examples add: agreement counts
# The classifier: softmax regression from example vectors to entries, trained at start-up.
CLASSIFIER_STEPS = 300
CLASSIFIER_RATE = 20.0
CLASSIFIER_L2 = 1e-4
# Word features in the classifier (stems and pairs of neighbouring stems, unit length per message):
# how much they count next to the sentence vector, their L2 penalty, and how many examples must
# share a feature before it is one.
WORD_SHARE = 1.0
WORD_L2 = 1e-4
WORD_FEATURE_MIN_COUNT = 2
TRAINING_VERSION = 1  # raise when `_train` changes: weights kept by `use_trained_store` are then retrained
# Confidence that the best entry is right: a logistic model of how far it leads, fitted on the
# development set and a cross-validation over the FAQ's own examples (tests/matching/calibrate.py
# prints these). Features: best score, lead over the 2nd, lead over the 3rd, closest-example
# cosine, share of the message's words the entry knows, number of known words.
CONFIDENCE_FEATURES = (0, 1, 2, 3, 4, 5)
CONFIDENCE_MEAN = (2.5983, 1.6009, 1.7932, 0.8006, 0.8953, 4.9703)
CONFIDENCE_SCALE = (0.4192, 0.6014, 0.5354, 0.1589, 0.2022, 1.9344)
CONFIDENCE_WEIGHTS = (0.05, 0.95, 0.406, 0.024, 0.289, 0.193)
CONFIDENCE_BIAS = 4.271
CONFIDENCE_THRESHOLD = 0.84  # calibration: see SCOPE_THRESHOLD
# Whether the message is about the FAQ at all: a logistic model of the features at SCOPE_FEATURES
# (coverage, known words, unknown words, closest cosine, best score, classifier probability),
# fitted on the development set's in-scope and off-topic messages and the cross-validation.
SCOPE_FEATURES = (4, 5, 6, 3, 0, 7)
SCOPE_MEAN = (0.828, 4.6001, 0.2631, 0.7492, 2.4458, 0.7408)
SCOPE_SCALE = (0.2851, 2.1531, 0.6487, 0.2167, 0.6161, 0.2681)
SCOPE_WEIGHTS = (0.512, 1.24, -0.298, 0.62, 0.589, 0.547)
SCOPE_BIAS = 4.504
SCOPE_THRESHOLD = 0.9  # calibration: with the two below, <= 1.5% wrong and <= 2% off-topic
KEYWORD_SHARE = 0.5
SMALLTALK_THRESHOLD = 0.85  # whole-message similarity to a small-talk phrase
UNKNOWN_WORD_WEIGHT = 3.0  # a bit above the weight of a word only one entry uses
COMMON_WORD_FLOOR = 0.25  # so "vitamin d back pain" still counts as being about something
TYPO_CUTOFF = 85
TYPO_MIN_LENGTH = 5  # shorter words are too often a different real word
BM25_K1 = 1.2
BM25_B = 0.75
SYNONYM_MARK = "="
NUMBER = "#"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
# A sum ("7 times 8", "12 + 30") is no question for the FAQ, though "times" is one of its words.
# Not "-", "/", "x" or "=": "4-8 weeks", "4/10", "2x 1000 iu" and "d3 = 50" are.
_SUM = re.compile(r"\d\s*(?:[*+]|times|plus|minus|divided by|multiplied by)\s*\d")

# bm25s logs every index it builds at DEBUG; one per start-up is noise in the bot's own logs.
logging.getLogger("bm25s").setLevel(logging.WARNING)

STOP_WORDS = frozenset(
    """
    a an the and or but if then so of to in on at for from by with about as into than very
    i me my mine myself we us our you your yours u ur he him his she her it its they them their
    this that these those there here is am are was were be been being do does did doing done
    have has had having can could would should will shall may might must what whats which who
    whom whose where how hows yes im ive id ill thats theres heres just also really
    actually basically pretty quite some any anything something everything please pls plz ok
    okay oh get got gets getting tell want wanna need needs needed thing things kind sort lot lots
    bit many most other another still even ever again already one way go going
    say said guess think wondering wonder question ask asking someone anyone person
    cuz while good true find out happen happens thought come seem
    seems look looks use used using try tried keep put mean means involved matter
    make makes made roughly exactly nobody anybody mention mentioned
    probably maybe perhaps definitely sometimes usually recently anyway though right
    all every each own same such via per both well lately always part stuff
    """.split()
)

NUMBER_WORDS = frozenset(
    "two three four five six seven eight nine ten twelve twenty thirty forty fifty sixty".split()
)

Kind = Literal["answer", "referral", "smalltalk", "unsure"]


class _Ranking(NamedTuple):
    order: list[int]  # entries, best first
    scores: np.ndarray  # per entry
    closest: np.ndarray  # per entry: cosine of its closest example
    probabilities: np.ndarray  # per entry: the classifier's
    query: list[str]  # the message's known terms
    unknown: int  # how many of its words the FAQ never uses
    lexical_best: int  # the entry BM25 alone ranks first


def _logistic(features: Sequence[float], mean: Sequence[float], scale: Sequence[float],
              weights: Sequence[float], bias: float) -> float:
    z = bias + sum(w * (f - m) / s for f, m, s, w in zip(features, mean, scale, weights))
    return 1 / (1 + math.exp(-max(min(z, 50.0), -50.0)))


@dataclass(frozen=True)
class Match:
    kind: Kind
    entry: FaqEntry | None = None
    smalltalk: SmallTalk | None = None
    score: float = 0.0
    suggestions: tuple[FaqEntry, ...] = field(default=())
    referral: str | None = None  # the topic the article cannot answer


def content_words(text: str, skip: frozenset[str] = frozenset()) -> list[str]:
    """The folded words of ``text`` that carry meaning: stop words out, numbers as ``#``."""
    result = []
    for word in words(text):
        if word in skip:
            continue
        if word.isdigit() or (word[:-1].isdigit() and word[-1] == "s") or word in NUMBER_WORDS:
            result.append(NUMBER)
        elif word not in STOP_WORDS:
            result.append(word)
    return result


def terms(text: str, skip: frozenset[str] = frozenset()) -> list[str]:
    """The stemmed content words of ``text``."""
    return [word if word == NUMBER else stem(word) for word in content_words(text, skip)]


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


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def word_features(sequence: Sequence[str]) -> list[str]:
    """The classifier's word features of a message's terms: each stem, and each pair of neighbours."""
    unique = list(dict.fromkeys(sequence))
    return unique + [f"{first} {second}" for first, second in zip(unique, unique[1:])]


class _Sparse:
    """Rows of 0/1 word features scaled to unit length, kept as (row, feature, value) triples.

    numpy has no sparse matrices, and a dense one (examples x features) would make training slow:
    both products sum runs of the triples (``np.add.reduceat``), once ordered by row, once by feature.
    """

    def __init__(self, feature_rows: Sequence[tuple[Sequence[int], int]], size: int) -> None:
        """From each row's known features, how many features it has in all, and the feature count."""
        rows = np.array([r for r, (found, _) in enumerate(feature_rows) for _ in found], dtype=np.intp)
        features = np.array([f for found, _ in feature_rows for f in found], dtype=np.intp)
        values = np.array([1 / math.sqrt(total) for found, total in feature_rows for _ in found], dtype=np.float32)
        self._shape = (len(feature_rows), size)
        self._rows, self._by_row = self._runs(rows, features, values)
        self._features, self._by_feature = self._runs(features, rows, values)

    @staticmethod
    def _runs(keys: np.ndarray, others: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        order = np.argsort(keys, kind="stable")
        keys, others, values = keys[order], others[order], values[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, np.intp)
        return keys[starts], (others, values[:, None], starts)

    @staticmethod
    def _product(runs: tuple[np.ndarray, ...], keys: np.ndarray, size: int, matrix: np.ndarray) -> np.ndarray:
        others, values, starts = runs
        result = np.zeros((size, matrix.shape[1]), dtype=np.float32)
        if len(starts):
            result[keys] = np.add.reduceat(values * matrix[others], starts, axis=0)
        return result

    def times(self, weights: np.ndarray) -> np.ndarray:
        """This matrix times ``weights`` (features x classes)."""
        return self._product(self._by_row, self._rows, self._shape[0], weights)

    def transposed_times(self, error: np.ndarray) -> np.ndarray:
        """This matrix, transposed, times ``error`` (rows x classes)."""
        return self._product(self._by_feature, self._features, self._shape[1], error)


class TrainedStore(Protocol):
    """Where trained weights may be kept between processes (`bot.content.trained`): training the
    classifier is most of a process's start-up. Keyed by a digest of everything training reads."""

    def load(self, key: str) -> dict[str, np.ndarray] | None: ...

    def save(self, key: str, arrays: dict[str, np.ndarray]) -> None: ...


_store: list[TrainedStore] = []  # at most one, set by `use_trained_store`


def use_trained_store(store: TrainedStore | None) -> None:
    """Keep trained weights in `store` from now on (None: train in every process)."""
    _store[:] = [store] if store is not None else []


def _training_key(vectors: np.ndarray, entry_of: np.ndarray, sparse_rows: list, features: int, count: int) -> str:
    """A digest of the training's inputs and settings: the same digest, the same weights."""
    digest = hashlib.sha256()
    settings = (TRAINING_VERSION, CLASSIFIER_STEPS, CLASSIFIER_RATE, CLASSIFIER_L2, WORD_SHARE, WORD_L2, features, count)
    digest.update(repr(settings).encode())
    for array in (vectors, entry_of):
        digest.update(repr((array.dtype.str, array.shape)).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(repr(sparse_rows).encode())
    return digest.hexdigest()


def _train(vectors: np.ndarray, entry_of: np.ndarray, sparse_rows: list, features: int, count: int):
    """The classifier over sentence vectors and word features: plain full-batch gradient descent,
    deterministic."""
    sparse = _Sparse(sparse_rows, features) if sparse_rows else None
    classifier = np.zeros((vectors.shape[1], count), dtype=np.float32)
    bias = np.zeros(count, dtype=np.float32)
    word_weights = np.zeros((features, count), dtype=np.float32)
    if count and len(vectors):
        truth = np.eye(count, dtype=np.float32)[entry_of]
        for _ in range(CLASSIFIER_STEPS):
            logits = vectors @ classifier + bias
            if sparse is not None:
                logits += WORD_SHARE * sparse.times(word_weights)
            error = _softmax(logits) - truth
            classifier -= CLASSIFIER_RATE * (vectors.T @ error / len(vectors) + CLASSIFIER_L2 * classifier)
            if sparse is not None:
                gradient = WORD_SHARE * sparse.transposed_times(error) / len(vectors)
                word_weights -= CLASSIFIER_RATE * (gradient + WORD_L2 * word_weights)
            bias -= CLASSIFIER_RATE * error.mean(axis=0)
    return classifier, bias, word_weights


def _trained(vectors: np.ndarray, entry_of: np.ndarray, sparse_rows: list, features: int, count: int):
    """`_train`'s weights, from the store when it has them for exactly these inputs."""
    store = _store[0] if _store else None
    if store is None:
        return _train(vectors, entry_of, sparse_rows, features, count)
    key = _training_key(vectors, entry_of, sparse_rows, features, count)
    shapes = {"classifier": (vectors.shape[1], count), "bias": (count,), "word_weights": (features, count)}
    kept = store.load(key)
    if kept is not None and all(name in kept and kept[name].shape == shape for name, shape in shapes.items()):
        return tuple(kept[name].astype(np.float32) for name in shapes)
    classifier, bias, word_weights = _train(vectors, entry_of, sparse_rows, features, count)
    store.save(key, {"classifier": classifier, "bias": bias, "word_weights": word_weights})
    return classifier, bias, word_weights


@lru_cache(maxsize=4)
def _semantic_model(
    embedder: Embedder, asked_texts: tuple[str, ...], owner: tuple[int, ...], count: int,
    asked_terms: tuple[tuple[str, ...], ...] = (),
) -> tuple:
    """Token weights, example vectors, entry centroids and the classifier for one FAQ.

    The classifier reads the sentence vector and the word features (``word_features``) together.
    Cached: every bot service and test app built in one process shares the same FAQ, and training
    the classifier takes a few hundred milliseconds.
    """
    entries_using: dict[int, set[int]] = {}
    for entry, ids in zip(owner, embedder.token_ids(list(asked_texts))):
        for token in ids:
            entries_using.setdefault(token, set()).add(entry)
    # 1 + idf over entries: "vitamin", "d", "back" and "pain" are in nearly every question.
    weights = np.full(embedder.vocabulary_size, 1 + math.log((count + 1) / 0.5), np.float32)
    for token, users in entries_using.items():
        weights[token] = 1 + math.log((count + 1) / (len(users) + 0.5))
    vectors = embedder.embed_weighted(list(asked_texts), weights)
    entry_of = np.array(owner, dtype=np.intp)
    centroids = np.zeros((count, vectors.shape[1]), dtype=np.float32)
    np.add.at(centroids, entry_of, vectors)
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    centroids = np.divide(centroids, norms, out=np.zeros_like(centroids), where=norms > 0)
    # Word features seen in at least WORD_FEATURE_MIN_COUNT examples (a feature seen once is noise).
    seen = Counter(f for sequence in asked_terms for f in set(word_features(sequence)))
    feature_index = {f: i for i, f in enumerate(sorted(f for f, n in seen.items() if n >= WORD_FEATURE_MIN_COUNT))}
    sparse_rows = [
        ([feature_index[f] for f in found if f in feature_index], len(found))
        for found in map(word_features, asked_terms)
    ] if asked_terms and WORD_SHARE else []
    classifier, bias, word_weights = _trained(vectors, entry_of, sparse_rows, len(feature_index), count)
    for array in (weights, vectors, centroids, classifier, bias, word_weights):
        array.setflags(write=False)  # shared between matchers
    return weights, vectors, centroids, classifier, bias, word_weights, feature_index


class FaqMatcher:
    """Built once at start-up from the content; ``match`` is pure and fast.

    Raises ValueError when the FAQ's synonym groups are malformed (see ``synonym_table``).
    """

    def __init__(
        self, faq: Sequence[FaqEntry], smalltalk: Sequence[SmallTalk] = (), embedder: Embedder | None = None
    ) -> None:
        self._embedder = embedder or shared_embedder()
        self._faq = tuple(faq)
        self._smalltalk = tuple(smalltalk)
        self._synonyms = synonym_table(self._faq)
        self._longest_alias = max((len(alias) for alias in self._synonyms), default=0)
        self._vocabulary = tuple(sorted({
            word
            for entry in self._faq
            for text in (entry.question, entry.answer, *entry.examples, *entry.keywords)
            for word in content_words(text.replace(SYNONYM_MARK, " "))
            if word != NUMBER
        }))
        self._known = frozenset(self._vocabulary)
        # A typo keeps its first letter far more often than not; "oranges" is no typo of "ranges".
        self._vocabulary_by_initial: dict[str, list[str]] = {}
        for word in self._vocabulary:
            self._vocabulary_by_initial.setdefault(word[0], []).append(word)
        self._correct = lru_cache(maxsize=8192)(self._correct_uncached)
        self._build_index()
        self._build_smalltalk()

    # -- the index ---------------------------------------------------------------------------

    def _doc_terms(self, text: str) -> list[str]:
        return self._rewrite(terms(text))

    def _build_index(self) -> None:
        # Documents: every entry's question and examples, entry after entry; then one answer
        # document per entry; then one keyword document per entry.
        asked: list[list[str]] = []
        starts: list[int] = []
        entry_vocabulary: list[set[str]] = []
        answers, keywords = [], []
        for entry in self._faq:
            starts.append(len(asked))
            asked += [self._doc_terms(text) for text in (entry.question, *entry.examples)]
            answers.append(self._doc_terms(entry.answer))
            keywords.append(self._doc_terms(" ".join(parse_keyword(k)[0] for k in entry.keywords)))
            entry_vocabulary.append(
                {t for doc in asked[starts[-1]:] for t in doc} | set(answers[-1]) | set(keywords[-1])
            )
        documents = asked + answers + keywords
        asked_texts = [text for entry in self._faq for text in (entry.question, *entry.examples)]
        self._asked_entry = np.repeat(
            np.arange(len(starts)), np.diff(np.array(starts + [len(asked)], dtype=np.intp)).astype(np.intp)
        )
        (self._token_weights, self._asked_vectors, self._centroids, self._classifier,
         self._classifier_bias, self._word_weights, self._feature_index) = _semantic_model(
            self._embedder, tuple(asked_texts), tuple(int(i) for i in self._asked_entry), len(starts),
            tuple(tuple(doc) for doc in asked),
        )
        # Each entry's question/example documents as one row, padded with a document scoring 0.
        ends = starts[1:] + [len(asked)]
        width = max((end - start for start, end in zip(starts, ends)), default=0)
        self._asked_rows = np.full((len(starts), width), len(asked) + 2 * len(self._faq), dtype=np.intp)
        # The same rows over the example vectors, padded with one past the last (cosine -1).
        self._vector_rows = np.full((len(starts), width), len(asked), dtype=np.intp)
        for row, (start, end) in enumerate(zip(starts, ends)):
            self._asked_rows[row, : end - start] = np.arange(start, end)
            self._vector_rows[row, : end - start] = np.arange(start, end)
        count = len(self._faq)
        self._answer_doc = np.arange(len(asked), len(asked) + count)
        self._keyword_doc = np.arange(len(asked) + count, len(asked) + 2 * count)
        # bm25s cannot index an empty document: a placeholder no message can contain.
        self._bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        if documents:
            self._bm25.index([doc or ["\x00"] for doc in documents], show_progress=False)
        document_frequency = Counter(t for vocabulary in entry_vocabulary for t in vocabulary)
        total = max(count, 1)
        self._idf = {
            term: math.log(1 + (total - df + 0.5) / (df + 0.5))
            for term, df in document_frequency.items()
        }
        self._entry_vocabulary = [frozenset(v) for v in entry_vocabulary]

    def _build_smalltalk(self) -> None:
        self._smalltalk_phrases = [
            (" ".join(words(phrase)), item) for item in self._smalltalk for phrase in item.phrases
        ]
        self._smalltalk_words = frozenset(
            word for phrase, _ in self._smalltalk_phrases for word in phrase.split()
        )
        # "hi, is magnesium needed?": the greeting neither helps nor hurts the question.
        self._smalltalk_only_words = frozenset(
            word for word in self._smalltalk_words if word not in self._known
        )

    def _rewrite(self, sequence: list[str]) -> list[str]:
        """Aliases replaced by their term, repeatedly, so "low vit d" -> "low vitamin d" -> ..."""
        for _ in range(3):
            rewritten = self._rewrite_once(sequence)
            if rewritten == sequence:
                break
            sequence = rewritten
        return sequence

    def _rewrite_once(self, sequence: list[str]) -> list[str]:
        result: list[str] = []
        position = 0
        while position < len(sequence):
            for length in range(min(self._longest_alias, len(sequence) - position), 0, -1):
                head = self._synonyms.get(tuple(sequence[position : position + length]))
                if head is not None:
                    result += head
                    position += length
                    break
            else:
                result.append(sequence[position])
                position += 1
        return result

    # -- reading a message -------------------------------------------------------------------

    def _correct_uncached(self, word: str) -> str | None:
        """The FAQ word ``word`` most likely means, or None when there is none close enough."""
        if word in self._known or word == NUMBER:
            return word
        if len(word) < TYPO_MIN_LENGTH:
            return None
        candidates = self._vocabulary_by_initial.get(word[0], [])
        found = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
        return None if found is None else found[0]

    def _query(self, text: str) -> tuple[list[str], int]:
        """The message's known terms (typos corrected, synonyms applied) and its unknown words."""
        known, unknown = [], 0
        for word in content_words(text, skip=self._smalltalk_only_words):
            corrected = self._correct(word)
            if corrected is None:
                unknown += 1
            else:
                known.append(corrected if corrected == NUMBER else stem(corrected))
        return list(dict.fromkeys(self._rewrite(known))), unknown

    def _weight(self, term: str) -> float:
        if term not in self._idf:
            return UNKNOWN_WORD_WEIGHT
        return max(self._idf[term], COMMON_WORD_FLOOR)

    def _entry_scores(self, query: list[str]) -> np.ndarray:
        if not query or not self._faq:
            return np.zeros(len(self._faq))
        scores = np.append(self._bm25.get_scores(query), 0.0)
        per_entry = -np.sort(-scores[self._asked_rows], axis=1)
        asked = per_entry[:, 0]
        for rank, share in enumerate(NEXT_EXAMPLES_SHARE, start=1):
            if per_entry.shape[1] > rank:
                asked = asked + share * per_entry[:, rank]
        return (
            asked
            + ANSWER_SHARE * scores[self._answer_doc]
            + KEYWORD_SHARE * scores[self._keyword_doc]
        )

    def _semantic_scores(self, text: str, query: Sequence[str] = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per entry: the meaning score, the cosine of its closest question, the classifier's probability."""
        count = len(self._faq)
        if not count:
            return np.zeros(0), np.zeros(0), np.zeros(0)
        corrected = []
        for word in words(text):
            fixed = self._correct(word) if word not in STOP_WORDS else word
            corrected.append(fixed or word)
        vector = self._embedder.embed_weighted([" ".join(corrected) or text], self._token_weights)[0]
        similarities = np.append(self._asked_vectors @ vector, -1.0)
        per_entry = -np.sort(-similarities[self._vector_rows], axis=1)
        closest = per_entry[:, 0]
        top3 = per_entry[:, :3].mean(axis=1) if per_entry.shape[1] >= 3 else closest
        logits = vector @ self._classifier + self._classifier_bias
        features = word_features(query)
        found = [self._feature_index[f] for f in features if f in self._feature_index]
        if found and WORD_SHARE:
            logits = logits + WORD_SHARE * self._word_weights[found].sum(axis=0) / math.sqrt(len(features))
        probabilities = _softmax(logits)
        meaning = (
            CLASSIFIER_SHARE * probabilities
            + CLOSEST_SHARE * closest
            + TOP3_SHARE * top3
            + CENTROID_SHARE * (self._centroids @ vector)
        )
        return meaning, closest, probabilities

    def _ranked(self, text: str) -> _Ranking:
        query, unknown = self._query(text)
        lexical = self._entry_scores(query)
        meaning, closest, probabilities = self._semantic_scores(text, query)
        top = lexical.max() if len(lexical) else 0.0
        scores = meaning + (LEXICAL_SHARE * lexical / top if top > 0 else 0.0)
        # Ties keep the FAQ's own order, so an empty match suggests its first questions.
        order = sorted(range(len(self._faq)), key=lambda i: (-scores[i], i))
        lexical_best = int(np.argmax(lexical)) if len(lexical) else 0
        return _Ranking(order, scores, closest, probabilities, query, unknown, lexical_best)

    def decision_features(self, text: str) -> tuple[list[int], tuple[float, ...]]:
        """The ranking and what the confidence and scope models read (see CONFIDENCE_WEIGHTS)."""
        ranking = self._ranked(text)
        return ranking.order, self._features(ranking)

    def _features(self, ranking: _Ranking) -> tuple[float, ...]:
        order, scores = ranking.order, ranking.scores
        best = order[0]
        second = scores[order[1]] if len(order) > 1 else 0.0
        third = scores[order[2]] if len(order) > 2 else second
        return (
            float(scores[best]), float(scores[best] - second), float(scores[best] - third),
            float(ranking.closest[best]), self.confidence(ranking.query, ranking.unknown, best),
            float(len(ranking.query)), float(ranking.unknown), float(ranking.probabilities[best]),
            float(ranking.probabilities[best] - (ranking.probabilities[order[1]] if len(order) > 1 else 0.0)),
            float(ranking.lexical_best == best),
        )

    @staticmethod
    def answer_probability(features: Sequence[float]) -> float:
        """How likely the best entry is the right one (CONFIDENCE_*, of the features at CONFIDENCE_FEATURES)."""
        picked = [features[i] for i in CONFIDENCE_FEATURES]
        return _logistic(picked, CONFIDENCE_MEAN, CONFIDENCE_SCALE, CONFIDENCE_WEIGHTS, CONFIDENCE_BIAS)

    @staticmethod
    def scope_probability(features: Sequence[float]) -> float:
        """How likely the message asks something the FAQ covers at all (SCOPE_*)."""
        picked = [features[i] for i in SCOPE_FEATURES]
        return _logistic(picked, SCOPE_MEAN, SCOPE_SCALE, SCOPE_WEIGHTS, SCOPE_BIAS)

    def confidence(self, query: list[str], unknown: int, index: int) -> float:
        total = sum(self._weight(t) for t in query) + unknown * UNKNOWN_WORD_WEIGHT
        if not total:
            return 0.0
        explained = sum(self._weight(t) for t in query if t in self._entry_vocabulary[index])
        return explained / total

    def closest(self, text: str, n: int = 3) -> tuple[FaqEntry, ...]:
        order = self._ranked(text).order
        return tuple(self._faq[index] for index in order[:n])

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
        result = self._match_one(text)
        sentences = [s.strip() for s in _SENTENCE_END.split(text) if len(words(s)) >= 2]
        if result.kind != "unsure" or len(sentences) < 2:
            return result
        # "No numbness in my groin. What do my vitamin D numbers mean?": the question is one
        # sentence of several, and the others only dilute it.
        answers = [m for m in map(self._match_one, sentences) if m.kind == "answer"]
        return max(answers, key=lambda m: m.score) if answers else result

    def _match_one(self, text: str) -> Match:
        ranking = self._ranked(text)
        order = ranking.order
        suggestions = tuple(self._faq[index] for index in order[:3])
        topic = referral_topic(text)  # before small talk: "are you a real doctor?" is no greeting
        if topic is not None:
            return Match("referral", referral=topic, suggestions=suggestions)
        smalltalk, smalltalk_score, only_smalltalk = self._smalltalk_match(text)
        if smalltalk is not None and smalltalk_score >= SMALLTALK_THRESHOLD:
            return Match("smalltalk", smalltalk=smalltalk, score=smalltalk_score)
        if not order or _SUM.search(fold(text)):
            return Match("unsure", suggestions=suggestions if order else ())
        best = order[0]
        features = self._features(ranking)
        confidence, similarity = features[4], features[3]
        sure = self.answer_probability(features) >= CONFIDENCE_THRESHOLD
        in_scope = self.scope_probability(features) >= SCOPE_THRESHOLD
        if sure and in_scope and confidence >= ANSWER_THRESHOLD:
            return Match("answer", entry=self._faq[best], score=similarity, suggestions=suggestions)
        if smalltalk is not None and only_smalltalk:
            return Match("smalltalk", smalltalk=smalltalk, score=smalltalk_score)
        if confidence == 0.0:
            # Nothing the FAQ knows: "cheers mate", "hello bot" still deserve small talk.
            opener = self._smalltalk_opener(text)
            if opener is not None:
                return Match("smalltalk", smalltalk=opener, score=smalltalk_score)
        return Match("unsure", score=similarity, suggestions=suggestions)
