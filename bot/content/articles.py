"""Articles an operator can broadcast: those loaded at start-up and any added to
``<content dir>/articles/`` since, picked up without a restart."""

from __future__ import annotations

import re
from pathlib import Path

from bot.content.loader import load_article
from bot.content.models import Article, Content

SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")  # a file name in articles/, never a path


def article_slugs(content: Content, content_dir: Path) -> list[str]:
    folder = content_dir / "articles"
    on_disk = {p.stem for p in folder.glob("*.md")} if folder.is_dir() else set()
    return sorted(set(content.articles) | on_disk)


def find_article(content: Content, content_dir: Path, slug: str) -> Article | None:
    """The article called ``slug``, or None. Raises ContentError for a file with problems."""
    article = content.articles.get(slug)
    if article is None and SLUG.fullmatch(slug):
        path = content_dir / "articles" / f"{slug}.md"
        article = load_article(path) if path.is_file() else None
    return article
