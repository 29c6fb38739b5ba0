"""Calibrate the matcher's weights and thresholds on DEVELOPMENT data only.

``.venv/bin/python tests/matching/calibrate.py`` scores every combination in GRID on
tests/matching/dev.yaml plus a 5-fold cross-validation over the FAQ's own example questions (each
fold's examples are taken out of the FAQ and asked), and prints the best: highest top-1 accuracy
with at most 2% confident wrong answers and 3% off-topic answered. Never point it at a held-out
batch: those measure the result.
"""

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import bot.domain.matching as matching  # noqa: E402
from tests.matching.conftest import load_faq, load_smalltalk  # noqa: E402
from tests.matching.evaluation import DEV_SET, Figures, evaluate, load  # noqa: E402

GRID = {
    "SIMILARITY_THRESHOLD": [0.5, 0.55, 0.6, 0.65, 0.7],
    "ANSWER_THRESHOLD": [0.0, 0.2, 0.3, 0.4, 0.5],
    "MIN_LEAD": [0.0, 0.02, 0.04, 0.06, 0.08],
    "LEXICAL_SHARE": [0.0, 0.1, 0.2, 0.3],
}
EMBEDDER = matching.shared_embedder()
FOLDS = 5

faq, smalltalk = load_faq(), load_smalltalk()
dev = {k: v for k, v in load(DEV_SET).items() if k != "checkins"}
folds = []
for fold in range(FOLDS):
    kept, asked = [], {}
    for entry in faq:
        held = entry.examples[fold::FOLDS]
        kept.append(entry.model_copy(update={"examples": [e for e in entry.examples if e not in held]}))
        asked[entry.id] = held
    folds.append((kept, {"faq": asked}))


def combined(parts: list[Figures]) -> Figures:
    total = Figures("all")
    for part in parts:
        for name in ("in_scope", "top1", "confident_wrong", "unsure", "unsure_top3", "off_topic", "off_topic_answered"):
            setattr(total, name, getattr(total, name) + getattr(part, name))
    return total


results = []
for values in itertools.product(*GRID.values()):
    for name, value in zip(GRID, values):
        setattr(matching, name, value)
    parts = [evaluate(matching.FaqMatcher(faq, smalltalk, EMBEDDER), dev, "dev")]
    parts += [evaluate(matching.FaqMatcher(kept, smalltalk, EMBEDDER), asked, "fold") for kept, asked in folds]
    figures = combined(parts)
    ok = figures.confident_wrong_rate <= 0.02 and figures.off_topic_rate <= 0.03
    results.append((ok, figures.top1_rate, figures.unsure_top3_rate, dict(zip(GRID, values)), figures))
results.sort(key=lambda r: (r[0], r[1], r[2]), reverse=True)
for ok, top1, top3, params, figures in results[:8]:
    print(ok, f"top1={top1:.3f} top3={top3:.3f} wrong={figures.confident_wrong_rate:.3f}"
          f" off={figures.off_topic_rate:.3f} n={figures.in_scope}", params)
