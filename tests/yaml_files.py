"""The evaluation and training sets are thousands of lines of YAML, read by many tests: read with
libyaml, PyYAML's compiled reader (the same data; 2.8 s -> 0.2 s for every set once)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the pure-Python one where libyaml is missing


def read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 - a safe loader
