"""How well `verity assess` finds what is true, on real data, beside its peers in the same run.

    python -m benchmarks.truth                    # Population and Book, 3 supervised splits
    python -m benchmarks.truth --splits 10 --own-ruling 25
    python -m benchmarks.truth --peer-python PATH # a Python that has `truthdiscovery` already

Data: Population (Wikipedia editors' city populations, Pasternack & Roth 2010) and Book
(online bookstores' author lists, Yin et al. 2007) from the shared data folder
(`$VERITY_TRUTH_DATA`, else `../shared/data/truth` beside the repository). Each object is
a **question** and each distinct value one of its **answers** (a claim); a source stating
a value affirms that answer. A source that stated several values for one object: its
latest counts (rule 1; Population has no time stamps, so the last in the file). Book's
author lists are normalised (case, accents, punctuation, order, roles such as "(Author)")
so that one list written two ways is one answer.

Each set is written as a verity JSON document and imported with `verity import`, then
estimated with `verity assess --json`, both as subprocesses, timed. In the same run:

- **majority vote**: the answer most sources state (a tie is a coin toss);
- the `truthdiscovery` package's **Sums, AverageLog, Investment, PooledInvestment and
  TruthFinder** on the same (source, object, value) triples, in a virtual environment of
  their own that this benchmark creates under benchmarks/data/ (the package pins old
  versions of attrs, numpy and click); their time is the algorithm's alone;
- **supervised**: for each of `--splits` random halves of the gold objects, the half is
  given as rulings (the gold answer true, the others false) through verity's store, and
  accuracy is measured on the other half; the peers cannot use rulings, so their row
  is their unsupervised answer on the same halves;
- **a claim's own ruling**: on a supervised database, `--own-ruling` ruled questions are
  re-ruled one at a time (another answer ruled true) and the estimates of their answers
  compared with those before: the largest change must be 0.000 (docs/estimates.md).

Accuracy is over the gold objects present in the data (a tie counts as the chance of
picking right). Brier is the mean squared error of every answer's probability against
1 (the gold answer) or 0; for majority vote the probability is the answer's share of
the votes, and for the peers their beliefs normalised to shares of each object (the
peers do not claim probabilities: read their Brier as a rough guide only).
"""

from __future__ import annotations

import argparse
import collections
import csv
import html
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(__file__).resolve().parent / "data" / "truth"
PEER_VENV = Path(__file__).resolve().parent / "data" / "peer-venv"
PEER_SCRIPT = Path(__file__).resolve().parent / "truth_peers.py"
PEERS = ("Sums", "AverageLog", "Investment", "PooledInvestment", "TruthFinder")
TARGETS = {"Population": 0.85, "Book": 0.90}  # unsupervised accuracy, ahead of every peer


def data_dir() -> Optional[Path]:
    """Where Population and Book are: $VERITY_TRUTH_DATA, else ../shared/data/truth."""
    if os.environ.get("VERITY_TRUTH_DATA"):
        return Path(os.environ["VERITY_TRUTH_DATA"])
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared" / "data" / "truth").is_dir():
            return base / "shared" / "data" / "truth"
    return None


# ---------------------------------------------------------------------------- the data


class DataSet:
    """One set as (source, object, value) triples, one value per source and object, and its gold."""

    def __init__(self, name: str, rows: list, gold: dict):
        latest: dict = {}
        for source, obj, value in rows:  # file order is logging order: the latest counts
            latest[(source, obj)] = value
        self.name = name
        self.triples = [(source, obj, value) for (source, obj), value in latest.items()]
        self.gold = gold
        self.rows = len(rows)

    def answers(self) -> dict:
        """object -> its distinct values, sorted."""
        found = collections.defaultdict(set)
        for _, obj, value in self.triples:
            found[obj].add(value)
        return {obj: sorted(values) for obj, values in sorted(found.items())}

    def gold_present(self) -> list:
        answers = self.answers()
        return sorted(obj for obj in self.gold if obj in answers)


