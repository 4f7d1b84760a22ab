"""What refusing a key twice in one object costs an import, beside the same reading without it.

    python -m benchmarks.duplicate_keys --size 1m [--repeat 3]

On the benchmark data of that size (`benchmarks.generate`), in one process, alternated:

- **JSONL**: verity's reader (`verity.jsonl.read_jsonl`) over `verity.jsonl`, as it is, and
  with the check made free (its two counts replaced by functions that return 0);
- **JSON document**: the same records as one document, parsed as an import parses one
  (`json.loads` with `verity.formats.unique_keys`), and without the hook.

Prints the medians and the difference; docs/performance.md compares them with the import's
time from `python -m benchmarks --sizes 1m --only import` in the same session.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Callable

from verity import jsonl
from verity.formats import unique_keys

from .generate import ensure, parse_size, size_label


def _read_all(path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in jsonl.read_jsonl(handle))


def _without_check(run: Callable[[], object]) -> Callable[[], object]:
    def unchecked():
        ends, count = jsonl._key_ends, jsonl._key_count  # noqa: SLF001 (the benchmark turns the check off)
        jsonl._key_ends = jsonl._key_count = lambda _value: 0  # noqa: SLF001
        try:
            return run()
        finally:
            jsonl._key_ends, jsonl._key_count = ends, count  # noqa: SLF001

    return unchecked


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1m")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    folder, _manifest = ensure(parse_size(args.size))
    path = folder / "verity.jsonl"
    with open(path, "rb") as handle:
        document = json.dumps({"verity": 2, "records": [json.loads(line) for line in handle]})
    runs = {
        "jsonl, checked": lambda: _read_all(path),
        "jsonl, unchecked": _without_check(lambda: _read_all(path)),
        "json document, checked": lambda: json.loads(document, object_pairs_hook=unique_keys),
        "json document, unchecked": lambda: json.loads(document),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeat):
        for name, run in runs.items():
            times[name].append(_timed(run))
    print(f"duplicate-key check at {size_label(parse_size(args.size))}, medians of {args.repeat} runs")
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        print(f"  {name:26} {median:7.2f} s")
    for kind in ("jsonl", "json document"):
        cost = medians[f"{kind}, checked"] - medians[f"{kind}, unchecked"]
        print(f"  {kind}: the check costs {cost:.2f} s")


if __name__ == "__main__":
    main()
