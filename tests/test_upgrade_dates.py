"""A database an earlier verity wrote holds its dates as they were typed or as its files wrote them
('2022-01-20T08:00-05:00', '2022-01-10 09:00', '10:00Z'); the upgrade to schema 14 (m014) stores
each as verity stores dates now (models.check_date), every uid kept, so that "latest" is right
again, and the database's own export, or the file it was imported from, is the same records when
read back (docs/rules.md, rule 1)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from support import EXAMPLE_DB
from test_append_only import RETRACTED, STATEMENTS, _try

from verity import migrations, uids
from verity.store import Store

M014 = "m014_dates_as_stored"
# Every column that holds a date a person or a file gave, and the change values that are dates.
DATE_COLUMNS = {
    "stances": ("said_on", "logged_at", "retracted_at", "retracted_on"),
    "rulings": ("ruled_at",),
    "claims": ("ruled_at",),
    "aliases": ("added_at",),
    "changes": ("at", "new"),
}


def run(cli, *args):
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return result


def rows(db, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def statuses(cli, db, claim: str) -> dict[int, str]:
    listed = json.loads(run(cli, "--db", db, "stance", "list", "--claim", claim, "--json").stdout)
    return {stance["id"]: stance["status"] for stance in listed}


def triggers(db) -> dict[str, list[tuple[str, str]]]:
    """Each table's triggers (name, SQL), the refusals among them in the order they were made."""
    found: dict[str, list[tuple[str, str]]] = {}
    for table, name, sql in rows(db, "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger' "
                                     "ORDER BY sql NOT LIKE '%RAISE(%', rowid"):
        found.setdefault(table, []).append((name, sql))
    return found


# -- a uid-less file an earlier verity imported, and what was typed after ------------------------------

FILE = [
    {"type": "source", "name": "S"},
    {"type": "source", "name": "T"},
    {"type": "source", "name": "U"},
    {"type": "claim", "key": "x", "text": "X happened"},
    {"type": "claim", "key": "y", "text": "Y happened", "ruling": "true", "ruled_at": "2022-01-20 08:00-05:00"},
    # S: 13:00 UTC is later than 10:00 UTC, but its text sorted first
    {"type": "stance", "claim": "x", "source": "S", "position": "affirms", "said_on": "2022-01-20T10:00:00Z",
     "logged_at": "2022-01-21 10:00:00+01:00", "logged_by": "a"},
    {"type": "stance", "claim": "x", "source": "S", "position": "denies", "said_on": "2022-01-20T08:00:00-05:00",
     "logged_at": "2022-01-21T09:00:00Z", "logged_by": "a"},
    # T: to the minute, '10:00Z' sorted after '10:00:30Z'
    {"type": "stance", "claim": "x", "source": "T", "position": "affirms", "said_on": "2022-01-20T10:00Z",
     "logged_at": "2022-01-21T09:00:00Z", "logged_by": "a"},
    {"type": "stance", "claim": "x", "source": "T", "position": "denies", "said_on": "2022-01-20T10:00:30Z",
     "logged_at": "2022-01-21T09:00:00Z", "logged_by": "a"},
    # U: a space sorted before 'T', so 09:00 before 08:00
    {"type": "stance", "claim": "x", "source": "U", "position": "denies", "said_on": "2022-01-10 09:00",
     "logged_at": "2022-01-21T09:00:00Z", "logged_by": "a"},
    {"type": "stance", "claim": "x", "source": "U", "position": "affirms", "said_on": "2022-01-10T08:00",
     "logged_at": "2022-01-21T09:00:00Z", "logged_by": "a"},
    {"type": "stance", "claim": "y", "source": "U", "position": "affirms", "said_on": "2022-01-05",
     "logged_at": "2022-01-21T09:00:00Z", "logged_by": "a",
     "retracted": {"reason": "r", "at": "2022-01-22T09:00:00-03:00", "on": "2022-01-21 23:00+05:00"}},
]
_STANCE = ("claim_id, source_id, position, said_on, logged_at, logged_by, retracted_at, retraction_reason, "
           "retracted_on, uid")


