"""Load the content folder into typed objects, or say precisely what is wrong with it.

The same code backs start-up (``load_content`` refuses invalid content) and ``vitd-bot content
check`` (``check_content`` lists every problem). Problems carry the file and, where the YAML
parser can tell, the line, because the people who fix them edit text files, not Python.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ValidationError

import bot
from bot.content.models import (
    MIN_FAQ_EXAMPLES,
    PROGRAM_LENGTH,
    Article,
    Band,
    CheckinNotes,
    Content,
    FaqEntry,
    ProgramDay,
    Safety,
    Section,
    SignModelData,
    SmallTalk,
)

if TYPE_CHECKING:
    from bot.content.readers import Readers

log = logging.getLogger(__name__)
SIGN_MODEL_FILE = "redflag_classifier.json"
_SECTION_NAME = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

Path_ = tuple[Any, ...]


@dataclass(frozen=True)
class ContentProblem:
    file: str
    line: int | None
    message: str
    # error: the bot refuses to start; claim: a text attributes to the article what it does not
    # say (content check fails, the bot still starts and logs it); warning: worth knowing.
    kind: str = "error"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        label = "" if self.kind == "error" else f"{self.kind}: "
        return f"{where}: {label}{self.message}"

    @property
    def fails_check(self) -> bool:
        return self.kind != "warning"


class ContentError(Exception):
    """The content folder is invalid; ``problems`` says where and why."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = [f"invalid content ({count} problem{'s' if count != 1 else ''}):"]
        lines += [f"  {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


def keep_trained_weights() -> None:
    """The FAQ classifier's weights are kept on disk between processes (`bot.content.trained`)."""
    from bot.content.trained import DiskStore
    from bot.domain.matching import use_trained_store

    use_trained_store(DiskStore())


def default_content_dir() -> Path:
    return Path(bot.__file__).resolve().parent.parent / "content"


def load_content(content_dir: Path, *, readers: bool = True) -> Content:
    """The content, or ContentError if it has errors (claims and warnings are logged).
    `readers=False`: the FAQ matcher and the red-flag detectors are not built to check them (a
    second of CPU): for operators' commands that answer nobody. The bot and `content check`
    build them; `bot.content.readers` builds them when first asked for (from the kept weights)."""
    keep_trained_weights()
    content, problems = _load(Path(content_dir), readers)
    errors = [p for p in problems if p.kind == "error"]
    if errors or content is None:
        raise ContentError(errors or problems)
    if problems:
        log.warning("content: %d finding(s) that do not stop the bot; `vitd-bot content check` lists them", len(problems))
    return content


def check_content(content_dir: Path) -> list[ContentProblem]:
    """Every problem: errors, unfaithful claims and warnings (see ``ContentProblem.kind``)."""
    keep_trained_weights()  # the check builds the matcher as the bot does: from kept weights too
    return _load(Path(content_dir), True)[1]


def load_article(path: Path) -> Article:
    """One broadcast article, e.g. a file named on the command line; the slug is its file name."""
    path = Path(path)
    file = _SourceFile(path, str(path))
    article = _article(file, path.stem)
    errors = [p for p in file.problems if p.kind == "error"]
    if errors or article is None:
        raise ContentError(errors or file.problems)
    return article


# --- reading files ---------------------------------------------------------------------------


class _SourceFile:
    """One content file being read: its name for messages, and the problems found in it."""

    def __init__(self, path: Path, display: str) -> None:
        self.path = path
        self.display = display
        self.problems: list[ContentProblem] = []
        self.lines: dict[Path_, int] = {}

    def problem(self, message: str, line: int | None = None, kind: str = "error") -> None:
        self.problems.append(ContentProblem(self.display, line, message, kind))

    def line_of(self, path: Path_) -> int | None:
        # The deepest known ancestor: a missing field is reported where its parent starts.
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def read_text(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.problem("file is missing")
        except (OSError, UnicodeDecodeError) as error:
            self.problem(f"cannot be read: {error}")
        return None

    def parse_yaml(self, text: str, first_line: int = 1) -> tuple[bool, Any]:
        """Parse YAML, recording the line of every key and list item; False if it is not YAML."""
        # libyaml's parser where PyYAML has it (its wheels do): the same nodes and line marks, a
        # tenth of the time; the content is read at every start.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
            line = mark.line + first_line if mark is not None else None
            reason = getattr(error, "problem", None) or str(error)
            self.problem(f"not valid YAML: {reason}", line)
            return False, None
        finally:
            loader.dispose()
        if node is not None:
            self._index(node, (), first_line)
        return True, data

    def _index(self, node: yaml.Node, path: Path_, first_line: int) -> None:
        self.lines.setdefault(path, node.start_mark.line + first_line)
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, value_node in node.value:
                key = key_node.value
                line = key_node.start_mark.line + first_line
                if key in seen:
                    self.problem(f"'{key}' appears twice (first on line {seen[key]})", line)
                seen[key] = line
                self.lines[path + (key,)] = line
                self._index(value_node, path + (key,), first_line)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._index(item, path + (index,), first_line)

    def validate(self, model: type[BaseModel], data: Any, path: Path_, what: str) -> Any:
        """Validate ``data`` as ``model``; on failure record each error at its line, return None."""
        try:
            obj = model.model_validate(data)
        except ValidationError as error:
            for detail in error.errors():
                loc = path + tuple(detail["loc"])
                self.problem(f"{what}: {_explain(detail)}", self.line_of(loc))
            return None
        for loc, message in _blank_fields(obj, path):
            self.problem(f"{what}: {message}", self.line_of(loc))
        return obj

    def markdown_document(self) -> tuple[dict[str, Any], str] | None:
        """Read this Markdown file: (front-matter fields, body), or None after recording why not."""
        text = self.read_text()
        if text is None:
            return None
        fields, body, body_line = self.front_matter(text)
        if fields is None:
            return None
        self.lines[("body",)] = body_line
        return fields, body

    def front_matter(self, text: str) -> tuple[dict[str, Any] | None, str, int]:
        """Split ``---`` YAML front matter from a Markdown body: (fields, body, body's first line)."""
        lines = text.splitlines(keepends=True)
        if not lines or lines[0].strip() != "---":
            self.problem("must start with a '---' line opening the YAML front matter", 1)
            return None, "", 1
        closing = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if closing is None:
            self.problem("front matter is not closed by a '---' line", 1)
            return None, "", 1
        ok, data = self.parse_yaml("".join(lines[1:closing]), first_line=2)
        body = "".join(lines[closing + 1 :]).strip()
        if not ok:
            return None, body, closing + 2
        if data is None:
            data = {}
        if not isinstance(data, dict):
            self.problem("front matter must be 'field: value' lines", 2)
            return None, body, closing + 2
        return data, body, closing + 2


def _explain(detail: Mapping[str, Any]) -> str:
    loc = [str(part) for part in detail["loc"]]
    kind = detail["type"]
    if kind in ("extra_forbidden", "missing") and loc:
        within = f" (in {'.'.join(loc[:-1])})" if len(loc) > 1 else ""
        what = "unknown field" if kind == "extra_forbidden" else "missing required field"
        return f"{what} '{loc[-1]}'{within}"
    return f"'{'.'.join(loc) or 'value'}': {detail['msg']}"


def _blank_fields(obj: BaseModel, path: Path_) -> list[tuple[Path_, str]]:
    """Empty texts that the types allow but a subscriber must never receive."""
    found: list[tuple[Path_, str]] = []
    for name, field in type(obj).model_fields.items():
        value = getattr(obj, name)
        if isinstance(value, str) and not value.strip() and field.default != "":
            found.append((path + (name,), f"'{name}' is empty"))
        elif isinstance(value, list):
            if not value and field.is_required():
                found.append((path + (name,), f"'{name}' is empty"))
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    found += _blank_fields(item, path + (name, index))
                elif isinstance(item, str) and not item.strip():
                    found.append((path + (name, index), f"'{name}' has an empty entry"))
    return found


def _yaml_list(
    file: _SourceFile, key: str, required: bool = True, extras: dict[str, Any] | None = None
) -> list[tuple[Path_, Any]] | None:
    """The items of the list under top-level ``key`` with their paths; None if there is no list.
    Other top-level fields named in ``extras`` are filled in there; any other is a problem."""
    if not file.path.exists() and not required:
        return []
    text = file.read_text()
    if text is None:
        return None
    ok, data = file.parse_yaml(text)
    if not ok:
        return None
    if not isinstance(data, dict) or key not in data:
        file.problem(f"must have a top-level '{key}:' list", 1)
        return None
    for extra in data:
        if extras is not None and extra in extras:
            extras[extra] = data[extra]
        elif extra != key:
            file.problem(f"unknown top-level field '{extra}'", file.line_of((extra,)))
    items = data[key]
    if not isinstance(items, list):
        file.problem(f"'{key}' must be a list", file.line_of((key,)))
        return None
    return [((key, index), item) for index, item in enumerate(items)]


# --- the kinds of content ---------------------------------------------------------------------


class _Loader:
    def __init__(self, content_dir: Path) -> None:
        self.dir = content_dir
        self.files: list[_SourceFile] = []
        self.extra: list[ContentProblem] = []
        self.item_paths: dict[tuple[str, str], Path_] = {}
        self.day_paths: dict[int, Path_] = {}

    def file(self, relative: str) -> _SourceFile:
        file = _SourceFile(self.dir / relative, f"{self.dir.name}/{relative}")
        self.files.append(file)
        return file

    @property
    def problems(self) -> list[ContentProblem]:
        return self.extra + [p for f in self.files for p in f.problems]

    def sections(self) -> list[Section]:
        folder = self.dir / "sections"
        if not folder.is_dir():
            self.extra.append(ContentProblem(f"{self.dir.name}/sections", None, "folder is missing"))
            return []
        sections: list[Section] = []
        by_order: dict[int, str] = {}
        for path in sorted(folder.iterdir()):
            if path.name.startswith("."):
                continue
            file = self.file(f"sections/{path.name}")
            match = _SECTION_NAME.match(path.name)
            if not match:
                file.problem("file name must look like 'NN-section-id.md' (e.g. '03-testing.md')")
                continue
            order, file_id = int(match.group(1)), match.group(2)
            if order in by_order:
                file.problem(f"number {match.group(1)} is also used by {by_order[order]}")
                continue
            by_order[order] = path.name
            section = self._section(file, order, file_id)
            if section is not None:
                sections.append(section)
        missing = [n for n in range(1, max(by_order, default=0) + 1) if n not in by_order]
        if missing or 0 in by_order:
            self.extra.append(
                ContentProblem(
                    f"{self.dir.name}/sections",
                    None,
                    "sections must be numbered 01, 02, ... without gaps"
                    + (f" (missing: {', '.join(f'{n:02d}' for n in missing)})" if missing else ""),
                )
            )
        if not by_order:
            self.extra.append(ContentProblem(f"{self.dir.name}/sections", None, "there are no sections"))
        return sorted(sections, key=lambda s: s.order)

    def _section(self, file: _SourceFile, order: int, file_id: str) -> Section | None:
        document = file.markdown_document()
        if document is None:
            return None
        fields, body = document
        if "id" in fields and fields["id"] != file_id:
            file.problem(
                f"id '{fields['id']}' does not match the file name (expected '{file_id}')",
                file.line_of(("id",)),
            )
        derived = {"order": "the file name's number", "body": "the text after the front matter"}
        if not _derived_fields_absent(file, fields, **derived):
            return None
        return file.validate(Section, {**fields, "order": order, "body": body}, (), "section")

    def days(self) -> tuple[list[ProgramDay], _SourceFile]:
        file = self.file("program.yaml")
        numbers_given: set[int] = set()
        days: list[ProgramDay] = []
        extras: dict[str, Any] = {"checkin_notes": None}
        items = _yaml_list(file, "days", extras=extras)
        self.checkin_notes = None
        if extras["checkin_notes"] is not None:
            self.checkin_notes = file.validate(CheckinNotes, extras["checkin_notes"], ("checkin_notes",), "checkin_notes")
            for name in ("rising", "falling"):
                text = getattr(self.checkin_notes, name, None) if self.checkin_notes else None
                try:
                    (text or "").format(first=1, last=2)
                except (KeyError, IndexError, ValueError) as exc:
                    file.problem(
                        f"checkin_notes: '{name}' may only use {{first}} and {{last}} ({exc})",
                        file.line_of(("checkin_notes", name)),
                    )
        for path, item in items or []:
            given = item.get("day") if isinstance(item, dict) else None
            if isinstance(given, int):
                numbers_given.add(given)
            day = file.validate(ProgramDay, item, path, f"day {_label(item, 'day', path)}")
            if day is None:
                continue
            if day.day in self.day_paths:
                first = file.line_of(self.day_paths[day.day] + ("day",))
                where = f" (first on line {first})" if first else ""
                file.problem(f"day {day.day} is listed twice{where}", file.line_of(path + ("day",)))
                continue
            self.day_paths[day.day] = path
            days.append(day)
        if items is not None:
            for number in range(1, PROGRAM_LENGTH + 1):
                if number not in numbers_given:
                    file.problem(f"day {number} is missing")
        return sorted(days, key=lambda d: d.day), file

    def faq(self) -> list[FaqEntry]:
        file = self.file("faq.yaml")
        entries = self._unique_items(file, "faq", FaqEntry, "FAQ entry")
        self.faq_file = file
        for message in faq_example_problems(entries):
            file.problem(message)
        return entries

    def smalltalk(self) -> list[SmallTalk]:
        file = self.file("smalltalk.yaml")
        return self._unique_items(file, "smalltalk", SmallTalk, "small talk", required=False)

    def bands(self) -> list[Band]:
        file = self.file("bands.yaml")
        self.bands_file = file
        bands = self._unique_items(file, "bands", Band, "band")
        if bands and not file.problems:
            for message in band_problems(bands):
                file.problem(message)
            for band in bands:
                if not band.advice:
                    path = self.item_paths[("bands", band.id)]
                    file.problem(
                        f"band '{band.id}' has no 'advice': every band says what to do with such a result", file.line_of(path),
                    )
        return bands

    def _unique_items(self, file: _SourceFile, key: str, model: type, what: str, required: bool = True) -> list:
        items, seen = [], set()
        for path, item in _yaml_list(file, key, required) or []:
            obj = file.validate(model, item, path, f"{what} '{_label(item, 'id', path)}'")
            if obj is None:
                continue
            if obj.id in seen:
                file.problem(f"{what} id '{obj.id}' is used twice", file.line_of(path + ("id",)))
                continue
            seen.add(obj.id)
            self.item_paths[(key, obj.id)] = path
            items.append(obj)
        return items

    def safety(self) -> Safety | None:
        file = self.file("safety.yaml")
        self.safety_file = file
        text = file.read_text()
        if text is None:
            return None
        ok, data = file.parse_yaml(text)
        if not ok:
            return None
        safety = file.validate(Safety, data, (), "safety")
        if safety is not None:
            ids = [flag.id for flag in safety.red_flags]
            for index, flag_id in enumerate(ids):
                if flag_id in ids[:index]:
                    line = file.line_of(("red_flags", index, "id"))
                    file.problem(f"red flag id '{flag_id}' is used twice", line)
        return safety

    def sign_model(self, safety: Safety | None) -> SignModelData | None:
        """The red-flag classifier's weights; optional (the phrases work alone), but they must
        name the red flags of safety.yaml."""
        file = self.file(SIGN_MODEL_FILE)
        if not file.path.exists():
            file.problem("no red-flag classifier: signs are found by the phrases alone "
                         "(build it with scripts/train_redflags.py)", kind="warning")
            return None
        text = file.read_text()
        try:
            data = json.loads(text) if text is not None else None
        except json.JSONDecodeError as error:
            file.problem(f"not valid JSON: {error}")
            return None
        model = file.validate(SignModelData, data, (), "red-flag classifier") if data is not None else None
        if model is not None and safety is not None and model.labels[1:] != [flag.id for flag in safety.red_flags]:
            file.problem("its labels are not the red flags of safety.yaml: rebuild it with scripts/train_redflags.py")
            return None
        return model

    def articles(self) -> dict[str, Article]:
        folder = self.dir / "articles"
        articles: dict[str, Article] = {}
        if not folder.is_dir():
            return articles
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or path.suffix != ".md":
                continue
            article = _article(self.file(f"articles/{path.name}"), path.stem)
            if article is not None:
                articles[article.slug] = article
        return articles


def _label(item: Any, key: str, path: Path_) -> Any:
    if isinstance(item, dict) and key in item:
        return item[key]
    return f"#{path[-1] + 1}"


def _article(file: _SourceFile, slug: str) -> Article | None:
    if not _SLUG.match(slug):
        file.problem("file name must be a slug: lower-case letters, digits and '-', ending in .md")
        return None
    document = file.markdown_document()
    if document is None:
        return None
    fields, body = document
    if not _derived_fields_absent(file, fields, body="the text after the front matter"):
        return None
    if "slug" in fields and fields["slug"] != slug:
        message = f"slug '{fields['slug']}' does not match the file name '{slug}.md'"
        file.problem(message, file.line_of(("slug",)))
        return None
    article = file.validate(Article, {**fields, "slug": slug, "body": body}, (), "article")
    if article is not None and article.url is not None and not _web_address(article.url):
        message = "article: 'url' must be a web address starting with https:// or http://"
        file.problem(message, file.line_of(("url",)))
        return None
    if article is not None:
        if not article.body.strip() and not article.url:
            file.problem(
                "article has neither a body nor a 'url': a broadcast of it is refused until you add the "
                "text under the front matter or a 'url:' line (shown as a \"Read the article\" button)",
                file.line_of(("title",)), kind="warning",
            )
        if article.title.rstrip().endswith(("…", "...")):
            file.problem(
                "article: the title looks cut off (it ends with '…'): write it in full, it is never shortened",
                file.line_of(("title",)), kind="warning",
            )
    return article


def _derived_fields_absent(file: _SourceFile, fields: dict[str, Any], **sources: str) -> bool:
    """Fields the loader fills in itself must not also be written in the front matter."""
    for name, source in sources.items():
        if name in fields:
            file.problem(f"unknown field '{name}' (it comes from {source})", file.line_of((name,)))
    return not any(name in fields for name in sources)


def _web_address(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not re.search(r"[\s<>]", url)


NMOL_PER_NG = 2.496
_EDGE_TOLERANCE = 0.03  # a lab's rounded nmol/L edge (75 for 30 ng/mL = 74.9) is within 3%


def band_problems(bands: list[Band]) -> list[str]:
    """Bands must cover every value from 0 up, each value in exactly one band, in both units;
    and each nmol/L edge must be the same edge as the ng/mL one, as labs round it."""
    problems = _coverage_problems(bands, "ng/mL")
    if any(b.lower_nmol is not None or b.upper_nmol is not None for b in bands):
        problems += _coverage_problems(bands, "nmol/L", inclusiveness=False)  # said once, for ng/mL
        for band in bands:
            for name, ng, nmol in (("lower", band.lower, band.lower_nmol), ("upper", band.upper, band.upper_nmol)):
                if (ng is None) != (nmol is None):
                    problems.append(f"band '{band.id}' has '{name}' in one unit only: give both '{name}' and '{name}_nmol'")
                elif (
                    ng is not None
                    and nmol is not None
                    and abs(nmol - ng * NMOL_PER_NG) > _EDGE_TOLERANCE * max(ng * NMOL_PER_NG, 1)
                ):
                    problems.append(
                        f"band '{band.id}': {name}_nmol {nmol:g} nmol/L is not the same edge as {name} {ng:g} ng/mL "
                        f"(that is {ng * NMOL_PER_NG:.1f} nmol/L)"
                    )
    else:
        problems.append("bands need their nmol/L edges too ('lower_nmol' and 'upper_nmol', as labs print them)")
    return problems


def _coverage_problems(bands: list[Band], unit: str, inclusiveness: bool = True) -> list[str]:
    problems = []
    suffix = "" if unit == "ng/mL" else "_nmol"
    first, last = bands[0], bands[-1]
    if first.edges(unit)[0] not in (None, 0):
        problems.append(f"the first band '{first.id}' must start at 0, not {first.edges(unit)[0]} {unit}")
    if last.edges(unit)[1] is not None:
        problems.append(
            f"the last band '{last.id}' must be open-ended (no 'upper{suffix}'), not end at {last.edges(unit)[1]} {unit}",
        )
    for band in bands:
        lower, upper = band.edges(unit)
        if lower is not None and upper is not None and lower >= upper:
            problems.append(f"band '{band.id}' has lower{suffix} {lower} not below upper{suffix} {upper}")
    for below, above in zip(bands, bands[1:]):
        top, bottom = below.edges(unit)[1], above.edges(unit)[0]
        if top is None or bottom is None:
            problems.append(
                f"bands '{below.id}' and '{above.id}' overlap ({unit}): only the last band may be open-ended"
            )
        elif bottom > top:
            problems.append(f"gap between bands '{below.id}' and '{above.id}': {top} to {bottom} {unit}")
        elif bottom < top:
            problems.append(f"bands '{below.id}' and '{above.id}' overlap: {bottom} to {top} {unit}")
        elif not inclusiveness:
            continue
        elif below.upper_inclusive and above.lower_inclusive:
            problems.append(f"bands '{below.id}' and '{above.id}' overlap: both include {top} {unit}")
        elif not below.upper_inclusive and not above.lower_inclusive:
            problems.append(f"gap between bands '{below.id}' and '{above.id}': neither includes {top} {unit}")
    return problems


# --- cross-references -------------------------------------------------------------------------


def _check_reading(loader: _Loader, file: _SourceFile, sections: list[Section], days: list[ProgramDay]) -> None:
    """Every section is read on exactly one day, and in the article's order."""
    order = {s.id: s.order for s in sections}
    read_on: dict[str, int] = {}
    for day in days:
        for position, section_id in enumerate(day.sections):
            line = file.line_of(loader.day_paths[day.day] + ("sections", position))
            if section_id not in order:
                file.problem(f"day {day.day} reads section '{section_id}', which does not exist", line)
            elif section_id in read_on:
                file.problem(
                    f"section '{section_id}' is read on day {read_on[section_id]} and again on day {day.day}",
                    line,
                )
            else:
                read_on[section_id] = day.day
    for section in sections:
        if section.id not in read_on:
            file.problem(f"section '{section.id}' is not read on any day")
    _check_rereads(loader, file, sections, days)
    read = [s for s in sections if s.id in read_on]
    for previous, section in zip(read, read[1:]):
        if read_on[section.id] < read_on[previous.id]:
            file.problem(
                f"section '{section.id}' is read on day {read_on[section.id]}, before section "
                f"'{previous.id}' (day {read_on[previous.id]}), but comes after it in the article",
                file.line_of(loader.day_paths[read_on[section.id]] + ("sections",)),
            )


def _check_rereads(loader: _Loader, file: _SourceFile, sections: list[Section], days: list[ProgramDay]) -> None:
    """Every day has a reading or a passage to re-read, and a passage is its section's, word for word."""
    from bot.content.attribution import flatten

    by_id = {s.id: s for s in sections}
    seen: dict[str, int] = {}
    for day in days:
        path = loader.day_paths[day.day]
        if day.reread is None:
            if not day.sections:
                file.problem(f"day {day.day} has no reading: give it 'sections' or a 'reread' passage", file.line_of(path))
            continue
        line = file.line_of(path + ("reread",))
        if day.sections:
            file.problem(f"day {day.day} has both a reading and a 'reread': one is enough", line)
        section = by_id.get(day.reread.section)
        if section is None:
            file.problem(f"day {day.day} re-reads section '{day.reread.section}', which does not exist", line)
        elif flatten(day.reread.passage) not in flatten(section.body):
            file.problem(
                f"day {day.day}: the 'reread' passage is not in section '{section.id}' word for word", line
            )
        key = flatten(day.reread.passage)
        if key in seen:
            file.problem(f"day {day.day} re-reads the same passage as day {seen[key]}", line)
        seen[key] = day.day


WARNING_SIGNS = "@warning_signs"  # an FAQ answer that is safety.yaml's list of warning signs, word for word


def faq_example_problems(entries: list[FaqEntry]) -> list[str]:
    """Each entry needs MIN_FAQ_EXAMPLES distinct example questions, none shared with another entry."""
    problems: list[str] = []
    owner: dict[str, str] = {}
    for entry in entries:
        distinct = {" ".join(example.lower().split()) for example in entry.examples if example.strip()}
        if len(distinct) < MIN_FAQ_EXAMPLES:
            problems.append(
                f"FAQ entry '{entry.id}' has {len(distinct)} different example questions; "
                f"it needs at least {MIN_FAQ_EXAMPLES}"
            )
        for example in sorted(distinct):
            if owner.setdefault(example, entry.id) != entry.id:
                problems.append(
                    f"FAQ entries '{owner[example]}' and '{entry.id}' share the example '{example}'"
                )
    return problems


def _load(content_dir: Path, build_readers: bool) -> tuple[Content | None, list[ContentProblem]]:
    if not content_dir.is_dir():
        return None, [ContentProblem(str(content_dir), None, "content folder not found")]
    loader = _Loader(content_dir)
    sections = loader.sections()
    days, program_file = loader.days()
    faq = loader.faq()
    smalltalk = loader.smalltalk()
    bands = loader.bands()
    safety = loader.safety()
    sign_model = loader.sign_model(safety)
    articles = loader.articles()
    if sections and days:
        _check_reading(loader, program_file, sections, days)
    section_ids = {s.id for s in sections}
    for entry in faq:
        if entry.source is not None and sections and entry.source not in section_ids:
            loader.faq_file.problem(
                f"FAQ entry '{entry.id}' names source section '{entry.source}', which does not exist",
                loader.faq_file.line_of(loader.item_paths[("faq", entry.id)] + ("source",)),
            )
    if safety is not None:
        faq = [
            entry.model_copy(update={"answer": safety.warning_signs}) if entry.answer.strip() == WARNING_SIGNS else entry
            for entry in faq
        ]
    built = _check_usable(loader, faq, smalltalk, safety, sign_model) if build_readers else None
    if sections:
        _check_attribution(loader, program_file, sections, days, faq, bands, safety)
    problems = loader.problems
    if any(p.kind == "error" for p in problems) or safety is None:
        return None, problems
    content = Content(
        sections=sections,
        days=days,
        checkin_notes=loader.checkin_notes,
        faq=faq,
        smalltalk=smalltalk,
        bands=bands,
        safety=safety,
        articles=articles,
        sign_model=sign_model,
    )
    if built is not None:
        from bot.content.readers import keep

        keep(content, built)  # what the check built, the bot uses: not built twice
    return content, problems


def _check_usable(loader: _Loader, faq: list[FaqEntry], smalltalk: list[SmallTalk], safety: Safety | None,
                  sign_model: SignModelData | None) -> Readers | None:
    """Build the matchers as the bot will, so a malformed synonym group or a red-flag phrase of
    only small words fails `content check`, not the bot's start-up. Returns what it built, when
    everything could be built."""
    from bot.content.readers import faq_matcher, sign_detectors

    matcher = detectors = None
    try:
        matcher = faq_matcher(faq, smalltalk)
    except ValueError as exc:
        loader.faq_file.problem(str(exc))
    if safety is not None:
        try:
            detectors = sign_detectors(safety, sign_model)
        except ValueError as exc:  # it names the flag and the phrase
            loader.safety_file.problem(str(exc))
    return (matcher, *detectors) if matcher is not None and detectors is not None else None


def _check_attribution(loader: _Loader, program_file: _SourceFile, sections: list[Section], days: list[ProgramDay],
                       faq: list[FaqEntry], bands: list[Band], safety: Safety | None) -> None:
    """What our texts attribute to the article must be in it (see bot/content/attribution.py)."""
    from bot.content import attribution

    article = attribution.Article(f"{s.title}\n{s.body}" for s in sections)

    def check(file: _SourceFile, path: Path_, what: str, text: str | None) -> None:
        for found in attribution.quotes_not_in(article, text or "") + attribution.claims_not_in(article, text or ""):
            file.problem(f"{what}: {found.describe()}", file.line_of(path), kind="claim")

    for day in days:
        for field in ("title", "task", "checkin_prompt"):
            check(program_file, loader.day_paths[day.day] + (field,), f"day {day.day} {field}", getattr(day, field))
    by_id = {s.id: s for s in sections}
    for entry in faq:
        path = loader.item_paths[("faq", entry.id)]
        check(loader.faq_file, path + ("answer",), f"FAQ entry '{entry.id}'", entry.answer)
        source = by_id.get(entry.source or "")
        if source is not None:
            for found in attribution.sentences_not_in_source(article, f"{source.title}\n{source.body}", entry.answer):
                loader.faq_file.problem(
                    f"FAQ entry '{entry.id}' (source '{entry.source}'): {found.describe()}",
                    loader.faq_file.line_of(path + ("answer",)), kind="claim",
                )
    for band in bands:
        path = loader.item_paths[("bands", band.id)]
        for field in ("meaning", "advice"):
            check(loader.bands_file, path + (field,), f"band '{band.id}' {field}", getattr(band, field))
    if safety is not None:
        for field, value in safety:
            if isinstance(value, str):
                check(loader.safety_file, (field,), field, value)
