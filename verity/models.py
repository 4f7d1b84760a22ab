"""The domain: sources, claims, stances and a claim's reconciliation.

Plain frozen attrs classes. They know nothing of the database; validators state
the rules of docs/rules.md and raise `InvalidValue` with a message a user can act on.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Optional
from urllib.parse import urlsplit

import attrs

from . import names, uids
from .errors import InvalidValue, did_you_mean

POSITIONS = ("affirms", "partially-affirms", "neutral", "partially-denies", "denies")
AFFIRMING = frozenset({"affirms", "partially-affirms"})
DENYING = frozenset({"denies", "partially-denies"})
GRADES = ("A", "B", "C", "D", "E", "F")
GRADE_MEANINGS = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
RULINGS = ("true", "mostly-true", "mixture", "mostly-false", "false", "unproven")
# A claim's verdict (rule 4), ordered as reports list them: the disagreements first.
CONTESTED, SINGLE_SOURCE, CORROBORATED, DENIED, UNVERIFIED = (
    "contested", "single-source", "corroborated", "denied", "unverified")
VERDICTS = (CONTESTED, SINGLE_SOURCE, CORROBORATED, DENIED, UNVERIFIED)

# What a fact-checker may type for a word of these vocabularies: never accepted in its
# place (nothing is written on a guess), only offered as "did you mean" (verity.errors).
SYNONYMS: dict[str, dict[str, str]] = {
    "position": {
        **dict.fromkeys(("affirm", "agree", "agrees", "support", "supports", "confirm", "confirms",
                         "backs", "endorses", "says-yes", "yes", "for", "pro"), "affirms"),
        **dict.fromkeys(("deny", "disagree", "disagrees", "dispute", "disputes", "reject", "rejects",
                         "refute", "refutes", "rebut", "rebuts", "contradicts", "says-no", "no",
                         "against", "con"), "denies"),
        **dict.fromkeys(("partially-affirm", "partly-affirms", "partially-agrees", "partly-agrees",
                         "partially-supports", "partly-supports", "partially-confirms", "partly-confirms",
                         "partial", "partially"), "partially-affirms"),
        **dict.fromkeys(("partially-deny", "partly-denies", "partially-disputes", "partly-disputes",
                         "partially-rejects", "partly-rejects", "partially-disagrees"), "partially-denies"),
        **dict.fromkeys(("none", "neither", "undecided", "unclear", "no-comment", "no-position",
                         "noncommittal", "mentions"), "neutral"),
    },
    "ruling": {
        **dict.fromkeys(("correct", "accurate", "right", "confirmed", "verified"), "true"),
        **dict.fromkeys(("mostly-correct", "mostly-accurate", "largely-true"), "mostly-true"),
        **dict.fromkeys(("half-true", "mixed", "misleading", "partly-true", "partly-false",
                         "half", "both"), "mixture"),
        **dict.fromkeys(("mostly-wrong", "mostly-incorrect", "largely-false"), "mostly-false"),
        **dict.fromkeys(("wrong", "incorrect", "inaccurate", "fake", "untrue", "pants-on-fire",
                         "debunked", "fabricated"), "false"),
        **dict.fromkeys(("unverified", "unproved", "unknown", "unsubstantiated", "unconfirmed",
                         "undetermined", "open", "cannot-say"), "unproven"),
    },
    "verdict": {
        **dict.fromkeys(("disputed", "conflicting", "contradicted", "contradictory", "both"), "contested"),
        **dict.fromkeys(("single", "one-source", "single-origin", "one-origin"), "single-source"),
        **dict.fromkeys(("confirmed", "corroborate", "agreed", "affirmed", "supported"), "corroborated"),
        **dict.fromkeys(("refuted", "rejected", "disproved", "deny", "denies"), "denied"),
        **dict.fromkeys(("unconfirmed", "unknown", "open", "none", "unproven"), "unverified"),
    },
    # The Admiralty code grades information too (1-6): "B2" is a source graded B.
    "reliability grade": {f"{grade}{digit}": grade for grade in "ABCDEF" for digit in "123456"},
    "report format": {"md": "markdown", "htm": "html", "text": "markdown", "spreadsheet": "csv"},
    "export format": {"ndjson": "jsonl", "json-lines": "jsonl", "jsonlines": "jsonl", "json-ld": "claimreview",
                      "claim-review": "claimreview", "schema.org": "claimreview", "spreadsheet": "csv"},
    "import format": {"ndjson": "jsonl", "json-lines": "jsonl", "jsonlines": "jsonl", "jsonld": "claimreview",
                      "json-ld": "claimreview", "claim-review": "claimreview", "schema.org": "claimreview",
                      "spreadsheet": "csv"},
}

KEY_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # a claim key: matched whole
# Patterns are matched whole (fullmatch): "$" would also match before a final newline. Digits
# are ASCII's alone (re.ASCII): "٢٠٢١" is no year, and would sort after every date that is.
_DATE_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:\d{2})?)?", re.ASCII
)
# A date known only to the month or the year, as reporting often gives it: "2023-08", "2023".
_PARTIAL_DATE_RE = re.compile(r"\d{4}(?:-(?:0[1-9]|1[0-2]))?", re.ASCII)
# The same shape with every time field in range: what almost every date and time
# in a file looks like, so checking it costs one match and a look-up of the day.
_GOOD_DATE_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?)?", re.ASCII
)
_REAL_DAYS: set[str] = set()  # 'YYYY-MM-DD' already found to be a real day (bounded: see check_date)
KEY_MAX_WORDS = 8


def is_address(url: str) -> bool:
    """Whether `url` parses as an absolute URL: a scheme and a host ('https://www.dawn.com/...',
    or 'mailto:desk@example.org'),
    with nothing in it that a URL cannot hold (white space, control characters)."""
    if not url or any(char.isspace() or not char.isprintable() for char in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number makes it raise)
    except ValueError:
        return False
    if parts.scheme.lower() in _HOSTLESS_SCHEMES:
        return bool(parts.path)
    return bool(parts.scheme and parts.netloc and parts.hostname)


_HOSTLESS_SCHEMES = ("mailto", "tel", "urn")  # absolute, with no host to name


def is_web_address(url: Optional[str]) -> bool:
    """Whether `url` is an absolute http or https URL: the only kind verity publishes (a
    `javascript:` or `data:` link in a published page runs in its readers' browsers)."""
    return bool(url) and is_address(url) and urlsplit(url).scheme.lower() in ("http", "https")


def address_warning(url: Optional[str]) -> Optional[str]:
    """What to warn of when a link given is not an absolute URL (kept as given all the same:
    a reference in print is worth keeping), else None."""
    if url is None or is_address(url.strip()):
        return None
    return (f"--url {url!r} is not an absolute address such as https://www.dawn.com/news/1669427; "
            "it is kept as given")


# How far ahead of now a date may lie before it is taken for a typo: a day, so that no desk
# is refused its own today or now (it is already tomorrow east of UTC, up to 14 hours ahead;
# a time typed without its offset may be a local one). A ruling dated within it stays the
# claim's ruling over those made after it for at most that long.
FUTURE_GRACE = dt.timedelta(days=1)


def in_the_future(date: Optional[str]) -> bool:
    """Whether a date (or a partial one) lies more than FUTURE_GRACE ahead of now, compared as
    instants: a date, month or year from its start, in UTC, as a time without an offset is
    read (`uids.milliseconds`). So a plain date is in the future from the day after tomorrow
    (UTC), and 2022-01-20T23:59-12:00 is 2022-01-21T11:59Z."""
    if not date:
        return False
    ahead = uids.milliseconds(date) / 1000 - dt.datetime.now(dt.timezone.utc).timestamp()
    return ahead > FUTURE_GRACE.total_seconds()


def future_date_warning(date: Optional[str], what: str = "--said-on", kept: str = "the stance") -> Optional[str]:
    """What to warn of when a date lies in the future (a typo, most often), else None."""
    if in_the_future(date):
        return f"{what} {date} is in the future; check the year ({kept} is kept as given)"
    return None


def utc_now() -> str:
    """The current UTC time as verity stores it: ISO 8601 with microseconds and Z."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_choice(kind: str, allowed: tuple[str, ...], value, field: str, fix: str = "") -> None:
    """InvalidValue, with the closest allowed value (or the one a synonym of SYNONYMS[kind]
    points to), unless `value` is one of `allowed`."""
    if value not in allowed:
        article = "an" if kind[0] in "aeiou" else "a"
        if value is None:  # given empty (tidied to None): there is nothing to mend
            raise InvalidValue(f"the {kind} is empty; give {article} {kind}: {', '.join(allowed)}{fix}", field)
        hint = did_you_mean(str(value), allowed, SYNONYMS.get(kind))
        raise InvalidValue(
            f"{value!r} is not {article} {kind}{hint}; use one of: {', '.join(allowed)}{fix}", field
        )


def _choice(kind: str, allowed: tuple[str, ...], fix: str = ""):
    def check(_instance, attribute, value):
        if value is None and attribute.default is None:
            return
        check_choice(kind, allowed, value, attribute.name, fix)

    return check


def parse_ruling(value: str) -> str:
    """A ruling as verity stores it ('Mostly true' -> 'mostly-true'), or InvalidValue."""
    ruling = _tidy_position(value)
    check_choice("ruling", RULINGS, ruling, "ruling")
    return ruling


def _not_blank(what: str, fix: str):
    def check(_instance, attribute, value):
        if not isinstance(value, str) or not value.strip():
            raise InvalidValue(f"{what} is empty; {fix}", attribute.name)

    return check


def _tidy(value):
    """Strip surrounding white space; an empty optional text becomes None."""
    if value is None:
        return None
    if not isinstance(value, str):
        return value
    value = value.strip()
    return value or None


def _tidy_required(value):
    return value.strip() if isinstance(value, str) else value


def _checked_text(value, field):
    """A text field's value tidied (`_tidy`; a required field's empty text is left for its
    validator to refuse), refused when it holds a NUL or half a character (see `names.text_problem`). The common case,
    plain text, costs a look for NUL and one at whether it is ASCII."""
    if not isinstance(value, str):
        return value
    value = value.strip()
    if "\x00" in value or not value.isascii():
        problem = names.text_problem(value)
        if problem:
            raise InvalidValue(f"{field.name.replace('_', ' ')} {problem}", field.name)
    return value or (None if field.default is None else value)


# The converter of every text field (tidied and checked; told its field, to name it).
_text = attrs.Converter(_checked_text, takes_field=True)


def _tidy_grade(value):
    value = _tidy(value)
    return value.upper() if isinstance(value, str) and len(value) == 1 else value


def _tidy_position(value):
    value = _tidy(value)
    if isinstance(value, str):
        value = value.lower().replace("_", "-").replace(" ", "-")
    return value


def tag_key(tag: str) -> str:
    """What a tag is compared by: folded as a name is ("TTP" is the tag "ttp", "Pakistan  Army"
    the tag "pakistan army"), as `claim list --tag` finds it."""
    return names.fold(tag)


def _tags_compared(tags: tuple[str, ...]) -> frozenset[str]:
    return frozenset(map(tag_key, tags))


def _tidy_tags(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    seen: dict[str, str] = {}
    for tag in value:
        if not isinstance(tag, str):
            raise InvalidValue(f"tag {tag!r} is not text; give each tag as a string", "tags")
        tag = names.check_text(tag.strip(), "tag", "tags")
        if tag:
            seen.setdefault(tag_key(tag), tag)  # the first spelling of each
    return tuple(seen.values())


_DATE_FIX = "use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM], e.g. 2022-01-10"
_PARTIAL_DATE_FIX = "use YYYY-MM-DD, YYYY-MM or YYYY (when only the month or year is known), or an ISO date-time"


def check_date(value: Optional[str], what: str = "date", partial: bool = False) -> Optional[str]:
    """Validate an ISO date (YYYY-MM-DD) or date-time and return it as verity stores it
    (`_as_stored`): with a 'T' separator, a time with its seconds, and a time with an offset
    as that instant in UTC.

    With `partial`, a date known only to the month or year (YYYY-MM, YYYY) is
    accepted as well: it sorts before every day of that month or year.

    An import checks two per stance, so the common case is kept cheap: one
    pattern that also bounds hours, minutes, seconds and the offset, and the
    day looked up among those already found real.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidValue(f"{what} {value!r} is not an ISO date; {_PARTIAL_DATE_FIX if partial else _DATE_FIX}")
    if partial and len(value) <= 7 and _PARTIAL_DATE_RE.fullmatch(value):
        return value
    if _GOOD_DATE_RE.fullmatch(value):
        day = value[:10]
        if day not in _REAL_DAYS:
            try:
                dt.date.fromisoformat(day)
            except ValueError:
                raise InvalidValue(f"{what} {value!r} is not a real date or time; {_DATE_FIX}") from None
            if len(_REAL_DAYS) >= 100_000:  # ~270 years of days; bounded however long the input
                _REAL_DAYS.clear()
            _REAL_DAYS.add(day)
        return _as_stored(value, what)
    # Not the common shape: say whether it is not ISO at all, or ISO but not a real time.
    fix = _PARTIAL_DATE_FIX if partial else _DATE_FIX
    if not _DATE_RE.fullmatch(value):
        raise InvalidValue(f"{what} {value!r} is not an ISO date; {fix}")
    raise InvalidValue(f"{what} {value!r} is not a real date or time; {fix}")


