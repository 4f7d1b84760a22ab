"""verity in Datasette, through Datasette's in-process client over real databases.

The named queries, facets, search, labels and descriptions on the Balti case
(the bundled claims.db), the reconciliation staying fresh while verity writes,
and `verity browse` / `verity datasette-metadata` refusing bad input without
touching the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import socket
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import EXAMPLE_JSON

from verity import migrations
from verity.datasette import inspect_database, metadata_for
from verity.datasette.metadata import LABEL_COLUMNS, QUERIES, SETTINGS, datasette_major
from verity.datasette.server import listen, make_datasette, serve
from verity.errors import Conflict
from verity.models import RULINGS, VERDICTS, Claim, Retraction, Source, Stance
from verity.reconcile import COUNTED, StanceFact, StanceStatus, ruling_disagreement, stance_statuses
from verity.store import Store

BALTI = json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))


class Browser:
    """A Datasette over one verity database, asked for pages as a person's browser would."""

    def __init__(self, path):
        self.database = inspect_database(path)
        self.name = self.database.name
        self.ds = make_datasette(self.database)
        asyncio.run(self.ds.invoke_startup())

    def get(self, path: str):
        async def fetch():
            return await self.ds.client.get(path.replace("{db}", self.name))

        return asyncio.run(fetch())

    def page(self, path: str) -> str:
        response = self.get(path)
        assert response.status_code == 200, response.text[:500]
        return response.text

    def json(self, path: str):
        response = self.get(path)
        assert response.status_code == 200, response.text[:500]
        return response.json()

    def rows(self, path: str, **params) -> list[dict]:
        query = "&".join(f"{k}={v}" for k, v in {"_shape": "array", "_size": "max", **params}.items())
        sep = "&" if "?" in path else "?"
        return self.json(f"/{{db}}/{path}{sep}{query}")

    def facet(self, path: str, column: str) -> dict:
        sep = "&" if "?" in path else "?"
        # Datasette 1.0 gives facets when asked (_extra), under "results"; 0.65 always, at the top.
        facets = self.json(f"/{{db}}/{path}.json{sep}_size=0&_extra=facet_results")["facet_results"]
        if column not in facets:
            facets = facets["results"]
        return {r["value"]: r["count"] for r in facets[column]["results"]}


@pytest.fixture
def browser(balti_db) -> Browser:
    return Browser(balti_db)


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- what a person sees --------------------------------------------------------------


def browsable_tables(path) -> dict[str, list[str]]:
    """Every table and view a person browses, with its columns (search indexes are hidden)."""
    conn = sqlite3.connect(path)
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE '%fts%' "
        "AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%'"
    )]
    tables = {name: [r[1] for r in conn.execute(f"PRAGMA table_info([{name}])")] for name in names}
    conn.close()
    return tables


def test_every_table_view_and_column_is_described(balti_db, browser):
    described = metadata_for(inspect_database(balti_db))["databases"]["balti"]["tables"]
    tables = browsable_tables(balti_db)
    assert set(tables) == {"sources", "claims", "stances", "reconciliations", "claim_verdicts", "counted_stances",
                           "stance_statuses", "contested_claims", "contradiction_pairs", "source_statements",
                           "stance_reversals", "single_source_claims", "ruling_disagreements",
                           "rulings", "aliases", "changes", "questions", "question_reconciliations",
                           "assessment_runs", "assessments", "assessed_sources", "question_verdicts",
                           "question_answers", "claim_truths", "ruled_stances", "source_track_records",
                           "claim_estimates", "claim_lookalikes", "similarity_checks", "meaning_vectors", "claims_logged_twice"}
    for table, columns in tables.items():
        assert described[table]["description"], table
        missing = [c for c in columns if c != "id" and not described[table]["columns"].get(c)]
        assert missing == [], f"{table}: no description for {missing}"
    page = browser.page("/{db}/sources")
    assert "Admiralty-code grade of the source" in page
    page = browser.page("/{db}/stances")
    assert "Stances are never edited or deleted" in page
    assert "partially-affirms" in page and "What the columns mean" in page


