"""Shared fixtures: every test gets its own temporary database and user name."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Callable

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


@pytest.fixture(scope="session")
def built_once(tmp_path_factory) -> Callable:
    """`built_once(name, steps, target)`: the database `steps(path)` writes at `path`, made the first
    time a test asks for `name` and copied to `target` for each test after. A fixture that runs
    a dozen commands for each of forty tests spends most of the quick run's time otherwise; each
    test still gets a file of its own, made by the real command line."""
    made: dict[str, Path] = {}

    def copy(name: str, steps: Callable[[Path], None], target: Path) -> Path:
        if name not in made:
            path = tmp_path_factory.mktemp("built") / f"{name}.db"
            steps(path)
            conn = sqlite3.connect(path)  # everything into the one file, which is what is copied
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            made[name] = path
        shutil.copy(made[name], target)
        return target

    return copy