def _written_before(path: Path) -> None:
    """The database an earlier verity (schema 13) made of FILE, its dates as the file wrote them
    and its uids derived from them, and of what was typed after: a ruling of y at 10:00 UTC (its
    ruling then: '2022-01-20T10:00:00Z' sorted after '2022-01-20 08:00-05:00'), a retraction of
    T's stance on y with the date typed, an alias a desk merge gave S at a time with an offset, a
    stance whose date another program wrote, and saved estimates; its reconciliations as the
    reconciler made them of those texts."""
    import sqlite_utils

    db = sqlite_utils.Database(path)
    migrations.migration_set().apply(db, stop_before=M014)
    conn = db.conn
    ids = {}
    for record in FILE:
        if record["type"] == "source":
            ids[record["name"]] = conn.execute("INSERT INTO sources (uid, name, folded) VALUES (?, ?, ?)", [
                uids.of_source(record["name"]), record["name"], record["name"].lower()]).lastrowid
        elif record["type"] == "claim":
            ids[record["key"]] = conn.execute("INSERT INTO claims (uid, key, text) VALUES (?, ?, ?)", [
                uids.of_claim(record["key"]), record["key"], record["text"]]).lastrowid
        else:
            retracted = record.get("retracted") or {}
            conn.execute(f"INSERT INTO stances ({_STANCE}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                ids[record["claim"]], ids[record["source"]], record["position"], record["said_on"],
                record["logged_at"], record["logged_by"], retracted.get("at"), retracted.get("reason"),
                retracted.get("on"), uids.of_stance(record["claim"], record["source"], record["position"], None, None,
                                                    record["said_on"], None, record["logged_at"], record["logged_by"])])
    ruled_at = FILE[4]["ruled_at"]
    conn.execute("INSERT INTO rulings (uid, claim_id, ruling, ruled_at) VALUES (?, ?, 'true', ?)",
                 [uids.of_ruling("y", "true", None, ruled_at, None), ids["y"], ruled_at])
    conn.execute("INSERT INTO rulings (uid, claim_id, ruling, ruled_at, ruled_by) VALUES (?, ?, 'false', ?, 'old')",
                 [uids.new(), ids["y"], "2022-01-20T10:00:00Z"])
    conn.execute("UPDATE claims SET ruling = 'false', ruled_at = '2022-01-20T10:00:00Z', ruled_by = 'old' "
                 "WHERE key = 'y'")
    retracted = conn.execute(f"INSERT INTO stances ({_STANCE}) VALUES (?, ?, 'neutral', '2022-01-12', ?, 'old', ?, "
                             "'withdrawn', '2022-01-21T10:00+02:00', ?)",
                             [ids["y"], ids["T"], "2022-02-01T10:00:00.000000Z", "2022-02-01T10:05:00.000000Z",
                              uids.new()]).lastrowid
    conn.execute("INSERT INTO changes (uid, at, by, action, record_type, record_id, record_uid, field, new, reason) "
                 "SELECT ?, retracted_at, 'old', 'retract', 'stance', id, uid, 'retracted', retracted_on, "
                 "'withdrawn' FROM stances WHERE id = ?", [uids.new(), retracted])
    conn.execute("INSERT INTO aliases (uid, source_id, alias, folded, added_at) VALUES (?, ?, 'Ess', 'ess', ?)",
                 [uids.of_alias(uids.of_source("S"), "Ess"), ids["S"], "2022-01-19 10:00:00+01:00"])
    conn.execute(f"INSERT INTO stances ({_STANCE}) VALUES (?, ?, 'neutral', 'last tuesday', ?, 'other', NULL, NULL, "
                 "NULL, ?)", [ids["y"], ids["S"], "2022-02-02T00:00:00.000000Z", uids.new()])
    conn.execute("INSERT INTO assessment_runs (method, computed_at) VALUES ('test', '2022-02-03T00:00:00.000000Z')")
    conn.commit()
    Store(conn, str(path)).rebuild_reconciliations()  # as the reconciler then read those texts
    conn.close()


@pytest.fixture
def before(tmp_path) -> Path:
    path = tmp_path / "before.db"
    _written_before(path)
    return path


