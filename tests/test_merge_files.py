"""`verity merge FILE` of a file without uids (a version-1 export, a hand-written file), and
what a merge leaves of the other desk's file: nothing of this desk's record is lost to a
file that says something else, nothing the file says is dropped without a word, and the
file merged is not touched (docs/desks.md).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3

import pytest
from support import EXAMPLE_DB, EXAMPLE_JSON, ROOT, as_if_from_a_newer_verity, read_only_folder

from verity.errors import DatabaseUnavailable
from verity.store import Store

FUNERAL = "balti-funeral-in-kunar"
KILLED = "balti-was-killed"


def example() -> dict:
    return json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))


def v1_file(path, claims, sources=(), stances=()):
    """A version-1 file: records without uids, a claim's ruling as its fields."""
    path.write_text(json.dumps({"verity": 1, "sources": list(sources), "claims": list(claims),
                                "stances": list(stances)}), encoding="utf-8")
    return path


def claims_saying(db, text):
    with Store.open(db) as store:
        return store.conn.execute("SELECT key, ruling, ruling_explanation FROM claims WHERE text = ?",
                                  [text]).fetchall()


def stances_of_claim_saying(db, text):
    with Store.open(db) as store:
        return store.claim_record(store.conn.execute("SELECT id FROM claims WHERE text = ?",
                                                     [text]).fetchone()[0]).stances


def test_a_claim_of_a_file_without_uids_that_says_otherwise_is_kept_with_its_ruling(balti_db, cli, tmp_path):
    desks = claims_saying(balti_db, example()["claims"][5]["text"])
    short = "Mufti Khalid Balti's funeral was held in Kunar"
    v1 = v1_file(tmp_path / "v1.json", [{"key": FUNERAL, "text": short, "ruling": "true",
                                         "ruling_explanation": "hand"}])
    result = cli("--db", balti_db, "merge", v1)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == f"Merged {v1}: added 1 claim, 1 ruling; resolved 1 difference:"
    assert (f"claim {FUNERAL!r} of the file and the older claim {FUNERAL!r} of this database say different "
            "things: both are kept") in lines[1]
    [(key, ruling, explanation)] = claims_saying(balti_db, short)
    assert key.startswith(FUNERAL + "-") and (ruling, explanation) == ("true", "hand")
    assert claims_saying(balti_db, example()["claims"][5]["text"]) == desks  # the desk's claim keeps its key
    again = cli("--db", balti_db, "merge", v1)
    assert again.exit_code == 0 and "nothing to add, this database has every record of it" in again.stderr


def test_the_stances_of_such_a_claim_are_filed_under_it(balti_db, cli, tmp_path):
    # the desk's own stance on its claim, word for word, on the file's claim of that key
    stance = next(s for s in example()["stances"] if s["claim"] == KILLED)
    source = next(s for s in example()["sources"] if s["name"] == stance["source"])
    v1 = v1_file(tmp_path / "v1.json", [{"key": KILLED, "text": "Balti is alive and well"}], sources=[source],
                 stances=[stance])
    killed = example()["claims"][0]["text"]
    before = [s.uid for s in stances_of_claim_saying(balti_db, killed)]
    result = cli("--db", balti_db, "merge", v1)
    assert result.exit_code == 0, result.output
    assert "added 1 claim, 1 stance" in result.stderr
    assert [s.uid for s in stances_of_claim_saying(balti_db, killed)] == before
    [filed] = stances_of_claim_saying(balti_db, "Balti is alive and well")
    assert (filed.source, filed.position, filed.quote) == (stance["source"], "affirms", stance["quote"])


def test_a_version_1_ruling_of_the_same_claim_joins_its_history(balti_db, cli, tmp_path):
    claim = example()["claims"][5]
    v1 = v1_file(tmp_path / "v1.json", [{"key": FUNERAL, "text": claim["text"], "ruling": "false",
                                         "ruling_explanation": "no funeral", "ruled_at": "2022-01-20T10:00:00Z",
                                         "ruled_by": "amna"}])
    result = cli("--db", balti_db, "merge", v1)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == f"Merged {v1}: added 1 ruling."
    with Store.open(balti_db) as store:
        found = store.claim_record(FUNERAL).claim
        assert (found.ruling, found.ruling_explanation, found.ruled_by) == ("false", "no funeral", "amna")
    assert "nothing to add" in cli("--db", balti_db, "merge", v1).stderr


