"""m012: two answers of one question are never "claims logged twice"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .runner import migration
from .views import create_trust_views, create_views

if TYPE_CHECKING:
    import sqlite_utils


@migration
def m012_answers_never_logged_twice(db: sqlite_utils.Database) -> None:
    """claims_logged_twice paired two answers of one question ("killed 471", "killed 100"),
    which read alike by design and exclude each other (rule 7)."""
    create_views(db)
    # Made again after those, as m006 and m009 made them: Datasette's index lists the first few
    # views in the order they were made, and claim_verdicts is the one a desk opens first.
    create_trust_views(db)
