"""A pain check-in written in words: "6", "pain 6", "my back is a 6 today", "tbh a 6 after gardening".

A short message that holds exactly one score from 0 to 10 (digits or a number word, optionally
"/10" or "out of 10") and is not a question is a check-in candidate, whatever words surround it;
"no pain (at all)" and "pain free" mean 0. The bot confirms a candidate with buttons before it
saves it, so a wrong guess costs one tap; but what clearly is something else is refused:

- a question ("is 6 ok?", "what does a 7 mean"); a trailing "?" alone is a doubt ("maybe a 6?");
- a second number ("6 or 7", "6-7"), a time ("07:30", "7 am", "at 7"), a date ("5 may", "5th");
- a number with a unit or a thing counted after it ("1000 iu", "30 ng/ml", "6 weeks", "2 kids"),
  or a counter before it ("day 5", "week 2", "level 30", "x2");
- words of another subject: vitamin D results and doses, ages, other people ("my son is 10").

What follows the score after a comma or a dash is the note ("5, stiff after sitting"), and so are
words after the score that say what happened ("a 6 after gardening").
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from bot.domain.text import fold

_NUMBER_WORDS = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten".split())} | {"nought": 0}
_TOKEN = re.compile(r"\d+(?:[.,:]\d+)?|[a-z]+|[^\sa-z\d]")
# "4/10", "6 out of ten": the scale is no second number.
_SCALE = re.compile(r"(\d|\b(?:" + "|".join(_NUMBER_WORDS) + r"))\s*(?:/|out of|outta|outa|of|from)\s*(?:10|ten)\b")
_SEPARATORS = frozenset(",;:.!-\u2013\u2014()")
MAX_WORDS = 10  # before the note: a check-in is short
MAX_NOTE_WORDS = 25

QUESTION_STARTS = frozenset(
    "is was are what whats how hows does do did should can could why when where which who will would "
    "shall may might".split()
)
# A trailing "?" is a doubt ("maybe a 6?"), unless the message asks about the score ("is a 7 bad?").
QUESTION_WORDS = QUESTION_STARTS | frozenset("ok okay bad good normal high low fine".split())
# Words right after the number that make it a count or a measure, not a score.
UNITS = frozenset(
    """
    iu ius mg mcg ug ng nmol ml l kg kgs kilo kilos lb lbs pound pounds stone g gram grams k x percent
    pct units unit tablet tablets pill pills capsule capsules drop drops dose doses softgels day days
    week weeks wk wks month months mo mos year years yr yrs yo y hour hours hr hrs h min mins minute
    minutes sec secs second seconds am pm oclock times time st nd rd th jan january feb february mar
    march apr april may jun june jul july aug august sep sept september oct october nov november dec
    december kids kid children child sons son daughters daughter people person friends dogs cats foot
    feet ft inch inches cm metre metres meter meters steps step miles mile km laps reps sets flights
    stairs cups glasses coffees discs disc vertebrae bones levels injections tests results nights
    questions question thing things ways stars star reasons more less fewer extra of other others
    different new old bulging herniated slipped
    """.split()
)
# Words right before the number that make it a counter: "day 5", "week 2", "level 30" (not "pain level 2").
COUNTERS = frozenset(
    """
    day days week weeks month months year years level dose page step chapter lesson number no size under
    over above below than times x vitamin d d3 iu mg jan feb mar apr jun jul aug sep sept oct nov dec
    january february march april june july august september october november december aged age omega
    covid type stage grade phase version part section question item point zone room bus route channel
    season episode track count timer alarm remind call in for by from before after within top first last
    next every list name have has had got take took taking need needs bought ate drank walked ran slept
    lost gained
    """.split()
)
# Words that put the message on another subject wherever they are.
_SPANS = frozenset("weeks months years days hours minutes".split())
OTHER_SUBJECT = frozenset(
    """
    vitamin d3 iu ng nmol mcg mg dose dosage supplement supplements tablet tablets pill pills vit vitd d
    lab labs reading result results test tested blood old aged age birthday son daughter kid kids child
    children baby grandson granddaughter grandkid grandkids niece nephew toddler boy girl teen teenager
    twins cat cats dog dogs pet puppy kitten car husband wife mum mom dad he she his her they their
    pregnant bot app mri scan scans xray ray ct imaging weeks months years days hours minutes oclock
    program programme protocol lesson
    """.split()
)
# Words that are no plural noun though they end in "s": "8 hurts a lot", "2 thanks".
_NOT_PLURAL = frozenset(
    "hurts pains aches thanks this was is as its yes always sometimes stays feels seems lots plus".split()
)
# What says the number is a rating when the message has more to it than a few words.
PAIN_CONTEXT = frozenset(
    """
    pain pains painful back backs hurt hurts hurting sore ache aches aching stiff score rate rating
    rated feel feels feeling today todays tonight morning mornin evening afternoon arvo
    """.split()
)
AT_A_SCORE = frozenset(
    "is its im pain pains back backs sitting stays stayed still currently hovering around about was be put it now today were"
    .split()  # "we're at 3" (folded "were")
)
# What may follow a score written as a word: "seven today", "three, stiff", "nine cannot move".
WORD_SCORE_FOLLOWERS = frozenset(
    """
    pain today tonight now this again still finally yay thank thanks atm rn tbh i lol maybe probably
    after since but out ish cannot cant id say mate pal hun
    """.split()
)
_RISEN = frozenset("up down back dropped went gone climbed crept improved eased".split())  # "down to 3"
RATING_LEAD = frozenset("to a at is its about around maybe like say prob probably reckon guess solid only just still".split())
_ZERO = re.compile(r"^(?:(?:nothing(?: at all)?(?: today| this morning| tonight)?[,;:.!-]+ )?"
                   r"(?:i have |i m |im |my back is |back is |totally |completely |basically )?"
                   r"(?:no|zero) (?:back )?pain(?: at all)?|pain ?free|not in (?:any )?pain)(?P<rest>.*)$")
# A number glued to letters is a name or a measure: "d3", "b12", "l4", "5th", "2x", "10k" (not "5ish").
_GLUED = re.compile(r"[a-z]\d|\d(?!ish)[a-z]")
_TIME = re.compile(r"\d\s*(?:am|pm|a\.m|p\.m|h|o ?clock)\b|\d[:.]\d\d")


@dataclass(frozen=True)
class CheckinWords:
    score: int
    note: str | None


def _clean_note(typed: str) -> str | None:
    text = typed.strip(" ,;:.!-\u2013\u2014")
    return text if re.search(r"[a-z]", text) else None  # ":)" is no note


_ZERO_FOLLOWERS = frozenset("today now this tonight at all".split())


def _zero_checkin(folded: str) -> CheckinWords | None:
    """ "no pain at all today", "pain free!": a 0, with what follows a separator as the note."""
    match = _ZERO.match(folded.replace("pain-free", "pain free", 1))
    if match is None:
        return None
    rest = match["rest"].strip()
    separated = re.match(r"[,;:.!\-]", rest) is not None
    first = re.findall(r"[a-z]+", rest)[:1]
    if re.search(r"\d", rest) or (first and not separated and first[0] not in _ZERO_FOLLOWERS):
        return None  # "no pain relief works", "no pain no gain"
    return CheckinWords(0, None if first and first[0] in _ZERO_FOLLOWERS else _clean_note(rest))


def _refused_around(before: list[str], after: list[str], in_words: bool) -> bool:
    """Does the word right before or after the number make it something other than a score?"""
    last, next_ = (before or [""])[-1], (after or [""])[0]
    previous = (before[-2:-1] or [""])[0]
    return bool(
        # "the three closest" (but "a two the day": Scots for today)
        (in_words and next_[:1].isalpha() and next_ not in WORD_SCORE_FOLLOWERS and after[:2] != ["the", "day"])
        or (next_.endswith("s") and len(next_) > 3 and next_ not in _NOT_PLURAL)  # "5 exercises": a count
        or next_ in UNITS or next_ in {"/", "+", "*", "x", "%"} or next_[:1].isdigit()
        or (len(last) == 1 and last.isalpha() and last not in {"a", "i"})  # "omega 3", "l 4"
        or ((last in COUNTERS or last in {"#", "x", "/", "+", "*"}) and not (last in {"level", "no"} and "pain" in before))
        or {"since", "when", "until", "till"} & set(before)  # "since i was 9"
        or (last == "to" and previous not in _RISEN)  # "count to 10", "from 8 to 3"
        or (last == "at" and previous not in AT_A_SCORE)  # "at 7", "worse at 3": a time, not "pain is at 6"
    )


_PEOPLE = frozenset("mum mom dad husband wife he she his her they their".split())


def _forgiven(before: list[str], *, scale: bool) -> frozenset[str]:
    """Words of another subject that do not refuse this score: spans of time when the score has
    its scale ("1/10 best day in months"), and other people when "pain" comes right before it
    ("my mum says her pain is 6 today": a relative typing for the subscriber; confirmed anyway)."""
    forgiven = _SPANS if scale else frozenset()
    words = [t for t in before if t[0].isalpha()]
    rated = words[-1:] == ["pain"] or words[-2:] in (["pain", "is"], ["pain", "s"], ["pain", "at"])
    return forgiven | _PEOPLE if rated else forgiven


def parse_checkin_words(text: str) -> CheckinWords | None:
    """The score and note of a check-in written in words, or None when it is not one."""
    folded = " ".join(fold(text).replace("\u2019", "'").split())
    doubt = folded.endswith("?") and "?" not in folded.rstrip("?")
    if doubt:
        folded = folded.rstrip("?").rstrip()
    if not folded or "?" in folded or _TIME.search(folded) or _GLUED.search(folded):
        return None
    scaled = _SCALE.sub(r"\1", folded)
    found = list(_TOKEN.finditer(scaled))
    tokens = [m.group() for m in found]
    # The first word before the score: "is 6 ok" asks; "9, can hardly sit" and "10/10 can barely
    # sit" do not (what follows the score is `_asks`'s); "is two today" is "(it) is two today".
    first_clause = tokens[:next((i for i, t in enumerate(tokens) if t in _SEPARATORS), len(tokens))]
    lead = list(itertools.takewhile(lambda t: not (t[0].isdigit() or t in _NUMBER_WORDS), first_clause))
    first = next((t for t in lead if t[0].isalpha()), "")
    stated = lead == ["is"] and {t for t in first_clause[2:] if t[0].isalpha()} <= PAIN_CONTEXT | {"my", "now", "still"}
    if first in QUESTION_STARTS and not stated:
        return None
    candidates = [i for i, t in enumerate(tokens) if t[0].isdigit()]
    in_words = not candidates
    if in_words:
        candidates = [i for i, t in enumerate(tokens) if t in _NUMBER_WORDS and not _counted_one(tokens, i)]
        if not candidates:
            return None if doubt else _zero_checkin(folded)
    if len(candidates) != 1:
        return None
    at = candidates[0]
    if not in_words and not tokens[at].isdigit():
        return None  # "5.5", "7,5": no score on the 0-10 scale
    score = int(tokens[at]) if not in_words else _NUMBER_WORDS[tokens[at]]
    before, after = [t for t in tokens[:at] if t not in {":", "="}], tokens[at + 1:]
    start = at + 1
    if after[:1] == ["ish"]:  # "5ish"
        after, start = after[1:], start + 1
    # "0 energy" is none, but "0/10 best day in ages" has its scale
    if score > 10 or _refused_around(before, after, in_words or (score == 0 and scaled == folded)):
        return None
    cut = next((i for i, t in enumerate(after) if t in _SEPARATORS), len(after))
    head, note_tokens = [t for t in before + after[:cut] if t[0].isalpha()], after[cut + 1:]
    anchored = len(head) <= 3 or not before or PAIN_CONTEXT & set(head) or before[-1] in RATING_LEAD or cut == 0
    subject = {w for w in head if w.startswith(("vit", "suppl", "tablet", "capsul", "dosag", "dosing"))}
    if (
        subject or not anchored  # "give me 5 exercises": nothing says the number rates pain
        or len(head) > MAX_WORDS or sum(t[0].isalpha() for t in note_tokens) > MAX_NOTE_WORDS
        or set(head) & OTHER_SUBJECT - _forgiven(before, scale=scaled != folded)
        or ("level" in head and "pain" not in head)
        or (doubt and (after[:cut] or note_tokens or QUESTION_WORDS & set(head)))
        or any(_asks(clause) for clause in (after[:cut], note_tokens))  # "9, can i take tramadol"
        or any(t[0].isdigit() for t in note_tokens)  # "6, 7 or 8": a range
    ):
        return None
    # The note as typed (folded), not as tokens: "**stiff**" stays "**stiff**".
    note = _clean_note(scaled[found[start + cut].end():]) if note_tokens else None
    if note is None and after[:1] and after[0] in {"after", "since", "from", "because", "cause", "cos", "but", "with"}:
        note = _clean_note(scaled[found[start].start():found[start + cut - 1].end()])  # "a 6 after gardening"
    return CheckinWords(score, note)


_AUXILIARIES = frozenset("is was are were did does do can could should".split())  # not "10/10 would recommend"
_SUBJECTS = frozenset("i you u it he she they we this that these those my your his her their there the a an".split())


def _asks(clause: list[str]) -> bool:
    """Does this clause ask something: "can i take...", "what should i do", "i need help"?"""
    words = [t for t in clause if t[0].isalpha()]
    if not words or words[0] not in QUESTION_STARTS | {"i", "help"}:
        return False
    if words[0] == "i":
        return words[1:2] in (["need"], ["want"], ["wonder"], ["wondered"])
    if words[1:2] and words[1] in {"barely", "hardly", "not", "only", "just", "finally", "still"}:
        return False  # "8, could barely get dressed": what the pain did, not a question
    if words[0] in _AUXILIARIES and words[1:2] and words[1] not in _SUBJECTS:
        return False  # "7, was lifting boxes at work": no subject after the verb, so no question
    return words[0] == "help" or len(words) >= 2


_NOT_A_SCORE_BEFORE_ONE = frozenset(
    "the which that this no any every each another some nice good great wrong right same rough bad tough hard long"
    .split()  # "nice one", "nine, rough one"
)


def _counted_one(tokens: list[str], i: int) -> bool:
    """ "one" that is no score: "the one", "one of", "one more", "which one"."""
    if tokens[i] != "one":
        return False
    previous = tokens[i - 1] if i else ""
    following = tokens[i + 1] if i + 1 < len(tokens) else ""
    return previous in _NOT_A_SCORE_BEFORE_ONE or (
        following in {"of", "more", "day", "thing", "time", "week", "month", "year", "side", "leg", "bit"}
    )
