"""verity export: JSON and JSONL hold everything, and come back identical through an import."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import EXAMPLE_JSON

from verity.formats import document_of, dumps, write_document, write_jsonl
from verity.importer import fold, import_records
from verity.models import POSITIONS, RULINGS, Claim, Retraction, Source, Stance
from verity.store import Store


@pytest.fixture
def worked(cli, db_path):
    """The Balti case plus what only the command line makes: a dated ruling and a retraction with its author."""
    assert cli("import", str(EXAMPLE_JSON)).exit_code == 0
    assert cli("claim", "rule", "balti-killed-on-9-january-2022", "mostly-false",
               "--explanation", "Only one source gives the date").exit_code == 0
    stance = cli("stance", "add", "balti-was-killed", "Amir Rana", "partially-affirms",
                 "--quote", "It seems \"likely\"\nthough unconfirmed", "--said-on", "2022-01-15T10:30:00+05:00")
    assert stance.exit_code == 0
    assert cli("stance", "retract", stance.stdout.strip(), "--reason", "misheard on the radio").exit_code == 0
    return db_path


def export(cli, *args) -> str:
    result = cli("export", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def reconcile(cli) -> str:
    result = cli("reconcile", "--json")
    assert result.exit_code == 0
    return result.stdout


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_export_import_export_gives_the_identical_document(cli, worked, tmp_path, fmt):
    first = export(cli, "--format", fmt)
    reconciled = reconcile(cli)
    exported = tmp_path / f"out.{fmt}"
    exported.write_text(first, encoding="utf-8")
    copy = tmp_path / "copy.db"
    result = cli("--db", copy, "import", exported)
    assert result.exit_code == 0, result.stderr
    again = cli("--db", copy, "export", "--format", fmt)
    assert again.stdout == first
    assert cli("--db", copy, "reconcile", "--json").stdout == reconciled


def test_json_and_jsonl_hold_the_same_records(cli, worked, tmp_path):
    document = json.loads(export(cli))
    lines = [json.loads(line) for line in export(cli, "--format", "jsonl").splitlines()]
    parts = ("questions", "sources", "claims", "stances", "changes")
    assert [line.pop("type") for line in lines] == [part[:-1] for part in parts for _ in document[part]]
    assert lines == [record for part in parts for record in document[part]]


def test_the_export_holds_what_only_the_database_knows(cli, worked):
    document = json.loads(export(cli))
    assert document["verity"] == 2
    ruled = next(c for c in document["claims"] if c["key"] == "balti-killed-on-9-january-2022")
    assert ruled["ruling"] == "mostly-false" and ruled["ruled_by"] == "tester" and ruled["ruled_at"]
    last = document["stances"][-1]
    assert last["logged_by"] == "tester" and last["logged_at"]
    assert last["said_on"] == "2022-01-15T05:30:00Z"  # given as 10:30:00+05:00: stored in UTC
    assert last["retracted"]["reason"] == "misheard on the radio" and last["retracted"]["by"] == "tester"
    assert last["quote"] == 'It seems "likely"\nthough unconfirmed'
    assert set(document["stances"][0]) == {"claim", "source", "position", "quote", "url", "said_on", "via",
                                          "note", "logged_at", "logged_by", "retracted", "uid", "desk"}
    assert set(last["retracted"]) == {"reason", "at", "by", "on"}
    # The history: the ruling and the retraction, each a change with who, when and what.
    assert [(c["action"], c["record_type"], c["by"]) for c in document["changes"]][-2:] == [
        ("rule", "claim", "tester"), ("retract", "stance", "tester")]
    assert ruled["rulings"][-1]["ruling"] == "mostly-false" and ruled["aliases"] == []


def test_streamed_json_is_the_same_text_as_the_document(worked):
    with Store.open(worked) as store:
        out = io.StringIO()
        counts = write_document(store, out)
        assert out.getvalue() == dumps(document_of(store)) + "\n"
    assert counts == {"questions": 0, "sources": 14, "claims": 17, "stances": 34, "changes": 6}


def test_an_empty_database_exports_an_empty_document(cli, db_path):
    cli("init")
    assert json.loads(export(cli)) == {"verity": 2, "questions": [], "sources": [], "claims": [], "stances": [],
                                       "changes": []}
    with Store.open(db_path) as store:
        assert export(cli) == dumps(document_of(store)) + "\n"
    assert export(cli, "--format", "jsonl") == ""


def test_messages_count_one_record_in_the_singular(cli, db_path, tmp_path):
    cli("init")
    cli("source", "add", "S")
    cli("claim", "add", "A strike hit a house", "--key", "k")
    cli("stance", "add", "k", "S", "denies")
    target = tmp_path / "one.json"
    assert cli("export", "--output", target).stderr == f"Wrote 1 source, 1 claim, 1 stance to {target}.\n"
    report = cli("report", "--format", "csv", "--output", tmp_path / "r.csv").stderr
    assert report.startswith(f"Wrote {tmp_path / 'r.csv'} (csv, 1 claim, ") and report.endswith(" bytes).\n")

def test_output_file(cli, worked, tmp_path):
    target = tmp_path / "out.jsonl"
    result = cli("export", "--format", "jsonl", "--output", target)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == f"Wrote 14 sources, 17 claims, 34 stances to {target}.\n"
    assert target.read_text() == export(cli, "--format", "jsonl")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_output_into_a_missing_folder_is_one_line(cli, worked, tmp_path):
    result = cli("export", "--output", tmp_path / "no" / "out.json")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: cannot write {tmp_path / 'no' / 'out.json'}: folder {tmp_path / 'no'} does not exist; "
        "create it or choose another --output"]


def test_output_through_a_link_writes_the_file_it_names_and_keeps_the_link(cli, worked, tmp_path):
    (tmp_path / "exports").mkdir()
    real = tmp_path / "exports" / "latest.jsonl"
    real.write_text("old\n")
    link = tmp_path / "latest.jsonl"
    link.symlink_to(real)
    assert cli("export", "--format", "jsonl", "--output", link).exit_code == 0
    assert link.is_symlink() and real.read_text() == export(cli, "--format", "jsonl")


def test_output_through_a_link_checks_the_folder_it_writes_in(cli, worked, tmp_path):
    dangling = tmp_path / "latest.json"
    dangling.symlink_to(tmp_path / "no" / "such" / "latest.json")
    result = cli("export", "--output", dangling)
    assert (result.exit_code, result.stderr) == (1, f"Error: cannot write {tmp_path / 'no' / 'such' / 'latest.json'}: "
                                                    f"folder {tmp_path / 'no' / 'such'} does not exist; create it or "
                                                    "choose another --output\n")


@pytest.mark.slow  # runs processes of verity
@pytest.mark.skipif(not os.path.exists("/dev/stdout"), reason="needs /dev/stdout")
def test_output_dev_stdout_appends_where_stdout_appends(db_path, worked, tmp_path):
    import subprocess
    import sys

    log = tmp_path / "log.csv"
    log.write_text("kept\n")
    with open(log, "a") as appended:  # as `>> log.csv` opens it
        process = subprocess.run([sys.executable, "-m", "verity", "--db", str(db_path), "export", "--format", "csv",
                                  "--output", "/dev/stdout"], stdout=appended, stderr=subprocess.PIPE, text=True,
                                 timeout=60)
    assert process.returncode == 0, process.stderr
    assert log.read_text().startswith("kept\nclaim,source,position,")
    assert os.path.islink("/dev/stdout")


@pytest.mark.slow  # processes of verity
@pytest.mark.skipif(not os.path.exists("/dev/stdout"), reason="needs /dev/stdout")
def test_output_dev_stdout_into_a_closed_pipe_stops_quietly_as_stdout_does(db_path, worked):
    import subprocess
    import sys

    for output in (["export", "--format", "jsonl"], ["export", "--format", "jsonl", "--output", "/dev/stdout"],
                   ["report"]):
        process = subprocess.Popen([sys.executable, "-m", "verity", "--db", str(db_path), *output],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        process.stdout.close()  # `| head -c 0`: the reader is gone before anything is written
        _out, err = process.communicate(timeout=60)
        assert (process.returncode, err) == (0, ""), (output, err)


@pytest.mark.slow  # processes of verity
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full, a device that is always full")
def test_stdout_on_a_full_disk_is_one_line(db_path, worked):
    import subprocess
    import sys

    # (--output into a device is not tried here: a regression would, as root, put a file in
    # /dev/full's place. The named pipe below takes that path.)
    with open("/dev/full", "w") as full:
        for args in (["export"], ["claim", "list", "--json"], ["reconcile", "--json"]):
            process = subprocess.run([sys.executable, "-m", "verity", "--db", str(db_path), *args], stdout=full,
                                     stderr=subprocess.PIPE, text=True, timeout=60)
            assert (process.returncode, process.stderr) == (
                1, "Error: cannot write the output: No space left on device (any change the command made to "
                   "the database stands); make room, or send the output elsewhere\n")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_output_into_a_named_pipe_streams_to_its_reader_and_stays_a_pipe(cli, worked, tmp_path):
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    result = cli("report", "--output", fifo)
    reader.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert got and got[0].startswith("# Contradiction report") and fifo.exists() and not fifo.is_file()


# -- any database comes back as it was -----------------------------------------------------------

_text = st.text(alphabet=string.ascii_letters + string.digits + " éü’\"\\\n\t—", min_size=1, max_size=12)
_optional = st.none() | _text
# Names and affiliations may not hold control characters (newlines, tabs).
_name = st.text(alphabet=string.ascii_letters + string.digits + " éü’\"\\—", min_size=1, max_size=12)
_when = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1))
_date = _when.map(lambda d: d.date().isoformat()) | _when.map(lambda d: d.isoformat(timespec="seconds") + "Z")
_stamp = _when.map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


@st.composite
def databases(draw):
    names = draw(st.lists(_name.filter(lambda t: t.strip() and not t.strip().isdigit()), min_size=1, max_size=5,
                          unique_by=lambda t: fold(t.strip())))
    sources = [Source(name=name, kind=draw(_optional), affiliation=draw(st.none() | _name),
                      reliability=draw(st.none() | st.sampled_from("ABCDEF")), url=draw(_optional),
                      note=draw(_optional)) for name in names]
    keys = draw(st.lists(st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4}){0,2}", fullmatch=True),
                         min_size=1, max_size=4, unique=True))
    claims = []
    for key in keys:
        ruling = draw(st.none() | st.sampled_from(RULINGS))
        claims.append(Claim(text=draw(_text.filter(str.strip)), key=key, subject=draw(_optional),
                            tags=tuple(draw(st.lists(_text.filter(str.strip), max_size=3))),
                            note=draw(_optional), ruling=ruling,
                            ruling_explanation=draw(_optional) if ruling else None,
                            ruled_at=draw(st.none() | _stamp) if ruling else None,
                            ruled_by=draw(_optional) if ruling else None))
    stances = []
    for _ in range(draw(st.integers(0, 8))):
        retracted = draw(st.none() | st.builds(Retraction, reason=_text.filter(str.strip), at=_stamp,
                                                by=_optional))
        stances.append(Stance(claim=draw(st.sampled_from(claims)).key, source=draw(st.sampled_from(sources)).name,
                              position=draw(st.sampled_from(POSITIONS)), quote=draw(_optional),
                              url=draw(_optional), said_on=draw(st.none() | _date), via=draw(_optional),
                              note=draw(_optional), logged_at=draw(_stamp), logged_by=draw(_optional),
                              retracted=retracted))
    return sources, claims, stances


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=databases())
def test_any_database_survives_the_round_trip(tmp_path_factory, records):
    from verity.importer import run_import
    from verity.jsonl import read_jsonl

    folder = tmp_path_factory.mktemp("round")
    with Store.create(folder / "a.db") as first:
        import_records(first, *records)
        text = dumps(document_of(first)) + "\n"
        lines = io.StringIO()
        write_jsonl(first, lines)
        reconciled = list(first.reconciliations())
    with Store.create(folder / "b.db") as second:
        run_import(second, read_jsonl(io.BytesIO(lines.getvalue().encode())))
        out = io.StringIO()
        write_document(second, out)
        assert out.getvalue() == text
        assert list(second.reconciliations()) == reconciled
