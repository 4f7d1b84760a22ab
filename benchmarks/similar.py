"""Has it been checked before? `claim similar` on real fact-checking data, beside plain bm25.

    python -m benchmarks.similar [--data DIR] [--no-speed]

Quality: the CLEF-2020 CheckThat! Task 2 verified claims (Snopes: the claim as a
claim's text, the fact-check's title as its note) go into a new verity database
through `verity import`, in file order; every train and dev tweet is ranked by one
`verity claim similar --input tweets.jsonl --json` run. MAP@5 and P@1 per split, for
verity and, in the same run, for the peer: a plain SQLite FTS5 bm25 ranking (porter)
of the same claims' text and title, the tweet's words OR-ed. Then the precision of
the top match at and above the thresholds (the shipped weights were fitted on these
tweets, so these are in-sample); then the held-out figures: the weights refitted on train
only and scored on dev, and refitted in each fold of a 5-fold cross-validation.

Speed: 1,000 tweets at 10k claims (the collection) and at 100k (the collection and
recombined claims: the first half of one claim's words with the second half of
another's, seeded), the time per tweet of one `claim similar --input` run of every tweet, and per query in one
process; and MAP@5 among the 100k (a stress figure: every real claim has made-up claims
that share half of its words).

The data is read from ../shared/data/claim-matching beside the repository (or --data);
when it is not there the benchmark says so and stops. Generated files go under
benchmarks/data/similar/.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Optional

from .generate import DATA_DIR
from .measure import VERITY, child_env, median

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "claim-matching"
WORK = DATA_DIR / "similar"
SPEED_QUERIES = 1000
TARGET_MS = 50  # per query at 100k claims (issue 17)

csv.field_size_limit(sys.maxsize)


def load_claims(data: Path) -> list[tuple[str, str, str]]:
    """(key, text, title) of every verified claim, in file order."""
    with open(data / "verified_claims.docs.tsv", newline="", encoding="utf-8") as handle:
        rows = csv.reader(handle, delimiter="\t")
        next(rows)
        return [(f"vclaim-{row[0]}", row[1], row[2]) for row in rows]


def load_tweets(data: Path, split: str) -> list[dict]:
    with open(data / split / "tweets.queries.tsv", newline="", encoding="utf-8") as handle:
        rows = csv.reader(handle, delimiter="\t")
        next(rows)
        tweets = [(row[0], row[1]) for row in rows]
    relevant: dict[str, set[str]] = {}
    for line in (data / split / "tweet-vclaim-pairs.qrels").read_text(encoding="utf-8").splitlines():
        tweet, _zero, claim, _one = line.split()
        relevant.setdefault(tweet, set()).add(f"vclaim-{claim}")
    return [{"id": f"{split}-{tweet}", "split": split, "text": text, "relevant": relevant[tweet]}
            for tweet, text in tweets]


def average_precision_at_5(ranked: list[str], relevant: set[str]) -> float:
    hits, total = 0, 0.0
    for i, key in enumerate(ranked[:5]):
        if key in relevant:
            hits += 1
            total += hits / (i + 1)
    return total / min(len(relevant), 5)


def scores(tweets: list[dict], ranked: dict[str, list[str]]) -> tuple[float, float]:
    """(MAP@5, P@1)."""
    maps = [average_precision_at_5(ranked[t["id"]], t["relevant"]) for t in tweets]
    p1 = [float(bool(ranked[t["id"]]) and ranked[t["id"]][0] in t["relevant"]) for t in tweets]
    return statistics.fmean(maps), statistics.fmean(p1)


def recombined(claims: list[tuple[str, str, str]], total: int, seed: int = 0) -> list[tuple[str, str, str]]:
    """The claims, then made-up ones up to `total`: half of one claim's words and half of another's."""
    rng = random.Random(seed)
    texts = [text.split() for _k, text, _t in claims]
    titles = [title.split() for _k, _t, title in claims]
    out = list(claims)
    while len(out) < total:
        a, b = rng.sample(texts, 2)
        c, d = rng.sample(titles, 2)
        out.append((f"recombined-{len(out)}", " ".join(a[: len(a) // 2] + b[len(b) // 2:]),
                    " ".join(c[: len(c) // 2] + d[len(d) // 2:])))
    return out


def verity_db(claims: list[tuple[str, str, str]], name: str) -> tuple[Path, float]:
    """A verity database of these claims, made by `verity import`; and the import's seconds."""
    jsonl, db = WORK / f"{name}.jsonl", WORK / f"{name}.db"
    jsonl.write_text("".join(json.dumps({"type": "claim", "key": key, "text": text, "note": title or None},
                                        ensure_ascii=False) + "\n" for key, text, title in claims), encoding="utf-8")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    verity(db, "import", str(jsonl))
    return db, time.perf_counter() - started


