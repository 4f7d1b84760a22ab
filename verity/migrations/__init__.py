"""Numbered schema migrations, applied in order when a database is opened.

Each migration is a small function over a sqlite-utils `Database`, in a module of its
own (m001, m002, …), run by sqlite-utils' own `Migrations` (set "verity"): in one
transaction together with its record in `_sqlite_migrations`. Released migrations are
never edited: a schema change is a new module, imported at the end of the list below.
The views the migrations create are generated from the rules' own constants
(`views`); the runner is in `runner`.
"""

from __future__ import annotations

# In the order they are applied: each module registers its migration on import.
from . import m001, m002, m003, m004, m005, m006, m007, m008, m009, m010, m011, m012, m013, m014, m015  # noqa: F401
from .runner import MIGRATIONS, applied, apply, is_verity, migration_set, pending, unknown
from .views import create_trust_views, create_views, trust_views, views

__all__ = ["MIGRATIONS", "applied", "apply", "is_verity", "migration_set", "pending", "unknown",
           "create_views", "create_trust_views", "views", "trust_views"]
