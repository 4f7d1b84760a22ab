"""A claim's own page in Datasette, the links that lead to it, the index page and the named
queries, through Datasette's in-process client over a copy of the Balti case; and what
Datasette 1.0 is given instead of 0.65's metadata."""

from __future__ import annotations

import asyncio
import re
import shutil
from html import unescape

import pytest
from support import EXAMPLE_DB

from verity.datasette import inspect_database
from verity.datasette.metadata import QUERIES, build_metadata, metadata_and_config
from verity.datasette.server import make_datasette


class Site:
    def __init__(self, path):
        self.name = inspect_database(path).name
        self.ds = make_datasette(inspect_database(path))
        asyncio.run(self.ds.invoke_startup())

    def get(self, path: str):
        async def fetch():
            return await self.ds.client.get(path.replace("{db}", self.name))

        return asyncio.run(fetch())

    def page(self, path: str) -> str:
        response = self.get(path)
        assert response.status_code == 200, response.text[:300]
        return response.text


@pytest.fixture
def site(balti_db) -> Site:
    """A Datasette over a copy of the Balti case that the test may write to."""
    return Site(balti_db)


@pytest.fixture(scope="module")
def balti(tmp_path_factory) -> Site:
    """A Datasette over a copy of the Balti case that tests only read: made once."""
    path = tmp_path_factory.mktemp("claim-page") / "balti.db"
    shutil.copy(EXAMPLE_DB, path)
    return Site(path)


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def stance_rows(page: str) -> list[tuple[str, list[str]]]:
    """(status, cells as text) for each row of the page's table of stances."""
    table = page.split('<table class="rows-and-columns verity-stances">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr class="verity-status-(\w+)">(.*?)</tr>', table, re.S)
    return [(status, [text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)]) for status, cells in rows]


def test_a_claims_page_shows_its_reconciliation_sides_contradictions_and_every_stance(site, cli, balti_db):
    # A later stance of the TTP's spokesman supersedes its first on claim 5.
    assert cli("--db", balti_db, "stance", "add", "balti-was-current-ttp-spokesman",
               "TTP spokesman Mohammad Khurasani", "neutral", "--said-on", "2022-01-20",
               "--note", "declined to comment").exit_code == 0
    page = site.page("/{db}/claims/5")
    shown = text(page)
    assert "Mufti Khalid Balti was the TTP's current spokesman when he was killed" in shown
    assert re.search(r'Verdict</dt>\s*<dd><span class="verity-label verity-contested">contested</span> score',
                     page)
    assert '<span class="verity-label verity-false">false</span>' in page  # the ruling
    # Sides by independent origin, each source linking to its own page.
    assert "Affirming: 1 source, 1 independent origin" in shown
    assert "Denying: 1 source, 1 independent origin" in shown and "Neutral: 1 source" in shown
    assert re.search(r'<a href="/balti/sources/\d+">Pakistani senior security official</a>', page)
    assert "Contradictions (1)" in shown
    # Every stance ever logged, oldest first, with its status, quote, who logged it, and note.
    rows = stance_rows(page)
    assert [(status, cells[0], cells[1], cells[2]) for status, cells in rows] == [
        ("counted", "2022-01-10", "Pakistani senior security official", "affirms"),
        ("counted", "2022-01-13", "Tahir Khan (Dawn)", "denies"),
        ("retracted", "undated (logged 2022-01-18)", "Pakistani senior security official", "denies"),
        ("superseded", "undated (logged 2022-01-18)", "TTP spokesman Mohammad Khurasani", "denies"),
        ("counted", "2022-01-20", "TTP spokesman Mohammad Khurasani", "neutral"),
    ]
    retracted = rows[2][1]
    assert retracted[3].startswith("retracted: logged against the wrong source")
    assert retracted[4] == "However, TTP had said Balti was not holding any position."
    assert retracted[6] == "2022-01-18 by verity-example"
    assert rows[4][1][7] == "declined to comment" and rows[4][1][6].endswith("by tester")
    # The claim's own fields follow, as Datasette shows any row.
    assert shown.index("Every stance, oldest first") < shown.index("The claim's fields") < shown.index("This data as")



