"""What reading a text costs `claim similar`'s model of meaning (verity.meaning), by itself.

    python -m benchmarks.similar_read [--data DIR] [--repeat N]

On the claims of the CLEF-2020 CheckThat! Task 2 data (their text and note, as verity reads a
claim): how long loading the model takes, then the median time to read one text of 250, 500
and 1,000 characters alone, and twenty claims at once (a look-up's candidates), per text.
Then, for each way the engine's idle threads may wait — a short spin (verity's
GOMP_SPINCOUNT, `verity.meaning.SPIN`), libgomp's own default, passively
(OMP_WAIT_POLICY=PASSIVE) and spinning (ACTIVE) —: one process reading tweet-sized texts
one at a time (as a look-up reads its query), and two processes reading other claims each,
twenty at a time, started together, against one process alone. The two overlap for most of
their reading, not all of it: each loads the model and the data first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .similar import DEFAULT_DATA, load_claims

BATCH = 20


def texts(data: Path) -> list[str]:
    from verity import similar

    return [similar.claim_meaning(text, None, title or None) for _key, text, title in load_claims(data)]


def batches_ms(data: Path, first: int, count: int) -> float:
    """Per text, reading `count` claims from the `first`, BATCH at a time, in this process."""
    from verity import meaning

    model = meaning.Meaning()
    chosen = texts(data)[first:first + count]
    started = time.perf_counter()
    for start in range(0, len(chosen), BATCH):
        model.vectors(chosen[start:start + BATCH])
    return (time.perf_counter() - started) / len(chosen) * 1000


def alone_ms(data: Path, count: int) -> float:
    """Median time to read one text of a tweet's length (a claim's first 200 characters), one at a time."""
    from verity import meaning

    model = meaning.Meaning()
    model.vectors(["a"])
    times = []
    for text in texts(data)[:count]:
        started = time.perf_counter()
        model.vectors([text[:200] + " "])
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


# How the engine's threads wait: verity's way (nothing set), and what a user may set instead.
WAITS = {"a short spin (verity's)": {}, "libgomp's default": {"GOMP_SPINCOUNT": "300000"},
         "passive": {"OMP_WAIT_POLICY": "PASSIVE"}, "active": {"OMP_WAIT_POLICY": "ACTIVE"}}


def run_in(env: dict, call: str, *args) -> subprocess.Popen:
    """`call(data, *ints)` of this module in a process of its own, the engine's waiting as `env` says."""
    code = ("import sys; from pathlib import Path; from benchmarks import similar_read as s; "
            f"print(s.{call}(Path(sys.argv[1]), *map(int, sys.argv[2:])))")
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], env={**clean, **env},
                            stdout=subprocess.PIPE, text=True)


def result(run: subprocess.Popen) -> float:
    return float(run.communicate()[0])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.similar_read", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"the CLEF-2020 data (default {DEFAULT_DATA})")
    parser.add_argument("--repeat", type=int, default=5, help="readings of each length (default 5)")
    args = parser.parse_args(argv)
    if not (args.data / "verified_claims.docs.tsv").exists():
        print(f"skipped: no CLEF-2020 CheckThat! Task 2 data at {args.data} (see its README; or pass --data DIR)")
        return 0
    from verity import meaning

    started = time.perf_counter()
    model = meaning.Meaning()
    model.vectors(["a"])
    print(f"python -m benchmarks.similar_read: {meaning.MODEL}; loading it and reading a first text "
          f"{time.perf_counter() - started:.2f} s")
    running = " ".join(texts(args.data))
    for length in (250, 500, meaning.LONGEST):
        times = []
        for i in range(args.repeat):
            text = running[i * 2 * length:i * 2 * length + length]
            started = time.perf_counter()
            model.vectors([text])
            times.append((time.perf_counter() - started) * 1000)
        print(f"one text of {length:,} characters, alone: {statistics.median(times):.0f} ms (median of {args.repeat})")
    count = 10 * BATCH
    print(f"\nby how the engine's idle threads wait: a tweet-sized text read alone (median of 100), and {count} "
          f"claims read {BATCH} at a time, per claim, in one process and in each of two at once")
    print(f"{'':<26}{'a tweet, alone':>16}{'one process':>16}{'two at once':>26}")
    for name, env in WAITS.items():
        single = result(run_in(env, "alone_ms", args.data, 100))
        alone = result(run_in(env, "batches_ms", args.data, 0, count))
        runs = [run_in(env, "batches_ms", args.data, first, count) for first in (0, count)]
        both = statistics.mean(result(run) for run in runs)
        print(f"{name:<26}{single:>13.1f} ms{alone:>13.1f} ms{both:>16.1f} ms ({both / alone:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
