"""Has it been checked before? `claim similar`, the warnings of `claim add` and `source add`,
the similarity index through imports, edits and merges, and Datasette's claims logged twice."""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import EXAMPLE_DB
from test_datasette import Browser

from verity import similar
from verity.models import Claim, Source
from verity.store import Store

CLAIMS = [
    ("ford-kaepernick", "Ford announced that Colin Kaepernick would star in its new ads.", None,
     "Did Ford Make Colin Kaepernick the Face of Its Ad Campaign?"),
    ("whales-jail", "More than 100 whales are trapped in an underwater 'jail.'", "Russia",
     "Are Over 100 Whales Trapped in Underwater Jails?"),
    ("defcon", "The U.S. moved to DEFCON 3 in 2016.", None, "DEFCON Warning Level Escalated to 3"),
    ("near", "NEAR the border, AND OR NOT: a claim with full-text words.", None, None),
    ("explosion-on-board", "The crash was caused by an explosion on board", "Flight 9268", None),
]


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "similar.db", create=True) as store:
        for key, text, subject, note in CLAIMS:
            store.add_claim(Claim(key=key, text=text, subject=subject, note=note))
        yield store


def keys(matches):
    return [m.key for m in matches]


def test_a_paraphrase_finds_its_claim_first(store):
    matches = store.similar_claims("Whale prison discovered by drone in #FarEast Russia", 5)
    assert keys(matches)[0] == "whales-jail"
    assert keys(store.similar_claims("Ford puts Kaepernick in a commercial", 5))[0] == "ford-kaepernick"
    assert all(0.0 <= m.score <= 1.0 for m in matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_claims_that_read_the_same_tie_and_the_earlier_comes_first(store):
    store.add_claim(Claim(key="whales-jail-2", text='More than 100 whales are trapped in an underwater "jail."',
                          subject="Russia", note="Are Over 100 Whales Trapped in Underwater Jails?"))
    matches = store.similar_claims("100 whales trapped in underwater jail in Russia", 5)
    assert keys(matches)[:2] == ["whales-jail", "whales-jail-2"]
    assert matches[0].score == matches[1].score


def test_a_tweet_is_cleaned_of_links_handles_and_its_signature():
    tweet = ("Whale prison discovered by drone in #FarEast Russia &amp; more "
             "pic.twitter.com/AbC123 https://t.co/xyz via @SenJohnMcCain "
             "— RT (@RT_com) November 1, 2018")
    assert similar.clean_text(tweet) == "Whale prison discovered by drone in Far East Russia & more via Sen John McCain RT"
    assert similar.clean_text("A plain claim.\n  Nothing else") == "A plain claim. Nothing else"


HOSTILE = ['"', '""', "'", 'a"b', "NEAR(a b)", "NEAR", "a*", "*", "col:val", "text:whales", "(", ")", "((",
           "AND", "OR NOT AND", "^start", "-x", "+x", "🇺🇸🔥", "foo_bar", "don't", "e\u0301te\u0301", "x" * 5000,
           "a OR", "{text note}: whales", "whales NOT jail", "\x00\x01", "ﬁ ligature", "٣ Arabic digit", "İstanbul",
           "rowid:1", "whales*", "- whales", "NEAR(whales jail, 2)"]


@pytest.mark.parametrize("text", HOSTILE)
def test_no_text_is_full_text_syntax(store, text):
    expression = similar.match_expression(similar.query_terms(text))
    assert all(term.startswith('"') and term.endswith('"') and '"' not in term[1:-1]
               for term in expression.split(" OR ") if expression)
    store.similar_claims(text, 5)  # never an FTS5 syntax error


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_text_is_a_valid_query(store, text):
    assert len(store.similar_claims(text, 5)) <= 5


def test_a_claims_look_alikes_leave_it_out(store):
    claim = store.get_claim("whales-jail")
    assert "whales-jail" not in keys(store.lookalikes(claim, 5))


# -- the command line ----------------------------------------------------------------


@pytest.fixture
def desk(cli, db_path, built_once):
    def steps(path):
        assert cli("--db", path, "init").exit_code == 0
        for key, text, subject, note in CLAIMS:
            args = ["claim", "add", text, "--key", key] + (["--subject", subject] if subject else [])
            assert cli("--db", path, *args, *(["--note", note] if note else [])).exit_code == 0

    built_once("similar", steps, db_path)
    return cli


def test_claim_add_warns_of_a_claim_likely_the_same_and_still_adds_it(desk):
    result = desk("claim", "add", "The crash was caused by an explosion on board.")
    assert result.exit_code == 0
    assert result.stdout.strip() == "the-crash-was-caused-by-an-explosion-on"
    [warning] = [line for line in result.stderr.splitlines() if line.startswith("Warning: ")]
    assert "likely the same as 'explosion-on-board'" in warning
    assert "verity claim merge the-crash-was-caused-by-an-explosion-on --into explosion-on-board" in warning
    assert "the-crash-was-caused-by-an-explosion-on" in desk("claim", "list").stdout


def test_claim_add_says_nothing_of_a_claim_on_the_same_subject_that_says_something_else(desk):
    score = json.loads(desk("claim", "similar", "Colin Kaepernick was paid by Nike", "--words-only",
                            "--json").stdout)[0]  # as claim add compares: by words
    assert score["claim"] == "ford-kaepernick" and score["score"] >= similar.LIKELY_SAME  # the closest, by far
    result = desk("claim", "add", "Colin Kaepernick was paid by Nike")
    assert result.exit_code == 0 and "Warning" not in result.stderr  # but few words in common


def test_claim_add_says_nothing_of_other_claims(desk):
    result = desk("claim", "add", "Pakistan and Afghanistan agreed a ceasefire in Doha")
    assert result.exit_code == 0 and "Warning" not in result.stderr


def test_claim_similar_by_text_and_by_claim(desk):
    result = desk("claim", "similar", "Video shows the explosion on board before the crash", "--json")
    assert result.exit_code == 0
    matches = json.loads(result.stdout)
    assert matches[0]["claim"] == "explosion-on-board" and set(matches[0]) == {"claim", "text", "score"}
    desk("claim", "add", "The crash was caused by an explosion on board.", "--key", "crash-explosion")
    by_key = json.loads(desk("claim", "similar", "explosion-on-board", "--json").stdout)
    assert by_key[0]["claim"] == "crash-explosion" and by_key[0]["score"] >= similar.LIKELY_SAME
    assert "explosion-on-board" not in [m["claim"] for m in by_key]
    assert json.loads(desk("claim", "similar", "5", "--json").stdout)[0]["claim"] == "crash-explosion"  # by id
    assert len(json.loads(desk("claim", "similar", "crash explosion whales ford", "--limit", "2", "--json").stdout)) == 2


def test_a_key_that_names_no_claim_is_searched_as_text_and_said_so(desk):
    result = desk("claim", "similar", "explosion-on-bord", "--json")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == ["Warning: no claim has the key 'explosion-on-bord' "
                                          "(did you mean 'explosion-on-board'?); searched it as text"]
    assert isinstance(json.loads(result.stdout), list)
    unknown = desk("claim", "similar", "crash-over-the-sea")
    assert unknown.exit_code == 0
    assert unknown.stderr.splitlines()[0] == "Warning: no claim has the key 'crash-over-the-sea'; searched it as text"
    assert desk("claim", "similar", "99").stderr.startswith("Warning: no claim has the id 99; searched it as text")
    for plain in ("explosion-on-board", "whales", "whales in jail", "5"):  # a claim, or text
        assert "Warning" not in desk("claim", "similar", plain).stderr


def test_claim_similar_input_plain_lines(desk, tmp_path):
    queries = tmp_path / "queries.txt"
    queries.write_text("Ford ads star Kaepernick\n\nwhales held in an underwater jail\nzzz qqq\n", encoding="utf-8")
    result = desk("claim", "similar", "--input", queries, "--json")
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["query"] for line in lines] == [1, 3, 4]  # line numbers, the blank line skipped
    assert lines[0]["matches"][0]["claim"] == "ford-kaepernick"
    assert lines[1]["matches"][0]["claim"] == "whales-jail"
    assert lines[2]["matches"] == []
    assert set(lines[0]["matches"][0]) == {"claim", "score"}
    table = desk("claim", "similar", "--input", queries)
    assert table.exit_code == 0 and "ford-kaepernick" in table.stdout