def _as_stored(value: str, what: str) -> str:
    """A date or date-time `_GOOD_DATE_RE` matched, as verity stores it. Dates are compared as
    text (docs/rules.md), so one instant must have one spelling: a time with a ±HH:MM offset
    becomes the same instant in UTC, with Z (2022-01-20T08:00-05:00 is 2022-01-20T13:00:00Z);
    a time given to the minute gets its seconds (10:00 is 10:00:00, else it would sort after
    10:00:30); the separator is 'T'. A date, a time's zone when it has none (unsaid) or Z, and
    a fraction of a second stay as given."""
    offset = len(value) > 16 and value[-6] in "+-"  # past the date, only an offset has a sign
    if len(value) == 10 or (len(value) >= 19 and value[10] == "T" and not offset):
        return value  # a date; a time with 'T', its seconds and no offset (as utc_now writes it): as stored
    time, zone = value[11:], ""
    if offset:
        time, zone = value[11:-6], "Z"
        sign = 1 if value[-6] == "+" else -1
        try:
            moment = dt.datetime.fromisoformat(value[:10]).replace(hour=int(value[11:13]), minute=int(value[14:16]))
            moment -= sign * dt.timedelta(hours=int(value[-5:-3]), minutes=int(value[-2:]))
        except OverflowError:
            raise InvalidValue(f"{what} {value!r} is not a real date or time in UTC (before year 1 or after 9999); "
                               f"{_DATE_FIX}") from None
        day, hours = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}", f"{moment.hour:02d}:{moment.minute:02d}"
    else:
        if time.endswith("Z"):
            time, zone = time[:-1], "Z"
        day, hours = value[:10], time[:5]
    seconds = time[5:] or ":00"  # ':SS', ':SS.ffffff' or nothing: an offset is whole minutes
    return f"{day}T{hours}{seconds}{zone}"


