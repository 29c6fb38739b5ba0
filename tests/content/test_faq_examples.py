"""`content check` holds every FAQ entry to 15 or more different example questions, each used by
one entry only: the matcher finds entries through them."""

from __future__ import annotations

from bot.content.loader import check_content
from tests.content.test_matchers_buildable import copy_content, rewrite


def test_an_entry_with_too_few_examples_is_reported(tmp_path):
    folder = copy_content(tmp_path)
    rewrite(folder / "faq.yaml", lambda d: d["faq"][0].update(examples=d["faq"][0]["examples"][:14]))
    problems = [p.message for p in check_content(folder) if p.file.endswith("faq.yaml")]
    assert any("14 different example questions; it needs at least 15" in m for m in problems), problems


def test_repeats_do_not_count_and_an_example_belongs_to_one_entry(tmp_path):
    folder = copy_content(tmp_path)

    def change(data):
        first, second = data["faq"][0], data["faq"][1]
        first["examples"] = first["examples"][:14] + [first["examples"][0].upper()]
        second["examples"].append(first["examples"][1])

    rewrite(folder / "faq.yaml", change)
    problems = [p.message for p in check_content(folder) if p.file.endswith("faq.yaml")]
    assert any("it needs at least 15" in m for m in problems), problems
    assert any("share the example" in m for m in problems), problems


def test_an_unknown_field_next_to_the_examples_is_refused(tmp_path):
    folder = copy_content(tmp_path)
    rewrite(folder / "faq.yaml", lambda d: d["faq"][0].update(exampels=["typo"]))
    assert [p for p in check_content(folder) if p.file.endswith("faq.yaml")]
