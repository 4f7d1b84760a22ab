"""Running and timing commands for the benchmarks: wall time, peak memory, and a table of results.

Shared by `python -m benchmarks` (run.py) and the benchmarks of one feature (similar.py).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Optional

from .generate import DATA_DIR

BIN = Path(sys.executable).parent
MB = 1024 * 1024


def _script(name: str, module: str) -> list[str]:
    """The console script beside this Python (no pyenv shim in the timing), else `python -m`."""
    path = BIN / name
    return [str(path)] if path.exists() else [sys.executable, "-m", module]


VERITY = _script("verity", "verity")
SQLITE_UTILS = _script("sqlite-utils", "sqlite_utils")


# -- running and timing commands -------------------------------------------------


class Run:
    """One finished command: wall seconds, peak RSS in bytes, exit code, stderr text."""

    def __init__(self, seconds: float, max_rss: int, returncode: int, stderr: str,
                 first_byte: Optional[float] = None, out_bytes: int = 0):
        self.seconds = seconds
        self.max_rss = max_rss
        self.returncode = returncode
        self.stderr = stderr
        self.first_byte = first_byte
        self.out_bytes = out_bytes

    def check(self, what: str) -> "Run":
        if self.returncode != 0:
            raise RuntimeError(f"{what} failed (exit {self.returncode}): {self.stderr.strip()[-500:]}")
        return self


def child_env(data: Path = DATA_DIR) -> dict:
    """The environment every timed command runs in: Python as an installed program runs.

    This machine sets PYTHONDONTWRITEBYTECODE=1, which makes every verity command
    compile its ~20 modules from source again (~30 ms) because an editable install
    has no .pyc files. A user's installation has them, so the children may cache
    bytecode — under benchmarks/data/pycache, out of the source tree — and the
    peers get the same treatment.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(data / "pycache")
    return env


CHILD_ENV = child_env()


def cache_bytecode_under(data: Path) -> None:
    """Let the timed commands cache their bytecode under `data` (the runner's `--data`)."""
    CHILD_ENV.update(child_env(data))


TIME = Path("/usr/bin/time")


class TreeMemory:
    """The peak of the summed RSS of a process and all its descendants, sampled every 5 ms
    on a thread (without GNU time's own, which is measured first and taken off)."""

    def __init__(self, through_time: bool = True):
        self.peak = 0
        self.time_rss = 0
        self.through_time = through_time  # the pid watched is GNU time's, not the command's
        self.stop = threading.Event()

    def watch(self, pid: int) -> None:
        self.thread = threading.Thread(target=self._sample, args=(pid,), daemon=True)
        self.thread.start()

    def _sample(self, pid: int) -> None:
        if self.through_time:
            self.time_rss = _rss(pid)  # GNU time, before it execs anything of the command's
        while not self.stop.wait(0.005):
            self.peak = max(self.peak, sum(_rss(p) for p in _tree(pid)))

    def end(self) -> None:
        self.stop.set()
        self.thread.join()


