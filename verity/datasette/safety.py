"""What `verity browse` hands out and prints, made safe: Datasette's CSV downloads, and its errors.

- **CSV downloads** (`/db/stances.csv`, `/db/claims.csv?_stream=on`, a query's CSV):
  Datasette writes each cell as the database holds it, and `render_cell` does not
  reach them. `SpreadsheetSafeCsv` wraps Datasette's ASGI application (the
  `asgi_wrapper` hook) and rewrites each CSV response record by record as it streams,
  each cell as verity's own CSV report writes it (`verity.csvio.spreadsheet_cell`),
  so a quote that starts with "=" opens in a spreadsheet as text, not as a formula.
- **Errors** (a page that does not exist, a rejected `?sql=`): Datasette prints a rich
  traceback with every local variable for each one (tens of kilobytes, and the
  values of the request). `error_line` is the one line verity logs instead, and
  `quiet_console` holds Datasette's back while it makes its own error page.
"""

from __future__ import annotations

import contextlib
import csv
import io
import sys
from typing import Any, Callable, Iterator, Optional

from ..csvio import spreadsheet_cell

CSV_TYPES = (b"text/csv", b"text/plain")  # Datasette serves CSV as text/plain unless it is a download


class CsvRecords:
    """Rewrites CSV text fed in pieces, cell by cell, giving back every whole record seen so far.

    A record ends at a line break outside quotes: where the quotes before it are even in
    number (a quote inside a quoted cell is written twice, which keeps the count even).
    """

    def __init__(self, cell: Callable[[str], str] = spreadsheet_cell):
        self.cell = cell
        self.pending = b""

    def feed(self, data: bytes, more: bool) -> bytes:
        self.pending += data
        if more:
            end = self._last_record_end()
            if end < 0:
                return b""
            done, self.pending = self.pending[:end + 1], self.pending[end + 1:]
        else:
            done, self.pending = self.pending, b""
        return self._rewritten(done) if done else b""

    def _last_record_end(self) -> int:
        text, end, start, odd = self.pending, -1, 0, 0
        while True:
            line_end = text.find(b"\n", start)
            if line_end < 0:
                return end
            odd ^= text.count(b'"', start, line_end) & 1
            if not odd:
                end = line_end
            start = line_end + 1

    def _rewritten(self, data: bytes) -> bytes:
        text = data.decode("utf-8", errors="surrogateescape")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n" if "\r\n" in text else "\n")
        for row in csv.reader(io.StringIO(text, newline="")):
            writer.writerow([self.cell(value) for value in row])
        return out.getvalue().encode("utf-8", errors="surrogateescape")


def is_csv_request(scope: dict) -> bool:
    """Whether the request asks Datasette for CSV: a `.csv` path, or `_format=csv`."""
    return scope.get("path", "").endswith(".csv") or b"_format=csv" in scope.get("query_string", b"")


class SpreadsheetSafeCsv:
    """Datasette's ASGI application, with every CSV response rewritten by `CsvRecords`."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope.get("type") != "http" or not is_csv_request(scope):
            await self.app(scope, receive, send)
            return
        records: Optional[CsvRecords] = None

        async def rewritten(message: dict) -> None:
            nonlocal records
            if message["type"] == "http.response.start":
                headers = message.get("headers") or []
                kind = next((value for name, value in headers if name.lower() == b"content-type"), b"")
                if kind.split(b";")[0].strip() in CSV_TYPES:
                    records = CsvRecords()
                    # the length changes with the text: the body is sent as it comes
                    message = {**message, "headers": [(name, value) for name, value in headers
                                                      if name.lower() != b"content-length"]}
            elif message["type"] == "http.response.body" and records is not None:
                message = {**message, "body": records.feed(message.get("body", b""),
                                                           message.get("more_body", False))}
            await send(message)

        await self.app(scope, receive, rewritten)


def status_of(exception: BaseException) -> int:
    """The HTTP status Datasette answers an exception with: its own, else 500."""
    status = getattr(exception, "status", None)
    return status if isinstance(status, int) else 500


@contextlib.contextmanager
def quiet_console(status: int) -> Iterator[None]:
    """While Datasette makes its error page: what it would print of the error (a rich traceback
    with local variables; for an error of its own, status 500, a plain one too) is held back,
    the line of `error_line` said instead."""
    with contextlib.ExitStack() as stack:
        try:
            import rich
        except ImportError:  # pragma: no cover (Datasette depends on rich)
            pass
        else:
            stack.enter_context(rich.get_console().capture())
        if status >= 500:
            stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
        yield


def error_line(request: Any, exception: BaseException, status: int) -> str:
    """One line for the console: the status, the request and what went wrong, no traceback."""
    message = " ".join(str(exception.args[0] if exception.args else exception).split())
    if len(message) > 200:
        message = message[:199] + "…"
    where = f"{request.method} {request.path}" if request is not None else "?"
    if request is not None and request.query_string:
        where += "?" + request.query_string[:200]
    kind = "" if status < 500 else f"{type(exception).__name__}: "
    return f"verity browse: {status} {where}: {kind}{message}"


def log_error(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
