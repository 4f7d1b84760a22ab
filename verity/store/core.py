"""The store: verity's SQLite database, through sqlite-utils.

All SQL lives in this package and in `verity.migrations`. Every write runs in one IMMEDIATE
transaction that also refreshes the stored reconciliation of exactly the
claims it touches, so the `reconciliations` table is never stale.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional, Sequence

import attrs

from .. import migrations, names
from ..errors import Conflict, DatabaseUnavailable, Duplicate, NotFound, did_you_mean
from ..models import VERDICTS, Claim, Reconciliation, Retraction, Source, Stance, parse_ruling, utc_now
from ..reconcile import COUNTED, StanceStatus, plain_status
from .bulk import BUSY_TIMEOUT_MS, Bulk
from .listings import ClaimFilter, Listings
from .queries import Reports
from .refresh import Reconciliations
from .rows import (
    CLAIM_INSERT,
    RECONCILIATION_COLUMNS,
    SOURCE_INSERT,
    STANCE_INSERT,
    STANCE_SELECT,
    claim_from_row,
    claim_row,
    reconciliation_from_row,
    source_from_row,
    source_row,
    stance_from_row,
    stance_values,
    table_columns,
    verdict_filter,
)

if TYPE_CHECKING:
    import sqlite_utils

_VERDICT_RANK = "CASE r.verdict " + " ".join(
    f"WHEN '{v}' THEN {i}" for i, v in enumerate(VERDICTS)
) + " END"


# What a stance's claim or source given the wrong way round is told.
STANCE_ORDER = "the order is CLAIM SOURCE POSITION"


def current_user() -> str:
    """Who is logging: $VERITY_USER, else the login name."""
    user = os.environ.get("VERITY_USER", "").strip()
    if user:
        return user
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def database_problem(path: str, exc: sqlite3.DatabaseError) -> Optional[DatabaseUnavailable]:
    """What a SQLite error about the file itself means for the user, or None for any other error."""
    text = str(exc).lower()
    if "database is locked" in text or "database is busy" in text:
        return DatabaseUnavailable(
            f"{path} is busy: another program has been writing to it for over {BUSY_TIMEOUT_MS // 1000} s "
            "(a large import, or a process that holds it open); try again when it has finished"
        )
    if "readonly" in text or "read-only" in text:
        return DatabaseUnavailable(
            f"cannot write to {path}: the file or its folder is read-only; "
            "check their permissions, or work on a copy you can write"
        )
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return DatabaseUnavailable(
            f"{path} is damaged ({exc}); restore it from a backup, "
            "or export what can still be read into a new database"
        )
    if "disk" in text and ("full" in text or "i/o" in text):
        return DatabaseUnavailable(f"cannot write to {path} ({exc}); free some disk space or check the disk")
    return None


@attrs.frozen
class ClaimRecord:
    """A claim with its reconciliation and every stance ever logged on it, oldest first,
    each with its status under rule 1 (by stance id)."""

    claim: Claim
    reconciliation: Reconciliation
    stances: tuple[Stance, ...]
    statuses: dict  # stance id -> StanceStatus, as the reconciler stored it
    sources: dict  # name -> Source, for the sources of these stances

    @property
    def counted_ids(self) -> frozenset[int]:
        """The ids of the stances that count."""
        return frozenset(i for i, status in self.statuses.items() if status.status == COUNTED)


class Store(Listings, Reconciliations, Reports, Bulk):
    """A verity database. Open with `Store.open(path)`; create with `Store.create(path)`."""

    def __init__(self, conn: sqlite3.Connection, path: str):
        self.conn = conn
        self.path = path
        self._db: Optional[sqlite_utils.Database] = None
        # The last migration of a newer verity, when one wrote this database: it is then read, never written.
        self.written_by_newer: Optional[str] = None
        self._column_names: dict[str, list[str]] = {}

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the same connection, made on first use.

        Only migrations need it: opening an up-to-date store and logging one stance
        do not import sqlite-utils (which imports numpy when it is installed), so a
        command starts quickly.
        """
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._db

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike, *, create: bool = False, read_only: bool = False) -> "Store":
        """Open the verity database at `path`, upgrading it if an older verity made it.

        `create`: make the file (or an empty file) a verity database. `read_only`:
        open it for reading only, changing nothing, not even to upgrade it (see
        `pending_migrations`).
        """
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
            target, uri = (f"{where.resolve().as_uri()}?mode=ro", True) if read_only else (path, False)
            conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, uri=uri)
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
        store._check_is_verity(may_create=create and not read_only)
        newer = migrations.unknown(conn)
        if newer:  # read, never written: see `transaction`
            store.written_by_newer = newer[-1]
        if newer or read_only:
            return store
        try:
            store.migrate()
        except sqlite3.OperationalError as ex:
            conn.close()
            raise DatabaseUnavailable(f"cannot upgrade {path}: {ex}; check that the file is writable") from None
        with contextlib.suppress(sqlite3.OperationalError):  # read-only: it stays as it is
            store._ensure_wal()  # e.g. after an import into a new file was killed (see Store.bulk_load)
        return store

    @classmethod
    def create(cls, path: str | os.PathLike) -> "Store":
        """Open the verity database at `path`, creating it (or making an empty file one) if need be."""
        return cls.open(path, create=True)

    def _check_is_verity(self, may_create: bool) -> None:
        tables = self.conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if tables and not migrations.is_verity(self.conn):
            self.close()
            raise DatabaseUnavailable(
                f"{self.path} is a SQLite database but not a verity database; "
                "choose another --db or run 'verity init' on a new path"
            )
        if not tables and not may_create:
            self.close()
            raise DatabaseUnavailable(
                f"{self.path} is an empty file, not a verity database; "
                f"make it one with 'verity --db {self.path} init' or point --db at a verity database"
            )

    def _ensure_wal(self) -> None:
        if self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.conn.execute("PRAGMA journal_mode = WAL")

    def migrate(self) -> list[str]:
        """Apply pending migrations (with sqlite-utils' `Migrations`); returns their names.

        All of them in one IMMEDIATE transaction, so that two processes opening an
        old database at once do not both upgrade it.
        """
        if not migrations.pending(self.conn):
            return []
        self._ensure_wal()
        with self.transaction():
            applied = migrations.apply(self.db)
            # What a migration adds for the reconciler to fill (m004's stance statuses)
            # is filled now; a refresh that finds everything sound writes nothing.
            self.refresh_reconciliations()
            return applied

    def pending_migrations(self) -> list[str]:
        """The migrations this database still needs (none once opened for writing)."""
        return migrations.pending(self.conn)

    def schema_version(self) -> int:
        """How many of verity's migrations this database has had."""
        return len(migrations.applied(self.conn))

    def close(self) -> None:
        """Close the database connection."""
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; IMMEDIATE so two writers queue instead of deadlocking."""
        if self.written_by_newer:
            raise DatabaseUnavailable(
                f"{self.path} was written by a newer verity (it has migration {self.written_by_newer!r}, "
                "which this one does not know); upgrade verity to change it, e.g. pip install -U verity"
            )
        if self.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            problem = database_problem(self.path, exc)
            if problem is None:
                raise
            raise problem from exc

    # -- looking things up ---------------------------------------------------

    def find_source(self, name: str) -> Optional[Source]:
        """The source with this name (matched ignoring case), or None."""
        row = self.conn.execute("SELECT * FROM sources WHERE name = ? COLLATE NOCASE", [name]).fetchone()
        return self._source_from_row(row) if row else None

    def find_claim(self, key: str) -> Optional[Claim]:
        """The claim with this key, or None."""
        row = self.conn.execute("SELECT * FROM claims WHERE key = ?", [key]).fetchone()
        return self._claim_from_row(row) if row else None

    def get_source(self, ref: str | int, order: str = "") -> Source:
        """A source by name (case-insensitive) or id. NotFound names the closest sources, or
        says that `ref` is a claim, followed by `order` (how the command takes its arguments)."""
        ref_text = str(ref).strip()
        source = self.find_source(ref_text)
        source_id = names.as_id(ref_text)
        if source is None and source_id is not None:
            row = self.conn.execute("SELECT * FROM sources WHERE id = ?", [source_id]).fetchone()
            source = self._source_from_row(row) if row else None
        if source is None:
            if self.find_claim(ref_text) is not None:
                raise NotFound(f"{ref_text!r} is a claim, not a source: "
                               + (order or "give a source's name or id (see 'verity source list')"))
            known = (r[0] for r in self.conn.execute("SELECT name FROM sources"))
            raise NotFound(
                f"no source {ref_text!r}{did_you_mean(ref_text, known)}; "
                "see 'verity source list' or add it with 'verity source add'"
            )
        return source

    def get_claim(self, ref: str | int, order: str = "") -> Claim:
        """A claim by key or id. NotFound names the closest keys, or says that `ref` is a
        source, followed by `order` (how the command takes its arguments)."""
        ref_text = str(ref).strip()
        claim = self.find_claim(ref_text)
        claim_id = names.as_id(ref_text)
        if claim is None and claim_id is not None:
            row = self.conn.execute("SELECT * FROM claims WHERE id = ?", [claim_id]).fetchone()
            claim = self._claim_from_row(row) if row else None
        if claim is None:
            if self.find_source(ref_text) is not None:
                raise NotFound(f"{ref_text!r} is a source, not a claim: "
                               + (order or "give a claim's key or id (see 'verity claim list')"))
            keys = (r[0] for r in self.conn.execute("SELECT key FROM claims"))
            raise NotFound(
                f"no claim {ref_text!r}{did_you_mean(ref_text, keys)}; "
                "see 'verity claim list' or add it with 'verity claim add'"
            )
        return claim

    def get_stance(self, stance_id: int | str) -> Stance:
        """A stance by id (a number, or its digits as text), or NotFound."""
        given = stance_id
        stance_id = stance_id if isinstance(stance_id, int) else names.as_id(str(stance_id))
        if stance_id is None or not 0 < stance_id <= names.MAX_ID:
            raise NotFound(f"no stance with id {str(given).strip()!r}; give the number 'stance add' printed "
                           "(see 'verity claim show CLAIM')")
        row = self.conn.execute(
            STANCE_SELECT + " WHERE s.id = ?", [stance_id]
        ).fetchone()
        if row is None:
            highest = self.conn.execute("SELECT max(id) FROM stances").fetchone()[0]
            known = f"stance ids run from 1 to {highest}" if highest else "no stances are logged yet"
            raise NotFound(f"no stance with id {stance_id}; {known} (see 'verity claim show CLAIM')")
        return stance_from_row(row)

    def _columns(self, table: str) -> list[str]:
        """A table's column names, read once per connection (reports ask per claim)."""
        if table not in self._column_names:
            self._column_names[table] = table_columns(self.conn, table)
        return self._column_names[table]

    def _source_from_row(self, row) -> Source:
        return source_from_row(dict(zip(self._columns("sources"), row)))

    def _claim_from_row(self, row) -> Claim:
        return claim_from_row(dict(zip(self._columns("claims"), row)))

    # -- writing -------------------------------------------------------------

    def add_source(self, source: Source) -> Source:
        """Add a source; returns it with its id. Duplicate when the name is taken."""
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
        """Add a claim (and its reconciliation); returns it with its id. Duplicate when the key is taken."""
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
        self.refresh_reconciliations([claim_id])
        return attrs.evolve(claim, id=claim_id)

    def add_stance(self, stance: Stance) -> Stance:
        """Log a stance; `stance.claim` and `stance.source` may be key/name or id."""
        with self.transaction():
            claim = self.get_claim(stance.claim, order=STANCE_ORDER)
            source = self.get_source(stance.source, order=STANCE_ORDER)
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
        stance_id = self.conn.execute(STANCE_INSERT, self._stance_row(stance, claim_id, source_id)).lastrowid
        if refresh:
            self.refresh_reconciliations([claim_id])
        return attrs.evolve(stance, id=stance_id)

    def _write_source(self, source: Source) -> int:
        return self.conn.execute(SOURCE_INSERT, source_row(source)).lastrowid

    def _write_claim(self, claim: Claim) -> int:
        return self.conn.execute(CLAIM_INSERT, claim_row(claim)).lastrowid

    @staticmethod
    def _stance_row(stance: Stance, claim_id: int, source_id: int) -> tuple:
        """A stance as the values of STANCE_INSERT."""
        return (claim_id, source_id, *stance_values(stance)[2:])

    def retract_stance(self, stance_id: int | str, reason: str, by: Optional[str] = None) -> Stance:
        """Retract a stance: it is kept, marked, and stops counting; its claim is reconciled again."""
        retraction = Retraction(reason=reason, by=by or current_user())
        with self.transaction():
            stance = self.get_stance(stance_id)
            if stance.retracted:
                raise Conflict(
                    f"stance {stance.id} was already retracted on {stance.retracted.at} "
                    f"({stance.retracted.reason}); log a new stance if the position changed again"
                )
            self.conn.execute(
                "UPDATE stances SET retracted_at = ?, retraction_reason = ?, retracted_by = ? WHERE id = ?",
                [retraction.at, retraction.reason, retraction.by, stance.id],
            )
            claim_id = self.conn.execute("SELECT claim_id FROM stances WHERE id = ?", [stance.id]).fetchone()[0]
            self.refresh_reconciliations([claim_id])
        return attrs.evolve(stance, retracted=retraction)

    def rule_claim(self, ref: str | int, ruling: str, explanation: Optional[str] = None,
                   by: Optional[str] = None) -> Claim:
        """Record the fact-checker's ruling on a claim; returns the claim as ruled."""
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

    # -- listings --------------------------------------------------------------

    def sources(self) -> Iterator[tuple[Source, int]]:
        """Every source with the number of stances logged for it, by name."""
        columns = self._columns("sources")
        for row in self.conn.execute(
            "SELECT src.*, (SELECT count(*) FROM stances s WHERE s.source_id = src.id) "
            "FROM sources src ORDER BY src.name COLLATE NOCASE"
        ):
            yield source_from_row(dict(zip(columns, row))), row[-1]

    def claims(self, verdicts: Optional[Sequence[str]] = None,
               which: Optional[ClaimFilter] = None) -> Iterator[tuple[Claim, Reconciliation]]:
        """Every claim with its reconciliation, by id: those with these verdicts, and
        those `which` describes (see ClaimFilter), when given."""
        if verdicts:
            which = attrs.evolve(which or ClaimFilter(), verdicts=tuple(verdicts))
        where, params = self.claim_conditions(which or ClaimFilter())
        columns = self._columns("claims")
        n = len(columns)
        for row in self.conn.execute(
            "SELECT c.*, " + RECONCILIATION_COLUMNS + " FROM claims c "
            "JOIN reconciliations r ON r.claim_id = c.id" + where + " ORDER BY c.id",
            params,
        ):
            yield claim_from_row(dict(zip(columns, row[:n]))), reconciliation_from_row(row[n:])

    def all_stances(self) -> Iterator[Stance]:
        """Every stance ever logged, in logging order."""
        for row in self.conn.execute(STANCE_SELECT + " ORDER BY s.id"):
            yield stance_from_row(row)

    def claim_record(self, ref: str | int) -> ClaimRecord:
        """A claim (by key or id) with its reconciliation and every stance ever logged on it."""
        claim = self.get_claim(ref)
        return self._record(claim, next(self.reconciliations([claim.id])))

    def claim_records(self, verdicts: Optional[Sequence[str]] = None) -> Iterator[ClaimRecord]:
        """Every claim with its stances, disagreements first (contested, single-source, ...)."""
        where, params = verdict_filter(verdicts)
        columns = self._columns("claims")
        n = len(columns)
        cursor = self.conn.execute(
            "SELECT c.*, " + RECONCILIATION_COLUMNS + " FROM claims c "
            "JOIN reconciliations r ON r.claim_id = c.id" + where
            + f" ORDER BY {_VERDICT_RANK}, c.key",
            params,
        )
        for row in cursor:
            yield self._record(claim_from_row(dict(zip(columns, row[:n]))), reconciliation_from_row(row[n:]))

    def _record(self, claim: Claim, reconciliation: Reconciliation) -> ClaimRecord:
        stances, statuses, sources = [], {}, {}
        source_columns = self._columns("sources")
        for row in self.conn.execute(
            STANCE_SELECT.replace("SELECT ", "SELECT src.*, st.status, st.previous_id, ", 1)
            + " LEFT JOIN stance_statuses st ON st.stance_id = s.id"
            + " WHERE s.claim_id = ? ORDER BY coalesce(s.said_on, s.logged_at), s.id",
            [claim.id],
        ):
            n = len(source_columns)
            source = source_from_row(dict(zip(source_columns, row[:n])))
            stance = stance_from_row(row[n + 2:])
            sources[source.name] = source
            stances.append(stance)
            statuses[stance.id] = StanceStatus(stance.id, row[n], row[n + 1]) if row[n] else plain_status(stance.id)
        return ClaimRecord(claim, reconciliation, tuple(stances), statuses, sources)

    def claim_keys(self) -> Iterator[str]:
        """Every claim's key."""
        return (row[0] for row in self.conn.execute("SELECT key FROM claims"))

    def counts(self) -> dict[str, int]:
        """How many sources, claims and stances the database holds."""
        return {
            table: self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("sources", "claims", "stances")
        }
