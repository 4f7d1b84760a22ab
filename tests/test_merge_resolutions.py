"""A line of what a desk merge resolved that meets two records of one key names both (docs/desks.md):
by desk, or, for a record of no desk, as the file's or this database's, and by what each says
where that does not tell them apart."""

from __future__ import annotations

import json
import shutil
import time

from support import EXAMPLE_DB


def run(cli, *args):
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return result


# -- a file without uids, and records of no desk: the line names both ------------------------------------


def test_a_claim_of_a_file_without_uids_and_the_databases_are_both_named(cli, tmp_path):
    db, file = tmp_path / "b2.db", tmp_path / "f.json"
    shutil.copy(EXAMPLE_DB, db)
    file.write_text(json.dumps({"verity": 1, "sources": [], "stances": [],
                                "claims": [{"key": "balti-was-killed", "text": "Balti died of an illness"}]}))
    lines = run(cli, "--db", db, "merge", file).stderr.splitlines()
    assert lines[1].startswith("Resolved: claim 'balti-was-killed' of the file and the older claim "
                               "'balti-was-killed' of this database say different things: both are kept, "
                               "the younger re-keyed 'balti-was-killed-"), lines


def test_two_databases_of_no_desk_are_told_apart_by_where_their_claims_were(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("VERITY_DESK", raising=False)
    older, younger = tmp_path / "older.db", tmp_path / "younger.db"
    for path, text in ((older, "A strike hit a house"), (younger, "A drone killed five")):
        run(cli, "--db", path, "init")
        run(cli, "--db", path, "claim", "add", text, "--key", "k")
        time.sleep(0.002)
    said = run(cli, "--db", older, "merge", younger).stderr
    assert "claim 'k' of the file and the older claim 'k' of this database say different things" in said
    said = run(cli, "--db", tmp_path / "copy.db", "merge", older).stderr  # both new here: both the file's
    assert ("claim 'k' of the file ('A drone killed five') and the older claim 'k' of the file "
            "('A strike hit a house') say different things") in said
