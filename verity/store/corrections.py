"""Corrections with history: edits, aliases, merges, rulings and retractions.

Each correction is one transaction that writes the change it makes (one change
record per field, with who, when, the old and new value and why), and refreshes
the stored reconciliation of every claim it can affect. Nothing is deleted and
no stance is edited: a merge is a pointer (`merged_into`), a rename keeps the old
name as an alias, a re-key keeps the old key as an alias, a ruling adds to the
claim's ruling history.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable, Iterator, Optional

import attrs

from .. import names, uids
from ..errors import Conflict, Duplicate, InvalidValue
from ..models import (
    Change,
    Claim,
    Retraction,
    Ruling,
    Source,
    check_date,
    future_date_warning,
    in_the_future,
    parse_ruling,
    tag_key,
    utc_now,
)
from ..reconcile import TRUE_RULINGS
from .listings import since_text
from .rows import ALIKE

SOURCE_FIELDS = ("name", "kind", "affiliation", "reliability", "url", "note")
CLAIM_FIELDS = ("key", "text", "subject", "tags", "note", "question")
# Fields whose change can change a reconciliation: rule 3 reads affiliations, rule 5
# grades, and the side lists name the sources.
RECONCILED_SOURCE_FIELDS = frozenset({"name", "affiliation", "reliability"})


_RULING_COLUMNS = "ruling, explanation, ruled_at, ruled_by, uid, desk"
# A change with its record as a person names it: a source's name, a claim's key, a stance's id.
_CHANGE_COLUMNS = (
    "ch.at, ch.by, ch.action, ch.record_type, CASE ch.record_type "
    "WHEN 'source' THEN (SELECT name FROM sources WHERE id = ch.record_id) "
    "WHEN 'claim' THEN (SELECT key FROM claims WHERE id = ch.record_id) "
    "WHEN 'question' THEN (SELECT key FROM questions WHERE id = ch.record_id) "
    "ELSE CAST(ch.record_id AS TEXT) END, "
    "ch.field, ch.old, ch.new, ch.reason, ch.uid, ch.record_uid, ch.desk"
)


def _ruling(row: tuple) -> Ruling:
    ruling, explanation, ruled_at, ruled_by, uid, desk = row
    return Ruling(ruling=ruling, explanation=explanation, ruled_at=ruled_at, ruled_by=ruled_by, uid=uid, desk=desk)


def _change(row: tuple) -> Change:
    return Change(*row)


def _shown(value: Any) -> Optional[str]:
    """A field's value as a change record keeps it: text as it is, tags as a JSON list."""
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return json.dumps(list(value), ensure_ascii=False)
    return str(value)


def _nothing_given(fields: Iterable[str]) -> str:
    """An edit given no field: the options of `source edit` or `claim edit` that name one."""
    options = [option for field in fields for option in (("--tag", "--untag") if field == "tags" else (f"--{field}",))]
    return f"nothing to change: give at least one of {', '.join(options)}"


def _when(timestamp: str) -> str:
    """A ruling's time as a warning names it, to the minute; 'UTC' when it is stored in UTC, as
    every time given with an offset is (models.check_date), so that 08:00-05:00 reads 13:00 UTC."""
    return timestamp[:16].replace("T", " ") + (" UTC" if len(timestamp) > 16 and timestamp.endswith("Z") else "")


