"""A claim's own page in Datasette (`/<db>/claims/<id>`): what the store knows of it,
arranged as people read it (verity.claimview), for the plugin's row template.

Read through the connection Datasette gives (`Database.execute_fn`), with the
store's own queries: no SQL here, and nothing decided here.
"""

from __future__ import annotations

import sqlite3
from typing import Optional

import attrs

from ..claimview import ClaimView, claim_view
from ..errors import NotFound
from ..names import as_id
from ..reconcile import figure
from ..store import Store


@attrs.frozen
class ClaimPage:
    """A claim with its reconciliation, sides by origin, contradictions and every stance."""

    view: ClaimView
    score: str
    agreement: str
    source_ids: dict  # source name -> id, for links to each source's page
    # The id the page was asked for, when that claim was merged into the one shown: a merged
    # claim's page shows the claim its stances count for, and says so.
    merged_id: Optional[int] = None

    @property
    def claim(self):
        return self.view.claim

    @property
    def reconciliation(self):
        return self.view.reconciliation


def claim_page(conn: sqlite3.Connection, path: str, pk: str) -> Optional[ClaimPage]:
    """The page of the claim whose id is `pk` (as its URL gives it), or None when there is none."""
    claim_id = as_id(pk)
    if claim_id is None:
        return None
    try:
        record = Store(conn, path).claim_record(claim_id)
    except NotFound:
        return None
    view = claim_view(record)
    r = view.reconciliation
    return ClaimPage(view, figure(r.score), figure(r.agreement),
                     {name: source.id for name, source in record.sources.items()},
                     None if record.claim.id == claim_id else claim_id)