def test_claim_similar_input_json_lines(desk, tmp_path):
    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"id": "t-1", "text": "whales in jail"}\n\n{"text": "DEFCON 3 in 2016"}\n', encoding="utf-8")
    lines = [json.loads(line) for line in desk("claim", "similar", "--input", queries, "--json").stdout.splitlines()]
    assert [(line["query"], line["matches"][0]["claim"]) for line in lines] == [("t-1", "whales-jail"), (3, "defcon")]


def test_claim_similar_input_takes_a_line_of_the_longest_length_and_any_line_break(desk, tmp_path):
    longest = tmp_path / "longest.txt"
    longest.write_bytes(b"whales " + b"a" * (similar.MAX_LINE - 7) + b"\r\nwhales in jail\n")
    result = desk("claim", "similar", "--input", longest, "--json")
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2
    mac = tmp_path / "mac.txt"
    mac.write_bytes(b"whales in jail\rDEFCON 3 in 2016\r")  # a bare carriage return ends a line too
    lines = [json.loads(line) for line in desk("claim", "similar", "--input", mac, "--json").stdout.splitlines()]
    assert [line["matches"][0]["claim"] for line in lines] == ["whales-jail", "defcon"]


def _bad_inputs(tmp_path):
    (tmp_path / "binary.dat").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    (tmp_path / "notext.jsonl").write_text('{"id": 1, "text": "whales"}\n{"id": 2}\n', encoding="utf-8")
    (tmp_path / "broken.jsonl").write_text('{"text": "whales"}\n{"text": \n', encoding="utf-8")
    (tmp_path / "empty.txt").write_text("\n\n", encoding="utf-8")
    (tmp_path / "long.txt").write_bytes(b"whales\n" + b"a" * (similar.MAX_LINE + 1))
    (tmp_path / "half.jsonl").write_text('{"id": "ok", "text": "whales"}\n{"id": "t2", "text": "whales \\ud83d"}\n',
                                         encoding="utf-8")  # a tweet cut inside an emoji
    (tmp_path / "nan.jsonl").write_text('{"id": NaN, "text": "whales"}\n', encoding="utf-8")
    return {
        "empty query": (["claim", "similar", "  "], "empty"),
        "no query": (["claim", "similar"], "nothing to compare"),
        "text and file": (["claim", "similar", "x", "--input", "empty.txt"], "give one of"),
        "missing file": (["claim", "similar", "--input", "missing.txt"], "no such file"),
        "binary file": (["claim", "similar", "--input", "binary.dat"], "is not text"),
        "line without text": (["claim", "similar", "--input", "notext.jsonl", "--json"], 'line 2 of notext.jsonl has no "text"'),
        "line not JSON": (["claim", "similar", "--input", "broken.jsonl", "--json"], "line 2 of broken.jsonl is not JSON"),
        "file without query": (["claim", "similar", "--input", "empty.txt"], "holds no query"),
        "half a character": (["claim", "similar", "--input", "half.jsonl", "--json"],
                             "line 2 of half.jsonl holds '\\ud83d', half of a character"),
        "an id that is no id": (["claim", "similar", "--input", "nan.jsonl", "--json"],
                                'line 1 of nan.jsonl has an "id" that is neither text nor a whole number (NaN)'),
        "a device that never ends": (["claim", "similar", "--input", "/dev/zero"],
                                     "cannot read /dev/zero: it is a device, not a file"),
        "a device of random bytes": (["claim", "similar", "--input", "/dev/urandom"], "it is a device"),
        "a folder": (["claim", "similar", "--input", "."], "it is a folder"),
        "a line past the limit": (["claim", "similar", "--input", "long.txt"], "line 2 of long.txt is longer than"),
        "limit 0": (["claim", "similar", "whales", "--limit", "0"], "--limit 0"),
        "negative limit": (["claim", "similar", "whales", "--limit", "-3"], "--limit -3"),
    }