def test_the_database_is_titled_and_the_worked_example_credited(browser):
    for path in ["/{db}", "/{db}/claim_verdicts", "/{db}/contradictions"]:
        page = browser.page(path)
        assert "Tahir Khan" in page and "13 January 2022" in page, path
        assert "Associated Press" in page and "6 January 2022" in page, path
        assert "siawi.org" in page, path
    assert "The Balti case: claims, sources and stances" in browser.page("/{db}")
    assert "verity: where the sources agree" in browser.page("/")
    assert "<h1>Claims reconciliation (view)</h1>" in browser.page("/{db}/claim_verdicts")


def test_the_history_tables_are_one_click_from_the_database_page(browser):
    # Rulings, aliases, questions and changes are tables of their own, browsable in Datasette;
    # kept off the index page's first lines, the database's description links each.
    page = browser.page("/{db}")
    for table in ("changes", "rulings", "aliases", "questions"):
        assert f'href="/{browser.name}/{table}"' in page, table
        browser.page(f"/{{db}}/{table}")  # served (200): hidden from the index, not from the browser


def test_another_database_is_not_credited_to_the_example(tmp_path):
    path = tmp_path / "desk.db"
    with Store.create(path) as store:
        store.add_claim(Claim(text="The bridge was closed"))
    page = Browser(path).page("/desk")
    assert "Claims, sources and stances" in page
    assert "Tahir Khan" not in page and "Balti" not in page


def test_a_stance_shows_its_claims_text_and_its_sources_name(browser):
    (first,) = browser.rows("stances.json", _labels="on", _size=1)
    assert first["claim_id"] == {
        "value": 1, "label": "Mufti Khalid Balti alias Mohammad Khurasani was killed in January 2022"
    }
    assert first["source_id"] == {"value": 1, "label": "Pakistani senior security official"}
    page = browser.page("/{db}/stances?_size=5")
    assert ">Pakistani senior security official</a>" in page
    (row,) = browser.rows("reconciliations.json", _labels="on", claim_id=16)
    assert row["claim_id"]["label"] == BALTI["claims"][15]["text"]


def test_the_claims_reconciliation_is_the_reconcilers(browser, balti_db):
    rows = {r["key"]: r for r in browser.rows("claim_verdicts.json")}
    with Store.open(balti_db) as store:
        expected = list(store.reconciliations())
    assert len(rows) == len(expected) == len(BALTI["claims"])
    for r in expected:
        row = rows[r.claim]
        assert (row["text"], row["verdict"], row["score"], row["agreement"], row["ruling"]) == (
            r.text, r.verdict, r.score, r.agreement, r.ruling
        )
        assert json.loads(row["affirming"]) == list(r.affirming)
        assert json.loads(row["denying"]) == list(r.denying)
        assert json.loads(row["neutral"]) == list(r.neutral)
        assert (row["affirming_origins"], row["denying_origins"], row["contradictions"]) == (
            r.affirming_origins, r.denying_origins, len(r.contradictions)
        )


def test_the_claims_reconciliation_facets_by_verdict_and_ruling(browser):
    assert browser.facet("claim_verdicts", "verdict") == {
        "single-source": 8, "contested": 4, "corroborated": 4, "unverified": 1
    }
    assert browser.facet("claim_verdicts", "ruling") == {"mostly-true": 1, "unproven": 1, "false": 1}
    contested = browser.rows("claim_verdicts.json", verdict="contested")
    assert [r["key"] for r in contested] == [  # most contradictions first, by default
        "balti-was-killed", "balti-was-current-ttp-spokesman", "balti-killed-in-nangarhar",
        "ttp-is-branch-of-islamic-emirate",
    ]


@pytest.mark.parametrize("sort", ["score", "agreement"])
def test_the_claims_reconciliation_sorts_by_score_and_agreement(browser, sort):
    up = [r[sort] for r in browser.rows("claim_verdicts.json", _sort=sort)]
    down = [r[sort] for r in browser.rows("claim_verdicts.json", _sort_desc=sort)]
    known = [v for v in up if v is not None]
    assert known == sorted(known) and len(known) >= 16
    assert [v for v in down if v is not None] == sorted(known, reverse=True)