def verity(db: Path, *args: str) -> str:
    done = subprocess.run([*VERITY, "--db", str(db), *args], capture_output=True, text=True, env=child_env())
    if done.returncode:
        raise SystemExit(f"verity {' '.join(args[:2])} failed: {done.stderr.strip()}")
    return done.stdout


def verity_ranked(db: Path, tweets: list[dict], *options: str, limit: int = 5) -> tuple[dict[str, list[tuple[str, float]]], float]:
    """Each tweet's matches (key, score) from one `claim similar --input` run (with `options`), and its seconds."""
    queries = WORK / "queries.jsonl"
    queries.write_text("".join(json.dumps({"id": t["id"], "text": t["text"]}, ensure_ascii=False) + "\n"
                               for t in tweets), encoding="utf-8")
    started = time.perf_counter()
    out = verity(db, "claim", "similar", "--input", str(queries), "--json", "--limit", str(limit), *options)
    seconds = time.perf_counter() - started
    ranked = {}
    for line in out.splitlines():
        answer = json.loads(line)
        ranked[answer["query"]] = [(m["claim"], m["score"]) for m in answer["matches"]]
    return ranked, seconds


def peer_db(claims: list[tuple[str, str, str]]) -> sqlite3.Connection:
    """The peer: the same claims' text and title in a plain FTS5 table (porter)."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE claims (id INTEGER PRIMARY KEY, key TEXT, text TEXT, title TEXT)")
    db.execute("CREATE VIRTUAL TABLE claims_fts USING fts5(text, title, content='claims', content_rowid='id', "
               "tokenize='porter')")
    db.executemany("INSERT INTO claims VALUES (?, ?, ?, ?)", [(i, *claim) for i, claim in enumerate(claims, 1)])
    db.execute("INSERT INTO claims_fts (claims_fts) VALUES ('rebuild')")
    return db


def peer_ranked(db: sqlite3.Connection, text: str) -> list[str]:
    """The peer's top 5: every word of the tweet, quoted, OR-ed; bm25 order, earlier claim first on a tie."""
    words = list(dict.fromkeys(re.findall(r"[^\W_]+", text)))
    if not words:
        return []
    return [row[0] for row in db.execute(
        "SELECT c.key FROM claims_fts JOIN claims c ON c.id = claims_fts.rowid WHERE claims_fts MATCH ? "
        "ORDER BY bm25(claims_fts), c.id LIMIT 5", [" OR ".join(f'"{w}"' for w in words)])]


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def in_process_ms(db: Path, texts: list[str], meaning: bool = True) -> list[float]:
    """Milliseconds of Store.similar_claims per query (look-up, SQL, re-ranking, and with `meaning`
    the model of meaning, its vectors kept in the database), in one process."""
    from verity import meaning as model
    from verity.store import Store

    times = []
    with Store.open(db) as store:
        closeness = store.kept_meaning(model.Meaning()) if meaning else None
        for text in texts:
            started = time.perf_counter()
            store.similar_claims(text, 5, meaning=closeness)
            times.append((time.perf_counter() - started) * 1000)
    return times


