"""A long JSONL file is read as a stream: memory stays flat however many lines it has."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from support import write_lines

from verity.importer import import_file, records
from verity.store import Store

MB = 1 << 20


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


@pytest.mark.slow
def test_python_memory_does_not_grow_with_the_number_of_lines(tmp_path, monkeypatch):
    # Small batches, so that both runs fill the batch of staged stances many times over.
    monkeypatch.setattr(records, "BATCH", 500)
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
    print(peak_kb(), file=sys.stderr)
"""


@pytest.mark.slow
def test_a_large_import_stays_within_a_memory_bound(tmp_path):
    lines = write_lines(tmp_path / "big.jsonl", 60_000, claims=2_000, sources=100)
    result = subprocess.run([sys.executable, "-c", RSS_SCRIPT, str(tmp_path / "big.db"), str(lines)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Imported 100 sources, 2,000 claims, 60,000 stances" in result.stderr
    peak_kb = int(result.stderr.strip().splitlines()[-1])
    assert peak_kb * 1024 < 160 * MB, f"peak RSS {peak_kb / 1024:.0f} MB"
