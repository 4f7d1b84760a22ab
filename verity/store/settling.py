"""Settling: what desks' records resolve to, worked out again from the records alone.

After a merge has added another desk's records (verity.store.merge), and after a correction
that can change it (a new name, key or text, a merge: verity.store.corrections), `settle`
reads the records and writes back what the rules of `verity.store.resolve` make of them:
merges and records one by name (`rows.ALIKE`) become pointers (`merged_into`), claims and
questions that share the key their desks gave them are re-keyed (the oldest keeps it), a
question asked alike on two desks is one (its answers the older's), and a claim whose
question a change set is in the question it names. After a merge it also says,
as one `Resolution` each, what it decided that no one desk did. docs/desks.md ("What a merge
resolves") says it for users.
"""

from __future__ import annotations

import sqlite3
from typing import Iterable, Optional

import attrs

from .. import uids
from ..names import shell_quoted, shell_word
from .resolve import (
    EDGE_NAME,
    MergeEdge,
    claim_keys,
    groups_of,
    merge_pointers,
    one_question,
    question_key,
    question_own_key,
)
from .rows import RECORD_TABLES, USER_KEY, alike


@attrs.frozen
class Resolution:
    """One thing a merge had to decide, said for people, with the command that would decide it otherwise."""

    kind: str  # "edit", "name", "key", "merge", "alias", "question"
    text: str
    command: Optional[str] = None


@attrs.frozen
class Since:
    """Where the records this merge added begin: each table's highest id before it."""

    ids: dict

    def new(self, table: str, record_id: Optional[int]) -> bool:
        return record_id is not None and record_id > self.ids.get(table, 0)


@attrs.define
class Settled:
    """What settling changed: claims to reconcile again, and what to report."""

    claims: set = attrs.field(factory=set)
    resolutions: list[Resolution] = attrs.field(factory=list)




def _whose(desk: Optional[str], table: str, record_id: int, since: Since) -> str:
    """Whose a record is, after its name in a resolution: ' of desk D'; for a record of no desk
    (made where VERITY_DESK was not set, or read from a file without uids), where it was: ' of
    the file' when this merge brought it, else ' of this database'. Two records of one name or
    key are told apart so."""
    if desk:
        return f" of desk {desk}"
    return " of the file" if since.new(table, record_id) else " of this database"


