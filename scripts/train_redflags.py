"""Build content/redflag_classifier.json, the red-flag sign classifier's weights (numpy only).

    .venv/bin/python scripts/train_redflags.py          # cross-validate, calibrate, write the model
    .venv/bin/python scripts/train_redflags.py --check  # only cross-validate and print the figures
    .venv/bin/python scripts/train_redflags.py --check --quick  # only leave one writer out

Trained on the tuning sets only: tests/redflags/train_*.yaml (written for it) and the two batches
the rules were tuned on (eval_first, eval_dev). The held-out batches are never read here.

1. Out-of-fold figures, three ways: leave one writer out (WRITERS: round 5's engineer, writers A
   and B, batch 1, dev), the honest estimate of a blind batch; leave one voice out; and 10-fold. In
   each fold the vocabulary and the weights come from the other folds only, and the rules run first,
   as in the bot.
2. The threshold is the lowest probability at which rules and classifier together, leaving one
   writer out, alarm on at most ``TARGET_FALSE_ALARMS`` of the ordinary messages, raised if need be
   above the final classifier's probability on every question of the FAQ matcher's development sets.
3. The final weights are fitted on everything and written with a digest of the training files, so
   a test can tell when the model is older than its data.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content.loader import default_content_dir, load_content  # noqa: E402
from bot.domain.embedding import shared_embedder  # noqa: E402
from bot.domain.redflags import RedFlagDetector  # noqa: E402
from bot.domain.signclass import NO_SIGN, SignClassifier, features, kept_sentences  # noqa: E402

REDFLAGS = ROOT / "tests" / "redflags"
OUT = default_content_dir() / "redflag_classifier.json"
TUNED_BATCHES = ("first", "dev")
# Of ordinary messages, out of fold (leaving one writer out), rules and classifier together: every
# batch is held to 5%, so the calibration aims below it. Round 5 gave the classifier no budget at all
# (its threshold above every ordinary message out of fold, 0.948), since the rules alone then alarmed
# on 4.7% of its ordinary training messages; 2%, 1% and 0.5% on top of the rules had been tried and
# were too many (6.0-8.3% on the seen batches 4 and 5). Round 9 aims at the limit itself, 5%: with
# the rules alone at 3.8% out of fold the classifier's budget is thin and the curve flat there (4.0%
# -> threshold 0.999, 4.5% -> 0.827, 5.0% -> 0.685), and 4.5% cost recall on every batch seen before
# (the batches 8-10 lost 3, 2 and 2 signs); a missed sign is worse than a false alarm.
TARGET_FALSE_ALARMS = 0.05
MIN_THRESHOLD = 0.5
MIN_COUNT = 2  # a word feature must occur in this many training messages
L2 = 3e-4
EMBEDDING_SCALE = 2.0
STEPS = 300
SIGN_WEIGHT = 1.0  # how much a sign counts in the loss beside an ordinary message (2.0: no better out of fold)


@dataclass
class Example:
    text: str
    label: str  # NO_SIGN or a red-flag id
    group: str  # the voice, or the batch it comes from
    writer: str = ""  # who wrote it (WRITERS): leaving one writer out is the honest estimate


# Who wrote each tuning file. Leaving one writer out at a time is the closest the tuning data
# comes to a blind batch: a new writer's habits of speech are on one side only.
WRITERS = {
    "train_signs": "round5", "train_images": "round5", "train_ordinary": "round5",
    "train_writer_a": "writer_a", "train_writer_b": "writer_b", "train_writer_c": "writer_c", "train_writer_d": "writer_d",
    "train_writer_e": "writer_e", "train_writer_f": "writer_f", "train_writer_g": "writer_g", "train_writer_h": "writer_h",
    "train_writer_i": "writer_i",
    "eval_first": "first", "eval_dev": "dev",
}


@dataclass
class Model:
    labels: list[str]
    vocabulary: list[str]
    word_weights: list[list[float]]
    embedding_weights: list[list[float]]
    bias: list[float]
    embedding_scale: float
    threshold: float


def training_files() -> list[Path]:
    return sorted(REDFLAGS.glob("train_*.yaml")) + [REDFLAGS / f"eval_{name}.yaml" for name in TUNED_BATCHES]


def digest(groups: Mapping[str, Sequence[str]]) -> str:
    """What the model was built from: the training files, the feature code and the word groups
    (safety.yaml's ``red_flag_words``, which the concept features read)."""
    sha = hashlib.sha256(json.dumps(groups, sort_keys=True).encode())
    for path in [*training_files(), ROOT / "bot" / "domain" / "signclass.py"]:
        sha.update(path.name.encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()


def examples(rules: RedFlagDetector) -> list[Example]:
    out = []
    for path in training_files():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        batch = path.stem.removeprefix("eval_")
        writer = WRITERS.get(path.stem, path.stem)
        for sign in data.get("signs", []):
            flag_id = sign.get("flag")
            if flag_id is None:  # the tuned batches name only the level: the rules name the sign
                found = rules.detect(sign["text"])
                if found is None or found.level != sign["level"]:
                    continue
                flag_id = found.id
            out.append(Example(sign["text"], flag_id, sign.get("voice", batch), writer))
        for item in data.get("ordinary", []):
            text, voice = (item, batch) if isinstance(item, str) else (item["text"], item["voice"])
            out.append(Example(text, NO_SIGN, voice, writer))
    return out


class CachedEmbedder:
    def __init__(self) -> None:
        self._embedder = shared_embedder()
        self._cache: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            self._cache.update(zip(missing, self._embedder.embed(missing)))
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 256), np.float32)


