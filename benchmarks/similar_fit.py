"""Where `claim similar`'s constants come from: its weights fitted and calibrated, and its thresholds.

    python -m benchmarks.similar_fit [--data DIR] [--candidates K] [--within D]

On the CLEF-2020 CheckThat! Task 2 train and dev tweets (the claims loaded into verity as
`benchmarks.similar` loads them), for both rankings — by words alone (verity.similar's
WEIGHTS, INTERCEPT) and with the model of meaning (MEANING_WEIGHTS, MEANING_INTERCEPT):

1. held out: MAP@5 / P@1 on dev with the weights fitted on train, and in a 5-fold
   cross-validation over train+dev (three shuffles), as `benchmarks.similar` prints them;
2. the constants: ranking weights (a conditional logit, `fit_ranking`) fitted on all of
   train+dev, times the calibration that makes a top match's score the chance it is the
   right claim — a logistic fit of those weights' top matches' scores against whether they
   are right (`calibrated`) — beside the constants verity ships;
3. the thresholds: for each score, how many tweets have a top match that high, scored by
   weights and a calibration fitted without them (5 folds, the first shuffle), how often it
   is the right claim, and, with each tweet's right claim (and the claims that read the
   same) taken out of its candidates and the rest scored again, how many still have a top
   match that high: a warning where nothing was logged before.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from verity.similar import sigmoid

from .similar import (
    DEFAULT_DATA,
    WORK,
    average_precision_at_5,
    fit_ranking,
    held_out_scores,
    load_claims,
    load_tweets,
    ranked_with,
    verity_db,
    with_features,
    with_meaning,
)

THRESHOLDS = (0.3, 0.5, 0.8, 0.85, 0.9)


def fit_calibration(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """(a, b) with P(right) = sigmoid(a x + b), by Newton steps."""
    a = b = 0.0
    for _ in range(100):
        ga = gb = haa = hab = hbb = 0.0
        for x, y in zip(xs, ys):
            p = sigmoid(a * x + b)
            ga, gb = ga + (y - p) * x, gb + y - p
            v = p * (1 - p)
            haa, hab, hbb = haa + v * x * x, hab + v * x, hbb + v
        det = haa * hbb - hab * hab
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        a, b = a + da, b + db
        if abs(da) + abs(db) < 1e-10:
            break
    return a, b


def top_match(tweet: dict, w) -> tuple:
    """(score, candidate) of a tweet's best candidate by the weights `w` (no intercept), or None."""
    ranked = sorted(((sum(a * b for a, b in zip(w, x)), c) for x, c in zip(tweet["x"], tweet["candidates"])),
                    key=lambda pair: (-round(pair[0], 9), pair[1].id))
    return ranked[0] if ranked else None


def calibrated(tweets: list[dict]) -> tuple[list[float], float, float]:
    """Ranking weights fitted on `tweets`, and the calibration (a, b) of their own top matches
    on the same tweets: P(right) = sigmoid(a * w.x + b). A ranking's weights fix its scores only
    up to a constant a query shares; with a feature that is never far from one value (a cosine
    of near 0.9), that constant moves with every refit, so each set of weights is calibrated
    with itself, never with another's scores."""
    w = fit_ranking(tweets)
    tops = [(found[0], float(found[1].key in t["relevant"])) for t in tweets if (found := top_match(t, w))]
    a, b = fit_calibration([s for s, _ in tops], [y for _, y in tops])
    return w, a, b


def fold_weights(tweets: list[dict]) -> dict[str, tuple[list[float], float, float]]:
    """Each tweet's calibrated ranking weights fitted without it (5 folds, the first shuffle of
    `held_out_scores`)."""
    order = list(range(len(tweets)))
    random.Random(0).shuffle(order)
    found = {}
    for fold in range(5):
        held = {order[i] for i in range(fold, len(order), 5)}
        fitted = calibrated([t for i, t in enumerate(tweets) if i not in held])
        found.update({tweets[i]["id"]: fitted for i in held})
    return found


def without_its_claim(tweet: dict) -> dict:
    """The tweet with its right claim, and the claims that read the same, out of its candidates,
    their features by words computed again over those left (as if never logged)."""
    from verity import similar

    gold = {similar.meaning_text(c.words) for c in tweet["candidates"] if c.key in tweet["relevant"]}
    rest = [c for c in tweet["candidates"]
            if c.key not in tweet["relevant"] and similar.meaning_text(c.words) not in gold]
    return {**tweet, "candidates": rest, "words": similar.features(tweet["text"], rest)}


