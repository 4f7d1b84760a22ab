"""Run the `$ verity ...` examples in the docs and fill in (or check) their real output.

    python scripts/doc_examples.py          # rewrite the outputs in README.md and docs/*.md
    python scripts/doc_examples.py --check  # exit 1 if any shown output differs from a real run

Each file runs in a fresh temporary folder holding a copy of the bundled
claims.db and of examples/, so examples may write without touching the repository, and as if on
20 January 2022 at 09:00 UTC (two days after the worked example was logged), so that what
they log shows the same date whenever the examples are run. Only
```console blocks are run; a line starting with `$ ` is a command, the lines
after it (up to the next command or the block's end) are its output. Besides verity, a
command may be `cp FILE COPY`, as a page that works on a copy of claims.db begins.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

os.environ["TYPER_USE_RICH"] = "0"
os.environ["COLUMNS"] = "100"
os.environ["VERITY_USER"] = "fact-checker"

import datetime as _datetime  # noqa: E402
import types  # noqa: E402

from typer.testing import CliRunner  # noqa: E402

import verity.models  # noqa: E402
from verity.cli import app  # noqa: E402


class _ExampleTime(_datetime.datetime):
    """The clock the examples run by: verity.models.utc_now reads it."""

    @classmethod
    def now(cls, tz=None):
        return cls(2022, 1, 20, 9, 0, tzinfo=_datetime.timezone.utc).astimezone(tz)


verity.models.dt = types.SimpleNamespace(**{**vars(_datetime), "datetime": _ExampleTime})

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def run(command: str, folder: Path) -> str:
    words = shlex.split(command)
    if words[0] == "cp" and len(words) == 3:
        shutil.copy(folder / words[1], folder / words[2])
        return ""
    if words[0] != "verity":
        raise SystemExit(f"only verity commands can run in examples, not: {command}")
    env = {"VERITY_DB": str(folder / "claims.db")}
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(app, words[1:], prog_name="verity", env=env, terminal_width=100)
    finally:
        os.chdir(cwd)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.output


def render(text: str) -> str:
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copy(ROOT / "claims.db", folder / "claims.db")
        shutil.copytree(ROOT / "examples", folder / "examples")
        while i < len(lines):
            line = lines[i]
            out.append(line)
            i += 1
            if line.strip() != "```console":
                continue
            while i < len(lines) and lines[i].strip() != "```":
                if lines[i].startswith("$ "):
                    out.append(lines[i])
                    output = run(lines[i][2:], folder).rstrip("\n")
                    if output:
                        out.extend(output.split("\n"))
                i += 1
            # the closing fence is appended by the outer loop
    return "\n".join(out)


def main() -> int:
    stale = []
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        if "```console" not in text:
            continue
        fresh = render(text)
        if fresh != text:
            stale.append(path)
            if "--check" not in sys.argv:
                path.write_text(fresh, encoding="utf-8")
                print(f"updated {path.relative_to(ROOT)}", file=sys.stderr)
    if "--check" in sys.argv and stale:
        names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
        print(f"examples out of date in {names}; run: python scripts/doc_examples.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
