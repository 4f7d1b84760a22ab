"""Questions (rule 7), track records and `verity assess` through the real command line, the
store, the JSON document and Datasette, on the Balti case (docs/estimates.md)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from test_datasette_claim_page import Site

from verity.trust import credibility

KILLED = "balti-was-killed"
NANGARHAR = "balti-killed-in-nangarhar"
KUNAR = "balti-killed-in-kunar"
WHERE = "balti-killed-where"
KARIMI = "Afghan government spokesperson Bilal Karimi"


@pytest.fixture
def desk(cli, balti_db, monkeypatch):
    """The Balti case with a question: where was Balti killed? Nangarhar (the Dawn story) or
    Kunar (the funeral's militant source)."""
    monkeypatch.setenv("VERITY_DB", str(balti_db))
    assert cli("question", "add", WHERE, "Where was Mufti Khalid Balti killed?").stdout == WHERE + "\n"
    assert cli("claim", "edit", NANGARHAR, "--question", WHERE, "--reason", "an answer").exit_code == 0
    added = cli("claim", "add", "Balti was killed in Kunar", "--key", KUNAR, "--question", WHERE)
    assert added.exit_code == 0, added.stderr
    assert cli("stance", "add", KUNAR, "Militant source (Kunar funeral)", "affirms").exit_code == 0
    return cli


def assess(cli, *claims) -> dict:
    result = cli("assess", *claims, "--json")
    assert result.exit_code == 0, result.stderr
    return {a["claim"]: a for a in json.loads(result.stdout)}


def test_question_show_gives_rule_7(desk):
    shown = json.loads(desk("question", "show", WHERE, "--json").stdout)
    assert shown["question"] == WHERE and shown["text"] == "Where was Mufti Khalid Balti killed?"
    assert [a["claim"] for a in shown["answers"]] == [KUNAR, NANGARHAR]
    # Two answers affirmed, one origin each: disputed, no leading answer.
    assert shown["verdict"] == "disputed" and shown["leading"] is None
    assert ["Militant source (Kunar funeral)", "Tahir Khan (Dawn)"] in shown["contradictions"]
    assert ["Tahir Khan (Dawn)", "Afghan government spokesperson Bilal Karimi"] in shown["contradictions"]
    text = desk("question", "show", WHERE).stdout
    assert "Verdict: disputed" in text and KUNAR in text and NANGARHAR in text


def test_a_second_origin_settles_the_question_and_leads(desk):
    desk("stance", "add", KUNAR, "Associated Press", "affirms")
    desk("stance", "add", NANGARHAR, "Tahir Khan (Dawn)", "neutral")  # no longer affirms Nangarhar
    shown = json.loads(desk("question", "show", WHERE, "--json").stdout)
    assert shown["leading"] == KUNAR
    assert shown["verdict"] == "settled"
    listed = json.loads(desk("question", "list", "--json").stdout)
    assert listed[0]["question"] == WHERE and listed[0]["verdict"] == "settled" and listed[0]["leading"] == KUNAR


def test_a_claim_of_an_unknown_question_is_refused_and_nothing_is_written(desk):
    result = desk("claim", "add", "Balti was killed in Paktika", "--question", "balti-killed-were")
    assert result.exit_code != 0
    assert result.stderr.startswith("Error: ") and "balti-killed-where" in result.stderr  # did you mean
    assert "balti-was-killed-in-paktika" not in desk("claim", "list").stdout


def test_questions_travel_in_the_json_document(desk, tmp_path):
    out = tmp_path / "desk.json"
    assert desk("export", "--output", out).exit_code == 0
    document = json.loads(out.read_text())
    assert {"key": WHERE, "text": "Where was Mufti Khalid Balti killed?"}.items() <= document["questions"][0].items()
    assert {c["key"]: c.get("question") for c in document["claims"]}[KUNAR] == WHERE
    again = tmp_path / "again.db"
    desk("--db", again, "init")
    assert desk("--db", again, "import", out).exit_code == 0
    shown = json.loads(desk("--db", again, "question", "show", WHERE, "--json").stdout)
    assert [a["claim"] for a in shown["answers"]] == [KUNAR, NANGARHAR]


def test_assess_gives_the_fields_of_the_contract(desk):
    every = assess(desk)
    assert len(every) == 18
    killed = every[KILLED]
    assert set(killed) == {"claim", "question", "estimate", "credibility", "ruling", "basis", "method"}
    assert killed["ruling"] == "mostly-true" and killed["question"] is None
    assert 0 <= killed["estimate"] <= 1 and round(killed["estimate"], 3) == killed["estimate"]
    assert killed["method"].startswith("track-record-em/")
    assert {b["source"] for b in killed["basis"]} == {
        "Afghan government spokesperson Bilal Karimi", "Militant source (Kunar funeral)",
        "Pakistani senior security official", "TTP spokesman Mohammad Khurasani"}
    assert all(0 < b["reliability"] < 1 for b in killed["basis"])
    # No counted stance takes a side: no estimate, credibility 6.
    assert every["balti-killed-in-targeted-attack"]["estimate"] is None
    assert every["balti-killed-in-targeted-attack"]["credibility"] == 6
    # Answers of one question exclude each other.
    assert every[KUNAR]["estimate"] + every[NANGARHAR]["estimate"] <= 1
    assert every[KUNAR]["question"] == WHERE
    # Only the claims asked for, in that order.
    assert list(assess(desk, NANGARHAR, KILLED)) == [NANGARHAR, KILLED]


def test_credibility_grades():
    assert credibility(None, "contested") == 6
    assert credibility(0.95, "corroborated") == 1
    assert credibility(0.95, "single-source") == 2  # confirmed only when corroborated
    assert credibility(0.8996, "corroborated") == 1  # graded as rounded: 0.900
    assert [credibility(e, "contested") for e in (0.75, 0.5, 0.25, 0.249)] == [2, 3, 4, 5]


@pytest.mark.parametrize("claim, rulings", [
    (KILLED, ["false", "true", "mixture"]),
    # An answer's own ruling includes the rulings of its question's other answers.
    (KUNAR, [("rule", KUNAR, "true"), ("rule", NANGARHAR, "true"), ("rule", KUNAR, "false")]),
])
def test_ruling_a_claim_any_way_leaves_its_estimate_as_it_was(desk, claim, rulings):
    before = assess(desk)
    for ruling in rulings:
        key, value = (claim, ruling) if isinstance(ruling, str) else ruling[1:]
        assert desk("claim", "rule", key, value).exit_code == 0
        after = assess(desk)
        assert after[claim]["estimate"] == before[claim]["estimate"]
        assert after[claim]["basis"] == before[claim]["basis"]


def test_other_rulings_move_estimates(desk):
    """The sources' records learn from rulings: the test above is not vacuous."""
    before = assess(desk)
    desk("claim", "rule", "balti-funeral-in-kunar", "false")
    desk("claim", "rule", "balti-killed-on-9-january-2022", "false")
    assert assess(desk)[KILLED]["estimate"] != before[KILLED]["estimate"]


def test_track_records(desk):
    # Karimi denied that Balti was killed (ruled mostly-true): wrong.
    karimi = json.loads(desk("source", "show", KARIMI, "--json").stdout)
    assert karimi["track_record"] == {"right": 0, "wrong": 1}
    desk("claim", "rule", KUNAR, "true")  # Nangarhar is then false: Tahir Khan affirmed it, Karimi denied it
    karimi = json.loads(desk("source", "show", KARIMI, "--json").stdout)
    assert karimi["track_record"] == {"right": 1, "wrong": 1}
    listed = {s["name"]: s["track_record"] for s in json.loads(desk("source", "list", "--json").stdout)}
    assert listed["Afghan government spokesperson Bilal Karimi"] == {"right": 1, "wrong": 1}
    assert listed["Militant source (Kunar funeral)"]["right"] == 2  # Kunar, and that Balti was killed
    assert "1 right, 1 wrong" in desk("source", "show", KARIMI).stdout


def test_saved_estimates_are_shown_and_marked_stale_by_a_later_write(desk, balti_db):
    assert desk("assess", "--save").exit_code == 0
    estimate = assess(desk)[KILLED]["estimate"]
    shown = json.loads(desk("claim", "show", KILLED, "--json").stdout)["estimate"]
    assert shown["estimate"] == estimate and shown["stale"] is False and shown["computed_at"]
    assert f"Estimate (verity assess, not a ruling): {estimate:.3f}" in desk("claim", "show", KILLED).stdout
    report = desk("report").stdout
    assert f"**Estimate** (verity assess; a probability, not a ruling): {estimate:.3f}" in report
    assert "## Questions" in report and f"[{KUNAR}](#{KUNAR})" in report
    with sqlite3.connect(balti_db) as conn:
        assert conn.execute("SELECT DISTINCT stale FROM claim_estimates").fetchall() == [(0,)]
        assert conn.execute("SELECT DISTINCT stale FROM question_answers").fetchall() == [(0,)]
    desk("stance", "add", KILLED, "Associated Press", "affirms")
    shown = json.loads(desk("claim", "show", KILLED, "--json").stdout)["estimate"]
    assert shown["stale"] is True and shown["estimate"] == estimate  # kept as computed, marked stale
    assert "stale" in desk("claim", "show", KILLED).stdout
    with sqlite3.connect(balti_db) as conn:
        assert conn.execute("SELECT DISTINCT stale FROM claim_estimates").fetchall() == [(1,)]
        # The answers of a question show their saved estimates marked stale too.
        assert conn.execute("SELECT DISTINCT stale FROM question_answers WHERE estimate IS NOT NULL").fetchall() == [
            (1,)]
    desk("assess", "--save")
    assert json.loads(desk("claim", "show", KILLED, "--json").stdout)["estimate"]["stale"] is False


@pytest.mark.parametrize("write", [
    ("claim", "rule", KILLED, "true"),
    ("stance", "retract", "1", "--reason", "logged in error"),
    ("source", "edit", KARIMI, "--reliability", "E", "--reason", "regraded"),
    ("claim", "edit", KUNAR, "--question", "", "--reason", "not an answer"),
])
def test_every_write_an_estimate_rests_on_makes_it_stale(desk, write):
    desk("assess", "--save")
    result = desk(*write)
    assert result.exit_code == 0, result.stderr
    assert json.loads(desk("claim", "show", KILLED, "--json").stdout)["estimate"]["stale"] is True


def test_datasette_shows_questions_track_records_and_estimates(desk, balti_db):
    desk("assess", "--save")
    site = Site(balti_db)
    page = site.page("/{db}/question_answers")
    assert KUNAR in page and NANGARHAR in page
    assert "disputed" in site.page("/{db}/question_verdicts")
    records = json.loads(site.get("/{db}/source_track_records.json?_shape=array&source__contains=Karimi").text)
    assert (records[0]["right"], records[0]["wrong"]) == (0, 1) and records[0]["learned_reliability"] is not None
    estimates = json.loads(site.get("/{db}/claim_estimates.json?_shape=array&claim=" + KILLED).text)
    assert estimates[0]["estimate"] == assess(desk)[KILLED]["estimate"] and estimates[0]["stale"] == 0


def test_track_records_follow_merged_sources_and_claims(cli):
    """A source merged into another counts as that one; a claim merged into a ruled one: its
    stances count for the kept claim (docs/estimates.md)."""
    cli("init")
    for name in ("Ministry", "Ministry spokesman", "Monitor"):
        cli("source", "add", name)
    cli("claim", "add", "The bridge was destroyed", "--key", "bridge-destroyed")
    cli("claim", "add", "The bridge is gone", "--key", "bridge-gone")
    cli("stance", "add", "bridge-destroyed", "Monitor", "affirms")
    cli("stance", "add", "bridge-gone", "Ministry spokesman", "denies")
    cli("claim", "rule", "bridge-destroyed", "true")
    records = {s["name"]: s["track_record"] for s in json.loads(cli("source", "list", "--json").stdout)}
    assert records == {"Ministry": {"right": 0, "wrong": 0}, "Ministry spokesman": {"right": 0, "wrong": 0},
                       "Monitor": {"right": 1, "wrong": 0}}
    assert cli("claim", "merge", "bridge-gone", "--into", "bridge-destroyed", "--reason", "same").exit_code == 0
    assert cli("source", "merge", "Ministry spokesman", "--into", "Ministry", "--reason", "same").exit_code == 0
    ministry = json.loads(cli("source", "show", "Ministry", "--json").stdout)
    assert ministry["track_record"] == {"right": 0, "wrong": 1}
