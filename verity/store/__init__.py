"""The store: verity's SQLite database, through sqlite-utils.

All SQL lives in this package and in `verity.migrations`. Every write runs in one
IMMEDIATE transaction that also refreshes the stored reconciliation of exactly the
claims it touches, and the status of their stances, so neither the
`reconciliations` nor the `stance_statuses` table is ever stale.
"""

from .bulk import BulkLoad, Written
from .core import STANCE_ORDER, ClaimRecord, Store, current_user, database_problem
from .rows import (
    check_verdicts,
    claim_from_row,
    claim_of_values,
    claim_row,
    claim_row_of,
    source_from_row,
    stance_values,
)

__all__ = ["STANCE_ORDER", "BulkLoad", "ClaimRecord", "Store", "Written", "check_verdicts", "claim_from_row",
           "claim_of_values", "claim_row", "claim_row_of", "current_user", "database_problem", "source_from_row",
           "stance_values"]
