"""What reading a text costs `claim similar`'s model of meaning (verity.meaning), by itself.

    python -m benchmarks.similar_read [--data DIR] [--repeat N]

On the claims of the CLEF-2020 CheckThat! Task 2 data (their text and note, as verity reads a
claim): how long loading the model takes, then the median time to read one text of 250, 500
and 1,000 characters alone, and twenty claims at once (a look-up's candidates), per text;
then two processes reading as many other claims each, started together, with the engine's
threads waiting passively (as verity sets them) and spinning (OMP_WAIT_POLICY=ACTIVE, which
behaves as libgomp's default here), against one process alone. The two overlap for most of
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


def two_at_once(data: Path, count: int, policy: str) -> list[float]:
    """Per text in each of two processes reading different claims at once, OMP_WAIT_POLICY=policy."""
    code = "import sys; from benchmarks.similar_read import batches_ms; from pathlib import Path; " \
           "print(batches_ms(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))"
    env = {**os.environ, "OMP_WAIT_POLICY": policy}
    runs = [subprocess.Popen([sys.executable, "-c", code, str(data), str(first), str(count)], env=env,
                             stdout=subprocess.PIPE, text=True) for first in (0, count)]
    return [float(run.communicate()[0]) for run in runs]


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
    alone = batches_ms(args.data, 0, count)
    print(f"{count} claims, {BATCH} at a time, one process: {alone:.1f} ms a claim")
    for policy in ("PASSIVE", "ACTIVE"):
        both = two_at_once(args.data, count, policy)
        print(f"the same in two processes at once, OMP_WAIT_POLICY={policy}: "
              f"{' and '.join(f'{ms:.1f}' for ms in both)} ms a claim ({statistics.mean(both) / alone:.1f}x one alone)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