@pytest.mark.parametrize("case", [
    "empty query", "no query", "text and file", "missing file", "binary file", "line without text",
    "line not JSON", "file without query", "half a character", "an id that is no id", "a device that never ends", "a device of random bytes", "a folder",
    "a line past the limit", "limit 0", "negative limit"])
def test_bad_input_is_one_error_line_and_nothing_printed(desk, tmp_path, case):
    args, expected = _bad_inputs(tmp_path)[case]
    result = desk(*args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and expected in lines[0], result.stderr


def test_claim_similar_input_reads_a_pipe(desk, tmp_path):
    fifo = tmp_path / "tweets.txt"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"printf '%s\\n' 'whales held in an underwater jail' > {fifo}"])
    try:
        result = desk("claim", "similar", "--input", fifo, "--json")
    finally:
        writer.wait(timeout=30)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["matches"][0]["claim"] == "whales-jail"


def test_the_docs_input_examples_run_as_written(balti_db, tmp_path):
    """docs/similar.md's --input examples make the files they read: pasted into a shell, they run."""
    doc = (EXAMPLE_DB.parent / "docs" / "similar.md").read_text(encoding="utf-8")
    [block] = [b.split("\n```", 1)[0] for b in doc.split("```sh\n")[1:] if "--input" in b.split("\n```", 1)[0]]
    verity = f"verity() {{ {shlex.quote(sys.executable)} -m verity --db {shlex.quote(str(balti_db))} \"$@\"; }}\n"
    done = subprocess.run(["sh", "-ec", verity + block], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(EXAMPLE_DB.parent)})
    assert done.returncode == 0, done.stderr
    assert "balti-killed-in-nangarhar" in done.stdout and '"query": "t2"' in done.stdout


