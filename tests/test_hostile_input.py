"""Files and paths a careless or hostile user may give verity: each refused in one plain line
(or, where the file is fine, accepted), nothing written. See docs/import-export.md, "What verity
refuses, and why"."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from support import EXAMPLE_DB


def run(*args: str, user=None, cwd=None, timeout=60) -> subprocess.CompletedProcess:
    """verity in a process of its own; as another `user` (a uid) through setpriv, which leaves
    the interpreter reachable where subprocess's own switch of user does not."""
    env = {**os.environ, "VERITY_USER": "tester"}
    command = [sys.executable, "-m", "verity", *map(str, args)]
    if user is not None:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)


def one_line(result) -> str:
    """The one line on stderr of a refusal (exit code not 0, no traceback)."""
    assert result.exit_code != 0 if hasattr(result, "exit_code") else result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def files_of(db: Path) -> tuple[bytes, bytes]:
    """The database's bytes and its write-ahead log's: what it holds. (A reader in WAL mode may
    leave an empty -wal and an -shm index behind: no content.)"""
    wal = Path(str(db) + "-wal")
    return db.read_bytes(), wal.read_bytes() if wal.exists() else b""


@pytest.fixture
def balti(balti_db):
    return balti_db


def refused(cli, db: Path, path: Path, content, *args) -> str:
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    before = files_of(db)
    result = cli("--db", db, "import", path, *args)
    line = one_line(result)
    assert files_of(db) == before
    return line


# -- point 4: import files ------------------------------------------------------------------------


def test_half_a_character_is_refused_in_every_format(cli, balti, tmp_path):
    line = refused(cli, balti, tmp_path / "a.json", '{"verity": 1, "sources": [{"name": "x\\udfffy"}]}')
    assert "half of a character" in line and "$.sources[0].name" in line
    line = refused(cli, balti, tmp_path / "a.jsonl", '{"type": "source", "name": "ok", "note": "x\\udfffy"}\n')
    assert "half of a character" in line and "line 1" in line
    review = {"@context": "https://schema.org", "@type": "ClaimReview", "claimReviewed": "x\udfffy",
              "reviewRating": {"@type": "Rating", "alternateName": "False"}}
    line = refused(cli, balti, tmp_path / "a.jsonld", json.dumps(review))
    assert "half of a character" in line


@pytest.mark.parametrize("name, text", [
    ("deep.json", "[" * 100_000),
    ("deep.jsonld", '{"@context": "https://schema.org", "@type": "ClaimReview", "x": ' + "[" * 100_000),
    ("deep.jsonl", '{"type": "source", "name": ' + "[" * 100_000 + "\n"),
    ("deep2.jsonl", '{"type": "source", "name": "x", "note": ' + "[" * 1_000 + "]" * 1_000 + "}\n"),
    ("deep3.json", '{"verity": 1, "sources": ' + "[" * 100_000 + "]" * 100_000 + "}"),
])
def test_deep_nesting_is_refused(cli, balti, tmp_path, name, text):
    line = refused(cli, balti, tmp_path / name, text)
    assert "nested" in line or "expected" in line


def test_an_open_quote_in_a_csv_is_refused_at_the_line_it_opened(cli, balti, tmp_path):
    text = ('claim,source,position,quote\n'
            'balti-was-killed,TTP spokesman,denies,fine\n'
            'balti-was-killed,TTP spokesman,affirms,"never closed\n'
            'balti-was-killed,TTP spokesman,denies,swallowed\n'
            'balti-was-killed,TTP spokesman,neutral,swallowed too\n')
    line = refused(cli, balti, tmp_path / "open.csv", text)
    assert "never closed" in line and "line 3" in line


def test_jsonl_with_a_byte_order_mark_is_read_as_json_with_one_is(cli, balti, tmp_path):
    bom = "\ufeff".encode()
    (tmp_path / "bom.jsonl").write_bytes(bom + b'{"type": "source", "name": "Marked source"}\n')
    (tmp_path / "bom.json").write_bytes(bom + b'{"verity": 1, "sources": [{"name": "Marked document"}]}')
    for name in ("bom.jsonl", "bom.json"):
        result = cli("--db", balti, "import", tmp_path / name)
        assert result.exit_code == 0, result.stderr
        assert "Imported 1 source" in result.stderr