def counted_from_the_reconciler(path) -> list[dict]:
    """The counted stances as verity.reconcile decides them, with their sources."""
    with Store.open(path) as store:
        sources = {s.name: s for s, _ in store.sources()}
        counted = counted_ids_by_reconciler(store)
        return [{"stance": s, "source": sources[s.source]} for s in store.all_stances() if s.id in counted]


def test_facets_count_correctly(browser, balti_db):
    tags = Counter(tag for claim in BALTI["claims"] for tag in claim["tags"])
    assert browser.facet("claims", "tags") == dict(tags)
    positions = Counter(s["position"] for s in BALTI["stances"])
    assert browser.facet("stances", "position") == dict(positions)
    for column in ["kind", "affiliation", "reliability"]:
        expected = Counter(s[column] for s in BALTI["sources"] if s[column] is not None)
        assert browser.facet("sources", column) == dict(expected), column
    counted = counted_from_the_reconciler(balti_db)
    assert browser.facet("counted_stances", "position") == dict(Counter(c["stance"].position for c in counted))
    for column, attribute in [("source_kind", "kind"), ("affiliation", "affiliation"), ("reliability", "reliability")]:
        expected = Counter(getattr(c["source"], attribute) for c in counted)
        expected.pop(None, None)
        assert browser.facet("counted_stances", column) == dict(expected), column


@pytest.mark.parametrize(
    "path, words, expected",
    [
        # A claim is found by any quote logged on it: the Afghan spokesperson's "No such incident".
        ("claim_verdicts", "incident", {"balti-was-killed", "balti-killed-in-nangarhar"}),
        ("claim_verdicts", "Nangarhar", {"balti-killed-in-nangarhar", "balti-arrested-2015-freed-august-2021"}),
        ("claims", "Nangarhar", {"balti-killed-in-nangarhar"}),  # the claims table: claim words only
        ("claim_verdicts", "Bagram", {"balti-arrested-2015-freed-august-2021"}),
        ("stances", "incident", {4, 6}),
        ("counted_stances", "incident", {4, 6}),
        ("stances", "Bagram Pul-i-Charkhi", {15}),
        # Stemmed: "confirm" finds confirmed, confirms, confirmation... in quotes and notes.
        ("stances", "confirm", {
            i for i, s in enumerate(BALTI["stances"], start=1)
            if re.search(r"\bconfirm", f"{s['quote']} {s['note']}", re.IGNORECASE)
        }),
    ],
)
def test_search_finds_claims_and_quotes(browser, path, words, expected):
    rows = browser.rows(f"{path}.json", _search=words.replace(" ", "+"))
    found = {row["key"] if "key" in row else row["id"] for row in rows}
    assert found == expected


def test_search_within_a_facet(browser):
    rows = browser.rows("claim_verdicts.json", verdict="contested", _search="incident")
    assert [r["key"] for r in rows] == ["balti-was-killed", "balti-killed-in-nangarhar"]
    page = browser.page("/{db}/claim_verdicts?verdict=contested&_search=incident")
    assert "search matches &#34;incident&#34;" in page and 'name="_search"' in page


# -- named queries on the Balti case ---------------------------------------------------


def query(browser, name, **params) -> list[dict]:
    return browser.rows(f"{name}.json", **params)


def test_contested_claims(browser):
    rows = query(browser, "contested-claims")
    assert [(r["claim"], r["contradictions"]) for r in rows] == [
        ("balti-was-killed", 3), ("balti-was-current-ttp-spokesman", 2),
        ("balti-killed-in-nangarhar", 1), ("ttp-is-branch-of-islamic-emirate", 1),
    ]


def test_contradictions_one_row_per_pair_with_both_quotes(browser, balti_db):
    rows = query(browser, "contradictions")
    with Store.open(balti_db) as store:
        pairs = sorted((r.claim, a, d) for r in store.reconciliations() for a, d in r.contradictions)
    assert [(r["claim"], r["affirming_source"], r["denying_source"]) for r in rows] == pairs
    assert len(rows) == 7
    by_pair = {(r["claim"], r["affirming_source"], r["denying_source"]): r for r in rows}
    spokesman = by_pair[("balti-was-current-ttp-spokesman", "Pakistani senior security official",
                         "TTP spokesman Mohammad Khurasani")]
    assert spokesman["affirming_quote"].startswith("A senior security official from Pakistan had confirmed")
    assert spokesman["denying_quote"] == "However, TTP had said Balti was not holding any position."
    assert (spokesman["affirming_position"], spokesman["denying_position"]) == ("affirms", "denies")
    assert all(r["affirming_quote"] and r["denying_quote"] for r in rows)