def test_source_add_warns_of_a_name_or_affiliation_a_few_letters_off(desk):
    for name in ("Government spokesman", "Kremlin aide", "Duma member"):
        assert desk("source", "add", name, "--affiliation", "Government of Russia").exit_code == 0
    desk("source", "alias", "Kremlin aide", "Presidential aide")
    result = desk("source", "add", "Goverment spokesman", "--affiliation", "Goverment of Russia")
    assert result.exit_code == 0 and result.stdout.strip() == "4"
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning: ")]
    assert warnings == [
        "Warning: 'Goverment spokesman' is a new source; did you mean 'Government spokesman' (a source, 0 stances)? "
        "If so, log the stances on it and merge this one into it with 'verity source merge'",
        "Warning: 'Goverment of Russia' is a new affiliation; did you mean 'Government of Russia' (3 sources)? "
        "Sources with one affiliation are one origin, so a spelling of its own counts as another",
    ]
    alias = desk("source", "add", "Presidental aide")
    assert "did you mean 'Presidential aide' (an alias of 'Kremlin aide', 0 stances)?" in alias.stderr
    same = desk("source", "add", "Foreign ministry", "--affiliation", "government of russia")
    assert "Warning" not in same.stderr  # an affiliation already there, spelt as names are compared
    unrelated = desk("source", "add", "TTP spokesman", "--affiliation", "TTP")
    assert "Warning" not in unrelated.stderr


def test_source_add_warns_of_a_merged_sources_names_as_the_kept_sources(desk):
    desk("source", "add", "Zabihullah Mujahid")
    desk("source", "add", "Z. Mujahid")
    desk("source", "alias", "Zabihullah Mujahid", "Taliban spokesman")
    desk("stance", "add", "explosion-on-board", "Zabihullah Mujahid", "denies")
    assert desk("source", "merge", "Zabihullah Mujahid", "--into", "Z. Mujahid", "--reason", "one man").exit_code == 0
    # Its name and its alias now name the source it was merged into, which counts its stance.
    for typed, meant in (("Zabihulah Mujahid", "Zabihullah Mujahid"), ("Taliban spokesmn", "Taliban spokesman")):
        result = desk("source", "add", typed)
        assert f"did you mean {meant!r} (an alias of 'Z. Mujahid', 1 stance)?" in result.stderr, result.stderr


# -- the index, whatever writes the claims -------------------------------------------


def _index_is_sound(path) -> None:
    conn = sqlite3.connect(path)
    for table in ("claims_similar_fts", "source_names_fts", "alias_names_fts"):
        conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")  # raises when stale
    conn.close()