def population(data: Path) -> DataSet:
    rows = []
    with open(data / "population" / "population_claims.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows.append((r["SourceID"], f"{r['ObjectID']} / {r['PropertyID']}", r["PropertyValue"].strip()))
    with open(data / "population" / "population_truth.csv", newline="", encoding="utf-8") as f:
        gold = {f"{r['ObjectID']} / {r['PropertyID']}": r["PropertyValue"].strip() for r in csv.DictReader(f)}
    return DataSet("Population", rows, gold)


# Words in author lists that name a role or say nothing, not a person.
AUTHOR_NOISE = frozenset(
    """author authors auth edt ed eds editor editors edited by and with et al foreword frw preface
    introduction intro translator trans translated illustrator illustrated compiler contributor con
    jr sr ii iii iv phd dr prof mr mrs ms inc na not available unknown none various staff""".split())


def author_tokens(text: str) -> Optional[str]:
    """An author list as the sorted set of its name words (None when nothing is left: no stance)."""
    text = html.unescape(html.unescape(text or ""))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"\([^)]*\)", " ", text)
    text = re.sub(r"['\u2019`]", "", text)
    words = [t for t in re.split(r"[^a-z]+", text) if len(t) > 1 and t not in AUTHOR_NOISE]
    return " ".join(sorted(set(words))) if words else None


def book(data: Path) -> DataSet:
    rows = []
    with open(data / "book" / "book.txt", encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) >= 4 and (value := author_tokens(parts[3])) is not None:
                rows.append((parts[0].strip(), parts[1].strip(), value))
    gold = {}
    with open(data / "book" / "book_golden.txt", encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) >= 2 and parts[0].strip():
                gold[parts[0].strip()] = author_tokens(parts[1])
    return DataSet("Book", rows, gold)


# ---------------------------------------------------------------------------- as verity sees it


class Converted:
    """A data set as a verity document: question keys q1.., answer keys q1-a1..; source names
    kept, told apart when two would match as one name in verity."""

    def __init__(self, dataset: DataSet):
        from verity.names import fold

        self.question_key: dict = {}
        self.claim_key: dict = {}  # (object, value) -> key
        self.value_of: dict = {}  # key -> (object, value)
        for i, (obj, values) in enumerate(dataset.answers().items(), 1):
            self.question_key[obj] = f"q{i}"
            for j, value in enumerate(values, 1):
                key = f"q{i}-a{j}"
                self.claim_key[(obj, value)] = key
                self.value_of[key] = (obj, value)
        self.source_name: dict = {}
        taken: set = set()
        for source in sorted({s for s, _, _ in dataset.triples}):
            name, n = source.strip() or "(unnamed)", 1
            while fold(name) in taken:
                n += 1
                name = f"{source.strip()} ({n})"
            taken.add(fold(name))
            self.source_name[source] = name
        self.dataset = dataset

    def document(self, rulings: Optional[dict] = None) -> dict:
        rulings = rulings or {}
        answers = self.dataset.answers()
        return {
            "verity": 2,
            "questions": [{"key": self.question_key[obj], "text": f"{obj}?"} for obj in answers],
            "sources": [{"name": name} for name in self.source_name.values()],
            "claims": [{"key": self.claim_key[(obj, v)], "text": f"{obj}: {v}", "question": self.question_key[obj],
                        "ruling": rulings.get(self.claim_key[(obj, v)])}
                       for obj, values in answers.items() for v in values],
            "stances": [{"claim": self.claim_key[(obj, v)], "source": self.source_name[s], "position": "affirms"}
                        for s, obj, v in self.dataset.triples],
        }

    def rulings(self, objects) -> dict:
        """Claim key -> ruling for these gold objects: the gold answer true, the others false."""
        gold, answers = self.dataset.gold, self.dataset.answers()
        return {self.claim_key[(obj, v)]: ("true" if v == gold[obj] else "false")
                for obj in objects for v in answers[obj]}


