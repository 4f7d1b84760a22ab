"""m009: a claim's contradictions found through its own stances; claims logged twice as a view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .runner import migration
from .views import create_trust_views, create_views

if TYPE_CHECKING:
    import sqlite_utils


@migration
def m009_counted_stances_by_claim(db: sqlite_utils.Database) -> None:
    """contradiction_pairs finds a claim's counted stances through the stances' claim index
    and, for those merged into it from another claim, through stance_statuses' (new here);
    before, it read every affirming and denying stance once per contested claim. Also the
    view Datasette's "claims logged twice" reads."""
    db.execute("CREATE INDEX stance_statuses_claim_id ON stance_statuses (claim_id) WHERE claim_id IS NOT NULL")
    create_views(db)
    # Made again after those, as m006 made them: Datasette's index lists the first few views in
    # the order they were made, and claim_verdicts is the one a desk opens first.
    create_trust_views(db)
