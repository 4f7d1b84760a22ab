"""What several test modules share: where the repository and its bundled example are, big
files, and the command line as the tests run it."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DB = ROOT / "claims.db"
EXAMPLE_JSON = ROOT / "examples" / "balti.json"


def write_lines(path: Path, stances: int, claims: int = 200, sources: int = 40) -> Path:
    """A generated JSONL file: sources, claims, then `stances` stances spread over them."""
    with open(path, "w", encoding="utf-8") as out:
        for i in range(sources):
            out.write(json.dumps({"type": "source", "name": f"Source {i}", "affiliation": f"Group {i % 9}"}) + "\n")
        for i in range(claims):
            out.write(json.dumps({"type": "claim", "key": f"claim-{i}", "text": f"Claim number {i}"}) + "\n")
        positions = ["affirms", "partially-affirms", "neutral", "partially-denies", "denies"]
        for n in range(stances):
            out.write(json.dumps({
                "type": "stance", "claim": f"claim-{n * 7 % claims}", "source": f"Source {n * 13 % sources}",
                "position": positions[n % 5], "quote": f"A quote of some length, number {n}, " * 3,
                "url": f"https://example.org/news/{n}", "said_on": f"2022-01-{1 + n % 28:02d}", "via": "Dawn",
                "logged_at": f"2022-02-01T00:00:00.{n:06d}Z", "logged_by": "desk"}) + "\n")
    return path


class Cli:
    """verity's real command line, run in this process through typer's CliRunner.

    The command tree is built once for all the tests, as it is once per run of verity: typer's
    runner would build it again for every call, a few milliseconds each over thousands of
    calls. Not while a test sets typer's completion variables, which typer reads as it builds."""

    built = None

    def __init__(self):
        from typer.testing import CliRunner

        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None):
        from verity.cli import app

        args = [str(a) for a in args]
        if any(name.startswith("_TYPER") for name in os.environ):
            return self.runner.invoke(app, args, input=input, prog_name="verity")
        if Cli.built is None:
            from typer.main import get_command

            Cli.built = get_command(app)
        with _given(Cli.built):
            return self.runner.invoke(app, args, input=input, prog_name="verity")


@contextlib.contextmanager
def _given(command) -> Iterator[None]:
    """typer's runner, handed the command tree already built (it builds one from the app)."""
    import typer.testing

    build = typer.testing._get_command
    typer.testing._get_command = lambda _app: command
    try:
        yield
    finally:
        typer.testing._get_command = build


FUTURE_MIGRATION = "m999_from_the_future"


def as_if_from_a_newer_verity(path: Path) -> None:
    """Record in a verity database a migration this verity does not know, as a newer verity would."""
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('verity', ?, '2030-01-01')",
                 [FUTURE_MIGRATION])
    conn.commit()
    conn.close()


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """`path` as a file this process cannot write: chmod 444 stops a normal user; root, whom
    permissions do not stop, gets an immutable file (chattr +i) where the file system allows it
    (the test is skipped where it does not)."""
    import pytest

    os.chmod(path, 0o444)
    immutable = os.geteuid() == 0
    if immutable and subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("running as root on a file system without chattr +i: nothing makes a file read-only to root")
    try:
        yield path
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)


@contextlib.contextmanager
def read_only_folder(folder):
    """`folder` as read-only media are: nothing can be made in it, nor any file in it written.
    chmod stops a normal user; root, whom permissions do not stop, gets immutable files and
    folder (chattr +i) where the file system allows it (the test is skipped where it does not)."""
    import pytest

    files = [folder, *folder.iterdir()]
    for path in files:
        os.chmod(path, 0o555 if path.is_dir() else 0o444)
    root = os.geteuid() == 0
    if root and subprocess.run(["chattr", "+i", *map(str, files)], capture_output=True).returncode != 0:
        pytest.skip("running as root on a file system without chattr +i: nothing makes a folder read-only to root")
    try:
        yield folder
    finally:
        if root:
            subprocess.run(["chattr", "-i", *map(str, files)], check=True)
        for path in files:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
