"""Each kind of broken content gives a clear problem naming the file (and the line where known)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.loader import ContentError, ContentProblem, check_content, load_article, load_content


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    hits = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def _only(problems: list[ContentProblem], file: str, fragment: str) -> ContentProblem:
    matching = [p for p in problems if p.file == file and fragment in p.message]
    assert len(matching) == 1, f"expected one '{fragment}' in {file}, got: {[str(p) for p in problems]}"
    return matching[0]


def test_a_missing_day_is_named(content_dir: Path) -> None:
    program = content_dir / "program.yaml"
    _edit(program, "  - day: 12\n", "  - day: 31\n")
    problems = check_content(content_dir)
    _only(problems, "content/program.yaml", "day 12 is missing")
    too_far = _only(problems, "content/program.yaml", "day 31")
    assert too_far.line == _line_of(program, "- day: 31")


def test_a_duplicate_day_is_named_at_its_second_line(content_dir: Path) -> None:
    program = content_dir / "program.yaml"
    _edit(program, "  - day: 5\n", "  - day: 4\n")
    problems = check_content(content_dir)
    twice = _only(problems, "content/program.yaml", "day 4 is listed twice")
    assert twice.line == _line_of(program, "- day: 4", occurrence=2)
    assert f"first on line {_line_of(program, '- day: 4')}" in twice.message
    _only(problems, "content/program.yaml", "day 5 is missing")


@pytest.mark.parametrize(
    ("file", "old", "new", "line_needle"),
    [
        ("program.yaml", "  - day: 3\n", "  - day: 3\n   bad: [\n", "bad: ["),
        ("bands.yaml", "    label: Insufficient\n", "    label: Insufficient\n  oops\n", "oops"),
        ("safety.yaml", "consent_prompt: >-\n", "consent_prompt: >-\n\t\n", None),
        ("faq.yaml", "faq:\n", "faq:\n  - id: [unclosed\n", None),
    ],
)
def test_bad_yaml_names_the_file_and_a_line(content_dir: Path, file, old, new, line_needle) -> None:
    _edit(content_dir / file, old, new)
    problems = [p for p in check_content(content_dir) if p.file == f"content/{file}"]
    assert len(problems) == 1, [str(p) for p in problems]
    assert "not valid YAML" in problems[0].message
    assert problems[0].line is not None
    if line_needle:
        assert abs(problems[0].line - _line_of(content_dir / file, line_needle)) <= 1


def test_bad_yaml_in_front_matter_names_the_markdown_file(content_dir: Path) -> None:
    section = content_dir / "sections" / "05-bone-vs-muscle-pain.md"
    _edit(section, "id: bone-vs-muscle-pain\n", "id: [bone-vs-muscle-pain\n")
    problem = _only(check_content(content_dir), "content/sections/05-bone-vs-muscle-pain.md", "not valid YAML")
    assert problem.line is not None and problem.line >= 2


@pytest.mark.parametrize(
    ("file", "after", "field"),
    [
        ("program.yaml", "    title: Protein at every meal\n", "titel"),
        ("bands.yaml", "    label: Deficient\n", "colour"),
        ("safety.yaml", "    label: New or worsening leg weakness\n", "severity"),
        ("faq.yaml", "faq:\n  - id: ", None),
    ],
)
def test_an_unknown_field_is_named_with_its_line(content_dir: Path, file, after, field) -> None:
    path = content_dir / file
    if field is None:  # the FAQ is someone else's file: add the field to whatever entry is first
        field = "answr"
        text = path.read_text(encoding="utf-8")
        first_id_line = next(line for line in text.splitlines() if line.startswith("  - id: "))
        after = first_id_line + "\n"
    _edit(path, after, after + f"    {field}: something\n")
    problem = _only(check_content(content_dir), f"content/{file}", f"unknown field '{field}'")
    assert problem.line == _line_of(path, f"{field}: something")


def test_an_unknown_field_in_front_matter_is_named_with_its_line(content_dir: Path) -> None:
    article = content_dir / "articles" / "early-warning-signs-you-ignore.md"
    _edit(article, "---\ntitle:", "---\nauthor: someone\ntitle:")
    problem = _only(check_content(content_dir), "content/articles/early-warning-signs-you-ignore.md", "author")
    assert problem.line == 2


def test_overlapping_bands_are_named(content_dir: Path) -> None:
    _edit(content_dir / "bands.yaml", "    lower: 30\n", "    lower: 28\n")
    problem = _only(check_content(content_dir), "content/bands.yaml", "overlap")
    assert "'insufficient' and 'below-optimal'" in problem.message


def test_bands_that_both_include_their_shared_edge_overlap(content_dir: Path) -> None:
    _edit(content_dir / "bands.yaml", "    lower: 60\n    lower_inclusive: false\n", "    lower: 60\n")
    problem = _only(check_content(content_dir), "content/bands.yaml", "overlap")
    assert "both include 60" in problem.message


def test_gapped_bands_are_named(content_dir: Path) -> None:
    _edit(content_dir / "bands.yaml", "    lower: 40\n", "    lower: 41\n")
    problem = _only(check_content(content_dir), "content/bands.yaml", "gap")
    assert "'below-optimal' and 'optimal'" in problem.message


def test_bands_that_both_exclude_their_shared_edge_leave_a_gap(content_dir: Path) -> None:
    _edit(content_dir / "bands.yaml", "    upper: 60\n    upper_inclusive: true\n", "    upper: 60\n")
    problem = _only(check_content(content_dir), "content/bands.yaml", "gap")
    assert "neither includes 60" in problem.message


def test_bands_must_start_at_zero_and_end_open(content_dir: Path) -> None:
    bands = content_dir / "bands.yaml"
    _edit(bands, "    lower: 0\n", "    lower: 5\n")
    _edit(bands, "    lower: 150\n    lower_inclusive: false\n", "    lower: 150\n    lower_inclusive: false\n    upper: 250\n")
    problems = check_content(content_dir)
    _only(problems, "content/bands.yaml", "must start at 0")
    _only(problems, "content/bands.yaml", "must be open-ended")


def test_an_empty_faq_answer_is_named_with_its_line(content_dir: Path) -> None:
    faq = content_dir / "faq.yaml"
    lines = faq.read_text(encoding="utf-8").splitlines()
    # Empty the second entry's answer, however it is written, leaving the rest of the file alone.
    start = [n for n, line in enumerate(lines) if line.startswith("    answer:")][1]
    end = start + 1
    while end < len(lines) and (lines[end].startswith("      ") or not lines[end].strip()):
        end += 1
    lines[start:end] = ['    answer: ""']
    faq.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problem = _only(check_content(content_dir), "content/faq.yaml", "'answer' is empty")
    assert problem.line == start + 1


def test_duplicate_faq_ids_are_named_at_the_second(content_dir: Path) -> None:
    faq = content_dir / "faq.yaml"
    ids = [line.split(": ", 1)[1] for line in faq.read_text(encoding="utf-8").splitlines() if line.startswith("  - id: ")]
    _edit(faq, f"  - id: {ids[1]}\n", f"  - id: {ids[0]}\n")
    problem = _only(check_content(content_dir), "content/faq.yaml", f"id '{ids[0]}' is used twice")
    assert problem.line == _line_of(faq, f"- id: {ids[0]}", occurrence=2)


def test_a_faq_source_that_is_not_a_section_is_named(content_dir: Path) -> None:
    faq = content_dir / "faq.yaml"
    source_line = next(line for line in faq.read_text(encoding="utf-8").splitlines() if "source: " in line)
    _edit(faq, source_line + "\n", "    source: no-such-section\n")
    problem = _only(check_content(content_dir), "content/faq.yaml", "'no-such-section', which does not exist")
    assert problem.line == _line_of(faq, "source: no-such-section")


def test_an_article_without_a_title_is_named(content_dir: Path) -> None:
    article = content_dir / "articles" / "poor-appetite-but-constant-fatigue.md"
    _edit(article, 'title: "Poor Appetite but Constant Fatigue"\n', "")
    _only(check_content(content_dir), "content/articles/poor-appetite-but-constant-fatigue.md", "missing required field 'title'")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("title: No front matter\n", "must start with a '---'"),
        ("---\ntitle: Never closed\n", "not closed"),
        ("---\n- a list\n---\n", "'field: value' lines"),
        ("---\ntitle: T\nurl: ftp://example.org/x\n---\n", "'url' must be a web address"),
        ("---\ntitle: T\nslug: something-else\n---\n", "does not match the file name"),
        ("---\ntitle: ''\n---\nBody.\n", "'title' is empty"),
        ("---\ntitle: T\nbody: Text\n---\n", "unknown field 'body'"),
    ],
)
def test_malformed_articles_are_refused(content_dir: Path, text: str, fragment: str) -> None:
    (content_dir / "articles" / "new-piece.md").write_text(text, encoding="utf-8")
    _only(check_content(content_dir), "content/articles/new-piece.md", fragment)


def test_an_article_file_name_must_be_a_slug(content_dir: Path) -> None:
    (content_dir / "articles" / "New Piece.md").write_text("---\ntitle: T\n---\n", encoding="utf-8")
    _only(check_content(content_dir), "content/articles/New Piece.md", "must be a slug")


def test_reading_an_unknown_section_is_named_with_its_line(content_dir: Path) -> None:
    program = content_dir / "program.yaml"
    _edit(program, "sections: [testing]", "sections: [testnig]")
    problems = check_content(content_dir)
    unknown = _only(problems, "content/program.yaml", "'testnig', which does not exist")
    assert unknown.line == _line_of(program, "[testnig]")
    _only(problems, "content/program.yaml", "section 'testing' is not read on any day")


def test_a_section_read_twice_is_named(content_dir: Path) -> None:
    _edit(content_dir / "program.yaml", "sections: [nutrients]", "sections: [correcting-safely, nutrients]")
    problem = _only(
        check_content(content_dir), "content/program.yaml", "'correcting-safely' is read on day 14 and again on day 15",
    )
    assert problem.line is not None


def test_sections_read_out_of_article_order_are_named(content_dir: Path) -> None:
    program = content_dir / "program.yaml"
    _edit(program, "sections: [introduction]", "sections: [more-than-mechanical]")
    prompt = "\n    checkin_prompt: >-\n      How"
    _edit(program, "sections: [more-than-mechanical]" + prompt, "sections: [introduction]" + prompt)
    problem = _only(check_content(content_dir), "content/program.yaml", "before section 'introduction'")
    assert problem.line == _line_of(program, "sections: [more-than-mechanical]")


def test_a_section_whose_id_differs_from_its_file_name_is_named(content_dir: Path) -> None:
    _edit(content_dir / "sections" / "13-testing.md", "id: testing\n", "id: tests\n")
    problem = _only(check_content(content_dir), "content/sections/13-testing.md", "does not match the file name")
    assert problem.line == 2


def test_a_missing_section_number_is_named(content_dir: Path) -> None:
    (content_dir / "sections" / "07-deep-muscle-weakness.md").unlink()
    problems = check_content(content_dir)
    _only(problems, "content/sections", "missing: 07")
    _only(problems, "content/program.yaml", "day 7 reads section 'deep-muscle-weakness', which does not exist")


def test_a_badly_named_section_file_is_named(content_dir: Path) -> None:
    (content_dir / "sections" / "20 extra.md").write_text("---\nid: extra\ntitle: Extra\n---\nText.\n")
    _only(check_content(content_dir), "content/sections/20 extra.md", "NN-section-id.md")


def test_an_empty_section_body_is_named(content_dir: Path) -> None:
    (content_dir / "sections" / "20-extra.md").write_text("---\nid: extra\ntitle: Extra\n---\n\n")
    problems = check_content(content_dir)
    _only(problems, "content/sections/20-extra.md", "'body' is empty")


def test_a_repeated_key_is_named_with_both_lines(content_dir: Path) -> None:
    safety = content_dir / "safety.yaml"
    _edit(safety, "emergency_reply: >-\n", "emergency_reply: Go now.\nemergency_reply: >-\n")
    problem = _only(check_content(content_dir), "content/safety.yaml", "'emergency_reply' appears twice")
    assert problem.line == _line_of(safety, "emergency_reply:", occurrence=2)


def test_a_missing_file_is_named(content_dir: Path) -> None:
    (content_dir / "safety.yaml").unlink()
    _only(check_content(content_dir), "content/safety.yaml", "file is missing")


def test_small_talk_is_optional_but_checked_when_present(content_dir: Path) -> None:
    (content_dir / "smalltalk.yaml").write_text("smalltalk:\n  - id: hi\n    phrases: []\n    reply: Hello!\n")
    problem = _only(check_content(content_dir), "content/smalltalk.yaml", "'phrases' is empty")
    assert problem.line == 3
    (content_dir / "smalltalk.yaml").unlink()
    assert load_content(content_dir).smalltalk == []


def test_every_problem_is_reported_not_just_the_first(content_dir: Path) -> None:
    _edit(content_dir / "program.yaml", "  - day: 12\n", "  - day: 11\n")
    _edit(content_dir / "bands.yaml", "    lower: 40\n", "    lower: 41\n")
    (content_dir / "articles" / "broken.md").write_text("no front matter\n")
    files = {p.file for p in check_content(content_dir)}
    assert {"content/program.yaml", "content/bands.yaml", "content/articles/broken.md"} <= files


def test_load_content_refuses_invalid_content_listing_each_problem(content_dir: Path) -> None:
    _edit(content_dir / "bands.yaml", "    lower: 40\n", "    lower: 41\n")
    with pytest.raises(ContentError) as raised:
        load_content(content_dir)
    assert raised.value.problems
    assert "content/bands.yaml: gap between bands 'below-optimal' and 'optimal'" in str(raised.value)


def test_a_missing_content_folder_is_a_problem(tmp_path: Path) -> None:
    problems = check_content(tmp_path / "nowhere")
    assert len(problems) == 1 and "not found" in problems[0].message


def test_a_problem_reads_file_colon_line_colon_message() -> None:
    assert str(ContentProblem("content/program.yaml", 12, "day 5 is listed twice")) == (
        "content/program.yaml:12: day 5 is listed twice"
    )
    assert str(ContentProblem("content/sections", None, "no sections")) == "content/sections: no sections"


def test_load_article_reads_a_file_given_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "sunlight-and-mood.md"
    path.write_text('---\ntitle: "Sunlight: a note"\nurl: https://example.org/a\n---\n\nSome **body**.\n')
    article = load_article(path)
    assert (article.slug, article.title, article.url, article.body) == (
        "sunlight-and-mood",
        "Sunlight: a note",
        "https://example.org/a",
        "Some **body**.",
    )


def test_load_article_refuses_an_article_without_a_title(tmp_path: Path) -> None:
    path = tmp_path / "untitled.md"
    path.write_text("---\nsummary: no title here\n---\n")
    with pytest.raises(ContentError) as raised:
        load_article(path)
    assert f"{path}:" in str(raised.value) and "title" in str(raised.value)
