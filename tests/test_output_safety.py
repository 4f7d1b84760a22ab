"""What verity prints and publishes is safe: control characters shown escaped on a terminal (no
name can retitle or clear it), ClaimReview links only to web pages, Datasette's CSV downloads
open in a spreadsheet as text, and `verity browse` logs one line per error."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import pty
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from test_datasette import Browser

from verity.csvio import spreadsheet_cell
from verity.datasette.metadata import datasette_major
from verity.datasette.safety import CsvRecords
from verity.names import visible, visible_lines

HOSTILE = "\x1b]0;pwned\x07\x1b[2J"  # retitles the terminal, then clears it
UNSAFE_BYTES = (b"\x1b", b"\x07", b"\x9b", "\u202e".encode())


def test_visible_escapes_controls_and_keeps_letters():
    assert visible("A" + HOSTILE) == "A\\x1b]0;pwned\\x07\\x1b[2J"
    assert visible("line\nbreak\ttab\r\x00\x9b\u202e") == "line\\nbreak\\ttab\\r\\x00\\x9b\\u202e"
    for fine in ("Ömer", "می\u200cخواهم", "क्‍ष", "🙂", "a\u00a0b", ""):
        assert visible(fine) == fine
    assert visible_lines("a\nb\tc\x1b") == "a\nb\tc\\x1b"


@pytest.fixture
def hostile_db(balti_db):
    """The Balti case with a control sequence in every kind of text a person reads: a source's
    name and affiliation (written as an older verity or another program could), a claim's text,
    subject, tag and note, a stance's quote, via, url and note, a ruling's explanation, a change's reason."""
    conn = sqlite3.connect(balti_db)
    conn.execute("UPDATE sources SET name = name || ?, affiliation = affiliation || ?, kind = ? WHERE id = 3",
                 [HOSTILE, HOSTILE, "official" + HOSTILE])
    conn.execute("UPDATE claims SET text = text || ?, subject = ?, tags = ?, note = ? WHERE key = 'balti-was-killed'",
                 [HOSTILE, "subject" + HOSTILE, json.dumps(["tag" + HOSTILE]), "note" + HOSTILE])
    conn.commit()
    conn.close()
    return balti_db


@pytest.fixture
def hostile_cli(cli, hostile_db):
    hostile_cli_db = hostile_db
    for args in (["stance", "add", "balti-was-killed", "1", "denies", "--quote", "q" + HOSTILE, "--via", "v" + HOSTILE,
                  "--note", "n" + HOSTILE, "--url", "https://x.org/" + HOSTILE],
                 ["claim", "rule", "balti-was-killed", "false", "--explanation", "e" + HOSTILE],
                 ["source", "edit", "1", "--note", "n" + HOSTILE, "--reason", "tidying"],
                 ["question", "add", "balti-killed-where", "Where" + HOSTILE],
                 ["claim", "add", "Killed in Kunar" + HOSTILE, "--key", "killed-in-kunar", "--question",
                  "balti-killed-where"]):
        result = cli("--db", hostile_cli_db, *args)
        assert result.exit_code == 0, result.stderr
        assert not any(b in result.stderr.encode() for b in UNSAFE_BYTES)
    return hostile_cli_db


READABLE = [["source", "list"], ["source", "show", "3"], ["claim", "list"], ["claim", "show", "balti-was-killed"],
            ["stance", "list"], ["reconcile"], ["reconcile", "balti-was-killed"], ["log"], ["report"],
            ["report", "--format", "html"], ["question", "list"], ["question", "show", "balti-killed-where"],
            ["assess"]]


@pytest.mark.parametrize("args", READABLE, ids=" ".join)
def test_every_readable_output_shows_control_characters_escaped(cli, hostile_cli, args):
    result = cli("--db", hostile_cli, *args)
    assert result.exit_code == 0, result.stderr
    out = (result.stdout + result.stderr).encode()
    assert not any(b in out for b in UNSAFE_BYTES), out[:300]
    if args[-1] in ("3", "balti-was-killed", "log", "report", "html", "balti-killed-where") and args[0] != "reconcile":
        assert "pwned" in result.stdout  # shown, escaped



JSON_READABLE = [["claim", "list", "--json"], ["claim", "show", "bidi", "--json"], ["stance", "list", "--json"],
                 ["reconcile", "--json"], ["log", "--json"], ["assess", "--json"], ["source", "show", "1", "--json"],
                 ["claim", "similar", "pay", "--words-only", "--json"]]


@pytest.mark.parametrize("args", JSON_READABLE, ids=" ".join)
def test_json_output_writes_what_a_terminal_obeys_as_escapes(cli, balti_db, args):
    # JSON escapes the C0 controls itself, not DEL, the C1 controls or the bidi marks.
    text = "pay \u202egnp.exe \x9b2J \x7f"
    assert cli("--db", balti_db, "claim", "add", text, "--key", "bidi").exit_code == 0
    assert cli("--db", balti_db, "stance", "add", "bidi", "1", "affirms", "--quote", text).exit_code == 0
    result = cli("--db", balti_db, *args)
    assert result.exit_code == 0, result.stderr
    assert not any(b in result.stdout.encode() for b in (*UNSAFE_BYTES, b"\x7f"))
    if args[:2] in (["claim", "list"], ["claim", "show"], ["stance", "list"]):
        assert "\\u202e" in result.stdout  # the text is there, escaped
    json.loads(result.stdout)  # still JSON, and the text reads back as it was

