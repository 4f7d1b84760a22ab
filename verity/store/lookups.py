"""Finding records: sources by name or alias, claims by key or old key, any record by id or
uid, and where a merged record now counts. The part of `Store` every command starts from."""

from __future__ import annotations

import sqlite3
from typing import Iterator, Optional

from .. import names
from ..errors import NotFound, did_you_mean
from ..models import Claim, Source, Stance
from .rows import CLAIM_SELECT, STANCE_SELECT, claim_from_row, source_from_row, stance_from_row, table_columns


class Lookups:
    """The part of `Store` that finds records."""

    conn: sqlite3.Connection
    _column_names: dict[str, list[str]]  # per connection: set by Store

    def find_source(self, name: str) -> Optional[Source]:
        """The source with this name or alias (compared as docs/rules.md says), or None.

        A source merged into another is found as the source it was merged into."""
        record = self.source_named(name)
        return None if record is None else self._source_by_id(self.root_id("sources", record.id))

    def find_claim(self, key: str) -> Optional[Claim]:
        """The claim with this key or old key, or None (a merged claim is found as the one it was merged into)."""
        record = self.claim_keyed(key)
        return None if record is None else self._claim_by_id(self.root_id("claims", record.id))

    def source_named(self, name: str) -> Optional[Source]:
        """The source record that has this name (preferring one not merged), else the one with
        this alias (the latest alias given, if desks gave it twice), else None."""
        folded = names.fold(name)
        # Two look-ups, each through an index (names are unique among the sources not merged).
        row = self.conn.execute(
            "SELECT * FROM sources WHERE folded = ? AND merged_into IS NULL", [folded]).fetchone() or \
            self.conn.execute("SELECT * FROM sources WHERE folded = ? AND merged_into IS NOT NULL ORDER BY uid LIMIT 1",
                              [folded]).fetchone()
        if row is None:
            row = self.conn.execute(
                "SELECT src.* FROM aliases a JOIN sources src ON src.id = a.source_id WHERE a.folded = ? "
                "ORDER BY a.added_at DESC, a.uid DESC LIMIT 1", [folded]).fetchone()
        return self._source_from_row(row) if row else None

    def claim_keyed(self, key: str) -> Optional[Claim]:
        """The claim record that has this key (preferring one not merged), else the one with it as
        an old key, else None."""
        key = key.strip()
        # Two look-ups, each through an index (keys are unique among the claims not merged).
        row = self.conn.execute(f"{CLAIM_SELECT} WHERE c.key = ? AND c.merged_into IS NULL", [key]).fetchone() or \
            self.conn.execute(f"{CLAIM_SELECT} WHERE c.key = ? AND c.merged_into IS NOT NULL ORDER BY c.uid LIMIT 1",
                              [key]).fetchone()
        if row is None:
            row = self.conn.execute(
                f"{CLAIM_SELECT} JOIN aliases a ON a.claim_id = c.id WHERE a.folded = ? "
                "ORDER BY a.added_at DESC, a.uid DESC LIMIT 1", [key]).fetchone()
        return self._claim_from_row(row) if row else None

    def source_with_uid(self, uid: str) -> Optional[Source]:
        """The source record with this uid (merged or not), or None."""
        row = self.conn.execute("SELECT * FROM sources WHERE uid = ?", [uid]).fetchone()
        return self._source_from_row(row) if row else None

    def claim_with_uid(self, uid: str) -> Optional[Claim]:
        """The claim record with this uid (merged or not), or None."""
        row = self.conn.execute(f"{CLAIM_SELECT} WHERE c.uid = ?", [uid]).fetchone()
        return self._claim_from_row(row) if row else None

    def identities(self) -> Iterator[tuple[str, str]]:
        """Every name and key a record is found by now, as (what it is, the value): the source
        names, the claims' and the questions' keys (not the aliases: a history, kept as it was)."""
        for what, sql in (("source name", "SELECT name FROM sources"),
                          ("claim key", "SELECT key FROM claims"),
                          ("question key", "SELECT key FROM questions")):
            for value, in self.conn.execute(sql):
                yield what, value

    def records_without_uid(self) -> int:
        """How many sources, claims and stances another program wrote without a uid, which no
        verity has given one yet (see `Store._adopt_rows_written_by_others`)."""
        return sum(self.conn.execute(f"SELECT count(*) FROM {table} WHERE uid IS NULL").fetchone()[0]
                   for table in ("sources", "claims", "stances"))

    def uid_of(self, table: str, column: str, value: str) -> Optional[str]:
        """The uid of the record of `table` whose `column` is `value` (a question's key), or None."""
        if (table, column) not in {("questions", "key"), ("sources", "name"), ("claims", "key")}:
            raise ValueError(f"no lookup of {table} by {column}")
        row = self.conn.execute(f"SELECT uid FROM {table} WHERE {column} = ? ORDER BY uid LIMIT 1", [value]).fetchone()
        return row[0] if row else None

    def root_id(self, table: str, record_id: int) -> int:
        """The id at the end of a record's chain of merges (its own when it was never merged)."""
        seen = {record_id}
        while True:
            row = self.conn.execute(f"SELECT merged_into FROM {table} WHERE id = ?", [record_id]).fetchone()
            if row is None or row[0] is None or row[0] in seen:
                return record_id
            record_id = row[0]
            seen.add(record_id)

    def root_claim_id(self, claim_id: int) -> int:
        """`root_id` of a claim: the claim a stance logged on `claim_id` counts for."""
        return self.root_id("claims", claim_id)

    def member_ids(self, table: str, root_id: int) -> list[int]:
        """The record and every record merged into it, directly or through others."""
        return [row[0] for row in self.conn.execute(
            f"WITH RECURSIVE members(id) AS (SELECT ? UNION SELECT t.id FROM {table} t "
            f"JOIN members m ON t.merged_into = m.id) SELECT id FROM members ORDER BY id", [root_id])]

    def _source_by_id(self, source_id: int) -> Optional[Source]:
        row = self.conn.execute("SELECT * FROM sources WHERE id = ?", [source_id]).fetchone()
        return self._source_from_row(row) if row else None

    def _claim_by_id(self, claim_id: int) -> Optional[Claim]:
        row = self.conn.execute(f"{CLAIM_SELECT} WHERE c.id = ?", [claim_id]).fetchone()
        return self._claim_from_row(row) if row else None

    def get_source(self, ref: str | int, order: str = "") -> Source:
        """A source by name, alias (compared as docs/rules.md says) or id; a merged source
        is given as the source it was merged into. NotFound names the closest sources, or
        says that `ref` is a claim, followed by `order` (how the command takes its arguments)."""
        ref_text = str(ref).strip()
        source = self.find_source(ref_text)
        source_id = names.as_id(ref_text)
        if source is None and source_id is not None:
            found = self._source_by_id(source_id)
            source = None if found is None else self._source_by_id(self.root_id("sources", found.id))
        if source is None:
            if self.find_claim(ref_text) is not None:
                raise NotFound(f"{ref_text!r} is a claim, not a source: "
                               + (order or "give a source's name or id (see 'verity source list')"))
            raise NotFound(
                f"no source {ref_text!r}{self._suggest_source(ref_text)}; "
                "see 'verity source list' or add it with 'verity source add'"
            )
        return source

    def get_claim(self, ref: str | int, order: str = "") -> Claim:
        """A claim by key, old key or id; a merged claim is given as the claim it was merged
        into. NotFound names the closest keys, or says that `ref` is a source, followed by
        `order` (how the command takes its arguments)."""
        ref_text = str(ref).strip()
        claim = self.find_claim(ref_text)
        claim_id = names.as_id(ref_text)
        if claim is None and claim_id is not None:
            found = self._claim_by_id(claim_id)
            claim = None if found is None else self._claim_by_id(self.root_id("claims", found.id))
        if claim is None:
            if self.find_source(ref_text) is not None:
                raise NotFound(f"{ref_text!r} is a source, not a claim: "
                               + (order or "give a claim's key or id (see 'verity claim list')"))
            raise NotFound(
                f"no claim {ref_text!r}{self._suggest_claim(ref_text)}; "
                "see 'verity claim list' or add it with 'verity claim add'"
            )
        return claim

    def _suggest_claim(self, key: str) -> str:
        known = (r[0] for r in self.conn.execute("SELECT key FROM claims UNION SELECT alias FROM aliases "
                                                  "WHERE claim_id IS NOT NULL"))
        return did_you_mean(key, known)

    def _suggest_source(self, name: str) -> str:
        known = (r[0] for r in self.conn.execute("SELECT name FROM sources UNION SELECT alias FROM aliases "
                                                  "WHERE source_id IS NOT NULL"))
        return did_you_mean(name, known)

    def get_stance(self, stance_id: int | str) -> Stance:
        """A stance by id (a number, or its digits as text), or NotFound."""
        given = stance_id
        stance_id = stance_id if isinstance(stance_id, int) else names.as_id(str(stance_id))
        if stance_id is None or not 0 < stance_id <= names.MAX_ID:
            raise NotFound(f"no stance with id {str(given).strip()!r}; give the number 'stance add' printed "
                           "(see 'verity claim show CLAIM')")
        row = self.conn.execute(
            STANCE_SELECT + " WHERE s.id = ?", [stance_id]
        ).fetchone()
        if row is None:
            highest = self.conn.execute("SELECT max(id) FROM stances").fetchone()[0]
            known = f"stance ids run from 1 to {highest}" if highest else "no stances are logged yet"
            raise NotFound(f"no stance with id {stance_id}; {known} (see 'verity claim show CLAIM')")
        return stance_from_row(row)

    def _columns(self, table: str) -> list[str]:
        """A table's column names, read once per connection (reports ask per claim)."""
        if table not in self._column_names:
            self._column_names[table] = table_columns(self.conn, table)
        return self._column_names[table]

    def _source_from_row(self, row) -> Source:
        return source_from_row(dict(zip(self._columns("sources"), row)))

    def _claim_from_row(self, row) -> Claim:
        """A claim from a row of CLAIM_SELECT: the claims table's columns, then its question's key."""
        return claim_from_row(dict(zip([*self._columns("claims"), "question"], row)))
