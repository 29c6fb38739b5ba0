"""The red-flag classifier beside the phrases: what it reads, and that the rules come first."""

from dataclasses import dataclass, field

import numpy as np
import pytest

from bot.content.models import RedFlag
from bot.domain.redflags import RedFlagDetector
from bot.domain.signclass import SignClassifier, kept_sentences


class ZeroEmbedder:
    def embed(self, texts: list[str]) -> np.ndarray:
        return np.zeros((len(texts), 256), np.float32)


@dataclass
class TinyModel:
    """One word feature ("numb") that points to the sign "numb-sign" with probability ~0.95."""

    labels: list[str] = field(default_factory=lambda: ["none", "numb-sign"])
    vocabulary: list[str] = field(default_factory=lambda: ["numb"])
    word_weights: list[list[float]] = field(default_factory=lambda: [[0.0, 5.0]])
    embedding_weights: list[list[float]] = field(default_factory=lambda: [[0.0, 0.0]] * 256)
    bias: list[float] = field(default_factory=lambda: [0.0, -2.0])
    embedding_scale: float = 1.0
    threshold: float = 0.9


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("my groin is numb", [["my", "groin", "is", "numb"]]),
        ("what if my groin goes numb?", []),  # a question about a sign
        ("if my legs go weak, who do I call?", []),
        ("my dad had cancer. I am fine", [["i", "am", "fine"]]),  # someone else's clause
        ("my husband and I tried, I felt nothing", [["my", "husband", "and", "i", "tried", "i", "felt", "nothing"]]),
        ("she says my legs are weak", [["she", "says", "my", "legs", "are", "weak"]]),  # the writer's legs
        ("fever 39.5 today", [["fever", "39.5", "today"]]),  # a decimal does not end a sentence
        ("typing for my dad. he is numb", [["typing", "for", "my", "dad"], ["he", "is", "numb"]]),  # written for him
        ("how common is numbness with a disc", []),  # a question without its mark
    ],
)
def test_what_the_classifier_reads(text, kept):
    assert kept_sentences(text) == kept


def test_the_classifier_alarms_above_its_threshold_only():
    classifier = SignClassifier(TinyModel(), ZeroEmbedder(), lambda text: [])
    verdict = classifier.classify("my bits are numb")
    assert verdict is not None and verdict.flag_id == "numb-sign" and verdict.probability > 0.9
    assert classifier.classify("my bits are fine") is None
    assert classifier.classify("could my bits go numb?") is None
    assert classifier.classify("my friend is numb") is None
    # One sentence of a long message is enough: the best sentence counts.
    assert classifier.classify("Pain 5 today. I walked. It was sunny. Bits numb. Bye") is not None


def test_the_signs_of_a_level_pool_their_probability():
    """Two emergency signs at 0.45 each: no single sign reaches 0.9, their level does."""
    model = TinyModel(labels=["none", "a", "b", "c"], word_weights=[[0.0, 5.0, 5.0, 0.0]], bias=[0.0, -2.0, -2.0, -9.0],
                      embedding_weights=[[0.0] * 4] * 256, threshold=0.8)
    pooled = SignClassifier(model, ZeroEmbedder(), lambda text: [], levels={"a": "emergency", "b": "emergency", "c": "prompt"})
    apart = SignClassifier(model, ZeroEmbedder(), lambda text: [])
    verdict = pooled.classify("my bits are numb")
    assert verdict is not None and verdict.flag_id in {"a", "b"} and verdict.probability > 0.8
    assert apart.classify("my bits are numb") is None


def test_weights_that_do_not_fit_are_refused():
    with pytest.raises(ValueError, match="do not fit"):
        SignClassifier(TinyModel(vocabulary=["numb", "dead"]), ZeroEmbedder(), lambda text: [])


RULE = RedFlag(id="rule", label="rule", level="emergency", phrases=["fever back"])
NUMB = RedFlag(id="numb-sign", label="numb", level="emergency", phrases=["saddle numbness"])


def test_rules_first_then_the_classifier():
    detector = RedFlagDetector([RULE, NUMB], model=TinyModel(labels=["none", "numb-sign"]), embedder=ZeroEmbedder())
    assert detector.detect("fever and my back hurts, also numb").id == "rule"
    assert detector.detect("my bum went numb").id == "numb-sign"  # the phrases miss it
    assert detector.detect("my bum is fine") is None
    # A question the rules recognise as one about a sign gets the warning signs, not an alarm.
    assert detector.detect("what if I get saddle numbness?") is None
    assert detector.mention("what if I get saddle numbness?").id == "numb-sign"


def test_time_and_numbers_do_not_part_a_sign_from_its_site():
    detector = RedFlagDetector([RULE])
    assert detector.detect("fever since Monday morning, five days ago now, and also my back") is not None
    assert detector.detect("fever whatever happens gets slowly better with plenty of rest and my back") is None


def test_concepts_name_groups_anywhere_in_a_sentence_and_negated_ones_apart():
    groups = {"numb": ["numb", "no feeling"], "saddle": ["groin", "bottom", "down there"]}
    detector = RedFlagDetector([RedFlag(id="s", label="s", level="emergency", phrases=["{numb} {saddle}"])], groups)
    far = detector.concepts("my bottom, after that long long weekend of endless driving around, is numb")
    assert "{numb}&{saddle}" in far
    assert "~{numb}" in detector.concepts("no numbness, just pain")
    assert "{numb}&{saddle}" in detector.concepts("no feeling down there")  # "no feeling" is the sign


def test_a_sign_is_named_only_with_one_of_its_word_groups():
    groups = {"saddle": ["bum", "groin"]}
    needs = {"numb-sign": frozenset({"{saddle}"})}
    detector = RedFlagDetector([NUMB], groups)
    classifier = SignClassifier(TinyModel(), ZeroEmbedder(), detector.concepts, needs)
    assert classifier.classify("my bum is numb") is not None
    assert classifier.classify("my thumb is numb") is None  # no body area of the sign
