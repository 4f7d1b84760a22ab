"""Large databases: the report streams, its memory stays bounded, progress shows on a terminal."""

from __future__ import annotations

import gc
import os
import pty
import random
import subprocess
import sys
import threading
import tracemalloc

import pytest

from verity.reports import Report
from verity.store import Store

# Every test here streams reports of a large database, built once: slow, out of the quick run.
pytestmark = pytest.mark.slow

CLAIMS = 2500  # enough for a progress bar (cli/report.py PROGRESS_FROM) and a multi-megabyte report
SOURCES = 40
POSITIONS = ("affirms", "partially-affirms", "neutral", "partially-denies", "denies")


def build_large(path, claims: int = CLAIMS, sources: int = SOURCES, per_claim: int = 3, seed: int = 7) -> None:
    """A database of many claims, written straight into the tables and reconciled in one pass."""
    rnd = random.Random(seed)
    with Store.create(path) as store:
        with store.transaction():
            store.conn.executemany(
                "INSERT INTO sources (id, name, affiliation, reliability) VALUES (?, ?, ?, ?)",
                [(i, f"Source {i}", f"Outlet {i % 12}" if i % 3 else None, "ABCDEF"[i % 6])
                 for i in range(1, sources + 1)],
            )
            store.conn.executemany(
                "INSERT INTO claims (id, key, text) VALUES (?, ?, ?)",
                [(i, f"claim-{i:06d}", f"Claim number {i} happened as reported") for i in range(1, claims + 1)],
            )
            store.conn.executemany(
                "INSERT INTO stances (claim_id, source_id, position, quote, said_on, via, logged_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(c, rnd.randint(1, sources), rnd.choice(POSITIONS), f"Quote {c}.{k}",
                  f"2022-01-{k + 1:02d}", "Wire", "2022-02-01T00:00:00Z")
                 for c in range(1, claims + 1) for k in range(per_claim)],
            )
        store.rebuild_reconciliations()


@pytest.fixture(scope="module")
def large_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("large") / "large.db"
    build_large(path)
    return path


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_the_summary_comes_before_any_claim_is_read(large_db, fmt):
    reads = []
    with Store.open(large_db) as store:
        chunks = Report(store, on_claim=lambda: reads.append(1)).render(fmt)
        before = ""
        for chunk in chunks:
            if reads:
                after = chunk
                break
            before += chunk
        # the whole summary was written from SQL aggregates, without reading a claim
        assert f"{CLAIMS:,} claims" in before
        assert "Sources most often on opposite sides" in before
        assert "Source " in before.split("Sources most often on opposite sides", 1)[1]
        while "claim-" not in after:
            after += next(chunks)
        assert len(reads) == 1  # the first claim is written as soon as it is read


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_json_and_csv_start_with_the_first_claim(large_db, fmt):
    reads = []
    with Store.open(large_db) as store:
        chunks = Report(store, on_claim=lambda: reads.append(1)).render(fmt)
        first = next(chunks)
        if fmt == "csv":
            assert first.startswith("claim,text,") and reads == []
            first = next(chunks)
        assert "claim-" in first
        assert len(reads) == 1


@pytest.mark.parametrize("fmt", ["markdown", "html", "json", "csv"])
def test_memory_stays_bounded_however_long_the_report(large_db, fmt):
    # tracemalloc slows Jinja several times over: the HTML case reads the contested claims only.
    verdicts = ["contested"] if fmt == "html" else None
    with Store.open(large_db) as store:
        chunks = Report(store, verdicts).render(fmt)
        tracemalloc.start()
        try:
            written = 0
            for chunk in chunks:
                written += len(chunk)
                if written > 200_000 and written - len(chunk) <= 200_000:
                    gc.collect()  # what is still held, not what Python keeps for reuse (free lists)
                    early_held = tracemalloc.get_traced_memory()[0]
            gc.collect()
            late_held, late_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    # Reading the rest of the claims leaves nothing more held than the first few did:
    # nothing accumulates with the number of claims (no list of records, no growing string).
    assert late_held < early_held + 100_000, (early_held, late_held)
    assert late_peak < 1_000_000  # while the markdown, HTML and JSON reports run to megabytes


def test_a_long_report_shows_progress_on_a_terminal(large_db, tmp_path):
    """stderr on a terminal: a progress bar while the file is written, and the report intact."""
    target = tmp_path / "large.md"
    leader, follower = pty.openpty()
    seen = bytearray()

    def read_terminal() -> None:  # as a terminal does, while the command runs: it never blocks writing
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the terminal closed once the command had exited
                return
            if not data:
                return
            seen.extend(data)

    reader = threading.Thread(target=read_terminal, daemon=True)
    reader.start()
    try:
        process = subprocess.run(
            [sys.executable, "-m", "verity", "--db", str(large_db), "report", "--output", str(target)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower, timeout=120,
            env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
        )
    finally:
        os.close(follower)
        reader.join(timeout=10)
        os.close(leader)
    assert process.returncode == 0
    assert process.stdout == b""
    terminal = seen.decode("utf-8", "replace")
    assert "Writing report" in terminal
    assert f"Wrote {target} (markdown, {CLAIMS:,} claims" in terminal
    assert target.read_text(encoding="utf-8").count("\n### claim-") == CLAIMS


def test_no_progress_when_stderr_is_not_a_terminal(cli, large_db, tmp_path):
    target = tmp_path / "large.csv"
    result = cli("--db", large_db, "report", "--output", target)
    assert result.exit_code == 0
    assert result.stderr.startswith(f"Wrote {target} (csv, {CLAIMS:,} claims")
    assert result.stderr.count("\n") == 1