@pytest.mark.parametrize("name, text", [
    ("twice.json", '{"verity": 1, "sources": [{"name": "First", "name": "Second"}]}'),
    ("twice-top.json", '{"verity": 1, "sources": [], "sources": [{"name": "Second"}]}'),
    ("twice.jsonl", '{"type": "source", "name": "First", "name": "Second"}\n'),
    ("twice-spaced.jsonl", '{"type": "source", "name" : "First", "name"\t:"Second"}\n'),
    ("twice-nested.jsonl", '{"type": "stance", "claim": "balti-was-killed", "source": "TTP spokesman", '
                           '"position": "denies", "retracted": {"reason": "a", "reason": "b"}}\n'),
    ("twice.jsonld", '{"@context": "https://schema.org", "@type": "ClaimReview", "claimReviewed": "a", '
                     '"claimReviewed": "b"}'),
])
def test_a_key_twice_in_one_object_is_refused(cli, balti, tmp_path, name, text):
    line = refused(cli, balti, tmp_path / name, text)
    assert "appears twice" in line


def test_a_colon_inside_a_quoted_value_is_no_second_key(cli, balti, tmp_path):
    path = tmp_path / "colons.jsonl"
    path.write_text(json.dumps({"type": "source", "name": "Colon \":\" source", "note": 'said "x": y'}) + "\n")
    result = cli("--db", balti, "import", path)
    assert result.exit_code == 0, result.stderr


TEXT_FIELDS = {
    "source": {"name": "S", "kind": "k", "affiliation": "a", "url": "https://x.org", "note": "n", "desk": "d"},
    "claim": {"key": "k", "text": "t", "subject": "s", "tags": ["t"], "note": "n", "ruling": "false",
              "ruling_explanation": "e", "ruled_by": "r"},
    "stance": {"claim": "balti-was-killed", "source": "TTP spokesman", "position": "denies", "quote": "q",
               "url": "https://x.org", "via": "v", "note": "n", "logged_by": "l"},
}


@pytest.mark.parametrize("kind, field", [(kind, field) for kind, fields in TEXT_FIELDS.items() for field in fields])
def test_a_nul_character_is_refused_in_every_text_field(cli, balti, tmp_path, kind, field):
    record = {"type": kind, **TEXT_FIELDS[kind]}
    record[field] = ["x\u0000y"] if field == "tags" else "x\u0000y"
    path = tmp_path / "nul.jsonl"
    path.write_text(json.dumps(record) + "\n")
    before = files_of(balti)
    result = cli("--db", balti, "import", path)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    # the first problem said is the NUL (a claim or source named with one is then also not found)
    first = result.stderr.splitlines()[1 if result.stderr.startswith("Error: 2 problems") else 0]
    assert "NUL" in first or "control character" in first
    assert files_of(balti) == before


def test_a_nul_character_is_refused_in_a_csv_cell_and_a_retraction(cli, balti, tmp_path):
    line = refused(cli, balti, tmp_path / "nul.csv", b"claim,source,position,quote\n"
                   b"balti-was-killed,TTP spokesman,denies,a\x00b\n")
    assert "NUL" in line and "line 2" in line
    record = {"type": "stance", **TEXT_FIELDS["stance"], "retracted": {"reason": "a\u0000b"}}
    assert "NUL" in refused(cli, balti, tmp_path / "nul2.jsonl", json.dumps(record) + "\n")


# -- point 6: --output is never the database ------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
@pytest.mark.parametrize("command", [["export", "--format", "json"], ["export", "--format", "csv"],
                                     ["datasette-metadata"], ["report"]])
def test_output_is_never_the_open_database_or_its_files(cli, balti, command, suffix):
    target = Path(str(balti) + suffix)
    before = files_of(balti)
    line = one_line(cli("--db", balti, *command, "--output", target))
    assert "over the database" in line
    assert files_of(balti) == before


def test_output_through_a_link_or_another_spelling_is_refused(cli, balti, tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to(balti)
    for target in (link, tmp_path / "." / balti.name, Path(os.path.relpath(balti))):
        line = one_line(cli("--db", balti, "export", "--format", "json", "--output", target))
        assert "over the database" in line
    assert balti.read_bytes() == EXAMPLE_DB.read_bytes()


@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal"])
def test_output_is_never_the_files_beside_a_linked_database(cli, balti, tmp_path, suffix):
    # SQLite keeps a linked database's log beside the file the link leads to, not the link.
    link = tmp_path / "link.db"
    link.symlink_to(balti)
    target = Path(str(balti) + suffix)
    line = one_line(cli("--db", link, "export", "--format", "json", "--output", target))
    assert "over the database" in line
    assert not target.exists() and balti.read_bytes() == EXAMPLE_DB.read_bytes()

# -- point 11: the small ones ----------------------------------------------------------------------


@pytest.mark.parametrize("port", ["99999", "65536", "-1"])
def test_browse_refuses_a_port_outside_the_range(cli, balti, port):
    line = one_line(cli("--db", balti, "browse", "--port", port))
    assert "not a port" in line and "0 for any free port" in line


def test_import_of_a_device_says_so(cli, balti):
    line = one_line(cli("--db", balti, "import", "--format", "jsonl", "/dev/zero"))
    assert "device" in line and "no such file" not in line


@pytest.mark.slow  # runs processes of verity
def test_import_reads_from_a_pipe(cli, balti, tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"printf '%s\\n' '{{\"type\": \"source\", \"name\": \"Piped\"}}' > {fifo}"])
    try:
        result = run("--db", balti, "import", fifo)
    finally:
        writer.wait(timeout=30)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow  # runs processes of verity