def constants(label: str, tweets: list[dict], removed: list[dict], shipped: tuple) -> None:
    """Held-out figures, the constants, and the thresholds' table, for tweets whose candidates have
    their features ("x"); `removed`: the same tweets without their right claims."""
    on_dev, cross = held_out_scores(tweets)
    print(f"\n== {label} ==\nheld out: dev (fitted on train) {on_dev[0]:.3f} / {on_dev[1]:.3f}; "
          f"5-fold CV over train+dev {cross[0]:.3f} / {cross[1]:.3f}")
    weights = fold_weights(tweets)

    def score(tweet: dict):
        """The tweet's top match, scored as verity would with weights fitted without it."""
        w, a, b = weights[tweet["id"]]
        found = top_match(tweet, w)
        return (sigmoid(a * found[0] + b), found[1]) if found else None

    tops = [(found[0], float(found[1].key in t["relevant"])) for t in tweets if (found := score(t))]
    without = [found[0] for t in removed if (found := score(t))]
    w, a, b = calibrated(tweets)
    print(f"constants (train+dev): weights {tuple(round(a * v, 3) for v in w)}, intercept {round(b, 3)}")
    print(f"shipped:               weights {shipped[0]}, intercept {shipped[1]}")
    print(f"{'score >=':>10}{'tweets':>9}{'top match right':>17}{'right claim removed, still >=':>31}")
    for threshold in THRESHOLDS:
        above = [y for s, y in tops if s >= threshold]
        still = [s for s in without if s >= threshold]
        print(f"{threshold:>10.2f}{len(above) / len(tweets):>9.1%}{sum(above) / max(len(above), 1):>17.1%}"
              f"{len(still) / len(tweets):>31.1%}")


def merging(tweets: list[dict]) -> None:
    """What `ranked_with` (the claims read first, the others after, by words) changes against
    `similar.rank` (one list by score), on tweets from `with_meaning`, with the shipped constants."""
    from verity import similar

    def by_score(t: dict) -> list[str]:
        read = [(similar.MEANING_INTERCEPT + sum(a * b for a, b in zip(similar.MEANING_WEIGHTS, x)), c.id, c.key)
                for x, c in zip(t["x"], t["candidates"])]
        return [key for _z, _id, key in sorted(read + t["rest"], key=lambda item: (-round(item[0], 9), item[1]))][:5]

    merged = [average_precision_at_5(by_score(t), t["relevant"]) for t in tweets]
    appended = [average_precision_at_5(ranked_with(t, similar.MEANING_WEIGHTS), t["relevant"]) for t in tweets]
    differ = sum(1 for m, a in zip(merged, appended) if m != a)
    print(f"one list by score, as `claim similar` ranks, against the claims read first (as the held-out figures "
          f"rank), with the shipped constants: MAP@5 {sum(merged) / len(tweets):.3f} against "
          f"{sum(appended) / len(tweets):.3f}; the two differ on {differ} of {len(tweets)} tweets")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.similar_fit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"the CLEF-2020 data (default {DEFAULT_DATA})")
    parser.add_argument("--candidates", type=int, default=None, metavar="K",
                        help="rank the best K by words again with the model (default: verity's MEANING_CANDIDATES); "
                             "the constants printed are then for K, not verity's")
    parser.add_argument("--within", type=float, default=None, metavar="D",
                        help="of those, read the best five (what a look-up shows) and any others within D of the best "
                             "logit by words (default: verity's MEANING_WITHIN; a large D reads all K); "
                             "the constants printed are then for D")
    args = parser.parse_args(argv)
    if args.candidates is not None and args.candidates < 1:
        parser.error(f"--candidates must be 1 or more, not {args.candidates}")
    if args.within is not None and not args.within >= 0:
        parser.error(f"--within must be 0 or more, not {args.within}")
    if not (args.data / "verified_claims.docs.tsv").exists():
        print(f"skipped: no CLEF-2020 CheckThat! Task 2 data at {args.data} (see its README; or pass --data DIR)")
        return 0
    from verity import similar

    WORK.mkdir(parents=True, exist_ok=True)
    tweets = load_tweets(args.data, "train") + load_tweets(args.data, "dev")
    db, _seconds = verity_db(load_claims(args.data), "clef-10k")
    tweets = with_features(db, tweets)
    removed = [without_its_claim(t) for t in tweets]
    print(f"python -m benchmarks.similar_fit: {len(tweets)} tweets (train+dev)")
    constants("by words alone (WEIGHTS, INTERCEPT)", [{**t, "x": t["words"]} for t in tweets],
              [{**t, "x": t["words"]} for t in removed], (similar.WEIGHTS, similar.INTERCEPT))
    started = time.perf_counter()
    candidates = args.candidates or similar.MEANING_CANDIDATES
    within = similar.MEANING_WITHIN if args.within is None else args.within
    meaning_tweets = with_meaning(tweets, candidates, within)
    print(f"\n(the model of meaning on {sum(len(t['candidates']) for t in meaning_tweets):,} candidates, "
          f"{sum(len(t['candidates']) for t in meaning_tweets) / len(meaning_tweets):.1f} a tweet: "
          f"{time.perf_counter() - started:.1f} s)")
    constants(f"with the model of meaning, of the best {candidates} by words the best {similar.DEFAULT_LIMIT} and "
              f"those within {within:g} of the best ranked again (MEANING_WEIGHTS, MEANING_INTERCEPT)", meaning_tweets,
              with_meaning(removed, candidates, within), (similar.MEANING_WEIGHTS, similar.MEANING_INTERCEPT))
    merging(meaning_tweets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
