"""Correcting the record with its history kept (docs/corrections.md), through the real CLI:
edits, aliases, merges, ruling histories, withdrawals, partial dates, the warnings of
stance add, the change log, and bad input refused without writing anything."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from verity.store import Store


def snapshot(path) -> dict:
    return {p: hashlib.sha256(open(p, "rb").read()).hexdigest()
            for p in (str(path), f"{path}-wal") if os.path.exists(p) and os.path.getsize(p)}


@pytest.fixture
def russia(cli, db_path, built_once):
    """A small desk: a typo in an affiliation splits one government into two origins."""
    return built_once("russia", lambda path: _russia(cli, path), db_path)


def _russia(cli, path):
    for args in (
        ["init"],
        ["source", "add", "Dmitry Peskov, Kremlin spokesman", "--affiliation", "Government of Russia"],
        ["source", "add", "Maria Zakharova", "--affiliation", "Goverment of Russia"],
        ["source", "add", "D. Peskov"],
        ["source", "add", "Kyiv Independent", "--kind", "news outlet"],
        ["claim", "add", "The strike hit a military depot", "--key", "military-depot"],
        ["stance", "add", "military-depot", "Dmitry Peskov, Kremlin spokesman", "affirms", "--said-on", "2023-08-02"],
        ["stance", "add", "military-depot", "Maria Zakharova", "affirms", "--said-on", "2023-08-03"],
        ["stance", "add", "military-depot", "Kyiv Independent", "denies", "--said-on", "2023-08-03"],
    ):
        result = cli("--db", path, *args)
        assert result.exit_code == 0, (args, result.output)


def reconciled(cli, claim="military-depot") -> dict:
    return json.loads(cli("reconcile", claim, "--json").stdout)[0]


def test_an_affiliation_typo_corrected_makes_one_origin_and_keeps_the_history(cli, russia):
    assert reconciled(cli)["affirming_origins"] == 2  # the typo counts as a second government
    result = cli("source", "edit", "Maria Zakharova", "--affiliation", "Government of Russia", "--reason", "typo")
    assert result.exit_code == 0, result.output
    assert result.stderr == "Corrected source 'Maria Zakharova': affiliation.\n"
    assert reconciled(cli)["affirming_origins"] == 1  # reconciled again at once
    shown = json.loads(cli("source", "show", "Maria Zakharova", "--json").stdout)
    [change] = shown["changes"]
    assert (change["action"], change["field"], change["old"], change["new"], change["reason"], change["by"]) == (
        "edit", "affiliation", "Goverment of Russia", "Government of Russia", "typo", "tester")


def test_a_renamed_source_keeps_its_old_name_as_an_alias(cli, russia):
    assert cli("source", "edit", "D. Peskov", "--name", "Dmitri Peskov", "--reason", "spelling").exit_code == 0
    assert cli("stance", "add", "military-depot", "D. Peskov", "neutral").exit_code == 0  # found by its old name
    shown = json.loads(cli("source", "show", "Dmitri Peskov", "--json").stdout)
    assert shown["aliases"] == ["D. Peskov"] and shown["stances"] == 1


def test_an_alias_finds_the_source_and_shares_the_namespace(cli, russia):
    result = cli("source", "alias", "Dmitry Peskov, Kremlin spokesman", "Peskov")
    assert result.exit_code == 0 and result.stderr == "'Peskov' now names source 'Dmitry Peskov, Kremlin spokesman'.\n"
    logged = cli("stance", "add", "military-depot", "peskov", "denies", "--said-on", "2023-08-05")
    assert logged.exit_code == 0
    assert reconciled(cli)["denying"] == ["Dmitry Peskov, Kremlin spokesman", "Kyiv Independent"]
    taken = cli("source", "alias", "Maria Zakharova", "PESKOV")
    assert taken.exit_code == 1
    assert "already exists" in taken.stderr and "Dmitry Peskov, Kremlin spokesman" in taken.stderr
    assert cli("source", "add", "Peskov").exit_code == 1  # a name taken by an alias


def test_a_merged_source_counts_once_as_the_source_kept(cli, russia):
    cli("stance", "add", "military-depot", "D. Peskov", "denies", "--said-on", "2023-08-04")
    assert reconciled(cli)["verdict"] == "contested"
    result = cli("source", "merge", "D. Peskov", "--into", "Dmitry Peskov, Kremlin spokesman", "--reason", "same person")
    assert result.exit_code == 0, result.output
    after = reconciled(cli)
    # one latest stance for the merged speaker: his later denial, under the kept name
    assert after["denying"] == ["Dmitry Peskov, Kremlin spokesman", "Kyiv Independent"]
    assert after["affirming"] == ["Maria Zakharova"]
    listed = [s["name"] for s in json.loads(cli("source", "list", "--json").stdout)]
    assert "D. Peskov" not in listed  # merged: listed no more, its name now the kept one's
    assert cli("stance", "add", "military-depot", "D. Peskov", "neutral").exit_code == 0
    with Store.open(russia) as store:
        assert [s.source for s in store.all_stances()].count("D. Peskov") == 1  # stances stay as logged
        assert list(store.reconciliations()) == list(store.fresh_reconciliations())


def test_merging_into_a_merged_source_follows_the_chain_and_a_cycle_is_refused(cli, russia):
    assert cli("source", "merge", "D. Peskov", "--into", "Dmitry Peskov, Kremlin spokesman",
               "--reason", "same").exit_code == 0
    followed = cli("source", "merge", "Maria Zakharova", "--into", "D. Peskov", "--reason", "test")
    assert followed.exit_code == 0
    assert "into 'Dmitry Peskov, Kremlin spokesman'" in followed.stderr
    itself = cli("source", "merge", "Dmitry Peskov, Kremlin spokesman", "--into", "D. Peskov", "--reason", "x")
    assert itself.exit_code == 1 and "already one source" in itself.stderr


def test_a_rekeyed_claim_is_found_by_its_old_key(cli, russia):
    assert cli("claim", "edit", "military-depot", "--key", "depot-strike", "--tag", "strike",
               "--reason", "clearer key").exit_code == 0
    shown = json.loads(cli("claim", "show", "military-depot", "--json").stdout)
    assert shown["key"] == "depot-strike" and shown["tags"] == ["strike"] and shown["aliases"] == ["military-depot"]
    assert sorted(c["field"] for c in shown["changes"]) == ["key", "tags"]
    assert cli("claim", "add", "Another claim", "--key", "military-depot").exit_code == 1  # the old key is taken


def test_a_claim_logged_twice_is_merged(cli, russia):
    cli("claim", "add", "A military depot was struck", "--key", "depot-struck")
    cli("stance", "add", "depot-struck", "Kyiv Independent", "affirms", "--said-on", "2023-08-06")
    result = cli("claim", "merge", "depot-struck", "--into", "military-depot", "--reason", "the same claim")
    assert result.exit_code == 0, result.output
    kept = reconciled(cli)
    assert kept["affirming"] == ["Dmitry Peskov, Kremlin spokesman", "Kyiv Independent", "Maria Zakharova"]
    assert kept["denying"] == []  # the outlet's later stance, on the duplicate, is its latest
    assert [c["key"] for c in json.loads(cli("claim", "list", "--json").stdout)] == ["military-depot"]
    assert json.loads(cli("claim", "show", "depot-struck", "--json").stdout)["key"] == "military-depot"


def test_rulings_are_a_history_and_claimreview_publishes_the_latest(cli, russia):
    assert cli("claim", "rule", "military-depot", "unproven", "--on", "2023-08-04").exit_code == 0
    assert cli("claim", "rule", "military-depot", "false", "--explanation", "satellite images",
               "--on", "2023-08-10").exit_code == 0
    shown = json.loads(cli("claim", "show", "military-depot", "--json").stdout)
    assert [(r["ruling"], r["ruled_at"], r["ruled_by"]) for r in shown["rulings"]] == [
        ("unproven", "2023-08-04", "tester"), ("false", "2023-08-10", "tester")]
    assert shown["ruling"] == "false"
    text = cli("claim", "show", "military-depot").stdout
    assert "Rulings, oldest first" in text and "2023-08-04 by tester: unproven" in text
    reviews = json.loads(cli("export", "--format", "claimreview", "--publisher", "Desk").stdout)
    assert reviews[0]["reviewRating"]["alternateName"] == "False" and reviews[0]["datePublished"] == "2023-08-10"


def test_a_backdated_ruling_joins_the_history_without_a_change_of_ruling_in_the_log(cli, russia):
    assert cli("claim", "rule", "military-depot", "true").exit_code == 0
    result = cli("claim", "rule", "military-depot", "false", "--on", "2020-01-01", "--explanation", "an old view")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Warning: false, dated 2020-01-01, is earlier than military-depot's ruling (true, ")
    assert result.stderr.endswith("Ruled military-depot: true.\n")
    shown = json.loads(cli("claim", "show", "military-depot", "--json").stdout)
    assert shown["ruling"] == "true"
    assert [r["ruling"] for r in shown["rulings"]] == ["false", "true"]
    latest, first = json.loads(cli("log", "--json").stdout)
    assert (first["field"], first["old"], first["new"]) == ("ruling", None, "true")
    # Not "ruling: true → false": the claim's ruling did not change; the history grew.
    assert (latest["action"], latest["field"], latest["old"], latest["new"], latest["reason"]) == (
        "rule", "rulings", None, "false", "an old view")
    log = cli("log").stdout
    assert "claim military-depot: earlier ruling added: false  (an old view)" in log and "→" not in log
    # A ruling dated after the claim's ruling is its ruling again, and says what it replaced.
    assert cli("claim", "rule", "military-depot", "mostly-false").exit_code == 0
    newest = json.loads(cli("log", "--json").stdout)[0]
    assert (newest["field"], newest["old"], newest["new"]) == ("ruling", "true", "mostly-false")


def test_a_withdrawal_is_dated_beside_its_retraction(cli, russia):
    result = cli("stance", "retract", "2", "--reason", "she took it back", "--on", "2023-08")
    assert result.exit_code == 0, result.output
    shown = json.loads(cli("claim", "show", "military-depot", "--json").stdout)
    stance = next(s for s in shown["stances"] if s["id"] == 2)
    assert stance["retracted"]["on"] == "2023-08" and stance["retracted"]["reason"] == "she took it back"
    assert "the source withdrew it 2023-08" in cli("claim", "show", "military-depot").stdout


def test_a_withdrawal_dated_in_the_future_or_before_the_stance_was_said_is_kept_with_a_warning(cli, russia):
    result = cli("stance", "retract", "2", "--reason", "typo in the year", "--on", "2203-08-05")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Warning: --on 2203-08-05 is in the future; check the year")
    result = cli("stance", "retract", "3", "--reason", "withdrawn", "--on", "2023-08-01")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Warning: --on 2023-08-01 is before stance 3 was said (2023-08-03)")
    # A month's withdrawal of a stance said in that month is no contradiction.
    assert cli("stance", "add", "military-depot", "D. Peskov", "denies", "--said-on", "2023-08-05").exit_code == 0
    result = cli("stance", "retract", "4", "--reason", "withdrawn", "--on", "2023-08")
    assert result.exit_code == 0 and "Warning" not in result.stderr, result.output


def test_a_ruling_dated_in_the_future_is_refused_and_writes_nothing(cli, russia):
    before = snapshot(russia)
    result = cli("claim", "rule", "military-depot", "true", "--on", "2203-08-04")
    assert result.exit_code != 0
    assert result.stderr == ("Error: ruling date 2203-08-04 is in the future; check the year, or leave out --on "
                             "to date the ruling now\n")
    assert snapshot(russia) == before


def test_merging_a_ruled_claim_says_its_ruling_does_not_carry_over(cli, russia):
    cli("claim", "add", "A military depot was struck", "--key", "depot-struck")
    assert cli("claim", "rule", "depot-struck", "false").exit_code == 0
    result = cli("claim", "merge", "depot-struck", "--into", "military-depot", "--reason", "the same claim")
    assert result.exit_code == 0, result.output
    assert "Warning: depot-struck was ruled false (" in result.stderr
    assert ("its rulings stay in its history and do not carry over: military-depot has no ruling. If false is "
            "right for military-depot, rule it: verity claim rule military-depot false") in result.stderr
    assert json.loads(cli("claim", "show", "military-depot", "--json").stdout)["ruling"] is None
    # Unruled, a duplicate merges without a word.
    cli("claim", "add", "Depot hit", "--key", "depot-hit")
    result = cli("claim", "merge", "depot-hit", "--into", "military-depot", "--reason", "the same claim")
    assert result.exit_code == 0 and "Warning" not in result.stderr, result.output


def test_two_answers_of_one_question_ruled_true_draw_a_warning(cli, russia):
    cli("question", "add", "what-was-hit", "What did the strike hit?")
    cli("claim", "add", "The strike hit a school", "--key", "school", "--question", "what-was-hit")
    cli("claim", "edit", "military-depot", "--question", "what-was-hit", "--reason", "it answers it")
    assert "Warning" not in cli("claim", "rule", "school", "false").stderr
    assert "Warning" not in cli("claim", "rule", "military-depot", "true").stderr
    result = cli("claim", "rule", "school", "mostly-true")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        "Warning: school and military-depot both answer question what-was-hit and are both ruled true, but its "
        "answers exclude each other; rule the one that is not: verity claim rule military-depot RULING")
    # a claim ruled true put in the question afterwards: the same warning
    cli("claim", "add", "The strike hit a hospital", "--key", "hospital")
    cli("claim", "rule", "hospital", "true")
    result = cli("claim", "edit", "hospital", "--question", "what-was-hit", "--reason", "it answers it")
    assert result.exit_code == 0, result.output
    assert ("Warning: hospital and military-depot both answer question what-was-hit and are both ruled true"
            in result.stderr)


def test_partial_dates_order_before_the_days_they_contain(cli, russia):
    # The outlet said something in August, then on the 3rd: the 3rd is its latest.
    assert cli("stance", "add", "military-depot", "Kyiv Independent", "affirms", "--said-on", "2023-08").exit_code == 0
    assert "Kyiv Independent" in reconciled(cli)["denying"]


def test_stance_add_warns_when_an_undated_stance_counts_over_a_dated_one(cli, russia):
    result = cli("stance", "add", "military-depot", "Kyiv Independent", "neutral")
    assert result.exit_code == 0
    assert result.stderr.startswith("Warning: this stance has no --said-on")
    assert "now counts over stance 3 of 2023-08-03 by the same source" in result.stderr


def test_an_exact_repeat_of_a_stance_is_refused_naming_it(cli, russia):
    before = snapshot(russia)
    result = cli("stance", "add", "military-depot", "Maria Zakharova", "affirms", "--said-on", "2023-08-03")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: this repeats stance 2 (logged ")
    assert snapshot(russia) == before


def test_the_log_lists_every_change_newest_first(cli, russia):
    cli("source", "edit", "Maria Zakharova", "--affiliation", "Government of Russia", "--reason", "typo")
    cli("claim", "rule", "military-depot", "false")
    entries = json.loads(cli("log", "--json").stdout)
    assert [e["action"] for e in entries] == ["rule", "edit"]
    assert json.loads(cli("log", "--by", "nobody", "--json").stdout) == []
    assert len(json.loads(cli("log", "--since", "2020-01-01", "--json").stdout)) == 2
    text = cli("log").stdout
    assert "source Maria Zakharova: affiliation: Goverment of Russia → Government of Russia  (typo)" in text


def test_the_log_since_a_moment_in_another_time_zone_is_that_moment(cli, russia):
    import datetime as dt

    cli("source", "edit", "Maria Zakharova", "--affiliation", "Government of Russia", "--reason", "typo")
    cli("claim", "rule", "military-depot", "false")
    entries = json.loads(cli("log", "--json").stdout)
    newest = dt.datetime.fromisoformat(entries[0]["at"].replace("Z", "+00:00"))
    # The newest change's moment, written in Kabul's time (UTC+4:30): as text it sorts after
    # the UTC time stored, but it is the same moment, so the change is listed.
    in_kabul = newest.astimezone(dt.timezone(dt.timedelta(hours=4, minutes=30))).isoformat()
    assert [e["uid"] for e in json.loads(cli("log", "--since", in_kabul, "--json").stdout)] == [entries[0]["uid"]]


def test_a_tag_is_matched_ignoring_case_as_claim_list_finds_it(cli, russia, tmp_path):
    assert cli("claim", "edit", "military-depot", "--tag", "ukraine", "--reason", "r").exit_code == 0
    result = cli("claim", "edit", "military-depot", "--tag", "Ukraine", "--reason", "r")
    assert result.exit_code == 1 and "nothing to change" in result.stderr
    assert cli("claim", "edit", "military-depot", "--untag", "UKRAINE", "--reason", "r").exit_code == 0
    assert json.loads(cli("claim", "show", "military-depot", "--json").stdout)["tags"] == []
    assert cli("claim", "add", "Depot hit", "--key", "depot-hit", "--tag", "TTP", "--tag", "ttp",
               "--tag", "Pakistan Army", "--tag", "pakistan  army").exit_code == 0
    assert json.loads(cli("claim", "show", "depot-hit", "--json").stdout)["tags"] == ["TTP", "Pakistan Army"]
    # spelt anew: removed, then added
    assert cli("claim", "edit", "depot-hit", "--untag", "ttp", "--tag", "ttp", "--reason", "lower case").exit_code == 0
    assert json.loads(cli("claim", "show", "depot-hit", "--json").stdout)["tags"] == ["Pakistan Army", "ttp"]

    # an import of the claim with its tags spelt otherwise is the claim already there, not another
    data = tmp_path / "depot.jsonl"
    data.write_text(json.dumps({"type": "claim", "key": "depot-hit", "text": "Depot hit",
                                "tags": ["TTP", "PAKISTAN  ARMY"]}) + "\n", encoding="utf-8")
    result = cli("import", data)
    assert result.exit_code == 0 and "1 claim already there" in result.stderr, result.output
    # and a claim that differs: its tags, spelt otherwise, are not among the differences named
    data.write_text(json.dumps({"type": "claim", "key": "depot-hit", "text": "Depot hit", "note": "new",
                                "tags": ["pakistan army", "TTP"]}) + "\n", encoding="utf-8")
    result = cli("import", data)
    assert result.exit_code == 1 and "(note: none in the database, 'new' here)" in result.stderr, result.output
    # a tag taken out and put back as it was is no change
    result = cli("claim", "edit", "depot-hit", "--untag", "ttp", "--tag", "ttp", "--reason", "r")
    assert result.exit_code == 1 and "nothing to change" in result.stderr
    result = cli("claim", "edit", "depot-hit", "--untag", "ttp", "--tag", "ttp", "--tag", "PAKISTAN ARMY",
                 "--reason", "r")  # (the second, one it has: the first spelling stays)
    assert result.exit_code == 1 and "nothing to change" in result.stderr


@pytest.mark.parametrize("args, words", [
    (["source", "edit", "Nobody", "--kind", "x", "--reason", "r"], "no source 'Nobody'"),
    (["source", "edit", "Maria Zakharova", "--affiliation", "Goverment of Russia", "--reason", "r"],
     "nothing to change"),
    (["source", "edit", "Maria Zakharova", "--kind", "official", "--reason", "  "], "the reason is empty"),
    (["source", "edit", "Maria Zakharova", "--name", "D. Peskov", "--reason", "r"], "already exists"),
    (["source", "edit", "Maria Zakharova", "--reliability", "G", "--reason", "r"], "not a reliability grade"),
    (["source", "alias", "Maria Zakharova", "d. peskov"], "already exists"),
    (["source", "alias", "Maria Zakharova", "\x1b[2J"], "control character"),
    (["source", "merge", "Maria Zakharova", "--into", "maria zakharova", "--reason", "r"], "already one source"),
    (["source", "merge", "Maria Zakharova", "--into", "Nobody", "--reason", "r"], "no source 'Nobody'"),
    (["claim", "edit", "military-depot", "--reason", "r"],
     "nothing to change: give at least one of --key, --text, --subject, --tag, --untag, --note, --question"),
    (["source", "edit", "Maria Zakharova", "--reason", "r"],
     "nothing to change: give at least one of --name, --kind, --affiliation, --reliability, --url, --note"),
    (["source", "edit", "Kyiv Independent", "--kind", "news outlet", "--url", "", "--reason", "r"],
     "already has kind 'news outlet', no url; give a new value"),
    (["claim", "edit", "military-depot", "--key", "Not A Slug", "--reason", "r"], "is not a slug"),
    (["claim", "edit", "military-depot", "--untag", "absent", "--reason", "r"], "has no tag 'absent'"),
    (["claim", "edit", "military-depot", "--tag", " ", "--reason", "r"], "a tag is empty"),
    (["claim", "edit", "military-depot", "--question", "no-such", "--reason", "r"], "no question 'no-such'"),
    (["claim", "merge", "military-depot", "--into", "military-depot", "--reason", "r"], "already one claim"),
    (["claim", "rule", "military-depot", "false", "--on", "yesterday"], "not an ISO date"),
    (["stance", "retract", "1", "--reason", "r", "--on", "2023-13"], "withdrawal date"),
    (["stance", "retract", "1", "--reason", "wrong source\x1b[2J"], "the reason holds a control character"),
    (["log", "--since", "last week"], "not an ISO date"),
])
def test_bad_corrections_are_one_line_and_write_nothing(cli, russia, args, words):
    before = snapshot(russia)
    result = cli(*args)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert words in result.stderr
    assert snapshot(russia) == before


def test_every_correction_writes_one_change_per_field(cli, russia):
    cli("source", "edit", "Maria Zakharova", "--affiliation", "Government of Russia", "--reliability", "D",
        "--kind", "official", "--reason", "three at once")
    shown = json.loads(cli("source", "show", "Maria Zakharova", "--json").stdout)
    assert sorted(c["field"] for c in shown["changes"]) == ["affiliation", "kind", "reliability"]
