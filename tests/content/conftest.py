"""Fixtures: a private, editable copy of the real content folder for each test that breaks it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content.loader import default_content_dir, load_content
from bot.content.models import Content

FIXTURES = Path(__file__).parent / "fixtures"
SOURCE_ARTICLE = FIXTURES / "article.txt"  # a copy of the seed article the content is built from
SITE_ARTICLES = FIXTURES / "site-more-articles.txt"


def copy_content(destination: Path) -> Path:
    """The real content folder, with the FAQ and small talk filled in from fixtures if absent."""
    target = destination / "content"
    shutil.copytree(default_content_dir(), target)
    for name in ("faq.yaml", "smalltalk.yaml"):
        if not (target / name).exists():
            shutil.copy(FIXTURES / name, target / name)
    return target


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    return copy_content(tmp_path)


@pytest.fixture(scope="session")
def content(tmp_path_factory: pytest.TempPathFactory) -> Content:
    return load_content(copy_content(tmp_path_factory.mktemp("real")))