def test_the_index_is_complete_after_an_import_an_edit_and_a_merge(cli, tmp_path):
    lines = [{"type": "source", "name": "Goverment of Russia spokesman"}]
    lines += [{"type": "claim", "key": key, "text": text, "subject": subject, "note": note}
              for key, text, subject, note in CLAIMS]
    data = tmp_path / "claims.jsonl"
    data.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert cli("init").exit_code == 0
    assert cli("import", data).exit_code == 0, cli("import", data).stderr
    _index_is_sound(tmp_path / "test.db")
    assert json.loads(cli("claim", "similar", "whales in a jail", "--json").stdout)[0]["claim"] == "whales-jail"
    assert "did you mean 'Goverment of Russia spokesman'" in cli("source", "add", "Government of Russia spokesman").stderr
    assert cli("claim", "edit", "defcon", "--text", "Pakistan moved its army to the Afghan border",
               "--reason", "wrong text").exit_code == 0
    _index_is_sound(tmp_path / "test.db")
    assert json.loads(cli("claim", "similar", "army on the Afghan border", "--json").stdout)[0]["claim"] == "defcon"
    assert "defcon" not in [m["claim"] for m in json.loads(cli("claim", "similar", "in 2016", "--json").stdout)]
    assert cli("claim", "add", "More than 100 whales are trapped in an underwater jail", "--key", "whales-2",
               "--subject", "Russia").exit_code == 0
    assert cli("claim", "merge", "whales-2", "--into", "whales-jail", "--reason", "the same claim").exit_code == 0
    _index_is_sound(tmp_path / "test.db")
    found = [m["claim"] for m in json.loads(cli("claim", "similar", "whales in a jail", "--json").stdout)]
    assert found[0] == "whales-jail" and "whales-2" not in found  # a merged claim is its kept claim


def test_claims_logged_twice_in_datasette(cli, tmp_path):
    assert cli("init").exit_code == 0
    for key, text, _subject, note in CLAIMS:
        cli("claim", "add", text, "--key", key, *(["--note", note] if note else []))
    cli("claim", "add", "The crash was caused by an explosion on board!", "--key", "crash-again")
    cli("claim", "add", "Ford announced Colin Kaepernick would star in its new ads", "--key", "ford-again")
    cli("claim", "add", "Ford announced that Colin Kaepernick would star in its new ads", "--key", "ford-third")
    cli("claim", "merge", "ford-third", "--into", "ford-kaepernick", "--reason", "the same claim")
    browser = Browser(tmp_path / "test.db")
    rows = browser.rows("claims-logged-twice.json")
    assert {(row["claim"], row["same_as"]) for row in rows} == {
        ("crash-again", "explosion-on-board"), ("ford-again", "ford-kaepernick")}
    assert all(row["score"] >= similar.LIKELY_SAME for row in rows)
    page = browser.page("/{db}/claims-logged-twice")
    assert "Claims logged twice" in page and "crash-again" in page


def test_claims_merged_into_one_never_crowd_out_a_claim_sharing_its_words(tmp_path):
    with Store.create(tmp_path / "desk.db") as store:
        store.add_claim(Claim(key="bridge", text="Bridge collapsed in Karachi"))
        store.add_claim(Claim(key="bridge-long", text="The old bridge in Karachi collapsed on Monday after rain"))
        for n in range(similar.CANDIDATES + 2):  # more repeats, merged, than a look-up takes candidates
            store.add_claim(Claim(key=f"dup-{n}", text="Bridge collapsed in Karachi"))
            store.merge_claims(f"dup-{n}", "bridge", "the same claim")
        assert [m.key for m in store.similar_claims("bridge collapsed Karachi", 5)] == ["bridge", "bridge-long"]
        assert [m.key for m in store.lookalikes(store.get_claim("bridge"), 5)] == ["bridge-long"]