def verity(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "verity", "--db", str(db), *args], capture_output=True, text=True,
                          check=True)


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def assess_cli(db: Path, converted: Converted) -> tuple[dict, float]:
    """(object, value) -> estimate, by `verity assess --json`; and the command's time."""
    done, seconds = timed(verity, db, "assess", "--json")
    return {converted.value_of[a["claim"]]: a["estimate"] for a in json.loads(done.stdout)}, seconds


# ---------------------------------------------------------------------------- scoring


def accuracy(gold: dict, scores: dict, objects) -> float:
    best: dict = collections.defaultdict(list)
    for (obj, value), score in scores.items():
        if score is not None:
            best[obj].append((score, value))
    hits, n = 0.0, 0
    for obj in objects:
        if not best.get(obj):
            continue
        top = max(s for s, _ in best[obj])
        tied = [v for s, v in best[obj] if s >= top - 1e-9 * max(abs(top), 1e-300)]
        hits += (gold[obj] in tied) / len(tied)
        n += 1
    return hits / n if n else float("nan")


def brier(gold: dict, probabilities: dict, objects) -> float:
    wanted = set(objects)
    errors = [(p - (value == gold[obj])) ** 2 for (obj, value), p in probabilities.items()
              if obj in wanted and p is not None]
    return sum(errors) / len(errors) if errors else float("nan")


def shares(scores: dict) -> dict:
    """Scores as each object's shares (negative scores as 0): what a peer's belief is read as for Brier."""
    total: dict = collections.Counter()
    for (obj, _), s in scores.items():
        total[obj] += max(s, 0.0)
    return {(obj, v): (max(s, 0.0) / total[obj] if total[obj] else 1.0 / sum(1 for o, _ in scores if o == obj))
            for (obj, v), s in scores.items()}


def majority(dataset: DataSet) -> dict:
    votes = collections.Counter((obj, value) for _, obj, value in dataset.triples)
    return shares(dict(votes))


# ---------------------------------------------------------------------------- the peers


