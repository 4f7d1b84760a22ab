"""Convergence: three desks that edit apart and merge each other's files, in any order and
any number of times, end with the same records by uid, the same values, the same
reconciliation and the same export (docs/desks.md).

Each desk does random adds, edits, aliases, merges, rulings and retractions (a refused
one — a name taken, a merge into itself — is what a person would see refused, and
changes nothing), merging now and then from another desk (`merged_operations`: often,
on desks that start with records of their own); then the desks merge each
other's files (databases or exports) in an order hypothesis picks, repeats included,
and finally each merges the others' until nothing is added.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from verity.errors import VerityError
from verity.formats import document_of, reconciliation_json, write_document
from verity.importer.desks import merge_file
from verity.models import Claim, Question, Source, Stance
from verity.store import Store

DESKS = ("kabul", "peshawar", "london")
NAMES = ("Alpha", "alpha", "Beta", "Gamma", "Delta")
KEYS = ("k1", "k2", "k3")
TEXTS = ("It happened", "It did not happen")
POSITIONS = ("affirms", "partially-affirms", "neutral", "partially-denies", "denies")

desk = st.integers(0, len(DESKS) - 1)
name = st.sampled_from(NAMES)
key = st.sampled_from(KEYS)
operation = st.one_of(
    st.tuples(st.just("source"), desk, name, st.sampled_from((None, "TTP", "Government of Pakistan"))),
    st.tuples(st.just("claim"), desk, key, st.sampled_from(TEXTS)),
    st.tuples(st.just("stance"), desk, key, name, st.sampled_from(POSITIONS),
              st.sampled_from((None, "2022-01", "2022-01-10", "2022-01-11"))),
    st.tuples(st.just("grade"), desk, name, st.sampled_from("ABCDEF")),
    st.tuples(st.just("affiliation"), desk, name, st.sampled_from(("TTP", "IEA", "Government of Pakistan"))),
    st.tuples(st.just("rename"), desk, name, name),
    st.tuples(st.just("text"), desk, key, st.sampled_from(TEXTS + ("It happened in Kunar",))),
    st.tuples(st.just("rekey"), desk, key, key),
    st.tuples(st.just("tag"), desk, key, st.sampled_from(("ttp", "kunar"))),
    st.tuples(st.just("alias"), desk, name, st.sampled_from(("Khurasani", "Balti", "Zeta"))),
    st.tuples(st.just("merge-sources"), desk, name, name),
    st.tuples(st.just("merge-claims"), desk, key, key),
    st.tuples(st.just("rule"), desk, key, st.sampled_from(("true", "false", "unproven"))),
    st.tuples(st.just("retract"), desk, st.integers(1, 12)),
    st.tuples(st.just("question"), desk, st.sampled_from(("where", "when"))),
    st.tuples(st.just("ask"), desk, key, st.sampled_from(("where", "when"))),
    st.tuples(st.just("sync"), desk, desk, st.booleans()),
)
# The final exchanges: (merging desk, desk whose file it merges, as an export rather than its database)
exchange = st.tuples(desk, desk, st.booleans())
# Operations drawn evenly seldom merge: a merge needs two records on one desk, and one in 17
# operations adds one. These start every desk with sources and claims of its own (some of one
# name or key on two desks), then merge records of a desk, and desks, often.


@st.composite
def merged_operations(draw) -> list[tuple]:
    ops, added = [], []
    for who in range(len(DESKS)):
        names = draw(st.lists(name, min_size=1, max_size=3, unique=True))
        keys = draw(st.lists(key, min_size=1, max_size=2, unique=True))
        ops += [("source", who, source, draw(st.sampled_from((None, "TTP")))) for source in names]
        ops += [("claim", who, claim, draw(st.sampled_from(TEXTS))) for claim in keys]
        added.append((names, keys))
    for _ in range(draw(st.integers(3, 20))):
        kind = draw(st.sampled_from(("any", "merge", "merge", "sync")))
        who = draw(desk)
        names, keys = added[who]
        if kind == "merge" and draw(st.booleans()):
            ops.append(("merge-sources", who, draw(st.sampled_from(names)), draw(st.sampled_from(names))))
        elif kind == "merge":
            ops.append(("merge-claims", who, draw(st.sampled_from(keys)), draw(st.sampled_from(keys))))
        elif kind == "sync":
            ops.append(("sync", who, (who + draw(st.integers(1, len(DESKS) - 1))) % len(DESKS), draw(st.booleans())))
        else:
            ops.append(draw(operation))
    return ops


def act(stores: list[Store], folder: Path, op: tuple) -> None:
    kind, who, *args = op
    os.environ["VERITY_DESK"] = DESKS[who]
    store = stores[who]
    try:
        if kind == "source":
            store.add_source(Source(name=args[0], affiliation=args[1]))
        elif kind == "claim":
            store.add_claim(Claim(key=args[0], text=args[1]))
        elif kind == "stance":
            store.add_stance(Stance(claim=args[0], source=args[1], position=args[2], said_on=args[3]))
        elif kind == "grade":
            store.edit_source(args[0], "grade", reliability=args[1])
        elif kind == "affiliation":
            store.edit_source(args[0], "affiliation", affiliation=args[1])
        elif kind == "rename":
            store.edit_source(args[0], "rename", name=args[1])
        elif kind == "text":
            store.edit_claim(args[0], "wording", text=args[1])
        elif kind == "rekey":
            store.edit_claim(args[0], "key", key=args[1])
        elif kind == "tag":
            store.edit_claim(args[0], "tag", add_tags=[args[1]])
        elif kind == "alias":
            store.alias_source(args[0], args[1])
        elif kind == "merge-sources":
            store.merge_sources(args[0], args[1], "duplicate")
        elif kind == "merge-claims":
            store.merge_claims(args[0], args[1], "duplicate")
        elif kind == "rule":
            store.rule_claim(args[0], args[1], "checked")
        elif kind == "retract":
            store.retract_stance(args[0], "withdrawn")
        elif kind == "question":
            store.add_question(Question(key=args[0], text=f"{args[0].title()} did it happen?"))
        elif kind == "ask":
            store.edit_claim(args[0], "grouped", question=args[1])
        elif kind == "sync":
            transfer(stores, folder, who, args[0], args[1])
    except VerityError:
        pass  # refused, as it would be at the command line: nothing written


def transfer(stores: list[Store], folder: Path, into: int, source: int, as_export: bool) -> None:
    """Desk `into` merges desk `source`'s file: its database, or its JSON export."""
    path = Path(stores[source].path)
    if as_export:
        path = folder / f"{DESKS[source]}.json"
        with open(path, "w", encoding="utf-8") as out:
            write_document(stores[source], out)
    os.environ["VERITY_DESK"] = DESKS[into]
    merge_file(stores[into], path)


