"""The shape of the code, kept by tools: imports run one way, private names stay private.

The layers are import-linter contracts in pyproject.toml; the lint rules (SLF001,
no module calling another's private names, among them) are ruff's, configured there too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from support import ROOT


def _tool(name: str) -> list[str]:
    """The tool installed beside this Python (the test extra installs both).

    import-linter follows imports inside functions too, so a cycle cannot hide in one.
    """
    found = shutil.which(name, path=os.path.dirname(sys.executable)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; install the test dependencies: pip install -e '.[test]'")
    return [found]


def test_imports_run_one_way():
    result = subprocess.run([*_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_ruff_is_clean():
    result = subprocess.run([*_tool("ruff"), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
