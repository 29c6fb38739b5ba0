"""Print the figures of every evaluation set: ``.venv/bin/python tests/matching/run_eval.py [-v]``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.domain.matching import FaqMatcher  # noqa: E402
from tests.matching.conftest import load_faq, load_smalltalk  # noqa: E402
from tests.matching.evaluation import DEV_SET, HELDOUT_SETS, evaluate, load, pooled  # noqa: E402

matcher = FaqMatcher(load_faq(), load_smalltalk())
only = [a for a in sys.argv[1:] if not a.startswith("-")]
heldout = []
for path in [DEV_SET, *HELDOUT_SETS]:
    if only and path.stem not in only:
        continue
    figures = evaluate(matcher, load(path), path.stem)
    heldout += [figures] if path != DEV_SET else []
    print(figures.report(with_misses="-v" in sys.argv))
if len(heldout) > 1:
    print(pooled(heldout).report(with_misses=False))