def _date_field(what: str, partial: bool = False):
    """The converter of a date field: its value checked by `check_date` (under the name `what`,
    with `partial` dates or not) and as verity stores it, so that every way in (the command
    line, an import, a desk merge) stores one instant one way. A partial date is a said-on or a
    withdrawal date, typed by a person: tidied as text is, and empty is none. The others are
    timestamps, written by verity or its files, and must be ISO date-times as they are."""

    def convert(value, field):
        if partial:
            value = _checked_text(value, field)
        elif value is None and field.default is None:
            return None
        elif not isinstance(value, str):
            raise InvalidValue(f"{field.name} {value!r} is not an ISO date-time; use e.g. 2022-01-18T09:00:00Z",
                               field.name)
        try:
            return check_date(value, what or field.name, partial)
        except InvalidValue as exc:
            exc.field = field.name
            raise

    return attrs.Converter(convert, takes_field=True)


def _check_uid(_instance, attribute, value):
    if value is not None and not uids.is_uid(value):
        raise InvalidValue(f"{value!r} is not a uid; a uid is a UUID such as 0190a4f2-3c1e-7d2a-9b3c-1f2e3d4c5b6a "
                           "(leave it out and verity gives the record one)", attribute.name)


_said_on = _date_field("said-on date", partial=True)
_withdrawn_on = _date_field("withdrawal date", partial=True)
_timestamp = _date_field("")  # logged_at, ruled_at, retraction and change times: named by their field


