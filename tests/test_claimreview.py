"""schema.org ClaimReview: verity's rulings out, other fact-checkers' reviews in."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re

import pytest
from support import EXAMPLE_JSON

from verity.claimreview import RATING_VALUES, map_rating
from verity.store import Store

URL = "https://desk.example/checks/{key}"


@pytest.fixture
def ruled(cli, db_path):
    """The Balti case with every kind of ruling, some dated by 'claim rule', and links on affirming stances."""
    assert cli("import", str(EXAMPLE_JSON)).exit_code == 0
    for key, ruling in [("balti-was-killed", "mostly-true"), ("balti-killed-on-9-january-2022", "false"),
                        ("balti-funeral-in-kunar", "true"), ("balti-killed-in-targeted-attack", "mixture"),
                        ("ttp-is-branch-of-islamic-emirate", "mostly-false")]:
        assert cli("claim", "rule", key, ruling, "--explanation", f"Why it is {ruling}").exit_code == 0
    assert cli("stance", "add", "balti-was-killed", "Associated Press", "affirms",
               "--url", "https://apnews.example/balti", "--said-on", "2022-01-13").exit_code == 0
    return db_path


def reviews(cli, *args) -> list[dict]:
    result = cli("export", "--format", "claimreview", "--publisher", "Balti Desk", "--url", URL, *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def snapshot(path):
    return {p: hashlib.sha256(open(p, "rb").read()).hexdigest()
            for p in (str(path), f"{path}-wal") if os.path.exists(p) and os.path.getsize(p)}


def is_iso_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        return False
    return True


# -- export ---------------------------------------------------------------------------------


def test_one_review_per_ruled_claim(cli, ruled):
    with Store.open(ruled) as store:
        ruled_keys = [claim.key for claim, _r in store.claims() if claim.ruling]
    out = reviews(cli)
    assert [r["url"] for r in out] == [URL.replace("{key}", key) for key in ruled_keys]


def test_reviews_have_the_fields_fact_check_publishers_require_and_recommend(cli, ruled):
    out = reviews(cli)
    assert out
    for review in out:
        assert_fact_check_fields(review, "Balti Desk")


def assert_fact_check_fields(review: dict, publisher: str) -> None:
    """What a published ClaimReview must have, and what it should."""
    # required: the type, the claim, the rating with its words, the page
    assert review["@context"] == "https://schema.org"
    assert review["@type"] == "ClaimReview"
    assert isinstance(review["claimReviewed"], str) and review["claimReviewed"].strip()
    assert re.match(r"^https://desk\.example/checks/[a-z0-9-]+$", review["url"])
    rating = review["reviewRating"]
    assert rating["@type"] == "Rating"
    assert isinstance(rating["alternateName"], str) and rating["alternateName"]
    if "ratingValue" in rating:
        assert rating["bestRating"] == 5 and rating["worstRating"] == 1
        assert rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]
    else:
        assert "bestRating" not in rating and "worstRating" not in rating
    # recommended: who published it, when, and the claim as a Claim with its authors and appearances
    assert review["author"] == {"@type": "Organization", "name": publisher}
    if "datePublished" in review:
        assert is_iso_date(review["datePublished"])
    item = review["itemReviewed"]
    assert item["@type"] == "Claim"
    authors = item.get("author", [])
    for author in authors if isinstance(authors, list) else [authors]:
        assert author["@type"] in ("Person", "Organization") and author["name"]
    for work in item.get("appearance", []):
        assert work["@type"] == "CreativeWork" and work["url"].startswith("https://")
    if "datePublished" in item:
        assert is_iso_date(item["datePublished"])


def test_the_rating_is_the_ruling(cli, ruled):
    by_key = {r["url"].rsplit("/", 1)[1]: r for r in reviews(cli)}
    killed = by_key["balti-was-killed"]
    assert killed["reviewRating"] == {
        "@type": "Rating", "ratingValue": 4, "bestRating": 5, "worstRating": 1,
        "alternateName": "Mostly true", "ratingExplanation": "Why it is mostly-true"}
    assert killed["datePublished"] == dt.date.today().isoformat()  # ruled just now by 'claim rule'
    assert by_key["balti-killed-on-9-january-2022"]["reviewRating"]["ratingValue"] == 1
    assert by_key["balti-funeral-in-kunar"]["reviewRating"]["ratingValue"] == 5
    assert by_key["balti-killed-in-targeted-attack"]["reviewRating"]["ratingValue"] == 3
    assert by_key["ttp-is-branch-of-islamic-emirate"]["reviewRating"]["ratingValue"] == 2


def test_unproven_has_words_and_no_number(cli, ruled):
    (nangarhar,) = [r for r in reviews(cli) if r["url"].endswith("/balti-killed-in-nangarhar")]
    rating = nangarhar["reviewRating"]
    assert rating["alternateName"] == "Unproven"
    assert not {"ratingValue", "bestRating", "worstRating"} & set(rating)
    assert nangarhar["datePublished"] == "2022-01-18"  # the ruling's date in the example file


def test_the_claims_authors_are_its_affirming_sources_with_their_links(cli, ruled):
    (killed,) = [r for r in reviews(cli) if r["url"].endswith("/balti-was-killed")]
    with Store.open(ruled) as store:
        (reconciliation,) = store.reconciliations(["balti-was-killed"])
    item = killed["itemReviewed"]
    assert sorted(a["name"] for a in item["author"]) == sorted(reconciliation.affirming)
    assert "Afghan government spokesperson Bilal Karimi" not in [a["name"] for a in item["author"]]
    assert {"@type": "CreativeWork", "url": "https://apnews.example/balti", "datePublished": "2022-01-13",
            "author": {"@type": "Organization", "name": "Associated Press"}} in item["appearance"]
    assert item["datePublished"] == "2022-01-10"  # the earliest affirming statement
    kinds = {a["name"]: a["@type"] for a in item["author"]}
    assert kinds["Pakistani senior security official"] == "Person"
    assert kinds["Associated Press"] == "Organization"


def test_the_publisher_is_the_option_else_the_desk_else_verity(cli, ruled, monkeypatch):
    monkeypatch.delenv("VERITY_PUBLISHER", raising=False)
    monkeypatch.delenv("VERITY_DESK", raising=False)
    result = cli("export", "--format", "claimreview", "--url", URL)  # export needs no more than --format
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out
    for review in out:
        assert_fact_check_fields(review, "verity")
    assert result.stderr.splitlines() == [
        "Note: the reviews name 'verity' as their publisher; name yours with --publisher \"Your desk\" "
        "(or VERITY_PUBLISHER, or VERITY_DESK)"]
    monkeypatch.setenv("VERITY_DESK", "Kabul desk")
    result = cli("export", "--format", "claimreview")
    assert result.exit_code == 0 and result.stderr == ""
    assert {r["author"]["name"] for r in json.loads(result.stdout)} == {"Kabul desk"}
    monkeypatch.setenv("VERITY_PUBLISHER", "Env Desk")
    result = cli("export", "--format", "claimreview")
    assert result.exit_code == 0
    assert {r["author"]["name"] for r in json.loads(result.stdout)} == {"Env Desk"}
    assert all("url" not in r for r in json.loads(result.stdout))  # no --url: no page to name
    assert {r["author"]["name"] for r in reviews(cli)} == {"Balti Desk"}  # --publisher names it over both
    result = cli("export", "--format", "claimreview", "--publisher", " ")
    assert result.exit_code == 1 and result.stderr.startswith("Error: the publisher is empty;")


def test_a_url_template_needs_the_key(cli, ruled):
    result = cli("export", "--format", "claimreview", "--publisher", "D", "--url", "https://desk.example/x")
    assert result.exit_code == 1 and "has no {key}" in result.stderr


def test_undated_rulings_are_reported(cli, ruled, tmp_path):
    undated = {"verity": 1, "sources": [], "stances": [],
               "claims": [{"key": "undated-ruling", "text": "A claim ruled in a file without a date",
                           "ruling": "false"}]}
    (tmp_path / "undated.json").write_text(json.dumps(undated))
    assert cli("import", tmp_path / "undated.json").exit_code == 0
    result = cli("export", "--format", "claimreview", "--publisher", "D")
    assert re.search(r"Note: 1 of \d+ reviews have no datePublished", result.stderr)
    (review,) = [r for r in json.loads(result.stdout) if r["claimReviewed"].startswith("A claim ruled")]
    assert "datePublished" not in review


# -- mapping ratings ------------------------------------------------------------------------


@pytest.mark.parametrize("rating, ruling, how", [
    ({"alternateName": "False"}, "false", "words"),
    ({"alternateName": "Mostly False", "ratingValue": 2}, "mostly-false", "words"),
    ({"alternateName": "mostly-true"}, "mostly-true", "words"),
    ({"alternateName": "Half True", "ratingValue": 3, "bestRating": 6, "worstRating": 1}, "mixture", "words"),
    ({"alternateName": "Misleading"}, "mixture", "words"),
    ({"alternateName": "Missing context"}, "mixture", "words"),
    ({"alternateName": "Pants on Fire!"}, "false", "words"),
    ({"alternateName": "TRUE."}, "true", "words"),
    ({"alternateName": "Unproven"}, "unproven", "words"),
    ({"alternateName": "No evidence"}, "unproven", "words"),
    ({"ratingValue": 1, "bestRating": 5, "worstRating": 1}, "false", "number"),
    ({"ratingValue": 5}, "true", "number"),
    ({"ratingValue": "4"}, "mostly-true", "number"),
    ({"alternateName": "Very dubious", "ratingValue": 2, "bestRating": 5, "worstRating": 1}, "mostly-false", "number"),
    ({"alternateName": "Hmm", "ratingValue": 0, "bestRating": 10, "worstRating": 0}, "false", "number"),
    ({"alternateName": "Hmm", "ratingValue": 7, "bestRating": 10, "worstRating": 0}, "mostly-true", "number"),
    ({"alternateName": "Satire"}, None, ""),
    ({"alternateName": "Satire", "ratingValue": 9}, None, ""),  # 9 is off the default 1-5 scale
    ({}, None, ""),
    ("False", None, ""),
])
def test_ratings_map_by_words_then_number(rating, ruling, how):
    assert map_rating(rating)[0::2] == (ruling, how)


@pytest.mark.parametrize("ruling, value", sorted(RATING_VALUES.items()))
def test_every_ruling_with_a_number_comes_back_from_its_number(ruling, value):
    assert map_rating({"ratingValue": value, "bestRating": 5, "worstRating": 1})[0] == ruling


# -- import ---------------------------------------------------------------------------------


def review(text, words=None, value=None, author="A minister", **more):
    rating = {"@type": "Rating"}
    if words is not None:
        rating["alternateName"] = words
    if value is not None:
        rating.update(ratingValue=value, bestRating=5, worstRating=1)
    item = {"@type": "Claim"}
    if author:
        item["author"] = {"@type": "Person", "name": author}
    return {"@context": "https://schema.org", "@type": "ClaimReview", "claimReviewed": text,
            "author": {"@type": "Organization", "name": "Other Desk"}, "datePublished": "2022-02-01",
            "itemReviewed": item, "reviewRating": rating, **more}


def import_json(cli, tmp_path, data, name="reviews.json", *args):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return cli("import", path, *args)


def test_a_single_review_becomes_a_ruled_claim_its_author_affirms(cli, db_path, tmp_path):
    data = review("The border was closed all week", "Pants on Fire!", url="https://other.example/1",
                  itemReviewed={"@type": "Claim", "datePublished": "2022-01-20",
                                "author": {"@type": "Person", "name": "A minister", "url": "https://gov.example"},
                                "appearance": [{"@type": "CreativeWork", "url": "https://news.example/a"}]})
    data["reviewRating"]["ratingExplanation"] = "Crossings were logged every day"
    result = import_json(cli, tmp_path, data)
    assert result.exit_code == 0, result.stderr
    assert "Imported 1 source, 1 claim, 1 stance" in result.stderr
    with Store.open(db_path) as store:
        record = store.claim_record("the-border-was-closed-all-week")
        source = store.get_source("A minister")
    claim = record.claim
    assert (claim.text, claim.ruling, claim.ruled_at, claim.ruled_by) == (
        "The border was closed all week", "false", "2022-02-01", "Other Desk")
    assert claim.ruling_explanation == "Crossings were logged every day"
    assert claim.note == "From a ClaimReview by Other Desk (https://other.example/1), rated 'Pants on Fire!'."
    assert (source.kind, source.url) == ("person", "https://gov.example")
    (stance,) = record.stances
    assert (stance.source, stance.position, stance.said_on, stance.url) == (
        "A minister", "affirms", "2022-01-20", "https://news.example/a")
    assert record.reconciliation.verdict == "single-source"


def test_a_list_a_data_feed_and_a_graph(cli, db_path, tmp_path):
    feed = {"@context": "https://schema.org", "@type": "DataFeed", "dataFeedElement": [
        {"@type": "DataFeedItem", "item": [review("Talks resumed", "True")]},
        review("Ceasefire holds", "False"),
    ]}
    graph = {"@context": "https://schema.org", "@graph": [review("Convoy was hit", "Mostly true")]}
    assert import_json(cli, tmp_path, feed, "feed.json").exit_code == 0
    assert import_json(cli, tmp_path, [review("Dam burst", "Mixture")], "list.jsonld").exit_code == 0
    assert import_json(cli, tmp_path, graph, "graph.txt", "--format", "claimreview").exit_code == 0
    with Store.open(db_path) as store:
        rulings = {claim.key: claim.ruling for claim, _r in store.claims()}
    assert rulings == {"talks-resumed": "true", "ceasefire-holds": "false", "dam-burst": "mixture",
                       "convoy-was-hit": "mostly-true"}


def test_what_could_not_be_mapped_is_said_and_kept(cli, db_path, tmp_path):
    data = [review("Talks resumed", "Satire"), review("Dam burst", "Very dubious", 2),
            review("Convoy was hit", "Unproven", author=None)]
    result = import_json(cli, tmp_path, data)
    assert result.exit_code == 0, result.stderr
    assert ("Note: could not map 1 rating(s) onto verity's rulings: 'Satire'; those claims came in without "
            "a ruling, the rating kept in their note") in result.stderr
    assert "Note: mapped 1 rating(s) by number, not words: 'Very dubious (2 of 1–5)'" in result.stderr
    assert "Note: 1 review(s) name no author of the claim" in result.stderr
    with Store.open(db_path) as store:
        talks = store.get_claim("talks-resumed")
        assert talks.ruling is None and talks.ruled_at is None and "rated 'Satire'" in talks.note
        assert store.get_claim("dam-burst").ruling == "mostly-false"
        assert store.get_claim("convoy-was-hit").ruling == "unproven"


def test_keys_come_from_the_text_and_never_collide(cli, db_path, tmp_path):
    assert cli("init").exit_code == 0
    assert cli("claim", "add", "Talks resumed", "--key", "talks-resumed").exit_code == 0
    data = [review("Talks resumed!", "False"), review("Talks resumed?", "True"), review("Talks resumed!", "False")]
    result = import_json(cli, tmp_path, data)
    assert result.exit_code == 0, result.stderr
    with Store.open(db_path) as store:
        found = {claim.key: (claim.text, claim.ruling) for claim, _r in store.claims()}
    assert found == {"talks-resumed": ("Talks resumed", None),
                     "talks-resumed-2": ("Talks resumed!", "false"),
                     "talks-resumed-3": ("Talks resumed?", "true")}


def test_importing_the_same_reviews_twice_adds_nothing(cli, db_path, tmp_path):
    data = [review("Talks resumed", "False", url="https://o.example/1")]
    assert import_json(cli, tmp_path, data).exit_code == 0
    result = import_json(cli, tmp_path, data)
    assert "Imported 0 sources, 0 claims, 0 stances" in result.stderr
    with Store.open(db_path) as store:
        assert store.counts() == {"sources": 1, "claims": 1, "stances": 1}


def test_an_existing_source_is_matched_by_name_alone(cli, db_path, tmp_path):
    assert cli("init").exit_code == 0
    assert cli("source", "add", "A Minister", "--kind", "official", "--affiliation", "Government").exit_code == 0
    assert import_json(cli, tmp_path, [review("Talks resumed", "False")]).exit_code == 0
    with Store.open(db_path) as store:
        assert [source.affiliation for source, _n in store.sources()] == ["Government"]


def test_a_bad_review_in_the_middle_leaves_nothing_and_names_its_path(cli, db_path, tmp_path):
    assert cli("init").exit_code == 0
    assert cli("claim", "add", "Something else").exit_code == 0
    before = snapshot(db_path)
    data = {"@type": "DataFeed", "dataFeedElement": [
        review("Talks resumed", "False"), review("", "True"), review("Dam burst", "True", datePublished="last week"),
        {"@type": "Movie", "name": "Not a review"}]}
    result = import_json(cli, tmp_path, data)
    assert result.exit_code == 1
    err = result.stderr
    assert err.startswith("Error: 3 problems in")
    assert "a ClaimReview needs claimReviewed, the text of the claim it checks @ $.dataFeedElement[1].claimReviewed" in err
    assert "'last week' is not an ISO date; expected YYYY-MM-DD" in err and "@ $.dataFeedElement[2].datePublished" in err
    assert "expected a ClaimReview, a list of them or a DataFeed, got Movie @ $.dataFeedElement[3].@type" in err
    assert snapshot(db_path) == before


def test_a_json_file_that_is_not_claimreview_is_read_as_a_document(cli, db_path, tmp_path):
    result = import_json(cli, tmp_path, {"claims": [{"text": "Plain"}]})
    assert result.exit_code == 0 and "Imported 0 sources, 1 claim" in result.stderr
    result = import_json(cli, tmp_path, [], "empty.jsonld")
    assert result.exit_code == 1 and "no ClaimReview found" in result.stderr


def test_published_reviews_come_back_as_the_same_rulings(cli, ruled, tmp_path):
    out = tmp_path / "reviews.json"
    result = cli("export", "--format", "claimreview", "--publisher", "Balti Desk", "--url", URL, "--output", out)
    assert result.exit_code == 0
    copy = tmp_path / "copy.db"
    result = cli("--db", copy, "import", out)
    assert result.exit_code == 0, result.stderr
    with Store.open(ruled) as store:
        original = {c.text: (c.ruling, c.ruling_explanation, (c.ruled_at or "")[:10] or None)
                    for c, _r in store.claims() if c.ruling}
        affirming = {c.text: r.affirming for c, r in store.claims() if c.ruling}
    with Store.open(copy) as store:
        copied = {c.text: (c.ruling, c.ruling_explanation, c.ruled_at) for c, _r in store.claims()}
        copied_affirming = {c.text: r.affirming for c, r in store.claims()}
        assert {c.ruled_by for c, _r in store.claims()} == {"Balti Desk"}
        assert store.get_stance(1).url is None or store.get_stance(1).url.startswith("https://")
    assert copied == original
    assert copied_affirming == affirming


def test_format_json_reads_a_verity_document_even_when_it_looks_like_json_ld(cli, db_path, tmp_path):
    result = import_json(cli, tmp_path, review("Talks resumed", "False"), "r.json", "--format", "json")
    assert result.exit_code == 1
    assert "unknown fields '@context'" in result.stderr
