"""The FAQ matcher and the red-flag detectors are built once per content: loading the content
builds them to check them, and the bot uses what that built (building them again cost 0.4 s at
every start). Operators' commands skip them; anyone who asks later gets them built then."""

from __future__ import annotations

import pytest

from bot.content import readers
from bot.content.loader import default_content_dir, load_content
from bot.content.readers import faq_matcher, readers_of
from bot.domain.matching import FaqMatcher


@pytest.fixture
def matchers_built(monkeypatch) -> list[FaqMatcher]:
    monkeypatch.setattr(readers, "_matchers", {})  # none built for this FAQ yet in this process
    built: list[FaqMatcher] = []
    original = FaqMatcher.__init__

    def counting(self, *args, **kwargs):
        original(self, *args, **kwargs)
        built.append(self)

    monkeypatch.setattr(FaqMatcher, "__init__", counting)
    return built


def test_the_readers_the_check_built_are_the_ones_the_bot_uses(matchers_built):
    content = load_content(default_content_dir())
    assert len(matchers_built) == 1
    matcher, reported, asked = readers_of(content)
    assert matcher is matchers_built[0] and readers_of(content) == (matcher, reported, asked)
    assert len(matchers_built) == 1
    assert reported.detect("I can't feel myself when I wipe") is not None  # they work


def test_operators_commands_load_without_building_them_and_get_them_when_asked(matchers_built):
    content = load_content(default_content_dir(), readers=False)
    assert matchers_built == []
    matcher, _, _ = readers_of(content)
    assert matchers_built == [matcher]
    assert matcher.match("how long until I feel better?").entry is not None


def test_a_folder_loaded_again_with_the_same_faq_shares_its_matcher_and_another_faq_gets_its_own(matchers_built):
    first = readers_of(load_content(default_content_dir()))[0]
    again = readers_of(load_content(default_content_dir()))[0]
    assert again is first and len(matchers_built) == 1
    faq, smalltalk = load_content(default_content_dir(), readers=False).faq, []
    edited = [faq[0].model_copy(update={"answer": faq[0].answer + " More."}), *faq[1:]]
    assert faq_matcher(edited, smalltalk) is not faq_matcher(faq, smalltalk)
    assert len(matchers_built) == 3