def slugify(text: str) -> str:
    """A claim key from its text: 'Balti was killed' -> 'balti-was-killed'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words[:KEY_MAX_WORDS])


def is_key(text: str) -> bool:
    """Whether `text` is a claim key: a slug of lower-case letters, digits and hyphens, not only digits."""
    return bool(KEY_RE.fullmatch(text)) and not text.isdigit()


def _key_check(what: str, example: str):
    """A validator of a claim's (or a question's) key: a slug, not only digits."""

    def check(_instance, _attribute, value):
        if not isinstance(value, str) or not value:
            raise InvalidValue(f"{what} key is empty; give a slug such as {example}", "key")
        if not KEY_RE.fullmatch(value):
            suggestion = slugify(value)
            hint = f" such as {suggestion!r}" if suggestion else ""
            raise InvalidValue(
                f"{what} key {value!r} is not a slug; use lower-case letters, digits and hyphens{hint}",
                "key",
            )
        if value.isdigit():
            raise InvalidValue(
                f"{what} key {value!r} is only digits and would be read as a {what} id; add a word", "key"
            )

    return check


def _check_key(_instance, _attribute, value):
    if not isinstance(value, str) or not value:
        raise InvalidValue("claim key is empty; give --key a slug such as balti-was-killed", "key")
    _key_check("claim", "balti-was-killed")(_instance, _attribute, value)


def _tidy_name(value):
    return names.check_name(value) if isinstance(value, str) else value


def _tidy_affiliation(value):
    """An affiliation is compared as names are; one that is empty once folded is none."""
    if value is None or (isinstance(value, str) and not names.fold(value)):
        return None
    return names.check_name(value, "affiliation", "'Government of Pakistan'")


def _check_name(_instance, _attribute, value):
    _not_blank("source name", "give the source a name such as 'Afghan government spokesperson'")(
        _instance, _attribute, value
    )
    if value.isdigit():
        raise InvalidValue(
            f"source name {value!r} is only digits and would be read as a source id; add a word",
            "name",
        )


@attrs.frozen
class Source:
    """Who said something: a person, office, group, outlet or report."""

    name: str = attrs.field(converter=_tidy_name, validator=_check_name)
    kind: Optional[str] = attrs.field(default=None, converter=_text)
    affiliation: Optional[str] = attrs.field(default=None, converter=_tidy_affiliation)
    reliability: Optional[str] = attrs.field(
        default=None,
        converter=_tidy_grade,
        validator=_choice("reliability grade", GRADES, " (Admiralty code: A best, E worst, F cannot be judged)"),
    )
    url: Optional[str] = attrs.field(default=None, converter=_text)
    note: Optional[str] = attrs.field(default=None, converter=_text)
    uid: Optional[str] = attrs.field(default=None, eq=False, validator=_check_uid)
    desk: Optional[str] = attrs.field(default=None, eq=False, converter=_text)
    id: Optional[int] = attrs.field(default=None, eq=False)

    @classmethod
    def as_stored(cls, **fields) -> "Source":
        """A source as the database holds it. One that today's rules refuse (a name with a
        control character, written by an older verity or another program) is kept as it is,
        unchecked, so that it can be read, shown escaped and corrected, never lost."""
        try:
            return cls(**fields)
        except InvalidValue:
            source = object.__new__(cls)
            for field in attrs.fields(cls):
                value = fields.get(field.name, field.default)
                object.__setattr__(source, field.name, None if value is attrs.NOTHING else value)
            return source


def origin_of(name: str, affiliation: Optional[str]) -> str:
    """What makes two sources one origin: the affiliation (compared as names are), else the source itself."""
    if affiliation and names.fold(affiliation):
        return "affiliation:" + names.fold(affiliation)
    return "source:" + names.fold(name)


_CLAIM_TEXT_FIX = "give the statement to check, e.g. 'Mufti Khalid Balti was killed'"


@attrs.frozen
class Claim:
    """One checkable statement, with the fact-checker's own ruling when there is one."""

    text: str = attrs.field(
        converter=_text,
        validator=_not_blank("claim text", _CLAIM_TEXT_FIX),
    )
    key: str = attrs.field(validator=_check_key)
    subject: Optional[str] = attrs.field(default=None, converter=_text)
    # Two claims whose tags differ only in spelling or order say the same (an import's check)
    tags: tuple[str, ...] = attrs.field(default=(), converter=_tidy_tags, eq=_tags_compared)
    note: Optional[str] = attrs.field(default=None, converter=_text)
    ruling: Optional[str] = attrs.field(
        default=None, converter=_tidy_position, validator=_choice("ruling", RULINGS)
    )
    ruling_explanation: Optional[str] = attrs.field(default=None, converter=_text)
    ruled_at: Optional[str] = attrs.field(default=None, converter=_timestamp)
    ruled_by: Optional[str] = attrs.field(default=None)
    question: Optional[str] = attrs.field(default=None, eq=False, converter=_text)  # the key of its question
    uid: Optional[str] = attrs.field(default=None, eq=False, validator=_check_uid)
    desk: Optional[str] = attrs.field(default=None, eq=False, converter=_text)
    id: Optional[int] = attrs.field(default=None, eq=False)

    @key.default
    def _key_from_text(self) -> str:
        # Runs before the validators, so an empty text must be reported here.
        _not_blank("claim text", _CLAIM_TEXT_FIX)(self, attrs.fields(Claim).text, self.text)
        key = slugify(self.text)
        if not key:
            raise InvalidValue(
                f"cannot make a key from the text {self.text!r}; give one with --key", "key"
            )
        return key


