"""What desks' records resolve to: merge pointers and claim keys as functions of the records alone.

When desks merge each other's files (docs/desks.md), some records meet that no one desk
made together: two sources of one name created apart, one record merged into two others,
merges that go round in a circle, two claims of one key. What each becomes is decided
here from the records alone — never from who merges, when, or in which order — so desks
that merged in different orders hold the same records with the same values. The rules
(docs/desks.md, "What a merge resolves"):

- a merge (a change of `merged_into`) is a pointer; where two merges of one record
  disagree, or would close a circle, the latest (its `at`, then its uid) stands and the
  earlier gives way;
- records that are one by their name (sources: the same folded name; claims: the same
  key, as their desk gave it, and the same text; `rows.ALIKE` says it for the store) point
  at the oldest of them (by uid), unless a merge says where they go; a circle that this
  closes gives way to the merges;
- claims not merged into another that share a key keep it for the oldest; every younger
  one gets `KEY-<first 8 hex digits of its uid>` (questions too: the same rule; while a
  merge settles them, a question whose key is taken holds `question_key`). `rekeyed_from`
  reads back the key a desk gave a claim or question re-keyed either way;
- questions of the same key (as their desks gave it) and the same text are one question
  (`one_question`), as such claims are: each younger one is the oldest, whose answers its
  answers are; it keeps its record, under `question_key` (questions have no pointer).

Pure functions over plain values; the store reads the rows and writes what changed.
"""

from __future__ import annotations

from typing import Hashable, Iterable, Mapping, NamedTuple, Optional

EDGE_CHANGE = "change"  # a pointer a merge change made
EDGE_NAME = "name"  # a pointer the records' names (or keys and texts) made
# How many hex digits of its uid a re-keyed claim's key ends with: 8, more in the unlikely case
# that those make a key another has (`rekeyed`); a question's, all 32 (`question_key`).
REKEY_DIGITS = (8, 12, 16, 32)


class MergeEdge(NamedTuple):
    """A merge change, by the local ids of its record and of the record it was merged into."""

    at: str
    uid: str
    record: int
    into: int


class Dropped(NamedTuple):
    """A merge change that gave way: to a later merge of the same record, or to a circle."""

    edge: MergeEdge
    why: str  # "superseded" (merged elsewhere later) or "circle"
    by: Optional[MergeEdge]  # the later merge it gave way to, when there is one


class Pointers(NamedTuple):
    """Where each record points (id -> id), and how it came to."""

    into: dict[int, int]
    kind: dict[int, str]  # EDGE_CHANGE or EDGE_NAME
    dropped: list[Dropped]


def merge_pointers(uids: Mapping[int, str], merges: Iterable[MergeEdge],
                   groups: Iterable[Iterable[int]]) -> Pointers:
    """The `merged_into` of every record: the merges latest first, each standing unless its
    record is merged already (by a later merge) or it would close a circle; then, within
    each group of records that are one by name, every record no merge moved points at the
    oldest of the group; a circle that closes breaks at a name pointer (the youngest)."""
    into: dict[int, int] = {}
    kind: dict[int, str] = {}
    standing: dict[int, MergeEdge] = {}
    dropped: list[Dropped] = []
    for edge in sorted(merges, key=lambda e: (e.at, e.uid), reverse=True):
        if edge.record == edge.into:
            continue
        if edge.record in into:
            dropped.append(Dropped(edge, "superseded", standing[edge.record]))
            continue
        if _reaches(into, edge.into, edge.record):
            dropped.append(Dropped(edge, "circle", _closing(into, standing, edge)))
            continue
        into[edge.record], kind[edge.record], standing[edge.record] = edge.into, EDGE_CHANGE, edge
    for group in groups:
        members = sorted(set(group), key=lambda i: uids[i])
        oldest = members[0]
        for member in members[1:]:
            if member not in into:
                into[member], kind[member] = oldest, EDGE_NAME
    for cycle in _cycles(into):
        names = [node for node in cycle if kind[node] == EDGE_NAME]
        youngest = max(names, key=lambda i: uids[i])  # a circle of merges alone was refused above
        del into[youngest], kind[youngest]
    return Pointers(into, kind, dropped)