_FEATURES: dict[tuple[str, ...], set[str]] = {}
LEVELS: dict[str, str] = {}  # red-flag id -> level, as the bot's classifier pools them


def _features(words: tuple[str, ...], rules: RedFlagDetector) -> set[str]:
    if words not in _FEATURES:
        _FEATURES[words] = set(features(words, rules.concepts))
    return _FEATURES[words]


def fit(train: list[Example], labels: list[str], embedder: CachedEmbedder, rules: RedFlagDetector,
        threshold: float = 1.0) -> Model:
    """Softmax regression with L2, full batch, Adam. The word features are binary and sparse (a
    message has a few dozen of thousands), so they are kept as (row, feature) pairs, not a matrix."""
    words = [[w for s in kept_sentences(e.text) for w in s] for e in train]
    present = [_features(tuple(w), rules) for w in words]
    counts = Counter(f for fs in present for f in fs)
    vocabulary = sorted(f for f, c in counts.items() if c >= MIN_COUNT)
    index = {f: i for i, f in enumerate(vocabulary)}
    pairs = [(row, index[f]) for row, fs in enumerate(present) for f in fs if f in index]
    rows = np.fromiter((r for r, _ in pairs), np.int64, len(pairs))
    cols = np.fromiter((c for _, c in pairs), np.int64, len(pairs))
    n, k = len(vocabulary), len(labels)
    e = embedder.embed([" ".join(w) for w in words]) * EMBEDDING_SCALE
    xe = np.hstack([e, np.ones((len(train), 1), np.float32)])
    y = np.zeros((len(train), k), np.float32)
    y[np.arange(len(train)), [labels.index(ex.label) for ex in train]] = 1.0
    weight = np.where(y[:, 0] > 0, 1.0, SIGN_WEIGHT).astype(np.float32)[:, None] / len(train)
    ww = np.zeros((n, k), np.float32)  # word weights
    we = np.zeros((xe.shape[1], k), np.float32)  # embedding weights and the bias (last row)
    params = [ww, we]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    for step in range(1, STEPS + 1):
        logits = xe @ we
        for c in range(k):
            logits[:, c] += np.bincount(rows, weights=ww[cols, c], minlength=len(train))
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        delta = (p - y) * weight
        grad_w = np.stack([np.bincount(cols, weights=delta[rows, c], minlength=n) for c in range(k)], axis=1)
        grad_w = grad_w.astype(np.float32) + L2 * ww
        grad_e = xe.T @ delta + L2 * we
        grad_e[-1] -= L2 * we[-1]  # no penalty on the bias
        for param, grad, (m, v) in zip(params, (grad_w, grad_e), moments):
            m *= 0.9
            m += 0.1 * grad
            v *= 0.999
            v += 0.001 * grad * grad
            param -= 0.05 * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return Model(labels, vocabulary, ww.tolist(), we[:-1].tolist(), we[-1].tolist(), EMBEDDING_SCALE, threshold)


