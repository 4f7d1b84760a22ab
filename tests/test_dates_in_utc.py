"""One instant, one spelling: dates are compared as text (docs/rules.md), so a time given with an
offset is stored as the same instant in UTC, with Z, 'YYYY-MM-DD HH:MM' as 'YYYY-MM-DDTHH:MM:00', and
a time given to the minute with its seconds, whichever way it comes in (the command line, an import,
a desk merge). And a date 'in the future' is one more than a day ahead of now, compared as instants."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3

import pytest


def run(cli, *args):
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return result


def stored(sql: str, db=None) -> list[tuple]:
    conn = sqlite3.connect(db or os.environ["VERITY_DB"])
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def statuses(cli, claim: str) -> dict[int, str]:
    return {s["id"]: s["status"] for s in json.loads(run(cli, "stance", "list", "--claim", claim, "--json").stdout)}


@pytest.fixture
def claim_x(cli):
    run(cli, "init")
    run(cli, "claim", "add", "X happened", "--key", "x")
    run(cli, "source", "add", "S")
    run(cli, "source", "add", "T")


# -- "latest" across time zones ------------------------------------------------------------------


def test_a_later_ruling_given_with_an_offset_is_the_claims_ruling(cli, claim_x):
    run(cli, "claim", "rule", "x", "false", "--on", "2022-01-20T10:00:00Z")
    result = run(cli, "claim", "rule", "x", "true", "--on", "2022-01-20T08:00:00-05:00")  # 13:00 UTC
    assert "Warning" not in result.stderr
    claim = json.loads(run(cli, "claim", "show", "x", "--json").stdout)
    assert (claim["ruling"], claim["ruled_at"]) == ("true", "2022-01-20T13:00:00Z")
    assert stored("SELECT ruling, ruled_at FROM rulings ORDER BY id") == [
        ("false", "2022-01-20T10:00:00Z"), ("true", "2022-01-20T13:00:00Z")]
    assert stored("SELECT ruling, ruled_at FROM claims") == [("true", "2022-01-20T13:00:00Z")]


def test_an_earlier_ruling_given_with_an_offset_is_named_in_utc(cli, claim_x):
    run(cli, "claim", "rule", "x", "false", "--on", "2022-01-20T10:00:00Z")
    result = run(cli, "claim", "rule", "x", "true", "--on", "2022-01-20T04:00-05:00")  # 09:00 UTC
    assert result.stderr.startswith("Warning: true, dated 2022-01-20 09:00 UTC, is earlier than x's ruling "
                                    "(false, 2022-01-20 10:00 UTC)")


def test_a_later_statement_given_with_an_offset_counts(cli, claim_x):
    run(cli, "stance", "add", "x", "S", "affirms", "--said-on", "2022-01-20T10:00:00Z")
    run(cli, "stance", "add", "x", "S", "denies", "--said-on", "2022-01-20T08:00:00-05:00")  # 13:00 UTC
    assert statuses(cli, "x") == {1: "superseded", 2: "counted"}
    assert stored("SELECT said_on FROM stances WHERE id = 2") == [("2022-01-20T13:00:00Z",)]


def test_a_time_with_a_space_is_stored_and_ordered_as_with_a_t(cli, claim_x):
    run(cli, "stance", "add", "x", "T", "denies", "--said-on", "2022-01-10 09:00")
    run(cli, "stance", "add", "x", "T", "affirms", "--said-on", "2022-01-10T08:00")
    assert statuses(cli, "x") == {1: "counted", 2: "superseded"}
    assert stored("SELECT said_on FROM stances ORDER BY id") == [("2022-01-10T09:00:00",), ("2022-01-10T08:00:00",)]


def test_a_time_given_to_the_minute_is_stored_with_its_seconds_and_sorts_before_them(cli, claim_x):
    """'10:00Z' sorted after '10:00:30Z' as text (':' before 'Z'): one precision, to the second."""
    run(cli, "stance", "add", "x", "S", "affirms", "--said-on", "2022-01-20T10:00:30Z")
    run(cli, "stance", "add", "x", "S", "denies", "--said-on", "2022-01-20T10:00Z")
    run(cli, "stance", "add", "x", "T", "denies", "--said-on", "2022-01-20 10:01")
    assert statuses(cli, "x") == {1: "counted", 2: "superseded", 3: "counted"}
    assert stored("SELECT said_on FROM stances ORDER BY id") == [
        ("2022-01-20T10:00:30Z",), ("2022-01-20T10:00:00Z",), ("2022-01-20T10:01:00",)]
    run(cli, "claim", "rule", "x", "false", "--on", "2022-01-20T10:00:30Z")
    result = run(cli, "claim", "rule", "x", "true", "--on", "2022-01-20T05:00-05:00")  # 10:00 UTC: earlier
    assert "is earlier than x's ruling" in result.stderr
    assert stored("SELECT ruling, ruled_at FROM claims") == [("false", "2022-01-20T10:00:30Z")]
    assert stored("SELECT ruled_at FROM rulings ORDER BY id") == [("2022-01-20T10:00:30Z",), ("2022-01-20T10:00:00Z",)]


def test_plain_partial_and_unzoned_dates_stay_as_given(cli, claim_x):
    for said_on in ("2022-01-10", "2022-01", "2022", "2022-01-10T09:00:00", "2022-01-10T09:00:00.5Z"):
        run(cli, "stance", "add", "x", "S", "affirms", "--said-on", said_on)
    assert [said_on for said_on, in stored("SELECT said_on FROM stances ORDER BY id")] == [
        "2022-01-10", "2022-01", "2022", "2022-01-10T09:00:00", "2022-01-10T09:00:00.5Z"]


def test_a_withdrawal_given_with_an_offset_is_stored_in_utc(cli, claim_x):
    run(cli, "stance", "add", "x", "S", "affirms", "--said-on", "2022-01-10")
    run(cli, "stance", "retract", "1", "--reason", "withdrawn", "--on", "2022-01-11 23:30+05:30")
    assert stored("SELECT retracted_on FROM stances") == [("2022-01-11T18:00:00Z",)]


def test_an_offset_past_the_years_verity_keeps_is_refused_in_one_line(cli, claim_x):
    result = cli("stance", "add", "x", "S", "affirms", "--said-on", "0001-01-01T00:30+01:00")
    assert result.exit_code != 0
    assert result.stderr.startswith("Error: said-on date '0001-01-01T00:30+01:00' is not a real date or time in UTC")
    assert stored("SELECT count(*) FROM stances") == [(0,)]


# -- imports and desk merges -------------------------------------------------------------------------

_FILE = [
    {"type": "source", "name": "S"},
    {"type": "claim", "key": "x", "text": "X happened", "ruling": "true", "ruled_at": "2022-01-20 08:00:00-05:00"},
    {"type": "stance", "claim": "x", "source": "S", "position": "affirms", "said_on": "2022-01-20T10:00:00Z",
     "logged_at": "2022-01-21 10:00:00+01:00", "logged_by": "a"},
    {"type": "stance", "claim": "x", "source": "S", "position": "denies", "said_on": "2022-01-20T08:00:00-05:00",
     "logged_at": "2022-01-21T09:00:00Z", "logged_by": "a",
     "retracted": {"reason": "r", "at": "2022-01-22T09:00:00-03:00", "on": "2022-01-21 23:00+05:00"}},
]
_STORED_STANCES = [
    ("2022-01-20T10:00:00Z", "2022-01-21T09:00:00Z", None, None),
    ("2022-01-20T13:00:00Z", "2022-01-21T09:00:00Z", "2022-01-22T12:00:00Z", "2022-01-21T18:00:00Z"),
]
_STANCES_SQL = "SELECT said_on, logged_at, retracted_at, retracted_on FROM stances ORDER BY id"


def _write(path, records):
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["import", "merge"])
def test_a_file_s_times_are_stored_in_utc(cli, tmp_path, command):
    run(cli, "init")
    run(cli, command, _write(tmp_path / "tz.jsonl", _FILE))
    assert stored(_STANCES_SQL) == _STORED_STANCES
    assert stored("SELECT ruling, ruled_at FROM rulings") == [("true", "2022-01-20T13:00:00Z")]
    assert stored("SELECT ruled_at FROM claims") == [("2022-01-20T13:00:00Z",)]


def test_a_desk_file_s_ruling_history_and_changes_are_stored_in_utc(cli, tmp_path):
    run(cli, "init")
    run(cli, "claim", "add", "X happened", "--key", "x")
    run(cli, "claim", "rule", "x", "false", "--on", "2022-01-20T10:00:00Z")
    export = json.loads(run(cli, "export", "--format", "json").stdout)
    claim = export["claims"][0]
    ruling = claim["rulings"][0]
    claim["rulings"].append({**ruling, "uid": None, "ruling": "true", "ruled_at": "2022-01-20 08:00-05:00"})
    change = next(change for change in export["changes"] if change["action"] == "rule")
    export["changes"].append({**change, "uid": None, "new": "true", "at": "2022-01-20 08:00:01-05:00"})
    (tmp_path / "desk.json").write_text(json.dumps(export), encoding="utf-8")
    run(cli, "--db", tmp_path / "other.db", "init")
    run(cli, "--db", tmp_path / "other.db", "merge", tmp_path / "desk.json")
    assert stored("SELECT ruling, ruled_at FROM rulings ORDER BY ruled_at", tmp_path / "other.db") == [
        ("false", "2022-01-20T10:00:00Z"), ("true", "2022-01-20T13:00:00Z")]
    assert ("true", "2022-01-20T13:00:01Z") in stored("SELECT new, at FROM changes", tmp_path / "other.db")


def test_a_desk_file_s_ruling_whose_time_is_no_date_is_refused(cli, tmp_path):
    run(cli, "init")
    run(cli, "claim", "add", "X happened", "--key", "x")
    run(cli, "claim", "rule", "x", "false")
    export = json.loads(run(cli, "export", "--format", "json").stdout)
    export["claims"][0]["rulings"].append({**export["claims"][0]["rulings"][0], "uid": None, "ruled_at": "last tuesday"})
    (tmp_path / "desk.json").write_text(json.dumps(export), encoding="utf-8")
    run(cli, "--db", tmp_path / "other.db", "init")
    result = cli("--db", tmp_path / "other.db", "merge", tmp_path / "desk.json")
    assert result.exit_code != 0
    assert "ruled_at 'last tuesday' is not an ISO date" in result.stderr
    assert "$.claims[0].rulings[1].ruled_at" in result.stderr
    assert stored("SELECT count(*) FROM rulings", tmp_path / "other.db") == [(0,)]


def test_one_instant_spelled_two_ways_in_two_files_is_one_stance(cli, tmp_path):
    """The uid of a stance its file gives none is derived from what is stored (docs/import-export.md):
    a file's offset time and the same instant in UTC give one uid, and re-importing either adds nothing."""
    run(cli, "init")
    given = _write(tmp_path / "given.jsonl", _FILE[:1] + [{**_FILE[1], "ruling": None, "ruled_at": None}] + _FILE[2:])
    in_utc = _write(tmp_path / "utc.jsonl", [
        {**record, **{field: value for field, value in zip(("said_on", "logged_at"), row) if field in record}}
        for record, row in zip(json.loads("[" + ",".join(given.read_text().splitlines()) + "]"),
                               [(), (), *_STORED_STANCES])])
    assert "-05:00" not in in_utc.read_text() and "+01:00" not in in_utc.read_text()
    run(cli, "import", given)
    uids_before = stored("SELECT uid FROM stances ORDER BY id")
    for path in (given, in_utc):
        summary = json.loads(run(cli, "import", path, "--json").stdout)
        assert (summary["stances"], summary["stances_present"]) == (0, 2)
    assert stored("SELECT uid FROM stances ORDER BY id") == uids_before


