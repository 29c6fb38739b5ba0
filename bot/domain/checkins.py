"""A pain check-in written in words: "6", "pain 6", "my back is a 6 today", "today my pain is 4/10".

A message is a check-in when it holds exactly one score from 0 to 10 (digits or a number word,
optionally "/10" or "out of 10") and every other word before a note is a word people use to rate
their pain ("my back is about a", "today", "i'd say"). Anything else — a question, a second number,
a unit ("18 ng/ml", "4 months", "07:30"), a word from another subject — is not a check-in, so
"is 32 a good number" or "my back has hurt for 4 months" never becomes a score.

What follows the score after a comma or a dash is the note: "5, stiff after sitting".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.text import fold

_NUMBER_WORDS = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten".split())}
_SCORE = r"(?P<score>\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")"
_SCALE = r"(?:ish)?(?:\s*(?:/|out of|of)\s*(?:10|ten))?"  # "5ish", "4/10", "6 out of ten"
_PATTERN = re.compile(
    r"(?P<before>[a-z' ,:]*?)\s*\b" + _SCORE + _SCALE + r"\b(?P<after>[a-z' ]*?)"
    r"\s*(?:[,;:.!\-\u2013\u2014]\s*(?P<note>.*))?",
    re.DOTALL,
)

# Words people put around a pain score. Kept short on purpose: an unknown word means "not sure
# this is a check-in", and the bot then answers it as a question instead.
RATING_WORDS = frozenset(
    """
    my me i im id i'd ive its it it's is was a an at about around roughly approx approximately
    maybe probably prob perhaps like say would be guess think call rate rating rated score level
    pain painful pains back backs backache low lower lumbar upper today todays tonight this
    morning afternoon evening night now right currently so far still only just pretty solid
    strong mild sitting honestly ugh
    bad hurting hurts aching aches sore stiff feels feel feeling felt the on scale number no
    ok okay yeah yes hmm um uh well down up to from again am are be been give gives given put
    doing not great good better worse fine rough meh terrible awful
    """.split()
)
# A trailing "?" is a doubt ("maybe a 6?"), unless the message asks about the score ("is a 7 bad?").
QUESTION_WORDS = frozenset("is was are am what whats how hows does do should can could why when".split())
MAX_WORDS = 12  # before the note: "today my lower back pain is about a 4" is nine


@dataclass(frozen=True)
class CheckinWords:
    score: int
    note: str | None


def parse_checkin_words(text: str) -> CheckinWords | None:
    """The score and note of a check-in written in words, or None when it is not one."""
    folded = " ".join(fold(text).split())
    doubt = folded.endswith("?") and "?" not in folded.rstrip("?")
    if doubt:
        folded = folded.rstrip("?").rstrip()
    if not folded or "?" in folded or len(re.findall(r"\d+", folded)) > 2:
        return None
    if re.search(r"\d\s*(?:am|pm|a\.m|p\.m|h)\b", folded):
        return None  # "7 am": a time
    folded = folded.replace("\u2019", "'")
    match = _PATTERN.fullmatch(folded)
    if match is None:
        return None
    score_text = match["score"]
    score = _NUMBER_WORDS.get(score_text, None)
    if score is None:
        score = int(score_text)
    if not 0 <= score <= 10:
        return None
    head = (match["before"].replace(",", " ").replace(":", " ") + " " + match["after"]).split()
    if len(head) > MAX_WORDS or any(word not in RATING_WORDS for word in head):
        return None
    if doubt and (match["after"].strip() or match["note"] or QUESTION_WORDS & set(head)):
        return None
    note = (match["note"] or "").strip() or None
    if note is not None and (re.search(r"\d", note) or note in {"pm", "am"}):
        return None  # "7:30", "6, 7 or 8": a time or a range, not a score with a note
    return CheckinWords(score, note)
