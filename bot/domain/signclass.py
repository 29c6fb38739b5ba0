"""A light classifier for red-flag signs the phrases miss: images, comparisons, unlisted words.

The rules (``bot.domain.redflags``) come first; this only looks at a message they found nothing in.
It is a softmax regression over 13 classes (no sign, or one of the 12 red flags) with two kinds of
features of the same text:

- words: the shared pipeline's stems (``bot.domain.text``) and pairs of neighbouring stems, so
  "no feeling", "can't go" and "won't come" are features of their own;
- concepts: the rules' word groups present anywhere in a sentence, alone and in pairs
  ("{numb}&{saddle}"), negated or not, so a sign spread over a long sentence still counts;
- meaning: the WordLlama sentence vector of the text (``bot.domain.embedding``), so "cardboard",
  "block of wood" and "switched off" land near the numbness they describe.

Before it reads a message it drops what the rules also ignore: a question about a sign ("what if
my leg goes weak?") and a clause about someone else ("my dad had prostate cancer"). It scores the
whole message and each sentence and keeps the highest, so one sign in a long message still counts.
The signs of one level pool their probability (the reply depends on the level only). A message
written for someone else ("typing for my dad, he ...") keeps that person's clauses
(``sentences.patient``).

The weights are content (``content/redflag_classifier.json``), built from the training sets by
``scripts/train_redflags.py``, which also calibrates the threshold on out-of-fold predictions so
that it alarms on few ordinary messages (docs/SAFETY.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bot.domain.sentences import QUESTION_OPENERS, SELF, asks, is_other, patient, sentence_tokens
from bot.domain.text import CLAUSE_BREAKS, stem

NO_SIGN = "none"
_SENTENCE_ENDS = frozenset(".!?")
_STOP = frozenset("a an the of to and or in on at for with is are was were be been am it its this that".split())
_CONDITIONS = frozenset({"if", "incase", "suppose", "whether"})


class Embeds(Protocol):
    def embed(self, texts: list[str]) -> np.ndarray: ...


class SignModel(Protocol):
    """What the classifier needs of the stored weights (content/redflag_classifier.json)."""

    @property
    def labels(self) -> list[str]: ...  # "none", then red-flag ids
    @property
    def vocabulary(self) -> list[str]: ...  # word features, in the order of ``word_weights``' rows
    @property
    def word_weights(self) -> list[list[float]]: ...
    @property
    def embedding_weights(self) -> list[list[float]]: ...  # one row per embedding dimension
    @property
    def bias(self) -> list[float]: ...
    @property
    def embedding_scale(self) -> float: ...
    @property
    def threshold(self) -> float: ...  # alarm when the probability of some sign is at least this


def kept_sentences(text: str) -> list[list[str]]:
    """The folded tokens of each sentence the classifier may read: not a question about a sign,
    and without the clauses that are about someone else."""
    out: list[list[str]] = []
    sentence: list[str] = []
    raw = sentence_tokens(text)
    about = patient(raw)
    for token in [*raw, "."]:
        if token not in _SENTENCE_ENDS:
            sentence.append(token)
            continue
        words = [w for w in sentence if w not in CLAUSE_BREAKS]
        asked = (token == "?" and words[:1] and (words[0] in QUESTION_OPENERS or words[0] in _CONDITIONS)) or asks(words)
        if words and not asked and words[:2] != ["what", "if"] and words[0] not in _CONDITIONS:
            kept = _own_clauses(sentence, about)
            if kept:
                out.append(kept)
        sentence = []
    return out


def _own_clauses(sentence: list[str], about: frozenset[str] = frozenset()) -> list[str]:
    """The words of the clauses that are the writer's: a clause naming someone else (my mum, a
    friend, he, she) with no "I"/"me" after it is dropped; not when that person is the one the
    message is written for (``about``, see ``sentences.patient``)."""
    kept: list[str] = []
    clause: list[str] = []
    for token in [*sentence, ","]:
        if token not in CLAUSE_BREAKS:
            clause.append(token)
            continue
        other = False
        for i, word in enumerate(clause):
            if word in about:
                other = False
            elif is_other(word):
                other = True
            elif word in SELF and not (word == "my" and i + 1 < len(clause) and is_other(clause[i + 1])):
                other = False
        if not other:
            kept.extend(clause)
        clause = []
    return kept


Concepts = Callable[[str], list[str]]


def features(words: Sequence[str], concepts: Concepts) -> list[str]:
    """Stems, pairs of neighbouring stems (small words dropped, negations kept), and the rules'
    word groups found in the text (``RedFlagDetector.concepts``)."""
    stems = [stem(w) for w in words if w not in _STOP and w[0].isalnum()]
    # Letters of longer words, four at a time, so a typo ("bladdr", "numbnes") still shares most of them.
    marked = {f"<{w}>" for w in words if len(w) >= 5 and w.isalpha()}
    grams = [f"#{w[i:i + 4]}" for w in marked for i in range(len(w) - 3)]
    return stems + [f"{a} {b}" for a, b in zip(stems, stems[1:])] + grams + concepts(" ".join(words))


@dataclass(frozen=True)
class Verdict:
    flag_id: str
    probability: float


class SignClassifier:
    def __init__(self, model: SignModel, embedder: Embeds, concepts: Concepts,
                 needs: Mapping[str, frozenset[str]] | None = None, levels: Mapping[str, str] | None = None) -> None:
        self._concepts = concepts
        self._needs = needs or {}  # per sign, its word groups ("{saddle}", "{numb}", ...)
        self._labels = list(model.labels)
        self._index = {feature: i for i, feature in enumerate(model.vocabulary)}
        self._words = np.asarray(model.word_weights, dtype=np.float32)
        self._meaning = np.asarray(model.embedding_weights, dtype=np.float32) * model.embedding_scale
        self._bias = np.asarray(model.bias, dtype=np.float32)
        self._threshold = model.threshold
        self._embedder = embedder
        if self._words.shape != (len(self._index), len(self._labels)) or self._labels[0] != NO_SIGN:
            raise ValueError("the red-flag classifier's weights do not fit its labels and vocabulary")
        # The reply depends on the level only, so the signs of one level pool their probability:
        # a message torn between two emergency signs is still an emergency.
        levels = levels or {}
        signs = self._labels[1:]
        self._pools = [np.array([i for i, f in enumerate(signs) if levels.get(f, f) == level])
                       for level in dict.fromkeys(levels.get(f, f) for f in signs)]

    def scores(self, texts: list[list[str]]) -> np.ndarray:
        """Class probabilities of each text (folded tokens), one row per text."""
        vectors = self._embedder.embed([" ".join(t) for t in texts])
        logits = vectors @ self._meaning + self._bias
        for row, text in enumerate(texts):
            ids = {self._index[f] for f in features(text, self._concepts) if f in self._index}
            if ids:
                logits[row] += self._words[sorted(ids)].sum(axis=0)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def classify(self, text: str) -> Verdict | None:
        """The most likely sign of ``text``, if the probability of its level reaches the threshold."""
        sentences = kept_sentences(text)
        if not sentences:
            return None
        texts = [[w for s in sentences for w in s], *sentences] if len(sentences) > 1 else sentences
        probabilities = self.scores(texts)[:, 1:]
        pooled = np.stack([probabilities[:, pool].sum(axis=1) for pool in self._pools], axis=1)
        row, level = np.unravel_index(int(np.argmax(pooled)), pooled.shape)
        best = float(pooled[row, level])
        if best < self._threshold:
            return None
        # Only when the text speaks of one of the word groups of that level's signs, not negated (an
        # image of numbness still names the body part); then the most likely sign of the level.
        pool = sorted(self._pools[level], key=lambda c: -probabilities[row, c])
        needed = frozenset().union(*(self._needs.get(self._labels[c + 1], frozenset()) for c in pool))
        if needed and needed.isdisjoint(self._concepts(" ".join(texts[row]))):
            return None
        return Verdict(self._labels[pool[0] + 1], best)
