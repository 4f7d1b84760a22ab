"""How verity compares names: the one rule, below everything that compares them.

`verity.names` (which checks and resolves names) and `verity.errors` (whose
did-you-mean compares what was typed with what exists) both fold with this.
"""

from __future__ import annotations

import unicodedata


def fold(name: str) -> str:
    """A name as verity compares it: NFKC, casefolded, trimmed, inner white space collapsed
    (docs/rules.md, "Names")."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())
