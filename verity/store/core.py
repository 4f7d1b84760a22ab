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
import time
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional, Sequence

import attrs

from .. import migrations, names, uids
from ..errors import Conflict, DatabaseUnavailable, NotVerityDatabase, VerityError
from ..models import VERDICTS, Claim, Reconciliation, Source, Stance, is_key, utc_now
from ..reconcile import COUNTED, SUPERSEDED, StanceStatus, plain_status
from ..trust import StoredEstimate
from .bulk import BUSY_TIMEOUT_MS, Bulk
from .concurrent_edits import ConcurrentEdits
from .corrections import Corrections
from .export import Export
from .listings import ClaimFilter, Listings
from .lookups import Lookups
from .meanings import Meanings
from .merge import Merging, reading_uri
from .queries import Reports
from .questions import Questions
from .refresh import Reconciliations
from .rows import (
    CLAIM_INSERT,
    CLAIM_SELECT,
    RECONCILIATION_COLUMNS,
    SOURCE_INSERT,
    STANCE_INSERT,
    STANCE_SELECT,
    claim_insert_row,
    claim_row,
    reconciliation_from_row,
    source_from_row,
    source_row,
    stance_from_row,
    stance_values,
    verdict_filter,
)
from .settling import Settling
from .similar import Similarity
from .trust import Trust

if TYPE_CHECKING:
    import sqlite_utils

PAGE_SIZE = 16_384  # bytes a page, for a database verity creates

def _marks(values: Sequence) -> str:
    return ", ".join("?" * len(values))


_VERDICT_RANK = "CASE r.verdict " + " ".join(
    f"WHEN '{v}' THEN {i}" for i, v in enumerate(VERDICTS)
) + " END"


# What a stance's claim or source given the wrong way round is told.
STANCE_ORDER = "the order is CLAIM SOURCE POSITION"


def current_desk() -> Optional[str]:
    """The desk records are created by: $VERITY_DESK, else none."""
    return os.environ.get("VERITY_DESK", "").strip() or None


def current_user() -> str:
    """Who is logging: $VERITY_USER, else the login name."""
    user = os.environ.get("VERITY_USER", "").strip()
    if user:
        return user
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def busy(exc: BaseException) -> bool:
    """Whether a SQLite error says that another connection holds the file's write lock."""
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text


def damaged(path: str, what: str) -> DatabaseUnavailable:
    """The one line for a file whose contents are broken, by SQLite's account or verity's (`what`)."""
    return DatabaseUnavailable(
        f"{path} is damaged ({what}); restore it from a backup, or export what can still be read into a new database"
    )


def database_problem(path: str, exc: sqlite3.DatabaseError) -> Optional[DatabaseUnavailable]:
    """What a SQLite error about the file itself means for the user, or None for any other error."""
    text = str(exc).lower()
    if busy(exc):
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
        return damaged(path, str(exc))
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
    sources: dict  # a stance's source name -> the Source it counts as (the one it was merged into, if it was)
    estimate: Optional[StoredEstimate] = None  # what `verity assess --save` stored for it, if anything

    @property
    def counted_ids(self) -> frozenset[int]:
        """The ids of the stances that count."""
        return frozenset(i for i, status in self.statuses.items() if status.status == COUNTED)