# A Claim's fields as the claims table holds them, in that order (not its id).
CLAIM_FIELDS = ("key", "text", "subject", "tags", "note", "ruling", "ruling_explanation", "ruled_at", "ruled_by")


@attrs.frozen
class Retraction:
    """Why and when a stance stopped counting. The stance itself is kept."""

    reason: str = attrs.field(
        converter=_text,
        validator=_not_blank("retraction reason", "say why with --reason, e.g. 'logged against the wrong source'"),
    )
    at: str = attrs.field(factory=utc_now, converter=_timestamp)
    by: Optional[str] = attrs.field(default=None)
    on: Optional[str] = attrs.field(default=None, converter=_withdrawn_on)


@attrs.frozen
class Stance:
    """Source `source` took `position` on claim `claim` (a key), on `said_on`."""

    claim: str
    source: str
    position: str = attrs.field(converter=_tidy_position, validator=_choice("position", POSITIONS))
    quote: Optional[str] = attrs.field(default=None, converter=_text)
    url: Optional[str] = attrs.field(default=None, converter=_text)
    said_on: Optional[str] = attrs.field(default=None, converter=_said_on)
    via: Optional[str] = attrs.field(default=None, converter=_text)
    note: Optional[str] = attrs.field(default=None, converter=_text)
    logged_at: str = attrs.field(factory=utc_now, converter=_timestamp)
    logged_by: Optional[str] = attrs.field(default=None)
    retracted: Optional[Retraction] = attrs.field(default=None)
    uid: Optional[str] = attrs.field(default=None, eq=False, validator=_check_uid)
    desk: Optional[str] = attrs.field(default=None, eq=False, converter=_text)
    id: Optional[int] = attrs.field(default=None, eq=False)

    @property
    def effective_date(self) -> str:
        """What 'latest' orders by: when it was said, else when it was logged."""
        return self.said_on or self.logged_at


