"""An export round-trips: whatever state a database reached (merges, desk merges included), its
export imports into an empty database giving the same records by uid and the same current
values, and importing or merging it again adds nothing, not even a change record
(docs/import-export.md, docs/desks.md)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path


def run(cli, *args):
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return result


def records(db: Path) -> dict:
    """Sources and claims by uid, with the uid of the record each was merged into; every other
    record by uid; and the number of change records."""
    with sqlite3.connect(db) as conn:
        found = {}
        for table, column in (("sources", "name"), ("claims", "key")):
            uid_of = dict(conn.execute(f"SELECT id, uid FROM {table}"))
            found[table] = sorted((uid, name, uid_of.get(merged)) for uid, name, merged in conn.execute(
                f"SELECT uid, {column}, merged_into FROM {table}"))
        found["stances"] = sorted(row[0] for row in conn.execute("SELECT uid FROM stances"))
        found["changes"] = sorted(row[0] for row in conn.execute("SELECT uid FROM changes"))
        return found


def exported(cli, db: Path, path: Path) -> dict:
    run(cli, "--db", db, "export", "--output", path)
    return json.loads(path.read_text())


# -- a file without uids, merged twice -------------------------------------------------------------

V1 = {"verity": 1, "sources": [{"name": "Reuters"}], "claims": [{"key": "k1", "text": "It happened"}],
      "stances": [{"claim": "k1", "source": "Reuters", "position": "affirms"},
                  {"claim": "k1", "source": "Reuters", "position": "denies", "said_on": "2022-01-10"}]}


def test_a_file_without_uids_merged_twice_adds_its_stances_once(cli, tmp_path):
    file, merged, imported = tmp_path / "v1.json", tmp_path / "merged.db", tmp_path / "imported.db"
    file.write_text(json.dumps(V1))
    assert run(cli, "--db", merged, "merge", file).stderr.splitlines()[-1] == \
        f"Merged {file}: added 1 source, 1 claim, 2 stances."
    assert run(cli, "--db", merged, "merge", file).stderr.splitlines()[-1] == \
        f"Merged {file}: nothing to add, this database has every record of it."
    run(cli, "--db", imported, "import", file)
    # the same uids an import derives, and who logged them: whoever brought them in
    with sqlite3.connect(merged) as conn:
        assert conn.execute("SELECT logged_by FROM stances").fetchall() == [("tester",), ("tester",)]
    assert records(merged) == records(imported)
    assert run(cli, "--db", imported, "merge", file).stderr.splitlines()[-1].endswith("nothing to add, "
                                                                                       "this database has every record of it.")
