"""`content check` builds the FAQ matcher and the red-flag detector as the bot will, so content
they cannot use is reported with its file, not discovered at start-up."""

from __future__ import annotations

import shutil

import yaml

from bot.content.loader import check_content, default_content_dir


def copy_content(tmp_path):
    target = tmp_path / "content"
    shutil.copytree(default_content_dir(), target)
    return target


def rewrite(path, change):
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def test_a_synonym_group_without_a_term_is_reported_in_the_faq_file(tmp_path):
    folder = copy_content(tmp_path)
    rewrite(folder / "faq.yaml", lambda d: d["faq"][0]["keywords"].append("= d3"))
    problems = check_content(folder)
    assert [p for p in problems if p.file.endswith("faq.yaml") and "synonym group" in p.message]


def test_a_red_flag_phrase_of_only_small_words_is_reported_in_the_safety_file(tmp_path):
    folder = copy_content(tmp_path)
    rewrite(folder / "safety.yaml", lambda d: d["red_flags"][0]["phrases"].append("of the"))
    problems = check_content(folder)
    assert [p for p in problems if p.file.endswith("safety.yaml")]


def test_a_question_about_the_signs_of_only_small_words_is_named_in_the_safety_file(tmp_path):
    folder = copy_content(tmp_path)
    rewrite(folder / "safety.yaml", lambda d: d["signs_questions"].append("is it the"))
    problems = check_content(folder)
    assert [p for p in problems if p.file.endswith("safety.yaml") and "'is it the'" in p.message]


def test_the_real_content_has_no_problems():
    from tests.content.test_real_content import failing_problems

    assert failing_problems(check_content(default_content_dir())) == []