# A Stance's fields as a file gives them and the stances table holds them, in that order:
# the claim by key and the source by name (the table holds their ids), without the id
# and the retraction (three columns of its own in the table).
STANCE_FIELDS = ("claim", "source", "position", "quote", "url", "said_on", "via", "note", "logged_at", "logged_by")


@attrs.frozen
class Reconciliation:
    """What the sources say about one claim, by the rules of docs/rules.md."""

    claim: str
    text: str
    verdict: str
    score: Optional[float]
    agreement: Optional[float]
    affirming: tuple[str, ...]
    denying: tuple[str, ...]
    neutral: tuple[str, ...]
    affirming_origins: int
    denying_origins: int
    contradictions: tuple[tuple[str, str], ...]
    ruling: Optional[str] = None


@attrs.frozen
class Question:
    """A question whose answers are claims, mutually exclusive (rule 7): "where was Balti killed?"."""

    key: str = attrs.field(converter=_tidy_required, validator=_key_check("question", "balti-killed-where"))
    text: str = attrs.field(converter=_text, validator=_not_blank(
        "question text", "give the question, e.g. 'Where was Mufti Khalid Balti killed?'"))
    uid: Optional[str] = attrs.field(default=None, eq=False, validator=_check_uid)
    desk: Optional[str] = attrs.field(default=None, eq=False, converter=_text)


