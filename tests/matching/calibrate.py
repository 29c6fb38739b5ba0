"""Calibrate the matcher's confidence model on DEVELOPMENT data only.

``.venv/bin/python tests/matching/calibrate.py`` asks the matcher the development set
(tests/matching/dev.yaml) and a 5-fold cross-validation over the FAQ's own example questions (each
fold's examples are taken out of the FAQ and asked), fits the logistic confidence model
(``CONFIDENCE_*`` in bot/domain/matching.py) on whether the best entry was right, and prints its
constants with the figures of each answer threshold: each set's figures come from a model fitted
on the other sets, so they are not flattered by the fit. Pick the highest top-1 with at most 1.5%
confident wrong answers and 3% off-topic answered. (Holding top-3 when unsure >= 97% here too
needs 0.95, which gave back more top-1 on held-out messages than v4 had: see SCORES.md.) Never
point it at a held-out batch: those measure the result.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import bot.domain.matching as matching  # noqa: E402
from bot.domain.referrals import referral_topic  # noqa: E402
from bot.domain.text import fold as fold_text  # noqa: E402
from tests.matching.conftest import load_faq, load_smalltalk  # noqa: E402
from tests.matching.evaluation import DEV_SET, load  # noqa: E402

EMBEDDER = matching.shared_embedder()
FOLDS = 5
COVERAGES = (0.5, 0.55, 0.6, 0.65)  # ANSWER_THRESHOLD: share of the message's words the entry knows
THRESHOLDS = (0.7, 0.75, 0.8, 0.82, 0.84, 0.85, 0.86, 0.88, 0.9, 0.92, 0.93, 0.94, 0.95, 0.96)

faq, smalltalk = load_faq(), load_smalltalk()
dev = load(DEV_SET)
sets = [(faq, [(str(m), e) for e, ms in dev["faq"].items() for m in ms], [str(m) for m in dev["off_topic"]])]
for fold in range(FOLDS):
    kept, asked = [], []
    for entry in faq:
        held = entry.examples[fold::FOLDS]
        kept.append(entry.model_copy(update={"examples": [e for e in entry.examples if e not in held]}))
        asked += [(m, entry.id) for m in held]
    sets.append((kept, asked, []))

rows = []  # (set, in scope, right, right entry among three, features)
for number, (entries, asked, off_topic) in enumerate(sets):
    matcher = matching.FaqMatcher(entries, smalltalk, EMBEDDER)
    ids = [entry.id for entry in entries]
    for message, expected in asked + [(m, None) for m in off_topic]:
        order, features = matcher.decision_features(message)
        # Referrals and sums never get an FAQ answer, whatever the confidence says.
        gated = referral_topic(message) is not None or matching._SUM.search(fold_text(message)) is not None
        rows.append((number, expected is not None, ids[order[0]] == expected,
                     expected in [ids[i] for i in order[:3]], features, gated))
group = np.array([r[0] for r in rows])
in_scope = np.array([r[1] for r in rows])
right = np.array([r[2] for r in rows], dtype=float)
top3 = np.array([r[3] for r in rows])
features = np.array([r[4] for r in rows])
gated = np.array([r[5] for r in rows])
coverage = features[:, 4]
mean, scale = features[in_scope].mean(axis=0), features[in_scope].std(axis=0) + 1e-9


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> tuple[np.ndarray, float]:
    weights, bias = np.zeros(x.shape[1]), 0.0
    for _ in range(3000):
        error = 1 / (1 + np.exp(-(x @ weights + bias))) - y
        weights -= 0.5 * (x.T @ error / len(y) + l2 * weights)
        bias -= 0.5 * error.mean()
    return weights, bias


standard = (features - mean) / scale
probability = np.zeros(len(rows))
for number in range(len(sets)):
    train = (group != number) & in_scope
    weights, bias = fit(standard[train], right[train])
    probability[group == number] = 1 / (1 + np.exp(-(standard[group == number] @ weights + bias)))
print(f"right entry first (always answering): {right[in_scope].mean():.3f}, among three: {top3[in_scope].mean():.3f}")
for least_coverage in COVERAGES:
    print(f"answer threshold (coverage) {least_coverage}:")
    for threshold in THRESHOLDS:
        answered = (probability >= threshold) & (coverage >= least_coverage) & ~gated
        unsure = in_scope & ~answered
        dev_scope = in_scope & (group == 0)
        print(f"  threshold {threshold}: top1={(answered & (right == 1))[in_scope].mean():.3f}"
              f" wrong={(answered & (right == 0))[in_scope].mean():.3f}"
              f" off-topic={answered[~in_scope].mean():.3f} top3-when-unsure={top3[unsure].mean():.3f}"
              f" | dev top1={(answered & (right == 1))[dev_scope].mean():.3f}"
              f" wrong={(answered & (right == 0))[dev_scope].mean():.3f}")
weights, bias = fit(standard[in_scope], right[in_scope])
print("CONFIDENCE_MEAN =", tuple(round(float(v), 4) for v in mean))
print("CONFIDENCE_SCALE =", tuple(round(float(v), 4) for v in scale))
print("CONFIDENCE_WEIGHTS =", tuple(round(float(v), 3) for v in weights))
print("CONFIDENCE_BIAS =", round(float(bias), 3))
