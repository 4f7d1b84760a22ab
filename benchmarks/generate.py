"""A seeded generator of benchmark data: the same rows for verity and for its peer.

For a size of N stances it makes N/10 claims and N/200 sources (so about 10
stances per claim and 200 per source), with affiliations shared by several
sources, Admiralty grades A-F or none, dates, quotes, outlets, a few
retractions and a few rulings. It writes, under `benchmarks/data/<size>/`:

- `verity.jsonl` — the JSONL file verity imports (docs/import-export.md: one object per
  line with `"type": "source" | "claim" | "stance"`; sources, then claims, then
  stances);
- `sources.jsonl`, `claims.jsonl`, `stances.jsonl` — the same rows as plain
  newline-delimited rows with integer ids (stances carry `claim_id` and
  `source_id`), which the peer loads with `sqlite-utils insert ... --nl`;
- `manifest.json` — the seed, the counts and the generator version, so data
  made by an older generator is rebuilt instead of reused.

The same seed gives byte-identical files. Run it alone with
`python -m benchmarks.generate --size 100k [--seed 1] [--out DIR]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from pathlib import Path

GENERATOR_VERSION = 1
DATA_DIR = Path(__file__).resolve().parent / "data"

STANCES_PER_CLAIM = 10
STANCES_PER_SOURCE = 200
SOURCES_PER_AFFILIATION = 4  # affiliations are shared: several voices, one origin
UNAFFILIATED = 0.3  # share of sources that are their own origin

GRADES = ["A", "B", "C", "D", "E", "F", None, None]
KINDS = ["official", "militant group", "news outlet", "analyst", "NGO", "anonymous", "report"]
POSITIONS = ["affirms", "partially-affirms", "neutral", "partially-denies", "denies"]
# Each claim leans one way, so every verdict occurs: (share of claims, position weights).
LEANS = [
    (0.35, [60, 25, 15, 0, 0]),  # sources agree it happened: corroborated, some single-source
    (0.20, [0, 0, 15, 25, 60]),  # sources agree it did not: denied
    (0.35, [35, 10, 10, 10, 35]),  # the sources disagree: contested
    (0.10, [0, 0, 100, 0, 0]),  # nobody takes a side: unverified
]
RULINGS = ["true", "mostly-true", "mixture", "mostly-false", "false", "unproven"]
OUTLETS = ["Dawn", "Reuters", "AP", "BBC Urdu", "Al Jazeera", "The Express Tribune", "Geo News", None, None, None]
SUBJECTS = ["TTP", "Balti", "Nangarhar", "ceasefire", "drone strike", "border", "talks", None]
TAGS = ["ttp", "afghanistan", "pakistan", "militancy", "casualties", "diplomacy", "2022"]
WORDS = (
    "official said militant leader killed province border talks ceasefire spokesman denied "
    "confirmed reported attack security forces group statement incident district commander "
    "government sources claimed operation convoy explosion village residents witnesses police "
    "army intelligence briefing unnamed senior local media agency according week earlier"
).split()

BASE_DAY = dt.date(2021, 1, 1)
BASE_LOGGED = dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc)


def parse_size(text: str) -> int:
    """'10k' -> 10_000, '1m' -> 1_000_000, '2500' -> 2500."""
    text = text.strip().lower()
    factor = 1
    if text.endswith("k"):
        factor, text = 1_000, text[:-1]
    elif text.endswith("m"):
        factor, text = 1_000_000, text[:-1]
    return int(float(text) * factor)


def size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def _words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def generate(n_stances: int, out: Path, seed: int = 1) -> dict:
    """Write the files for `n_stances` stances into `out`; return the manifest."""
    rng = random.Random(seed)
    n_claims = max(1, n_stances // STANCES_PER_CLAIM)
    n_sources = max(2, n_stances // STANCES_PER_SOURCE)
    n_affiliations = max(1, n_sources // SOURCES_PER_AFFILIATION)
    out.mkdir(parents=True, exist_ok=True)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    sources, claims, leans = [], [], []
    for i in range(1, n_sources + 1):
        affiliated = rng.random() >= UNAFFILIATED
        sources.append({
            "id": i,
            "name": f"Source {i:06d} {rng.choice(WORDS)}",
            "kind": rng.choice(KINDS),
            "affiliation": f"Affiliation {rng.randrange(n_affiliations) + 1:05d}" if affiliated else None,
            "reliability": rng.choice(GRADES),
            "url": f"https://example.org/sources/{i}" if rng.random() < 0.5 else None,
            "note": _words(rng, 3, 12) if rng.random() < 0.2 else None,
        })
    for i in range(1, n_claims + 1):
        ruling = rng.choice(RULINGS) if rng.random() < 0.05 else None
        leans.append(rng.choices([w for _share, w in LEANS], [share for share, _w in LEANS])[0])
        claims.append({
            "id": i,
            "key": f"claim-{i:07d}",
            "text": f"Claim {i}: {_words(rng, 6, 16)}",
            "subject": rng.choice(SUBJECTS),
            "tags": rng.sample(TAGS, rng.randint(0, 3)),
            "note": _words(rng, 4, 12) if rng.random() < 0.1 else None,
            "ruling": ruling,
            "ruling_explanation": _words(rng, 8, 20) if ruling else None,
        })

    with open(out / "verity.jsonl", "w", encoding="utf-8") as doc, \
            open(out / "sources.jsonl", "w", encoding="utf-8") as peer_sources, \
            open(out / "claims.jsonl", "w", encoding="utf-8") as peer_claims, \
            open(out / "stances.jsonl", "w", encoding="utf-8") as peer_stances:
        for source in sources:
            fields = {k: v for k, v in source.items() if k != "id"}
            doc.write(dumps({"type": "source", **fields}) + "\n")
            peer_sources.write(dumps(source) + "\n")
        for claim in claims:
            fields = {k: v for k, v in claim.items() if k != "id"}
            doc.write(dumps({"type": "claim", **fields}) + "\n")
            peer_claims.write(dumps({**claim, "tags": json.dumps(claim["tags"])}) + "\n")
        for i in range(1, n_stances + 1):
            claim_index = rng.randrange(n_claims)
            claim = claims[claim_index]
            source = sources[rng.randrange(n_sources)]
            day = BASE_DAY + dt.timedelta(days=rng.randrange(3 * 365))
            roll = rng.random()
            if roll < 0.15:
                said_on = None
            elif roll < 0.3:
                said_on = f"{day.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z"
            else:
                said_on = day.isoformat()
            logged_at = (BASE_LOGGED + dt.timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            retracted = None
            if rng.random() < 0.01:
                retracted = {"reason": "logged against the wrong source", "at": logged_at}
            stance = {
                "claim": claim["key"],
                "source": source["name"],
                "position": rng.choices(POSITIONS, leans[claim_index])[0],
                "quote": _words(rng, 5, 25) if rng.random() < 0.8 else None,
                "url": f"https://example.org/news/{i}" if rng.random() < 0.6 else None,
                "said_on": said_on,
                "via": rng.choice(OUTLETS),
                "note": _words(rng, 3, 10) if rng.random() < 0.05 else None,
                "logged_at": logged_at,
                "logged_by": rng.choice(["amna", "bilal", "claire", "dev"]),
                "retracted": retracted,
            }
            doc.write(dumps({"type": "stance", **stance}) + "\n")
            peer = {"id": i, "claim_id": claim["id"], "source_id": source["id"]}
            peer.update((k, v) for k, v in stance.items() if k not in ("claim", "source", "retracted"))
            peer["retracted_at"] = retracted["at"] if retracted else None
            peer["retraction_reason"] = retracted["reason"] if retracted else None
            peer_stances.write(dumps(peer) + "\n")

    manifest = {
        "generator": GENERATOR_VERSION,
        "seed": seed,
        "stances": n_stances,
        "claims": n_claims,
        "sources": n_sources,
        "affiliations": n_affiliations,
        "first_claim": claims[0]["key"],
        "first_source": sources[0]["name"],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def ensure(n_stances: int, seed: int = 1, root: Path = DATA_DIR) -> tuple[Path, dict]:
    """The data folder for this size and seed, generating it unless an identical one exists."""
    out = root / f"{size_label(n_stances)}-seed{seed}"
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("generator") == GENERATOR_VERSION and manifest.get("stances") == n_stances:
            return out, manifest
    return out, generate(n_stances, out, seed)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Generate seeded verity benchmark data.")
    parser.add_argument("--size", default="10k", help="stances: 10k, 100k, 1m, or a number")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="folder to write (default benchmarks/data/<size>-seed<seed>)")
    args = parser.parse_args(argv)
    n = parse_size(args.size)
    if args.out:
        manifest = generate(n, args.out, args.seed)
        where = args.out
    else:
        where, manifest = ensure(n, args.seed)
    print(f"{where}: {manifest['sources']} sources, {manifest['claims']} claims, {manifest['stances']} stances")


if __name__ == "__main__":
    main()
