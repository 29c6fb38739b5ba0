"""The FAQ classifier's trained weights, kept on disk between processes (bot.content.trained):
a start that finds them answers exactly as one that trained, and nothing that can go wrong with
the file (missing, damaged, another key, a folder it cannot write) does more than train again."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

import bot.domain.matching as matching
from bot.content.loader import default_content_dir, load_content
from bot.content.trained import KEEP, DiskStore


class CountingStore(DiskStore):
    def __init__(self, folder) -> None:
        super().__init__(folder)
        self.loads = self.saves = 0

    def load(self, key):
        self.loads += 1
        return super().load(key)

    def save(self, key, arrays):
        self.saves += 1
        super().save(key, arrays)


@contextmanager
def fresh_training():
    """No weights kept in this process, and the store put back as it was afterwards."""
    before = list(matching._store)
    matching._semantic_model.cache_clear()
    try:
        yield
    finally:
        matching._semantic_model.cache_clear()
        matching._store[:] = before


def build(content):
    matching._semantic_model.cache_clear()  # as a new process would
    return matching.FaqMatcher(content.faq, content.smalltalk)


def test_weights_kept_on_disk_answer_exactly_as_fresh_training(tmp_path):
    with fresh_training():
        _kept_weights_answer_as_trained(tmp_path)


def _kept_weights_answer_as_trained(tmp_path):
    content = load_content(default_content_dir())
    store = CountingStore(tmp_path / "cache")
    matching.use_trained_store(store)
    trained = build(content)  # an empty store: trains, and keeps what it trained
    second = build(content)  # reads what was kept
    assert (store.loads, store.saves) == (2, 1)
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    for name in ("_classifier", "_classifier_bias", "_word_weights"):
        assert np.array_equal(getattr(trained, name), getattr(second, name))
    for question in ("how long until my back feels better", "what's 2+2", "is 40 ng/ml good", "magnesium?"):
        a, b = trained.match(question), second.match(question)
        assert (a.kind, a.entry and a.entry.id, round(a.score, 6)) == (
            b.kind,
            b.entry and b.entry.id,
            round(b.score, 6),
        )


def test_another_faq_is_another_file(tmp_path):
    with fresh_training():
        _another_faq_another_file(tmp_path)


def _another_faq_another_file(tmp_path):
    content = load_content(default_content_dir())
    store = CountingStore(tmp_path)
    matching.use_trained_store(store)
    faq = content.faq[:5]  # a small FAQ trains in a fraction of the time, and keys its file the same way
    matching._semantic_model.cache_clear()
    matching.FaqMatcher(faq, content.smalltalk)
    fewer = [entry.model_copy(update={"examples": entry.examples[:-1]}) for entry in faq]
    matching._semantic_model.cache_clear()
    matching.FaqMatcher(fewer, content.smalltalk)
    assert store.saves == 2 and len(list(tmp_path.glob("*.npz"))) == 2


def test_damaged_or_foreign_files_are_trained_again(tmp_path):
    store = DiskStore(tmp_path)
    arrays = {"classifier": np.ones((2, 3), np.float32)}
    store.save("a" * 64, arrays)
    [path] = tmp_path.glob("*.npz")
    assert np.array_equal(store.load("a" * 64)["classifier"], arrays["classifier"])
    other = tmp_path / f"faq-classifier-{'b' * 64}.npz"
    other.write_bytes(path.read_bytes())  # a file whose name and key disagree
    assert store.load("b" * 64) is None
    path.write_bytes(path.read_bytes()[:40])  # half written
    assert store.load("a" * 64) is None
    assert store.load("c" * 64) is None  # never kept


def test_a_folder_it_cannot_write_only_means_training(tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    store = DiskStore(blocked / "cache")
    store.save("d" * 64, {"bias": np.zeros(3, np.float32)})  # no error
    assert store.load("d" * 64) is None


def test_only_the_newest_files_are_kept(tmp_path):
    store = DiskStore(tmp_path)
    for n in range(KEEP + 3):
        store.save(f"{n:064d}", {"bias": np.full(2, n, np.float32)})
    assert len(list(tmp_path.glob("*.npz"))) == KEEP
    assert store.load(f"{KEEP + 2:064d}") is not None