def test_a_hostile_name_is_refused_with_its_control_characters_shown(cli, balti_db):
    result = cli("--db", balti_db, "source", "add", "Evil" + HOSTILE)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "\\x1b" in result.stderr
    assert not any(b in result.stderr.encode() for b in UNSAFE_BYTES)


ON_A_TERMINAL = [*(["report", "--format", fmt] for fmt in ("csv", "json", "markdown", "html")),
                 *(["export", "--format", fmt] for fmt in ("csv", "json", "jsonl")),
                 ["export", "--format", "claimreview", "--publisher", "Desk"],
                 ["export", "--format", "csv", "--output", "/dev/stdout"]]


@pytest.mark.slow  # runs processes of verity
@pytest.mark.parametrize("args", ON_A_TERMINAL, ids=" ".join)
def test_a_report_or_export_on_a_terminal_shows_control_characters_escaped(hostile_cli, args):
    """Through a real terminal (a pseudo-terminal): what a person running `verity report` sees."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "verity", "--db", str(hostile_cli), *args],
                               stdout=terminal, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the report is done
            break
        if not chunk:
            break
        seen += chunk
    process.wait(timeout=60)
    os.close(controller)
    assert process.returncode == 0
    assert b"pwned" in seen
    # the terminal's own line discipline writes \r\n; nothing else may reach it raw
    assert not any(b in seen for b in UNSAFE_BYTES), seen[:300]


# -- point 9: what verity publishes ----------------------------------------------------------------


@pytest.fixture
def unsafe_links(cli, balti_db):
    for url in ("javascript:alert(document.cookie)", "data:text/html,<script>alert(1)</script>",
                "JaVaScRiPt:alert(1)", " javascript:alert(1)", "vbscript:x", "file:///etc/passwd",
                "https://www.dawn.com/news/1669427"):
        result = cli("--db", balti_db, "stance", "add", "balti-was-killed", "TTP spokesman", "affirms", "--url", url,
                     "--quote", url)
        assert result.exit_code == 0, result.stderr
    assert cli("--db", balti_db, "source", "edit", "TTP spokesman", "--url", "javascript:alert(2)",
               "--reason", "test").exit_code == 0
    assert cli("--db", balti_db, "claim", "rule", "balti-was-killed", "mixture").exit_code == 0
    return balti_db


def _urls(value) -> list[str]:
    if isinstance(value, dict):
        return [u for k, v in value.items() for u in ([v] if k == "url" else _urls(v))]
    if isinstance(value, list):
        return [u for item in value for u in _urls(item)]
    return []


def test_claimreview_cannot_end_the_script_element_it_is_published_in(cli, balti_db):
    text = 'A post said "</script><script>alert(1)</script>" & <b>more</b>'
    assert cli("--db", balti_db, "claim", "add", text, "--key", "script-in-text").exit_code == 0
    assert cli("--db", balti_db, "claim", "rule", "script-in-text", "false").exit_code == 0
    result = cli("--db", balti_db, "export", "--format", "claimreview", "--publisher", "Desk")
    assert result.exit_code == 0, result.stderr
    assert not set("<>&") & set(result.stdout)
    assert [r["claimReviewed"] for r in json.loads(result.stdout) if "script" in r["claimReviewed"]] == [text]


def test_claimreview_publishes_only_web_links(cli, unsafe_links):
    result = cli("--db", unsafe_links, "export", "--format", "claimreview", "--publisher", "Desk",
                 "--url", "https://checks.example.org/{key}")
    assert result.exit_code == 0, result.stderr
    urls = _urls(json.loads(result.stdout))
    assert urls and all(re.match(r"https?://", url) for url in urls), urls
    assert "https://www.dawn.com/news/1669427" in urls
    assert "left out" in result.stderr


@pytest.mark.parametrize("template", ["javascript:alert('{key}')", "data:text/html,{key}", "ftp://x.org/{key}",
                                      "/checks/{key}", "checks.example.org/{key}", "https:///{key}"])
def test_claimreview_refuses_a_url_template_that_is_no_web_address(cli, balti_db, template):
    result = cli("--db", balti_db, "export", "--format", "claimreview", "--publisher", "Desk", "--url", template)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --url") and "http or https" in result.stderr


def test_csv_records_are_rewritten_whole_however_the_text_is_cut():
    text = ('id,quote\r\n1,"=HYPERLINK(""http://evil"",""x"")"\r\n2,"+1, and\r\na line\r\n@SUM"\r\n'
            '3,-0.5\r\n4,-1+2\r\n5,\tTab\r\n6,plain\r\n').encode()
    expected = [["id", "quote"], ["1", "'=HYPERLINK(\"http://evil\",\"x\")"], ["2", "'+1, and\r\na line\r\n@SUM"],
                ["3", "-0.5"], ["4", "'-1+2"], ["5", "'\tTab"], ["6", "plain"]]
    for size in (1, 2, 3, 7, 16, len(text)):
        records = CsvRecords()
        pieces = [text[i:i + size] for i in range(0, len(text), size)]
        out = b"".join(records.feed(piece, more=i < len(pieces) - 1) for i, piece in enumerate(pieces))
        assert list(csv.reader(io.StringIO(out.decode(), newline=""))) == expected


def test_spreadsheet_cells_are_as_the_csv_report_writes_them():
    assert [spreadsheet_cell(c) for c in ("=1", "+1", "-1", "-1.5e3", "-x", "@x", "\tx", "\rx", "x=1", "")] == [
        "'=1", "'+1", "-1", "-1.5e3", "'-x", "'@x", "'\tx", "'\rx", "x=1", ""]


@pytest.fixture
def formula_browser(cli, balti_db):
    for quote in ("=HYPERLINK(\"http://evil.example\",\"click\")", "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|'/C calc'!A0",
                  "-2+3+cmd|' /C calc'!A0"):
        assert cli("--db", balti_db, "stance", "add", "balti-was-killed", "TTP spokesman", "denies",
                   "--quote", quote).exit_code == 0
    return Browser(balti_db)


@pytest.mark.parametrize("path", ["/{db}/stances.csv", "/{db}/stances.csv?_stream=on", "/{db}/stances.csv?_dl=1",
                                  "/{db}/stances.csv?_stream=on&_size=max&_dl=1",
                                  "{query}.csv?sql=select+quote+from+stances", "/{db}/contradictions.csv",
                                  "/{db}/claim_verdicts.csv"])
def test_datasette_csv_downloads_are_safe_in_a_spreadsheet(formula_browser, path):
    # an arbitrary query's page: /db?sql= in Datasette 0.65, /db/-/query?sql= in 1.0
    response = formula_browser.get(path.replace("{query}", "/{db}" if datasette_major() < 1 else "/{db}/-/query"))
    assert response.status_code == 200, response.text[:300]
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    assert cells
    risky = [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")
             or cell[:1] == "-" and not re.fullmatch(r"-\d+(\.\d+)?([eE][+-]?\d+)?", cell)]
    assert not risky
    if "stances" in path:
        assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in cells


def test_the_csv_of_another_database_is_left_alone(tmp_path, formula_browser):
    """Only verity's databases are rewritten: a plain one served next to it is Datasette's business."""
    from datasette.app import Datasette

    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.execute("INSERT INTO t VALUES ('=1+1')")
    conn.commit()
    conn.close()
    ds = Datasette([str(other)])

    async def fetch():
        return await ds.client.get("/other/t.csv")

    assert "=1+1" in asyncio.run(fetch()).text.splitlines()[1]


# -- point 12: verity browse logs one line per error -----------------------------------------------


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow  # a real server, as a person runs it
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGHUP], ids=["Ctrl-C", "closed terminal"])
def test_browse_logs_one_line_per_error_and_no_local_variables(balti_db, tmp_path, stop):
    log, printed = tmp_path / "browse.log", tmp_path / "browse.out"
    with open(log, "w") as err, open(printed, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "verity", "--db", str(balti_db), "browse", "--port", "0"],
                                  stdout=out, stderr=err)
    try:
        root = None
        for _ in range(300):
            found = re.search(r"at (http://\S+?)/\s", log.read_text())
            if found:
                root = found.group(1)
                break
            time.sleep(0.1)
        assert root, log.read_text()
        name = balti_db.stem
        before = len(log.read_text().splitlines())
        query = f"{root}/{name}" if datasette_major() < 1 else f"{root}/{name}/-/query"
        asked = [f"{root}/{name}/no_such_table", f"{query}?sql=delete+from+stances",
                 f"{query}.json?sql=select+nonsense+from+nowhere", f"{root}/nothing/here",
                 f"{root}/{name}/claims?_sort=%1bcRESET",  # a page in the browser could ask this
                 f"{query}?sql=select+*+from+%22%1b%5b2J%1b%5b31mRED%22"]  # Datasette's own line quotes it
        statuses = [_get(url) for url in asked]
        assert statuses[0] == statuses[3] == 404 and all(status >= 400 for status in statuses)
        assert _get(f"{root}/{name}/claims") == 200
        time.sleep(0.5)
    finally:
        server.send_signal(stop)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    lines = log.read_text().splitlines()[before:]
    # verity's line for each error Datasette hands it; Datasette's own for SQL that fails to run
    errors = [line for line in lines if line.startswith(("verity browse: ", "ERROR: conn="))]
    assert len(errors) == len(asked), lines
    said = [line.split()[2] for line in errors if line.startswith("verity browse: ")]
    assert said[0] == "404"
    text = log.read_text() + printed.read_text()
    assert "Traceback" not in text and "locals" not in text and "│" not in text
    assert "\x1b" not in text and "\\x1bcRESET" in text and "\\x1b[31mRED" in text
    assert server.returncode in (0, 128 + stop, 128 + signal.SIGTERM) and "CancelledError" not in text
    assert len(text) < 4000