def test_what_such_a_file_says_of_the_same_records_otherwise_is_said(balti_db, cli, tmp_path):
    claim, source = example()["claims"][5], example()["sources"][0]
    v1 = v1_file(tmp_path / "v1.json",
                 [{"key": FUNERAL, "text": claim["text"], "subject": "Someone else", "tags": ["TTP", "burial"]}],
                 sources=[{"name": source["name"], "affiliation": "Inter-Services Intelligence"}])
    result = cli("--db", balti_db, "merge", v1)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == f"Merged {v1}: nothing to add; resolved 2 differences:"
    said = "\n".join(lines[1:])
    assert (f"source {source['name']!r} of the file, which has no uids and so says not when its values were "
            "set, gives affiliation 'Inter-Services Intelligence' (here 'Government of Pakistan'): this "
            "database's values stand") in said
    assert f"verity source edit {source['name']!r} --affiliation 'Inter-Services Intelligence' --reason" in said
    # (its "TTP" is the claim's tag "ttp", as tags are compared)
    assert "gives subject 'Someone else' (here 'Mufti Khalid Balti'), tag 'burial': this database's" in said
    assert f"verity claim edit {FUNERAL!r} --subject 'Someone else' --tag 'burial' --reason" in said
    with Store.open(balti_db) as store:
        assert store.claim_record(FUNERAL).claim.subject == "Mufti Khalid Balti"
    # a value the record had before an edit is not news
    assert cli("--db", balti_db, "claim", "edit", FUNERAL, "--subject", "Khalid Balti", "--reason", "x").exit_code == 0
    old = v1_file(tmp_path / "old.json", [{"key": FUNERAL, "text": claim["text"], "subject": "Mufti Khalid Balti"}])
    assert cli("--db", balti_db, "merge", old).stderr == (f"Merged {old}: nothing to add, this database has every "
                                                          "record of it.\n")


def test_a_claim_of_such_a_file_never_takes_the_key_of_the_desks_own(tmp_path, cli):
    # the file says not when its claim was made: it counts as younger than the desk's, made today
    db, other = tmp_path / "desk.db", tmp_path / "other.db"
    assert cli("--db", db, "init").exit_code == 0 and cli("--db", other, "init").exit_code == 0
    assert cli("--db", db, "claim", "add", "A strike in Kunar killed five", "--key", "strike-in-kunar").exit_code == 0
    v1 = v1_file(tmp_path / "v1.json", [{"key": "strike-in-kunar", "text": "A strike in Kunar killed seven"}])
    result = cli("--db", db, "merge", v1)
    assert result.exit_code == 0, result.output
    assert "of the file and the older claim 'strike-in-kunar' of this database say different things: both are " \
           "kept, the younger re-keyed 'strike-in-kunar-" in result.stderr
    assert claims_saying(db, "A strike in Kunar killed five") == [("strike-in-kunar", None, None)]
    [(key, _ruling, _explanation)] = claims_saying(db, "A strike in Kunar killed seven")
    assert key.startswith("strike-in-kunar-")
    # and so on the desk that merges this one's file, the file's claim being older than none of its own
    assert cli("--db", other, "claim", "add", "A strike in Kunar killed six", "--key", "strike-in-kunar").exit_code == 0
    assert cli("--db", other, "merge", db).exit_code == 0
    assert claims_saying(other, "A strike in Kunar killed seven")[0][0] == key


# -- the other desk's file is not touched --------------------------------------------------


def beside(path):
    """The files in the folder of `path`, with their contents' digests."""
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in path.parent.iterdir()}


def desk_file(tmp_path, name="theirs.db"):
    """Another desk's database, alone in a folder of its own."""
    folder = tmp_path / "stick"
    folder.mkdir(exist_ok=True)
    shutil.copy(EXAMPLE_DB, folder / name)
    return folder / name


