"""Sentence vectors for the FAQ matcher, from a small static embedding model shipped on PyPI.

The model is WordLlama's ``l2_supercat`` (256 dimensions, token embeddings distilled from a large
language model, averaged per message): its weights and tokenizer are files inside the
``wordllama`` wheel, so nothing is downloaded at run time. It adds about 33 MB (plus ``tokenizers``)
and embeds a message in well under a millisecond on one core (bench/bench_matching.py).

wordllama 0.4's own ``WordLlama.load()`` looks for the bundled tokenizer under a misspelt folder and
then tries the network, so the two bundled files are opened here directly.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

WEIGHTS = ("weights", "l2_supercat_256.safetensors")
TOKENIZER = ("tokenizers", "l2_supercat_tokenizer_config.json")


class Embedder:
    """Unit-length sentence vectors: the dot product of two is their cosine similarity."""

    def __init__(self) -> None:
        import wordllama
        from safetensors import safe_open
        from tokenizers import Tokenizer
        from wordllama.inference import WordLlamaInference

        root = Path(wordllama.__file__).parent
        tokenizer = Tokenizer.from_file(str(root.joinpath(*TOKENIZER)))
        with safe_open(str(root.joinpath(*WEIGHTS)), framework="np", device="cpu") as weights:
            table = weights.get_tensor("embedding.weight")
        self._model = WordLlamaInference(table, tokenizer, binary=False)
        self._table = np.asarray(table, dtype=np.float32)
        self._tokenizer = tokenizer

    @property
    def vocabulary_size(self) -> int:
        return self._table.shape[0]

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        encoded = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        return [[i for i, kept in zip(e.ids, e.attention_mask) if kept] for e in encoded]

    def embed_weighted(self, texts: list[str], weights: np.ndarray) -> np.ndarray:
        """Like ``embed``, with each token's vector weighted (``weights[token id]``) in the average.

        The FAQ matcher weighs tokens by how few entries use them: "vitamin", "d", "back" and "pain"
        are in nearly every question, and an unweighted average is mostly made of them.
        """
        vectors = np.zeros((len(texts), self._table.shape[1]), dtype=np.float32)
        for row, ids in enumerate(self.token_ids(texts)):
            if ids:
                vectors[row] = weights[ids] @ self._table[ids]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 256), dtype=np.float32)
        with np.errstate(invalid="ignore", divide="ignore"):
            vectors = np.asarray(self._model.embed(texts, norm=True), dtype=np.float32)
        return np.nan_to_num(vectors)  # a text with no known token has no direction: similarity 0


@cache
def shared_embedder() -> Embedder:
    """One model per process: loading it takes a few hundred milliseconds."""
    return Embedder()