def test_an_upgrade_stores_every_date_as_verity_stores_it_now_and_keeps_every_uid(before, cli):
    uids_before = {table: rows(before, f"SELECT id, uid FROM {table} ORDER BY id") for table in DATE_COLUMNS}
    triggers_made = triggers(before)
    superseded = "SELECT stance_id FROM stance_statuses WHERE status = 'superseded' ORDER BY stance_id"
    # As the earlier verity read the texts: S's 10:00 UTC, T's '10:00Z', U's '2022-01-10T08:00' latest
    assert rows(before, superseded) == [(2,), (4,), (5,)]
    assert rows(before, "SELECT ruling FROM claims WHERE key = 'y'") == [("false",)]

    run(cli, "--db", before, "init")  # the upgrade
    assert rows(before, "SELECT name FROM _sqlite_migrations WHERE name = ?", [M014]) == [(M014,)]
    assert rows(before, "SELECT said_on, logged_at, retracted_at, retracted_on FROM stances ORDER BY id") == [
        ("2022-01-20T10:00:00Z", "2022-01-21T09:00:00Z", None, None),
        ("2022-01-20T13:00:00Z", "2022-01-21T09:00:00Z", None, None),
        ("2022-01-20T10:00:00Z", "2022-01-21T09:00:00Z", None, None),
        ("2022-01-20T10:00:30Z", "2022-01-21T09:00:00Z", None, None),
        ("2022-01-10T09:00:00", "2022-01-21T09:00:00Z", None, None),
        ("2022-01-10T08:00:00", "2022-01-21T09:00:00Z", None, None),
        ("2022-01-05", "2022-01-21T09:00:00Z", "2022-01-22T12:00:00Z", "2022-01-21T18:00:00Z"),
        ("2022-01-12", "2022-02-01T10:00:00.000000Z", "2022-02-01T10:05:00.000000Z", "2022-01-21T08:00:00Z"),
        ("last tuesday", "2022-02-02T00:00:00.000000Z", None, None),  # not a date: left as it was
    ]
    assert rows(before, "SELECT ruling, ruled_at FROM rulings ORDER BY id") == [
        ("true", "2022-01-20T13:00:00Z"), ("false", "2022-01-20T10:00:00Z")]
    assert rows(before, "SELECT at, new FROM changes WHERE action = 'retract'") == [
        ("2022-02-01T10:05:00.000000Z", "2022-01-21T08:00:00Z")]
    assert rows(before, "SELECT added_at FROM aliases") == [("2022-01-19T09:00:00Z",)]
    assert {table: rows(before, f"SELECT id, uid FROM {table} ORDER BY id") for table in DATE_COLUMNS} == uids_before
    # "latest" as the instants say: S's 13:00 UTC, T's 10:00:30, U's 09:00; y's ruling of 13:00 UTC
    assert rows(before, superseded) == [(1,), (3,), (6,)]
    assert statuses(cli, before, "x") == {1: "superseded", 2: "counted", 3: "superseded", 4: "counted",
                                          5: "counted", 6: "superseded"}
    assert rows(before, "SELECT ruling, ruled_at, ruled_by FROM claims ORDER BY id") == [
        (None, None, None), ("true", "2022-01-20T13:00:00Z", None)]
    with Store.open(before) as store:
        assert list(store.reconciliations()) == list(store.fresh_reconciliations())
    assert rows(before, "SELECT stale_since IS NOT NULL FROM assessment_runs") == [(1,)]  # what they rest on moved
    # The triggers that refuse an edit were dropped for the rewrite and made again, as they were
    # (beside them, those the migrations after m014 make)
    names_made = {name for made in triggers_made.values() for name, _sql in made}
    kept = {table: [(name, sql) for name, sql in made if name in names_made]
            for table, made in triggers(before).items()}
    assert {table: sorted(made) for table, made in kept.items()} == {
        table: sorted(made) for table, made in triggers_made.items()}
    for table, made in kept.items():
        refusals = [name for name, sql in made if "RAISE(" in sql]
        assert refusals == [name for name, sql in triggers_made[table] if "RAISE(" in sql], table


def test_the_file_an_earlier_verity_imported_is_the_same_records_once_upgraded(before, cli, tmp_path):
    """It was refused before the upgrade (y's ruling, latest by its text, was not the file's) or
    would have added its stances again (their dates read otherwise than stored)."""
    path = tmp_path / "file.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in FILE), encoding="utf-8")
    run(cli, "--db", before, "init")  # the upgrade
    stances = rows(before, "SELECT id, uid FROM stances ORDER BY id")
    summary = json.loads(run(cli, "--db", before, "import", path, "--json").stdout)
    assert (summary["stances"], summary["stances_present"], summary["claims"]) == (0, 7, 0)
    assert rows(before, "SELECT id, uid FROM stances ORDER BY id") == stances
    assert rows(before, "SELECT count(*) FROM rulings") == [(2,)]


def test_the_records_of_an_upgrade_stay_append_only(before, tmp_path):
    """Every refusal test_append_only tries holds after an upgrade that dropped and made again the
    triggers of the tables it rewrote."""
    Store.open(before).close()
    conn = sqlite3.connect(before)
    conn.execute("INSERT INTO questions (id, uid, key, text) VALUES (1, 'q', 'where', 'Where?')")
    conn.execute(f"INSERT INTO stances (id, {_STANCE}) VALUES ({RETRACTED}, 1, 1, 'neutral', NULL, "
                 "'2022-02-01T00:00:00Z', 'b', '2022-02-01T00:00:01Z', 't', NULL, 'u')")  # what STATEMENTS try
    conn.commit()
    conn.close()
    for _what, sql, refusal in STATEMENTS:
        _try(before, sql, True, refusal)


# -- its own export, written before the upgrade, read back after ----------------------------------------


