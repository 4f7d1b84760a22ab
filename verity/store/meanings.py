"""The vectors of `claim similar`'s model of meaning, kept in the database (table meaning_vectors).

verity.meaning reads a text into a vector, its costliest step; a look-up among many claims
would spend most of its time reading the same candidates again. Here the vectors are kept
by digest (the model and the exact text), written by the look-up that first read them, and
by `claim similar --all` for every claim at once. The table is a cache: a look-up that
cannot write (a read-only file, another writer busy) goes on without keeping what it read,
and stops trying for the rest of its run.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Iterable, Iterator, Optional, Sequence

from .. import similar
from ..errors import VerityError

if TYPE_CHECKING:
    from ..meaning import Meaning

# How long keeping vectors waits for another writer before giving up on keeping them.
_KEEP_WAIT_MS = 200
# SQLite's limit on a statement's parameters is 999 in older builds.
_CHUNK = 500
# Claims read at a time by `read_all_meanings`, so that each batch is kept as it is done.
_BATCH = 64


class KeptMeaning:
    """A model of meaning (`similar.Closeness`) whose claim vectors are kept in the database.

    `failure` says why vectors could not be kept, after the first attempt that failed; no
    other attempt is made by this object, so a look-up waits for another writer once at most."""

    def __init__(self, store: Meanings, model: Meaning) -> None:
        self.store = store
        self.model = model
        self.failure: Optional[str] = None

    def reads(self, text: str) -> bool:
        return self.model.reads(text)

    def cosines(self, text: str, others: Sequence[str]) -> list[float]:
        return self.model.cosines(text, others, memory=self)

    def recall(self, digests: Sequence[bytes]) -> dict[bytes, bytes]:
        return dict(self._kept_rows("digest, vector", digests))

    def known(self, digests: Sequence[bytes]) -> set[bytes]:
        """Which of these digests have a vector kept (the vectors themselves left unread)."""
        return {digest for (digest,) in self._kept_rows("digest", digests)}

    def _kept_rows(self, columns: str, digests: Sequence[bytes]) -> Iterator[tuple]:
        """`columns` of the kept rows of these digests, a chunk of them at a time."""
        for start in range(0, len(digests), _CHUNK):
            chunk = digests[start:start + _CHUNK]
            yield from self.store.conn.execute(
                f"SELECT {columns} FROM meaning_vectors WHERE digest IN ({', '.join('?' * len(chunk))})", chunk)

    def keep(self, vectors: dict[bytes, bytes]) -> None:
        if vectors:
            # REPLACE: a row that is not this model's vector is put right.
            self._write("INSERT OR REPLACE INTO meaning_vectors (digest, vector) VALUES (?, ?)", vectors.items())

    def forget_all_but(self, digests: Iterable[bytes]) -> int:
        """Forget every vector kept but those of `digests`; how many were forgotten (0 when they
        cannot be, as for `keep`)."""
        conn = self.store.conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS verity_read_digests (digest BLOB PRIMARY KEY) WITHOUT ROWID")
        conn.execute("DELETE FROM temp.verity_read_digests")
        try:
            conn.executemany("INSERT OR IGNORE INTO temp.verity_read_digests (digest) VALUES (?)",
                             ((d,) for d in digests))
            unused = "FROM meaning_vectors WHERE digest NOT IN (SELECT digest FROM temp.verity_read_digests)"
            # Counted first: a file with nothing to forget is not written to (it may be read-only).
            if not conn.execute(f"SELECT count(*) {unused}").fetchone()[0]:
                return 0
            return self._write(f"DELETE {unused}")
        finally:
            conn.execute("DELETE FROM temp.verity_read_digests")

    def _write(self, sql: str, rows: Optional[Iterable[tuple]] = None) -> int:
        """Run one write of the cache in its own transaction, waiting for another writer
        _KEEP_WAIT_MS at most: rows changed, or 0, with `failure` set, when the file cannot be
        written. Nothing is tried once a write has failed, nor inside another transaction."""
        conn = self.store.conn
        if self.failure is not None or conn.in_transaction:
            return 0
        wait = conn.execute("PRAGMA busy_timeout").fetchone()[0]
        conn.execute(f"PRAGMA busy_timeout = {_KEEP_WAIT_MS}")
        try:
            with self.store.transaction():
                return (conn.execute(sql) if rows is None else conn.executemany(sql, rows)).rowcount
        except (sqlite3.Error, VerityError) as exc:
            from .core import busy  # core is built of this module's mixin

            # A cache: read again next time. Busy after a brief wait, not the store's long one.
            self.failure = (f"{self.store.path} is busy: another program is using it" if busy(exc.__cause__ or exc)
                            else str(exc))
            return 0
        finally:
            conn.execute(f"PRAGMA busy_timeout = {wait}")


class Meanings:
    """Claims' texts as the model of meaning reads them, kept."""

    conn: sqlite3.Connection
    path: str

    def kept_meaning(self, model: Meaning) -> KeptMeaning:
        """`model`, keeping the vectors of the claims it reads in this database."""
        return KeptMeaning(self, model)

    def claim_meanings(self) -> dict[bytes, str]:
        """The texts of claims (not merged) as the model reads them, by digest: what
        `unread_meanings` and `forget_unused_meanings` compare with the vectors kept."""
        from ..meaning import digest

        texts = {similar.claim_meaning(*claim) for claim in
                 self.conn.execute("SELECT text, subject, note FROM claims WHERE merged_into IS NULL")}
        return {digest(t): t for t in texts}

    def unread_meanings(self, kept: KeptMeaning, filed: dict[bytes, str]) -> list[str]:
        """The texts of `filed` (`claim_meanings`) whose vector is not kept yet."""
        known = kept.known(list(filed))
        return sorted(t for d, t in filed.items() if d not in known)

    def forget_unused_meanings(self, kept: KeptMeaning, filed: dict[bytes, str]) -> int:
        """Forget the vectors kept for texts not in `filed` (`claim_meanings`), which no claim
        reads now: texts since corrected, claims since merged, another model's or another way
        of reading's. How many."""
        return kept.forget_all_but(filed)

    def read_all_meanings(self, kept: KeptMeaning, texts: Sequence[str]) -> Iterator[int]:
        """Read `texts` (from `unread_meanings`) and keep their vectors, a batch at a time;
        yields how many each batch read. Stops when they cannot be kept (`kept.failure`)."""
        for start in range(0, len(texts), _BATCH):
            batch = texts[start:start + _BATCH]
            kept.model.vectors(batch, kept)
            if kept.failure is not None:
                return
            yield len(batch)
