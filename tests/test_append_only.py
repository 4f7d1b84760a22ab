"""The record is append-only against any SQL, not only verity's own: through a plain `sqlite3`
connection (as the sqlite3 shell or another program would write), with foreign keys on and off,
no stance is deleted, edited, replaced, renumbered or un-retracted, no source, claim or question
deleted, replaced, renumbered or given another uid, and no ruling, change or alias edited, deleted
or replaced: neither by INSERT OR REPLACE nor by UPDATE OR REPLACE, which deletes the row whose
unique value an update takes without firing its delete trigger."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from support import EXAMPLE_DB

from verity.store import Store
from verity.store.merge import UNIQUE_WHILE_SETTLED

RETRACTED = 10  # the bundled Balti case's retracted stance
STANCE_COLUMNS = "claim_id, source_id, position, quote, url, said_on, via, note, logged_at, logged_by"

# (what is tried, the SQL, what the refusal says)
STATEMENTS = [
    ("delete a stance", "DELETE FROM stances WHERE id = 1", "never deleted"),
    ("delete every stance", "DELETE FROM stances", "never deleted"),
    ("edit a stance", "UPDATE stances SET position = 'denies' WHERE id = 1", "never edited"),
    ("edit a quote", "UPDATE stances SET quote = 'rewritten' WHERE id = 1", "never edited"),
    ("renumber a stance", "UPDATE stances SET id = 9001 WHERE id = 1", "never edited"),
    ("renumber onto another", "UPDATE OR REPLACE stances SET id = 2 WHERE id = 1", "never edited"),
    ("renumber a stance by its rowid", "UPDATE stances SET rowid = 9001 WHERE id = 1", "never edited"),
    ("change a stance's uid", "UPDATE stances SET uid = 'x' WHERE id = 1", "never edited"),
    ("INSERT OR REPLACE a stance", f"INSERT OR REPLACE INTO stances (id, uid, {STANCE_COLUMNS}) "
     f"SELECT id, uid, claim_id, source_id, 'denies', 'rewritten', url, said_on, via, note, logged_at, logged_by "
     "FROM stances WHERE id = 1", "never replaced"),
    ("REPLACE a stance under a new uid", f"REPLACE INTO stances (id, uid, {STANCE_COLUMNS}) "
     f"SELECT id, 'new-uid', {STANCE_COLUMNS} FROM stances WHERE id = 1", "never replaced"),
    ("upsert a stance", f"INSERT INTO stances (id, uid, {STANCE_COLUMNS}) SELECT id, uid, {STANCE_COLUMNS} "
     "FROM stances WHERE id = 1 ON CONFLICT(id) DO UPDATE SET position = 'denies'", "never"),
    ("un-retract a stance", f"UPDATE stances SET retracted_at = NULL, retraction_reason = NULL WHERE id = {RETRACTED}",
     "never undone or rewritten"),
    ("rewrite a retraction's reason", f"UPDATE stances SET retraction_reason = 'other' WHERE id = {RETRACTED}",
     "never undone or rewritten"),
    ("re-date a retraction", f"UPDATE stances SET retracted_at = '2030-01-01T00:00:00Z' WHERE id = {RETRACTED}",
     "never undone or rewritten"),
    ("delete a claim", "DELETE FROM claims WHERE id = 1", "never deleted"),
    ("REPLACE a claim by id", "INSERT OR REPLACE INTO claims (id, uid, key, text) VALUES (1, 'u', 'k', 't')",
     "never replaced"),
    ("REPLACE a claim by uid", "INSERT OR REPLACE INTO claims (uid, key, text) SELECT uid, 'k2', 't' FROM claims "
     "WHERE id = 1", "never replaced"),
    ("delete a source", "DELETE FROM sources WHERE id = 1", "never deleted"),
    ("REPLACE a source by id", "INSERT OR REPLACE INTO sources (id, name, folded) VALUES (1, 'x', 'x')",
     "never replaced"),
    ("REPLACE a source by uid", "INSERT OR REPLACE INTO sources (uid, name, folded) SELECT uid, 'y', 'y' "
     "FROM sources WHERE id = 2", "never replaced"),
    ("delete a question", "DELETE FROM questions", "never deleted"),
    # What points to a record by id (stances, aliases, merges, rulings, a claim's question,
    # saved estimates) would point at nothing: the record would lose them.
    ("renumber a source", "UPDATE sources SET id = 9001 WHERE id = 1", "never renumbered"),
    ("renumber a source by its rowid", "UPDATE sources SET rowid = 9001 WHERE id = 1", "never renumbered"),
    ("renumber every source", "UPDATE sources SET id = id + 1000", "never renumbered"),
    ("renumber a source onto another", "UPDATE OR REPLACE sources SET id = 2 WHERE id = 1", "never renumbered"),
    ("renumber a claim", "UPDATE claims SET id = 9001 WHERE id = 1", "never renumbered"),
    ("renumber a claim by its rowid", "UPDATE claims SET _rowid_ = 9001 WHERE id = 1", "never renumbered"),
    ("renumber a question", "UPDATE questions SET id = 9001", "never renumbered"),
    ("renumber an assessment run", "UPDATE assessment_runs SET oid = 9001", "never renumbered"),
    ("change a source's uid", "UPDATE sources SET uid = 'x' WHERE id = 1", "keep their uid"),
    ("change a claim's uid", "UPDATE claims SET uid = 'x' WHERE id = 1", "keep their uid"),
    ("clear a claim's uid", "UPDATE claims SET uid = NULL WHERE id = 1", "keep their uid"),
    ("change a question's uid", "UPDATE questions SET uid = 'x'", "keep their uid"),
    ("edit a ruling", "UPDATE rulings SET ruling = 'true'", "never edited"),
    ("delete a ruling", "DELETE FROM rulings", "never deleted"),
    ("edit a change", "UPDATE changes SET reason = 'other'", "never edited"),
    ("delete a change", "DELETE FROM changes", "never deleted"),
    ("edit an alias", "UPDATE aliases SET alias = 'other'", "never edited"),
    ("delete an alias", "DELETE FROM aliases", "never deleted"),
]

# INSERT OR REPLACE deletes the row it collides with on a unique column other than the id and
# uid, and that delete fires no delete trigger: m008's triggers watch those columns too.
OPEN = [
    ("REPLACE a claim by key", "INSERT OR REPLACE INTO claims (uid, key, text) SELECT 'new-uid', key, 'rewritten' "
     "FROM claims WHERE id = 1", "never replaced"),
    ("REPLACE a source by name", "INSERT OR REPLACE INTO sources (uid, name, folded) SELECT 'new-uid', name, folded "
     "FROM sources WHERE id = 2", "never replaced"),
    ("REPLACE a question", "INSERT OR REPLACE INTO questions (id, uid, key, text) VALUES (1, 'q2', 'q2', 'Q2')",
     "never replaced"),
    ("REPLACE a ruling", "INSERT OR REPLACE INTO rulings (id, uid, claim_id, ruling) "
     "SELECT id, uid, claim_id, 'true' FROM rulings LIMIT 1", "never replaced"),
    ("REPLACE a change", "INSERT OR REPLACE INTO changes (id, uid, at, action, record_type, record_id, record_uid, "
     "reason) SELECT id, uid, at, action, record_type, record_id, record_uid, 'other' FROM changes LIMIT 1",
     "never replaced"),
    ("REPLACE an alias", "INSERT OR REPLACE INTO aliases (id, uid, source_id, alias, folded) "
     "SELECT id, uid, source_id, 'other', 'other' FROM aliases LIMIT 1", "never replaced"),
]

# UPDATE OR REPLACE deletes the row that holds the unique value an update gives, and fires no
# delete trigger either (m015): each record that a table with a unique column keeps, tried
# through each of them. `unsettled` adds the records these updates need: another question, alias
# and assessment run; a source, claim and stance another program wrote without a uid; a source
# and a claim merged into another that share its name and key.
SOURCE_1 = "(SELECT {column} FROM sources WHERE id = 1)"
CLAIM_1 = "(SELECT {column} FROM claims WHERE id = 1)"
REPLACING_UPDATES = [
    ("give a source another's name", "UPDATE OR REPLACE sources SET name = "
     f"{SOURCE_1.format(column='name')}, folded = {SOURCE_1.format(column='folded')} WHERE id = 2", "never replaced"),
    ("give a source another's name without its own", "UPDATE OR REPLACE sources SET "
     f"folded = {SOURCE_1.format(column='folded')} WHERE id = 2", "never replaced"),
    ("give every source one name", "UPDATE OR REPLACE sources SET folded = 'one'", "never replaced"),
    ("un-merge a source whose name is taken", "UPDATE OR REPLACE sources SET merged_into = NULL "
     "WHERE uid = 'merged-source'", "never replaced"),
    ("give a source without a uid another's", f"UPDATE OR REPLACE sources SET uid = {SOURCE_1.format(column='uid')} "
     "WHERE uid IS NULL", "never replaced"),
    ("renumber a source onto another by its rowid", "UPDATE OR REPLACE sources SET rowid = 1 WHERE id = 2",
     "never renumbered"),
    ("give a claim another's key", f"UPDATE OR REPLACE claims SET key = {CLAIM_1.format(column='key')} WHERE id = 2",
     "never replaced"),
    ("un-merge a claim whose key is taken", "UPDATE OR REPLACE claims SET merged_into = NULL "
     "WHERE uid = 'merged-claim'", "never replaced"),
    ("give a claim without a uid another's", f"UPDATE OR REPLACE claims SET uid = {CLAIM_1.format(column='uid')} "
     "WHERE uid IS NULL", "never replaced"),
    ("renumber a claim onto another", "UPDATE OR REPLACE claims SET id = 1 WHERE id = 2", "never renumbered"),
    ("give a question another's key", "UPDATE OR REPLACE questions SET key = 'balti-killed-where' WHERE id = 2",
     "never replaced"),
    ("give a question another's uid", "UPDATE OR REPLACE questions SET uid = 'q' WHERE id = 2", "keep their uid"),
    ("renumber a question onto another", "UPDATE OR REPLACE questions SET id = 1 WHERE id = 2", "never renumbered"),
    ("give a stance without a uid another's", "UPDATE OR REPLACE stances SET uid = (SELECT uid FROM stances "
     "WHERE id = 1) WHERE uid IS NULL", "never replaced"),
    ("give a stance another's uid", "UPDATE OR REPLACE stances SET uid = (SELECT uid FROM stances WHERE id = 1) "
     "WHERE id = 2", "never"),
    ("give a ruling another's uid", "UPDATE OR REPLACE rulings SET uid = (SELECT uid FROM rulings WHERE id = 1) "
     "WHERE id = 2", "never edited"),
    ("renumber a ruling onto another", "UPDATE OR REPLACE rulings SET id = 1 WHERE id = 2", "never edited"),
    ("give a change another's uid", "UPDATE OR REPLACE changes SET uid = (SELECT uid FROM changes WHERE id = 1) "
     "WHERE id = 2", "never edited"),
    ("give an alias another's uid", "UPDATE OR REPLACE aliases SET uid = (SELECT uid FROM aliases WHERE id = 1) "
     "WHERE uid = 'alias-2'", "never edited"),
    ("renumber an assessment run onto another", "UPDATE OR REPLACE assessment_runs SET id = 1 WHERE id = 2",
     "never renumbered"),
]


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    """The Balti case with a question: every kind of record, each at least once."""
    db = tmp_path_factory.mktemp("append-only") / "claims.db"
    shutil.copy(EXAMPLE_DB, db)
    Store.open(db).close()  # brought to this verity's schema, whatever the bundled file's
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO questions (id, uid, key, text) VALUES (1, 'q', 'balti-killed-where', 'Where?')")
    conn.execute("INSERT INTO assessment_runs (id, method, computed_at) VALUES (1, 'test', '2022-02-01T00:00:00Z')")
    conn.commit()
    conn.close()
    return db


@pytest.fixture(scope="module")
def unsettled(record, tmp_path_factory):
    """`record`, with what raw SQL or another program can leave that verity would not: records
    without a uid (verity gives them one when it next opens the file), and records merged into
    another that share its name or key."""
    db = tmp_path_factory.mktemp("unsettled") / "claims.db"
    shutil.copy(record, db)
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO questions (id, uid, key, text) VALUES (2, 'q2', 'q2', 'Who?')")
    conn.execute("INSERT INTO assessment_runs (id, method, computed_at) VALUES (2, 'test', '2022-02-02T00:00:00Z')")
    conn.execute("INSERT INTO aliases (uid, source_id, alias, folded) VALUES ('alias-2', 1, 'Official', 'official')")
    conn.execute("INSERT INTO sources (name, folded) VALUES ('Written elsewhere', 'written elsewhere')")
    conn.execute("INSERT INTO claims (key, text) VALUES ('written-elsewhere', 'Written elsewhere')")
    conn.execute("INSERT INTO stances (claim_id, source_id, position, logged_at) "
                 "VALUES (1, 1, 'affirms', '2022-02-01T00:00:00Z')")
    conn.execute("INSERT INTO sources (uid, name, folded, merged_into) SELECT 'merged-source', name, folded, id "
                 "FROM sources WHERE id = 1")
    conn.execute("INSERT INTO claims (uid, key, text, merged_into) SELECT 'merged-claim', key, text, id "
                 "FROM claims WHERE id = 1")
    conn.commit()
    conn.close()
    return db


def _everything(conn: sqlite3.Connection) -> dict:
    tables = ("stances", "claims", "sources", "questions", "rulings", "changes", "aliases", "assessment_runs")
    return {table: conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall() for table in tables}


def _try(db, sql: str, foreign_keys: bool, refusal: str) -> None:
    conn = sqlite3.connect(db, isolation_level=None)  # a plain connection: no verity in the way
    try:
        conn.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        before = _everything(conn)
        conn.execute("BEGIN")
        with pytest.raises(sqlite3.IntegrityError, match=refusal):
            conn.execute(sql)
        conn.execute("COMMIT")  # whatever the statement left would now be kept
        assert _everything(conn) == before
    finally:
        conn.close()


@pytest.mark.parametrize("foreign_keys", [True, False], ids=["foreign-keys-on", "foreign-keys-off"])
@pytest.mark.parametrize("what, sql, refusal", STATEMENTS, ids=[s[0] for s in STATEMENTS])
def test_raw_sql_cannot_rewrite_the_record(record, what, sql, refusal, foreign_keys):
    _try(record, sql, foreign_keys, refusal)


@pytest.mark.parametrize("what, sql, refusal", OPEN, ids=[s[0] for s in OPEN])
def test_raw_sql_cannot_replace_a_record_through_another_unique_column(record, what, sql, refusal):
    _try(record, sql, False, refusal)


@pytest.mark.parametrize("foreign_keys", [True, False], ids=["foreign-keys-on", "foreign-keys-off"])
@pytest.mark.parametrize("what, sql, refusal", REPLACING_UPDATES, ids=[s[0] for s in REPLACING_UPDATES])
def test_raw_sql_cannot_replace_a_record_by_an_update(unsettled, what, sql, refusal, foreign_keys):
    _try(unsettled, sql, foreign_keys, refusal)


def test_an_update_that_replaces_nothing_is_still_possible(unsettled, tmp_path):
    """The update guards refuse a collision only: a record keeps its own name or key under another
    spelling, a merged record may share a name or key, one without a uid may be given a new one, and
    while a desk merge has dropped the unique index of names (or keys), records may share them."""
    db = tmp_path / "copy.db"
    shutil.copy(unsettled, db)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("UPDATE OR REPLACE sources SET name = upper(name), folded = folded WHERE id = 1")
    conn.execute("UPDATE OR REPLACE claims SET key = key, text = 'Reworded' WHERE id = 1")
    conn.execute("UPDATE OR REPLACE questions SET key = 'who-did-it' WHERE id = 2")
    conn.execute("UPDATE OR REPLACE sources SET merged_into = 2 WHERE uid = 'merged-source'")
    conn.execute("UPDATE OR REPLACE claims SET merged_into = 2 WHERE uid = 'merged-claim'")
    for table in ("sources", "claims", "stances"):
        conn.execute(f"UPDATE OR REPLACE {table} SET uid = 'given' WHERE uid IS NULL")
    for index in UNIQUE_WHILE_SETTLED:  # each guard of a name or key stands aside while its index is dropped
        assert conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND sql LIKE ?",
                            [f"%name = '{index}'%"]).fetchone()
    conn.execute("BEGIN")
    for index in UNIQUE_WHILE_SETTLED:
        conn.execute(f"DROP INDEX {index}")
    conn.execute("UPDATE sources SET merged_into = NULL WHERE uid = 'merged-source'")
    conn.execute("UPDATE claims SET merged_into = NULL WHERE uid = 'merged-claim'")
    assert conn.execute("SELECT count(*) FROM sources WHERE merged_into IS NULL AND folded = "
                        "(SELECT folded FROM sources WHERE id = 1)").fetchone() == (2,)
    conn.execute("ROLLBACK")
    conn.close()


def test_retracting_through_sql_is_still_possible_once(record, tmp_path):
    """What stays allowed: a stance not yet retracted may be retracted (verity's own way of
    withdrawing a record), and new records may be added."""
    db = tmp_path / "copy.db"
    shutil.copy(record, db)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("UPDATE stances SET retracted_at = '2022-02-01T00:00:00Z', retraction_reason = 'test' WHERE id = 1")
    assert conn.execute("SELECT retraction_reason FROM stances WHERE id = 1").fetchone() == ("test",)
    conn.execute("UPDATE sources SET id = id, uid = uid, note = 'edited' WHERE id = 1")  # neither changes
    conn.close()


def test_a_record_written_without_a_uid_may_be_given_one_once(record, tmp_path):
    """A source or claim another program inserted without a uid may be given one through SQL,
    as verity gives a stance one (m005); after that it keeps it."""
    db = tmp_path / "copy.db"
    shutil.copy(record, db)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("INSERT INTO sources (name, folded) VALUES ('Written elsewhere', 'written elsewhere')")
    conn.execute("INSERT INTO claims (key, text) VALUES ('written-elsewhere', 'Written elsewhere')")
    for table in ("sources", "claims"):
        conn.execute(f"UPDATE {table} SET uid = 'given' WHERE uid IS NULL")
        assert conn.execute(f"SELECT count(*) FROM {table} WHERE uid = 'given'").fetchone() == (1,)
        with pytest.raises(sqlite3.IntegrityError, match="keep their uid"):
            conn.execute(f"UPDATE {table} SET uid = 'given again' WHERE uid = 'given'")
    conn.close()