def test_two_answers_of_one_question_are_never_likely_the_same(cli, tmp_path):
    """They read alike by design ("killed 471" and "killed 100"); merging them would undo the question."""
    assert cli("init").exit_code == 0
    cli("question", "add", "toll", "How many did the attack kill?")
    assert cli("claim", "add", "The attack killed 471 people", "--key", "toll-471", "--question", "toll").exit_code == 0
    result = cli("claim", "add", "The attack killed 100 people", "--key", "toll-100", "--question", "toll")
    assert result.exit_code == 0 and "likely the same" not in result.stderr
    result = cli("claim", "add", "The attack killed 100 people, officials said", "--key", "toll-100-again")
    assert "likely the same as 'toll-100'" in result.stderr  # not an answer: a repeat of one
    pairs = lambda: {(p["claim"], p["same_as"]) for p in json.loads(cli("claim", "similar", "--all", "--json").stdout)}  # noqa: E731
    assert pairs() == {("toll-100-again", "toll-100")}
    # Moved into the question, it is an answer too; moved out, a claim like any other.
    cli("claim", "edit", "toll-100-again", "--question", "toll", "--reason", "it answers it")
    assert pairs() == set()
    cli("claim", "edit", "toll-100", "--question", "", "--reason", "not an answer")
    assert pairs() == {("toll-100", "toll-471"), ("toll-100-again", "toll-100")}
    assert {(row["claim"], row["same_as"]) for row in Browser(tmp_path / "test.db").rows("claims-logged-twice.json")} \
        == pairs()
    # Put in the question by an import (or a desk merge) rather than an edit: the same.
    data = tmp_path / "answers.jsonl"
    data.write_text(json.dumps({"type": "claim", "key": "toll-100", "text": "The attack killed 100 people",
                                "question": "toll"}) + "\n", encoding="utf-8")
    assert cli("import", data).exit_code == 0
    assert pairs() == set()


def test_claim_similar_all_compares_an_imports_claims(cli, tmp_path):
    lines = [{"type": "claim", "key": key, "text": text} for key, text, _s, _n in CLAIMS]
    lines.append({"type": "claim", "key": "crash-again", "text": "The crash was caused by an explosion on board!"})
    data = tmp_path / "claims.jsonl"
    data.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert cli("init").exit_code == 0 and cli("import", data).exit_code == 0
    assert Browser(tmp_path / "test.db").rows("claims-logged-twice.json") == []
    result = cli("claim", "similar", "--all", "--json")
    assert result.exit_code == 0 and "Comparing 6 claims" in result.stderr
    [pair] = json.loads(result.stdout)
    assert (pair["claim"], pair["same_as"]) == ("crash-again", "explosion-on-board")
    assert [row["claim"] for row in Browser(tmp_path / "test.db").rows("claims-logged-twice.json")] == ["crash-again"]
    assert "Comparing" not in cli("claim", "similar", "--all").stderr  # nothing left to compare


def test_source_warnings_read_the_index_not_every_source(tmp_path):
    """The near-name look-up goes through the trigram indexes: a source the index lacks is not found."""
    with Store.open(tmp_path / "n.db", create=True) as store:
        store.add_source(Source(name="Government spokesman"))
        store.conn.execute("INSERT INTO source_names_fts (source_names_fts) VALUES ('delete-all')")
        assert store.near_source_names(Source(name="Goverment spokesman")) == []
        store.conn.execute("INSERT INTO source_names_fts (source_names_fts) VALUES ('rebuild')")
        assert len(store.near_source_names(Source(name="Goverment spokesman"))) == 1


def test_words_most_claims_hold_are_left_out_of_the_match_unless_nothing_rarer():
    assert similar.common_limit(100) == similar.ALWAYS_MATCHED + 1  # a small database: every word matched
    limit = similar.common_limit(100_000)
    counted = [("claim", limit), ("ceasefire", 40), ("said", limit)]
    assert similar.worth_matching(counted, 100_000) == ["ceasefire"]
    assert similar.worth_matching([("claim", limit), ("said", limit - 5)], 100_000) == ["said"]
    assert similar.worth_matching([], 100_000) == []


@pytest.mark.parametrize("name", ['Ab"c', '"""', "NEAR(a b)", "x* OR y", "{folded} : z", "a:b", "((", "^start",
                                  "İstanbul office", "ﬁnance ministry", "a\u200cb spokesman", "🇺🇸🔥 desk"])
def test_no_name_is_full_text_syntax(tmp_path, name):
    with Store.open(tmp_path / "names.db", create=True) as store:
        store.add_source(Source(name="Government spokesman", affiliation="Government of Russia"))
        store.add_source(Source(name=name, affiliation=name))  # never a full-text syntax error
        assert store.near_source_names(Source(name=name + "x", affiliation=name + "x")) is not None


# -- the pairs kept, whatever the order ------------------------------------------------


