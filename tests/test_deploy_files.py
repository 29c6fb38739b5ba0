"""Checks the production packaging: docker-compose.yml against the Compose specification
schema and the wiring the deployment relies on, and the Dockerfile's base, user and layer
order. No Docker engine runs on the project's machines, so these read the files.

hadolint (.ci/check-deploy) lints the Dockerfile, the non-root USER included (DL3002); the small
parser below only reads what hadolint has no rule for: slim bases, and the dependency layer
before the code.
"""

import copy
import json
import re
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"

# Files that may reach the image before the dependency install: they describe the
# dependencies and change far less often than the code.
DEPENDENCY_FILES = {"pyproject.toml", "requirements.txt", "README.md"}

DOCKERFILE_KEYWORDS = {
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
    "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
    "WORKDIR",
}


# --- Dockerfile -------------------------------------------------------------------

@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)


def parse_dockerfile(text: str) -> list[Instruction]:
    """The instructions in order, continuation lines joined, comments dropped."""
    instructions: list[Instruction] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # comments inside a continued instruction are dropped by Docker too
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        keyword, _, args = whole.partition(" ")
        if keyword.upper() not in DOCKERFILE_KEYWORDS:
            raise ValueError(f"line {start}: not a Dockerfile instruction: {keyword!r}")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
    if pending:
        raise ValueError(f"line {start}: the file ends inside a continued line")
    return instructions


def split_stages(instructions: list[Instruction]) -> list[Stage]:
    stages: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = [w for w in instruction.args.split() if not w.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            if len(words) not in (1, 3) or (len(words) == 3 and name is None):
                raise ValueError(f"line {instruction.line}: malformed FROM")
            stages.append(Stage(base=words[0], name=name))
        elif stages:
            stages[-1].instructions.append(instruction)
        elif instruction.keyword != "ARG":
            raise ValueError(f"line {instruction.line}: {instruction.keyword} before FROM")
    if not stages:
        raise ValueError("no FROM instruction")
    return stages


def external_bases(stages: list[Stage]) -> list[str]:
    """The images pulled from a registry: bases that are not earlier stages."""
    names = {stage.name for stage in stages if stage.name}
    return [stage.base for stage in stages if stage.base not in names]


def is_slim(image: str) -> bool:
    if "$" in image:
        return False  # a variable base cannot be checked here
    _, _, tag = image.rpartition(":")
    return "/" not in tag and "slim" in tag


def copy_sources(instruction: Instruction) -> list[str]:
    """What a COPY/ADD takes from the build context; nothing when it copies from a stage."""
    words = instruction.args.split()
    if any(w.startswith("--from") for w in words):
        return []
    if instruction.args.startswith("["):
        words = json.loads(instruction.args)
    words = [w for w in words if not w.startswith("--")]
    return words[:-1]


def dependency_layer_problems(stages: list[Stage]) -> list[str]:
    """Why the dependency install would not be cached apart from the code, if it would not."""
    by_name = {stage.name: stage for stage in stages if stage.name}
    for stage in stages:
        for position, instruction in enumerate(stage.instructions):
            is_pip = instruction.keyword == "RUN" and "pip install" in instruction.args
            if not is_pip or "--no-deps" in instruction.args:
                continue
            chain, parent = [stage.instructions[:position]], by_name.get(stage.base)
            while parent is not None:
                chain.append(parent.instructions)
                parent = by_name.get(parent.base)
            early = [i for part in chain for i in part if i.keyword in ("COPY", "ADD")]
            return [
                f"line {i.line}: {source!r} is copied before the dependency install"
                for i in early
                for source in copy_sources(i)
                if Path(source).name not in DEPENDENCY_FILES
            ]
    return ["no dependency install (a RUN with pip install)"]


def load_dockerfile_stages(text: str) -> list[Stage]:
    return split_stages(parse_dockerfile(text))


@pytest.fixture(scope="module")
def dockerfile_text() -> str:
    return DOCKERFILE.read_text()


def test_dockerfile_bases_are_slim(dockerfile_text):
    bases = external_bases(load_dockerfile_stages(dockerfile_text))
    assert bases and all(is_slim(base) for base in bases), bases


def test_dockerfile_installs_dependencies_before_copying_the_code(dockerfile_text):
    stages = load_dockerfile_stages(dockerfile_text)
    assert dependency_layer_problems(stages) == []
    copied = [s for st in stages for i in st.instructions if i.keyword == "COPY"
              for s in copy_sources(i)]
    assert any(Path(s).name == "bot" for s in copied), "the code is never copied"


def test_dockerfile_sets_the_content_dir_inside_the_image(dockerfile_text):
    assert re.search(r"CONTENT_DIR=/app/content\b", dockerfile_text)


def test_source_copied_before_the_dependency_install_is_caught():
    late = "FROM python:3.11-slim\nCOPY . /src\nRUN pip install /src\n"
    assert dependency_layer_problems(load_dockerfile_stages(late))
    via_parent = (
        "FROM python:3.11-slim AS src\nCOPY [\"bot\", \"/src/bot\"]\n"
        "FROM src\nRUN pip install -r req.txt\n"
    )
    assert dependency_layer_problems(load_dockerfile_stages(via_parent))
    missing = "FROM python:3.11-slim\nCOPY . /src\nRUN pip install --no-deps /src\n"
    assert dependency_layer_problems(load_dockerfile_stages(missing)) == [
        "no dependency install (a RUN with pip install)"
    ]
    early = "FROM python:3.11-slim\nCOPY pyproject.toml ./\nRUN pip install -r r.txt\nCOPY . .\n"
    assert dependency_layer_problems(load_dockerfile_stages(early)) == []


def test_dockerignore_keeps_secrets_and_local_state_out():
    ignored = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()}
    assert {".env", ".git", ".venv", "data"} <= ignored
    assert not {"bot", "content", "pyproject.toml", "README.md"} & ignored


