"""Did you mean: one implementation (verity.errors.close_matches), used wherever a name,
key, position, ruling, verdict, grade or format is given; through the real CLI."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from support import Cli

from verity.errors import close_matches, did_you_mean, edit_distance
from verity.models import GRADES, POSITIONS, RULINGS, SYNONYMS, VERDICTS


@pytest.mark.parametrize("a,b,distance", [
    ("denies", "denies", 0), ("denise", "denies", 1), ("deines", "denies", 1),  # a swap is one edit
    ("mostly-flase", "mostly-false", 1), ("Peskov", "Peskova", 1), ("kitten", "sitting", 3),
])
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b, 5) == distance
    assert edit_distance(a, b, max(distance - 1, 0)) == distance  # just past its limit: limit + 1


def test_edit_distance_stops_past_its_limit():
    assert edit_distance("abcdefgh", "zyxwvuts", 2) == 3


NAMES = ["Dmitry Peskov", "Vladimir Putin", "TTP spokesman", "TTP spokesman Mohammad Khurasani",
         "Afghan government spokesperson Bilal Karimi", "Café Ömer"]


@pytest.mark.parametrize("typed,meant", [
    ("Peskov", ["Dmitry Peskov"]),  # a word of a longer name
    ("peskow", ["Dmitry Peskov"]),  # ... within a typo
    ("Dimitry Peskov", ["Dmitry Peskov"]),  # a typo in the whole name
    ("vladimir putin", ["Vladimir Putin"]),  # case, as names are compared
    ("Bilal Karimi", ["Afghan government spokesperson Bilal Karimi"]),  # neighbouring words
    ("TTP spokesmen", ["TTP spokesman", "TTP spokesman Mohammad Khurasani"]),
    ("CAFÉ ÖMER", ["Café Ömer"]),  # folded as docs/rules.md says
    ("Cafe\u0301 O\u0308mer", ["Café Ömer"]),  # decomposed accents
    ("Xi Jinping", []),
    ("of", []),  # too short to be a word worth suggesting
])
def test_close_matches_by_spelling_and_by_word(typed, meant):
    assert close_matches(typed, NAMES) == meant


@pytest.mark.parametrize("typed,meant", [
    ("agrees", "affirms"), ("supports", "affirms"), ("confirms", "affirms"),
    ("disputes", "denies"), ("rejects", "denies"), ("refutes", "denies"), ("deny", "denies"),
    ("partly-agrees", "partially-affirms"), ("undecided", "neutral"),
])
def test_positions_a_fact_checker_might_type(typed, meant):
    assert close_matches(typed, POSITIONS, synonyms=SYNONYMS["position"])[0] == meant


def test_every_synonym_points_into_its_vocabulary():
    vocabularies = {"position": POSITIONS, "ruling": RULINGS, "verdict": VERDICTS, "reliability grade": GRADES}
    for kind, words in vocabularies.items():
        assert set(SYNONYMS[kind].values()) <= set(words), kind
        assert not set(SYNONYMS[kind]) & set(words), kind  # a synonym is never a word itself


def test_did_you_mean_wording():
    assert did_you_mean("balti-was-kiled", ["balti-was-killed"]) == " (did you mean 'balti-was-killed'?)"
    assert did_you_mean("jsonld", ["json", "jsonl", "csv"]) == " (did you mean 'jsonl' or 'json'?)"
    assert did_you_mean("zzz", ["json"]) == ""


def test_among_twenty_thousand_keys():
    keys = [f"claim-number-{i}" for i in range(20_000)]
    assert close_matches("claim-number-4242", keys)[0] == "claim-number-4242"
    assert close_matches("claim-numbr-4242", keys)[0] == "claim-number-4242"


@pytest.fixture(scope="module")
def kremlin(tmp_path_factory):
    """Three sources and a claim, made once and copied for each test."""
    path = tmp_path_factory.mktemp("did-you-mean") / "desk.db"
    cli = Cli()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VERITY_DB", str(path))
        assert cli("init").exit_code == 0
        for name in ("Dmitry Peskov", "Vladimir Putin", "TTP spokesman"):
            assert cli("source", "add", name).exit_code == 0
        assert cli("claim", "add", "Russia will not escalate", "--key", "no-escalation", "--subject", "Kremlin",
                   "--tag", "russia").exit_code == 0
    with sqlite3.connect(path) as conn:  # one file to copy
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def desk(cli, kremlin, db_path):
    shutil.copy(kremlin, db_path)
    return cli


def error_line(result) -> str:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_a_word_of_a_source_name_is_suggested(desk):
    line = error_line(desk("stance", "add", "no-escalation", "Peskov", "denies"))
    assert line == ("Error: no source 'Peskov' (did you mean 'Dmitry Peskov'?); "
                    "see 'verity source list' or add it with 'verity source add'")


def test_a_synonym_of_a_position_is_suggested(desk):
    line = error_line(desk("stance", "add", "no-escalation", "Dmitry Peskov", "agrees"))
    assert line.startswith("Error: 'agrees' is not a position (did you mean 'affirms'?); use one of: affirms,")


def test_claim_and_source_swapped_says_so(desk):
    line = error_line(desk("stance", "add", "Vladimir Putin", "no-escalation", "affirms"))
    assert line == "Error: 'Vladimir Putin' is a source, not a claim: the order is CLAIM SOURCE POSITION"
    line = error_line(desk("stance", "add", "no-escalation", "denies", "Vladimir Putin"))
    assert line == "Error: 'denies' is a position, not a source: the order is CLAIM SOURCE POSITION"


def test_a_claim_where_a_source_is_expected_says_so(desk):
    line = error_line(desk("claim", "list", "--source", "no-escalation"))
    assert line == ("Error: 'no-escalation' is a claim, not a source: "
                    "give a source's name or id (see 'verity source list')")
    line = error_line(desk("claim", "show", "Dmitry Peskov"))
    assert line == "Error: 'Dmitry Peskov' is a source, not a claim: give a claim's key or id (see 'verity claim list')"


@pytest.mark.parametrize("args,hint", [
    (["claim", "rule", "no-escalation", "misleading"], "did you mean 'mixture'?"),
    (["claim", "list", "--verdict", "disputed"], "did you mean 'contested'?"),
    (["claim", "list", "--ruling", "nonee"], "did you mean 'none'?"),
    (["report", "--format", "md"], "did you mean 'markdown'?"),
    (["export", "--format", "ndjson"], "did you mean 'jsonl'?"),
    (["source", "add", "Maria Zakharova", "--reliability", "B2"], "did you mean 'B'?"),
    (["claim", "show", "no escalation"], "did you mean 'no-escalation'?"),
    (["stance", "list", "--claim", "escalation"], "did you mean 'no-escalation'?"),
])
def test_every_vocabulary_and_name_gets_a_hint(desk, args, hint):
    assert hint in error_line(desk(*args))


def test_an_unknown_tag_subject_or_user_is_a_warning_with_a_hint(desk):
    result = desk("claim", "list", "--tag", "Rusia", "--json")
    assert result.exit_code == 0 and result.stdout == "[]\n"
    assert result.stderr == "Warning: no claim is tagged 'Rusia' (did you mean 'russia'?)\n"
    result = desk("claim", "list", "--subject", "kremlin", "--json")  # subjects compare as names do
    assert [c["key"] for c in json.loads(result.stdout)] == ["no-escalation"]
    assert desk("stance", "add", "no-escalation", "Dmitry Peskov", "affirms").exit_code == 0
    result = desk("stance", "list", "--by", "testr")
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr == ("Warning: no stance was logged by 'testr' (did you mean 'tester'?)\n"
                             "No stances match.\n")
