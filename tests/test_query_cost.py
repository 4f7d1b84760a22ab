"""The reports and Datasette's contradictions read each claim's own stances, never every stance once per claim.

Cost is counted in SQLite's virtual-machine steps (a progress handler), which do not
depend on the machine: four times the claims and stances must cost about four times as
much for a question about all claims, and the same for a question about one claim or a page.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from verity.importer import import_file
from verity.store import Store

SOURCES = 40
PER_CLAIM = 6  # stances a claim: sources affirming and denying it, so every claim is contested
STEP = 50  # virtual-machine instructions between two calls of the progress handler


def _desk(path: Path, claims: int) -> Store:
    lines = [{"type": "source", "name": f"Source {n}", "affiliation": f"Office {n % 7}"} for n in range(SOURCES)]
    for c in range(claims):
        lines.append({"type": "claim", "key": f"claim-{c}", "text": f"Statement number {c}"})
        for k in range(PER_CLAIM):
            lines.append({"type": "stance", "claim": f"claim-{c}", "source": f"Source {(c + k * 7) % SOURCES}",
                          "position": "affirms" if k % 2 else "denies", "quote": f"quote {c} {k}",
                          "said_on": "2022-01-10"})
    data = path.with_suffix(".jsonl")
    data.write_text("".join(json.dumps(line) + "\n" for line in lines))
    store = Store.create(path)
    import_file(store, data, new_file=True)
    return store


def _steps(conn: sqlite3.Connection, work) -> int:
    count = 0

    def tick() -> int:
        nonlocal count
        count += 1
        return 0

    conn.set_progress_handler(tick, STEP)
    try:
        work()
    finally:
        conn.set_progress_handler(None, STEP)
    return count * STEP


@pytest.fixture(scope="module")
def desks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cost")
    small, large = _desk(folder / "small.db", 150), _desk(folder / "large.db", 600)
    yield small, large
    small.close()
    large.close()


@pytest.mark.parametrize("verdicts", [None, ["contested"]])
def test_a_report_costs_in_proportion_to_the_stances(desks, verdicts):
    small, large = desks
    ratio = (_steps(large.conn, lambda: large.report_summary(verdicts))
             / _steps(small.conn, lambda: small.report_summary(verdicts)))
    assert ratio < 6, f"4x the stances cost {ratio:.1f}x: a claim's stances are read more than once"


def test_one_claims_contradictions_cost_the_same_however_many_claims(desks):
    costs = []
    for store in desks:
        def rows(store=store):
            found = store.conn.execute("SELECT * FROM contradiction_pairs WHERE claim = 'claim-42'").fetchall()
            assert len(found) == (PER_CLAIM // 2) ** 2
        costs.append(_steps(store.conn, rows))
    assert costs[1] < 1.5 * costs[0], f"one claim's contradictions cost {costs} steps at 1x and 4x the claims"


def test_the_first_page_of_contradictions_costs_the_same_however_many_claims(desks):
    costs = [_steps(store.conn, lambda store=store: store.conn.execute(
        "SELECT * FROM contradiction_pairs LIMIT 101").fetchall()) for store in desks]
    assert costs[1] < 1.5 * costs[0], f"the first page of contradictions cost {costs} steps at 1x and 4x the claims"


def test_a_staged_export_finds_a_stances_claim_and_source_at_a_cost_that_does_not_grow(tmp_path):
    # `verity merge` of an export stages its records in a scratch database without the unique
    # indexes, then looks up each stance's claim and source by key and name: a scan of every
    # claim per stance made a 200,000-stance export take 15 minutes to merge.
    from verity.models import Claim
    from verity.store.rows import claim_row
    from verity.store.staging import Staging

    costs = []
    for claims in (500, 2000):
        with Store.create(tmp_path / f"scratch-{claims}.db") as scratch:
            with scratch.transaction():
                staging = Staging(scratch)
                for c in range(claims):
                    staging.add_claim(f"0190a4f2-3c1e-7d2a-9b3c-{c:012d}",
                                      claim_row(Claim(key=f"claim-{c}", text=f"Statement {c}")), None, None, None)
                    staging.add_source(f"0190a4f2-3c1e-7d2a-9b3d-{c:012d}", (f"Source {c}", None, None, None, None,
                                                                               None), None)

                def look_up(staging=staging, claims=claims):
                    for c in range(0, claims, claims // 100):
                        assert staging.claim_keyed(f"claim-{c}") is not None
                        assert staging.source_named(f"Source {c}") is not None
                        assert staging.source_named(f"source  {c}") is not None  # as names fold

                costs.append(_steps(scratch.conn, look_up))
    assert costs[1] < 1.5 * costs[0], f"100 look-ups cost {costs} steps among 500 and 2,000 claims"
