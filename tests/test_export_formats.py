"""Export's format from --output's extension, the CSV export the CSV import reads back, and
an import whose content is another format than its name says: through the real CLI."""

from __future__ import annotations

import json

import pytest

from verity.importer import content_format


@pytest.mark.parametrize("name,first_line", [
    ("case.json", '{\n  "verity": 2,'),
    ("case.jsonl", '{"type":"source","name":'),
    ("case.ndjson", '{"type":"source","name":'),
    ("case.csv", "claim,source,position,quote,url"),
    ("case.jsonld", "[\n  {\n    \"@context\": \"https://schema.org\""),
])
def test_export_takes_its_format_from_the_output_extension(cli, balti_db, tmp_path, name, first_line):
    target = tmp_path / name
    result = cli("--db", balti_db, "export", "--output", target, "--publisher", "Desk")
    assert result.exit_code == 0, result.stderr
    assert target.read_text(encoding="utf-8").startswith(first_line)


def test_export_without_output_or_format_is_a_json_document(cli, balti_db):
    assert json.loads(cli("--db", balti_db, "export").stdout)["verity"] == 2


def test_an_extension_export_cannot_tell_is_an_error(cli, balti_db, tmp_path):
    result = cli("--db", balti_db, "export", "--output", tmp_path / "case.txt")
    assert result.exit_code == 1 and not (tmp_path / "case.txt").exists()
    assert result.stderr == ("Error: cannot tell the export format from " + str(tmp_path / "case.txt")
                             + "'s extension; name it .json, .jsonl, .csv or .jsonld, or give "
                             "--format json|jsonl|csv|claimreview\n")


def test_format_given_wins_and_a_name_that_says_otherwise_is_warned_of(cli, balti_db, tmp_path):
    result = cli("--db", balti_db, "export", "--format", "json", "--output", tmp_path / "case.jsonl")
    assert result.exit_code == 0
    assert result.stderr.startswith("Warning: writing json to ")
    assert "import it with --format json, or name it .json" in result.stderr
    assert json.loads((tmp_path / "case.jsonl").read_text())["verity"] == 2
    reviews = cli("--db", balti_db, "export", "--format", "claimreview", "--output", tmp_path / "reviews.json")
    assert "Warning" not in reviews.stderr  # a .json file is imported as ClaimReview when it holds them


def test_the_issues_case_jsonl_round_trip(cli, balti_db, tmp_path):
    case = tmp_path / "case.jsonl"
    assert cli("--db", balti_db, "export", "--output", case).exit_code == 0
    again = tmp_path / "again.db"
    result = cli("--db", again, "import", case)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.endswith("Imported 14 sources, 17 claims, 33 stances from " + str(case) + ".\n")


def test_csv_export_is_what_the_csv_import_reads_back(cli, balti_db, tmp_path):
    """Every stance, retracted ones too, into a database with the same sources and claims."""
    stances = tmp_path / "stances.csv"
    assert cli("--db", balti_db, "export", "--output", stances).exit_code == 0
    document = json.loads(cli("--db", balti_db, "export").stdout)
    document["stances"] = []
    (tmp_path / "records.json").write_text(json.dumps(document), encoding="utf-8")
    copy = tmp_path / "copy.db"
    assert cli("--db", copy, "import", tmp_path / "records.json").exit_code == 0
    imported = cli("--db", copy, "import", stances, "--json")
    assert imported.exit_code == 0, imported.stderr
    assert json.loads(imported.stdout)["stances"] == 33
    assert cli("--db", copy, "export", "--format", "csv").stdout == stances.read_text(encoding="utf-8")
    assert cli("--db", copy, "reconcile", "--json").stdout == cli("--db", balti_db, "reconcile", "--json").stdout
    retracted = json.loads(cli("--db", copy, "stance", "list", "--retracted", "--json").stdout)
    assert [(s["id"], s["retracted"]["reason"][:24]) for s in retracted] == [(10, "logged against the wrong")]


@pytest.mark.parametrize("head,expected", [
    (b'{\n  "verity": 1,\n  "sources": []}', "json"),
    (b'{"verity": 1, "sources": [], "claims": [], "stances": []}\n', "json"),
    (b'{"type": "source", "name": "A"}\n{"type": "claim", "text": "B"}\n', "jsonl"),
    (b'\xef\xbb\xbf{"type": "source", "name": "A"}\n', "jsonl"),
    (b'[\n  {"@context": "https://schema.org", "@type": "ClaimReview"}]', "claimreview"),
    (b'{"@context": "https://schema.org", "@type": "ClaimReview", "claimReviewed": "x"}', "claimreview"),
    (b"Claim,Source,Position,Quote\nk,s,affirms,q\n", "csv"),
    (b"name,kind\nA,official\n", None),
    (b'{"name": "A"}\n', None),
    (b"", None),
])
def test_what_a_files_first_bytes_show(head, expected):
    assert content_format(head) == expected


@pytest.mark.parametrize("content,name,says", [
    ('{\n  "verity": 1,\n  "sources": [], "claims": [], "stances": []\n}\n', "case.jsonl",
     "looks like a JSON document, not JSON lines (one record per line) as its extension says; "
     "rename it .json or give --format json"),
    ('{"type": "source", "name": "A"}\n', "case.json",
     "looks like JSON lines (one record per line), not a JSON document as its extension says; "
     "rename it .jsonl or give --format jsonl"),
    ("claim,source,position\nk,A,affirms\n", "case.jsonl",
     "looks like CSV, not JSON lines (one record per line) as its extension says; rename it .csv or give --format csv"),
])
def test_an_import_whose_content_is_another_format_says_which(cli, tmp_path, content, name, says):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = cli("--db", tmp_path / "new.db", "import", path)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {path} {says}\n"
    assert not (tmp_path / "new.db").exists()  # nothing written, not even the database


def test_a_format_given_that_the_content_is_not_says_so_too(cli, tmp_path):
    path = tmp_path / "case.txt"
    path.write_text('{\n  "verity": 1, "sources": []\n}\n', encoding="utf-8")
    result = cli("--db", tmp_path / "new.db", "import", path, "--format", "jsonl")
    assert result.stderr == (f"Error: {path} looks like a JSON document, not JSON lines (one record per line) "
                             "as --format says; give --format json\n")