def _as_typed(value):
    """A date as it could have been typed or written by a file before verity stored one instant one
    way: a date as it is; a time without a zone with a space, to the minute when its seconds are
    :00; a time in UTC as the same instant at +05:00, with a space, to the minute likewise."""
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, TypeError, ValueError):
        return value  # none, or not a date
    if len(value) <= 10:
        return value
    seconds = value[16:].rstrip("Z")
    if seconds == ":00":
        seconds = ""
    if moment.tzinfo is None:
        return f"{value[:10]} {value[11:16]}{seconds}"
    return f"{moment + dt.timedelta(hours=5):%Y-%m-%d %H:%M}{seconds}+05:00"


def _age(db: Path) -> dict[str, str]:
    """Make a database of this schema one an earlier verity wrote: every date as `_as_typed` spells
    it (the refusing triggers dropped for it, by raw SQL), m014 not applied. Returns each stored
    date and its spelling before."""
    conn = sqlite3.connect(db)
    spelt = {}
    refusals = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%RAISE(%' "
                            "ORDER BY rowid").fetchall()
    for name, _sql in refusals:
        conn.execute(f'DROP TRIGGER "{name}"')
    for table, columns in DATE_COLUMNS.items():
        for rowid, *values in conn.execute(f"SELECT rowid, {', '.join(columns)} FROM {table}").fetchall():
            typed = [_as_typed(value) for value in values]
            spelt.update((value, old) for value, old in zip(values, typed) if value != old)
            conn.execute(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in columns)} WHERE rowid = ?",
                         [*typed, rowid])
    for _name, sql in refusals:
        conn.execute(sql)
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = ?", [M014])
    conn.commit()
    conn.close()
    return spelt


def _respelt(document, spelt: dict[str, str]):
    """An export (its JSON) as the earlier verity wrote it of the same database: its dates as stored then."""
    if isinstance(document, dict):
        return {key: _respelt(value, spelt) for key, value in document.items()}
    if isinstance(document, list):
        return [_respelt(value, spelt) for value in document]
    return spelt.get(document, document) if isinstance(document, str) else document


def _state(db: Path) -> dict:
    """What an upgrade must give back: every date, uid, ruling, status and reconciliation."""
    return {"dates": {table: rows(db, f"SELECT uid, {', '.join(columns)} FROM {table} ORDER BY id")
                      for table, columns in DATE_COLUMNS.items()},
            "claims": rows(db, "SELECT uid, ruling, ruling_explanation, ruled_at, ruled_by FROM claims ORDER BY id"),
            "statuses": rows(db, "SELECT * FROM stance_statuses ORDER BY stance_id"),
            "reconciliations": rows(db, "SELECT * FROM reconciliations ORDER BY claim_id")}


@pytest.fixture
def balti(tmp_path, cli) -> Path:
    """The Balti case, with a withdrawal dated to the minute and with an offset, and a ruling at a
    time to the minute."""
    db = tmp_path / "balti.db"
    shutil.copy(EXAMPLE_DB, db)
    run(cli, "--db", db, "stance", "retract", "1", "--reason", "withdrawn", "--on", "2022-01-19T10:00+02:00")
    run(cli, "--db", db, "claim", "rule", "balti-was-killed", "true", "--on", "2022-01-19T10:00Z")
    return db


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_a_database_s_own_export_written_before_the_upgrade_reads_back_as_the_same_records(balti, cli, tmp_path,
                                                                                          fmt):
    state = _state(balti)
    export = run(cli, "--db", balti, "export", "--format", fmt).stdout
    spelt = _age(balti)
    assert "2022-01-19T08:00:00Z" in spelt and "2022-01-19T10:00:00Z" in spelt
    old = tmp_path / f"old.{fmt}"
    if fmt == "json":
        old.write_text(json.dumps(_respelt(json.loads(export), spelt)), encoding="utf-8")
    else:
        old.write_text("".join(json.dumps(_respelt(json.loads(line), spelt)) + "\n" for line in export.splitlines()),
                       encoding="utf-8")
    assert "+05:00" in old.read_text(encoding="utf-8")
    assert _state(balti) != state

    run(cli, "--db", balti, "init")  # the upgrade
    assert _state(balti) == state
    summary = json.loads(run(cli, "--db", balti, "import", old, "--json").stdout)
    assert (summary["sources"], summary["claims"], summary["stances"]) == (0, 0, 0)
    assert summary["stances_present"] == rows(balti, "SELECT count(*) FROM stances")[0][0]
    merged = run(cli, "--db", balti, "merge", old)
    assert merged.stderr == f"Merged {old}: nothing to add, this database has every record of it.\n"
    assert _state(balti) == state