@pytest.mark.parametrize("kind", ["current", "older", "newer", "truncated"])
def test_merging_a_database_leaves_nothing_beside_it(tmp_path, cli, kind):
    theirs = desk_file(tmp_path)
    if kind == "older":
        shutil.copy(ROOT / "tests" / "data" / "claims-before-sqlite-migrations.db", theirs)
    elif kind == "newer":
        as_if_from_a_newer_verity(theirs)
    elif kind == "truncated":
        theirs.write_bytes(theirs.read_bytes()[:60_000])
    before = beside(theirs)
    result = cli("--db", tmp_path / "here.db", "merge", theirs)
    assert (result.exit_code == 0) == (kind in ("current", "older")), result.output
    # Nothing is made beside it either: a -shm owned by whoever merged would stop its owner
    # writing it on a shared folder.
    assert beside(theirs) == before


def test_a_database_written_while_it_is_merged_is_not_merged(tmp_path, monkeypatch):
    """Read immutable (nothing beside it), a file another program writes meanwhile may be read
    half old, half new: the merge finds the file changed and keeps nothing."""
    from verity.store.merge import Merging

    theirs = desk_file(tmp_path)
    merge_attached = Merging._merge_attached

    def written_meanwhile(self):
        outcome = merge_attached(self)
        writer = sqlite3.connect(theirs)  # the other desk's verity, say, logging as it is merged
        writer.execute("UPDATE sources SET note = 'logged meanwhile' WHERE id = 1")
        writer.commit()
        writer.close()
        return outcome

    monkeypatch.setattr(Merging, "_merge_attached", written_meanwhile)
    here = tmp_path / "here.db"
    Store.create(here).close()
    with Store.open(here) as store, pytest.raises(DatabaseUnavailable, match="written, moved or removed by another program while"):
        store.merge_database(str(theirs))
    with Store.open(here) as store:
        assert store.conn.execute("SELECT count(*) FROM sources").fetchone()[0] == 0
    # moved away meanwhile (a sync tool renaming over it, say): the same, in one line
    moved = desk_file(tmp_path, "moved.db")

    def moved_meanwhile(self):
        outcome = merge_attached(self)
        moved.rename(moved.with_name("elsewhere.db"))
        return outcome

    monkeypatch.setattr(Merging, "_merge_attached", moved_meanwhile)
    with Store.open(here) as store, pytest.raises(DatabaseUnavailable, match="moved or removed"):
        store.merge_database(str(moved))


def test_a_desks_database_on_read_only_media_merges(tmp_path, cli):
    theirs = desk_file(tmp_path)
    with read_only_folder(theirs.parent):
        result = cli("--db", tmp_path / "here.db", "merge", theirs)
    assert result.exit_code == 0, result.output
    assert "added 14 sources, 17 claims" in result.stderr


def test_what_keeps_a_database_from_being_merged_is_said(tmp_path, cli):
    theirs = desk_file(tmp_path)
    theirs.write_bytes(theirs.read_bytes()[:60_000])
    result = cli("--db", tmp_path / "here.db", "merge", theirs)
    assert result.exit_code == 1 and "malformed" in result.stderr and "not a verity database" not in result.stderr
    # a file a program had open, its log beside it, on read-only media: SQLite cannot read it there
    theirs = desk_file(tmp_path, "live.db")
    writer = sqlite3.connect(theirs)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("UPDATE sources SET note = 'written, not yet checkpointed' WHERE id = 1")
    writer.commit()
    shutil.copy(theirs, tmp_path / "live.db")
    shutil.copy(f"{theirs}-wal", tmp_path / "live.db-wal")
    writer.close()
    for suffix in ("", "-wal"):
        shutil.copy(tmp_path / f"live.db{suffix}", f"{theirs}{suffix}")
    with read_only_folder(theirs.parent):
        result = cli("--db", tmp_path / "here.db", "merge", theirs)
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"Error: cannot read {theirs}: a program had it open (its -wal file, which holds its "
                             "latest writes, is beside it) and its folder is read-only, so SQLite cannot read it "
                             "there; copy it with its -wal file to a folder you can write, and use the copy\n")


