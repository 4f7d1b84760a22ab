"""The store: verity's SQLite database, through sqlite-utils.

All SQL lives here and in `migrations`. Every write runs in one IMMEDIATE
transaction that also refreshes the stored reconciliation of exactly the
claims it touches, so the `reconciliations` table is never stale.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import sqlite3
from itertools import groupby
from json.encoder import encode_basestring
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Optional, Sequence

import attrs

from . import migrations
from .errors import Conflict, DatabaseUnavailable, Duplicate, InvalidValue, NotFound, did_you_mean
from .models import CLAIM_FIELDS, VERDICTS, Claim, parse_ruling, Reconciliation, Retraction, Source, Stance, utc_now
from .reconcile import Outcome, SourceFacts, StanceFact, contradiction_pairs, counted_stances, reconcile

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 30_000
_CHUNK = 500  # ids per IN (...) list, well under SQLite's parameter limit

_VERDICT_RANK = "CASE r.verdict " + " ".join(
    f"WHEN '{v}' THEN {i}" for i, v in enumerate(VERDICTS)
) + " END"

# A stance as a StanceFact, field for field: its rows go to the reconciler as they come.
_FACT_COLUMNS = "source_id, position, coalesce(said_on, logged_at), id, retracted_at IS NOT NULL, claim_id"
_FACT_CLAIM_ID = itemgetter(StanceFact._fields.index("claim_id"))


def current_user() -> str:
    """Who is logging: $VERITY_USER, else the login name."""
    user = os.environ.get("VERITY_USER", "").strip()
    if user:
        return user
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _group_by_claim(
    claim_ids: Iterable[int], rows, sources: dict[int, SourceFacts]
) -> Iterator[tuple[int, Outcome]]:
    """Reconcile rows of _FACT_COLUMNS (ordered by claim) for each of `claim_ids`, in order;
    a claim with no rows is reconciled from no stances."""
    groups = groupby(rows, key=_FACT_CLAIM_ID)
    group = next(groups, None)
    for claim_id in claim_ids:
        if group is not None and group[0] == claim_id:
            # reconcile before advancing: groupby invalidates a group once it moves on
            outcome = reconcile(group[1], sources)
            group = next(groups, None)
        else:
            outcome = reconcile((), sources)
        yield claim_id, outcome


class _SourceFactsOnDemand(dict):
    """SourceFacts by source id, each read from the database when first asked for."""

    def __init__(self, conn: sqlite3.Connection):
        super().__init__()
        self.conn = conn

    def __missing__(self, source_id: int) -> SourceFacts:
        name, affiliation, reliability = self.conn.execute(
            "SELECT name, affiliation, reliability FROM sources WHERE id = ?", [source_id]
        ).fetchone()
        facts = self[source_id] = SourceFacts.of(name, affiliation, reliability)
        return facts


@attrs.frozen
class ClaimRecord:
    """A claim with its reconciliation and every stance ever logged on it, oldest first."""

    claim: Claim
    reconciliation: Reconciliation
    stances: tuple[Stance, ...]
    counted_ids: frozenset[int]
    sources: dict  # name -> Source, for the sources of these stances


class Store:
    """A verity database. Open with `Store.open(path)`; create with `Store.create(path)`."""

    def __init__(self, conn: sqlite3.Connection, path: str):
        self.conn = conn
        self.path = path
        self._db: Optional[sqlite_utils.Database] = None
        self._column_names: dict[str, list[str]] = {}

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the same connection, made on first use.

        Importing sqlite-utils costs a command about 100 ms (it imports numpy when
        numpy is installed); opening the store and logging one stance need none of it.
        """
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._db

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike, *, create: bool = False) -> "Store":
        path = os.fspath(path)
        where = Path(path)
        if where.is_dir():
            raise DatabaseUnavailable(f"{path} is a directory; give --db the path of a database file")
        exists = where.exists()
        if not exists and not create:
            raise DatabaseUnavailable(
                f"no verity database at {path}; create one with 'verity init' "
                "or point --db (or VERITY_DB) at an existing one"
            )
        if not exists and not where.parent.exists():
            raise DatabaseUnavailable(
                f"cannot create {path}: folder {where.parent} does not exist; create it or choose another --db"
            )
        try:
            # check_same_thread=False: an import writes its stances from a second thread (verity.bulk),
            # one thread at a time on the connection, as that module explains.
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error as ex:
            raise DatabaseUnavailable(f"cannot open {path}: {ex}; check the path and its permissions") from None
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError:
            conn.close()
            raise DatabaseUnavailable(
                f"{path} is not a SQLite database; point --db at a verity database or run 'verity init' on a new path"
            ) from None
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        store = cls(conn, path)
        store._check_is_verity(created=not exists)
        try:
            store.migrate()
        except sqlite3.OperationalError as ex:
            conn.close()
            raise DatabaseUnavailable(f"cannot upgrade {path}: {ex}; check that the file is writable") from None
        with contextlib.suppress(sqlite3.OperationalError):  # read-only: it stays as it is
            store._ensure_wal()  # e.g. after an import into a new file was killed (see _without_wal)
        return store

    @classmethod
    def create(cls, path: str | os.PathLike) -> "Store":
        return cls.open(path, create=True)

    def _check_is_verity(self, created: bool) -> None:
        names = {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if names and migrations.MIGRATIONS_TABLE not in names:
            self.close()
            raise DatabaseUnavailable(
                f"{self.path} is a SQLite database but not a verity database; "
                "choose another --db or run 'verity init' on a new path"
            )

    def _ensure_wal(self) -> None:
        if self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.conn.execute("PRAGMA journal_mode = WAL")

    def migrate(self) -> list[str]:
        """Apply pending migrations, each in its own transaction with its record."""
        done = []
        if not migrations.pending(self.conn):
            return done
        self._ensure_wal()
        for name, fn in migrations.MIGRATIONS:
            with self.transaction():
                if name in migrations.applied(self.conn):
                    continue  # another process applied it while we waited
                fn(self.db)
                self.db[migrations.MIGRATIONS_TABLE].insert(
                    {"name": name, "applied_at": utc_now()}, pk="name"
                )
                done.append(name)
        return done

    def schema_version(self) -> int:
        return len(migrations.applied(self.conn))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; IMMEDIATE so two writers queue instead of deadlocking."""
        if self.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # -- looking things up ---------------------------------------------------

    def find_source(self, name: str) -> Optional[Source]:
        """The source with this name (matched ignoring case), or None."""
        row = self.conn.execute("SELECT * FROM sources WHERE name = ? COLLATE NOCASE", [name]).fetchone()
        return self._source_from_row(row) if row else None

    def find_claim(self, key: str) -> Optional[Claim]:
        """The claim with this key, or None."""
        row = self.conn.execute("SELECT * FROM claims WHERE key = ?", [key]).fetchone()
        return self._claim_from_row(row) if row else None

    def get_source(self, ref: str | int) -> Source:
        """A source by name (case-insensitive) or id."""
        ref_text = str(ref).strip()
        source = self.find_source(ref_text)
        if source is None and ref_text.isdigit():
            row = self.conn.execute("SELECT * FROM sources WHERE id = ?", [int(ref_text)]).fetchone()
            source = self._source_from_row(row) if row else None
        if source is None:
            names = (r[0] for r in self.conn.execute("SELECT name FROM sources"))
            raise NotFound(
                f"no source {ref_text!r}{did_you_mean(ref_text, names)}; "
                "see 'verity source list' or add it with 'verity source add'"
            )
        return source

    def get_claim(self, ref: str | int) -> Claim:
        """A claim by key or id."""
        ref_text = str(ref).strip()
        claim = self.find_claim(ref_text)
        if claim is None and ref_text.isdigit():
            row = self.conn.execute("SELECT * FROM claims WHERE id = ?", [int(ref_text)]).fetchone()
            claim = self._claim_from_row(row) if row else None
        if claim is None:
            keys = (r[0] for r in self.conn.execute("SELECT key FROM claims"))
            raise NotFound(
                f"no claim {ref_text!r}{did_you_mean(ref_text, keys)}; "
                "see 'verity claim list' or add it with 'verity claim add'"
            )
        return claim

    def get_stance(self, stance_id: int) -> Stance:
        row = self.conn.execute(
            _STANCE_SELECT + " WHERE s.id = ?", [stance_id]
        ).fetchone()
        if row is None:
            highest = self.conn.execute("SELECT max(id) FROM stances").fetchone()[0]
            known = f"stance ids run from 1 to {highest}" if highest else "no stances are logged yet"
            raise NotFound(f"no stance with id {stance_id}; {known} (see 'verity claim show CLAIM')")
        return _stance_from_row(row)

    def _columns(self, table: str) -> list[str]:
        """A table's column names, read once per connection (reports ask per claim)."""
        if table not in self._column_names:
            self._column_names[table] = _columns(self.conn, table)
        return self._column_names[table]

    def _source_from_row(self, row) -> Source:
        return source_from_row(dict(zip(self._columns("sources"), row)))

    def _claim_from_row(self, row) -> Claim:
        return claim_from_row(dict(zip(self._columns("claims"), row)))

    # -- writing -------------------------------------------------------------

    def add_source(self, source: Source) -> Source:
        with self.transaction():
            return self._insert_source(source)

    def _insert_source(self, source: Source) -> Source:
        existing = self.find_source(source.name)
        if existing:
            raise Duplicate(
                f"a source named {existing.name!r} already exists (names are matched ignoring case); "
                "use that source or choose another name"
            )
        return attrs.evolve(source, id=self._write_source(source))

    def add_claim(self, claim: Claim) -> Claim:
        with self.transaction():
            return self._insert_claim(claim)

    def _insert_claim(self, claim: Claim) -> Claim:
        existing = self.find_claim(claim.key)
        if existing:
            raise Duplicate(
                f"claim key {claim.key!r} is already taken by {existing.text!r}; "
                "give this claim another --key, or log stances on the existing one"
            )
        claim_id = self._write_claim(claim)
        self._refresh([claim_id])
        return attrs.evolve(claim, id=claim_id)

    def add_stance(self, stance: Stance) -> Stance:
        """Log a stance; `stance.claim` and `stance.source` may be key/name or id."""
        with self.transaction():
            claim = self.get_claim(stance.claim)
            source = self.get_source(stance.source)
            stance = attrs.evolve(
                stance,
                claim=claim.key,
                source=source.name,
                logged_by=stance.logged_by or current_user(),
            )
            return self._insert_stance(stance, claim.id, source.id)

    def _insert_stance(self, stance: Stance, claim_id: int, source_id: int, refresh: bool = True) -> Stance:
        # Plain SQL, not sqlite-utils' insert(): that one reads the table's schema on
        # every call, which dominated a large import (and needs sqlite-utils imported).
        stance_id = self.conn.execute(_STANCE_INSERT, self._stance_row(stance, claim_id, source_id)).lastrowid
        if refresh:
            self._refresh([claim_id])
        return attrs.evolve(stance, id=stance_id)

    def retract_stance(self, stance_id: int, reason: str, by: Optional[str] = None) -> Stance:
        retraction = Retraction(reason=reason, by=by or current_user())
        with self.transaction():
            stance = self.get_stance(stance_id)
            if stance.retracted:
                raise Conflict(
                    f"stance {stance_id} was already retracted on {stance.retracted.at} "
                    f"({stance.retracted.reason}); log a new stance if the position changed again"
                )
            self.conn.execute(
                "UPDATE stances SET retracted_at = ?, retraction_reason = ?, retracted_by = ? WHERE id = ?",
                [retraction.at, retraction.reason, retraction.by, stance_id],
            )
            claim_id = self.conn.execute("SELECT claim_id FROM stances WHERE id = ?", [stance_id]).fetchone()[0]
            self._refresh([claim_id])
        return attrs.evolve(stance, retracted=retraction)

    def rule_claim(self, ref: str | int, ruling: str, explanation: Optional[str] = None,
                   by: Optional[str] = None) -> Claim:
        ruling = parse_ruling(ruling)
        with self.transaction():
            claim = self.get_claim(ref)
            ruled = attrs.evolve(
                claim, ruling=ruling, ruling_explanation=explanation, ruled_at=utc_now(),
                ruled_by=by or current_user(),
            )
            self.conn.execute(
                "UPDATE claims SET ruling = ?, ruling_explanation = ?, ruled_at = ?, ruled_by = ? WHERE id = ?",
                [ruled.ruling, ruled.ruling_explanation, ruled.ruled_at, ruled.ruled_by, claim.id],
            )
        return ruled

    def import_records(self, sources=(), claims=(), stances=(), where: str = "$") -> dict[str, int]:
        """Add sources, claims and stances in one transaction: all of them, or none."""
        from .importer import import_records

        return import_records(self, sources, claims, stances, where)

    # -- the stored reconciliation --------------------------------------------

    def _computed(self, claim_ids: Optional[Iterable[int]] = None) -> Iterator[tuple[int, Outcome]]:
        """(claim id, reconciliation outcome computed now from its stances), by claim id.

        The one path from stored stances to `reconcile`. For every claim
        (claim_ids None) it is one pass that SQLite sorts once, with every
        source's SourceFacts made up front, rather than claim by claim through an
        index; for some claims it reads just their stances, and each source's
        SourceFacts when first needed. Either way each claim's stances are
        streamed through the reconciler, so memory is bounded by the number of
        sources, not of stances.
        """
        if claim_ids is None:
            sources: dict[int, SourceFacts] = {
                source_id: SourceFacts.of(name, affiliation, reliability)
                for source_id, name, affiliation, reliability in self.conn.execute(
                    "SELECT id, name, affiliation, reliability FROM sources")
            }
            rows = self.conn.execute(f"SELECT {_FACT_COLUMNS} FROM stances ORDER BY +claim_id, id")
            ids: Iterable[int] = map(itemgetter(0), self.conn.execute("SELECT id FROM claims ORDER BY id"))
            yield from _group_by_claim(ids, rows, sources)
            return
        sources = _SourceFactsOnDemand(self.conn)
        for chunk in _chunks(sorted(set(claim_ids))):
            rows = self.conn.execute(
                f"SELECT {_FACT_COLUMNS} FROM stances WHERE claim_id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY claim_id, id",
                list(chunk),
            )
            yield from _group_by_claim(chunk, rows, sources)

    def _refresh(self, claim_ids: Optional[Iterable[int]] = None) -> int:
        """Recompute and store the reconciliation of these claims, or of every claim
        (inside the caller's transaction); returns how many were stored."""
        count, batch = 0, []
        for claim_id, outcome in self._computed(claim_ids):
            batch.append(_reconciliation_row(claim_id, outcome))
            if len(batch) >= 5000:
                self._write_rows(batch)
                count, batch = count + len(batch), []
        self._write_rows(batch)
        return count + len(batch)

    def rebuild_reconciliations(self) -> int:
        """Recompute every claim's stored reconciliation in one pass; returns the claim count."""
        with self.transaction():
            return self._refresh()

    def _write_rows(self, rows) -> None:
        """Store rows of the reconciliations table, leaving a stored row that already says
        the same alone: a rebuild of a sound table then writes nothing, and a claim's
        row is updated in place rather than deleted and inserted (with its index entries)."""
        self.conn.executemany(_RECONCILIATION_UPSERT, rows)

    def reconciliations(
        self, claims: Optional[Sequence[str | int]] = None, verdicts: Optional[Sequence[str]] = None
    ) -> Iterator[Reconciliation]:
        """The stored reconciliation of the named claims (in the order named), else of every claim."""
        if claims:
            ids = [self.get_claim(ref).id for ref in claims]
            for claim_id in ids:
                row = self.conn.execute(_RECONCILIATION_SELECT + " WHERE c.id = ?", [claim_id]).fetchone()
                yield _reconciliation_from_row(row)
            return
        where, params = _verdict_filter(verdicts)
        for row in self.conn.execute(_RECONCILIATION_SELECT + where + " ORDER BY c.id", params):
            yield _reconciliation_from_row(row)

    def fresh_reconciliations(self) -> Iterator[Reconciliation]:
        """Every claim's reconciliation computed now from the stances, in one streaming pass."""
        claims = self.conn.execute("SELECT id, key, text, ruling FROM claims ORDER BY id")
        for (claim_id, outcome), (same_id, key, text, ruling) in zip(self._computed(), claims):
            assert claim_id == same_id
            yield outcome.reconciliation(key, text, ruling)

    # -- listings --------------------------------------------------------------

    def sources(self) -> Iterator[tuple[Source, int]]:
        """Every source with the number of stances logged for it, by name."""
        columns = self._columns("sources")
        for row in self.conn.execute(
            "SELECT src.*, (SELECT count(*) FROM stances s WHERE s.source_id = src.id) "
            "FROM sources src ORDER BY src.name COLLATE NOCASE"
        ):
            yield source_from_row(dict(zip(columns, row))), row[-1]

    def claims(self, verdicts: Optional[Sequence[str]] = None) -> Iterator[tuple[Claim, Reconciliation]]:
        """Every claim (optionally only those with these verdicts) with its reconciliation."""
        where, params = _verdict_filter(verdicts)
        columns = self._columns("claims")
        n = len(columns)
        for row in self.conn.execute(
            "SELECT c.*, " + _RECONCILIATION_COLUMNS + " FROM claims c "
            "JOIN reconciliations r ON r.claim_id = c.id" + where + " ORDER BY c.id",
            params,
        ):
            yield claim_from_row(dict(zip(columns, row[:n]))), _reconciliation_from_row(row[n:])

    def all_stances(self) -> Iterator[Stance]:
        """Every stance ever logged, in logging order."""
        for row in self.conn.execute(_STANCE_SELECT + " ORDER BY s.id"):
            yield _stance_from_row(row)

    def claim_record(self, ref: str | int) -> ClaimRecord:
        claim = self.get_claim(ref)
        return self._record(claim, next(self.reconciliations([claim.id])))

    def claim_records(self, verdicts: Optional[Sequence[str]] = None) -> Iterator[ClaimRecord]:
        """Every claim with its stances, disagreements first (contested, single-source, ...)."""
        where, params = _verdict_filter(verdicts)
        columns = self._columns("claims")
        n = len(columns)
        cursor = self.conn.execute(
            "SELECT c.*, " + _RECONCILIATION_COLUMNS + " FROM claims c "
            "JOIN reconciliations r ON r.claim_id = c.id" + where
            + f" ORDER BY {_VERDICT_RANK}, c.key",
            params,
        )
        for row in cursor:
            yield self._record(claim_from_row(dict(zip(columns, row[:n]))), _reconciliation_from_row(row[n:]))

    def _record(self, claim: Claim, reconciliation: Reconciliation) -> ClaimRecord:
        stances, facts, sources = [], [], {}  # facts: only to know which stances rule 1 counts
        source_columns = self._columns("sources")
        for row in self.conn.execute(
            _STANCE_SELECT.replace("SELECT ", "SELECT src.*, ", 1)
            + " WHERE s.claim_id = ? ORDER BY coalesce(s.said_on, s.logged_at), s.id",
            [claim.id],
        ):
            source = source_from_row(dict(zip(source_columns, row[: len(source_columns)])))
            stance = _stance_from_row(row[len(source_columns):])
            sources[source.name] = source
            stances.append(stance)
            facts.append(
                StanceFact(
                    source_id=source.id,
                    position=stance.position,
                    effective_date=stance.effective_date,
                    sequence=stance.id,
                    retracted=stance.retracted is not None,
                )
            )
        counted = frozenset(f.sequence for f in counted_stances(facts))
        return ClaimRecord(claim, reconciliation, tuple(stances), counted, sources)

    def counts(self) -> dict[str, int]:
        return {
            table: self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("sources", "claims", "stances")
        }

    # -- bulk import (import/export engineer) --
    # verity.importer runs a whole import in one transaction of the caller's and
    # does in bulk what add_* do per record: it checks names and keys through
    # its own caches, writes stances in batches and refreshes reconciliations once.

    def _bulk_start(self) -> int:
        """The highest stance id as an import begins (0 when there are no stances)."""
        return self.conn.execute("SELECT max(id) FROM stances").fetchone()[0] or 0

    def _bulk_highest_claim(self) -> int:
        return self.conn.execute("SELECT max(id) FROM claims").fetchone()[0] or 0

    def _bulk_names(self, table: str, limit: int, upto: Optional[int] = None) -> list[str]:
        """Every source name or claim key (with an id up to `upto`), for 'did you mean';
        [] when there are more than `limit`."""
        column = {"sources": "name", "claims": "key"}[table]
        where = "" if upto is None else f" WHERE id <= {int(upto)}"
        names = [row[0] for row in self.conn.execute(f"SELECT {column} FROM {table}{where} LIMIT ?", [limit + 1])]
        return names if len(names) <= limit else []

    def _bulk_claim_id(self, key: str) -> Optional[int]:
        row = self.conn.execute("SELECT id FROM claims WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def _bulk_claim_has_stances(self, claim_id: int) -> bool:
        return self.conn.execute(
            "SELECT 1 FROM stances WHERE claim_id = ? LIMIT 1", [claim_id]
        ).fetchone() is not None

    def _write_source(self, source: Source) -> int:
        return self.conn.execute(
            "INSERT INTO sources (name, kind, affiliation, reliability, url, note) VALUES (?, ?, ?, ?, ?, ?)",
            [source.name, source.kind, source.affiliation, source.reliability, source.url, source.note],
        ).lastrowid

    def _write_claim(self, claim: Claim) -> int:
        """Insert a claim without refreshing its reconciliation (the importer does that once)."""
        return self._write_claim_row(claim_row(claim))

    def _write_claim_row(self, row: Sequence) -> int:
        """Insert a claim given as claim_row gives it; returns its id."""
        return self.conn.execute(_CLAIM_INSERT, row).lastrowid

    def _write_claim_rows(self, rows: list[tuple]) -> None:
        """Insert claims given with their ids: (id, *claim_row)."""
        self.conn.executemany(_CLAIM_INSERT_WITH_ID, rows)

    @staticmethod
    def _stance_row(stance: Stance, claim_id: int, source_id: int) -> tuple:
        """A stance as the values of _STANCE_INSERT."""
        retracted = stance.retracted
        if retracted is None:
            return (claim_id, source_id, stance.position, stance.quote, stance.url, stance.said_on,
                    stance.via, stance.note, stance.logged_at, stance.logged_by, None, None, None)
        return (claim_id, source_id, stance.position, stance.quote, stance.url, stance.said_on,
                stance.via, stance.note, stance.logged_at, stance.logged_by,
                retracted.at, retracted.reason, retracted.by)

    def _write_stances(self, rows: list[tuple]) -> None:
        """Insert stances given with their ids: (id, *STANCE_COLUMNS)."""
        self.conn.executemany(_STANCE_INSERT_WITH_ID, rows)

    def _bulk_stance_exists(self, row: tuple, before_id: int, same_time: bool = True) -> bool:
        """Whether a stance like `row` was logged before the import began (stance id <= before_id).

        Alike means the same claim, source, position, quote, url, said-on date, via
        and note, and (when `same_time`) the same logged_at.
        """
        claim_id, source_id, position, quote, url, said_on, via, note, logged_at = row[:9]
        sql = ("SELECT 1 FROM stances WHERE claim_id = ? AND id <= ? AND source_id = ? AND position = ? "
               "AND quote IS ? AND url IS ? AND said_on IS ? AND via IS ? AND note IS ?")
        params = [claim_id, before_id, source_id, position, quote, url, said_on, via, note]
        if same_time:
            sql += " AND logged_at = ?"
            params.append(logged_at)
        return self.conn.execute(sql + " LIMIT 1", params).fetchone() is not None

    def _bulk_suspend_upkeep(self) -> "Upkeep":
        """Before a bulk load into an empty stances table: drop what keeps it indexed,
        and return what builds it all again (for `_bulk_resume_upkeep`).

        Building an index once over a million rows is far cheaper than keeping it
        sorted row by row, and so is filling a full-text index in bulk rather than
        tokenising each row in an insert trigger. The stances indexes are dropped;
        so are the insert triggers that feed an external-content FTS table from any
        of sources, claims or stances that is empty now (such a table is rebuilt
        whole afterwards, which is exactly what the triggers would have made, or
        fed batch by batch: `Upkeep.feeds`). The caller's transaction makes the drop
        and the rebuild one change.
        """
        import re

        empty = [table for table in ("sources", "claims", "stances")
                 if self.conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is None]
        schema = self.conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()
        drop, upkeep = [], Upkeep()
        for kind, name, table, sql in schema:
            if kind == "index" and table == "stances" and "stances" in empty:
                drop.append(f'DROP INDEX "{name}"')
                upkeep.restore.append(sql)
        for kind, name, _table, sql in schema:
            match = re.search(r"content\s*=\s*['\"]?(\w+)", sql) if kind == "table" and "fts5" in sql.lower() else None
            if not match or match.group(1) not in empty:
                continue
            feeders = [(n, s) for k, n, t, s in schema
                       if k == "trigger" and t == match.group(1) and re.search(r"\bAFTER\s+INSERT\b", s, re.I)
                       and re.search(rf"INSERT\s+INTO\s+['\"`\[]?{re.escape(name)}\b", s, re.I)]
            for trigger, trigger_sql in feeders:
                drop.append(f'DROP TRIGGER "{trigger}"')
                upkeep.restore.append(trigger_sql)
            if feeders:
                columns = [row[1] for row in self.conn.execute(f'PRAGMA table_info("{name}")')]
                upkeep.rebuild[name] = (match.group(1), columns)
        for sql in drop:
            self.conn.execute(sql)
        return upkeep

    def _bulk_resume_upkeep(self, upkeep: "Upkeep") -> None:
        # SQLite may sort for CREATE INDEX on helper threads of its own (1m stances:
        # 1.25 s for the indexes on one thread, 1.0 s with this).
        self.conn.execute(f"PRAGMA threads = {min(4, os.cpu_count() or 1)}")
        for sql in upkeep.restore:
            self.conn.execute(sql)
        for name in upkeep.rebuild:
            self.conn.execute(f"INSERT INTO \"{name}\" (\"{name}\") VALUES ('rebuild')")

    @contextlib.contextmanager
    def _without_wal(self) -> Iterator[None]:
        """A rollback journal instead of the write-ahead log, for filling a database that
        was created just now and that nobody else is using yet; WAL again afterwards.

        With WAL every page of a bulk load is written twice, to the log and then by the
        checkpoint into the database. With a rollback journal, pages that are new in
        this transaction are written once, straight into the file, and nothing is
        journaled for them: 1m stances import in 12.3 s instead of 13.4 s. The
        transaction is as safe either way: if it is interrupted, the journal rolls it
        back. Other connections cannot read the file until it ends, which does not
        matter for a database nobody has seen. If another connection has it open
        already, SQLite refuses to leave WAL, and the import simply runs in WAL.
        """
        self.conn.execute("PRAGMA busy_timeout = 0")  # not 30 s of waiting to find that out
        try:
            mode = self.conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except sqlite3.OperationalError:  # locked: someone else has it open
            mode = "wal"
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            yield
        finally:
            if mode != "wal":
                # If someone opened it meanwhile and holds it, the next Store.open switches it.
                with contextlib.suppress(sqlite3.OperationalError):
                    self.conn.execute("PRAGMA journal_mode = WAL")

    @contextlib.contextmanager
    def _bulk_session(self) -> Iterator[None]:
        """Foreign-key checks off for a bulk import (outside any transaction; restored after).

        The importer writes only ids it has just looked up or inserted in the same
        transaction, so the check SQLite would make on each of a million rows can
        never fail. (SQLite ignores the pragma inside a transaction: then nothing changes.)
        """
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            yield
        finally:
            self.conn.execute("PRAGMA foreign_keys = ON")


@attrs.define
class Upkeep:
    """What a bulk import suspended (see Store._bulk_suspend_upkeep) and how to bring it back."""

    restore: list[str] = attrs.field(factory=list)  # SQL re-creating the dropped indexes and triggers
    rebuild: dict[str, tuple[str, list[str]]] = attrs.field(factory=dict)  # FTS table -> (content table, columns)

    def feeds(self, table: str) -> list[str]:
        """SQL adding to each full-text index over `table` its rows with rowid > ?, for
        whoever inserts into `table` to run after each batch; those are then not rebuilt.

        The same rows, columns and rowids the insert triggers would have added.
        """
        sqls = []
        for name, (content, columns) in list(self.rebuild.items()):
            if content == table:
                listed = ", ".join(f'"{column}"' for column in columns)
                sqls.append(f'INSERT INTO "{name}" (rowid, {listed}) SELECT rowid, {listed} FROM "{table}" '
                            "WHERE rowid > ?")
                del self.rebuild[name]
        return sqls


# -- rows <-> models ---------------------------------------------------------------

STANCE_COLUMNS = ("claim_id", "source_id", "position", "quote", "url", "said_on", "via", "note",
                  "logged_at", "logged_by", "retracted_at", "retraction_reason", "retracted_by")
_STANCE_INSERT = f"INSERT INTO stances ({', '.join(STANCE_COLUMNS)}) VALUES ({', '.join('?' * 13)})"
_STANCE_INSERT_WITH_ID = f"INSERT INTO stances (id, {', '.join(STANCE_COLUMNS)}) VALUES ({', '.join('?' * 14)})"

_STANCE_SELECT = (
    "SELECT s.id, c.key, src.name, s.position, s.quote, s.url, s.said_on, s.via, s.note, "
    "s.logged_at, s.logged_by, s.retracted_at, s.retraction_reason, s.retracted_by "
    "FROM stances s JOIN claims c ON c.id = s.claim_id JOIN sources src ON src.id = s.source_id"
)

_RECONCILIATION_RESULT = (
    "verdict, score, agreement, affirming, denying, neutral, affirming_origins, denying_origins, contradictions"
)
_RECONCILIATION_UPSERT = (
    "INSERT INTO reconciliations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (claim_id) DO UPDATE "
    "SET ({0}) = ({1}) WHERE ({0}) IS NOT ({1})".format(
        _RECONCILIATION_RESULT, ", ".join("excluded." + c for c in _RECONCILIATION_RESULT.split(", "))
    )
)

_RECONCILIATION_COLUMNS = (
    "c.key, c.text, c.ruling, r.verdict, r.score, r.agreement, r.affirming, r.denying, "
    "r.neutral, r.affirming_origins, r.denying_origins"
)
_RECONCILIATION_SELECT = (
    "SELECT " + _RECONCILIATION_COLUMNS + " FROM claims c JOIN reconciliations r ON r.claim_id = c.id"
)


def _verdict_filter(verdicts: Optional[Sequence[str]]) -> tuple[str, list]:
    if not verdicts:
        return "", []
    for verdict in verdicts:
        if verdict not in VERDICTS:
            raise InvalidValue(
                f"{verdict!r} is not a verdict{did_you_mean(verdict, VERDICTS)}; "
                f"use one of: {', '.join(VERDICTS)}"
            )
    return f" WHERE r.verdict IN ({','.join('?' * len(verdicts))})", list(verdicts)


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def _stance_from_row(row) -> Stance:
    (stance_id, claim, source, position, quote, url, said_on, via, note,
     logged_at, logged_by, retracted_at, reason, retracted_by) = row
    retracted = Retraction(reason=reason, at=retracted_at, by=retracted_by) if retracted_at else None
    return Stance(
        claim=claim, source=source, position=position, quote=quote, url=url, said_on=said_on,
        via=via, note=note, logged_at=logged_at, logged_by=logged_by, retracted=retracted, id=stance_id,
    )


def source_from_row(row: dict) -> Source:
    return Source(
        name=row["name"], kind=row["kind"], affiliation=row["affiliation"],
        reliability=row["reliability"], url=row["url"], note=row["note"], id=row["id"],
    )


_CLAIM_INSERT = f"INSERT INTO claims ({', '.join(CLAIM_FIELDS)}) VALUES ({', '.join('?' * len(CLAIM_FIELDS))})"
_CLAIM_INSERT_WITH_ID = (f"INSERT INTO claims (id, {', '.join(CLAIM_FIELDS)}) "
                         f"VALUES ({', '.join('?' * (len(CLAIM_FIELDS) + 1))})")


def claim_row(claim: Claim) -> tuple:
    """A claim as the values of CLAIM_FIELDS (its tags as a JSON list)."""
    return claim_row_of(tuple(getattr(claim, name) for name in CLAIM_FIELDS))


def claim_row_of(values: tuple) -> tuple:
    """claim_row from the values of CLAIM_FIELDS, as formats.claim_row_maker gives them."""
    key, text, subject, tags, *rest = values
    return (key, text, subject, _tags_json(tags), *rest)


_TAGS_JSON: dict[tuple, str] = {}  # the same few sets of tags recur over thousands of claims


def _tags_json(tags: tuple) -> str:
    text = _TAGS_JSON.get(tags)
    if text is None:
        text = json.dumps(list(tags), ensure_ascii=False)
        if len(_TAGS_JSON) >= 4_096:  # bounded however many claims
            _TAGS_JSON.clear()
        _TAGS_JSON[tags] = text
    return text


def claim_of_values(values: tuple) -> Claim:
    """The claim (with no id) whose claim_row, in CLAIM_FIELDS order, is `values`."""
    return claim_from_row({**dict(zip(CLAIM_FIELDS, values)), "id": None})


def claim_from_row(row: dict) -> Claim:
    return Claim(
        key=row["key"], text=row["text"], subject=row["subject"], tags=tuple(json.loads(row["tags"])),
        note=row["note"], ruling=row["ruling"], ruling_explanation=row["ruling_explanation"],
        ruled_at=row["ruled_at"], ruled_by=row["ruled_by"], id=row["id"],
    )


def _reconciliation_row(claim_id: int, r: Outcome) -> tuple:
    return (
        claim_id, r.verdict, r.score, r.agreement,
        _json_names(r.affirming), _json_names(r.denying), _json_names(r.neutral),
        r.affirming_origins, r.denying_origins, r.contradiction_count,
    )


def _json_names(names: Sequence[str]) -> str:
    """The text json.dumps(list(names), ensure_ascii=False) gives: the same string encoder
    json.dumps uses, without its set-up per call (~1.5 µs, three times a claim)."""
    return "[" + ", ".join(map(encode_basestring, names)) + "]" if names else "[]"


def _reconciliation_from_row(row) -> Reconciliation:
    (key, text, ruling, verdict, score, agreement, affirming, denying, neutral,
     affirming_origins, denying_origins) = row
    affirming, denying = tuple(json.loads(affirming)), tuple(json.loads(denying))
    return Reconciliation(
        claim=key, text=text, verdict=verdict, score=score, agreement=agreement,
        affirming=affirming, denying=denying, neutral=tuple(json.loads(neutral)),
        affirming_origins=affirming_origins, denying_origins=denying_origins,
        contradictions=contradiction_pairs(affirming, denying), ruling=ruling,
    )