def test_everything_one_source_has_said(browser):
    rows = query(browser, "source-statements", source="pakistani+senior+security+official")
    assert [(r["stance_id"], r["claim"], r["position"], r["status"].split(":")[0]) for r in rows] == [
        (1, "balti-was-killed", "affirms", "counted"),
        (9, "balti-was-current-ttp-spokesman", "affirms", "counted"),
        (17, "balti-visiting-kabul-frequently", "affirms", "counted"),
        (18, "balti-planned-attacks-with-noor-wali-mehsud", "affirms", "counted"),
        (10, "balti-was-current-ttp-spokesman", "denies", "retracted"),  # undated: logged 18 Jan
    ]
    assert "logged against the wrong source" in rows[-1]["status"]
    karimi = query(browser, "source-statements", source="Karimi")
    assert {r["source"] for r in karimi} == {"Afghan government spokesperson Bilal Karimi"}
    assert [r["claim"] for r in karimi] == ["balti-was-killed", "balti-killed-in-nangarhar"]
    assert query(browser, "source-statements", source="") == []



def test_everything_one_source_has_said_finds_it_by_an_alias_or_a_merged_name(cli, balti_db):
    # The desk merged a second spelling into Karimi: asked for by that spelling or an alias,
    # the query lists the stances under the source they count for, its own among them.
    db = ("--db", balti_db)
    assert cli(*db, "source", "add", "Kabul spokesman Karimi B.").exit_code == 0
    assert cli(*db, "stance", "add", "balti-funeral-in-kunar", "Kabul spokesman Karimi B.", "neutral").exit_code == 0
    assert cli(*db, "source", "merge", "Kabul spokesman Karimi B.", "--into", "Afghan government spokesperson Bilal Karimi",
               "--reason", "one spokesperson").exit_code == 0
    assert cli(*db, "source", "alias", "Afghan government spokesperson Bilal Karimi", "Zabihullah deputy").exit_code == 0
    browser = Browser(balti_db)
    for asked in ("Kabul+spokesman", "zabihullah", "Bilal"):
        rows = query(browser, "source-statements", source=asked)
        assert {r["source"] for r in rows} == {"Afghan government spokesperson Bilal Karimi"}, asked
        assert [r["claim"] for r in rows] == ["balti-was-killed", "balti-killed-in-nangarhar", "balti-funeral-in-kunar"]
    assert query(browser, "source-statements", source="Kabul+spokesman+Karimi+B.+x") == []
    assert query(browser, "source-statements", source="%25") == query(browser, "source-statements", source="_") == []
    assert query(browser, "source-statements", source="") == []

def test_single_source_claims(browser):
    rows = query(browser, "single-source-claims")
    assert [r["claim"] for r in rows] == sorted(
        ["balti-killed-on-9-january-2022", "balti-funeral-in-kunar", "balti-visiting-kabul-frequently",
         "balti-planned-attacks-with-noor-wali-mehsud", "balti-headed-ttp-media-committee-2014",
         "balti-claimed-aps-attack-to-media", "ttp-numbers-4000-to-10000-fighters",
         "ttp-expanding-recruitment-beyond-tribal-areas"]
    )
    assert {r["side"] for r in rows} == {"affirming"}
    assert json.loads(rows[0]["sources"]) == ["Tahir Khan (Dawn)"]


def test_no_reversals_and_no_ruling_disagreements_in_the_balti_case(browser):
    # The one changed position (the official "denies") was logged in error and retracted.
    assert query(browser, "reversals") == []
    # mostly-true with score +0.447; false with -0.333; unproven on a contested claim.
    assert query(browser, "ruling-disagrees") == []