class Corrections:
    """The part of `Store` that corrects the record and keeps its history."""

    conn: sqlite3.Connection

    # -- what every correction writes ---------------------------------------------

    def _change(self, action: str, record_type: str, record_id: int, record_uid: str, field: Optional[str],
                old: Any, new: Any, reason: Optional[str], at: Optional[str] = None,
                by: Optional[str] = None) -> str:
        """Write one change record (inside the caller's transaction); returns its uid."""
        at = at or utc_now()
        by = by or self.user
        uid = uids.new()
        self.conn.execute(
            "INSERT INTO changes (uid, at, by, desk, action, record_type, record_id, record_uid, field, old, new, "
            "reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [uid, at, by, self.desk, action, record_type, record_id, record_uid, field, _shown(old), _shown(new),
             reason])
        return uid

    @staticmethod
    def _reason(reason: Optional[str]) -> str:
        text = (reason or "").strip()
        if not text:
            raise InvalidValue("the reason is empty; say why with --reason, e.g. --reason 'typo in the affiliation'")
        return Corrections._one_line(text)

    @staticmethod
    def _one_line(reason: str) -> str:
        """A reason is one line of the log, whatever the correction: no control character."""
        bad = names.control_character(reason)
        if bad:
            raise InvalidValue(f"the reason holds a control character ({bad}); remove it")
        return reason

    # -- sources ------------------------------------------------------------------

    def edit_source(self, ref: str | int, reason: str, **fields: Any) -> Source:
        """Change any of a source's fields (name, kind, affiliation, reliability, url, note).

        A new name must be free; the old one stays as an alias. Every claim the
        source (or a source merged into it) speaks to is reconciled again when its
        name, affiliation or grade changes. NotFound, Duplicate, InvalidValue.
        """
        reason = self._reason(reason)
        unknown = set(fields) - set(SOURCE_FIELDS)
        if unknown:
            raise InvalidValue(f"a source has no field {sorted(unknown)[0]!r}; edit one of: {', '.join(SOURCE_FIELDS)}")
        if not fields:
            raise InvalidValue(_nothing_given(SOURCE_FIELDS))
        with self.transaction():
            source = self.get_source(ref)
            edited = attrs.evolve(source, **fields)  # the model's own rules check every value
            changed = [field for field in SOURCE_FIELDS if field in fields
                       and getattr(edited, field) != getattr(source, field)]
            if not changed:
                raise InvalidValue(
                    f"nothing to change: source {source.name!r} already has "
                    + ", ".join(f"no {field}" if getattr(source, field) is None
                                else f"{field} {getattr(source, field)!r}" for field in fields)
                    + "; give a new value")
            uid = self._uid("sources", source.id)
            if "name" in changed:
                self._check_name_free(edited.name, source.id)
                self._add_alias(source.id, None, uid, source.name)
            for field in changed:
                self._change("edit", "source", source.id, uid, field, getattr(source, field),
                             getattr(edited, field), reason)
            self.conn.execute(
                f"UPDATE sources SET {', '.join(f'{field} = ?' for field in changed)}"
                + (", folded = ?" if "name" in changed else "") + " WHERE id = ?",
                [getattr(edited, field) for field in changed]
                + ([names.fold(edited.name)] if "name" in changed else []) + [source.id])
            if RECONCILED_SOURCE_FIELDS.intersection(changed):
                self.refresh_reconciliations(self._claims_of_source(source.id))
            if ALIKE["sources"].keys() & set(changed):  # two sources one by name since a desk merge may be two again
                self.refresh_reconciliations(self.settle())
        return edited

    def alias_source(self, ref: str | int, alias: str) -> Source:
        """Give a source another name it can be found by ('Peskov' for 'Dmitry Peskov'). Duplicate
        when the alias is already a name or alias of any source."""
        alias = names.check_name(alias, "alias", "'Peskov'")
        self.warnings = []
        with self.transaction():
            source = self.get_source(ref)
            self._check_name_free(alias, None)
            uid = self._uid("sources", source.id)
            self._add_alias(source.id, None, uid, alias)
            self._change("alias", "source", source.id, uid, "aliases", None, alias, None)
            self.warnings += self._alias_also_names(alias, source)
        return source

    def _alias_also_names(self, alias: str, source: Source) -> list[str]:
        """A warning when claims name someone else by the alias: an alias is not a guess, and
        a shared name (Balti and the TTP spokesman were both 'Mohammad Khurasani') would make
        stances about the other count as this source's."""
        phrase = '{text subject} : "' + alias.replace('"', '""') + '"'  # what claims say, not notes about them
        rows = self.conn.execute(
            "SELECT c.key, c.text FROM claims_fts f JOIN claims c ON c.id = f.rowid "
            "WHERE claims_fts MATCH ? AND c.merged_into IS NULL ORDER BY c.id LIMIT 3", [phrase]).fetchall()
        if not rows:
            return []
        listed = "; ".join(f"{key} ({text[:60]}{'…' if len(text) > 60 else ''})" for key, text in rows)
        return [f"{alias!r} is also a name in what claims say: {listed}. From now on a stance logged as {alias!r} "
                f"counts as {source.name!r}'s; if the name is shared with someone else, log those stances "
                "under the full name instead"]

    def merge_sources(self, duplicate: str | int, into: str | int, reason: str) -> tuple[Source, Source]:
        """Merge a duplicate source into the source it repeats: the duplicate's stances stay as
        logged and count as the kept source's (rule 1: one latest stance for the two); its name
        becomes an alias. Merging into a source that was itself merged merges into the source at
        the end of that chain. Returns (duplicate, kept)."""
        reason = self._reason(reason)
        with self.transaction():
            dup, kept = self.get_source(duplicate), self.get_source(into)
            if dup.id == kept.id:
                raise Conflict(f"{str(duplicate).strip()!r} and {str(into).strip()!r} are already one source, "
                               f"{kept.name!r}; give two different sources")
            uid = self._uid("sources", dup.id)
            self.conn.execute("UPDATE sources SET merged_into = ? WHERE id = ?", [kept.id, dup.id])
            self._change("merge", "source", dup.id, uid, "merged_into", None, self._uid("sources", kept.id), reason)
            self.refresh_reconciliations(self._claims_of_source(kept.id))
        return dup, kept

    # -- claims ---------------------------------------------------------------------

    def edit_claim(self, ref: str | int, reason: str, add_tags: Iterable[str] = (), remove_tags: Iterable[str] = (),
                   **fields: Any) -> Claim:
        """Change any of a claim's fields (key, text, subject, tags, note, question); tags may
        also be added and removed one by one. A new key must be free; the old one stays as an alias."""
        reason = self._reason(reason)
        unknown = set(fields) - set(CLAIM_FIELDS)
        if unknown:
            raise InvalidValue(f"a claim has no field {sorted(unknown)[0]!r}; edit one of: {', '.join(CLAIM_FIELDS)}")
        if not (fields or add_tags or remove_tags):
            raise InvalidValue(_nothing_given(CLAIM_FIELDS))
        with self.transaction():
            claim = self.get_claim(ref)
            tags = list(fields.pop("tags", claim.tags))
            if any(not tag.strip() for tag in (*add_tags, *remove_tags)):
                raise InvalidValue("a tag is empty; give --tag or --untag a word, e.g. --tag ttp")
            dropped = {tag_key(tag) for tag in remove_tags}
            missing = [tag for tag in remove_tags if tag_key(tag) not in {tag_key(t) for t in tags}]
            if missing:
                raise InvalidValue(f"claim {claim.key!r} has no tag {missing[0]!r}; its tags are: "
                                   f"{', '.join(claim.tags) or 'none'}")
            # Removed, then added: --untag ttp --tag TTP spells a tag anew. One of each
            # (models.tag_key): Claim keeps the first spelling.
            tags = [tag for tag in tags if tag_key(tag) not in dropped] + [tag.strip() for tag in add_tags]
            if sorted(attrs.evolve(claim, tags=tuple(tags)).tags) == sorted(claim.tags):
                tags = list(claim.tags)  # taken out and put back as they were: no change, not even of order
            question = fields.pop("question", attrs.NOTHING)
            edited = attrs.evolve(claim, tags=tuple(tags), **fields)
            changed = [field for field in ("key", "text", "subject", "tags", "note")
                       if getattr(edited, field) != getattr(claim, field)]
            uid = self._uid("claims", claim.id)
            question_id = old_question = None
            if question is not attrs.NOTHING:
                question_id, old_question = self._question_id(question), self._question_of(claim.id)
                if question_id != self._question_id(old_question):
                    changed.append("question")
            if not changed:
                raise InvalidValue(f"nothing to change: claim {claim.key!r} already has these values; give a new value")
            if "key" in changed:
                self._check_key_free(edited.key, claim.id)
                self._add_alias(None, claim.id, uid, claim.key)
            for field in changed:
                if field == "question":
                    self._change("edit", "claim", claim.id, uid, field, old_question, question, reason)
                else:
                    self._change("edit", "claim", claim.id, uid, field, getattr(claim, field),
                                 getattr(edited, field), reason)
            columns = [field for field in changed if field != "question"]
            values = [json.dumps(list(edited.tags), ensure_ascii=False) if field == "tags" else getattr(edited, field)
                      for field in columns]
            if "question" in changed:
                columns.append("question_id")
                values.append(question_id)
            if "key" in changed:  # a key the desk chose: no later merge re-keys it from the one it had
                columns.append("rekeyed_from")
                values.append(None)
            self.conn.execute(f"UPDATE claims SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",
                              values + [claim.id])
            if "question" in changed or "key" in changed:  # rule 7 names answers by key
                self.refresh_questions([q for q in (self._question_id(old_question), question_id) if q is not None]
                                       if "question" in changed else self.question_ids_of([claim.id]))
            if {"text", "subject", "note"}.intersection(changed):  # what similarity reads (docs/similar.md)
                self.compare_again(claim, edited)
            self.warnings = []
            if "question" in changed and edited.ruling in TRUE_RULINGS:  # as `rule_claim` warns
                self.warnings = self._other_answers_true(attrs.evolve(edited, id=claim.id, question=question))
            if ALIKE["claims"].keys() & set(changed):  # two claims one by key and text since a desk merge
                self.refresh_reconciliations(self.settle())
        return edited

    def merge_claims(self, duplicate: str | int, into: str | int, reason: str) -> tuple[Claim, Claim]:
        """Merge a duplicate claim into the claim it repeats: its stances count as the kept
        claim's, its key becomes an alias. Returns (duplicate, kept)."""
        reason = self._reason(reason)
        with self.transaction():
            dup, kept = self.get_claim(duplicate), self.get_claim(into)
            if dup.id == kept.id:
                raise Conflict(f"{str(duplicate).strip()!r} and {str(into).strip()!r} are already one claim, "
                               f"{kept.key!r}; give two different claims")
            self.conn.execute("UPDATE claims SET merged_into = ? WHERE id = ?", [kept.id, dup.id])
            self._change("merge", "claim", dup.id, self._uid("claims", dup.id), "merged_into", None,
                         self._uid("claims", kept.id), reason)
            self.forget_reconciliation(dup.id)
            self.compare_again(dup)  # it no longer counts among the claims the later ones are compared with
            # its key, free now, may go back to a claim a desk merge re-keyed for it, as any merge would give it
            self.refresh_reconciliations([kept.id, *self.settle()])
            self.refresh_questions(self.question_ids_of([dup.id]))  # it is no longer one of their answers
            self.warnings = [self._ruling_left_behind(dup, kept)] if dup.ruling else []
        return dup, kept

    @staticmethod
    def _ruling_left_behind(dup: Claim, kept: Claim) -> str:
        """A merged claim's rulings stay in its own history: the kept claim's ruling is its own
        (its stances' verdict may have moved, its ruling has not). Say so, and how to carry it."""
        has = f"keeps its ruling, {kept.ruling} ({_when(kept.ruled_at)})" if kept.ruling else "has no ruling"
        return (f"{dup.key} was ruled {dup.ruling} ({_when(dup.ruled_at)}); its rulings stay in its history and do "
                f"not carry over: {kept.key} {has}. If {dup.ruling} is right for {kept.key}, rule it: "
                f"verity claim rule {names.shell_word(kept.key)} {dup.ruling}")

    def rule_claim(self, ref: str | int, ruling: str, explanation: Optional[str] = None,
                   on: Optional[str] = None, by: Optional[str] = None) -> Claim:
        """Add a ruling to a claim's history (dated `on`, else now); the claim's ruling is its
        latest. The change written says what the claim's ruling was and is (field 'ruling'), or,
        when the ruling is dated before the claim's ruling and so leaves it as it was, the
        ruling added to the history (field 'rulings', as an alias's change names the alias
        added). Returns the claim as ruled."""
        ruling = parse_ruling(ruling)
        ruled_at = check_date(on.strip(), "ruling date") if on else utc_now()
        if in_the_future(ruled_at):  # it would stay the claim's ruling over every ruling made until then
            raise InvalidValue(f"ruling date {ruled_at} is in the future; check the year, or leave out --on "
                               "to date the ruling now")
        explanation = (explanation or "").strip() or None
        with self.transaction():
            claim = self.get_claim(ref)
            record = Ruling(ruling=ruling, explanation=explanation, ruled_at=ruled_at, ruled_by=by or self.user,
                            uid=uids.new(), desk=self.desk)
            self.conn.execute(
                "INSERT INTO rulings (uid, claim_id, ruling, explanation, ruled_at, ruled_by, desk) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [record.uid, claim.id, record.ruling, record.explanation, record.ruled_at, record.ruled_by,
                 record.desk])
            latest = self._latest_ruling(claim.id)
            # Dated before the claim's ruling, it leaves that ruling as it was: only the history grows.
            field, old = ("ruling", claim.ruling) if latest.uid == record.uid else ("rulings", None)
            self.warnings = [] if field == "ruling" else [
                f"{ruling}, dated {_when(ruled_at)}, is earlier than {claim.key}'s ruling ({latest.ruling}, "
                f"{_when(latest.ruled_at)}), which stays its ruling: {ruling} is added to its ruling history"]
            self._change("rule", "claim", claim.id, self._uid("claims", claim.id), field, old, ruling, explanation,
                         by=record.ruled_by)
            if latest.ruling in TRUE_RULINGS:
                self.warnings += self._other_answers_true(claim)
            self.conn.execute(
                "UPDATE claims SET ruling = ?, ruling_explanation = ?, ruled_at = ?, ruled_by = ? WHERE id = ?",
                [latest.ruling, latest.explanation, latest.ruled_at, latest.ruled_by, claim.id])
        return attrs.evolve(claim, ruling=latest.ruling, ruling_explanation=latest.explanation,
                            ruled_at=latest.ruled_at, ruled_by=latest.ruled_by)

    def _other_answers_true(self, claim: Claim) -> list[str]:
        """The other answers of the claim's question ruled true: answers exclude each other
        (rule 7), so at most one can be; a source's track record counts affirming any other as wrong."""
        if claim.question is None:
            return []
        others = [key for key, in self.conn.execute(
            "SELECT c.key FROM claims c JOIN questions q ON q.id = c.question_id WHERE q.key = ? AND c.id != ? "
            f"AND c.merged_into IS NULL AND c.ruling IN ({', '.join('?' * len(TRUE_RULINGS))}) ORDER BY c.key",
            [claim.question, claim.id, *TRUE_RULINGS])]
        return [f"{claim.key} and {key} both answer question {claim.question} and are both ruled true, but its "
                f"answers exclude each other; rule the one that is not: verity claim rule {names.shell_word(key)} RULING"
                for key in others]

    def rulings(self, ref: str | int) -> list[Ruling]:
        """A claim's ruling history, oldest first."""
        claim = self.get_claim(ref)
        return [_ruling(row) for row in self.conn.execute(
            f"SELECT {_RULING_COLUMNS} FROM rulings WHERE claim_id = ? "
            "ORDER BY ruled_at IS NOT NULL, ruled_at, uid", [claim.id])]

    def _latest_ruling(self, claim_id: int) -> Ruling:
        return _ruling(self.conn.execute(
            f"SELECT {_RULING_COLUMNS} FROM rulings WHERE claim_id = ? "
            "ORDER BY ruled_at IS NULL, ruled_at DESC, uid DESC LIMIT 1", [claim_id]).fetchone())

    # -- stances --------------------------------------------------------------------

    def retract_stance(self, stance_id: int | str, reason: str, on: Optional[str] = None,
                       by: Optional[str] = None) -> Any:
        """Retract a stance: it is kept, marked, and stops counting. `on`: when the source withdrew
        it (a date, possibly partial), beside when it was retracted here."""
        on = check_date(on.strip(), "withdrawal date", partial=True) if on else None
        retraction = Retraction(reason=reason, by=by or self.user, on=on)
        self._one_line(retraction.reason)
        with self.transaction():
            stance = self.get_stance(stance_id)
            warned = future_date_warning(on, "--on", "the withdrawal date")
            if warned is None and on and stance.said_on and on < stance.said_on[:len(on)]:
                warned = (f"--on {on} is before stance {stance.id} was said ({stance.said_on}); check the dates "
                          "(the withdrawal date is kept as given)")
            self.warnings = [warned] if warned else []
            if stance.retracted:
                raise Conflict(
                    f"stance {stance.id} was already retracted on {stance.retracted.at} "
                    f"({stance.retracted.reason}); log a new stance if the position changed again"
                )
            self.conn.execute(
                "UPDATE stances SET retracted_at = ?, retraction_reason = ?, retracted_by = ?, retracted_on = ? "
                "WHERE id = ?", [retraction.at, retraction.reason, retraction.by, retraction.on, stance.id])
            uid, claim_id = self.conn.execute("SELECT uid, claim_id FROM stances WHERE id = ?",
                                              [stance.id]).fetchone()
            self._change("retract", "stance", stance.id, uid, "retracted", None, retraction.on or retraction.at,
                         retraction.reason, at=retraction.at, by=retraction.by)
            self.refresh_reconciliations([self.root_claim_id(claim_id)])
        return attrs.evolve(stance, retracted=retraction)

    # -- the history ------------------------------------------------------------------

    def changes(self, since: Optional[str] = None, by: Optional[str] = None,
                record: Optional[tuple[str, int]] = None, described: bool = True) -> Iterator[Change]:
        """Every change, newest first; only those since a date, by someone, or of one record
        (`("source", id)` — a source's own and those of the sources merged into it).
        A merge names the record kept by its name or key (by its uid with `described=False`)."""
        where, params = [], []
        if since:
            where.append("ch.at >= ?")
            params.append(since_text(since.strip()))
        if by:
            where.append("ch.by = ?")
            params.append(by.strip())
        if record:
            kind, record_id = record
            members = self.member_ids("sources" if kind == "source" else "claims", record_id)
            where.append(f"ch.record_type = ? AND ch.record_id IN ({', '.join('?' * len(members))})")
            params += [kind, *members]
        sql = (f"SELECT {_CHANGE_COLUMNS} FROM changes ch"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY ch.at DESC, ch.uid DESC")
        for row in self.conn.execute(sql, params):
            change = _change(row)
            if change.action == "merge" and described:  # the kept record, by its uid: say its name
                change = attrs.evolve(change, old=self.describe_uid(change.old), new=self.describe_uid(change.new))
            yield change

    def other_names(self, table: str, record_id: int) -> list[str]:
        """A source's other names (aliases, and the names of sources merged into it), or a
        claim's old keys (and the keys of claims merged into it), in the order they came."""
        column = {"sources": "source_id", "claims": "claim_id"}[table]
        name = {"sources": "name", "claims": "key"}[table]
        members = self.member_ids(table, record_id)
        own = self.conn.execute(f"SELECT {name} FROM {table} WHERE id = ?", [record_id]).fetchone()[0]
        found: dict[str, None] = {}
        for (alias,) in self.conn.execute(
                f"SELECT alias FROM aliases WHERE {column} IN ({', '.join('?' * len(members))}) ORDER BY added_at, uid",
                members):
            found.setdefault(alias, None)
        for (merged,) in self.conn.execute(
                f"SELECT {name} FROM {table} WHERE id IN ({', '.join('?' * len(members))}) AND id != ? ORDER BY id",
                [*members, record_id]):
            found.setdefault(merged, None)
        return [alias for alias in found if alias != own]

    # -- names, keys and pointers --------------------------------------------------------

    def _uid(self, table: str, record_id: int) -> str:
        return self.conn.execute(f"SELECT uid FROM {table} WHERE id = ?", [record_id]).fetchone()[0]

    def describe_uid(self, uid: Optional[str]) -> Optional[str]:
        """A source's name or a claim's key for its uid (how a merge change names its target)."""
        if uid is None:
            return None
        for sql in ("SELECT name FROM sources WHERE uid = ?", "SELECT key FROM claims WHERE uid = ?"):
            row = self.conn.execute(sql, [uid]).fetchone()
            if row:
                return row[0]
        return uid

    def _add_alias(self, source_id: Optional[int], claim_id: Optional[int], target_uid: str, alias: str) -> None:
        folded = names.fold(alias) if source_id is not None else alias
        taken = self.conn.execute(
            "SELECT 1 FROM aliases WHERE folded = ? AND source_id IS ? AND claim_id IS ?",
            [folded, source_id, claim_id]).fetchone()
        if taken:
            return  # already an alias of this record (a name given back)
        self.conn.execute(
            "INSERT INTO aliases (uid, source_id, claim_id, alias, folded, added_at, added_by, desk) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [uids.of_alias(target_uid, alias), source_id, claim_id, alias, folded, utc_now(), self.user, self.desk])

    def _check_name_free(self, name: str, source_id: Optional[int]) -> None:
        """Duplicate unless no other source has this name or alias (names and aliases share one namespace)."""
        owner = self.source_named(name)
        if owner is None or owner.id == source_id:
            return
        kept = self._source_by_id(self.root_id("sources", owner.id))
        if names.fold(owner.name) == names.fold(name) and owner.id == kept.id:
            raise Duplicate(f"a source named {owner.name!r} already exists (names are matched ignoring case); "
                            "use that source or choose another name")
        raise Duplicate(f"a source named {name!r} already exists: it is a name of {kept.name!r} (names and "
                        "aliases are matched ignoring case); use that source or choose another name")

    def _check_key_free(self, key: str, claim_id: int) -> None:
        owner = self.claim_keyed(key)
        if owner is not None and owner.id != claim_id:
            raise Duplicate(f"claim key {key!r} is already taken by {owner.text!r}; give this claim another "
                            "--key, or log stances on the existing one")

    def _question_id(self, key: Optional[str]) -> Optional[int]:
        if key is None or not str(key).strip():
            return None
        return self.get_question(key)[0]

    def _question_of(self, claim_id: int) -> Optional[str]:
        row = self.conn.execute("SELECT q.key FROM claims c JOIN questions q ON q.id = c.question_id "
                                "WHERE c.id = ?", [claim_id]).fetchone()
        return row[0] if row else None

    def _claims_of_source(self, source_id: int) -> list[int]:
        """Every claim (resolved through merges) that the source or a source merged into it speaks to."""
        members = self.member_ids("sources", source_id)
        rows = self.conn.execute(
            f"SELECT DISTINCT claim_id FROM stances WHERE source_id IN ({', '.join('?' * len(members))})", members)
        return sorted({self.root_claim_id(claim_id) for (claim_id,) in rows})