class Store(Lookups, Corrections, Export, Listings, Merging, Settling, ConcurrentEdits, Reconciliations, Reports,
            Similarity, Meanings, Bulk, Questions, Trust):
    """A verity database. Open with `Store.open(path)`; create with `Store.create(path)`."""

    def __init__(self, conn: sqlite3.Connection, path: str):
        self.conn = conn
        self.path = path
        self.warnings: list[str] = []  # what the last write had to say without refusing it
        self._db: Optional[sqlite_utils.Database] = None
        # The last migration of a newer verity, when one wrote this database: it is then read, never written.
        self.written_by_newer: Optional[str] = None
        self._column_names: dict[str, list[str]] = {}

    @property
    def user(self) -> str:
        """Who logs what this store writes: $VERITY_USER, else the login name."""
        return current_user()

    @property
    def desk(self) -> Optional[str]:
        """The desk of what this store writes: $VERITY_DESK, else none."""
        return current_desk()

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
            target, uri = (reading_uri(where), True) if read_only else (path, False)
            conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, uri=uri)
        except sqlite3.Error as ex:
            raise DatabaseUnavailable(f"cannot open {path}: {ex}; check the path and its permissions") from None
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as ex:
            conn.close()
            if exists and not read_only and not os.access(where.parent, os.W_OK):
                # A folder that cannot be written (read-only media, a read-only mount): SQLite
                # cannot make the -shm a reader of a WAL database needs there. Read it as
                # `verity merge` reads another desk's file; a write then says the file is read-only.
                store = cls.open(path, read_only=True)
                if not store.pending_migrations():
                    return store
                store.close()
                raise DatabaseUnavailable(
                    f"cannot upgrade {path}, which an older verity made: its folder is read-only; work on a "
                    "copy you can write") from None
            if read_only and os.path.exists(f"{path}-wal") and not os.access(where.parent, os.W_OK):
                raise DatabaseUnavailable(
                    f"cannot read {path}: a program had it open (its -wal file, which holds its latest writes, is "
                    "beside it) and its folder is read-only, so SQLite cannot read it there; copy it with its -wal "
                    "file to a folder you can write, and use the copy") from None
            if getattr(ex, "sqlite_errorname", "") == "SQLITE_READONLY_ROLLBACK":
                raise DatabaseUnavailable(
                    f"cannot read {path}: a program stopped while writing it left its unfinished write in "
                    f"{path}-journal, which SQLite must undo before the file can be read, and cannot while it only "
                    f"reads; open it once where it may be written (verity --db {path} claim list) and try again"
                ) from None
            if getattr(ex, "sqlite_errorname", "") == "SQLITE_READONLY_DIRECTORY" or "readonly" in str(ex):
                raise DatabaseUnavailable(
                    f"cannot open {path}: its folder {where.parent.resolve()} is read-only, and SQLite writes its "
                    "-wal and -shm files beside the database; make the folder writable, or work on a copy elsewhere"
                ) from None
            if "not a database" not in str(ex):
                raise DatabaseUnavailable(f"cannot open {path}: {ex}; check the file and its permissions") from None
            raise NotVerityDatabase(
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
            store._migrate_when_free()
        except sqlite3.OperationalError as ex:
            conn.close()
            if busy(ex):
                raise database_problem(path, ex) from None
            raise DatabaseUnavailable(f"cannot upgrade {path}: {ex}; check that the file is writable") from None
        except DatabaseUnavailable:
            conn.close()
            raise
        with contextlib.suppress(sqlite3.OperationalError):  # read-only: it stays as it is
            store._ensure_wal()  # e.g. after an import into a new file was killed (see Store.bulk_load)
        store._adopt_rows_written_by_others()
        return store

    @classmethod
    def create(cls, path: str | os.PathLike) -> "Store":
        """Open the verity database at `path`, creating it (or making an empty file one) if need be."""
        return cls.open(path, create=True)

    def _check_is_verity(self, may_create: bool) -> None:
        tables = self._tables()
        if not tables and not may_create:
            tables = self._tables_once_made()
        if tables and not migrations.is_verity(self.conn):
            self.close()
            raise NotVerityDatabase(
                f"{self.path} is a SQLite database but not a verity database; "
                "choose another --db or run 'verity init' on a new path"
            )
        if not tables and not may_create:
            self.close()
            raise NotVerityDatabase(
                f"{self.path} is an empty file, not a verity database; "
                f"make it one with 'verity --db {self.path} init' or point --db at a verity database"
            )
        if not tables:
            # A page four times SQLite's default means fewer pages to write, split and find for
            # a large import (docs/performance.md). A file SQLite has written already (a header,
            # no table) takes a new page size only by a VACUUM, and not in WAL mode: nothing is
            # in it to copy.
            self.conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            if self.conn.execute("PRAGMA page_size").fetchone()[0] != PAGE_SIZE:
                self.conn.execute("PRAGMA journal_mode = DELETE")
                self.conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
                self.conn.execute("VACUUM")

    def _migrate_when_free(self) -> None:
        """`migrate`, waiting for another verity that is making or upgrading the file: SQLite
        answers "locked" at once, without the busy wait, where waiting could deadlock (two
        connections that both read the schema, then both want to write it)."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                self.migrate()
                return
            except sqlite3.OperationalError as ex:
                if not busy(ex) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _tables(self) -> int:
        return self.conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]

    def _tables_once_made(self, wait: float = 0.3) -> int:
        """The tables of an empty file made just now, once the verity that made it (two imports
        into one new file, started together) has written them: it takes a few milliseconds
        between making the file and writing its first tables. None come in `wait` seconds, or
        the file is older than that: 0."""
        try:
            if time.time() - os.path.getmtime(self.path) > wait:
                return 0
        except OSError:
            return 0
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            time.sleep(0.05)
            try:
                tables = self._tables()
            except sqlite3.DatabaseError:  # its maker failed and removed it, or it is mid-write
                continue
            if tables:
                return tables
        return 0

    def _adopt_rows_written_by_others(self) -> None:
        """Give a uid (and a source its folded name) to each record another program inserted
        without one (the sqlite3 shell, sqlite-utils): the uid an import of the same record would
        give it; and reconcile the claims they touch, which no verity command has. Until then
        such a claim is missing from `claim list` and its stances from every verdict.

        Only records verity would have taken itself, and never at a reader's cost: a claim whose
        key is no slug, and a stance on it, wait as they are (unlisted, as before); a source whose
        name another source has, or has as an alias, is merged into that source, as a desk merge
        makes two records of one name one source. A file this process may not
        write, or that another program is writing, is left for a later open, without a wait.
        The uid columns are indexed: on a sound file the look is one probe of each index."""
        if not self.records_without_uid():
            return
        sources = [(source_id, name) for source_id, name in self.conn.execute(
            "SELECT id, name FROM sources WHERE uid IS NULL").fetchall() if isinstance(name, str)]
        claims = [(claim_id, key) for claim_id, key in self.conn.execute(
            "SELECT id, key FROM claims WHERE uid IS NULL").fetchall() if isinstance(key, str) and is_key(key)]
        self.conn.execute("PRAGMA busy_timeout = 0")
        touched: set[int] = set()
        try:
            with self.transaction():
                for source_id, name in sources:
                    folded = names.fold(name)
                    holder = self.conn.execute(
                        "SELECT id FROM sources WHERE folded = ? AND id != ? UNION ALL "
                        "SELECT source_id FROM aliases WHERE source_id IS NOT NULL AND folded = ? LIMIT 1",
                        [folded, source_id, folded]).fetchone()
                    # One name is one source: a second record of a name verity has is merged into
                    # the source that has it, as a desk merge makes two desks' records of one name.
                    into = None if holder is None else self.root_id("sources", holder[0])
                    # ... and younger than it, as it is (a uid from its name alone would make it the
                    # oldest of all, and the next desk merge would merge the holder into it).
                    uid = uids.new() if into is not None else self._free_uid("sources", uids.of_source(name))
                    self.conn.execute("UPDATE sources SET uid = ?, folded = ?, merged_into = ? WHERE id = ?",
                                      [uid, folded, None if into == source_id else into, source_id])
                    if into is not None and into != source_id:  # a merge on record, as every merge is,
                        # which the settling of a later desk merge keeps (it undoes one it cannot see)
                        self._change("merge", "source", source_id, uid, "merged_into", None,
                                     self._uid("sources", into), "written into the file by another program "
                                     "under a name this source has")
                    if into is not None:
                        touched.update(claim_id for claim_id, in self.conn.execute(
                            "SELECT DISTINCT claim_id FROM stances WHERE source_id = ?", [source_id]))
                for claim_id, key in claims:
                    self.conn.execute("UPDATE claims SET uid = ? WHERE id = ?",
                                      [self._free_uid("claims", uids.of_claim(key)), claim_id])
                    touched.add(claim_id)
                for row in self.conn.execute(
                    "SELECT s.id, c.key, src.name, s.position, s.quote, s.url, s.said_on, s.via, s.logged_at, "
                    "s.logged_by, s.claim_id FROM stances s JOIN claims c ON c.id = s.claim_id "
                    "JOIN sources src ON src.id = s.source_id "
                    "WHERE s.uid IS NULL AND c.uid IS NOT NULL AND src.uid IS NOT NULL").fetchall():
                    self.conn.execute("UPDATE stances SET uid = ? WHERE id = ?",
                                      [self._free_uid("stances", uids.of_stance(*row[1:10])), row[0]])
                    touched.add(row[10])
                if touched:
                    self.refresh_reconciliations(touched)
        except (VerityError, sqlite3.Error):
            pass  # read-only, busy or damaged: the rows wait, as they are, for an open that can
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def _free_uid(self, table: str, uid: str) -> str:
        """`uid`, unless a record of `table` has it already: then a new one."""
        taken = self.conn.execute(f"SELECT 1 FROM {table} WHERE uid = ?", [uid]).fetchone()
        return uids.new() if taken else uid

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
        # Off for a table rebuild, as SQLite asks (it cannot change inside a transaction).
        self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            with self.transaction():
                applied = migrations.apply(self.db)
                problems = self.conn.execute("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise sqlite3.IntegrityError(f"foreign keys broken by an upgrade: {problems[:5]}")
                # What a migration adds for the reconciler to fill (m004's stance statuses)
                # is filled now, after each claim's ruling is its latest again (m014 rewrote
                # ruling times, which can change which is); a refresh that finds everything
                # sound writes nothing.
                self.refresh_rulings()
                self.refresh_reconciliations()
                return applied
        except sqlite3.IntegrityError:
            # Rolled back: a reference that was broken before the upgrade (by raw SQL, or another
            # program) is the file's damage, not the upgrade's.
            broken = self.conn.execute("PRAGMA foreign_key_check").fetchall()
            if not broken:
                raise
            table, rowid, parent, _fk = broken[0]
            more = f", and {len(broken) - 1} more like it" if len(broken) > 1 else ""
            raise damaged(self.path, f"{table} row {rowid} points to a row of {parent} that is not there{more}") \
                from None
        finally:
            self.conn.execute("PRAGMA foreign_keys = ON")

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

    def check_writable(self) -> None:
        """DatabaseUnavailable when a newer verity wrote this database: this one may read it, never write it."""
        if self.written_by_newer:
            raise DatabaseUnavailable(
                f"{self.path} was written by a newer verity (it has migration {self.written_by_newer!r}, "
                "which this one does not know); upgrade verity to change it, e.g. pip install -U verity"
            )

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; IMMEDIATE so two writers queue instead of deadlocking."""
        self.check_writable()
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
                try:
                    self.conn.execute("COMMIT")
                except BaseException:
                    # A COMMIT that fails (SQLITE_BUSY outside WAL: a reader holds the file)
                    # leaves the transaction open, and its lock with it.
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise
        except sqlite3.DatabaseError as exc:
            problem = database_problem(self.path, exc)
            if problem is None:
                raise
            raise problem from exc

    # -- writing -------------------------------------------------------------

    def add_source(self, source: Source) -> Source:
        """Add a source; returns it with its id and uid. Duplicate when its name is a name or
        alias of another source (names are compared as docs/rules.md says). After it, `warnings`
        names an existing name, alias or affiliation a few letters from the new one's."""
        self.warnings = []
        with self.transaction():
            self._check_name_free(source.name, None)
            self.warnings = self.near_source_names(source)
            source = attrs.evolve(source, uid=source.uid or uids.new(), desk=source.desk or self.desk)
            source_id = self.conn.execute(SOURCE_INSERT, source_row(source, utc_now(), self.user)).lastrowid
        return attrs.evolve(source, id=source_id)

    def add_claim(self, claim: Claim) -> Claim:
        """Add a claim (and its reconciliation); returns it with its id and uid. Duplicate when
        its key is a key or old key of another claim; NotFound when its question is not there.
        After it, `warnings` names the claims already logged that are likely the same
        (docs/similar.md), and those pairs are kept for Datasette's "claims logged twice"."""
        self.warnings = []
        with self.transaction():
            self._check_key_free(claim.key, None)
            question_id = self._question_id(claim.question)
            claim = attrs.evolve(claim, uid=claim.uid or uids.new(), desk=claim.desk or self.desk)
            claim_id = self.conn.execute(CLAIM_INSERT, claim_insert_row(
                claim_row(claim), claim.uid, claim.desk, utc_now(), self.user)).lastrowid
            claim = attrs.evolve(claim, id=claim_id)
            if question_id is not None:
                self.conn.execute("UPDATE claims SET question_id = ? WHERE id = ?", [question_id, claim_id])
            same = self.likely_same(claim)
            self.record_lookalikes(claim_id, same)
            self.warnings = [self.likely_same_warning(claim, match) for match in self.logged_twice(claim_id, same)]
            self.refresh_reconciliations([claim_id])
        return attrs.evolve(claim, id=claim_id)

    def add_stance(self, stance: Stance) -> Stance:
        """Log a stance; `stance.claim` and `stance.source` may be a key/name (or alias) or an id.

        Conflict when it repeats a stance already logged (same claim, source, position, quote,
        url, said_on and via). After it, `warnings` says when a stance without a said-on date
        now counts over a dated stance of the same source.
        """
        self.warnings = []
        with self.transaction():
            claim = self.get_claim(stance.claim, order=STANCE_ORDER)
            source = self.get_source(stance.source, order=STANCE_ORDER)
            stance = attrs.evolve(stance, claim=claim.key, source=source.name,
                                  logged_by=stance.logged_by or self.user, uid=stance.uid or uids.new(),
                                  desk=stance.desk or self.desk)
            claims, sources = self.member_ids("claims", claim.id), self.member_ids("sources", source.id)
            repeat = self.conn.execute(
                f"SELECT id, logged_at, logged_by FROM stances WHERE claim_id IN ({_marks(claims)}) "
                f"AND source_id IN ({_marks(sources)}) AND position = ? AND quote IS ? AND url IS ? "
                "AND said_on IS ? AND via IS ? AND retracted_at IS NULL LIMIT 1",
                [*claims, *sources, stance.position, stance.quote, stance.url, stance.said_on, stance.via],
            ).fetchone()
            if repeat:
                raise Conflict(
                    f"this repeats stance {repeat[0]} (logged {repeat[1][:10]} by {repeat[2] or 'unknown'}); "
                    "nothing was logged. Log it again only if the source said it again: give its --said-on")
            values = stance_values(stance)
            stance_id = self.conn.execute(STANCE_INSERT, (claim.id, source.id, *values[2:])).lastrowid
            self.refresh_reconciliations([claim.id])
            if stance.said_on is None:
                self.warnings += self._undated_over_dated(stance_id, stance, claims, sources)
        return attrs.evolve(stance, id=stance_id)

    def _undated_over_dated(self, stance_id: int, stance: Stance, claims: list[int],
                            sources: list[int]) -> list[str]:
        """A warning for each dated stance of the same source that the undated `stance_id` now
        counts over (rule 1 dates it by when it was logged)."""
        superseded = self.conn.execute(
            f"SELECT s.id, s.said_on FROM stances s JOIN stance_statuses st ON st.stance_id = s.id "
            f"WHERE s.claim_id IN ({_marks(claims)}) AND s.source_id IN ({_marks(sources)}) "
            "AND st.status = ? AND s.said_on IS NOT NULL AND s.id != ? ORDER BY s.id",
            [*claims, *sources, SUPERSEDED, stance_id]).fetchall()
        return [f"this stance has no --said-on, so it counts as said when it was logged ({stance.logged_at[:10]}) "
                f"and now counts over stance {other_id} of {said_on} by the same source; if it was said "
                "earlier, retract it and log it again with --said-on" for other_id, said_on in superseded]

    # -- listings --------------------------------------------------------------

    def sources(self) -> Iterator[tuple[Source, int]]:
        """Every source not merged into another, by name, with the number of stances logged
        for it (those of the sources merged into it included)."""
        columns = self._columns("sources")
        counts = self._stance_counts()
        for row in self.conn.execute("SELECT * FROM sources WHERE merged_into IS NULL ORDER BY folded, name"):
            source = source_from_row(dict(zip(columns, row)))
            yield source, counts.get(source.id, 0)

    def stance_count(self, source_id: int) -> int:
        """How many stances were logged for a source (and for the sources merged into it)."""
        members = self.member_ids("sources", source_id)
        return self.conn.execute(f"SELECT count(*) FROM stances WHERE source_id IN ({_marks(members)})",
                                 members).fetchone()[0]

    def _stance_counts(self) -> dict[int, int]:
        """Stances logged per source, a merged source's counted as the source it was merged into's."""
        counts: dict[int, int] = {}
        for source_id, count in self.conn.execute("SELECT source_id, count(*) FROM stances GROUP BY source_id"):
            root = self.root_id("sources", source_id)
            counts[root] = counts.get(root, 0) + count
        return counts

    def claims(self, verdicts: Optional[Sequence[str]] = None,
               which: Optional[ClaimFilter] = None) -> Iterator[tuple[Claim, Reconciliation]]:
        """Every claim (not merged into another) with its reconciliation, by id: those with
        these verdicts, and those `which` describes (see ClaimFilter), when given."""
        if verdicts:
            which = attrs.evolve(which or ClaimFilter(), verdicts=tuple(verdicts))
        where, params = self.claim_conditions(which or ClaimFilter())
        n = len(self._columns("claims")) + 1
        for row in self.conn.execute(
            CLAIM_SELECT.replace(" FROM", ", " + RECONCILIATION_COLUMNS + " FROM", 1)
            + " JOIN reconciliations r ON r.claim_id = c.id" + where + " ORDER BY c.id",
            params,
        ):
            yield self._claim_from_row(row[:n]), reconciliation_from_row(row[n:])

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
        n = len(self._columns("claims")) + 1
        cursor = self.conn.execute(
            CLAIM_SELECT.replace(" FROM", ", " + RECONCILIATION_COLUMNS + " FROM", 1)
            + " JOIN reconciliations r ON r.claim_id = c.id" + where
            + f" ORDER BY {_VERDICT_RANK}, c.key",
            params,
        )
        counts_as: dict[int, Source] = {}  # as `_record` fills it: each source read once for the whole listing
        for row in cursor:
            yield self._record(self._claim_from_row(row[:n]), reconciliation_from_row(row[n:]), counts_as)

    def _record(self, claim: Claim, reconciliation: Reconciliation,
                counts_as: Optional[dict[int, Source]] = None) -> ClaimRecord:
        stances, statuses, sources = [], {}, {}
        claims = self.member_ids("claims", claim.id)
        if counts_as is None:
            counts_as = {}  # source id -> the source it counts as (itself, unless merged)
        for row in self.conn.execute(
            STANCE_SELECT.replace("SELECT ", "SELECT s.source_id, st.status, st.previous_id, ", 1)
            + " LEFT JOIN stance_statuses st ON st.stance_id = s.id"
            + f" WHERE s.claim_id IN ({_marks(claims)}) ORDER BY coalesce(s.said_on, s.logged_at), s.logged_at, s.uid",
            claims,
        ):
            source_id, status, previous_id = row[:3]
            stance = stance_from_row(row[3:])
            if source_id not in counts_as:
                counts_as[source_id] = self._source_by_id(self.root_id("sources", source_id))
            source = counts_as[source_id]
            sources[stance.source] = sources[source.name] = source
            stances.append(stance)
            statuses[stance.id] = StanceStatus(stance.id, status, previous_id) if status else plain_status(stance.id)
        return ClaimRecord(claim, reconciliation, tuple(stances), statuses, sources, self.stored_estimate(claim.id))

    def claim_keys(self) -> Iterator[str]:
        """Every claim's key."""
        return (row[0] for row in self.conn.execute("SELECT key FROM claims"))

    def counts(self) -> dict[str, int]:
        """How many sources, claims and stances the database holds."""
        return {
            table: self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("sources", "claims", "stances")
        }
