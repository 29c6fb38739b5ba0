"""Calibrate the matcher's confidence model on DEVELOPMENT data only.

``.venv/bin/python tests/matching/calibrate.py`` asks the matcher the development set
(tests/matching/dev.yaml) and a 5-fold cross-validation over the FAQ's own example questions (each
fold's examples are taken out of the FAQ and asked), fits the logistic confidence model
(``CONFIDENCE_*`` in bot/domain/matching.py) on whether the best entry was right, and prints its
constants with the figures of each answer threshold: each set's figures come from a model fitted
on the other sets, so they are not flattered by the fit. The development sets are dev.yaml and each
independent writer's tests/matching/dev_writer_*.yaml. Pick the highest top-1 with at most 1.5%
confident wrong answers (over all sets, and over the development sets alone) and 2% off-topic
answered. (Holding top-3 when unsure >= 97% here too needs 0.95, which gave back more top-1 on
held-out messages than v4 had: see SCORES.md.) Never point it at a held-out batch: those measure
the result.
"""

import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import bot.domain.matching as matching  # noqa: E402
from bot.domain.referrals import referral_topic  # noqa: E402
from bot.domain.text import fold as fold_text  # noqa: E402
from tests.matching.conftest import load_faq, load_smalltalk  # noqa: E402
from tests.matching.evaluation import DEV_SET, WRITER_SETS, load  # noqa: E402

EMBEDDER = matching.shared_embedder()
FOLDS = 5
COVERAGES = (0.5, 0.55, 0.6)  # ANSWER_THRESHOLD: share of the message's words the entry knows
THRESHOLDS = (0.7, 0.75, 0.8, 0.82, 0.84, 0.85, 0.86, 0.88, 0.9, 0.92, 0.94)  # CONFIDENCE_THRESHOLD
SCOPES = (0.0, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95)  # SCOPE_THRESHOLD
MAX_WRONG = 0.015
MAX_OFF_TOPIC = 0.02  # not 3%: off-topic answers on held-out batches ran above the development set's

faq, smalltalk = load_faq(), load_smalltalk()
sets = []
for path in [DEV_SET, *WRITER_SETS]:  # dev.yaml first (group 0), then each writer's development set
    dev = load(path)
    sets.append((faq, [(str(m), e) for e, ms in dev["faq"].items() for m in ms], [str(m) for m in dev["off_topic"]]))
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
answer_features = features[:, list(matching.CONFIDENCE_FEATURES)]
scope_features = features[:, list(matching.SCOPE_FEATURES)]


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> tuple[np.ndarray, float]:
    weights, bias = np.zeros(x.shape[1]), 0.0
    for _ in range(3000):
        error = 1 / (1 + np.exp(-(x @ weights + bias))) - y
        weights -= 0.5 * (x.T @ error / len(y) + l2 * weights)
        bias -= 0.5 * error.mean()
    return weights, bias


def standardise(x: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean, scale = x[rows].mean(axis=0), x[rows].std(axis=0) + 1e-9
    return (x - mean) / scale, mean, scale


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


# Is the best entry right? Fitted on in-scope messages; each set scored by a model of the others.
standard, answer_mean, answer_scale = standardise(answer_features, in_scope)
probability = np.zeros(len(rows))
for number in range(len(sets)):
    train = (group != number) & in_scope
    weights, bias = fit(standard[train], right[train])
    probability[group == number] = sigmoid(standard[group == number] @ weights + bias)
# Is the message about the FAQ at all? In-scope against off-topic; off-topic messages are only in
# the development set, so this one is cross-fitted over 5 random folds of every row.
scope_standard, scope_mean, scope_scale = standardise(scope_features, np.ones(len(rows), dtype=bool))
scope = np.zeros(len(rows))
part = np.random.default_rng(0).integers(0, FOLDS, len(rows))
for number in range(FOLDS):
    weights, bias = fit(scope_standard[part != number], in_scope[part != number].astype(float))
    scope[part == number] = sigmoid(scope_standard[part == number] @ weights + bias)

print(f"right entry first (always answering): {right[in_scope].mean():.3f}, among three: {top3[in_scope].mean():.3f}")
print(f"rule: the highest top-1 with wrong <= {MAX_WRONG} and off-topic answered <= {MAX_OFF_TOPIC}")
choices = []
developed = in_scope & (group < len(WRITER_SETS) + 1)  # the development sets, not the cross-validation
for least_coverage, threshold, least_scope in itertools.product(COVERAGES, THRESHOLDS, SCOPES):
    answered = (probability >= threshold) & (scope >= least_scope) & (coverage >= least_coverage) & ~gated
    unsure = in_scope & ~answered
    figures = (
        (answered & (right == 1))[in_scope].mean(), (answered & (right == 0))[in_scope].mean(),
        answered[~in_scope].mean(), top3[unsure].mean(), (answered & (right == 1))[developed].mean(),
        (answered & (right == 0))[developed].mean(),
    )
    if max(figures[1], figures[5]) <= MAX_WRONG and figures[2] <= MAX_OFF_TOPIC:
        choices.append((figures, (least_coverage, threshold, least_scope)))
for figures, (least_coverage, threshold, least_scope) in sorted(choices, reverse=True)[:8]:
    print(f"  ANSWER_THRESHOLD={least_coverage} CONFIDENCE_THRESHOLD={threshold} SCOPE_THRESHOLD={least_scope}:"
          " top1={:.3f} wrong={:.3f} off-topic={:.3f} top3-when-unsure={:.3f} | dev sets top1={:.3f} wrong={:.3f}"
          .format(*figures))
weights, bias = fit(standard[in_scope], right[in_scope])
print("CONFIDENCE_MEAN =", tuple(round(float(v), 4) for v in answer_mean))
print("CONFIDENCE_SCALE =", tuple(round(float(v), 4) for v in answer_scale))
print("CONFIDENCE_WEIGHTS =", tuple(round(float(v), 3) for v in weights))
print("CONFIDENCE_BIAS =", round(float(bias), 3))
weights, bias = fit(scope_standard, in_scope.astype(float))
print("SCOPE_MEAN =", tuple(round(float(v), 4) for v in scope_mean))
print("SCOPE_SCALE =", tuple(round(float(v), 4) for v in scope_scale))
print("SCOPE_WEIGHTS =", tuple(round(float(v), 3) for v in weights))
print("SCOPE_BIAS =", round(float(bias), 3))
