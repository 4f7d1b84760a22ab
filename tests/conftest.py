"""Shared fixtures: every test gets its own temporary database and user name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import EXAMPLE_DB, Cli

from verity.store import Store


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No test touches a real claims.db: VERITY_DB points into a temp folder."""
    monkeypatch.setenv("VERITY_DB", str(tmp_path / "test.db"))
    monkeypatch.setenv("VERITY_USER", "tester")
    monkeypatch.delenv("VERITY_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "test.db"


@pytest.fixture
def store(db_path):
    with Store.create(db_path) as s:
        yield s


@pytest.fixture
def balti_db(tmp_path) -> Path:
    """A copy of the bundled claims.db (the Balti case), safe to write to."""
    target = tmp_path / "balti.db"
    shutil.copy(EXAMPLE_DB, target)
    return target


@pytest.fixture
def cli() -> Cli:
    return Cli()