def test_reversals_and_ruling_disagreements_appear_as_verity_writes(browser, balti_db, cli):
    assert cli("--db", balti_db, "stance", "add", "balti-killed-on-9-january-2022",
               "TTP spokesman Mohammad Khurasani", "denies", "--said-on", "2022-01-15",
               "--quote", "He was not killed on Sunday").exit_code == 0
    (row,) = query(browser, "reversals")
    assert (row["source"], row["claim"]) == ("TTP spokesman Mohammad Khurasani", "balti-killed-on-9-january-2022")
    assert (row["position_before"], row["position_after"], row["side_change"]) == (
        "affirms", "denies", "affirming -> denying"
    )
    assert (row["said_before"], row["said_after"]) == ("2022-01-12", "2022-01-15")
    assert row["quote_after"] == "He was not killed on Sunday"

    # Ruled true while the sources lean towards denying (score -0.111).
    assert cli("--db", balti_db, "claim", "rule", "ttp-is-branch-of-islamic-emirate", "true").exit_code == 0
    # Ruled unproven although independent sources corroborate it.
    assert cli("--db", balti_db, "claim", "rule", "ttp-leadership-headquartered-in-afghanistan",
               "unproven").exit_code == 0
    rows = query(browser, "ruling-disagrees")
    assert [(r["claim"], r["ruling"], r["verdict"]) for r in rows] == [
        ("ttp-is-branch-of-islamic-emirate", "true", "contested"),
        ("ttp-leadership-headquartered-in-afghanistan", "unproven", "corroborated"),
    ]
    assert rows[0]["disagreement"] == "ruled true, but the sources lean towards denying"


def test_the_reconciliation_is_never_stale_while_browsing(browser, balti_db, cli):
    assert browser.facet("claim_verdicts", "verdict")["contested"] == 4
    # The Afghan denial of the killing is withdrawn: only affirming voices remain,
    # from two origins (Government of Pakistan, TTP), so the claim is corroborated.
    assert cli("--db", balti_db, "stance", "retract", "4", "--reason", "test").exit_code == 0
    assert browser.facet("claim_verdicts", "verdict")["contested"] == 3
    (row,) = browser.rows("claim_verdicts.json", key="balti-was-killed")
    assert (row["verdict"], row["contradictions"], json.loads(row["denying"])) == ("corroborated", 0, [])
    assert len(query(browser, "contradictions")) == 4
    # A new stance is searchable at once, from the claims reconciliation too.
    assert cli("--db", balti_db, "stance", "add", "balti-funeral-in-kunar", "Former TTP member",
               "denies", "--quote", "There was no funeral procession in Kunar").exit_code == 0
    assert [r["key"] for r in browser.rows("claim_verdicts.json", _search="procession")] == ["balti-funeral-in-kunar"]
    (row,) = browser.rows("claim_verdicts.json", key="balti-funeral-in-kunar")
    assert row["verdict"] == "contested"
    # New claims and sources show too.
    assert cli("--db", balti_db, "claim", "add", "A drone struck Nangarhar", "--key", "drone-strike").exit_code == 0
    assert [r["key"] for r in browser.rows("claim_verdicts.json", verdict="unverified")] == [
        "balti-killed-in-targeted-attack", "drone-strike"
    ]


def test_no_page_is_cached(browser):
    response = browser.get("/{db}/claim_verdicts")
    assert "max-age=0" in response.headers.get("cache-control", "") or "no-cache" in response.headers.get(
        "cache-control", "")


# -- what Datasette shows of rule 1 (docs/rules.md) is what verity.reconcile decides ----


def counted_ids_by_sql(store) -> set[int]:
    return {row[0] for row in store.conn.execute("SELECT id FROM counted_stances")}


def statuses_by_reconciler(store) -> dict[int, StanceStatus]:
    """Every stance's status as verity.reconcile decides it now, from the stances themselves
    (a merged source's and claim's counting as the ones they were merged into)."""
    by_claim = defaultdict(list)
    for s in store.all_stances():
        by_claim[store.get_claim(s.claim).key].append(StanceFact(
            store.get_source(s.source).id, s.position, s.effective_date, s.id, s.retracted is not None,
            logged_at=s.logged_at, uid=s.uid))
    return {status.stance_id: status for facts in by_claim.values() for status in stance_statuses(facts)}


def counted_ids_by_reconciler(store) -> set[int]:
    return {i for i, status in statuses_by_reconciler(store).items() if status.status == COUNTED}


