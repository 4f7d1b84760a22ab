"""Run the `truthdiscovery` package's algorithms on one input, inside the venv that
`python -m benchmarks.truth` creates for them (the package pins old attrs, numpy and
click, so it cannot share verity's environment).

    PEER_PYTHON truth_peers.py INPUT.tsv OUTPUT.json [ALGORITHM ...]

INPUT.tsv: `source <TAB> question <TAB> value` lines, at most one value per source and
question. OUTPUT.json: {algorithm: {"seconds": s, "belief": {question: {value: belief}}}}.
"""

import json
import sys
import time


def main(argv):
    from truthdiscovery.algorithm import AverageLog, Investment, PooledInvestment, Sums, TruthFinder
    from truthdiscovery.input.dataset import Dataset

    algorithms = {"Sums": Sums, "AverageLog": AverageLog, "Investment": Investment,
                  "PooledInvestment": PooledInvestment, "TruthFinder": TruthFinder}
    source_path, output_path, *names = argv
    with open(source_path, encoding="utf-8") as f:
        triples = [tuple(line.rstrip("\n").split("\t")) for line in f if line.strip()]
    data = Dataset(triples)
    out = {}
    for name in names or list(algorithms):
        start = time.perf_counter()
        result = algorithms[name]().run(data)
        out[name] = {"seconds": time.perf_counter() - start,
                     "belief": {q: {v: float(b) for v, b in values.items()} for q, values in result.belief.items()}}
    with open(output_path, "w", encoding="utf-8") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1:])