def peer_ms(db: sqlite3.Connection, texts: list[str]) -> list[float]:
    times = []
    for text in texts:
        started = time.perf_counter()
        peer_ranked(db, text)
        times.append((time.perf_counter() - started) * 1000)
    return times


def quality(claims, tweets) -> None:
    from verity.similar import LIKELY_SAME, RELATED

    db, seconds = verity_db(claims, "clef-10k")
    print(f"verity import of {len(claims)} claims: {seconds:.1f} s")
    words, words_seconds = verity_ranked(db, tweets, "--words-only")
    by_words = {tweet: [key for key, _score in found] for tweet, found in words.items()}
    matches, seconds = verity_ranked(db, tweets)
    ranked = {tweet: [key for key, _score in found] for tweet, found in matches.items()}
    peer = peer_db(claims)
    started = time.perf_counter()
    peer_keys = {t["id"]: peer_ranked(peer, t["text"]) for t in tweets}
    peer_seconds = time.perf_counter() - started
    print(f"\n{'MAP@5 / P@1':<44}{'train':>16}{'dev':>16}{'train+dev':>16}")
    splits = {"train": [t for t in tweets if t["split"] == "train"], "dev": [t for t in tweets if t["split"] == "dev"],
              "train+dev": tweets}
    for name, result in (("verity claim similar", ranked), ("verity claim similar --words-only", by_words),
                         ("peer: FTS5 bm25, text+title, words OR-ed", peer_keys)):
        cells = "".join(f"{'%.3f / %.3f' % scores(part, result):>16}" for part in splits.values())
        print(f"{name:<44}{cells}")
    print(f"\ntime per tweet: verity {seconds / len(tweets) * 1000:.1f} ms (one 'claim similar --input' run of "
          f"{len(tweets)} tweets on a new database, start-up and reading the claims' meaning included: {seconds:.1f} s); "
          f"--words-only {words_seconds / len(tweets) * 1000:.1f} ms; peer {peer_seconds / len(tweets) * 1000:.1f} ms "
          "(in process)")
    print("\nthe top match at and above a score (the default ranking; train+dev, in-sample: the weights were fitted "
          "on these tweets)")
    print(f"{'score >=':>10}{'tweets':>10}{'top match right':>18}")
    for threshold in (RELATED, 0.5, 0.8, LIKELY_SAME, 0.9, 0.95):
        above = [t for t in tweets if matches[t["id"]] and matches[t["id"]][0][1] >= threshold]
        right = [t for t in above if matches[t["id"]][0][0] in t["relevant"]]
        mark = " <- LIKELY_SAME" if threshold == LIKELY_SAME else " <- RELATED" if threshold == RELATED else ""
        print(f"{threshold:>10.2f}{len(above) / len(tweets):>10.3f}{len(right) / max(len(above), 1):>18.3f}{mark}")
    print()
    held_out(db, tweets)


def speed(claims, tweets) -> None:
    """Per query at 10k and 100k claims: a first `--input` run on a new database (reading the
    candidates' meaning as it goes, and keeping it), the same run again (start-up included),
    then in one process with every candidate's vector kept (as after that run, or `claim
    similar --all`), by words alone, and the peer."""
    texts = [tweets[i % len(tweets)]["text"] for i in range(SPEED_QUERIES)]
    print(f"\n{'speed: ' + str(SPEED_QUERIES) + ' tweets, per query':<30}{'first run':>11}{'again':>9}{'kept':>9}"
          f"{'p95':>9}{'words':>9}{'p95':>9}{'peer':>9}{'p95':>9}{'ratio':>8}  target")
    for size in (10_000, 100_000):
        pool = claims if size <= len(claims) else recombined(claims, size)
        db, import_seconds = verity_db(pool, f"speed-{size // 1000}k")
        queries = [{"id": i, "text": text} for i, text in enumerate(texts)]
        matches, seconds = verity_ranked(db, queries)
        _again, again = verity_ranked(db, queries)
        stress = scores(tweets, {t["id"]: [key for key, _score in matches[i]] for i, t in enumerate(tweets)})
        kept = in_process_ms(db, texts)
        words = in_process_ms(db, texts, meaning=False)
        theirs = peer_ms(peer_db(pool), texts)
        ratio = median(kept) / median(theirs)
        ok = "met" if median(kept) <= TARGET_MS else "NOT met"
        print(f"{f'{len(pool):,} claims (import {import_seconds:.0f} s)':<30}{seconds / SPEED_QUERIES * 1000:>8.1f} ms"
              f"{again / SPEED_QUERIES * 1000:>6.1f} ms{median(kept):>6.1f} ms{percentile(kept, 0.95):>6.1f} ms{median(words):>6.1f} ms"
              f"{percentile(words, 0.95):>6.1f} ms{median(theirs):>6.1f} ms{percentile(theirs, 0.95):>6.1f} ms"
              f"{ratio:>7.1f}x  <= {TARGET_MS} ms a query, vectors kept: {ok}")
        print(f"{'':<30}MAP@5 / P@1 of the tweets among these claims (train+dev): {stress[0]:.3f} / {stress[1]:.3f}")