# --- docker-compose.yml -----------------------------------------------------------

def compose_schema_errors(compose: dict) -> list[str]:
    schema_file = files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    validator = jsonschema.Draft202012Validator(json.loads(schema_file.read_text()))
    return sorted(
        f"{error.json_path}: {error.message}" for error in validator.iter_errors(compose)
    )


def depends_on_condition(service: dict, dependency: str) -> str | None:
    depends_on = service.get("depends_on", {})
    if isinstance(depends_on, list):
        return "service_started" if dependency in depends_on else None
    if dependency not in depends_on:
        return None
    return depends_on[dependency].get("condition", "service_started")


def named_volumes(compose: dict, service: dict) -> list[str]:
    """Top-level named volumes the service mounts (bind mounts and anonymous ones excluded)."""
    declared = set(compose.get("volumes") or {})
    names = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, sep, _ = volume.partition(":")
            names.append(source if sep else "")
        elif volume.get("type") == "volume":
            names.append(volume.get("source", ""))
    return [name for name in names if name in declared]


def has_healthcheck(service: dict) -> bool:
    check = service.get("healthcheck") or {}
    return bool(check.get("test")) and not check.get("disable") and check["test"] != ["NONE"]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def test_compose_file_matches_the_compose_specification(compose):
    assert compose_schema_errors(compose) == []


def test_compose_schema_check_catches_mistakes(compose):
    broken = copy.deepcopy(compose)
    broken["services"]["bot"]["depends_on"]["postgres"]["condition"] = "healthy"
    broken["services"]["postgres"]["ports"] = 5432
    errors = compose_schema_errors(broken)
    assert any("postgres" in e and "ports" in e for e in errors), errors
    assert any("depends_on" in e for e in errors), errors


def test_bot_waits_for_a_healthy_database(compose):
    assert depends_on_condition(compose["services"]["bot"], "postgres") == "service_healthy"


def test_bot_waits_for_the_migrations(compose):
    services = compose["services"]
    assert services["migrate"]["command"] == ["vitd-bot", "db", "upgrade"]
    assert depends_on_condition(services["migrate"], "postgres") == "service_healthy"
    condition = depends_on_condition(services["bot"], "migrate")
    assert condition == "service_completed_successfully"


def test_bot_reads_env_and_talks_to_postgres(compose):
    bot = compose["services"]["bot"]
    assert bot["env_file"] in (".env", [".env"])
    url = bot["environment"]["DATABASE_URL"]
    assert re.fullmatch(r"postgresql\+asyncpg://vitd:\$\{POSTGRES_PASSWORD[^}]*\}@postgres:5432/vitd", url)


def test_postgres_keeps_its_data_in_a_named_volume(compose):
    postgres = compose["services"]["postgres"]
    assert named_volumes(compose, postgres)
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])


def test_postgres_has_a_healthcheck(compose):
    assert has_healthcheck(compose["services"]["postgres"])


@pytest.mark.parametrize("volumes", [
    ["./pgdata:/var/lib/postgresql/data"],
    ["undeclared:/var/lib/postgresql/data"],
    ["/var/lib/postgresql/data"],
    [{"type": "bind", "source": "./pgdata", "target": "/var/lib/postgresql/data"}],
    [],
])
def test_named_volume_check_refuses(compose, volumes):
    postgres = dict(compose["services"]["postgres"], volumes=volumes)
    assert named_volumes(compose, postgres) == []


def test_named_volume_check_accepts_long_syntax(compose):
    volume = {"type": "volume", "source": "pgdata", "target": "/var/lib/postgresql/data"}
    assert named_volumes(compose, {"volumes": [volume]}) == ["pgdata"]


@pytest.mark.parametrize("service, expected", [
    ({}, None),
    ({"depends_on": ["postgres"]}, "service_started"),
    ({"depends_on": {"postgres": {"condition": "service_started"}}}, "service_started"),
    ({"depends_on": {"other": {"condition": "service_healthy"}}}, None),
])
def test_depends_on_condition_reads_both_syntaxes(service, expected):
    assert depends_on_condition(service, "postgres") == expected


@pytest.mark.parametrize("healthcheck", [
    None, {}, {"disable": True, "test": ["CMD", "true"]}, {"test": ["NONE"]},
])
def test_missing_or_disabled_healthcheck_is_caught(healthcheck):
    assert not has_healthcheck({"healthcheck": healthcheck})