def assert_views_are_the_reconcilers(store) -> None:
    """Each view that states a rule gives what the reconciler gives, stance by stance and pair by pair."""
    statuses = statuses_by_reconciler(store)
    shown = dict(store.conn.execute("SELECT stance_id, status FROM source_statements"))
    assert {i: status.split(":")[0] for i, status in shown.items()} == {i: s.status for i, s in statuses.items()}
    positions = {s.id: s.position for s in store.all_stances()}
    reversals = {(s.previous_id, i) for i, s in statuses.items()
                 if s.previous_id is not None and positions[s.previous_id] != positions[i]}
    assert set(store.conn.execute("SELECT stance_id_before, stance_id_after FROM stance_reversals")) == reversals
    pairs = sorted((r.claim, a, d) for r in store.fresh_reconciliations() for a, d in r.contradictions)
    assert list(store.conn.execute(
        "SELECT claim, affirming_source, denying_source FROM contradiction_pairs "
        "ORDER BY claim, affirming_source, denying_source")) == pairs


def test_counted_stances_agree_with_the_reconciler_on_the_balti_case(balti_db):
    with Store.open(balti_db) as store:
        assert counted_ids_by_sql(store) == counted_ids_by_reconciler(store)
        assert 10 not in counted_ids_by_sql(store)  # the retracted one
        assert_views_are_the_reconcilers(store)


DATES = [None, "2022-01-10", "2022-01-10T08:00", "2022-01-11", "2022-01-10T08:00:00Z"]
LOGGED = ["2022-01-10T09:00:00.000000Z", "2022-01-11T09:00:00.000000Z", "2022-01-09T09:00:00.000000Z"]
stance_facts = st.lists(
    st.tuples(
        st.integers(0, 1),  # claim
        st.integers(0, 2),  # source
        st.sampled_from(["affirms", "partially-affirms", "neutral", "partially-denies", "denies"]),
        st.sampled_from(DATES),
        st.sampled_from(LOGGED),
        st.booleans(),  # retracted
    ),
    max_size=14,
)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stance_facts, st.booleans(), st.booleans())
def test_counted_stances_agree_with_the_reconciler(facts, merge_sources, merge_claims):
    with Store.create(":memory:") as store:
        for i in range(3):
            store.add_source(Source(name=f"source {i}", affiliation="A" if i < 2 else None))
        for i in range(2):
            store.add_claim(Claim(text=f"claim {i}", key=f"claim-{i}"))
        for claim, source, position, said_on, logged_at, retracted in facts:
            with contextlib.suppress(Conflict):  # a repeat of a stance logged already is refused
                store.add_stance(Stance(
                    claim=f"claim-{claim}", source=f"source {source}", position=position, said_on=said_on,
                    logged_at=logged_at, retracted=Retraction(reason="test") if retracted else None,
                ))
        if merge_sources:
            store.merge_sources("source 2", "source 0", "the same speaker")
        if merge_claims:
            store.merge_claims("claim-1", "claim-0", "the same statement")
        assert counted_ids_by_sql(store) == counted_ids_by_reconciler(store)
        assert_views_are_the_reconcilers(store)


def test_ruling_disagreements_are_the_reconcilers():
    # Every ruling (and none) against every verdict and a score below, at and above 0, or none.
    cases = [(ruling, verdict, score) for ruling in (None, *RULINGS) for verdict in VERDICTS
             for score in (None, -0.5, 0.0, 0.5)]
    with Store.create(":memory:") as store:
        for i, (ruling, verdict, score) in enumerate(cases, start=1):
            store.conn.execute("INSERT INTO claims (id, key, text, ruling) VALUES (?, ?, 'text', ?)",
                               [i, f"claim-{i}", ruling])
            store.conn.execute("INSERT INTO reconciliations VALUES (?, ?, ?, NULL, '[]', '[]', '[]', 0, 0, 0)",
                               [i, verdict, score])
        shown = dict(store.conn.execute("SELECT claim, disagreement FROM ruling_disagreements"))
    expected = {f"claim-{i}": ruling_disagreement(*case) for i, case in enumerate(cases, start=1)}
    assert shown == {claim: text for claim, text in expected.items() if text is not None}
    assert len(shown) == 2 * 5 + 2 * 5 + 2 * 2 * 4  # true-ish below 0, false-ish above 0, undecided on settled