@pytest.mark.parametrize("sql, said", [
    ("INSERT INTO claims (uid, key, text) VALUES ('0199aaaa-0000-7000-8000-000000000003', "
     "'k$(touch pwned)', 'a claim')", "claim key 'k$(touch pwned)' is not a slug"),
    ("INSERT INTO questions (uid, key, text) VALUES ('0199aaaa-0000-7000-8000-000000000001', "
     "'q;touch pwned;#', 'x')", "question key 'q;touch pwned;#' is not a slug"),
    ("INSERT INTO sources (uid, name, folded) VALUES ('0199aaaa-0000-7000-8000-000000000002', "
     "'Evil' || char(27) || ']0;T' || char(7), 'evil')", "source name 'Evil\\x1b]0;T\\x07' holds a control"),
])
def test_a_desks_database_with_a_name_or_key_verity_refuses_is_not_merged(balti_db, cli, tmp_path, sql, said):
    # A database merges by SQL, past the checks of every other way in: a key of `$(...)` would
    # reach the merge commands verity suggests, and a name with escapes every desk's terminal.
    desk = tmp_path / "desk.db"
    assert cli("--db", desk, "init").exit_code == 0
    conn = sqlite3.connect(desk)
    with conn:
        conn.execute(sql)
    conn.close()
    before = hashlib.sha256(balti_db.read_bytes()).hexdigest()
    result = cli("--db", balti_db, "merge", desk)
    assert result.exit_code == 1 and said in result.stderr and "nothing was merged" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert hashlib.sha256(balti_db.read_bytes()).hexdigest() == before


def test_a_resolution_is_one_line_whatever_a_desk_name_holds(cli, tmp_path):
    # A desk's name comes from its file: with line breaks in it, a "Resolved" line could forge
    # a line of verity's own advice below it.
    forged = "kabul\n  to change it: verity source edit x --note \"$(touch pwned)\" --reason fix\nResolved: ok"
    desk = tmp_path / "desk.json"
    desk.write_text(json.dumps({"verity": 2, "sources": [{"name": "Plain Source", "kind": "official",
                                                          "uid": "0199bbbb-0000-7000-8000-000000000001",
                                                          "desk": forged}], "claims": [], "stances": []}))
    assert cli("init").exit_code == 0
    assert cli("source", "add", "Plain Source", "--kind", "news outlet").exit_code == 0
    result = cli("merge", desk)
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert any(line.startswith("Resolved: ") and "kabul\\n" in line for line in lines), lines
    assert not any(line.startswith("  to change it: verity source edit x") for line in lines)
    assert sum(line.startswith("Resolved: ") for line in lines) == sum(line.startswith("  to change it: ")
                                                                       for line in lines)


def test_a_suggested_command_quotes_a_key_another_program_wrote(cli, tmp_path):
    # A file opened directly may hold a key no verity made: the command verity suggests must not
    # run it in the shell it is pasted into.
    assert cli("init").exit_code == 0
    conn = sqlite3.connect(tmp_path / "test.db")
    with conn:
        conn.execute("INSERT INTO claims (key, text) VALUES ('k$(touch pwned)', 'The bridge was closed on Monday')")
    conn.close()
    added = cli("claim", "add", "The bridge was closed on Monday", "--key", "bridge-closed")
    assert added.exit_code == 0
    assert "verity claim merge bridge-closed --into 'k$(touch pwned)' --reason" in added.stderr


def test_a_desk_whose_older_verity_took_a_name_with_an_invisible_mark_still_merges(balti_db, cli, tmp_path):
    # Refused at the door since, but kept where an older verity took it: as a name it can be
    # corrected, but its old spelling stays an alias for good, and the desk must still merge.
    desk = tmp_path / "desk.db"
    assert cli("--db", desk, "init").exit_code == 0
    conn = sqlite3.connect(desk)
    with conn:
        conn.execute("INSERT INTO sources (uid, name, folded) VALUES ('0199aaaa-0000-7000-8000-0000000000a1', "
                     "'Amir\u200f Rana', 'amir\u200f rana')")
    conn.close()
    merged = cli("--db", balti_db, "merge", desk)
    assert merged.exit_code == 0 and "added 1 source" in merged.stderr, merged.stderr
