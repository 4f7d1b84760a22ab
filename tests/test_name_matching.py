"""Names are matched as docs/rules.md says (NFKC, casefold, trimmed, inner white space collapsed)
everywhere a name is given: adding a source, naming one in a stance, an alias, an affiliation's
origin, and in every import format."""

from __future__ import annotations

import json
import unicodedata

import pytest

DECOMPOSED_CAFE = unicodedata.normalize("NFD", "Café")
assert DECOMPOSED_CAFE != "Café"


@pytest.fixture
def desk(cli, db_path, built_once):
    """A database with 'Ömer' (affiliated), 'Café', and a claim."""
    def steps(path):
        for args in (["init"], ["source", "add", "Ömer", "--affiliation", "Türkiye Government"],
                     ["source", "add", "Café"], ["claim", "add", "Something happened", "--key", "s"]):
            assert cli("--db", path, *args).exit_code == 0

    return built_once("names", steps, db_path)


@pytest.mark.parametrize("name", ["ömer", "ÖMER", "  Ömer ", "O\u0308mer", "Ｏ\u0308mer", "café", DECOMPOSED_CAFE,
                                  "CAFÉ", "café\u00a0"])
def test_a_name_that_folds_to_an_existing_one_is_that_source(cli, desk, name):
    result = cli("--db", desk, "source", "add", name)
    assert result.exit_code == 1 and "already exists" in result.stderr
    logged = cli("--db", desk, "stance", "add", "s", name, "affirms", "--json")
    assert logged.exit_code == 0, logged.stderr
    assert json.loads(logged.stdout)["source"] in ("Ömer", "Café")


def test_names_that_differ_as_unicode_says_stay_apart(cli, desk):
    # Turkish dotted capital I folds to "i̇", not "i" (Unicode's rule, kept as it is).
    assert cli("--db", desk, "source", "add", "Istanbul").exit_code == 0
    assert cli("--db", desk, "source", "add", "İstanbul").exit_code == 0
    # Joiners inside a word are part of Persian, Pashto and Urdu names.
    assert cli("--db", desk, "source", "add", "می\u200cخواهم").exit_code == 0
    assert cli("--db", desk, "source", "add", "می\u200dخواهم").exit_code == 0


def test_messages_name_a_source_as_typed(cli, desk):
    # As every listing shows it: a joiner is part of the name, not a character to escape.
    name = "می\u200cخواهم"
    added = cli("--db", desk, "source", "add", name)
    assert added.exit_code == 0 and f"Added source '{name}' (id " in added.stderr
    aliased = cli("--db", desk, "source", "alias", name, "O'Brien")
    assert aliased.stderr == f"\"O'Brien\" now names source '{name}'.\n"


@pytest.mark.parametrize("name, problem", [("", "empty"), ("   ", "empty"), ("\u3000", "empty"),
                                           ("A\nB", "control character"), ("A\x1b[2J", "control character"),
                                           ("A\x00", "control character")])
def test_a_name_empty_once_folded_or_with_a_control_character_is_refused(cli, desk, name, problem):
    result = cli("--db", desk, "source", "add", name)
    assert result.exit_code == 1 and problem in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_alias_is_matched_folded(cli, desk):
    assert cli("--db", desk, "source", "alias", "Ömer", "O. Ömer").exit_code == 0
    for given in ("o. ömer", "O. ÖMER", "O.  O\u0308mer"):
        logged = cli("--db", desk, "stance", "add", "s", given, "denies", "--quote", given, "--json")
        assert logged.exit_code == 0, logged.stderr
        assert json.loads(logged.stdout)["source"] == "Ömer"
    taken = cli("--db", desk, "source", "add", "O. ÖMER")
    assert taken.exit_code == 1


def test_affiliations_are_one_origin_when_they_fold_the_same(cli, desk):
    assert cli("--db", desk, "source", "add", "Other voice", "--affiliation", "TÜRKIYE  government").exit_code == 0
    for source in ("Ömer", "Other voice"):
        assert cli("--db", desk, "stance", "add", "s", source, "affirms").exit_code == 0
    (reconciliation,) = json.loads(cli("--db", desk, "reconcile", "s", "--json").stdout)
    assert reconciliation["affirming_origins"] == 1 and reconciliation["verdict"] == "single-source"


def _import(cli, db, path, text):
    path.write_text(text, encoding="utf-8")
    result = cli("--db", db, "import", path)
    assert result.exit_code == 0, result.stderr
    return result


def test_every_import_format_matches_names_folded(cli, desk, tmp_path):
    document = {"verity": 1, "sources": [{"name": "ÖMER", "affiliation": "türkiye  GOVERNMENT"}],
                "claims": [{"key": "s", "text": "Something happened"}],
                "stances": [{"claim": "s", "source": DECOMPOSED_CAFE, "position": "affirms", "quote": "json"}]}
    result = _import(cli, desk, tmp_path / "a.json", json.dumps(document))
    assert "1 source and 1 claim already there" in result.stderr
    _import(cli, desk, tmp_path / "b.jsonl",
            json.dumps({"type": "stance", "claim": "s", "source": "ömer", "position": "denies", "quote": "jsonl"}))
    _import(cli, desk, tmp_path / "c.csv", "claim,source,position,quote\ns,CAFÉ,neutral,csv\ns, ömer ,neutral,csv\n")
    review = {"@context": "https://schema.org", "@type": "ClaimReview", "claimReviewed": "Something happened",
              "itemReviewed": {"@type": "Claim", "author": {"@type": "Person", "name": "ÖMER"}},
              "reviewRating": {"@type": "Rating", "alternateName": "False"}}
    _import(cli, desk, tmp_path / "d.jsonld", json.dumps(review))
    sources = json.loads(cli("--db", desk, "source", "list", "--json").stdout)
    assert sorted(s["name"] for s in sources) == ["Café", "Ömer"]
    stances = json.loads(cli("--db", desk, "stance", "list", "--json").stdout)
    assert {s["quote"]: s["source"] for s in stances if s["quote"]} == {"json": "Café", "jsonl": "Ömer", "csv": "Ömer"}
