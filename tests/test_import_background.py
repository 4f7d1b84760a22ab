"""An import writes its stances from a second thread (verity.bulk): the same rows as a
plain write, text exactly as given, and a failure on either side leaves nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verity import bulk
from verity.importer import BATCH, import_file
from verity.models import Stance
from verity.store import Store


def test_this_sqlite_can_unpack_json_rows(tmp_path):
    # Else imports silently fall back to plain executemany; CI would not notice.
    with Store.create(tmp_path / "v.db") as store:
        assert bulk.available(store.conn)


def _jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _rows(store: Store) -> list[tuple]:
    return store.conn.execute("SELECT * FROM stances ORDER BY id").fetchall()


ODD_TEXTS = ["emoji 🙂 and ümlaut", 'quote " and \\ backslash', "tab\tand\nnewline", "line \u2028 separator",
             "x" * 5000, "0", "null", "[1]"]


def _import_odd(tmp_path: Path, name: str, texts: list[str]) -> tuple[list[tuple], list[str]]:
    records = [{"type": "source", "name": "S"}, {"type": "claim", "key": "c", "text": "C"}]
    records += [{"type": "stance", "claim": "c", "source": "S", "position": "affirms", "quote": text,
                 "note": text, "via": text, "logged_at": f"2022-01-01T00:00:{i:02d}Z"}
                for i, text in enumerate(texts)]
    path = _jsonl(tmp_path / f"{name}.jsonl", records)
    statements: list[str] = []
    with Store.create(tmp_path / f"{name}.db") as store:
        store.conn.set_trace_callback(statements.append)
        import_file(store, path)
        return _rows(store), [s for s in statements if s.startswith("INSERT INTO stances")]


def test_text_arrives_exactly_as_given_through_the_writer(tmp_path, monkeypatch):
    background, inserts = _import_odd(tmp_path, "background", ODD_TEXTS)
    assert [row[4] for row in background] == ODD_TEXTS
    assert len(inserts) == 1 and "json_each" in inserts[0]  # one statement for the batch
    monkeypatch.setattr(bulk, "available", lambda conn: False)  # the plain executemany path
    plain, inserts = _import_odd(tmp_path, "plain", ODD_TEXTS)
    assert background == plain
    assert len(inserts) == len(ODD_TEXTS) and "json_each" not in inserts[0]


def test_a_batch_with_a_nul_character_is_written_the_plain_way(tmp_path):
    # json_extract would end the text at the NUL.
    texts = ["before", "nul \u0000 inside", "after"]
    rows, inserts = _import_odd(tmp_path, "nul", texts)
    assert [row[4] for row in rows] == texts
    assert len(inserts) == len(texts) and "json_each" not in inserts[0]


def test_claims_between_batches_of_stances_see_every_earlier_stance(tmp_path):
    # The importer writes claims itself: it waits for the writer first, so ids and order hold.
    records = [{"type": "source", "name": "S"}]
    for c in range(3):
        records.append({"type": "claim", "key": f"c{c}", "text": f"Claim {c}"})
        records += [{"type": "stance", "claim": f"c{c}", "source": "S", "position": "denies",
                     "logged_at": f"2022-01-01T00:00:00.{n:06d}Z"} for n in range(BATCH + 7)]
    path = _jsonl(tmp_path / "mixed.jsonl", records)
    with Store.create(tmp_path / "v.db") as store:
        summary = import_file(store, path)
        assert summary.stances == 3 * (BATCH + 7)
        counts = store.conn.execute(
            "SELECT c.key, count(*) FROM stances s JOIN claims c ON c.id = s.claim_id GROUP BY c.key").fetchall()
        assert counts == [(f"c{c}", BATCH + 7) for c in range(3)]
        assert [r.verdict for r in store.reconciliations()] == ["single-source"] * 3


def test_a_failure_in_the_writer_rolls_the_whole_import_back(tmp_path):
    records = [{"type": "source", "name": "S"}, {"type": "claim", "key": "c", "text": "C"}]
    records += [{"type": "stance", "claim": "c", "source": "S", "position": "affirms",
                 "quote": "boom" if n == BATCH + 3 else "fine", "logged_at": f"2022-01-01T00:00:00.{n:06d}Z"}
                for n in range(3 * BATCH)]
    path = _jsonl(tmp_path / "boom.jsonl", records)
    with Store.create(tmp_path / "v.db") as store:
        # Something only SQLite refuses, in the second batch: the writer thread meets it.
        store.conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON stances WHEN NEW.quote = 'boom' "
                           "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END")
        with pytest.raises(Exception, match="refused by a trigger"):
            import_file(store, path)
        assert store.counts() == {"sources": 0, "claims": 0, "stances": 0}
        assert not store.conn.in_transaction
        # The connection works as before: the next import goes through.
        store.conn.execute("DROP TRIGGER refuse")
        assert import_file(store, path).stances == 3 * BATCH


@pytest.mark.parametrize("feed_every", [BATCH, 10**9])  # fed along the way and at the end; at the end only
def test_the_full_text_index_is_fed_in_bulk_and_matches_every_stance(tmp_path, monkeypatch, feed_every):
    monkeypatch.setattr(bulk, "FEED_EVERY", feed_every)
    words = ["convoy", "ceasefire", "spokesman"]
    records = [{"type": "source", "name": "S"}, {"type": "claim", "key": "c", "text": "C"}]
    records += [{"type": "stance", "claim": "c", "source": "S", "position": "affirms",
                 "quote": f"the {words[n % 3]} of day {n}", "note": "checked" if n % 2 else None,
                 "logged_at": f"2022-01-01T00:00:00.{n:06d}Z"} for n in range(2 * BATCH + 11)]
    path = _jsonl(tmp_path / "fts.jsonl", records)
    statements: list[str] = []
    with Store.create(tmp_path / "v.db") as store:
        store.conn.set_trace_callback(statements.append)
        import_file(store, path)
        store.conn.set_trace_callback(None)
        feeds = [s for s in statements if s.startswith('INSERT INTO "stances_fts" (rowid')]
        assert len(feeds) == (3 if feed_every == BATCH else 1)  # fed, not rebuilt
        assert not any("'rebuild'" in s and "stances_fts" in s for s in statements)
        store.conn.execute("INSERT INTO stances_fts (stances_fts) VALUES ('integrity-check')")
        for n, word in enumerate(words):
            ids = [row[0] for row in store.conn.execute(
                "SELECT rowid FROM stances_fts WHERE stances_fts MATCH ? ORDER BY rowid", [word])]
            assert ids == list(range(n + 1, 2 * BATCH + 12, 3))
        assert store.conn.execute(
            "SELECT count(*) FROM stances_fts WHERE stances_fts MATCH 'note:checked'").fetchone()[0] == BATCH + 5
        # and a stance logged afterwards is indexed by the restored trigger
        added = store.add_stance(Stance(claim="c", source="S", position="denies", quote="a lone armistice"))
        assert store.conn.execute(
            "SELECT rowid FROM stances_fts WHERE stances_fts MATCH 'armistice'").fetchall() == [(added.id,)]


def test_stances_logged_retracted_keep_their_place_in_logging_order(tmp_path, monkeypatch):
    # The writer inserts them by a statement of their own: their ids must still follow the file.
    records = [{"type": "source", "name": f"S{n}"} for n in range(3)]
    records.append({"type": "claim", "key": "c", "text": "C"})
    records += [{"type": "stance", "claim": "c", "source": f"S{n % 3}", "position": "affirms", "quote": f"q{n}",
                 "logged_at": f"2022-01-01T00:00:00.{n:06d}Z",
                 "retracted": {"reason": f"r{n}", "at": "2022-02-01T00:00:00Z", "by": "desk"} if n % 7 == 3 else None}
                for n in range(BATCH + 50)]
    path = _jsonl(tmp_path / "retracted.jsonl", records)
    with Store.create(tmp_path / "background.db") as store:
        import_file(store, path)
        background = _rows(store)
        verdicts = [(r.verdict, r.affirming) for r in store.reconciliations()]
    monkeypatch.setattr(bulk, "available", lambda conn: False)
    with Store.create(tmp_path / "plain.db") as store:
        import_file(store, path)
        assert _rows(store) == background
    assert [row[4] for row in background] == [f"q{n}" for n in range(BATCH + 50)]
    assert [row[0] for row in background if row[-2]] == [n + 1 for n in range(BATCH + 50) if n % 7 == 3]
    assert verdicts == [("corroborated", ("S0", "S1", "S2"))]