def snapshot(store: Store) -> dict:
    """What must be the same on every desk: records by uid with their values and pointers (by
    uid), the reconciliation, and the export without local ids, every listing sorted."""
    conn = store.conn
    uid_of = {table: dict(conn.execute(f"SELECT id, uid FROM {table}")) for table in ("sources", "claims")}
    records = {
        "sources": sorted((uid, name, kind, affiliation, reliability, url, note, uid_of["sources"].get(merged))
                          for uid, name, kind, affiliation, reliability, url, note, merged in conn.execute(
                              "SELECT uid, name, kind, affiliation, reliability, url, note, merged_into FROM sources")),
        "claims": sorted((uid, key, text, subject, tags, note, ruling, rekeyed, uid_of["claims"].get(merged), question)
                         for uid, key, text, subject, tags, note, ruling, rekeyed, merged, question in conn.execute(
                             "SELECT c.uid, c.key, c.text, c.subject, c.tags, c.note, c.ruling, c.rekeyed_from, "
                             "c.merged_into, q.uid FROM claims c LEFT JOIN questions q ON q.id = c.question_id")),
        # A stance by the claim and source it counts for (an export names them by key and name, which
        # two records one by name share: docs/desks.md)
        "stances": sorted((uid, uid_of["claims"][store.root_id("claims", claim)],
                           uid_of["sources"][store.root_id("sources", source)], *rest)
                          for uid, claim, source, *rest in conn.execute(
            "SELECT uid, claim_id, source_id, position, said_on, logged_at, retracted_at, retraction_reason "
            "FROM stances")),
        "aliases": sorted(conn.execute("SELECT uid, alias FROM aliases").fetchall()),
        "rulings": sorted(conn.execute("SELECT uid, ruling, ruled_at FROM rulings").fetchall()),
        "changes": sorted(conn.execute("SELECT uid, action, field, old, new FROM changes").fetchall()),
        "questions": sorted(conn.execute("SELECT uid, key FROM questions").fetchall()),
    }
    reconciled = sorted((reconciliation_json(r) for r in store.reconciliations()), key=lambda r: r["claim"])
    questions = sorted(conn.execute(
        "SELECT q.uid, q.key, r.verdict, r.answers, r.affirmed_answers, r.contradictions, c.uid FROM questions q "
        "LEFT JOIN question_reconciliations r ON r.question_id = q.id LEFT JOIN claims c ON c.id = r.leading_id"
    ).fetchall(), key=repr)
    document = document_of(store)
    for stance in document["stances"]:
        stance.pop("id", None)
    exported = {part: sorted(json.dumps(item, sort_keys=True) for item in items)
                for part, items in document.items() if isinstance(items, list)}
    return {"records": records, "reconcile": reconciled, "questions": questions, "export": exported}


