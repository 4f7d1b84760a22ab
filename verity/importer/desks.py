"""`verity merge FILE`: another desk's database, or its export, merged into this one.

A database file is merged as it is (opened read-only; a copy of it upgraded first when
an older verity wrote it). An export (version 2, JSON or JSONL) is first written as the
database it came from — its records by uid, as they were — into a scratch database
beside the system's temporary files, which is then merged the same way. A record without
a uid (a version-1 or hand-written file) takes the uid of this database's record of the
same name, or of the same key saying the same thing, else the one an import of it would
give; a claim whose key this database's claim has, saying something else, is a claim of
its own (`_Reader.claim_uid`). docs/desks.md says what a merge adds and resolves.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any, Iterator, Optional

from .. import uids
from ..errors import InvalidValue, NotVerityDatabase, VerityError, unreadable
from ..formats import RECORD_EXTRAS, DocumentLines, Place, converter, document_records
from ..jsonl import BOM, read_jsonl
from ..models import Change, Claim, Question, Ruling, Source, Stance, is_key, tag_key
from ..names import control_character, fold, shell_quoted
from ..store import Store, claim_row, stance_values
from ..store.merge import MergeOutcome, file_state, unchanged_since
from ..store.resolve import rekeyed_from
from ..store.settling import Resolution
from ..store.staging import Staging
from . import EXTENSIONS, content_format, load_json_text, open_input
from .rows import with_uid

SQLITE_HEADER = b"SQLite format 3\x00"
NOT_A_DESK_FILE = ("{path} is not a verity database or export; give another desk's database file, "
                   "or its export ('verity export --output desk.json')")


def merge_file(store: Store, path: Path, *, new_file: bool = False) -> MergeOutcome:
    """Merge the verity database or version-2 export at `path` into `store`: all of it, or nothing.

    `new_file`: the database was created for this merge, and is deleted if it fails."""
    try:
        return _merge_file(store, path, new_file)
    except BaseException:
        if new_file:
            store.discard_new_file()
        raise


def _merge_file(store: Store, path: Path, new_file: bool) -> MergeOutcome:
    try:
        with open(path, "rb") as handle:
            head = handle.read(1 << 16)
    except OSError as exc:
        raise unreadable(path, exc) from None
    if head.startswith(SQLITE_HEADER):
        return _merge_database(store, path, new_file)
    fmt = content_format(head)
    if fmt is None and EXTENSIONS.get(path.suffix.lower()) == "jsonl" and not head.removeprefix(BOM).strip():
        if _blank(path):
            return MergeOutcome()  # the JSONL export of an empty database: no records
        fmt = "jsonl"  # its records come after a long run of white space: read it as its name says
    if fmt not in ("json", "jsonl"):
        raise InvalidValue(NOT_A_DESK_FILE.format(path=path))
    with _scratch() as scratch:
        differences = stage_export(scratch, path, fmt, store)
        scratch.close()
        outcome = store.merge_database(str(scratch.path), new_file=new_file)
        outcome.resolutions += differences
        return outcome


def _blank(path: Path) -> bool:
    """Whether a file holds nothing but white space (and perhaps a byte-order mark)."""
    try:
        with open(path, "rb") as handle:
            first = True
            for chunk in iter(lambda: handle.read(1 << 16), b""):
                if first and chunk.startswith(BOM):
                    chunk = chunk[len(BOM):]
                first = False
                if chunk.strip():
                    return False
    except OSError as exc:
        raise unreadable(path, exc) from None
    return True


def _merge_database(store: Store, path: Path, new_file: bool) -> MergeOutcome:
    with contextlib.suppress(OSError):
        if os.path.samefile(path, store.path):
            return MergeOutcome()  # a database holds every record it holds: nothing to add
    before = file_state(path)
    try:
        other = Store.open(path, read_only=True)
    except NotVerityDatabase:
        raise InvalidValue(NOT_A_DESK_FILE.format(path=path)) from None
    try:
        if other.written_by_newer:
            raise InvalidValue(f"{path} was written by a newer verity (migration {other.written_by_newer!r}); "
                               "upgrade verity to merge it, e.g. pip install -U verity")
        if not other.pending_migrations():
            _check_identities(other, path)
            other.close()
            return store.merge_database(str(path), new_file=new_file)
        with _scratch_path() as copy:  # an older verity's file: merged from an upgraded copy
            # into a new file: SQLite copies a database only into one, or one of its page size
            with contextlib.closing(sqlite3.connect(copy)) as target:
                other.conn.backup(target)
            unchanged_since(path, before)  # read immutable, as merge_database reads a current file
            with Store.open(copy) as upgraded:
                _check_identities(upgraded, path)
            return store.merge_database(copy, new_file=new_file)
    finally:
        other.close()


def _check_identities(other: Store, path: Path) -> None:
    """Refuse a desk's file whose names or keys verity would refuse at its door: a database
    merges by SQL, past the checks every other way in makes, and a name or key is what
    messages quote and the commands they suggest run (a key of `$(...)` in a suggested
    `claim merge` would run in the shell it is pasted into)."""
    for what, value in other.identities():
        try:
            if what.endswith("key"):
                if not isinstance(value, str) or not is_key(value):
                    raise InvalidValue(f"{what} {value!r} is not a slug of lower-case letters, digits and hyphens")
            elif control_character(value):
                raise InvalidValue(f"{what} {value!r} holds a control character ({control_character(value)})")
        except InvalidValue as exc:
            fix = ("with 'verity source edit --name'" if what == "source name" else
                   "in SQL, as another program wrote it there (verity takes no such key, so cannot change it)")
            raise InvalidValue(f"cannot merge {path}: its {exc}; have it corrected on its desk {fix}, and merge again "
                               "(nothing was merged)") from None
    unnamed = other.records_without_uid()
    if unnamed:  # a merge tells records apart by uid: these would be dropped, or taken for others
        raise InvalidValue(f"cannot merge {path}: {unnamed} of its records were written into it by another program "
                           f"without a uid, by which desks tell records apart; open it once with verity where it may "
                           f"be written (verity --db {path} claim list), which gives them theirs, and merge again "
                           "(nothing was merged)")


@contextlib.contextmanager
def _scratch_path() -> Iterator[str]:
    """The path of a database file not yet made, in a folder of its own, deleted afterwards."""
    folder = tempfile.mkdtemp(prefix="verity-merge-")
    try:
        yield os.path.join(folder, "desk.db")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _scratch() -> Iterator[Store]:
    with _scratch_path() as path:
        store = Store.create(path)
        try:
            yield store
        finally:
            with contextlib.suppress(sqlite3.Error):
                store.close()


# -- an export, staged as the database it came from ----------------------------------------


def stage_export(scratch: Store, path: Path, fmt: str, here: Store) -> list[Resolution]:
    """Write the export at `path` into the empty `scratch` database, records by uid. Returns
    what its records without a uid say that this database's records of the same name or key
    (and text) do not, and keep (`_Reader.differences`)."""
    with scratch.transaction():
        staging = Staging(scratch)
        reader = _Reader(staging, here, path)
        handle = open_input(path)
        try:
            if fmt == "jsonl":
                records = read_jsonl(handle)
            else:
                text, data = load_json_text(path, handle)
                records = document_records(data, DocumentLines(text))
            for kind, data, place in records:
                reader.add(kind, data, place)
        finally:
            handle.close()
        reader.finish()
    return reader.resolutions


# What a record of a file without uids may say that this database's record of its name (or key
# and text) does not: the fields `source edit` and `claim edit` set (a claim's tags apart).
_COMPARED = {"source": ("kind", "affiliation", "reliability", "url", "note"), "claim": ("subject", "note", "question")}


class _Reader:
    """Each record of an export, checked by the models' own rules, into the staging database."""

    def __init__(self, staging: Staging, here: Store, path: Path):
        self.staging, self.here, self.path = staging, here, path
        self.aliases: list[tuple[str, str, str]] = []  # (table, record uid, alias), written after the changes
        # (table, record uid, name or key of the record kept, its uid where the file gives it, where)
        self.merged: list[tuple[str, str, str, Optional[str], Place]] = []
        # The claims without a uid that are claims of their own beside this database's claim of
        # their key (`claim_uid`), key -> uid: their stances' and rulings' uids are made from it.
        self.apart: dict[str, str] = {}
        self.resolutions: list[Resolution] = []

    def fail(self, place: Any, message: str) -> VerityError:
        return InvalidValue(f"{self.path}: {place}: {message}; merge a file that 'verity export' wrote")

    def structure(self, data: Any, cls: type, place: Place, extra: tuple[str, ...]) -> tuple[Any, dict]:
        if not isinstance(data, dict):
            raise self.fail(place, "expected an object")
        fields = {k: v for k, v in data.items() if k not in extra}
        try:
            return converter.structure(fields, cls), {k: data.get(k) for k in extra}
        except Exception as exc:  # cattrs gathers the models' own errors
            from ..formats import describe_errors

            raise InvalidValue(f"{self.path}: {'; '.join(describe_errors(exc, place, cls))}; "
                               "merge a file that 'verity export' wrote") from None

    def add(self, kind: str, data: Any, place: Place) -> None:
        if kind == "error":
            raise self.fail(place, data)
        getattr(self, kind)(data, place)

    def question(self, data: Any, place: Place) -> None:
        question, _ = self.structure(data, Question, place, ())
        uid = question.uid or self._uid_here("questions", "key", question.key) or uids.of_question(question.key)
        self.staging.add_question(uid, question.key, question.text, question.desk)

    def source(self, data: Any, place: Place) -> None:
        source, extra = self.structure(data, Source, place, RECORD_EXTRAS["source"])
        found = None if source.uid else self.here.source_named(source.name)
        if found is not None:
            self.differences("source", found, source)
        uid = source.uid or (found.uid if found else uids.of_source(source.name))
        self.staging.add_source(uid, (source.name, source.kind, source.affiliation, source.reliability, source.url,
                                      source.note), source.desk)
        self._extras("sources", uid, extra, source.uid is None, place)

    def claim(self, data: Any, place: Place) -> None:
        claim, extra = self.structure(data, Claim, place, RECORD_EXTRAS["claim"])
        uid = claim.uid or self.claim_uid(claim)
        self.staging.add_claim(uid, claim_row(claim), claim.question, rekeyed_from(claim.key, uid), claim.desk)
        rulings = [self.structure(ruling, Ruling, place.field("rulings").item(index), ())[0]
                   for index, ruling in enumerate(extra.get("rulings") or [])]
        if "rulings" not in data and claim.ruling is not None:
            # A version-1 or hand-written file gives a claim's ruling and no history of it: that
            # ruling is its history, as an import takes it (its first ruling).
            rulings = [Ruling(ruling=claim.ruling, explanation=claim.ruling_explanation, ruled_at=claim.ruled_at,
                              ruled_by=claim.ruled_by)]
        named = self.apart.get(claim.key, claim.key)
        for ruling in rulings:
            self.staging.add_ruling(uid, ruling.uid or uids.of_ruling(named, ruling.ruling, ruling.explanation,
                                                                      ruling.ruled_at, ruling.ruled_by),
                                    (ruling.ruling, ruling.explanation, ruling.ruled_at, ruling.ruled_by, ruling.desk))
        self._extras("claims", uid, extra, claim.uid is None, place)

    def claim_uid(self, claim: Claim) -> str:
        """The uid of a claim the file gives none: that of this database's claim of its key when it
        says the same (its text, now or before an edit), else the one an import gives it — unless
        this database's claim of that key says something else: then the file's is a claim of its
        own, beside it (merged as two desks' claims of one key are: docs/desks.md), as it is when
        the file is merged again, whatever became of the claim of that key."""
        beside = uids.of_claim_beside(claim.key, claim.text)
        found = self.here.claim_with_uid(beside)  # a claim of its own since an earlier merge of it
        if found is None:
            found = self.here.claim_keyed(claim.key)
            if found is None:
                return uids.of_claim(claim.key)
            if claim.text != found.text and claim.text not in self._former("claim", found.id).get("text", ()):
                self.apart[claim.key] = beside
                return beside
        if found.uid == beside:
            self.apart[claim.key] = beside
        self.differences("claim", found, claim)
        return found.uid

    def differences(self, kind: str, kept: Any, given: Any) -> None:
        """What the file's record without a uid says that this database's record of its name (or key
        and text) does not: a value where it has another or none, or a tag it never had, that is not
        one it had before an edit. The file says not when it set them, so this database's stand; each
        such record is said, with the command that would take the file's values."""
        said: list[tuple[str, Any, Any]] = []  # (field, the file's value, this database's)
        for field in _COMPARED[kind]:
            value = getattr(given, field)
            if value not in (None, "") and value != getattr(kept, field):
                said.append((field, value, getattr(kept, field)))
        tags = [tag for tag in getattr(given, "tags", ())
                if tag_key(tag) not in {tag_key(have) for have in getattr(kept, "tags", ())}]
        if not said and not tags:
            return
        former = self._former(kind, kept.id)
        said = [(field, value, now) for field, value, now in said if value not in former.get(field, ())]
        had = {tag for old in former.get("tags", ()) for tag in json.loads(old)}
        tags = [tag for tag in tags if tag_key(tag) not in {tag_key(old) for old in had}]
        if not said and not tags:
            return
        name = kept.name if kind == "source" else kept.key
        parts = [f"{field} {value!r} (here {now!r})" if now not in (None, "") else f"{field} {value!r} (here none)"
                 for field, value, now in said]
        parts += [f"tag {tag!r}" for tag in tags]
        options = [f"--{field} {shell_quoted(value)}" for field, value, _now in said]
        options += [f"--tag {shell_quoted(tag)}" for tag in tags]
        self.resolutions.append(Resolution(
            "edit", f"{kind} {name!r} of the file, which has no uids and so says not when its values were set, "
                    f"gives {', '.join(parts)}: this database's values stand",
            f"verity {kind} edit {shell_quoted(name)} {' '.join(options)} --reason '…'"))

    def _former(self, kind: str, record_id: int) -> dict[str, set[str]]:
        """The values each field of a record of this database had before an edit (tags as a JSON list)."""
        former: dict[str, set[str]] = {}
        for change in self.here.changes(record=(kind, record_id), described=False):
            if change.action == "edit" and change.field and change.old is not None:
                former.setdefault(change.field, set()).add(change.old)
        return former

    def _extras(self, table: str, uid: str, extra: dict, hand_written: bool, place: Place) -> None:
        for alias in extra.get("aliases") or []:
            self.aliases.append((table, uid, str(alias)))
        # A merge is a change, which an export carries; a record without a uid (a hand-written
        # file) may say it was merged with no change to say so.
        into_uid = self._uid(extra, "merged_into_uid", place)
        if hand_written and extra.get("merged_into"):
            self.merged.append((table, uid, str(extra["merged_into"]), into_uid, place))

    def stance(self, data: Any, place: Place) -> None:
        # Logged now, by whoever merges it, unless the file says when and by whom (as an import
        # logs it); its uid, when the file gives none, from what the file says, as an import
        # derives it: merged twice, or merged and imported, it is one stance.
        same_time = isinstance(data, dict) and "logged_at" in data
        given_by = isinstance(data, dict) and "logged_by" in data
        if isinstance(data, dict) and not given_by:
            data = {**data, "logged_by": self.here.user}
        stance, refs = self.structure(data, Stance, place, RECORD_EXTRAS["stance"])
        # By its uid where the file gives it (another record of the file has its key or name), else by it.
        claim_uid = self._referenced("claim", self._uid(refs, "claim_uid", place), stance.claim, place, "claim") \
            or self.staging.claim_keyed(stance.claim)
        source_uid = self._referenced("source", self._uid(refs, "source_uid", place), stance.source, place, "source") \
            or self.staging.source_named(stance.source)
        if claim_uid is None or source_uid is None:
            missing = f"claim {stance.claim!r}" if claim_uid is None else f"source {stance.source!r}"
            raise self.fail(place, f"its {missing} is not among the file's records")
        values = stance_values(stance)
        if stance.claim.strip() in self.apart:  # its uid from its claim's, not from the key another claim has
            values = (self.apart[stance.claim.strip()], *values[1:])
        values = with_uid(values, same_time, given_by)
        self.staging.add_stance(claim_uid, source_uid, values[2:])  # from its position on

    def _uid(self, extra: dict, field: str, place: Place) -> Optional[str]:
        """The uid a record gives in `field` (claim_uid, merged_into_uid …), checked; None if none."""
        uid = extra.get(field)
        if uid is not None and not uids.is_uid(uid):
            raise self.fail(place.field(field), f"expected a uid (a UUID in lower case, as verity writes uids), "
                                                f"got {uid!r}")
        return uid

    def _referenced(self, kind: str, uid: Optional[str], named: str, place: Place, field: str) -> Optional[str]:
        """`uid`, the uid a record gives (in `field`_uid) of the claim (`kind` "claim") or source its
        `field` names by key or name, `named`, when it is the file's record of that key or name;
        None when no uid is given; else the merge fails, saying why."""
        if uid is None:
            return None
        found = self.staging.name_of(kind, uid)
        if found is None:
            raise self.fail(place.field(f"{field}_uid"), f"no {kind} of the file has uid {uid}")
        if (found != named) if kind == "claim" else (fold(found) != fold(named)):
            raise self.fail(place.field(f"{field}_uid"), f"uid {uid} is the {kind} {found!r}, not {named!r} as its "
                                                         f"{field} says")
        return uid

    def change(self, data: Any, place: Place) -> None:
        self.staging.flush()
        change, _ = self.structure(data, Change, place, ())
        if not change.record_uid:
            return  # which record it changed is not said: a history note, not a record to merge
        values = {"uid": change.uid or uids.of_change(change.record_uid, change.action, change.field, change.old,
                                                      change.new, change.at, change.by),
                  "at": change.at, "by": change.by, "desk": change.desk, "action": change.action,
                  "record_type": change.record_type, "record_uid": change.record_uid, "field": change.field,
                  "old": change.old, "new": change.new, "reason": change.reason}
        self.staging.add_change(values)

    def finish(self) -> None:
        self.staging.flush()
        for table, uid, alias in self.aliases:
            self.staging.add_alias(table, uid, alias)
        for table, uid, into, into_uid, place in self.merged:
            kind = "source" if table == "sources" else "claim"
            self.staging.add_merge(table, uid, into, self._referenced(kind, into_uid, into, place, "merged_into"))

    def _uid_here(self, table: str, column: str, value: str) -> Optional[str]:
        return self.here.uid_of(table, column, value)

