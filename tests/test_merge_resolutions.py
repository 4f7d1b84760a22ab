"""What a desk merge resolves, said and done as docs/desks.md says: a question two desks asked
alike (the same key and text) is one question with the answers of both, as such claims are one
claim; and a line that meets two records of one key names both, by desk, or, for a record of no
desk, as the file's or this database's, and by what each says where that does not tell them apart."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from support import EXAMPLE_DB


def run(cli, *args):
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return result


def asked(cli, monkeypatch, path: Path, desk: str, text: str, answer: str) -> None:
    """A desk that asks "where" and logs one answer to it."""
    monkeypatch.setenv("VERITY_DESK", desk)
    run(cli, "--db", path, "init")
    run(cli, "--db", path, "question", "add", "where", text)
    run(cli, "--db", path, "claim", "add", f"Killed in {answer}", "--key", answer.lower(), "--question", "where")


@pytest.fixture
def two_desks(tmp_path, cli, monkeypatch) -> dict[str, Path]:
    paths = {desk: tmp_path / f"{desk}.db" for desk in ("a", "b")}
    asked(cli, monkeypatch, paths["a"], "a", "Where was he killed?", "Kunar")
    time.sleep(0.002)  # desk a's question is the older
    asked(cli, monkeypatch, paths["b"], "b", "Where was he killed?", "Nangarhar")
    return paths


def listed(cli, db: Path) -> list[dict]:
    return json.loads(run(cli, "--db", db, "question", "list", "--json").stdout)


def answers(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute("SELECT c.key, q.uid FROM claims c JOIN questions q ON q.id = c.question_id"))


def test_one_question_asked_on_two_desks_is_one_question_with_both_answers(cli, monkeypatch, two_desks):
    monkeypatch.setenv("VERITY_DESK", "a")
    result = run(cli, "--db", two_desks["a"], "merge", two_desks["b"])
    assert ("Resolved: question 'where' of desk b and the older question 'where' of desk a, asked apart with the "
            "same key and text ('Where was he killed?'), are one question: the answers of both are its answers"
            in result.stderr.splitlines())
    questions = listed(cli, two_desks["a"])
    assert [(q["question"], q["answers"]) for q in questions] == [("where", 2)]
    shown = run(cli, "--db", two_desks["a"], "question", "show", "where").stdout
    assert "kunar" in shown and "nangarhar" in shown
    with sqlite3.connect(two_desks["a"]) as conn:
        older, younger = conn.execute("SELECT key, uid FROM questions ORDER BY uid").fetchall()
    assert older[0] == "where" and younger[0] == "where-" + younger[1].replace("-", "")  # kept, never deleted
    assert {uid for _key, uid in answers(two_desks["a"])} == {older[1]}
    # its key finds the older, as a merged claim's finds the claim it was merged into
    assert run(cli, "--db", two_desks["a"], "question", "show", younger[0]).stdout.startswith("where ")
    # the other way round, the same; and twice is once
    monkeypatch.setenv("VERITY_DESK", "b")
    run(cli, "--db", two_desks["b"], "merge", two_desks["a"])
    assert listed(cli, two_desks["b"]) == [{**questions[0], "id": listed(cli, two_desks["b"])[0]["id"]}]
    assert answers(two_desks["b"]) == answers(two_desks["a"])
    for path, other in ((two_desks["a"], two_desks["b"]), (two_desks["b"], two_desks["a"])):
        assert run(cli, "--db", path, "merge", other).stderr.startswith(f"Merged {other}: nothing to add")


def test_a_claim_added_to_either_key_answers_the_one_question(cli, monkeypatch, two_desks):
    run(cli, "--db", two_desks["a"], "merge", two_desks["b"])
    with sqlite3.connect(two_desks["a"]) as conn:
        (younger,) = conn.execute("SELECT key FROM questions WHERE key != 'where'").fetchone()
    run(cli, "--db", two_desks["a"], "claim", "add", "Killed in Kabul", "--key", "kabul", "--question", younger)
    assert [(q["question"], q["answers"]) for q in listed(cli, two_desks["a"])] == [("where", 3)]


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_its_export_imports_and_merges_as_one_question(cli, tmp_path, two_desks, suffix):
    run(cli, "--db", two_desks["a"], "merge", two_desks["b"])
    file = tmp_path / f"a{suffix}"
    run(cli, "--db", two_desks["a"], "export", "--output", file)
    for how in ("import", "merge"):
        copy = tmp_path / f"{how}.db"
        run(cli, "--db", copy, how, file)
        assert [(q["question"], q["answers"]) for q in listed(cli, copy)] == [("where", 2)]
        assert answers(copy) == answers(two_desks["a"])
        again = tmp_path / f"again-{how}{suffix}"
        run(cli, "--db", copy, "export", "--output", again)
        assert again.read_bytes() == file.read_bytes()


def test_questions_of_one_key_and_other_texts_stay_two(cli, tmp_path, monkeypatch):
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    asked(cli, monkeypatch, a, "a", "Where was he killed?", "Kunar")
    time.sleep(0.002)
    asked(cli, monkeypatch, b, "b", "Where was he buried?", "Nangarhar")
    result = run(cli, "--db", a, "merge", b)
    assert "question 'where' was added on two desks; the younger is re-keyed 'where-" in result.stderr
    assert sorted((q["question"][:6], q["answers"]) for q in listed(cli, a)) == [("where", 1), ("where-", 1)]


@pytest.mark.parametrize("text", ["Where was he killed?", "Where was he buried?"])
def test_a_claim_put_in_the_younger_question_by_its_key_stays_there_through_later_merges(cli, tmp_path,
                                                                                          monkeypatch, text):
    # 'claim edit --question KEY' records the key as given; a merge settles claims by it again.
    a, b, c = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "c.db"
    asked(cli, monkeypatch, a, "a", "Where was he killed?", "Kunar")
    time.sleep(0.002)
    asked(cli, monkeypatch, b, "b", text, "Nangarhar")
    run(cli, "--db", a, "merge", b)
    with sqlite3.connect(a) as conn:
        (younger,) = conn.execute("SELECT key FROM questions WHERE key != 'where'").fetchone()
    run(cli, "--db", a, "claim", "add", "Killed in Kabul", "--key", "kabul")
    run(cli, "--db", a, "claim", "edit", "kabul", "--question", younger, "--reason", "it answers it")
    before = sorted((q["question"], q["answers"]) for q in listed(cli, a))
    monkeypatch.setenv("VERITY_DESK", "c")
    run(cli, "--db", c, "init")
    run(cli, "--db", c, "claim", "add", "Something else", "--key", "else")
    monkeypatch.setenv("VERITY_DESK", "a")
    assert "added 1 claim" in run(cli, "--db", a, "merge", c).stderr
    assert sorted((q["question"], q["answers"]) for q in listed(cli, a)) == before
    assert sum(answers for _question, answers in before) == 3


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


def test_the_key_a_desk_gives_a_re_keyed_claim_is_the_key_it_keeps(cli, tmp_path, monkeypatch):
    # The merge's own advice ("claim edit KEY-xxxxxxxx --key <a better key>") must stick: the
    # claim kept what it was re-keyed from, and the settling of any later merge re-keyed it again.
    paths = {}
    for desk, text in (("kabul", "Balti died in Nangarhar"), ("london", "Balti was killed in Nangarhar province")):
        monkeypatch.setenv("VERITY_DESK", desk)
        paths[desk] = tmp_path / f"{desk}.db"
        assert cli("--db", paths[desk], "init").exit_code == 0
        assert cli("--db", paths[desk], "claim", "add", text, "--key", "balti-nangarhar").exit_code == 0
    monkeypatch.setenv("VERITY_DESK", "kabul")
    assert cli("--db", paths["kabul"], "merge", paths["london"]).exit_code == 0
    rekeyed = [c["key"] for c in json.loads(cli("--db", paths["kabul"], "claim", "list", "--json").stdout)
               if c["key"] != "balti-nangarhar"][0]
    edited = cli("--db", paths["kabul"], "claim", "edit", rekeyed, "--key", "balti-nangarhar-province", "--reason", "k")
    assert edited.exit_code == 0
    assert cli("--db", paths["kabul"], "merge", paths["london"]).exit_code == 0  # settles again
    keys = sorted(c["key"] for c in json.loads(cli("--db", paths["kabul"], "claim", "list", "--json").stdout))
    assert keys == ["balti-nangarhar", "balti-nangarhar-province"]
