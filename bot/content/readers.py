"""What reads a subscriber's words, built from the content: the FAQ matcher and the red-flag
detectors (the signs reported, and questions about the signs).

Built once per content object. Loading the content builds them to check that they can be built
(`bot.content.loader`), and keeps what it built here, so the bot does not build them a second time
at start-up (0.4 s). A process runs one bot, but the tests start hundreds from one content. They
never change once built (their caches only memoise), so sharing them changes no answer; holding
the content keeps its id from being reused while kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from bot.content.models import Content, FaqEntry, RedFlag, Safety, SignModelData, SmallTalk
from bot.domain.matching import FaqMatcher
from bot.domain.redflags import RedFlagDetector

Readers = tuple[FaqMatcher, RedFlagDetector, RedFlagDetector]
_kept: dict[int, tuple[Content, Readers]] = {}  # by id(content), holding the content itself
_matchers: dict[str, FaqMatcher] = {}  # by a digest of the FAQ and small talk they were built from
_KEEP = 4  # tests load a few contents of their own; the latest are kept


def readers_of(content: Content) -> Readers:
    """The FAQ matcher, the detector of reported signs and the one of questions about them."""
    kept = _kept.get(id(content))
    if kept is not None and kept[0] is content:
        return kept[1]
    readers = (faq_matcher(content.faq, content.smalltalk), *sign_detectors(content.safety, content.sign_model))
    keep(content, readers)
    return readers


def faq_matcher(faq: Sequence[FaqEntry], smalltalk: Sequence[SmallTalk]) -> FaqMatcher:
    """The matcher of exactly this FAQ and small talk: a folder loaded again with them unchanged
    (`content check` after an edit elsewhere; the content tests, a few hundred loads) gets the one
    already built, not another (0.2-0.3 s each)."""
    key = hashlib.sha256("\n".join(item.model_dump_json() for item in (*faq, *smalltalk)).encode()).hexdigest()
    matcher = _matchers.get(key)
    if matcher is None:
        matcher = FaqMatcher(faq, smalltalk)
        if len(_matchers) >= _KEEP:
            _matchers.pop(next(iter(_matchers)))
        _matchers[key] = matcher
    return matcher


def sign_detectors(safety: Safety, sign_model: SignModelData | None) -> tuple[RedFlagDetector, RedFlagDetector]:
    signs = RedFlag(id="signs-question", label="asks for the warning signs", level="prompt",
                    phrases=safety.signs_questions)
    return (
        RedFlagDetector(safety.red_flags, safety.red_flag_words, sign_model),
        RedFlagDetector([signs] if signs.phrases else [], safety.red_flag_words),
    )


def keep(content: Content, readers: Readers) -> None:
    if len(_kept) >= _KEEP:
        _kept.pop(next(iter(_kept)))
    _kept[id(content)] = (content, readers)
