"""Reading sentences for red flags: who a sentence is about, whether it asks, where it ends.
Shared by the rules (redflags.py) and the classifier (signclass.py)."""

from __future__ import annotations

from bot.domain.text import tokens

QUESTION_OPENERS = frozenset(
    """what when how why which who where whats wat wot is are am can could should would will does do
    did might may shall""".split()
)
SELF = frozenset({"i", "im", "ive", "id", "ill", "me", "my", "myself"})
# A sign that is someone else's ("my mum had cancer") is not the subscriber's red flag.
OTHERS = frozenset(
    """mum mom mother mam dad father friend friends sister brother wife husband partner son
    daughter kid kids child children aunt uncle grandma grandmother nan granny grandpa grandfather
    family colleague coworker neighbour neighbor boss cousin baby dog cat he she someone somebody
    people grandad granddad gran nana nanna grandson granddaughter grandchild grandkids nephew niece
    stepdad stepmum stepmom hubby missus fiance fiancee boyfriend girlfriend bf gf roommate flatmate
    housemate his toddler youngest eldest oldest mates bestie teenager stepson stepdaughter
    twins chap bloke""".split()
)  # not "they": "they found a tumour" is usually the doctors, about the subscriber
PRONOUNS = frozenset({"he", "she", "his", "her", "him", "hers", "himself", "herself", "hes", "shes"})
# "Typing for my dad", "writing for Mum", "asking for my husband", "on behalf of my wife".
_FOR_SOMEONE = frozenset({"typing", "writing", "asking", "messaging", "texting", "doing", "sending", "replying"})
_REPORTS = frozenset({"says", "said", "reckons", "complains", "complaining", "asked"})
_BACK = frozenset({"back", "backs", "spine", "spinal", "backache", "lumbar", "sciatica"})
_CLAUSE_ENDS = frozenset(".,;:!?()")
_PETS = frozenset({"dog", "cat"})  # someone else, but never the one the message is written for


_WH = frozenset({"what", "how", "which"})  # not "why": "why am I losing weight" reports
_AUXILIARIES = frozenset({"can", "could", "does", "do", "is", "are", "will", "would", "should"})
_ASKED = frozenset({"u", "you", "i", "it", "this", "that", "there", "vitamin", "low", "a", "an", "the"})


def asks(sentence: list[str]) -> bool:
    """A question typed without its question mark: "how common is foot drop with a disc", "can u
    get incontinence from vitamin d" (not "can barely walk", not "is getting worse")."""
    words = [w for w in sentence if w[0].isalnum()]
    if not words or words[1:2] == ["come"]:  # "how come I can't pee" reports
        return False
    return words[0] in _WH or (words[0] in _AUXILIARIES and words[1:2] != [] and words[1] in _ASKED)


def is_other(word: str) -> bool:
    """A person other than the writer, possessive included ("my dog's legs")."""
    return word in OTHERS or (word.endswith("s") and word[:-1] in OTHERS)


def _person(word: str) -> str:
    """"dads" -> "dad": the person a word names, possessive set aside ("" for a pet or a pronoun)."""
    person = word if word in OTHERS else word[:-1]
    return "" if person in _PETS or word in PRONOUNS else person


def patient(raw: list[str]) -> frozenset[str]:
    """When a message is written for someone else ("typing for my dad", "Mum says ...") or speaks
    of another person's back ("her back has gone", "Dad has bad back pain") and never of the
    writer's own, the words that name that person: their signs are the message's signs. Other
    people named beside them stay others ("it's Dad who had the fall, not Mum"). Empty when the
    writer speaks of their own back, or of nobody's."""
    nouns: list[str] = []
    written_for = other_back = own_back = False
    for i, word in enumerate(raw):
        after = [w for w in raw[i + 1:i + 4] if w not in ("my", "our", "this")]
        if word in _FOR_SOMEONE and after[:1] == ["for"] and len(after) > 1 and is_other(after[1]):
            written_for = True
            nouns.append(_person(after[1]))
        elif word == "behalf" and after[:1] == ["of"] and len(after) > 1 and is_other(after[1]):
            written_for = True
            nouns.append(_person(after[1]))
        elif (is_other(word) or word in PRONOUNS) and i + 1 < len(raw) and raw[i + 1] in _REPORTS:
            written_for = True
            nouns.append(_person(word))
        elif word in _BACK:
            # The nearest person before "back" in its clause: "my back", "her back", "Dad has bad back pain".
            for j in range(i - 1, -1, -1):
                if raw[j] in _CLAUSE_ENDS:
                    break
                if raw[j] in SELF:
                    own_back = True
                    break
                if is_other(raw[j]) or raw[j] in PRONOUNS:
                    if raw[j] in PRONOUNS or _person(raw[j]):  # not "my dog's back legs"
                        other_back = True
                        nouns.append(_person(raw[j]))
                    break
    if not (written_for or (other_back and not own_back)):
        return frozenset()
    first = next((n for n in nouns if n), None) or next((_person(w) for w in raw if is_other(w) and _person(w)), None)
    named = {first, first + "s"} if first else set()
    return frozenset(PRONOUNS | named)


def sentence_tokens(text: str) -> list[str]:
    """The shared pipeline's tokens, a decimal kept whole: "38.9" does not end a sentence."""
    out: list[str] = []
    for token in tokens(text):
        if out and len(out) >= 2 and out[-1] in ".," and out[-2].isdigit() and token.isdigit():
            out[-2:] = [f"{out[-2]}.{token}"]
        else:
            out.append(token)
    return out


def is_number(word: str) -> bool:
    return word.replace(".", "", 1).isdigit()