@attrs.frozen
class Ruling:
    """One ruling in a claim's history: the claim's ruling is its latest (by ruled_at, then uid)."""

    ruling: str = attrs.field(converter=_tidy_position, validator=_choice("ruling", RULINGS))
    explanation: Optional[str] = attrs.field(default=None, converter=_text)
    ruled_at: Optional[str] = attrs.field(default=None, converter=_timestamp)
    ruled_by: Optional[str] = attrs.field(default=None)
    uid: Optional[str] = attrs.field(default=None, eq=False)
    desk: Optional[str] = attrs.field(default=None, eq=False)


ACTIONS = ("edit", "alias", "merge", "rule", "retract")  # what a change records
RECORD_TYPES = ("source", "claim", "stance", "question")  # what a change is a change of


@attrs.frozen
class Change:
    """One recorded correction: a field of a record edited, an alias, a merge, a ruling, a
    retraction — who, when, the old and new value, and why."""

    at: str = attrs.field(converter=_timestamp)
    by: Optional[str]
    action: str = attrs.field(validator=_choice("change action", ACTIONS))
    record_type: str = attrs.field(validator=_choice("record type", RECORD_TYPES))
    record: Optional[str]  # the record as a person names it: a source's name, a claim's key, a stance's id
    field: Optional[str]
    old: Optional[str]
    new: Optional[str]
    reason: Optional[str] = None
    uid: Optional[str] = attrs.field(default=None, eq=False)
    record_uid: Optional[str] = attrs.field(default=None, eq=False)
    desk: Optional[str] = attrs.field(default=None, eq=False)