def _pairs(cli, db) -> list[dict]:
    result = cli("--db", db, "claim", "similar", "--all", "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_the_pairs_kept_do_not_depend_on_when_all_first_ran(cli, balti_db, tmp_path):
    """`claim add` then `--all`, or `--all` then `claim add`: the same pairs, with the scores
    `claim add` warned of (each pair is the later claim's, judged against the claims before it)."""
    other = tmp_path / "other.db"
    other.write_bytes(balti_db.read_bytes())
    added = cli("--db", balti_db, "claim", "add", "Khalid Balti was killed in January 2022", "--key", "balti-dead")
    add_first = _pairs(cli, balti_db)
    before = _pairs(cli, other)
    assert cli("--db", other, "claim", "add", "Khalid Balti was killed in January 2022",
               "--key", "balti-dead").exit_code == 0
    all_first = _pairs(cli, other)
    assert add_first == all_first
    assert {(p["claim"], p["same_as"]) for p in all_first} == {
        ("balti-dead", "balti-was-killed"), ("balti-dead", "balti-killed-on-9-january-2022"),
        ("balti-killed-on-9-january-2022", "balti-was-killed")}
    assert before == [p for p in all_first if p["claim"] != "balti-dead"]  # a later claim changes no earlier pair
    warned = [line for line in added.stderr.splitlines() if line.startswith("Warning: ")]
    assert [f"(score {p['score']:.2f})" in line for p, line in zip(all_first, warned)] == [True, True]


DUPLICATES = [
    ("crash-again", "The crash was caused by an explosion on board!", "Flight 9268", None),
    ("ford-again", "Ford announced Colin Kaepernick would star in its new ads", None, None),
    ("whales-again", "More than 100 whales are trapped in an underwater jail", "Russia", None),
    ("defcon-again", "The US moved to DEFCON 3 in 2016", None, None),
    ("balti-dead", "Khalid Balti was killed in January 2022", None, None),
    ("balti-killed", "Khalid Balti was killed", None, None),
    ("balti-killed-by-gunmen", "Mufti Khalid Balti was killed in January 2022 in Afghanistan by gunmen", None, None),
    ("balti-killed-on-9-january", "Mufti Khalid Balti was killed on Sunday 9 January 2022", None, None),
]


def _compared_afresh(cli, db, tmp_path) -> list[dict]:
    """The pairs of a copy of `db` whose claims are all compared again, at once."""
    fresh = tmp_path / "fresh.db"
    conn, source = sqlite3.connect(fresh), sqlite3.connect(db)
    source.backup(conn)  # what the write-ahead log holds too
    source.close()
    with conn:
        conn.execute("DELETE FROM claim_lookalikes")
        conn.execute("DELETE FROM similarity_checks")
    conn.close()
    return _pairs(cli, fresh)


def test_after_edits_and_merges_the_pairs_are_those_of_the_claims_as_they_are(cli, tmp_path):
    db = tmp_path / "test.db"
    assert cli("init").exit_code == 0
    for key, text, subject, note in CLAIMS + DUPLICATES:
        cli("claim", "add", text, "--key", key, *(["--subject", subject] if subject else []),
            *(["--note", note] if note else []))
    pairs = {(p["claim"], p["same_as"]) for p in _pairs(cli, db)}
    assert {("crash-again", "explosion-on-board"), ("defcon-again", "defcon"),
            ("balti-killed-on-9-january", "balti-dead")} <= pairs
    # An earlier claim rewritten: the later claim that repeated it is compared again at once.
    assert cli("claim", "edit", "defcon", "--text", "Pakistan moved its army to the Afghan border",
               "--reason", "wrong text").exit_code == 0
    assert "defcon-again" not in {row["claim"] for row in Browser(db).rows("claims-logged-twice.json")}
    # An earlier claim merged away: a later claim it was compared with, though not paired, scores otherwise.
    assert cli("claim", "merge", "balti-killed", "--into", "balti-dead", "--reason", "the same claim").exit_code == 0
    # A later claim rewritten to repeat an earlier one.
    assert cli("claim", "edit", "near", "--text", "Russia keeps more than 100 whales in an underwater jail",
               "--reason", "test").exit_code == 0
    assert _pairs(cli, db) == _compared_afresh(cli, db, tmp_path)
