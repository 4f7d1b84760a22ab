"""What one round of `verity assess`'s EM would cost in plain Python, to decide whether numpy is needed.

    python -m benchmarks.pure_python_round DATABASE

Reads the counted stances of a verity database (as `verity assess` does) and times one
E-step and the per-source M-step sums in plain Python, the smallest part of one round of
the model (no pools, no origins, no questions, no leave-one-out), against the same round
done by verity.truth's numpy model as a whole (every round, every part) on the same stances.
"""

from __future__ import annotations

import collections
import math
import sys
import time

from verity.assess import assess
from verity.reconcile import VALUES
from verity.store import Store


def main(argv=None) -> int:
    (path,) = argv if argv is not None else sys.argv[1:]
    with Store.open(path) as store:
        data = store.assessment_input()
        stances = [row for chunk in data.stances for row in chunk]
        claims = [c for c, _, _ in stances]
        sources = [s for _, s, _ in stances]
        values = [VALUES[p] for _, _, p in stances]
        rel = collections.defaultdict(lambda: 0.7)
        start = time.perf_counter()
        score: dict = collections.defaultdict(float)
        for c, s, v in zip(claims, sources, values):
            if v:
                r = rel[s]
                score[c] += v * math.log(r / (1 - r))
        p = {c: 1 / (1 + math.exp(-x)) for c, x in score.items()}
        right: dict = collections.defaultdict(float)
        total: dict = collections.defaultdict(float)
        for c, s, v in zip(claims, sources, values):
            if v:
                q = p[c]
                right[s] += abs(v) * (q if v > 0 else 1 - q)
                total[s] += abs(v)
        one_round = time.perf_counter() - start
        start = time.perf_counter()
        desk = assess(store)
        whole = time.perf_counter() - start
    print(f"{len(stances):,} counted stances: one plain-Python EM round (E-step and M-step sums only) "
          f"{one_round:.2f} s; verity assess's numpy model, reading included, {whole:.2f} s for all "
          f"{desk.fit.rounds} rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
