"""Faithful claims: what our texts attribute to the article must be in the article.

Three rules, run by ``vitd-bot content check`` over the program, the FAQ, the bands and the
safety texts (content/README.md explains them to authors):

1. **Quotes.** A passage of three or more words in double quotes ("..." or “...”) is a quote of
   the article: it must appear in the article word for word, after folding case, accents,
   quotes, dashes, Markdown and whitespace.
2. **"The article says ..."** A sentence that attributes something to the article ("the article
   says / calls / notes / lists / recommends ...", "according to the article") is backed only if
   every content word of the attributed clause (up to the next ``:``, ``;``, dash or ", and"),
   numbers included, occurs in the article (compared on Snowball stems). "The article says retest
   after 8-12 weeks" fails on "retest" and "12".
3. **FAQ sources.** A sentence of an FAQ answer that is mostly article text (half or more of its
   content words occur in the article) must come from the section the entry names as ``source``:
   at least 80% of its content words occur in that section. Sentences in the program's own words
   (instructions such as "Send /level ...") are not article text and are not held to a source.

The article is the content's sections: they are the article, one file per section.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.text import stem

MIN_QUOTE_WORDS = 3
ARTICLE_SHARE = 0.5  # of a sentence's content words found in the article: it is article text
SOURCE_SHARE = 0.8  # of an article sentence's content words that its source section must hold

_QUOTE = re.compile(r"[\"“”]([^\"“”\n]+?)[\"“”]")
_ATTRIBUTION = re.compile(
    r"\b(?:the article(?:'s)?\s+(?:also\s+|only\s+)?"
    r"(?:says?|said|calls?|called|notes?|explains?|lists?|describes?|recommends?|suggests?|advises?"
    r"|mentions?|states?|gives?|names?|adds?|warns?|puts it)"
    r"|according to the article)\b[\s,:]*",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[:;\x00\u2014]|\s[\u2013-]\s|,\s+(?:and|but|so|which)\b|$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_MARKDOWN = re.compile(r"\*\*|__|[*_`>#]|\[([^\]]*)\]\([^)]*\)")
_WORD = re.compile(r"[a-z]+|\d+(?:\.\d+)?")

# Words that carry no claim: function words, reporting verbs, and the words texts use to talk
# about a result or the article itself.
_STOP = frozenset(
    """a an the and or but if then than that this these those it its it's is are was were be been
    being am do does did have has had having of in on at to for with by from as into about over
    under up down out off so such not no nor only also very more most much many some any all each
    every both either neither other own same too can could should would will may might must shall
    you your yours we our us they them their he she his her i me my mine what which who whom whose
    when where why how there here just still even again ever once while because whether
    say says said call calls called note notes noted explain explains list lists describe describes
    recommend recommends suggest suggests advise advises mention mentions state states give gives
    name names add adds warn warns put puts according article article's articles
    one two well far yours result results range ranges value values band bands anything something
    reading today day days""".split()
)


@dataclass(frozen=True)
class Unbacked:
    """A text that attributes something to the article that the article does not say."""

    text: str  # the quote, claim or sentence, as written
    missing: tuple[str, ...]  # the words the article (or the source section) lacks
    kind: str  # "quote", "claim" or "source"

    def describe(self) -> str:
        if self.kind == "quote":
            return f"the quote “{_short(self.text)}” is not in the article word for word"
        where = "the article" if self.kind == "claim" else "its source section"
        return f"“{_short(self.text)}”: not in {where}: {', '.join(self.missing)}"


class Article:
    """The article's text, ready for the three rules."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.text = " ".join(texts)
        self.flat = flatten(self.text)
        self.stems = frozenset(_stems(self.text))


def flatten(text: str) -> str:
    """Case, accents, quotes, dashes, Markdown and whitespace folded, for word-for-word checks."""
    text = _MARKDOWN.sub(lambda m: m.group(1) or "", text)
    text = re.sub(r"(?m)^\s*[-•]\s+", "", text)  # list markers
    text = re.sub(r"[\u2010-\u2015]", "-", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[\"'`]", "", text.lower())
    return " ".join(re.sub(r"[^a-z0-9%/.-]+", " ", text).split()).strip(" .")


def content_words(text: str) -> list[str]:
    text = re.sub(r"[\u2010-\u2015/]", " ", text)  # "strain—deep", "20–30", "ng/mL": two words each
    folded = unicodedata.normalize("NFKD", _MARKDOWN.sub(lambda m: m.group(1) or "", text))
    folded = folded.encode("ascii", "ignore").decode("ascii").lower().replace("'", "").replace("\u2019", "")
    return [w for w in _WORD.findall(folded) if w not in _STOP and (len(w) > 2 or w.isdigit())]


def _stems(text: str) -> list[str]:
    return [stem(w) for w in content_words(text)]


def quotes_not_in(article: Article, text: str) -> list[Unbacked]:
    found = []
    for match in _QUOTE.finditer(text):
        quoted = match.group(1)
        if len(content_words(quoted)) + len(re.findall(r"\b(?:the|and|of|a|in)\b", quoted)) < MIN_QUOTE_WORDS:
            continue
        if flatten(quoted) not in article.flat:
            found.append(Unbacked(quoted.strip(), (), "quote"))
    return found


def claims_not_in(article: Article, text: str) -> list[Unbacked]:
    unquoted = _QUOTE.sub(" \x00 ", text)  # a quoted claim is the quote rule's; the claim stops there
    found = []
    for match in _ATTRIBUTION.finditer(unquoted):
        rest = unquoted[match.end():]
        rest = _SENTENCE.split(rest, maxsplit=1)[0]
        end = _CLAUSE_END.search(rest)  # "$" in the pattern: it always matches
        claim = rest[: end.start() if end else len(rest)].strip()
        missing = tuple(dict.fromkeys(w for w in content_words(claim) if stem(w) not in article.stems))
        if missing:
            found.append(Unbacked(f"{match.group(0).strip()} {claim}".strip(), missing, "claim"))
    return found


def sentences_not_in_source(article: Article, section_text: str, answer: str) -> list[Unbacked]:
    section = frozenset(_stems(section_text))
    found = []
    lines = [" ".join(line.split()).lstrip("-• ") for line in _QUOTE.sub(r"\1", answer).splitlines()]
    for sentence in (part for line in lines for part in _SENTENCE.split(line)):
        words = content_words(sentence)
        if not words:
            continue
        in_article = [w for w in words if stem(w) in article.stems]
        if len(in_article) < ARTICLE_SHARE * len(words):
            continue  # the program's own words, not a claim about the article
        missing = [w for w in words if stem(w) not in section]
        if len(missing) > (1 - SOURCE_SHARE) * len(words):
            found.append(Unbacked(sentence, tuple(dict.fromkeys(missing)), "source"))
    return found


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return f"{cut}…"