def _reaches(into: Mapping[int, int], start: int, target: int) -> bool:
    node, seen = start, set()
    while True:
        if node == target:
            return True
        if node not in into or node in seen:
            return False
        seen.add(node)
        node = into[node]


def _closing(into: Mapping[int, int], standing: Mapping[int, MergeEdge], edge: MergeEdge) -> Optional[MergeEdge]:
    """The latest standing merge on the path that `edge` would close into a circle."""
    path, node = [], edge.into
    while node != edge.record and node in into:
        if node in standing:
            path.append(standing[node])
        node = into[node]
    return max(path, key=lambda e: (e.at, e.uid)) if path else None


def _cycles(into: Mapping[int, int]) -> list[list[int]]:
    """Every circle of a graph in which each node points at one other at most."""
    state: dict[int, int] = {}  # 1: on the current walk, 2: done
    cycles = []
    for start in sorted(into):
        walk, node = [], start
        while node in into and node not in state:
            state[node] = 1
            walk.append(node)
            node = into[node]
        if state.get(node) == 1:
            cycles.append(walk[walk.index(node):])
        for visited in walk:
            state[visited] = 2
    return cycles


def groups_of(keys: Mapping[int, Hashable]) -> list[list[int]]:
    """The records that share a key (what `rows.ALIKE` makes them one by), where more than one does."""
    found: dict[Hashable, list[int]] = {}
    for record, key in keys.items():
        found.setdefault(key, []).append(record)
    return [sorted(members) for members in found.values() if len(members) > 1]


def rekeyed(key: str, uid: str, taken: set[str]) -> str:
    """The key a claim gets when an older claim has its key: KEY-<first 8 hex digits of its uid>
    (more digits in the unlikely case that one is taken)."""
    digits = uid.replace("-", "")
    for length in REKEY_DIGITS:
        candidate = f"{key}-{digits[:length]}"
        if candidate not in taken:
            return candidate
    return f"{key}-{digits}"


def question_key(key: str, uid: str) -> str:
    """A question's key while its key is another's: KEY-<every hex digit of its uid>, unique, and
    read back as KEY by `question_own_key`."""
    return f"{key}-{uid.replace('-', '')}"


def question_own_key(key: str, uid: str) -> str:
    """The key a question's desk gave it: its key without the uid suffix a merge added."""
    return rekeyed_from(key, uid) or key


def one_question(questions: Iterable[tuple[int, str, str, str]]) -> dict[int, int]:
    """Of questions (id, uid, key, text), each that has the key its desk gave it (`question_own_key`)
    and the text of an older one (by uid) -> the oldest such: two desks asked one question."""
    groups: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for question_id, uid, key, text in questions:
        groups.setdefault((question_own_key(key, uid), text), []).append((uid, question_id))
    one = {}
    for members in groups.values():
        members.sort()
        for _uid, question_id in members[1:]:
            one[question_id] = members[0][1]
    return one


def rekeyed_from(key: str, uid: str) -> Optional[str]:
    """The key a desk gave a claim (or question) that a merge re-keyed KEY-<digits of its uid>
    (`rekeyed`, `question_key`), else None: what an export, which gives the key alone,
    says of it."""
    digits = uid.replace("-", "")
    for length in REKEY_DIGITS:
        if key.endswith("-" + digits[:length]) and len(key) > length + 1:
            return key[: -length - 1]
    return None


def claim_keys(roots: Iterable[int], uids: Mapping[int, str], user_keys: Mapping[int, str],
               taken: set[str]) -> dict[int, str]:
    """The key of each claim not merged into another: its own (`user_keys`, the key its desk gave
    it: `rows.USER_KEY`), unless an older one has that key: then `rekeyed`."""
    by_key: dict[str, list[int]] = {}
    for claim in roots:
        by_key.setdefault(user_keys[claim], []).append(claim)
    keys = {}
    for key, members in by_key.items():
        members.sort(key=lambda i: uids[i])
        keys[members[0]] = key
        for member in members[1:]:
            keys[member] = rekeyed(key, uids[member], taken)
            taken.add(keys[member])
    return keys
