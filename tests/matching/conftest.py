"""Fixtures for the matcher tests: the real FAQ and small talk from content/."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.loader import load_content
from bot.content.models import FaqEntry, SmallTalk
from bot.domain.matching import FaqMatcher
from tests.yaml_files import read_yaml

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"


def load_faq() -> list[FaqEntry]:
    """The FAQ as the bot loads it (answers that point at safety.yaml's texts filled in)."""
    return list(load_content(CONTENT_DIR).faq)


def load_smalltalk() -> list[SmallTalk]:
    data = read_yaml(CONTENT_DIR / "smalltalk.yaml")
    return [SmallTalk.model_validate(item) for item in data["smalltalk"]]


@pytest.fixture(scope="session")
def faq() -> list[FaqEntry]:
    return load_faq()


@pytest.fixture(scope="session")
def smalltalk() -> list[SmallTalk]:
    return load_smalltalk()


@pytest.fixture(scope="session")
def matcher(faq: list[FaqEntry], smalltalk: list[SmallTalk]) -> FaqMatcher:
    return FaqMatcher(faq, smalltalk)