# -- the future: a day's grace, counted in hours -------------------------------------------------------


def _at(hours: float, offset_hours: int = 0) -> str:
    """Now plus `hours`, as an ISO date-time in the zone `offset_hours` east of UTC."""
    zone = dt.timezone(dt.timedelta(hours=offset_hours))
    moment = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=hours)).astimezone(zone)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + ("Z" if offset_hours == 0 else moment.strftime("%z")[:3] + ":00")


def _day(days: int) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)).date().isoformat()


def test_a_ruling_more_than_a_day_ahead_is_refused_whatever_its_offset(cli, claim_x):
    # 30 hours ahead, written in a zone 12 hours west: its text reads today or tomorrow
    for on in (_at(30, -12), _at(25), _at(30)[:-1]):  # the last without an offset: read as UTC
        result = cli("claim", "rule", "x", "true", "--on", on)
        assert result.exit_code != 0, on
        assert result.stderr.startswith("Error: ruling date ") and "is in the future" in result.stderr
    assert stored("SELECT count(*) FROM rulings") == [(0,)]


def test_a_ruling_within_a_day_is_taken_in_any_zone(cli, claim_x):
    for on in (_at(23), _at(23, 14), _at(23, -12), _day(1)):  # a plain date counts from its start
        run(cli, "claim", "rule", "x", "true", "--on", on)
    assert "is in the future" in cli("claim", "rule", "x", "true", "--on", _day(2)).stderr


def test_a_said_on_or_withdrawal_more_than_a_day_ahead_is_warned_of(cli, claim_x):
    result = run(cli, "stance", "add", "x", "S", "affirms", "--said-on", _at(30, -12))
    assert "Warning: --said-on " in result.stderr and "is in the future" in result.stderr
    result = run(cli, "stance", "add", "x", "T", "affirms", "--said-on", _at(23, -12))
    assert "Warning" not in result.stderr
    result = run(cli, "stance", "retract", "1", "--reason", "withdrawn", "--on", _at(30, -12))
    assert "Warning: --on " in result.stderr and "is in the future" in result.stderr


@pytest.mark.parametrize("fraction", ["5", "50", "500", "5000", "50000", "500000"])
def test_a_fraction_of_a_second_reads_the_same_however_many_digits(fraction):
    # Python 3.10 reads only three or six: the future check would have passed over the others.
    from verity import uids

    assert uids.milliseconds(f"2099-01-01T10:00:00.{fraction}Z") == uids.milliseconds("2099-01-01T10:00:00Z") + 500