def test_a_merged_claims_page_says_it_shows_the_claim_it_was_merged_into(site, cli, balti_db):
    db = ("--db", balti_db)
    assert cli(*db, "claim", "add", "Balti died in Nangarhar", "--key", "balti-dup").exit_code == 0
    assert cli(*db, "claim", "merge", "balti-dup", "--into", "balti-killed-in-nangarhar", "--reason", "same").exit_code == 0
    shown = text(site.page("/{db}/claims/18"))
    assert ("Claim 18 was merged into balti-killed-in-nangarhar (claim 2): its stances count there, and that claim "
            "is shown here.") in shown
    assert "Mufti Khalid Balti was killed in Nangarhar province, Afghanistan" in shown
    assert "was merged into" not in text(site.page("/{db}/claims/2"))

def test_other_row_pages_are_datasettes_own(balti):
    page = balti.page("/{db}/sources/1")
    assert "verity-claim" not in page and "This data as" in page
    missing = balti.get("/{db}/claims/999")  # no such claim: Datasette's own 404
    assert missing.status_code == 404 and "Where the sources stand" not in missing.text


@pytest.mark.parametrize("path", [
    "/{db}/claim_verdicts", "/{db}/counted_stances", "/{db}/contradiction_pairs", "/{db}/source_statements",
    "/{db}/contested-claims", "/{db}/contradictions", "/{db}/single-source-claims",
    "/{db}/source-statements?source=Karimi",
])
def test_every_claim_links_to_its_own_page(balti, path):
    page = balti.page(path)
    keys = re.findall(r'<td class="col-(?:claim|key)(?: [^"]*)?">(.*?)</td>', page, re.S)
    assert keys, page[:500]
    for cell in keys:
        assert re.fullmatch(r'<a href="/balti/claims/\d+">[a-z0-9-]+</a>', cell.strip()), cell


def test_the_index_page_lists_the_claims_reconciliation(balti):
    index = balti.page("/")
    assert re.search(r'<a href="/balti/claim_verdicts"[^>]*>claim_verdicts</a>', index)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_named_queries_open_with_the_answer(balti, name):
    page = balti.page(f"/{{db}}/{name}" + ("?source=Karimi" if name == "source-statements" else ""))
    assert "<textarea" not in page  # the SQL is one click away, not above the answer
    assert 'class="rows-and-columns"' in page or "0 results" in text(page)


def test_datasette_1_is_given_configuration_apart_from_metadata():
    document = build_metadata("balti", worked_example=True)
    same, nothing = metadata_and_config(document, 0)
    assert same == document and nothing == {}
    metadata, config = metadata_and_config(document, 1)
    db_config = config["databases"]["balti"]
    assert set(db_config["queries"]) == set(QUERIES)
    assert db_config["plugins"]["verity"]["label_columns"]
    assert db_config["tables"]["claim_verdicts"]["facets"] == ["verdict", "ruling", "subject"]
    assert db_config["tables"]["reconciliations"]["hidden"] is True
    assert "queries" not in metadata["databases"]["balti"] and "plugins" not in metadata["databases"]["balti"]
    assert metadata["databases"]["balti"]["tables"]["claims"]["description"].startswith("One checkable statement")
    assert "facets" not in metadata["databases"]["balti"]["tables"]["claims"]
    # Datasette 1.0 shows no source or licence on a query's page: the credit is in its description.
    assert "Data source:" in db_config["queries"]["contradictions"]["description_html"]
    assert "source" not in db_config["queries"]["contradictions"]


def test_a_claims_page_shows_hostile_text_as_text(site, cli, balti_db):
    assert cli("--db", balti_db, "stance", "add", "balti-was-killed", "Tahir Khan (Dawn)", "neutral",
               "--quote", "<script>alert(1)</script>", "--note", "<img src=x onerror=alert(2)>",
               "--url", "javascript:alert(3)").exit_code == 0
    page = site.page("/{db}/claims/1")
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert 'href="javascript:' not in page  # a link only for http and https
