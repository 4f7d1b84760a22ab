"""The command line (docs/cli.md), driven through typer's CliRunner."""

from __future__ import annotations

import json

import pytest

from verity import uids


@pytest.fixture
def balti(cli):
    """The reconcile example of docs/rules.md, logged through the CLI."""
    assert cli("init").exit_code == 0
    cli("source", "add", "Pakistani security official", "--kind", "official",
        "--affiliation", "Government of Pakistan")
    cli("source", "add", "TTP spokesman", "--kind", "militant group", "--affiliation", "TTP")
    cli("source", "add", "Afghan government spokesperson", "--kind", "official",
        "--affiliation", "Islamic Emirate of Afghanistan", "--url", "https://example.org/karimi",
        "--note", "Bilal Karimi")
    key = cli("claim", "add", "Mufti Khalid Balti was killed", "--subject", "Mufti Khalid Balti",
              "--tag", "ttp", "--tag", "casualty").stdout.strip()
    cli("stance", "add", key, "Pakistani security official", "affirms", "--said-on", "2022-01-10",
        "--via", "Dawn", "--quote", "confirmed Balti's killing")
    cli("stance", "add", key, "ttp spokesman", "affirms", "--said-on", "2022-01-12")
    cli("stance", "add", key, "Afghan government spokesperson", "denies", "--said-on", "2022-01-12",
        "--quote", "No such incident has taken place on this (Afghan) side", "--url", "https://example.org/q")
    return key


def test_claim_add_prints_the_key_alone(cli):
    cli("init")
    result = cli("claim", "add", "Mufti Khalid Balti was killed")
    assert result.exit_code == 0
    assert result.stdout == "mufti-khalid-balti-was-killed\n"


def test_stance_add_prints_the_id_alone(cli, balti):
    result = cli("stance", "add", balti, "TTP spokesman", "neutral")
    assert result.exit_code == 0
    assert result.stdout == "4\n"