# -- held out: the weights refitted without the tweets they are scored on -----------------

RIDGE = 0.01  # on the ranking weights, as the shipped ones were fitted


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """x with a x = b (Gauss-Jordan with partial pivoting; a is d x d, d the number of features)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        pivot = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[pivot] = m[pivot], m[c]
        for r in range(n):
            if r != c and m[c][c]:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] for i in range(n)]


def _log_likelihood(groups, w) -> float:
    total = -0.5 * RIDGE * sum(v * v for v in w)
    for xs, ys in groups:
        scores_ = [sum(a * b for a, b in zip(w, x)) for x in xs]
        top = max(scores_)
        log_z = top + math.log(sum(math.exp(v - top) for v in scores_))
        total += sum(y / sum(ys) * (v - log_z) for y, v in zip(ys, scores_) if y)
    return total


def fit_ranking(tweets: list[dict]) -> list[float]:
    """Ranking weights of the features: a conditional logit over each tweet's candidates
    (the right claim against the others), ridge RIDGE, by damped Newton steps."""
    groups = [(t["x"], [float(c.key in t["relevant"]) for c in t["candidates"]])
              for t in tweets if any(c.key in t["relevant"] for c in t["candidates"])]
    d = len(groups[0][0][0])
    w = [0.0] * d
    objective = _log_likelihood(groups, w)
    for _ in range(50):
        gradient = [-RIDGE * v for v in w]
        hessian = [[RIDGE if i == j else 0.0 for j in range(d)] for i in range(d)]
        for xs, ys in groups:
            scores_ = [sum(a * b for a, b in zip(w, x)) for x in xs]
            top = max(scores_)
            e = [math.exp(v - top) for v in scores_]
            p = [v / sum(e) for v in e]
            mean = [sum(p[j] * xs[j][i] for j in range(len(xs))) for i in range(d)]
            for j, x in enumerate(xs):
                weight = ys[j] / sum(ys) - p[j]
                for i in range(d):
                    gradient[i] += weight * x[i]
                    for k in range(d):
                        hessian[i][k] += p[j] * x[i] * x[k]
            for i in range(d):
                for k in range(d):
                    hessian[i][k] -= mean[i] * mean[k]
        step, t = _solve(hessian, gradient), 1.0
        while True:
            trial = [a + t * b for a, b in zip(w, step)]
            new = _log_likelihood(groups, trial)
            if new >= objective - 1e-12 or t < 1e-6:
                break
            t /= 2
        w, done, objective = trial, new - objective < 1e-9, new
        if done:
            break
    return w


def ranked_with(tweet: dict, w: list[float]) -> list[str]:
    """A tweet's candidates ranked by the weights, the earlier claim first on a tie (as `similar.rank`),
    then those it was given as not read by the model ("rest", from `with_meaning`), by words."""
    scored = sorted(((-round(sum(a * b for a, b in zip(w, x)), 9), c.id, c.key)
                     for x, c in zip(tweet["x"], tweet["candidates"])))
    return ([key for _score, _id, key in scored] + [key for _z, _id, key in tweet.get("rest", [])])[:5]


def with_features(db: Path, tweets: list[dict]) -> list[dict]:
    """The tweets, each with verity's candidates for it and their four features by words ("words")."""
    from verity import similar
    from verity.store import Store

    with Store.open(db) as store:
        return [{**t, "candidates": (found := store.similar_candidates(t["text"])),
                 "words": similar.features(t["text"], found)} for t in tweets]


