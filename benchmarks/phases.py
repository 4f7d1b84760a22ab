"""Where an import's time goes: one import of the benchmark data in this process, timed by phase.

    python -m benchmarks.phases            # 1m stances (generated first if need be)
    python -m benchmarks.phases --size 100k

Not a benchmark against a peer (see `python -m benchmarks`): it wraps the
importer's steps with timers to show what the whole-command figure is made of —
the stream (reading and checking on one thread while the other writes), the
writer thread's own time inserting and feeding the full-text index, the index
builds, the refresh and the commit. Prints seconds per phase.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

from .generate import ensure, parse_size, size_label


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.phases", description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="1m", help="stances: 10k, 100k or 1m (default 1m)")
    args = parser.parse_args(argv)
    size = parse_size(args.size)
    data = ensure(size)[0] / "verity.jsonl"

    from verity import bulk, importer
    from verity.store import Store

    spent: dict[str, float] = {}

    def timed(owner, name: str, label: str) -> None:
        original = getattr(owner, name)

        def wrapper(*a, **k):
            start = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - start
        setattr(owner, name, wrapper)

    marks: dict[str, float] = {}
    begin, finish = importer.Importer.begin, importer.Importer.finish

    def mark_begin(self):
        begin(self)
        marks["stream"] = time.perf_counter()

    def mark_finish(self, *a, **k):
        marks["finish"] = time.perf_counter()
        return finish(self, *a, **k)

    importer.Importer.begin, importer.Importer.finish = mark_begin, mark_finish
    timed(importer.Importer, "close", "writing what was still queued")
    timed(bulk.BackgroundWriter, "_feed", "writer thread: feeding the full-text index")
    for method in ("_insert", "_insert_keyed", "_insert_claims"):
        timed(bulk.BackgroundWriter, method, "writer thread: inserting (and feeding)")
    timed(Store, "_bulk_resume_upkeep", "building the stance indexes")
    timed(Store, "_refresh", "the refresh")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "phases.db"
        started = time.perf_counter()
        store = Store.create(path)
        transaction = store.transaction

        @contextlib.contextmanager
        def timed_transaction():
            with transaction():
                yield
                marks["commit"] = time.perf_counter()
        store.transaction = timed_transaction
        with store._without_wal():  # as 'verity import' fills a file it creates
            summary = importer.import_file(store, data)
            committed = time.perf_counter()
        walled = time.perf_counter()
        store.close()
        closed = time.perf_counter()

    inserting = spent.pop("writer thread: inserting (and feeding)", 0.0)
    feeding = spent.get("writer thread: feeding the full-text index", 0.0)
    print(f"import of {size_label(size)} stances ({summary.stances:,}) in one process, by phase:")
    rows = [
        ("creating the database", marks["stream"] - started),
        ("the stream: reading and checking (a large file: in a second process) while the writer thread writes", marks["finish"] - marks["stream"]),
        ("  writer thread: inserting", inserting - feeding),
        ("  writer thread: feeding the full-text index", feeding),
        ("writing what was still queued", spent["writing what was still queued"]),
        ("building the stance indexes", spent["building the stance indexes"]),
        ("the refresh", spent["the refresh"]),
        ("COMMIT", committed - marks["commit"]),
        ("back to WAL mode", walled - committed),
        ("closing", closed - walled),
        ("total", closed - started),
    ]
    for label, seconds in rows:
        print(f"  {seconds:7.2f} s  {label}")


if __name__ == "__main__":
    main()
