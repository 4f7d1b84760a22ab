"""How names are compared, and how a reference given as text becomes an id.

Source names, aliases and affiliations are matched after Unicode NFKC
normalisation, `str.casefold()`, trimming and collapsing inner white space, in
that order (docs/rules.md, "Names"): "Ömer" is "ömer", a composed "Café" is a
decomposed one. A name may not be empty after that, nor hold a control
character (Unicode category Cc: a newline, an escape); joiners inside a word
(ZWNJ, ZWJ, written in Persian, Pashto and Urdu names) are letters' business and stay.
"""

from __future__ import annotations

import unicodedata
from typing import Optional

from .errors import InvalidValue
from .folding import fold

__all__ = ["MAX_ID", "as_id", "check_name", "control_character", "fold", "tidy"]

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


def check_name(name: str, what: str = "source name", example: str = "'Afghan government spokesperson'") -> str:
    """`name` tidied, or InvalidValue when it is empty once folded or holds a control character."""
    if not isinstance(name, str):
        raise InvalidValue(f"{what} {name!r} is not text; give it as a string")
    bad = control_character(name)
    if bad:
        raise InvalidValue(f"{what} {name!r} holds a control character ({bad}); remove it")
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