def with_meaning(tweets: list[dict], candidates: Optional[int] = None, within: Optional[float] = None) -> list[dict]:
    """The tweets (from `with_features`) as `similar.rank` sees them with the model of meaning:
    the candidates `similar.to_read` (of the best MEANING_CANDIDATES, or `candidates`, by words;
    within MEANING_WITHIN, or `within`), each with a fifth feature, its closeness in meaning
    ("x"); and the others, by words, with their logit by words ("rest": (logit, id, key)).
    `ranked_with` puts the others after those read, where `rank` merges the two by score:
    `similar_fit` measures what that changes. The model is read in this process (no vector kept
    in a database). Every tweet here has words for the model to read (`Meaning.reads`); one that
    had none would be ranked by words alone, which this does not model, so it stops."""
    from verity import meaning, similar

    model = meaning.load()
    found = []
    for t in tweets:
        read = similar.query_meaning(t["text"])
        if not model.reads(read):
            raise SystemExit(f"tweet {t['id']} has nothing for the model to read; rank() would use words alone")
        kept, rest = similar.to_read(similar.by_words(t["text"], t["candidates"]), candidates, within)
        closeness = model.cosines(read, [similar.claim_meaning(c.text, c.subject, c.note) for _z, _x, c in kept])
        found.append({**t, "candidates": [c for _z, _x, c in kept],
                      "x": [(*x, cosine) for (_z, x, _c), cosine in zip(kept, closeness)],
                      "rest": [(z, c.id, c.key) for z, _x, c in rest]})
    return found


def held_out(db: Path, tweets: list[dict], shuffles: int = 3) -> None:
    """MAP@5 / P@1 with weights fitted on train only (scored on dev), and in a 5-fold
    cross-validation over train+dev (refitted in every fold), with verity's own candidates
    and features: by words alone, and with the model of meaning."""
    featured = with_features(db, tweets)
    for label, rows in (("by words alone (--words-only)", [{**t, "x": t["words"]} for t in featured]),
                        ("with the model of meaning (the default)", with_meaning(featured))):
        on_dev, cross = held_out_scores(rows, shuffles)
        print(f"held out, {label}: fitted on train, scored on dev {on_dev[0]:.3f} / {on_dev[1]:.3f}; 5-fold "
              f"cross-validation over train+dev ({shuffles} shuffles, refitted in every fold) {cross[0]:.3f} / {cross[1]:.3f}")


def held_out_scores(tweets: list[dict], shuffles: int = 3) -> tuple[tuple[float, float], tuple[float, float]]:
    """((MAP@5, P@1) on dev with weights fitted on train, the same over train+dev in a 5-fold
    cross-validation refitted in every fold, averaged over `shuffles`), from each tweet's
    "candidates" and their features "x"."""
    train = [t for t in tweets if t["split"] == "train"]
    dev = [t for t in tweets if t["split"] == "dev"]
    w = fit_ranking(train)
    on_dev = scores(dev, {t["id"]: ranked_with(t, w) for t in dev})
    results = []
    for seed in range(shuffles):
        order = list(range(len(tweets)))
        random.Random(seed).shuffle(order)
        ranked = {}
        for fold in range(5):
            held = {order[i] for i in range(fold, len(order), 5)}
            w = fit_ranking([t for i, t in enumerate(tweets) if i not in held])
            ranked.update({tweets[i]["id"]: ranked_with(tweets[i], w) for i in held})
        results.append(scores(tweets, ranked))
    return on_dev, (statistics.fmean(r[0] for r in results), statistics.fmean(r[1] for r in results))


