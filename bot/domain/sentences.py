"""Reading sentences for red flags: who a sentence is about, whether it asks, where it ends.
Shared by the rules (redflags.py) and the classifier (signclass.py)."""

from __future__ import annotations

from bot.domain.text import tokens

QUESTION_OPENERS = frozenset(
    """what when how why which who where whats is are am can could should would will does do did
    might may shall""".split()
)
SELF = frozenset({"i", "im", "ive", "id", "ill", "me", "my", "myself"})
# A sign that is someone else's ("my mum had cancer") is not the subscriber's red flag.
OTHERS = frozenset(
    """mum mom mother mam dad father friend friends sister brother wife husband partner son
    daughter kid kids child children aunt uncle grandma grandmother nan granny grandpa grandfather
    family colleague coworker neighbour neighbor boss cousin baby dog cat he she someone somebody
    people""".split()
)  # not "they": "they found a tumour" is usually the doctors, about the subscriber


def is_other(word: str) -> bool:
    """A person other than the writer, possessive included ("my dog's legs")."""
    return word in OTHERS or (word.endswith("s") and word[:-1] in OTHERS)


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
