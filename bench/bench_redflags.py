"""Benchmark: how long the red-flag detector (phrases, then the classifier) takes per message.

Run: ``.venv/bin/python bench/bench_redflags.py``. Times ``RedFlagDetector.detect`` on every
message of the red-flag evaluation batches (tests/redflags/eval_*.yaml; nothing is printed but
the figures), first cold (each message once), then warm, in CPU time of the process
(``time.process_time``), and exits 1 when the p99 exceeds the 2 ms budget (docs/SAFETY.md).
"""

from __future__ import annotations

import logging
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.content.loader import default_content_dir, load_content  # noqa: E402
from bot.domain.redflags import RedFlagDetector  # noqa: E402

BUDGET_MS = 2.0


def messages() -> list[str]:
    found: list[str] = []
    for path in sorted((ROOT / "tests" / "redflags").glob("eval_*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found += [s["text"] for s in data["signs"]] + list(data["ordinary"])
    return found


def timed_ms(detector: RedFlagDetector, texts: list[str]) -> list[float]:
    times = []
    for text in texts:
        start = time.process_time()
        detector.detect(text)
        times.append((time.process_time() - start) * 1000)
    return times


def main() -> int:
    logging.disable(logging.WARNING)
    content = load_content(default_content_dir())
    detector = RedFlagDetector(content.safety.red_flags, content.safety.red_flag_words, content.sign_model)
    texts = messages()
    detector.detect("warm up the embedding model")
    worst = 0.0
    for label, times in (("cold", timed_ms(detector, texts)), ("warm", timed_ms(detector, texts * 3))):
        p99 = statistics.quantiles(times, n=100)[98]
        worst = max(worst, p99)
        print(f"{label} n={len(times)}  mean {statistics.mean(times):.3f} ms  p99 {p99:.3f} ms  max {max(times):.3f} ms")
    if worst > BUDGET_MS:
        print(f"FAIL: p99 {worst:.3f} ms exceeds the {BUDGET_MS} ms budget")
        return 1
    print(f"OK: within the {BUDGET_MS} ms budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