def logged_twice(claims) -> None:
    """Claim against claim, as `claim add` and Datasette's "claims logged twice" decide it.

    Every claim's look-alikes among the others (what a SQL function in the named query would
    have to compute at every page view; verity computes them once, as claims are written).
    The only pairs this data labels are its 180 groups of claims that differ in quote style
    alone: a pair of those is right; any other pair is counted wrong, though a few are near
    repeats that Snopes checked twice."""
    from verity import similar
    from verity.datasette.metadata import QUERIES
    from verity.store import Store

    db, _seconds = verity_db(claims, "twice-10k")

    def same_text(text: str) -> str:
        return " ".join(similar.words(text))

    group: dict[tuple, int] = {}
    with Store.open(db) as store:
        rows = store.conn.execute("SELECT id, text, note FROM claims ORDER BY id").fetchall()
        for claim_id, text, note in rows:
            group.setdefault((same_text(text), same_text(note or "")), claim_id)
        twin = {claim_id: group[(same_text(text), same_text(note or ""))] for claim_id, text, note in rows}
        sizes = Counter(twin.values())
        duplicated = {c for c in twin if sizes[twin[c]] > 1}
        started = time.perf_counter()
        tops = {}
        for claim_id, text, _note in rows:
            claim = store.get_claim(claim_id)
            tops[claim_id] = (text, store.lookalikes(claim, similar.DEFAULT_LIMIT))
        seconds = time.perf_counter() - started
        for check in (False, True):
            flagged = right = 0
            for claim_id, (text, matches) in tops.items():
                same = [m for m in matches if (similar.likely_same_claims(text, m) if check
                                               else m.score >= similar.LIKELY_SAME)]
                if same:
                    flagged += 1
                    right += twin[same[0].id] == twin[claim_id]
            rule = ("score >= LIKELY_SAME and texts share >= SHARED_WORDS (shipped)" if check
                    else "score >= LIKELY_SAME alone")
            print(f"  {rule:<66} claims paired {flagged:>5}, with their quote-style twin {right:>4} "
                  f"(of {len(duplicated)})")
        for claim_id, (_text, matches) in tops.items():
            store.record_lookalikes(claim_id, [m for m in matches if similar.likely_same_claims(tops[claim_id][0], m)])
        store.conn.commit()
        times = []
        for _ in range(10):
            started_query = time.perf_counter()
            found = store.conn.execute(QUERIES["claims-logged-twice"]["sql"]).fetchall()
            times.append((time.perf_counter() - started_query) * 1000)
    print(f"  comparing every claim with the others: {seconds:.1f} s ({seconds / len(rows) * 1000:.1f} ms a claim); "
          f"the named query then reads the {len(found)} pairs kept in {median(times):.1f} ms (median of 10)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.similar", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"the CLEF-2020 data (default {DEFAULT_DATA})")
    parser.add_argument("--no-speed", action="store_true", help="skip the 10k/100k speed part")
    args = parser.parse_args(argv)
    if not (args.data / "verified_claims.docs.tsv").exists():
        print(f"skipped: no CLEF-2020 CheckThat! Task 2 data at {args.data} (see its README; or pass --data DIR)")
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    claims = load_claims(args.data)
    tweets = load_tweets(args.data, "train") + load_tweets(args.data, "dev")
    print(f"python -m benchmarks.similar {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    print(f"{len(claims)} verified claims, {sum(t['split'] == 'train' for t in tweets)} train and "
          f"{sum(t['split'] == 'dev' for t in tweets)} dev tweets; SQLite {sqlite3.sqlite_version}, "
          f"Python {sys.version.split()[0]}")
    quality(claims, tweets)
    print(f"\nclaim against claim, {len(claims):,} claims: each claim's look-alikes among the others")
    logged_twice(claims)
    if not args.no_speed:
        speed(claims, tweets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