def export_of(store, folder: Path, fmt: str) -> Path:
    """`store`'s export in `folder`, as `verity export --format FMT` writes it (json or jsonl)."""
    from verity.formats import write_document, write_jsonl

    path = folder / f"export.{fmt}"
    with open(path, "w", encoding="utf-8") as out:
        (write_document if fmt == "json" else write_jsonl)(store, out)
    return path


@contextlib.contextmanager
def desks_after(ops: list[tuple]) -> Iterator[tuple[Path, list[Store]]]:
    """The desks' stores, in a folder of their own, once they have done `ops`; afterwards every
    store in the list (a test may add its own) is closed and $VERITY_DESK is as it was."""
    desk_before = os.environ.get("VERITY_DESK")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        stores = [Store.create(folder / f"{desk}.db") for desk in DESKS]
        try:
            for op in ops:
                act(stores, folder, op)
            yield folder, stores
        finally:
            for store in stores:
                store.close()
            if desk_before is None:
                os.environ.pop("VERITY_DESK", None)
            else:
                os.environ["VERITY_DESK"] = desk_before


def converge(ops: list[tuple], exchanges: list[tuple]) -> None:
    with desks_after(ops) as (folder, stores):
        for into, source, as_export in exchanges:
            transfer(stores, folder, into, source, as_export)
        for _round in range(2):  # everything reaches everyone: each merges the others
            for into in range(len(DESKS)):
                for source in range(len(DESKS)):
                    transfer(stores, folder, into, source, False)
        first = snapshot(stores[0])
        for store in stores[1:]:
            assert snapshot(store) == first
        # and one more merge, of anything, adds nothing: not even a change record
        changes = stores[0].conn.execute("SELECT count(*) FROM changes").fetchone()[0]
        for source in range(len(DESKS)):
            assert merge_file(stores[0], Path(stores[source].path)).added == 0
            transfer(stores, folder, 0, source, True)
        assert stores[0].conn.execute("SELECT count(*) FROM changes").fetchone()[0] == changes
        assert snapshot(stores[0]) == first
        # the stored reconciliation is what the reconciler computes now
        for store in stores:
            assert list(store.reconciliations()) == list(store.fresh_reconciliations())
        # one entry per record not merged into another
        listed = [source.name for source, _count in stores[0].sources()]
        assert len(listed) == len({name.casefold() for name in listed})


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=5, max_size=25), st.lists(exchange, max_size=6))
# What hypothesis found: a claim merged by a change into one claim and by its key and text
# into another; its export says only the key it was merged into, which another claim has.
@example(ops=[("claim", 1, "k2", "It did not happen"), ("claim", 2, "k2", "It happened"),
              ("claim", 0, "k2", "It happened"), ("claim", 2, "k1", "It happened"),
              ("merge-claims", 2, "k2", "k1")], exchanges=[])
# Two desks' questions of one key, a claim grouped under the older's.
@example(ops=[("claim", 0, "k1", "It happened"), ("question", 0, "where"), ("question", 1, "where"),
              ("ask", 0, "k1", "where")], exchanges=[])
# One alias given to one source on two desks: a single row, whose added_at is the desk's that
# merged first; the export lists aliases by name, so every desk's reads the same.
@example(ops=[("source", 0, "Alpha", None), ("source", 1, "Beta", None), ("sync", 0, 1, False),
              ("alias", 0, "Beta", "Balti"), ("rename", 1, "Beta", "Alpha"), ("retract", 0, 1),
              ("alias", 1, "Alpha", "Balti")], exchanges=[])
def test_desks_converge(ops, exchanges):
    converge(ops, exchanges)


@pytest.mark.slow
# Derandomized, as test_desks_converge_many is: CI says the same thing twice.
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(merged_operations(), st.lists(exchange, max_size=6))
# What hypothesis found: a source merged into another whose name folds alike ('alpha' into
# 'Alpha'); a stance on it, merged as an export, went to the other, by name as names are matched.
@example(ops=[("source", 0, "Alpha", None), ("claim", 0, "k1", "It happened"), ("claim", 0, "k2", "It happened"),
              ("source", 1, "Alpha", None), ("claim", 1, "k1", "It happened"), ("source", 2, "alpha", None),
              ("claim", 2, "k1", "It happened"), ("merge-claims", 0, "k1", "k1"),
              ("stance", 2, "k1", "Alpha", "affirms", None), ("sync", 2, 0, False), ("source", 0, "Alpha", None),
              ("source", 0, "Alpha", None), ("sync", 0, 2, True)], exchanges=[])
def test_desks_converge_after_merges(ops, exchanges):
    converge(ops, exchanges)


@pytest.mark.slow
# The same 300 cases on every run (derandomize): CI says the same thing twice, and a case a
# search finds is kept as an @example of the quick test above.
@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=10, max_size=60), st.lists(exchange, max_size=12))
def test_desks_converge_many(ops, exchanges):
    converge(ops, exchanges)