def peer_python(given: Optional[str]) -> tuple[Optional[Path], str]:
    """A Python with `truthdiscovery`: the one given, else the benchmark's own venv, created
    (python -m venv, pip install truthdiscovery) when missing. (None, why) when impossible."""
    if given:
        return Path(given), f"given: {given}"
    python = PEER_VENV / "bin" / "python"
    check = [str(python), "-c", "import truthdiscovery"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python, f"{PEER_VENV} (reused)"
    print(f"creating {PEER_VENV} for the peers (pip install truthdiscovery) ...", flush=True)
    shutil.rmtree(PEER_VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    pip = subprocess.run([str(PEER_VENV / "bin" / "pip"), "install", "-q", "truthdiscovery"],
                         capture_output=True, text=True)
    if pip.returncode != 0 or subprocess.run(check, capture_output=True).returncode != 0:
        last = (pip.stderr.strip().splitlines() or ["no output"])[-1]
        return None, (f"could not install truthdiscovery into {PEER_VENV} ({last}); it pins pycairo, which "
                      "builds from source and needs cairo's headers (Debian: libcairo2-dev pkg-config), and "
                      "pip needs the package index: offline, pass --peer-python a Python that has it")
    return python, f"{PEER_VENV} (created)"


def run_peers(python: Path, dataset: DataSet, folder: Path) -> dict:
    """name -> (scores by (object, value), seconds of the algorithm alone)."""
    ids: dict = {}
    tsv, out = folder / f"{dataset.name}-peers.tsv", folder / f"{dataset.name}-peers.json"
    with open(tsv, "w", encoding="utf-8") as f:
        for source, obj, value in dataset.triples:
            f.write(f"{source}\t{ids.setdefault(obj, str(len(ids)))}\t{value}\n")
    subprocess.run([str(python), str(PEER_SCRIPT), str(tsv), str(out), *PEERS], check=True)
    result = json.loads(out.read_text())
    object_of = {i: obj for obj, i in ids.items()}
    return {name: ({(object_of[q], v): b for q, values in result[name]["belief"].items() for v, b in values.items()},
                   result[name]["seconds"]) for name in PEERS}


# ---------------------------------------------------------------------------- the run


def ruled_copy(source_db: Path, target: Path, rulings: dict) -> None:
    """A copy of the database with these rulings written through verity's store."""
    from verity.store import Store

    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copy(source_db, target)
    with Store.open(target) as store:
        for key, ruling in rulings.items():
            store.rule_claim(key, ruling, "benchmark: the gold")


def own_ruling_check(db: Path, converted: Converted, ruled_objects: list, how_many: int, work: Path) -> float:
    """The largest change, to three decimals, in the estimates of a ruled question's answers when
    that question alone is re-ruled (another answer ruled true), over `how_many` questions."""
    from verity.assess import assess
    from verity.store import Store

    answers = converted.dataset.answers()
    candidates = [obj for obj in ruled_objects if len(answers[obj]) >= 2][:how_many]
    with Store.open(db) as store:
        before = {a.claim: a.estimate for a in assess(store).assessments()}
    largest = 0.0
    for obj in candidates:
        gold = converted.dataset.gold[obj]
        other = next(v for v in answers[obj] if v != gold)
        copy = work / "own-ruling.db"
        ruled_copy(db, copy, {converted.claim_key[(obj, v)]: ("true" if v == other else "false")
                              for v in answers[obj]})
        with Store.open(copy) as store:
            after = {a.claim: a.estimate for a in assess(store).assessments()}
        for v in answers[obj]:
            key = converted.claim_key[(obj, v)]
            if before[key] is not None or after[key] is not None:
                largest = max(largest, abs((before[key] or 0.0) - (after[key] or 0.0)))
    return largest


def bench(dataset: DataSet, peers_python: Optional[Path], splits: int, own_ruling: int, work: Path) -> dict:
    converted = Converted(dataset)
    present = dataset.gold_present()
    doc = work / f"{dataset.name}.json"
    doc.write_text(json.dumps(converted.document(), ensure_ascii=False))
    db = work / f"{dataset.name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    verity(db, "init")
    _, import_seconds = timed(verity, db, "import", str(doc))
    answers = dataset.answers()
    print(f"\n{dataset.name}: {dataset.rows:,} rows -> {len(dataset.triples):,} stances by "
          f"{len(converted.source_name):,} sources on {len(answers):,} questions "
          f"({len(converted.claim_key):,} answers); {len(present)} gold questions in the data; "
          f"verity import {import_seconds:.2f} s", flush=True)

    ours, ours_seconds = assess_cli(db, converted)
    rows = [("verity assess", accuracy(dataset.gold, ours, present), brier(dataset.gold, ours, present),
             ours_seconds, "whole command")]
    vote, vote_seconds = timed(majority, dataset)
    rows.append(("majority vote", accuracy(dataset.gold, vote, present), brier(dataset.gold, vote, present),
                 vote_seconds, "vote share"))
    peer_scores = {}
    if peers_python is not None:
        for name, (scores, seconds) in run_peers(peers_python, dataset, work).items():
            peer_scores[name] = scores
            rows.append((name, accuracy(dataset.gold, scores, present), brier(dataset.gold, shares(scores), present),
                         seconds, "algorithm only"))
    print(f"  unsupervised ({len(present)} gold questions):")
    print(f"    {'method':18} {'accuracy':>8} {'Brier':>7} {'seconds':>8}")
    for name, acc, b, seconds, what in rows:
        print(f"    {name:18} {acc:8.3f} {b:7.3f} {seconds:8.3f}  ({what})")
    best_peer = max((r for r in rows[2:]), key=lambda r: r[1], default=None)
    target = TARGETS.get(dataset.name)
    if target is not None:
        ahead = best_peer is None or rows[0][1] > best_peer[1]
        verdict = "met" if rows[0][1] >= target and ahead and best_peer is not None else "NOT met"
        peer_text = f", best peer {best_peer[0]} {best_peer[1]:.3f}" if best_peer else ", peers not run"
        print(f"  target: >= {target} and ahead of every peer: {verdict} ({rows[0][1]:.3f}{peer_text})")

    # Supervised: half the gold as rulings, the other half scored.
    sup = collections.defaultdict(list)
    largest = None
    for split in range(splits):
        shuffled = present[:]
        random.Random(split).shuffle(shuffled)
        train, test = shuffled[: len(shuffled) // 2], shuffled[len(shuffled) // 2:]
        ruled = work / f"{dataset.name}-split.db"
        ruled_copy(db, ruled, converted.rulings(train))
        estimates, seconds = assess_cli(ruled, converted)
        sup["verity assess, half ruled"].append((accuracy(dataset.gold, estimates, test),
                                                 brier(dataset.gold, estimates, test), seconds))
        sup["verity assess, unsupervised"].append((accuracy(dataset.gold, ours, test),
                                                   brier(dataset.gold, ours, test), ours_seconds))
        sup["majority vote"].append((accuracy(dataset.gold, vote, test), brier(dataset.gold, vote, test), None))
        for name, scores in peer_scores.items():
            sup[name + " (unsupervised)"].append((accuracy(dataset.gold, scores, test),
                                                 brier(dataset.gold, shares(scores), test), None))
        if split == 0 and own_ruling:
            largest = own_ruling_check(ruled, converted, sorted(train), own_ruling, work)
    print(f"  supervised: {splits} random halves of the gold as rulings, scored on the other half (mean):")
    print(f"    {'method':32} {'accuracy':>8} {'Brier':>7} {'seconds':>8}")
    for name, values in sup.items():
        times = [v[2] for v in values if v[2] is not None]
        shown = f"{sorted(times)[len(times) // 2]:8.3f}" if times else "       -"
        print(f"    {name:32} {sum(v[0] for v in values) / len(values):8.3f} "
              f"{sum(v[1] for v in values) / len(values):7.3f} {shown}")
    if largest is not None:
        print(f"  own ruling: {own_ruling} ruled questions re-ruled one at a time; largest change in the "
              f"estimate of their answers {largest:.3f} (must be 0.000)")
    return {"unsupervised": {r[0]: {"accuracy": r[1], "brier": r[2], "seconds": r[3]} for r in rows},
            "supervised": {k: {"accuracy": sum(v[0] for v in vs) / len(vs), "brier": sum(v[1] for v in vs) / len(vs)}
                           for k, vs in sup.items()},
            "own_ruling_largest_change": largest, "import_seconds": import_seconds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.truth", description=__doc__.split("\n\n")[0])
    parser.add_argument("--splits", type=int, default=3, help="supervised random halves (default 3)")
    parser.add_argument("--own-ruling", type=int, default=10,
                        help="ruled questions re-ruled one at a time in the own-ruling check (default 10; 0: skip)")
    parser.add_argument("--peer-python", help="a Python with truthdiscovery installed (default: create a venv)")
    parser.add_argument("--no-peers", action="store_true", help="skip the truthdiscovery peers")
    parser.add_argument("--only", default="Population,Book", help="comma-separated data sets")
    args = parser.parse_args(argv)
    data = data_dir()
    if data is None:
        print("Population and Book not found: set VERITY_TRUTH_DATA to the shared data's truth/ folder")
        return 1
    WORK.mkdir(parents=True, exist_ok=True)
    python, why = (None, "skipped (--no-peers)") if args.no_peers else peer_python(args.peer_python)
    print(f"python {sys.version.split()[0]}; data {data}; peers: {why}")
    print("rumours: no held-out rumour data in the shared data folder (its README lists claim-matching "
          "and truth only): not run")
    loaders = {"Population": population, "Book": book}
    report = {}
    for name in args.only.split(","):
        report[name] = bench(loaders[name](data), python, args.splits, args.own_ruling, WORK)
    (WORK / "results.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