@dataclass
class Outcome:
    example: Example
    rules: str | None  # flag id the rules found
    probability: float  # the classifier's best sign probability (0 when the rules found one)
    guess: str  # the classifier's best sign


def out_of_fold(data: list[Example], folds: list[int], rules: RedFlagDetector, labels: list[str],
                embedder: CachedEmbedder) -> list[Outcome]:
    outcomes: list[Outcome | None] = [None] * len(data)
    for fold in sorted(set(folds)):
        train = [ex for ex, f in zip(data, folds) if f != fold]
        model = fit(train, labels, embedder, rules, threshold=0.0)
        classifier = SignClassifier(model, embedder, rules.concepts, rules.sign_groups, LEVELS)
        for i, (ex, f) in enumerate(zip(data, folds)):
            if f != fold:
                continue
            found = rules.detect(ex.text)
            verdict = classifier.classify(ex.text) if found is None else None
            outcomes[i] = Outcome(ex, found.id if found else None, verdict.probability if verdict else 0.0,
                                  verdict.flag_id if verdict else NO_SIGN)
    return [o for o in outcomes if o is not None]


def calibrate(outcomes: list[Outcome], target: float | None = None) -> float:
    """The lowest threshold at which rules and classifier together alarm on at most
    ``TARGET_FALSE_ALARMS`` of the ordinary messages of the writers the rules were not tuned on
    (batch 1 and dev, tuned on, alarm on almost nothing), out of fold; never below ``MIN_THRESHOLD``."""
    ordinary = [o for o in outcomes if o.example.label == NO_SIGN and o.example.writer not in TUNED_BATCHES]
    allowed = int((TARGET_FALSE_ALARMS if target is None else target) * len(ordinary)) - sum(1 for o in ordinary if o.rules)
    left = sorted((o.probability for o in ordinary if o.rules is None), reverse=True)
    threshold = float(left[max(allowed, 0)]) + 1e-6 if max(allowed, 0) < len(left) else MIN_THRESHOLD
    return max(threshold, MIN_THRESHOLD)


def figures(outcomes: list[Outcome], threshold: float, levels: dict[str, str]) -> str:
    signs = [o for o in outcomes if o.example.label != NO_SIGN]
    ordinary = [o for o in outcomes if o.example.label == NO_SIGN]

    def answer(o: Outcome) -> str | None:
        return o.rules or (o.guess if o.probability >= threshold else None)

    by_rules = sum(1 for o in signs if o.rules and levels[o.rules] == levels[o.example.label])
    found = sum(1 for o in signs if answer(o) and levels[answer(o) or ""] == levels[o.example.label])
    rule_alarms = sum(1 for o in ordinary if o.rules)
    alarms = sum(1 for o in ordinary if answer(o))
    return (f"signs at their level: rules {by_rules / len(signs):.1%}, rules + classifier {found / len(signs):.1%}"
            f" ({found}/{len(signs)}); false alarms: rules {rule_alarms / len(ordinary):.1%},"
            f" rules + classifier {alarms / len(ordinary):.1%} ({alarms}/{len(ordinary)})")


