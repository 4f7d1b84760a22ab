"""examples/build.sh, which the README and the walkthrough say rebuilds claims.db, runs as they
say: from a checkout with verity installed in .venv, without the environment activated."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys

import pytest
from support import ROOT


def checkout(tmp_path, venv: bool):
    """A checkout of verity in tmp_path (build.sh finds the repository from its own place), with
    a .venv whose python is this test's, and on PATH a python3 without verity's dependencies,
    as a stock system Python is."""
    repo = tmp_path / "repo"
    (repo / "examples").mkdir(parents=True)
    for name in ("build.sh", "balti.json"):
        shutil.copy(ROOT / "examples" / name, repo / "examples" / name)
    (repo / "verity").symlink_to(ROOT / "verity")
    if venv:
        (repo / ".venv" / "bin").mkdir(parents=True)
        python = repo / ".venv" / "bin" / "python"
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        python.chmod(0o755)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python3 = bin_dir / "python3"
    python3.write_text("#!/bin/sh\necho \"ModuleNotFoundError: No module named 'typer'\" >&2\nexit 1\n")
    python3.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "PYTHON"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return repo, env


@pytest.mark.slow  # runs processes of verity
def test_build_sh_uses_the_projects_venv_when_it_is_not_active(tmp_path):
    repo, env = checkout(tmp_path, venv=True)
    result = subprocess.run(["sh", str(repo / "examples" / "build.sh"), "out.db"], capture_output=True, text=True,
                            env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Imported 14 sources, 17 claims, 33 stances" in result.stderr
    conn = sqlite3.connect(repo / "out.db")
    assert conn.execute("SELECT count(*) FROM stances").fetchone() == (33,)
    conn.close()


def test_build_sh_without_a_python_that_has_verity_says_what_to_do_and_leaves_the_output(tmp_path):
    repo, env = checkout(tmp_path, venv=False)
    (repo / "out.db").write_bytes(b"kept")
    result = subprocess.run(["sh", str(repo / "examples" / "build.sh"), "out.db"], capture_output=True, text=True,
                            env=env, cwd=tmp_path)
    assert result.returncode != 0
    assert result.stderr.startswith("Error: python3 cannot run verity")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "set PYTHON" in result.stderr
    assert (repo / "out.db").read_bytes() == b"kept"