class Settling:
    """The part of `Store` that works out what the records resolve to, after a merge or a correction."""

    conn: sqlite3.Connection

    def settle(self) -> set[int]:
        """Work out again what the records resolve to (after a correction that can change it:
        a new name, key or text, a merge); returns the claims to reconcile again."""
        settled = Settled()
        self._settle(None, settled)
        return settled.claims

    def _settle(self, since: Optional[Since], settled: Settled) -> None:
        self._settle_sources(since, settled)
        self._settle_claims(since, settled)
        self._settle_questions(since, settled)
        if since is not None:
            self._report_shared_aliases(since, settled)

    def _merge_edges(self, record_type: str, ids: dict[str, int]) -> list[MergeEdge]:
        """Every merge change of a record of `record_type` in `ids` (uid -> id), by local ids. A merge
        recorded by an upgrade names its target by its name (or key) rather than its uid."""
        table = RECORD_TABLES[record_type]
        column = "name" if table == "sources" else "key"
        edges = []
        for at, uid, record_uid, new in self.conn.execute(
                "SELECT at, uid, record_uid, new FROM changes WHERE action = 'merge' AND record_type = ?",
                [record_type]):
            record = ids.get(record_uid)
            if record is None or new is None:
                continue
            into = ids.get(new)
            if into is None and not uids.is_uid(new):
                row = self.conn.execute(f"SELECT id FROM {table} WHERE {column} = ? AND uid != ? ORDER BY uid LIMIT 1",
                                        [new, record_uid]).fetchone()
                into = row[0] if row else None
            if into is not None:
                edges.append(MergeEdge(at, uid, record, into))
        return edges

    def _settle_sources(self, since: Optional[Since], settled: Settled) -> None:
        rows = self.conn.execute(f"SELECT id, uid, merged_into, {alike('sources')} FROM sources").fetchall()
        uid_of = {row[0]: row[1] for row in rows}
        ids = {row[1]: row[0] for row in rows}
        pointers = merge_pointers(uid_of, self._merge_edges("source", ids),
                                  groups_of({row[0]: row[3:] for row in rows}))
        changed = [(row[0], row[2], pointers.into.get(row[0])) for row in rows if row[2] != pointers.into.get(row[0])]
        # Those merged first, then those no longer merged: a name stays with one source not merged throughout.
        for source_id, _old, new in sorted(changed, key=lambda c: c[2] is None):
            self.conn.execute("UPDATE sources SET merged_into = ? WHERE id = ?", [new, source_id])
        for source_id, old, new in changed:
            for affected in {source_id, old, new} - {None}:
                settled.claims.update(self._claims_of_source(affected))
        if since is None:
            return
        for source_id, into in pointers.into.items():
            if pointers.kind[source_id] == EDGE_NAME and (since.new("sources", source_id) or since.new("sources", into)):
                settled.resolutions.append(self._same_name(source_id, into, since))
        settled.resolutions += self._dropped_merges("sources", pointers.dropped, since)

    def _same_name(self, source_id: int, into: int, since: Since) -> Resolution:
        (name, desk), (kept, kept_desk) = (self.conn.execute("SELECT name, desk FROM sources WHERE id = ?",
                                                             [i]).fetchone() for i in (source_id, into))
        root = self._record_name("sources", self.root_id("sources", into))
        text = (f"source {name!r}{_whose(desk, 'sources', source_id, since)} and {kept!r}"
                f"{_whose(kept_desk, 'sources', into, since)}, one name created apart, are one source: "
                f"the younger is merged into the older ({root!r})")
        command = (f"verity source edit {shell_quoted(root)} --name '<another name>' --reason '…' "
                   f"(if they are two sources: {name!r} then names the younger)")
        return Resolution("name", text, command)

    def _dropped_merges(self, table: str, dropped: Iterable, since: Since) -> list[Resolution]:
        kind = "source" if table == "sources" else "claim"
        found = []
        for edge, why, by in dropped:
            involved = [edge.uid] + ([by.uid] if by else [])
            new = self.conn.execute(
                f"SELECT 1 FROM changes WHERE uid IN ({', '.join('?' * len(involved))}) AND id > ?",
                [*involved, since.ids["changes"]]).fetchone()
            if not new:
                continue
            record, into = self._record_name(table, edge.record), self._record_name(table, edge.into)
            root = self._record_name(table, self.root_id(table, edge.record))
            if why == "circle":
                text = (f"{kind}s {record!r} and {into!r} were merged into each other on different desks; "
                        f"the later merge stands and the earlier ({record!r} into {into!r}, {edge.at[:16]}) "
                        f"gives way: they are one {kind}, {root!r}")
                command = f"verity {kind} show {shell_quoted(root)} (one {kind} either way; nothing to undo)"
            else:
                # Not a way to point the record back at `into`: merging `root` into it would join two
                # records that may well be two. Only if they are one is that merge the fix.
                text = (f"{kind} {record!r} was merged into {into!r} ({edge.at[:16]}) and, later, on another desk "
                        f"into another: the later merge stands, and it counts as {root!r}'s. A merged {kind} is "
                        f"never pointed elsewhere; only if {root!r} and {into!r} are one {kind}, merge them")
                command = f"verity {kind} merge {shell_quoted(root)} --into {shell_quoted(into)} --reason '…'"
            found.append(Resolution("merge", text, command))
        return found

    def _settle_claims(self, since: Optional[Since], settled: Settled) -> None:
        """Pointers and keys of the claims that can need settling: those merged, re-keyed, named by a
        merge change, or sharing their desk's key with another."""
        # Claims one by name (rows.ALIKE) share the key their desk gave them: the last condition takes in each group.
        rows = self.conn.execute(
            f"SELECT id, uid, key, rekeyed_from, merged_into, {USER_KEY}, {alike('claims')} FROM claims "
            "WHERE merged_into IS NOT NULL OR rekeyed_from IS NOT NULL OR uid IN (SELECT record_uid FROM changes "
            "WHERE action = 'merge' AND record_type = 'claim' UNION SELECT new FROM changes WHERE action = 'merge' "
            f"AND record_type = 'claim') OR {USER_KEY} IN (SELECT {USER_KEY} AS k FROM claims "
            "GROUP BY k HAVING count(*) > 1)").fetchall()
        if not rows:
            return
        uid_of = {row[0]: row[1] for row in rows}
        ids = {row[1]: row[0] for row in rows}
        own = {row[0]: row[5] for row in rows}
        pointers = merge_pointers(uid_of, self._merge_edges("claim", ids),
                                  groups_of({row[0]: row[6:] for row in rows}))
        roots = sorted(i for i in uid_of if i not in pointers.into)
        taken = set() if not roots else {row[0] for row in self.conn.execute(
            f"SELECT {USER_KEY} FROM claims UNION SELECT alias FROM aliases WHERE claim_id IS NOT NULL")}
        keys = claim_keys(roots, uid_of, own, taken)
        changed = []
        for claim_id, _uid, key, rekeyed_from, merged_into, *_alike in rows:
            into = pointers.into.get(claim_id)
            final_key = keys.get(claim_id, own[claim_id])
            final_from = own[claim_id] if final_key != own[claim_id] else None
            if (into, final_key, final_from) != (merged_into, key, rekeyed_from):
                changed.append((claim_id, into, final_key, final_from, merged_into))
        # Those that give a key up first (merged, or re-keyed), then those that take one.
        for claim_id, into, final_key, final_from, _old in sorted(changed, key=lambda c: c[1] is None and c[3] is None):
            self.conn.execute("UPDATE claims SET merged_into = ?, key = ?, rekeyed_from = ? WHERE id = ?",
                              [into, final_key, final_from, claim_id])
        for claim_id, into, _key, _from, old in changed:
            settled.claims.update({claim_id, into, old} - {None})
        self.conn.execute("DELETE FROM reconciliations WHERE claim_id IN (SELECT id FROM claims WHERE merged_into "
                          "IS NOT NULL)")
        if since is None:
            return
        for claim_id, into in pointers.into.items():
            if pointers.kind[claim_id] == EDGE_NAME and (since.new("claims", claim_id) or since.new("claims", into)):
                settled.resolutions.append(self._same_claim(claim_id, into, since))
        for claim_id in roots:
            if keys[claim_id] != own[claim_id]:
                holder = next(i for i in roots if keys[i] == own[claim_id])
                if since.new("claims", claim_id) or since.new("claims", holder):
                    settled.resolutions.append(self._rekeyed(claim_id, holder, own[claim_id], keys[claim_id],
                                                             since))
        settled.resolutions += self._dropped_merges("claims", pointers.dropped, since)

    def _same_claim(self, claim_id: int, into: int, since: Since) -> Resolution:
        key, desk = self.conn.execute("SELECT key, desk FROM claims WHERE id = ?", [claim_id]).fetchone()
        root = self._record_name("claims", self.root_id("claims", into))
        text = (f"claim {key!r}{_whose(desk, 'claims', claim_id, since)}, logged apart with the same key and text "
                f"as an older one, is that claim: merged into {root!r}")
        command = (f"verity claim edit {shell_quoted(root)} --text '<what it says>' --reason '…' "
                   "(if they are two claims: the younger then gets a key of its own)")
        return Resolution("key", text, command)

    def _rekeyed(self, claim_id: int, holder: int, key: str, new_key: str, since: Since) -> Resolution:
        (desk, said), (holder_desk, held) = (self.conn.execute("SELECT desk, text FROM claims WHERE id = ?",
                                                               [i]).fetchone() for i in (claim_id, holder))
        whose, holders = _whose(desk, "claims", claim_id, since), _whose(holder_desk, "claims", holder, since)
        if whose == holders:  # of one desk, or both of the file: what each says tells them apart
            whose, holders = f"{whose} ({said!r})", f"{holders} ({held!r})"
        text = (f"claim {key!r}{whose} and the older claim {key!r}{holders} say different things: both are kept, "
                f"the younger re-keyed {new_key!r}")
        command = (f"verity claim merge {shell_word(new_key)} --into {shell_word(key)} --reason '…' (if they are "
                   f"one claim), or verity claim edit {shell_word(new_key)} --key <a better key> --reason '…'")
        return Resolution("key", text, command)

    def _question_named(self, key: Optional[str]) -> Optional[int]:
        """The question a change naming `key` moves a claim to: the one whose key it is, once the keys
        are settled (a question a merge re-keyed is named by its new key: `claim edit --question
        KEY-xxxxxxxx`); else, of the questions desks gave that key, the oldest (the one that keeps
        it); else none."""
        if not key:
            return None
        row = self.conn.execute("SELECT id FROM questions WHERE key = ?", [key]).fetchone()
        if row is not None:
            return row[0]
        found = [(uid, question_id) for question_id, uid, own in self.conn.execute(
            "SELECT id, uid, key FROM questions WHERE key = ? OR key LIKE ? ESCAPE '\\'",
            [key, key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "-%"])
            if question_own_key(own, uid) == key]
        return min(found)[1] if found else None

    def _settle_claims_questions(self, settled: Settled) -> None:
        """Each claim whose question a change set is in the question its latest such change names
        (`_question_named`): the same on every desk, whichever question of that key was its desk's."""
        latest: dict[str, Optional[str]] = {}
        for record_uid, new in self.conn.execute(
                "SELECT record_uid, new FROM changes WHERE action = 'edit' AND record_type = 'claim' "
                "AND field = 'question' ORDER BY at, uid"):
            latest[record_uid] = new
        for record_uid, new in latest.items():
            row = self.conn.execute("SELECT id, question_id FROM claims WHERE uid = ?", [record_uid]).fetchone()
            if row is None:
                continue
            question = self._question_named(new)
            if question != row[1]:
                self.conn.execute("UPDATE claims SET question_id = ? WHERE id = ?", [question, row[0]])
                settled.claims.add(row[0])

    def _settle_questions(self, since: Optional[Since], settled: Settled) -> None:
        """Questions that share the key their desks gave them: one that has an older one's text too is
        that question (`resolve.one_question`): its answers are the older's, and it keeps its record
        under `question_key`; of the others, the oldest keeps the key and the younger are re-keyed.
        Then each claim a change put in a question is in the question that change names."""
        rows = self.conn.execute("SELECT id, uid, key, text FROM questions").fetchall()
        own = {row[0]: question_own_key(row[2], row[1]) for row in rows}
        one: dict[int, int] = {}
        keys: dict[int, str] = {}
        if len(set(own.values())) != len(own) or any(own[row[0]] != row[2] for row in rows):
            uid_of = {row[0]: row[1] for row in rows}
            one = one_question(rows)
            # Only the keys desks gave count as taken: what is re-keyed is then the same on every desk.
            keys = claim_keys(sorted(i for i in own if i not in one), uid_of, own, set(own.values()))
            keys.update((i, question_key(own[i], uid_of[i])) for i in one)
            changed = [(row[0], keys[row[0]]) for row in rows if keys[row[0]] != row[2]]
            # Keys are unique at every step: each changed question lets its key go first (its uid is unique).
            self.conn.executemany("UPDATE questions SET key = uid WHERE id = ?", [(i,) for i, _key in changed])
            self.conn.executemany("UPDATE questions SET key = ? WHERE id = ?", [(key, i) for i, key in changed])
        self._settle_claims_questions(settled)  # by the keys settled, which name a re-keyed question
        for younger, older in sorted(one.items()):  # its answers are the older's, on every desk
            moved = [claim_id for (claim_id,) in self.conn.execute("SELECT id FROM claims WHERE question_id = ?",
                                                                   [younger])]
            if moved:
                self.conn.execute("UPDATE claims SET question_id = ? WHERE question_id = ?", [older, younger])
                settled.claims.update(moved)
        if one:
            self.conn.execute(f"DELETE FROM question_reconciliations WHERE question_id IN ({', '.join('?' * len(one))})",
                              list(one))
        if since is None:
            return
        for question_id, key in sorted(keys.items()):  # re-keyed now, or as it came in (`_merge_questions`)
            if question_id in one:
                continue
            if key != own[question_id] and any(since.new("questions", i) for i in own if own[i] == own[question_id]):
                settled.resolutions.append(Resolution(
                    "question", f"question {own[question_id]!r} was added on two desks; the younger is "
                    f"re-keyed {key!r}", f"verity claim edit CLAIM --question {shell_word(own[question_id])} --reason '…' "
                    "(to move a claim of the younger to the older)"))
        for younger, older in sorted(one.items()):
            if since.new("questions", younger) or since.new("questions", older):
                (desk, text), older_desk = (self.conn.execute("SELECT desk, text FROM questions WHERE id = ?",
                                                              [younger]).fetchone(),
                                            self.conn.execute("SELECT desk FROM questions WHERE id = ?",
                                                              [older]).fetchone()[0])
                settled.resolutions.append(Resolution(
                    "question", f"question {own[younger]!r}{_whose(desk, 'questions', younger, since)} and the "
                    f"older question {keys[older]!r}{_whose(older_desk, 'questions', older, since)}, asked apart "
                    f"with the same key and text ({text!r}), are one question: the answers of both are its answers"))

    def _report_shared_aliases(self, since: Since, settled: Settled) -> None:
        """One alias given to two sources on different desks: it finds the one given it last."""
        rows = self.conn.execute(
            "SELECT a.folded, a.alias, a.source_id, a.id FROM aliases a WHERE a.source_id IS NOT NULL AND a.folded IN "
            "(SELECT folded FROM aliases WHERE source_id IS NOT NULL GROUP BY folded "
            "HAVING count(DISTINCT source_id) > 1) ORDER BY a.folded").fetchall()
        by_name: dict[str, list] = {}
        for folded, alias, source_id, alias_id in rows:
            by_name.setdefault(folded, []).append((alias, self.root_id("sources", source_id), alias_id))
        for folded, held in by_name.items():
            roots = {root for _alias, root, _id in held}
            if len(roots) < 2 or not any(since.new("aliases", alias_id) for *_rest, alias_id in held):
                continue
            found = self.find_source(held[0][0])
            if found is None or self.conn.execute("SELECT 1 FROM sources WHERE folded = ?", [folded]).fetchone():
                continue  # a name: it finds the source of that name, as any name does
            names = sorted(self._record_name("sources", root) for root in roots)
            others = [name for name in names if name != found.name]
            settled.resolutions.append(Resolution(
                "alias", f"alias {held[0][0]!r} was given to {' and '.join(repr(n) for n in names)} on different "
                f"desks: it finds {found.name!r}, given it last",
                f"verity source merge {shell_quoted(others[0])} --into {shell_quoted(found.name)} --reason '…' "
                "(if they are one source); otherwise log their stances under their full names"))

    def _record_name(self, table: str, record_id: int) -> str:
        column = "name" if table == "sources" else "key"
        return self.conn.execute(f"SELECT {column} FROM {table} WHERE id = ?", [record_id]).fetchone()[0]
