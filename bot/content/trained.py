"""Trained weights kept on disk between processes, so that a start (a deploy, a restart after a
crash, every `vitd-bot` command) does not train the FAQ classifier again: training was about 2 s
of each start-up, most of it. Keyed by a digest of everything training reads
(`bot.domain.matching._training_key`): another FAQ, other settings or another training version
give another file. Anything that goes wrong here (no home folder, a read-only disk, a damaged or
half-written file) only means training as before.

The folder is `$XDG_CACHE_HOME/vitd-bot` (default `~/.cache/vitd-bot`); the newest few files are
kept, so that editing the FAQ does not fill the disk.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
KEEP = 6  # files: one per FAQ version the processes on this machine use


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "vitd-bot"


class DiskStore:
    """`bot.domain.matching.TrainedStore` on disk: one `.npz` file per key, written atomically."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or cache_folder()

    def _path(self, key: str) -> Path:
        return self.folder / f"faq-classifier-{key}.npz"

    def load(self, key: str) -> dict[str, np.ndarray] | None:
        try:
            # Opened here, so that a damaged file is closed too (np.load leaves it open when the
            # archive cannot be read).
            with open(self._path(key), "rb") as file, np.load(file, allow_pickle=False) as kept:
                if str(kept["key"]) != key:
                    return None
                return {name: kept[name] for name in kept.files if name != "key"}
        except FileNotFoundError:
            return None
        except Exception as exc:  # noqa: BLE001 - a damaged file is retrained, never fatal
            log.debug("trained weights not read (%s): training again", exc)
            return None

    def save(self, key: str, arrays: dict[str, np.ndarray]) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            try:
                payload: Any = {"key": np.array(key), **arrays}
                with os.fdopen(handle, "wb") as file:
                    np.savez(file, **payload)
                os.replace(temporary, self._path(key))
            finally:
                if os.path.exists(temporary):
                    os.unlink(temporary)
            self._prune()
        except Exception as exc:  # noqa: BLE001 - not kept: the next start trains again
            log.debug("trained weights not kept (%s)", exc)

    def _prune(self) -> None:
        files = sorted(self.folder.glob("faq-classifier-*.npz"), key=lambda path: path.stat().st_mtime, reverse=True)
        for old in files[KEEP:]:
            old.unlink(missing_ok=True)