def test_reconcile_json_is_the_design_example(cli, balti):
    result = cli("reconcile", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [{
        "claim": "mufti-khalid-balti-was-killed", "text": "Mufti Khalid Balti was killed",
        "verdict": "contested", "score": 0.333, "agreement": 0.333,
        "affirming": ["Pakistani security official", "TTP spokesman"],
        "denying": ["Afghan government spokesperson"], "neutral": [],
        "affirming_origins": 2, "denying_origins": 1,
        "contradictions": [["Pakistani security official", "Afghan government spokesperson"],
                           ["TTP spokesman", "Afghan government spokesperson"]],
        "ruling": None,
    }]


def test_reconcile_named_claims_in_order_and_as_a_table(cli, balti):
    cli("claim", "add", "Balti was the current TTP spokesman", "--key", "spokesman")
    result = cli("reconcile", "spokesman", balti, "--json")
    assert [r["claim"] for r in json.loads(result.stdout)] == ["spokesman", balti]
    table = cli("reconcile").stdout
    assert "contested" in table and "unverified" in table
    assert table.splitlines()[0].split()[:3] == ["claim", "verdict", "score"]


def test_empty_database_lists_are_empty_json(cli):
    cli("init")
    for args in (["reconcile"], ["claim", "list"], ["source", "list"]):
        result = cli(*args, "--json")
        assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_retraction_is_kept_marked_and_stops_counting(cli, balti):
    result = cli("stance", "retract", "3", "--reason", "quote belongs to another claim")
    assert result.exit_code == 0 and result.stdout == ""
    shown = json.loads(cli("claim", "show", balti, "--json").stdout)
    assert shown["reconciliation"]["verdict"] == "corroborated"
    retracted = [s for s in shown["stances"] if s["retracted"]]
    assert len(retracted) == 1
    assert retracted[0]["id"] == 3
    assert retracted[0]["retracted"]["reason"] == "quote belongs to another claim"
    assert retracted[0]["counted"] is False
    human = cli("claim", "show", balti).stdout
    assert "RETRACTED" in human and "quote belongs to another claim" in human


def test_claim_show_json_has_fields_reconciliation_and_every_stance_oldest_first(cli, balti):
    cli("stance", "add", balti, "Pakistani security official", "partially-affirms", "--said-on", "2022-01-09")
    shown = json.loads(cli("claim", "show", balti, "--json").stdout)
    assert shown["key"] == balti and shown["tags"] == ["ttp", "casualty"]
    assert shown["subject"] == "Mufti Khalid Balti"
    assert [s["said_on"] for s in shown["stances"]] == ["2022-01-09", "2022-01-10", "2022-01-12", "2022-01-12"]
    first = shown["stances"][0]
    assert set(first) >= {"id", "source", "position", "said_on", "quote", "url", "via", "note",
                          "logged_at", "logged_by", "retracted"}
    assert first["counted"] is False  # superseded by the official's stance of 10 January
    assert shown["stances"][1]["via"] == "Dawn"
    assert shown["stances"][1]["logged_by"] == "tester"


def test_ruling_shown_beside_the_verdict(cli, balti):
    result = cli("claim", "rule", balti, "Mostly True", "--explanation", "Pakistan and the TTP confirm")
    assert result.exit_code == 0
    listed = json.loads(cli("claim", "list", "--json").stdout)[0]
    assert (listed["verdict"], listed["ruling"]) == ("contested", "mostly-true")
    assert listed["ruling_explanation"] == "Pakistan and the TTP confirm"
    assert json.loads(cli("reconcile", "--json").stdout)[0]["ruling"] == "mostly-true"
    assert "Ruling:  mostly-true — Pakistan and the TTP confirm" in cli("claim", "show", balti).stdout


def test_claim_list_filters_by_verdict(cli, balti):
    cli("claim", "add", "The TTP numbers 4,000 to 10,000 fighters", "--key", "ttp-numbers")
    assert [c["key"] for c in json.loads(cli("claim", "list", "--verdict", "unverified", "--json").stdout)] == ["ttp-numbers"]
    both = cli("claim", "list", "--verdict", "unverified", "--verdict", "contested", "--json").stdout
    assert len(json.loads(both)) == 2
    table = cli("claim", "list", "--verdict", "contested").stdout
    assert balti in table and "ttp-numbers" not in table


def test_source_list(cli, balti):
    sources = json.loads(cli("source", "list", "--json").stdout)
    assert [s["name"] for s in sources] == [
        "Afghan government spokesperson", "Pakistani security official", "TTP spokesman"]
    assert uids.is_uid(sources[0].pop("uid"))
    assert sources[0] == {"id": 3, "name": "Afghan government spokesperson", "kind": "official",
                          "affiliation": "Islamic Emirate of Afghanistan", "reliability": None,
                          "url": "https://example.org/karimi", "note": "Bilal Karimi", "desk": None, "stances": 1,
                          "track_record": {"right": 0, "wrong": 0}}
    assert "Islamic Emirate of Afghanistan" in cli("source", "list").stdout


def test_reliability_grade_is_normalised(cli):
    cli("init")
    cli("source", "add", "UN monitoring team", "--reliability", "b")
    assert json.loads(cli("source", "list", "--json").stdout)[0]["reliability"] == "B"


def test_db_option_and_environment_choose_the_database(cli, tmp_path, monkeypatch):
    other = tmp_path / "other.db"
    assert cli("--db", other, "init").exit_code == 0
    cli("--db", other, "claim", "add", "In the other database")
    assert len(json.loads(cli("--db", other, "claim", "list", "--json").stdout)) == 1
    monkeypatch.setenv("VERITY_DB", str(other))
    assert len(json.loads(cli("claim", "list", "--json").stdout)) == 1


def test_default_database_is_claims_db_in_the_current_folder(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("VERITY_DB")
    assert cli("init").exit_code == 0
    assert (tmp_path / "claims.db").exists()


def test_init_twice_is_harmless(cli):
    assert cli("init").exit_code == 0
    result = cli("init")
    assert result.exit_code == 0 and "already" not in result.stdout
    assert "is a verity database" in result.stderr


def test_help_lists_every_command(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("init", "source", "claim", "stance", "reconcile"):
        assert command in result.stdout
