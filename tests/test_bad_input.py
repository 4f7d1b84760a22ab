"""Bad input, through every command and every import format: each refused with a non-zero exit,
exactly one line on stderr (starting "Error: "), no traceback, and nothing written — the database
file and its write-ahead log byte for byte as they were.

Each case is a different kind of mistake (not one repeated): docs/rules.md and
docs/import-export.md ("What verity refuses, and why") say what is refused and why.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from support import EXAMPLE_DB

BIG = "99999999999999999999"
PAST_SQLITE = "9223372036854775808"  # one more than SQLite's largest integer
CLAIM = "balti-was-killed"
SOURCE = "TTP spokesman Mohammad Khurasani"
STANCE = ["stance", "add", CLAIM, SOURCE]
REVIEW = '{"@context": "https://schema.org", "@type": "ClaimReview", '
LINE = '{"type": "stance", "claim": "balti-was-killed", "source": "Afghan Taliban", "position": "denies"'

# (what is wrong, the arguments; "{file}" is a file holding FILES[what], "{db}" the database,
#  "{folder}" a folder)
CASES: list[tuple[str, list[str]]] = [
    # -- source add
    ("source name empty", ["source", "add", ""]),
    ("source name blank", ["source", "add", "   "]),
    ("source name with an escape sequence", ["source", "add", "Evil\x1b]0;pwned\x07\x1b[2J"]),
    ("source name with a newline", ["source", "add", "Two\nlines"]),
    ("source name with a zero-width space", ["source", "add", "Amir Rana\u200b"]),
    ("source name only a direction override", ["source", "add", "\u202e"]),
    ("affiliation with a soft hyphen", ["source", "add", "New voice", "--affiliation", "Gov\u00adernment"]),
    ("source name only digits", ["source", "add", "12345"]),
    ("source name taken", ["source", "add", SOURCE]),
    ("source name taken in another case", ["source", "add", "afghan TALIBAN"]),
    ("source name taken by an alias", ["source", "add", "ttp spokesman"]),
    ("source name decomposed, taken composed", ["source", "add", "Amir Rana\u0301"[:-1]]),
    ("reliability grade not A-F", ["source", "add", "New voice", "--reliability", "Z"]),
    ("reliability grade two letters", ["source", "add", "New voice", "--reliability", "AB"]),
    ("source name half a character", ["source", "add", "x\udcffy"]),
    ("source note with NUL", ["source", "add", "New voice", "--note", "a\x00b"]),
    ("source kind with NUL", ["source", "add", "New voice", "--kind", "k\x00"]),
    ("affiliation with a control character", ["source", "add", "New voice", "--affiliation", "TTP\x07"]),
    # -- source show / edit / alias / merge
    ("source unknown", ["source", "show", "Nobody at all"]),
    ("source id beyond any integer", ["source", "show", BIG]),
    ("source id past SQLite's range", ["source", "show", PAST_SQLITE]),
    ("source id in Arabic-Indic digits", ["source", "show", "٣"]),
    ("source id zero", ["source", "show", "0"]),
    ("source edit without a reason", ["source", "edit", SOURCE, "--kind", "x"]),
    ("source edit with an empty reason", ["source", "edit", SOURCE, "--kind", "x", "--reason", " "]),
    ("source edit to a bad grade", ["source", "edit", SOURCE, "--reliability", "Q", "--reason", "r"]),
    ("source renamed to another's name", ["source", "edit", SOURCE, "--name", "Afghan Taliban", "--reason", "r"]),
    ("source renamed to nothing", ["source", "edit", SOURCE, "--name", "", "--reason", "r"]),
    ("source edit of an unknown source", ["source", "edit", "Nobody", "--kind", "x", "--reason", "r"]),
    ("alias that is another source's name", ["source", "alias", SOURCE, "Afghan Taliban"]),
    ("alias empty", ["source", "alias", SOURCE, " "]),
    ("alias with a control character", ["source", "alias", SOURCE, "a\x1bb"]),
    ("alias of an unknown source", ["source", "alias", "Nobody", "Somebody"]),
    ("source merged into itself", ["source", "merge", SOURCE, "--into", SOURCE, "--reason", "r"]),
    ("source merged into an unknown one", ["source", "merge", SOURCE, "--into", "Nobody", "--reason", "r"]),
    ("source merge without a reason", ["source", "merge", SOURCE, "--into", "Afghan Taliban"]),
    # -- claim add / list / show / edit / merge / rule
    ("claim text empty", ["claim", "add", ""]),
    ("claim text blank", ["claim", "add", "  \t "]),
    ("claim key not a slug", ["claim", "add", "Some text", "--key", "Not A Slug"]),
    ("claim key only digits", ["claim", "add", "Some text", "--key", "2022"]),
    ("claim key taken", ["claim", "add", "Some text", "--key", CLAIM]),
    ("claim text giving no key", ["claim", "add", "!!! ???"]),
    ("claim text with NUL", ["claim", "add", "Text\x00here", "--key", "nul-text"]),
    ("claim note with half a character", ["claim", "add", "Some text", "--key", "half", "--note", "\ud800"]),
    ("claim tag with NUL", ["claim", "add", "Some text", "--key", "tagged", "--tag", "a\x00"]),
    ("claim of an unknown question", ["claim", "add", "Some text", "--key", "q-claim", "--question", "no-such"]),
    ("claim list by an unknown verdict", ["claim", "list", "--verdict", "probably"]),
    ("claim list by an unknown ruling", ["claim", "list", "--ruling", "sort-of"]),
    ("claim list by an unknown source", ["claim", "list", "--source", "Nobody"]),
    ("claim unknown", ["claim", "show", "balti-was-kiled"]),
    ("claim id beyond any integer", ["claim", "show", BIG]),
    ("claim id in Arabic-Indic digits", ["claim", "show", "٣"]),
    ("claim reference empty", ["claim", "show", ""]),
    ("claim edit of an unknown claim", ["claim", "edit", "no-such", "--text", "x", "--reason", "r"]),
    ("claim re-keyed to a taken key", ["claim", "edit", CLAIM, "--key", "balti-killed-in-nangarhar",
                                       "--reason", "r"]),
    ("claim re-keyed to a bad key", ["claim", "edit", CLAIM, "--key", "BAD KEY", "--reason", "r"]),
    ("claim edit with an empty reason", ["claim", "edit", CLAIM, "--text", "x", "--reason", ""]),
    ("claim text edited to nothing", ["claim", "edit", CLAIM, "--text", " ", "--reason", "r"]),
    ("claim merged into itself", ["claim", "merge", CLAIM, "--into", CLAIM, "--reason", "r"]),
    ("claim merged into an unknown one", ["claim", "merge", CLAIM, "--into", "no-such", "--reason", "r"]),
    ("ruling not a ruling", ["claim", "rule", CLAIM, "maybe-ish"]),
    ("ruling on an unknown claim", ["claim", "rule", "no-such", "false"]),
    ("ruling dated in words", ["claim", "rule", CLAIM, "false", "--on", "yesterday"]),
    ("ruling dated on a day that is not", ["claim", "rule", CLAIM, "false", "--on", "2022-02-30"]),
    # -- stance add / list / retract
    ("stance on an unknown claim", ["stance", "add", "no-such", SOURCE, "denies"]),
    ("stance of an unknown source", ["stance", "add", CLAIM, "Nobody", "denies"]),
    ("position not a position", [*STANCE, "maybe"]),
    ("source and position swapped", ["stance", "add", CLAIM, "denies", SOURCE]),
    ("said-on month 13", [*STANCE, "denies", "--said-on", "2022-13-01"]),
    ("said-on with a newline inside", [*STANCE, "denies", "--said-on", "2022-01\n-10"]),
    ("said-on day first", [*STANCE, "denies", "--said-on", "10/01/2022"]),
    ("said-on hour 25", [*STANCE, "denies", "--said-on", "2022-01-10T25:00"]),
    ("said-on a year in Arabic-Indic digits", [*STANCE, "denies", "--said-on", "٢٠٢١"]),
    ("said-on a month in full-width digits", [*STANCE, "denies", "--said-on", "２０２２-０１"]),
    ("stance claim id past SQLite's range", ["stance", "add", PAST_SQLITE, SOURCE, "denies"]),
    ("stance source id beyond any integer", ["stance", "add", CLAIM, BIG, "denies"]),
    ("stance claim in Arabic-Indic digits", ["stance", "add", "٣", SOURCE, "denies"]),
    ("quote with NUL", [*STANCE, "denies", "--quote", "a\x00b"]),
    ("quote with half a character", [*STANCE, "denies", "--quote", "a\udcffb"]),
    ("stance list since a word", ["stance", "list", "--since", "last week"]),
    ("stance list of an unknown claim", ["stance", "list", "--claim", "no-such"]),
    ("stance list of an unknown source", ["stance", "list", "--source", "Nobody"]),
    ("retract a stance id that is a word", ["stance", "retract", "abc", "--reason", "r"]),
    ("retract a stance id beyond any integer", ["stance", "retract", BIG, "--reason", "r"]),
    ("retract a stance id past SQLite's range", ["stance", "retract", PAST_SQLITE, "--reason", "r"]),
    ("retract a stance that does not exist", ["stance", "retract", "9999", "--reason", "r"]),
    ("retract a retracted stance", ["stance", "retract", "10", "--reason", "r"]),
    ("retract with an empty reason", ["stance", "retract", "1", "--reason", " "]),
    ("retract on a date in words", ["stance", "retract", "1", "--reason", "r", "--on", "someday"]),
    ("retract without a reason", ["stance", "retract", "1"]),
    # -- question add / show
    ("question key not a slug", ["question", "add", "Where Killed", "Where was he killed?"]),
    ("question key only digits", ["question", "add", "2022", "Where was he killed?"]),
    ("question text empty", ["question", "add", "balti-where", " "]),
    ("question text with NUL", ["question", "add", "balti-where", "Where\x00?"]),
    ("question unknown", ["question", "show", "no-such-question"]),
    ("question id beyond any integer", ["question", "show", BIG]),
    # -- assess
    ("assess an unknown claim", ["assess", "no-such"]),
    ("assess a claim id past SQLite's range", ["assess", PAST_SQLITE]),
    # -- reconcile, log
    ("reconcile an unknown claim", ["reconcile", "no-such"]),
    ("reconcile a claim id beyond any integer", ["reconcile", BIG]),
    ("reconcile a claim id past SQLite's range", ["reconcile", PAST_SQLITE]),
    ("log since a word", ["log", "--since", "tuesday"]),
    ("log since a year in full-width digits", ["log", "--since", "２０２２"]),
    ("stance list since a year in Arabic-Indic digits", ["stance", "list", "--since", "٢٠٢٢"]),
    # -- report
    ("report format unknown", ["report", "--format", "pdf"]),
    ("report verdict unknown", ["report", "--verdict", "likely"]),
    ("report output a folder", ["report", "--output", "{folder}"]),
    ("report output in a missing folder", ["report", "--output", "{folder}/missing/report.md"]),
    ("report output the database", ["report", "--output", "{db}"]),
    ("report output the database's log", ["report", "--output", "{db}-wal"]),
    # -- export
    ("export format unknown", ["export", "--format", "xml"]),
    ("export output with no known extension", ["export", "--output", "{folder}/out.txt"]),
    ("export output the database", ["export", "--format", "json", "--output", "{db}"]),
    ("export output the database's shared memory", ["export", "--format", "jsonl", "--output", "{db}-shm"]),
    ("claimreview url without {key}", ["export", "--format", "claimreview", "--publisher", "Desk",
                                       "--url", "https://x.org/checks"]),
    ("claimreview url not http", ["export", "--format", "claimreview", "--publisher", "Desk",
                                  "--url", "javascript:alert('{key}')"]),
    ("claimreview without a publisher", ["export", "--format", "claimreview", "--publisher", " "]),
    # -- browse, datasette-metadata
    ("browse port too high", ["browse", "--port", "99999"]),
    ("browse port negative", ["browse", "--port", "-5"]),
    ("browse port a word", ["browse", "--port", "eighty"]),
    ("metadata output the database", ["datasette-metadata", "--output", "{db}"]),
    ("metadata output the database's log", ["datasette-metadata", "--output", "{db}-wal"]),
    ("an unknown command", ["sourc", "list"]),
    ("an unknown option", ["claim", "list", "--colour"]),
    # -- import: the file itself
    ("import of a missing file", ["import", "{folder}/missing.json"]),
    ("import of a folder", ["import", "--format", "json", "{folder}"]),
    ("import of a device", ["import", "--format", "jsonl", "/dev/zero"]),
    ("import of an unknown extension", ["import", "{file}"]),
    ("import format unknown", ["import", "--format", "yaml", "{file}"]),
    ("import of standard input without a format", ["import", "-"]),
    ("create-missing on a document", ["import", "--create-missing", "{file}"]),
    # -- import: a JSON document
    ("json empty file", ["import", "{file}"]),
    ("json not JSON", ["import", "{file}"]),
    ("json source with a zero-width space in its name", ["import", "{file}"]),
    ("json a list", ["import", "{file}"]),
    ("json from a newer verity", ["import", "{file}"]),
    ("json source with half a character", ["import", "{file}"]),
    ("json nested 100,000 deep", ["import", "{file}"]),
    ("json key twice", ["import", "{file}"]),
    ("json NUL in a quote", ["import", "{file}"]),
    ("json logged_at with a trailing newline", ["import", "{file}"]),
    ("json logged_at not a time", ["import", "{file}"]),
    ("json source with an escape in its name", ["import", "{file}"]),
    ("json stance on an unknown claim", ["import", "{file}"]),
    ("json source differing from the database's", ["import", "{file}"]),
    ("json not UTF-8", ["import", "{file}"]),
    ("json unknown field", ["import", "{file}"]),
    ("json position a number", ["import", "{file}"]),
    # -- import: JSON lines
    ("jsonl line not JSON", ["import", "{file}"]),
    ("jsonl line a list", ["import", "{file}"]),
    ("jsonl unknown type", ["import", "{file}"]),
    ("jsonl nested deep in a line", ["import", "{file}"]),
    ("jsonl key twice", ["import", "{file}"]),
    ("jsonl half a character", ["import", "{file}"]),
    ("jsonl bytes that are not UTF-8", ["import", "{file}"]),
    ("jsonl unknown field", ["import", "{file}"]),
    ("jsonl NaN", ["import", "{file}"]),
    # -- import: CSV
    ("csv quote never closed", ["import", "{file}"]),
    ("csv unknown column", ["import", "{file}"]),
    ("csv no position column", ["import", "{file}"]),
    ("csv empty file", ["import", "{file}"]),
    ("csv bad position", ["import", "{file}"]),
    ("csv not UTF-8", ["import", "{file}"]),
    ("csv NUL in a cell", ["import", "{file}"]),
    ("csv too many cells", ["import", "{file}"]),
    ("csv holding JSON lines", ["import", "{file}"]),
    ("csv unknown source", ["import", "{file}"]),
    # -- import: ClaimReview
    ("claimreview nested 100,000 deep", ["import", "{file}"]),
    ("claimreview key twice", ["import", "{file}"]),
    ("claimreview half a character", ["import", "{file}"]),
    ("claimreview holding CSV", ["import", "{file}"]),
    ("claimreview not JSON", ["import", "{file}"]),
]

S = '{"verity": 1, "sources": [{"name": '
FILES: dict[str, tuple[str, bytes]] = {
    "import of an unknown extension": (".txt", b'{"verity": 1}'),
    "import format unknown": (".json", b'{"verity": 1}'),
    "create-missing on a document": (".json", b'{"verity": 1}'),
    "json empty file": (".json", b""),
    "json not JSON": (".json", b'{"verity": 1, "sources": [}'),
    "json a list": (".json", b"[1, 2, 3]"),
    "json from a newer verity": (".json", b'{"verity": 99}'),
    "json source with half a character": (".json", (S + '"x\\udfffy"}]}').encode()),
    "json nested 100,000 deep": (".json", b"[" * 100_000),
    "json key twice": (".json", (S + '"One", "name": "Two"}]}').encode()),
    "json NUL in a quote": (".json", ('{"verity": 1, "stances": [' + LINE[len('{"type": "stance", '):].replace(
        '"claim"', '{"claim"') + ', "quote": "a\\u0000b"}]}').encode()),
    "json logged_at with a trailing newline": (".json", ('{"verity": 1, "stances": [{' + LINE[len('{"type": "stance", '):]
                                                        + ', "logged_at": "2022-01-10T00:00:00Z\\n"}]}').encode()),
    "json logged_at not a time": (".json", ('{"verity": 1, "stances": [{' + LINE[len('{"type": "stance", '):]
                                            + ', "logged_at": "noon"}]}').encode()),
    "json source with an escape in its name": (".json", (S + '"Evil\\u001b[2J"}]}').encode()),
    "json source with a zero-width space in its name": (".json", (S + '"Amir Rana\\u200b"}]}').encode()),
    "json stance on an unknown claim": (".json", b'{"verity": 1, "stances": [{"claim": "no-such", '
                                                 b'"source": "Afghan Taliban", "position": "denies"}]}'),
    "json source differing from the database's": (".json", (S + '"Afghan Taliban", "affiliation": "Other"}]}').encode()),
    "json not UTF-8": (".json", (S + '"Caf').encode() + b"\xe9" + b'"}]}'),
    "json unknown field": (".json", (S + '"New one", "reliabilty": "B"}]}').encode()),
    "json position a number": (".json", ('{"verity": 1, "stances": [{' + LINE[len('{"type": "stance", '):].replace(
        '"denies"', "3") + "}]}").encode()),
    "jsonl line not JSON": (".jsonl", b'{"type": "source", "name": }\n'),
    "jsonl line a list": (".jsonl", b"[1, 2]\n"),
    "jsonl unknown type": (".jsonl", b'{"type": "sauce", "name": "x"}\n'),
    "jsonl nested deep in a line": (".jsonl", b'{"type": "source", "name": ' + b"[" * 100_000 + b"\n"),
    "jsonl key twice": (".jsonl", (LINE + ', "position": "affirms"}\n').encode()),
    "jsonl half a character": (".jsonl", (LINE + ', "quote": "\\ud800"}\n').encode()),
    "jsonl bytes that are not UTF-8": (".jsonl", LINE.encode() + b', "quote": "\xff\xfe"}\n'),
    "jsonl unknown field": (".jsonl", (LINE + ', "qoute": "x"}\n').encode()),
    "jsonl NaN": (".jsonl", (LINE + ', "quote": NaN}\n').encode()),
    "csv quote never closed": (".csv", b'claim,source,position,quote\nbalti-was-killed,Afghan Taliban,denies,"open\n'
                                       b"balti-was-killed,Afghan Taliban,affirms,swallowed\n"),
    "csv unknown column": (".csv", b"claim,source,position,qoute\n"),
    "csv no position column": (".csv", b"claim,source,quote\nbalti-was-killed,Afghan Taliban,x\n"),
    "csv empty file": (".csv", b""),
    "csv bad position": (".csv", b"claim,source,position\nbalti-was-killed,Afghan Taliban,maybe\n"),
    "csv not UTF-8": (".csv", b"claim,source,position,quote\nbalti-was-killed,Afghan Taliban,denies,caf\xe9\n"),
    "csv NUL in a cell": (".csv", b"claim,source,position,quote\nbalti-was-killed,Afghan Taliban,denies,a\x00b\n"),
    "csv too many cells": (".csv", b"claim,source,position\nbalti-was-killed,Afghan Taliban,denies,extra\n"),
    "csv holding JSON lines": (".csv", (LINE + "}\n").encode()),
    "csv unknown source": (".csv", b"claim,source,position\nbalti-was-killed,Nobody at all,denies\n"),
    "claimreview nested 100,000 deep": (".jsonld", (REVIEW + '"x": ').encode() + b"[" * 100_000),
    "claimreview key twice": (".jsonld", (REVIEW + '"claimReviewed": "a", "claimReviewed": "b"}').encode()),
    "claimreview half a character": (".jsonld", (REVIEW + '"claimReviewed": "x\\udfff", "reviewRating": '
                                                 '{"@type": "Rating", "alternateName": "False"}}').encode()),
    "claimreview holding CSV": (".jsonld", b"claim,source,position\nbalti-was-killed,Afghan Taliban,denies\n"),
    "claimreview not JSON": (".jsonld", (REVIEW + '"claimReviewed": ').encode()),
}

# --db pointing at what is not a verity database, for a reading and a writing command each
DATABASES = {
    "a folder": None,
    "a missing file": b"",  # (not created: see _database)
    "a text file": b"claim,source,position\n",
    "an empty file": b"",
    "another program's SQLite database": None,
}


def test_the_cases_are_many_and_each_different():
    names = [name for name, _ in CASES]
    assert len(names) == len(set(names)) and len(names) + 2 * len(DATABASES) >= 100
    arguments = [tuple(args) for name, args in CASES if name not in FILES]
    assert len(arguments) == len(set(arguments))
    assert len({(*FILES[name], tuple(args)) for name, args in CASES if name in FILES}) == len(FILES)
    assert set(FILES) <= set(names)


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """One copy of the Balti case for every case: nothing may be written to it."""
    folder = tmp_path_factory.mktemp("bad-input")
    db = folder / "claims.db"
    shutil.copy(EXAMPLE_DB, db)
    return db


def held(db: Path) -> tuple[bytes, bytes]:
    """What the database holds: its file and its write-ahead log, byte for byte."""
    wal = Path(f"{db}-wal")
    return db.read_bytes(), wal.read_bytes() if wal.exists() else b""


def refused_in_one_line(result) -> str:
    assert result.exit_code != 0, result.stdout[:300]
    assert "Traceback" not in result.stderr and result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.mark.parametrize("name, args", CASES, ids=[name for name, _ in CASES])
def test_bad_input_is_refused_in_one_line_and_writes_nothing(cli, desk, tmp_path, monkeypatch, name, args):
    monkeypatch.delenv("VERITY_PUBLISHER", raising=False)
    file = None
    if name in FILES:
        suffix, content = FILES[name]
        file = tmp_path / f"input{suffix}"
        file.write_bytes(content)
    filled = [arg.replace("{file}", str(file)).replace("{db}", str(desk)).replace("{folder}", str(tmp_path))
              for arg in args]
    before = held(desk)
    result = cli("--db", desk, *filled, input="")
    refused_in_one_line(result)
    assert held(desk) == before
    assert not list(tmp_path.glob(".*.partial"))  # no half-written output left behind


def _database(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / "target.db"
    if kind == "a folder":
        path.mkdir()
    elif kind == "another program's SQLite database":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE notes (x)")
        conn.commit()
        conn.close()
    elif kind != "a missing file":
        path.write_bytes(DATABASES[kind])
    return path


@pytest.mark.parametrize("args", [["claim", "list"], ["stance", "add", CLAIM, SOURCE, "denies"]],
                         ids=["read", "write"])
@pytest.mark.parametrize("kind", list(DATABASES))
def test_a_database_that_is_not_one_is_refused_in_one_line(cli, tmp_path, kind, args):
    path = _database(tmp_path, kind)
    before = sorted((p.name, p.is_dir() or p.read_bytes()) for p in tmp_path.iterdir())
    refused_in_one_line(cli("--db", path, *args))
    assert sorted((p.name, p.is_dir() or p.read_bytes()) for p in tmp_path.iterdir()) == before


def test_a_json_document_is_checked_before_anything_is_written(cli, desk, tmp_path):
    """The bad record last, after good ones: still nothing written (all or nothing)."""
    document = json.loads(Path(EXAMPLE_DB.parent / "examples" / "balti.json").read_text(encoding="utf-8"))
    document["sources"].append({"name": "Fine new source"})
    document["stances"].append({"claim": CLAIM, "source": "Fine new source", "position": "affirms",
                                "quote": "a\u0000b"})
    path = tmp_path / "late.json"
    path.write_text(json.dumps(document))
    before = held(desk)
    refused_in_one_line(cli("--db", desk, "import", path))
    assert held(desk) == before
