"""What several test modules share: where the repository and its bundled example are."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DB = ROOT / "claims.db"
EXAMPLE_JSON = ROOT / "examples" / "balti.json"
