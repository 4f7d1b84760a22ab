"""A model of meaning for `claim similar`: all-MiniLM-L6-v2, run in numpy.

`claim similar` finds its candidates by shared words (`verity.similar`); a paraphrase that
shares few of them ("kids in cages" against "toddler detained by ICE") is what words miss.
This module turns a text into a unit vector with the sentence-embedding model
all-MiniLM-L6-v2 (Apache-2.0; verity/model/NOTICE.md says where it comes from and how it
was changed): BERT's tokenizer (`verity.wordpiece`), six transformer layers, the mean of
the token vectors. The weights ship inside verity, each matrix's rows stored as 8-bit
integers with a scale (23 MB instead of 91 MB); they are widened to 32-bit floats when
loaded. Nothing is downloaded, and no machine-learning library is needed beyond numpy.

Only `claim similar` loads it, never a quick command. Reading a text is the costly step, so
a claim's vector is worth keeping: `Memory` is where (verity.store.meanings keeps them in the
database, by `digest`).
"""

from __future__ import annotations

import hashlib
import json
import struct
import threading
from functools import lru_cache
from pathlib import Path
from typing import Optional, Protocol, Sequence

import numpy as np

from .wordpiece import WordPiece

__all__ = ["LATIN_WORDS", "MODEL_DIR", "READER", "WEIGHTS_FILE", "WEIGHTS_SHA256", "Meaning", "Memory", "digest", "load"]

MODEL_DIR = Path(__file__).resolve().parent / "model"
WEIGHTS_FILE = "all-MiniLM-L6-v2.int8.safetensors"
# The shipped weights' sha256 (what scripts/quantize_model.py makes; a test checks the file),
# and the version of how verity reads a text with them: both go into every `digest`, so a
# vector kept by another model, or by a tokenizer or encoder since corrected, is read again.
WEIGHTS_SHA256 = "9aaf165577338da5bba3aa112c60a498a606de2cc781313cef0b0f1a606366c0"
READER = 1
# Texts embedded together: padded to the longest of them, so sorted by length first.
BATCH = 32
# The model was trained on English. Its vocabulary still cuts any text in Latin letters
# into pieces it has seen, and gives it topic-level meaning (French or German sentences on
# one subject are close, on another far); text in another script falls apart into single
# characters, and any two texts of that script come out close (0.69 for two unrelated Urdu
# sentences), which would inflate the score. A text with fewer than this share of its words
# in Latin letters or digits (accents stripped) is not for the model.
LATIN_WORDS = 0.5
# Vectors kept in memory per process (1.5 kB each): a `--input` run meets the same claims again.
# Beyond this many (30 MB), the database's copies serve (verity.store.meanings).
KEPT = 20_000

_DTYPES = {"F32": np.float32, "I8": np.int8, "I64": np.int64}


def digest(text: str) -> bytes:
    """What a kept vector is filed under: the model and the exact text it read. A claim whose
    text changes is read again; claims that read the same share one vector."""
    return hashlib.blake2b(f"{WEIGHTS_SHA256}\n{READER}\n{text}".encode(), digest_size=16).digest()


class Memory(Protocol):
    """Where vectors outlive the process: by `digest`, each as float32 bytes."""

    def recall(self, digests: Sequence[bytes]) -> dict[bytes, bytes]:
        """The vectors kept under these digests (those that are)."""

    def keep(self, vectors: dict[bytes, bytes]) -> None:
        """Keep these vectors, by digest."""


def read_weights(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """A safetensors file's tensors (a matrix stored as 8-bit rows with a ".scale" widened to
    float32) and its metadata."""
    with open(path, "rb") as handle:
        size = struct.unpack("<Q", handle.read(8))[0]
        header = json.loads(handle.read(size))
        data = handle.read()
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data, dtype=_DTYPES[entry["dtype"]], count=int(np.prod(entry["shape"])),
                                      offset=start).reshape(entry["shape"])
        assert end - start == tensors[name].nbytes
    for name in [n for n in tensors if n.endswith(".scale")]:
        base = name[:-len(".scale")]
        tensors[base] = tensors[base].astype(np.float32) * tensors.pop(name)[:, None]
    return tensors, metadata


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    x = x - x.mean(-1, keepdims=True)
    x /= np.sqrt((x * x).mean(-1, keepdims=True) + eps)
    x *= weight
    x += bias
    return x


