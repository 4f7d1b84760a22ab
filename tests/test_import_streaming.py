"""A long JSONL file is read as a stream: memory stays flat however many lines it has."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

from verity import importer
from verity.importer import import_file
from verity.store import Store

MB = 1 << 20


def write_lines(path: Path, stances: int, claims: int = 200, sources: int = 40) -> Path:
    """A generated JSONL file: sources, claims, then `stances` stances spread over them."""
    with open(path, "w", encoding="utf-8") as out:
        for i in range(sources):
            out.write(json.dumps({"type": "source", "name": f"Source {i}", "affiliation": f"Group {i % 9}"}) + "\n")
        for i in range(claims):
            out.write(json.dumps({"type": "claim", "key": f"claim-{i}", "text": f"Claim number {i}"}) + "\n")
        positions = ["affirms", "partially-affirms", "neutral", "partially-denies", "denies"]
        for n in range(stances):
            out.write(json.dumps({
                "type": "stance", "claim": f"claim-{n * 7 % claims}", "source": f"Source {n * 13 % sources}",
                "position": positions[n % 5], "quote": f"A quote of some length, number {n}, " * 3,
                "url": f"https://example.org/news/{n}", "said_on": f"2022-01-{1 + n % 28:02d}", "via": "Dawn",
                "logged_at": f"2022-02-01T00:00:00.{n:06d}Z", "logged_by": "desk"}) + "\n")
    return path


def python_peak(tmp_path: Path, stances: int) -> int:
    lines = write_lines(tmp_path / f"{stances}.jsonl", stances)
    with Store.create(tmp_path / f"{stances}.db") as store:
        tracemalloc.start()
        try:
            summary = import_file(store, lines)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert summary.stances == stances
    return peak


def test_python_memory_does_not_grow_with_the_number_of_lines(tmp_path, monkeypatch):
    # Small batches, so that both runs fill every batch in flight to the background writer
    # (the one being filled, those queued, the one being written: verity.bulk) many times over.
    monkeypatch.setattr(importer, "BATCH", 500)
    small = python_peak(tmp_path, 8_000)
    large = python_peak(tmp_path, 40_000)  # five times the lines, the same claims and sources
    assert large < small + 1 * MB, (small, large)
    assert large < (tmp_path / "40000.jsonl").stat().st_size / 4


# The peak resident memory of the importing process itself: VmHWM starts afresh at exec,
# whereas ru_maxrss would count the pytest process it was forked from.
RSS_SCRIPT = """
import resource, sys
from verity.cli import main
sys.argv = ["verity", "--db", sys.argv[1], "import", sys.argv[2]]

def peak_kb():
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

try:
    main()
finally:
    # A large file is read in a second process (verity.readahead): its peak counts too.
    # (At least this process's size when it started, so an upper bound.)
    print(peak_kb() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
"""


def test_a_large_import_stays_within_a_memory_bound(tmp_path):
    lines = write_lines(tmp_path / "big.jsonl", 60_000, claims=2_000, sources=100)
    result = subprocess.run([sys.executable, "-c", RSS_SCRIPT, str(tmp_path / "big.db"), str(lines)],
                            capture_output=True, text=True, env={**os.environ, "VERITY_READAHEAD": "1"})
    assert result.returncode == 0, result.stderr
    assert "Imported 100 sources, 2,000 claims, 60,000 stances" in result.stderr
    peak_kb = int(result.stderr.strip().splitlines()[-1])
    assert peak_kb * 1024 < 160 * MB, f"peak RSS {peak_kb / 1024:.0f} MB, both processes"
