"""How names are compared, and how a reference given as text becomes an id.

Source names, aliases and affiliations are matched after Unicode NFKC
normalisation, `str.casefold()`, trimming and collapsing inner white space, in
that order (docs/rules.md, "Names"): "Ömer" is "ömer", a composed "Café" is a
decomposed one. A name may not be empty after that, nor hold a control
character (Unicode category Cc: a newline, an escape) or an invisible one (Cf: a
zero-width space, a soft hyphen); joiners inside a word (ZWNJ, ZWJ, written in
Persian, Pashto and Urdu names) are letters' business and stay.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Optional

from .errors import InvalidValue
from .folding import fold

__all__ = ["MAX_ID", "as_id", "check_name", "check_text", "control_character", "fold", "counted", "invisible_character", "quoted", "shell_quoted", "shell_word", "Visible",
           "json_visible", "text_problem", "tidy", "visible", "visible_lines"]

MAX_ID = 2**63 - 1  # SQLite's largest integer


def tidy(name: str) -> str:
    """A name as verity keeps it: NFC (one spelling of each letter), trimmed, inner white space collapsed."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def control_character(text: str) -> Optional[str]:
    """The first control character (category Cc) in `text`, shown escaped ('\\n', '\\x1b'), or None."""
    for char in text:
        if unicodedata.category(char) == "Cc":
            return repr(char)[1:-1]
    return None


# A lone surrogate is half of a character: JSON can spell one ("\\udfff"), and a command-line
# argument that is not UTF-8 arrives as them; neither is text SQLite can store.
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(text: str) -> Optional[str]:
    """What makes `text` unfit to keep, or None: a NUL character (which ends text in C
    programs, so that what is shown and what is stored differ), or a lone surrogate."""
    if "\x00" in text:
        return "holds a NUL character (\\x00); remove it"
    if not text.isascii():
        found = _SURROGATE.search(text)
        if found:
            return (f"holds {found.group()!r}, half of a character and not text; "
                    "fix the file's encoding or the value")
    return None


# What a terminal obeys instead of showing: control characters (Cc: escape, bell, backspace,
# newline, the C1 controls) and the marks that reorder text right to left and back.
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escaped(found: re.Match) -> str:
    return found.group().encode("unicode_escape").decode("ascii")


def visible(text: str) -> str:
    """`text` as it is safe to print to a terminal: each control character shown escaped
    ('\\x1b', '\\n', '\\u202e'), so that a name cannot retitle, clear or rewrite the screen."""
    if text.isprintable():
        return text
    return _UNSHOWABLE.sub(_escaped, text)



def counted(n: int, word: str, words: str = "") -> str:
    """'1 claim', '1,024 claims': how a message or a report counts things (`words` where the
    plural is not `word` + s)."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"

def quoted(text: str) -> str:
    """`text` in quotes, as a message names a record: escaped as `visible` escapes it, and
    otherwise as typed, where repr() would also escape the joiners and spaces of a name that
    every listing shows as they are."""
    shown = visible(text)
    return f'"{shown}"' if "'" in shown and '"' not in shown else f"'{shown}'"

_UNSHOWABLE_IN_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible_lines(text: str) -> str:
    """`visible`, for a whole document: its line breaks and tabs are its layout, and stay."""
    return _UNSHOWABLE_IN_LINES.sub(_escaped, text)



# What JSON leaves as it is and a terminal obeys: DEL, the C1 controls and the bidi marks (JSON
# escapes the C0 controls itself).
_UNSHOWABLE_IN_JSON = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def json_visible(text: str) -> str:
    """JSON text with the characters a terminal obeys written as JSON escapes (\\u009b): the
    same JSON, read back, and nothing for a terminal to act on."""
    return _UNSHOWABLE_IN_JSON.sub(lambda found: f"\\u{ord(found.group()):04x}", text)

def check_text(text: str, what: str = "text", field: Optional[str] = None) -> str:
    """`text` itself, or InvalidValue when `text_problem` finds something in it."""
    problem = text_problem(text)
    if problem:
        raise InvalidValue(f"{what} {problem}", field)
    return text


# The joiners a Persian, Pashto or Urdu name needs inside a word (docs/rules.md, "Names").
_JOINERS = frozenset("\u200c\u200d")


def invisible_character(text: str) -> Optional[str]:
    """The first invisible formatting character (Unicode category Cf: a zero-width space, a soft
    hyphen, a direction mark …) in `text` other than the joiners, named, or None."""
    if text.isascii():
        return None
    for char in text:
        if unicodedata.category(char) == "Cf" and char not in _JOINERS:
            return f"U+{ord(char):04X} {unicodedata.name(char, 'FORMAT CHARACTER')}"
    return None


def check_name(name: str, what: str = "source name", example: str = "'Afghan government spokesperson'") -> str:
    """`name` tidied, or InvalidValue when it is empty once folded, or holds a control character
    or an invisible one (with it, one name would look like another and be a second source)."""
    if not isinstance(name, str):
        raise InvalidValue(f"{what} {name!r} is not text; give it as a string")
    bad = control_character(name)
    if bad:
        raise InvalidValue(f"{what} {name!r} holds a control character ({bad}); remove it")
    unseen = invisible_character(name)
    if unseen:
        raise InvalidValue(f"{what} {name!r} holds an invisible character ({unseen}), which would make it look "
                           "like a name it is not; remove it")
    check_text(name, what)
    if not fold(name):
        raise InvalidValue(f"{what} is empty; give a name such as {example}")
    return tidy(name)


def as_id(ref: str) -> Optional[int]:
    """The id a reference names when it is plain ASCII digits within SQLite's range, else None.

    '٣' (an Arabic-Indic three) is a name, not id 3; '99999999999999999999' is no id at all.
    """
    text = ref.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def shell_quoted(text: Optional[str]) -> str:
    """A name or value as a shell command takes it (in the command a `Resolution` gives)."""
    if text is None:
        return "''"
    return "'" + str(text).replace("'", "'\\''") + "'"


_PLAIN_WORD = re.compile(r"[A-Za-z0-9._/-]+")


def shell_word(text: str) -> str:
    """A key as a suggested command gives it: as it is when it is a plain word (every key verity
    makes), else quoted (`shell_quoted`), so that a key another program wrote into the file
    cannot run in the shell the command is pasted into."""
    return text if _PLAIN_WORD.fullmatch(text) else shell_quoted(text)


class Visible:
    """A text stream that shows control characters escaped (`visible_lines`) in what is written
    to it: the CSV and JSON an export prints to a terminal, and the console of `verity browse`,
    where the libraries it runs print what a request asked for as it came."""

    def __init__(self, out):
        self.out = out

    def write(self, text: str) -> int:
        return self.out.write(visible_lines(text))

    def __getattr__(self, name: str):
        return getattr(self.out, name)