def _gelu(x: np.ndarray) -> np.ndarray:
    """x·Φ(x), with erf by Abramowitz and Stegun 7.1.26 (error under 1.5e-7): numpy has no erf.
    Worked in place: on the layers' widest matrices, new arrays for each step cost more than
    the arithmetic."""
    a = np.abs(x)
    a *= np.float32(0.7071067811865476)
    t = a * np.float32(0.3275911)
    t += 1
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(coefficient)
        poly *= t
    np.multiply(a, a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a
    np.subtract(1, poly, out=poly)  # erf(|x| / sqrt(2))
    np.copysign(poly, x, out=poly)
    poly += 1
    poly *= x
    poly *= np.float32(0.5)
    return poly


class Meaning:
    """The model, loaded: `vectors` of texts, `cosines` of one text against others."""

    def __init__(self, directory: Path = MODEL_DIR) -> None:
        weights, metadata = read_weights(directory / WEIGHTS_FILE)
        self.tokenizer = WordPiece(directory / "vocab.txt")
        self.heads = int(metadata["heads"])
        self.longest = int(metadata["longest"])
        self.eps = float(metadata["layer_norm_eps"])
        self.word = weights["embeddings.word_embeddings.weight"]
        self.position = weights["embeddings.position_embeddings.weight"]
        self.segment = weights["embeddings.token_type_embeddings.weight"][0]
        self.embedding_norm = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        self.layers = [self._layer(weights, f"encoder.layer.{i}.") for i in range(int(metadata["layers"]))]
        self._kept: dict[str, np.ndarray] = {}
        # One process may share the model between threads (a server): the vectors in memory
        # are filled and cleared by one caller at a time.
        self._lock = threading.Lock()

    @staticmethod
    def _layer(weights: dict[str, np.ndarray], prefix: str) -> tuple:
        """One transformer layer's matrices, transposed for `x @ w`, the query, key and value side by side."""
        def w(name: str) -> np.ndarray:
            return weights[prefix + name]
        return (
            np.concatenate([w(f"attention.self.{p}.weight") for p in ("query", "key", "value")]).T.copy(),
            np.concatenate([w(f"attention.self.{p}.bias") for p in ("query", "key", "value")]),
            w("attention.output.dense.weight").T.copy(), w("attention.output.dense.bias"),
            (w("attention.output.LayerNorm.weight"), w("attention.output.LayerNorm.bias")),
            w("intermediate.dense.weight").T.copy(), w("intermediate.dense.bias"),
            w("output.dense.weight").T.copy(), w("output.dense.bias"),
            (w("output.LayerNorm.weight"), w("output.LayerNorm.bias")),
        )

    def _encode(self, token_ids: list[list[int]]) -> np.ndarray:
        """One batch of tokenized texts as unit vectors (the mean of the last layer's token vectors)."""
        count, length = len(token_ids), max(len(ids) for ids in token_ids)
        ids = np.zeros((count, length), dtype=np.int64)
        mask = np.zeros((count, length), dtype=np.float32)
        for row, text_ids in enumerate(token_ids):
            ids[row, :len(text_ids)] = text_ids
            mask[row, :len(text_ids)] = 1
        width = self.word.shape[1]
        size = width // self.heads
        hidden = (self.word[ids] + self.position[:length] + self.segment).reshape(count * length, width)
        hidden = _layer_norm(hidden, *self.embedding_norm, self.eps)
        padding = ((1 - mask) * np.float32(-1e9))[:, None, None, :]
        for qkv_w, qkv_b, out_w, out_b, norm1, inner_w, inner_b, back_w, back_b, norm2 in self.layers:
            qkv = (hidden @ qkv_w + qkv_b).reshape(count, length, 3, self.heads, size).transpose(2, 0, 3, 1, 4)
            scores = qkv[0] @ qkv[1].transpose(0, 1, 3, 2) * np.float32(size ** -0.5) + padding
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ qkv[2]).transpose(0, 2, 1, 3).reshape(count * length, width)
            hidden = _layer_norm(context @ out_w + out_b + hidden, *norm1, self.eps)
            inner = _gelu(hidden @ inner_w + inner_b)
            hidden = _layer_norm(inner @ back_w + back_b + hidden, *norm2, self.eps)
        hidden = hidden.reshape(count, length, width) * mask[:, :, None]
        pooled = hidden.sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), np.float32(1e-12))

    def reads(self, text: str) -> bool:
        """Whether `text` is for the model to read: written in Latin letters (LATIN_WORDS)."""
        words = [w for w in self.tokenizer.words(text) if w.isalnum()]
        return bool(words) and sum(w.isascii() for w in words) >= LATIN_WORDS * len(words)

    def vectors(self, texts: Sequence[str], memory: Optional[Memory] = None) -> np.ndarray:
        """Each text's unit vector, one row a text. A text is read once per process; with
        `memory`, a vector kept there is taken from it, and one it lacks is kept in it."""
        width = self.word.shape[1]
        with self._lock:
            wanted = list(dict.fromkeys(texts))
            if len(self._kept) + len(wanted) > KEPT:
                self._kept.clear()
            lacking = []
            if memory is not None and wanted:
                filed = {digest(t): t for t in wanted}
                recalled = {key: vector for key, vector in memory.recall(list(filed)).items()
                            if len(vector) == 4 * width}  # anything else is not a vector of this model
                for key, vector in recalled.items():
                    self._kept.setdefault(filed[key], np.frombuffer(vector, dtype=np.float32))
                lacking = [t for key, t in filed.items() if key not in recalled]
            todo = sorted(((self.tokenizer.ids(t, self.longest), t) for t in wanted if t not in self._kept),
                          key=lambda pair: len(pair[0]))
            for start in range(0, len(todo), BATCH):
                batch = todo[start:start + BATCH]
                for (_ids, text), vector in zip(batch, self._encode([ids for ids, _text in batch])):
                    self._kept[text] = vector
            found = np.stack([self._kept[t] for t in texts]) if texts else np.zeros((0, width), np.float32)
            to_keep = {digest(t): self._kept[t].tobytes() for t in lacking}
        if to_keep:
            memory.keep(to_keep)
        return found

    def cosines(self, text: str, others: Sequence[str], memory: Optional[Memory] = None) -> list[float]:
        """How close in meaning each of `others` is to `text`, from -1 to 1 (`others`' vectors
        taken from and kept in `memory`, if given; `text`'s is not kept there)."""
        query = self.vectors([text])[0]
        return [float(c) for c in self.vectors(others, memory) @ query]


@lru_cache(maxsize=1)
def load() -> Meaning:
    """The model shipped with verity, loaded once per process."""
    return Meaning()