def test_import_into_an_existing_empty_file_does_not_make_it_a_database(cli, tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    source = tmp_path / "one.jsonl"
    source.write_text('{"type": "source", "name": "S"}\n')
    line = one_line(cli("--db", empty, "import", source))
    assert "empty file" in line and "init" in line
    assert empty.read_bytes() == b""


@pytest.fixture
def other_user_folder():
    """(a folder anyone may enter, the user to run as): as root, files root can always read
    are unreadable only to another user."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: root reads and writes whatever it likes")
    if os.geteuid() == 0:
        probe = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable,
                                "-c", "import verity"], capture_output=True, text=True)
        if probe.returncode:
            pytest.skip("running as root, and user 65534 cannot run this Python's verity (installed where "
                        "only root may read): " + (probe.stderr.strip().splitlines() or ["?"])[-1])
    folder = Path(tempfile.mkdtemp(prefix="verity-hostile-"))
    folder.chmod(0o777)
    yield folder, (65534 if os.geteuid() == 0 else None)
    shutil.rmtree(folder, ignore_errors=True)


def test_an_unreadable_import_file_gets_verity_s_one_line(other_user_folder):
    folder, user = other_user_folder
    db = folder / "claims.db"
    shutil.copy(EXAMPLE_DB, db)
    db.chmod(0o666)
    secret = folder / "secret.json"
    secret.write_text('{"verity": 1}')
    secret.chmod(0)
    line = one_line(run("--db", db, "import", secret, user=user, cwd=folder))
    assert "cannot read" in line and "permission" in line.lower() and "Usage" not in line


def test_a_read_only_folder_is_not_called_a_damaged_database(other_user_folder):
    folder, user = other_user_folder
    locked = folder / "locked"
    locked.mkdir()
    shutil.copy(EXAMPLE_DB, locked / "claims.db")
    (locked / "claims.db").chmod(0o666)
    locked.chmod(0o555)  # another user may not write in it: SQLite cannot make its -wal and -shm files
    # It is read as read-only media are (docs/getting-started.md); a write says it cannot be made.
    listed = run("--db", locked / "claims.db", "claim", "list", user=user, cwd=folder)
    assert listed.returncode == 0 and "balti-was-killed" in listed.stdout, listed.stderr
    line = one_line(run("--db", locked / "claims.db", "stance", "add", "balti-was-killed", "TTP spokesman", "denies",
                        user=user, cwd=folder))
    assert "read-only" in line and "not a SQLite database" not in line
    assert sorted(p.name for p in locked.iterdir()) == ["claims.db"]


def test_a_said_on_date_in_the_future_warns(cli, balti):
    result = cli("--db", balti, "stance", "add", "balti-was-killed", "TTP spokesman", "denies",
                 "--said-on", "2999-01-01")
    assert result.exit_code == 0
    assert "Warning: --said-on 2999-01-01 is in the future" in result.stderr
    result = cli("--db", balti, "stance", "add", "balti-was-killed", "TTP spokesman", "affirms",
                 "--said-on", "2022-01-12")
    assert "Warning" not in result.stderr


@pytest.mark.parametrize("url, warned", [("not a url", True), ("www.dawn.com/news/1", True), ("dawn", True),
                                         ("https://www.dawn.com/news/1", False), ("http://x.org", False),
                                         ("mailto:desk@example.org", False)])
def test_a_url_that_is_no_absolute_address_warns(cli, balti, url, warned):
    result = cli("--db", balti, "stance", "add", "balti-was-killed", "TTP spokesman", "neutral", "--url", url)
    assert result.exit_code == 0
    assert ("Warning: --url" in result.stderr) == warned
    result = cli("--db", balti, "source", "add", f"Source at {url}", "--url", url)
    assert result.exit_code == 0
    assert ("Warning: --url" in result.stderr) == warned
