"""Medical questions the article cannot answer: the bot refers them to a doctor or pharmacist.

The article is about vitamin D and back pain in general. It says nothing about pregnancy or
breastfeeding, children, other medicines and conditions, treatments other than its own, or what a
particular person's pain is; and the bot is not a clinician. A question in one of those areas gets
one clear reply ("this program can't advise on that; ask your doctor or pharmacist"), even when it
also names an FAQ topic: "how much vitamin D can I give my 6-year-old" is about a child first.

Each topic is a set of word patterns over the folded text (bot.domain.text.fold), because these
words are few, well known and decisive; ``referral_topic`` returns the first topic found.
"""

from __future__ import annotations

import re

from bot.domain.text import fold

_ADULT_AGE = 18


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


TOPICS: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...] = (
    ("pregnancy", (
        _words(r"pregnan\w*", r"breast ?fe\w*", r"nursing", r"lactat\w*", r"trimester",
               r"conceiv\w*", r"ttc", r"fertility", r"ivf", r"expecting a baby"),
    )),
    ("children", (
        _words(r"child", r"children", r"childs", r"kids?", r"sons?", r"daughters?", r"bab(?:y|ies)",
               r"toddlers?", r"infants?", r"newborns?", r"teens?", r"teenagers?", r"grand(?:child\w*|son|daughter)",
               r"my (?:boy|girl)", r"rickets", r"pediatric\w*", r"paediatric\w*"),
    )),
    ("medicines", (
        _words(r"warfarin", r"coumadin", r"eliquis", r"apixaban", r"xarelto", r"rivaroxaban",
               r"blood thinners?", r"anticoagulants?", r"statins?", r"\w+statin", r"levothyroxine",
               r"thyroxine", r"metformin", r"insulin", r"antidepressants?", r"ssris?", r"sertraline",
               r"fluoxetine", r"steroids?", r"prednis\w*", r"cortisone", r"ibuprofen", r"naproxen",
               r"nsaids?", r"paracetamol", r"acetaminophen", r"tylenol", r"advil", r"aspirin",
               r"tramadol", r"codeine", r"morphine", r"opioids?", r"oxycodone", r"gabapentin",
               r"pregabalin", r"lyrica", r"diuretics?", r"digoxin", r"anticonvulsants?", r"phenytoin",
               r"medications?", r"medicines?", r"meds", r"prescriptions?", r"prescribed?", r"drugs?",
               r"the pill", r"contracepti\w*", r"birth control", r"interacts?", r"interactions?",
               r"vitamin k2?", r"k2", r"chemo\w*", r"supplements? i (?:am|m) on"),
        re.compile(r"\b(?:which|what|best|stop|stopping|take|taking|ok|okay|safe|strong\w*)\b.*\bpain ?killers?\b"),
        re.compile(r"\bpain ?killers?\b.*\b(?:ok|okay|safe|take|stop|best|work)\b"),
    )),
    ("conditions", (
        _words(r"kidneys?", r"renal", r"liver", r"sarcoid\w*", r"hypercalc\w*", r"\w*parathyroid\w*",
               r"cancer", r"tumou?rs?", r"diabet\w*", r"epilep\w*", r"seizures?", r"thyroid",
               r"heart (?:condition|disease|problems?|pills|medication|meds)", r"blood pressure",
               r"crohn\w*", r"c[oe]eliac", r"gastric bypass", r"lupus", r"rheumatoid", r"alcohol",
               r"beer", r"wine", r"booze"),
    )),
    ("diagnosis", (
        re.compile(r"\b(?:do|could|might|may|have) i (?:have|got)\b(?! to\b)"),
        re.compile(r"\bhave i got\b"),
        _words(r"diagnose me", r"diagnose my \w+", r"diagnose (?:it|this)", r"you diagnose",
               r"whats wrong with (?:me|my \w+)", r"what is wrong with (?:me|my \w+)",
               r"fibromyalgia", r"stenosis", r"bow legs", r"bowed legs"),
        re.compile(r"\bcan you tell (?:me )?if i\b"),
    )),
    ("about-the-bot", (
        re.compile(r"\bare you (?:a |an )?(?:real |actual |qualified |licensed |proper |certified )?"
                   r"(?:doctor|dr|physician|nurse|pharmacist|human|person|medical\w*|professional|expert|qualified)\b"),
        _words(r"scam", r"scams", r"legit", r"legitimate", r"fake", r"trustworthy", r"trust (?:you|this|it)",
               r"who (?:made|built|runs|owns|is behind) (?:you|this)", r"qualified", r"is this real"),
    )),
    ("other-treatments", (
        _words(r"surgery", r"surgeon", r"operation", r"chiropract\w*", r"chiro", r"osteopath\w*",
               r"acupunct\w*", r"injections?", r"epidural", r"heat (?:pad|pack)s?", r"heating pad",
               r"ice ?packs?", r"ice or heat", r"heat or ice", r"tens machine", r"massage",
               r"tonight", r"right now", r"cant sleep", r"cannot sleep", r"prescribe"),
    )),
)

_AGE = re.compile(r"\b(\d{1,2}) ?(?:-| )?(?:years?|yrs?|y) ?(?:-| )?old\b|\b(\d{1,2}) ?yo\b|\b(\d{1,2}) ?months? old\b")


def referral_topic(text: str) -> str | None:
    """The topic of a question the article cannot answer, or None."""
    folded = " ".join(fold(text).replace("-", " ").split())
    for topic, patterns in TOPICS:
        if any(pattern.search(folded) for pattern in patterns):
            return topic
    for match in _AGE.finditer(folded):
        age = match.group(1) or match.group(2)
        if match.group(3) or (age is not None and int(age) < _ADULT_AGE):
            return "children"
    return None