def faq_development_questions() -> list[str]:
    """Every message of the FAQ matcher's development sets (dev.yaml, dev_writer_*.yaml)."""
    def strings(node: object) -> list[str]:
        if isinstance(node, dict):
            return [t for k, v in node.items() for t in strings(k) + strings(v)]
        if isinstance(node, list):
            return [t for item in node for t in strings(item)]
        return [node] if isinstance(node, str) else []

    matching = ROOT / "tests" / "matching"
    paths = [matching / "dev.yaml", *sorted(matching.glob("dev_writer_*.yaml"))]
    return [t for path in paths for t in strings(yaml.safe_load(path.read_text(encoding="utf-8")))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true", help="cross-validate only; write nothing")
    parser.add_argument("--quick", action="store_true", help="only leave one writer out (no voices, no 10-fold)")
    args = parser.parse_args()
    content = load_content(default_content_dir())
    rules = RedFlagDetector(content.safety.red_flags, content.safety.red_flag_words)
    levels = {flag.id: flag.level for flag in content.safety.red_flags}
    LEVELS.update(levels)
    labels = [NO_SIGN, *levels]
    embedder = CachedEmbedder()
    data = examples(rules)
    print(f"{len(data)} training messages: {sum(e.label != NO_SIGN for e in data)} signs, "
          f"{sum(e.label == NO_SIGN for e in data)} ordinary")
    voices = sorted({e.group for e in data})
    writers = sorted({e.writer for e in data})
    by_writer = out_of_fold(data, [writers.index(e.writer) for e in data], rules, labels, embedder)
    threshold = calibrate(by_writer)
    print(f"threshold {threshold:.3f} (rules + classifier <= {TARGET_FALSE_ALARMS:.1%} false alarms on the untuned"
          f" writers' ordinary messages, leaving one writer out)")
    targets = (0.04, 0.045, 0.046, 0.047, 0.048, 0.049, 0.05)
    print("  other targets: " + ", ".join(f"{t:.1%} -> {calibrate(by_writer, t):.3f}" for t in targets))
    print(f"leave one writer out: {figures(by_writer, threshold, levels)}")
    for writer in writers:
        print(f"  {writer:<10} {figures([o for o in by_writer if o.example.writer == writer], threshold, levels)}")
    for candidate in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        print(f"  at {candidate:.1f}: {figures(by_writer, candidate, levels)}")
    if not args.quick:
        by_voice = out_of_fold(data, [voices.index(e.group) for e in data], rules, labels, embedder)
        tenfold = out_of_fold(data, [i % 10 for i in range(len(data))], rules, labels, embedder)
        print(f"leave one voice out:  {figures(by_voice, threshold, levels)}")
        print(f"10-fold:              {figures(tenfold, threshold, levels)}")
        for voice in voices:
            print(f"  {voice:<10} {figures([o for o in by_voice if o.example.group == voice], threshold, levels)}")
    if args.check:
        return
    model = fit(data, labels, embedder, rules, threshold)
    # Questions about vitamin D and back pain are never signs: the threshold also stays above the
    # classifier's probability on every question of the FAQ matcher's development sets (never a
    # held-out one) that the rules leave alone.
    classifier = SignClassifier(replace(model, threshold=0.0), embedder, rules.concepts, rules.sign_groups, LEVELS)
    highest = max((v.probability for m in faq_development_questions() if rules.detect(m) is None
                   and (v := classifier.classify(m)) is not None), default=0.0)
    if highest >= threshold:
        threshold = round(highest + 0.005, 3)
        print(f"threshold raised to {threshold:.3f}: above every FAQ development question "
              f"(leave one writer out there: {figures(by_writer, threshold, levels)})")
        model = replace(model, threshold=threshold)
    payload = {"trained_on": digest(content.safety.red_flag_words), **model.__dict__}
    rounded = json.loads(json.dumps(payload), parse_float=lambda s: round(float(s), 5))
    OUT.write_text(json.dumps(rounded, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size // 1024} KB, {len(model.vocabulary)} word features)")


if __name__ == "__main__":
    main()