# -- labels ----------------------------------------------------------------------------


def test_positions_verdicts_and_rulings_are_coloured_labels(browser):
    page = browser.page("/{db}/stances")
    assert '<span class="verity-label verity-affirms">affirms</span>' in page
    assert '<span class="verity-label verity-denies">denies</span>' in page
    page = browser.page("/{db}/claim_verdicts")
    assert '<span class="verity-label verity-contested">contested</span>' in page
    assert '<span class="verity-label verity-mostly-true">mostly-true</span>' in page
    assert '/-/verity.css' in page
    page = browser.page("/{db}/contradictions")
    assert '<span class="verity-label verity-partially-affirms">partially-affirms</span>' in page
    # Lists of names read as lists, and a claim's key leads to the claim and its stances.
    assert "Tahir Khan (Dawn) · " not in page
    page = browser.page("/{db}/claim_verdicts?key=balti-was-current-ttp-spokesman")
    assert "TTP spokesman Mohammad Khurasani · Tahir Khan (Dawn)" in page
    assert '<a href="/balti/claims/5">balti-was-current-ttp-spokesman</a>' in page
    css = browser.get("/-/verity.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ".verity-contested" in css.text
    assert set(LABEL_COLUMNS) >= {"position", "verdict", "ruling"}


def test_other_databases_in_the_same_datasette_are_left_alone(balti_db, tmp_path):
    from datasette.app import Datasette

    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE stances (id INTEGER PRIMARY KEY, position TEXT)")
    conn.execute("INSERT INTO stances (position) VALUES ('affirms')")
    conn.commit()
    conn.close()
    ds = Datasette([str(balti_db), str(other)], metadata=metadata_for(inspect_database(balti_db)))

    async def pages():
        await ds.invoke_startup()
        return (await ds.client.get("/other/stances")).text, (await ds.client.get("/balti/stances")).text

    other_page, balti_page = asyncio.run(pages())
    assert "verity-label" not in other_page and "verity.css" not in other_page
    assert "verity-label" in balti_page


# -- the commands ----------------------------------------------------------------------


def test_datasette_metadata_serves_the_same_database_with_plain_datasette(balti_db, cli, tmp_path):
    from datasette.app import Datasette

    target = tmp_path / "metadata.json"
    if datasette_major() >= 1:  # the named queries and table options go apart, as configuration
        config = tmp_path / "datasette.json"
        result = cli("--db", balti_db, "datasette-metadata", "--output", target, "--config", config)
        assert result.exit_code == 0, result.output
        assert f"--metadata {target} --config {config}" in result.stderr
        configuration = json.loads(config.read_text())
        assert set(configuration["databases"]["balti"]["queries"]) == set(QUERIES)
        assert configuration["settings"] == SETTINGS
        ds = Datasette([str(balti_db)], metadata=json.loads(target.read_text()), config=configuration)
    else:
        result = cli("--db", balti_db, "datasette-metadata", "--output", target)
        assert result.exit_code == 0, result.output
        assert "datasette" in result.stderr and "--setting default_cache_ttl 0" in result.stderr
        metadata = json.loads(target.read_text())
        assert list(metadata["databases"]) == ["balti"]
        assert set(metadata["databases"]["balti"]["queries"]) == set(QUERIES)
        ds = Datasette([str(balti_db)], metadata=metadata, settings=dict(SETTINGS))

    async def contested():
        await ds.invoke_startup()
        return await ds.client.get("/balti/contested-claims.json?_shape=array")

    response = asyncio.run(contested())
    assert response.status_code == 200
    assert [row["claim"] for row in response.json()] == [
        "balti-was-killed", "balti-was-current-ttp-spokesman", "balti-killed-in-nangarhar",
        "ttp-is-branch-of-islamic-emirate"]
    printed = cli("--db", balti_db, "datasette-metadata", *(["--config", tmp_path / "again.json"]
                                                            if datasette_major() >= 1 else []))
    assert json.loads(printed.stdout) == json.loads(target.read_text())


def test_datasette_metadata_says_which_datasette_takes_a_configuration(balti_db, cli, tmp_path):
    if datasette_major() >= 1:
        line = one_line_error(cli("--db", balti_db, "datasette-metadata"))
        assert "give --config FILE too" in line
    else:
        line = one_line_error(cli("--db", balti_db, "datasette-metadata", "--config", tmp_path / "d.json"))
        assert "leave out --config" in line
        assert not (tmp_path / "d.json").exists()


def test_browse_does_not_import_datasette_for_other_commands():
    code = "import sys, verity.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in ('datasette', 'uvicorn')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize("command", [["browse"], ["datasette-metadata"]])
def test_no_database_is_created(cli, tmp_path, command):
    missing = tmp_path / "nowhere.db"
    line = one_line_error(cli("--db", missing, *command))
    assert "no verity database at" in line and "verity init" in line
    assert not missing.exists()
    assert list(tmp_path.glob("nowhere.db*")) == []


@pytest.mark.parametrize("command", [["browse"], ["datasette-metadata"]])
def test_a_file_that_is_not_sqlite_is_refused_and_untouched(cli, tmp_path, command):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n")
    before = sha256(path)
    line = one_line_error(cli("--db", path, *command))
    assert "not a SQLite database" in line
    assert sha256(path) == before


def test_a_sqlite_database_that_is_not_verity_is_refused_and_untouched(cli, tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    before = sha256(path)
    line = one_line_error(cli("--db", path, "browse"))
    assert "not a verity database" in line
    assert sha256(path) == before


def test_an_older_verity_database_is_not_upgraded_by_browse(cli, tmp_path):
    import sqlite_utils

    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)  # as the first release made it: one migration, one claim
    migrations.migration_set().apply(db, stop_before=migrations.MIGRATIONS[1][0])
    db.execute("INSERT INTO claims (key, text) VALUES ('the-bridge-was-closed', 'The bridge was closed')")
    db.execute("INSERT INTO reconciliations VALUES (1, 'unverified', NULL, NULL, '[]', '[]', '[]', 0, 0, 0)")
    db.conn.commit()
    db.conn.close()
    before = sha256(path)
    line = one_line_error(cli("--db", path, "browse"))
    assert "older verity" in line and f"verity --db {path} init" in line
    assert sha256(path) == before
    # Upgrading (what the message says to do) builds the search index from the old rows.
    assert cli("--db", path, "init").exit_code == 0
    assert [r["key"] for r in Browser(path).rows("claim_verdicts.json", _search="bridge")] == [
        "the-bridge-was-closed"
    ]


def test_a_port_in_use_is_refused(cli, balti_db):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    before = sha256(balti_db)
    try:
        line = one_line_error(cli("--db", balti_db, "browse", "--port", port))
    finally:
        taken.close()
    assert line == f"Error: port {port} is in use; choose another with --port"
    assert sha256(balti_db) == before


def test_the_announced_address_takes_connections_before_the_server_runs():
    # verity browse announces the address, then starts uvicorn: a browser (or a test)
    # opening it in between must be queued, not refused (CI saw 'Connection refused').
    sock = listen("127.0.0.1", 0)
    try:
        with socket.create_connection(sock.getsockname(), timeout=5):
            pass
    finally:
        sock.close()


def test_ctrl_c_while_the_server_starts_stops_it_cleanly(balti_db):
    # Ctrl-C before uvicorn runs (here: as the address is announced) is a stop, as it is later.
    bound = []

    def interrupted(root: str, _reconciliation: str) -> None:
        bound.append(int(root.rsplit(":", 1)[1].rstrip("/")))
        raise KeyboardInterrupt

    serve(inspect_database(balti_db), port=0, announce=interrupted)  # returns: no exception
    with socket.socket() as sock:  # and the port is free again
        sock.bind(("127.0.0.1", bound[0]))


def test_a_host_that_cannot_be_listened_on_is_refused(cli, balti_db):
    line = one_line_error(cli("--db", balti_db, "browse", "--host", "no-such-host.invalid", "--port", "0"))
    assert "--host" in line


def test_metadata_output_that_cannot_be_written_is_refused(cli, balti_db, tmp_path):
    line = one_line_error(cli("--db", balti_db, "datasette-metadata", "--output", tmp_path / "no" / "m.json"))
    assert "cannot write" in line
