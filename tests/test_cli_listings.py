"""`stance list`, the filters of `claim list`, and who logged what in `claim show`: real CLI, real SQLite."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from support import Cli


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """Two fact-checkers log the Balti case (docs/rules.md's example): made once, copied for each test."""
    path = tmp_path_factory.mktemp("listings") / "desk.db"
    cli = Cli()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VERITY_DB", str(path))
        env.setenv("VERITY_USER", "amina")
        assert cli("init").exit_code == 0
        cli("source", "add", "Pakistani security official", "--affiliation", "Government of Pakistan")
        cli("source", "add", "TTP spokesman", "--affiliation", "TTP")
        cli("source", "add", "Afghan government spokesperson", "--affiliation", "Islamic Emirate of Afghanistan")
        cli("claim", "add", "Mufti Khalid Balti was killed", "--key", "killed", "--subject", "Mufti Khalid Balti",
            "--tag", "ttp", "--tag", "casualty")
        cli("claim", "add", "Balti was the current TTP spokesman", "--key", "spokesman",
            "--subject", "Mufti Khalid Balti", "--tag", "ttp")
        cli("claim", "add", "The TTP numbers 4,000 to 10,000 fighters", "--key", "numbers", "--tag", "strength")
        cli("stance", "add", "killed", "Pakistani security official", "affirms", "--said-on", "2022-01-10",
            "--note", "reported speech")
        cli("stance", "add", "killed", "TTP spokesman", "affirms", "--said-on", "2022-01-12")
        env.setenv("VERITY_USER", "bilal")
        cli("stance", "add", "killed", "Afghan government spokesperson", "denies", "--quote", "No such incident")
        cli("stance", "add", "spokesman", "Pakistani security official", "affirms", "--said-on", "2022-01-10")
        cli("stance", "add", "spokesman", "TTP spokesman", "denies", "--said-on", "2022-01-12")
        cli("stance", "add", "spokesman", "TTP spokesman", "neutral", "--said-on", "2022-01-11")  # superseded at once
        cli("stance", "retract", "4", "--reason", "wrong source")
        cli("claim", "rule", "killed", "mostly-true")
    with sqlite3.connect(path) as conn:  # one file to copy, whatever the journal mode
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def desk(cli, logged, db_path):
    shutil.copy(logged, db_path)
    return cli


def stances(cli, *args):
    result = cli("stance", "list", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_stance_list_is_every_stance_in_logging_order_with_its_status(desk):
    listed = stances(desk)
    assert [(s["id"], s["claim"], s["source"], s["position"], s["status"], s["logged_by"]) for s in listed] == [
        (1, "killed", "Pakistani security official", "affirms", "counted", "amina"),
        (2, "killed", "TTP spokesman", "affirms", "counted", "amina"),
        (3, "killed", "Afghan government spokesperson", "denies", "counted", "bilal"),
        (4, "spokesman", "Pakistani security official", "affirms", "retracted", "bilal"),
        (5, "spokesman", "TTP spokesman", "denies", "counted", "bilal"),
        (6, "spokesman", "TTP spokesman", "neutral", "superseded", "bilal"),
    ]
    assert listed[0]["note"] == "reported speech" and listed[3]["retracted"]["reason"] == "wrong source"


@pytest.mark.parametrize("args,ids", [
    (["--claim", "spokesman"], [4, 5, 6]),
    (["--claim", "2"], [4, 5, 6]),
    (["--source", "ttp SPOKESMAN"], [2, 5, 6]),
    (["--by", "amina"], [1, 2]),
    (["--by", "Bilal"], [3, 4, 5, 6]),  # names compare as names do
    (["--retracted"], [4]),
    (["--claim", "killed", "--by", "bilal"], [3]),
    (["--since", "2000-01-01"], [1, 2, 3, 4, 5, 6]),
    (["--since", "2999"], []),
])
def test_stance_list_filters(desk, args, ids):
    assert [s["id"] for s in stances(desk, *args)] == ids


def test_stance_list_since_a_moment(desk, db_path):
    import datetime as dt

    times = [row[0] for row in sqlite3.connect(db_path).execute("SELECT logged_at FROM stances ORDER BY id")]
    assert [s["id"] for s in stances(desk, "--since", times[4])] == [5, 6]
    # The same moment written in another time zone is the same moment.
    moment = dt.datetime.fromisoformat(times[4].replace("Z", "+00:00"))
    in_kabul = moment.astimezone(dt.timezone(dt.timedelta(hours=4, minutes=30))).isoformat()
    assert [s["id"] for s in stances(desk, "--since", in_kabul)] == [5, 6]


def test_stance_list_table_shows_who_logged_what(desk):
    table = desk("stance", "list", "--claim", "killed").stdout.splitlines()
    assert table[0].split() == ["id", "claim", "source", "position", "said", "status", "logged", "by", "quote"]
    assert "amina" in table[2] and "bilal" in table[4] and "No such incident" in table[4]


def test_stance_list_bad_input(desk):
    result = desk("stance", "list", "--claim", "kiled")
    assert result.exit_code == 1 and "did you mean 'killed'" in result.stderr
    result = desk("stance", "list", "--since", "last week")
    assert result.exit_code == 1 and "--since date 'last week' is not an ISO date" in result.stderr


def keys(cli, *args):
    result = cli("claim", "list", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return [c["key"] for c in json.loads(result.stdout)]


@pytest.mark.parametrize("args,expected", [
    ([], ["killed", "spokesman", "numbers"]),
    (["--tag", "ttp"], ["killed", "spokesman"]),
    (["--tag", "ttp", "--tag", "casualty"], ["killed"]),  # every tag given
    (["--tag", "TTP"], ["killed", "spokesman"]),
    (["--subject", "mufti khalid balti"], ["killed", "spokesman"]),
    (["--ruling", "mostly-true"], ["killed"]),
    (["--ruling", "none"], ["spokesman", "numbers"]),
    (["--ruling", "mostly-true", "--ruling", "none"], ["killed", "spokesman", "numbers"]),
    (["--source", "Afghan government spokesperson"], ["killed"]),
    (["--source", "1"], ["killed", "spokesman"]),  # a retracted stance is still a stance the source took
    (["--source", "TTP spokesman", "--verdict", "contested"], ["killed"]),
    (["--tag", "ttp", "--verdict", "unverified"], []),
])
def test_claim_list_filters(desk, args, expected):
    assert keys(desk, *args) == expected


def test_claim_show_says_who_logged_each_stance_and_its_note(desk):
    shown = desk("claim", "show", "killed").stdout
    assert "logged " in shown
    lines = shown.splitlines()
    first = lines.index(next(line for line in lines if "#1 " in line))
    assert lines[first + 1].strip().endswith("by amina · note: reported speech")
    assert "by bilal" in shown
    retracted = desk("claim", "show", "spokesman").stdout
    assert "RETRACTED" in retracted and "by bilal: wrong source" in retracted
    assert "(superseded)" in retracted