def _tree(pid: int) -> list[int]:
    pids, i = [pid], 0
    while i < len(pids):
        try:
            with open(f"/proc/{pids[i]}/task/{pids[i]}/children") as f:
                pids += [int(p) for p in f.read().split()]
        except OSError:
            pass
        i += 1
    return pids


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run(argv: list[str], stdin: Optional[Path] = None, stdout: Optional[Path] = None,
        stream: bool = False, env: Optional[dict] = None, memory: bool = False,
        tree: Optional[TreeMemory] = None) -> Run:
    """Run a command to completion and time it; with `memory`, also its peak RSS.

    The peak comes from GNU time (`%M`), which forks a small process to exec the
    command. The rusage of a child this (large) Python process starts itself is no
    use: Python starts children with vfork, and Linux carries the parent's own
    peak RSS over into the child's at exec.
    """
    if memory and not TIME.exists():  # no GNU time (Debian: apt-get install time): the samples alone
        tree = TreeMemory(through_time=False)
        result = run(argv, stdin, stdout, stream, env, tree=tree)
        result.max_rss = tree.peak
        return result
    if memory:
        with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
            tree = TreeMemory()
            result = run([str(TIME), "-f", "%M", "-o", rss.name, *argv], stdin, stdout, stream, env, tree=tree)
            lines = [line for line in open(rss.name).read().splitlines() if line.strip()]
            one = int(lines[-1]) * 1024 if lines and lines[-1].isdigit() else 0
            # %M is the peak of the largest single process (Linux reports the larger of a
            # process's peak and its children's): should a command run processes at once,
            # their sum, sampled, counts too.
            result.max_rss = max(one, tree.peak - tree.time_rss)
            return result
    with tempfile.TemporaryFile() as err, \
            (open(stdin, "rb") if stdin else open(os.devnull, "rb")) as inp, \
            (open(stdout, "wb") if stdout else open(os.devnull, "wb")) as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=inp, stdout=subprocess.PIPE if stream else out,
                                stderr=err, env=env or CHILD_ENV)
        if tree is not None:
            tree.watch(proc.pid)
        first_byte, out_bytes = None, 0
        if stream:
            fd = proc.stdout.fileno()
            while True:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                if first_byte is None:
                    first_byte = time.perf_counter() - start
                out_bytes += len(chunk)
            proc.stdout.close()
        _pid, status, _usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        if tree is not None:
            tree.end()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return Run(seconds, 0, proc.returncode, stderr, first_byte, out_bytes)


def verity(db: Path, *args: str) -> list[str]:
    return [*VERITY, "--db", str(db), *args]


def median(values) -> Optional[float]:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# -- results ----------------------------------------------------------------------


class Results:
    def __init__(self):
        self.rows: list[dict] = []

    def add(self, what: str, size: str, verity_value=None, peer_value=None, unit: str = "s",
            target: str = "", ok: Optional[bool] = None, note: str = "", runs: Optional[dict] = None):
        ratio = verity_value / peer_value if verity_value is not None and peer_value else None
        row = {"what": what, "size": size, "verity": verity_value, "peer": peer_value, "unit": unit,
               "ratio": ratio, "target": target, "ok": ok, "note": note, "runs": runs or {}}
        self.rows.append(row)
        print(_format_row(row), flush=True)
        return row

    def skip(self, what: str, size: str, why: str):
        row = {"what": what, "size": size, "skipped": why}
        self.rows.append(row)
        print(f"{what:<28} {size:>5}  not available yet: {why}", flush=True)

    def ratio(self, what: str, size: str) -> Optional[float]:
        for row in self.rows:
            if row["what"] == what and row["size"] == size and "skipped" not in row:
                return row["ratio"]
        return None

    def value(self, what: str, size: str) -> Optional[float]:
        for row in self.rows:
            if row["what"] == what and row["size"] == size and "skipped" not in row:
                return row["verity"]
        return None


def formatted(value, unit: str) -> str:
    """A figure as the table shows it: ms below a second, else s; MB; or a ratio."""
    if value is None:
        return "—"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.2f}{unit}"


def _format_row(row: dict) -> str:
    ratio = "—" if row["ratio"] is None else f"{row['ratio']:.2f}x"
    verdict = {True: "PASS", False: "FAIL", None: ""}[row["ok"]]
    line = (f"{row['what']:<28} {row['size']:>5}  {formatted(row['verity'], row['unit']):>10}  "
            f"{formatted(row['peer'], row['unit']):>10}  {ratio:>7}  {row['target']:<26} {verdict}")
    return line + (f"  ({row['note']})" if row["note"] else "")


HEADER = (f"{'benchmark':<28} {'size':>5}  {'verity':>10}  {'peer':>10}  {'ratio':>7}  {'target':<26} result\n"
          + "-" * 100)
