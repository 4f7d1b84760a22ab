"""What a version-2 document adds beyond its models' fields: aliases, ruling histories,
merges, questions and changes. Each is taken out of its record and checked as the record
is read (`_extras`), and applied once every record is in (`_apply_later`), since it may
refer to a record later in the file. Part of `records.Importer`.
"""

from __future__ import annotations

from typing import Any, Optional

from .. import uids
from ..formats import RECORD_EXTRAS, Place, structure_record_list
from ..models import Change, Question, Ruling
from ..store import BulkLoad, Store
from .summary import Problems


class Extras:
    """`records.Importer`'s handling of a document's extras. The importer sets what it uses
    (below) and gives `error`, and `_with_uid` and `_names_it` (`references.References`)."""

    store: Store
    load: BulkLoad
    problems: Problems
    record: int
    _later: list
    _first_rulings: list[tuple[int, Ruling]]
    _questions: list[tuple[int, str, Place]]

    def _extras(self, kind: str, data: Any, place: Place) -> dict:
        """Take out of a record what a version-2 document adds beyond its model's fields
        (aliases, ruling history, what it was merged into), checked; they are applied once
        every record is in (`_apply_later`)."""
        names = RECORD_EXTRAS.get(kind)
        if not names or not isinstance(data, dict):
            return {}
        extras = {name: data.pop(name) for name in names if name in data}
        aliases = extras.get("aliases")
        if aliases is not None and not (isinstance(aliases, list) and all(isinstance(a, str) for a in aliases)):
            self.error("expected a list of names", place.field("aliases"))
        merged = extras.get("merged_into")
        if merged is not None and not isinstance(merged, str):
            self.error("expected the name (or key) of the record it was merged into, or null",
                       place.field("merged_into"))
        for name in names:  # the uid of the record the field before names, where another has its name
            if not name.endswith("_uid") or extras.get(name) is None:
                continue
            named = name[:-len("_uid")]
            if not uids.is_uid(extras[name]):
                self.error(f"expected a uid (a UUID in lower case, as verity writes uids), or null; got "
                           f"{extras[name]!r}", place.field(name))
            elif extras.get(named, data.get(named)) is None:
                self.error(f"{name} is the uid of the record {named} names, and this {kind} gives no {named}; "
                           f"give {named} too, or leave {name} out", place.field(name))
            else:
                continue
            extras[name] = None
        if "rulings" in extras:
            rulings, errors = structure_record_list(extras["rulings"], Ruling, place.field("rulings"))
            for text in errors:
                self.problems.add(self.record, text)
            extras["rulings"] = rulings
        return {name: value for name, value in extras.items() if value}

    def question(self, question: Question, place: Place) -> None:
        """Add a question (a group of claims that answer it), or reuse the one with its key."""
        self.load.add_question(question)

    def _apply_later(self) -> None:
        """What refers to records that may come later in the file: aliases, merges, ruling
        histories, questions of claims, and changes (by the uid of their record)."""
        merges: dict[str, list[tuple[str, str, str]]] = {}  # a record's uid -> (at, uid, into) of its merge changes
        for item in self._later:
            if isinstance(item, Change) and item.action == "merge" and item.record_uid and item.new:
                merges.setdefault(item.record_uid, []).append((item.at, item.uid or "", item.new))
        for item in self._later:
            if isinstance(item, Change):
                record_id = self.load.record_id(item.record_type, item.record_uid) if item.record_uid else None
                if record_id is None:
                    self.problems.add(self.record, f"change {item.uid or ''} is of a {item.record_type} that is "
                                      "not in the file or the database; check its record_uid")
                    continue
                self.load.add_change(item, record_id)
                continue
            kind, record_id, uid, extras, place = item
            table = "sources" if kind == "source" else "claims"
            if "aliases" in extras:
                self.load.add_aliases(table, record_id, extras["aliases"])
            if "rulings" in extras:
                self.load.add_rulings(record_id, extras["rulings"])
            if "merged_into" in extras:
                self._merge(table, record_id, extras["merged_into"], sorted(merges.get(uid, ())),
                            place, extras.get("merged_into_uid"))
        for claim_id, ruling in self._first_rulings:
            self.load.add_rulings(claim_id, [ruling])
        for claim_id, key, place in self._questions:
            question_id = self.load.question_id(key)
            if question_id is None:
                self.error(f"no question {key!r}; add it to the document's questions, or first with "
                           "'verity question add'", place.field("question"))
            else:
                self.load.link_question(claim_id, question_id)

    def _merge(self, table: str, record_id: int, name: str, changes: list[tuple[str, str, str]],
               record: Place, uid: Optional[str] = None) -> None:
        """Point a record at the one its file says it was merged into, by that one's name or key,
        and its uid where the file gives it (`merged_into_uid`: an export does where another
        record has that name or key). Two records may share it (one merged into the other, or a
        desk merge's re-keyed claim given its key back), so without its uid it is found as the
        pointer came to be (verity.store.resolve):
        the one a merge change of the record (the latest) merged it into; else the oldest one
        with it by name; else the record that holds the name (not merged into another), else
        one merged that has it, else the one with it as an alias. One that names itself so is
        merged into nothing: a record is never merged into itself (an earlier verity could
        write such a file)."""
        into = None
        kind = "source" if table == "sources" else "claim"
        found_uid = None if uid is None else self._with_uid(kind, uid)
        if found_uid is not None and found_uid[0] == record_id:
            uid = None  # a uid naming the record itself says nothing: found by name, as without one
        if uid is not None:
            if found_uid is None or not self._names_it(kind, found_uid[1], name):
                said = "is not in the file or the database" if found_uid is None else f"is {found_uid[1]!r}"
                self.error(f"merged_into_uid {uid} {said}, not the {kind} {name!r} merged_into names; make them "
                           "agree, or leave merged_into_uid out", record.field("merged_into_uid"))
                return
            into = found_uid[0]
        place = record.field("merged_into")
        for _at, _uid, target in [] if into is not None else reversed(changes):
            found = self.store.source_with_uid(target) if table == "sources" else self.store.claim_with_uid(target)
            if found is not None and self._names_it(kind, found.name if table == "sources" else found.key, name):
                into = found.id
                break
        if into is None:
            into = self.load.oldest_alike(table, record_id, name)
        if into is None:
            found = self.store.source_named(name) if table == "sources" else self.store.claim_keyed(name)
            into = None if found is None else found.id
        if into is None:
            self.error(f"it was merged into {name!r}, which is not in the file or the database", place)
        elif not self.load.merge(table, record_id, None if into == record_id else into):
            self.error(f"it was merged into {name!r}, which was merged into it (directly or through others); "
                       "leave out one of the two merged_into", place)
