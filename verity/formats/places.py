"""Where a value is, for error messages: a JSON path (`$.stances[3].position`), perhaps on a
numbered line (`line 12, $.position`, JSONL), or a CSV row and column (`line 12, column position`).
"""

from __future__ import annotations

from typing import Any, Optional


class Place:
    """A JSON path, possibly inside a numbered line: `$.stances[3]`, `line 12, $`."""

    def __init__(self, path: str = "$", prefix: Any = ""):  # prefix: text, or what shows as text ("line 12, ")
        self.path = path
        self.prefix = prefix

    def field(self, name: str) -> "Place":
        """The place of field `name` of the object here."""
        return Place(f"{self.path}.{name}", self.prefix)

    def item(self, index: Any) -> "Place":
        """The place of item `index` of the list here."""
        return Place(f"{self.path}[{index!r}]", self.prefix)

    def __str__(self) -> str:
        return f"{self.prefix}{self.path}"


class CsvPlace(Place):
    """A CSV row (`line 12`) or one of its cells (`line 12, column position`)."""

    def __init__(self, line: int, column: Optional[str] = None):
        super().__init__()
        self.line = line
        self.column = column

    def field(self, name: str) -> "CsvPlace":
        """The place of column `name` of this row."""
        return CsvPlace(self.line, name if self.column is None else f"{self.column}.{name}")

    def item(self, index: Any) -> "CsvPlace":
        """The place of item `index` of this cell's value."""
        return CsvPlace(self.line, f"{self.column}[{index!r}]")

    def __str__(self) -> str:
        return f"line {self.line}" + (f", column {self.column}" if self.column else "")


class LinePlace(Place):
    """The object on a JSONL line: `line 12, $`. Made for every line, so it is made cheaply."""

    __slots__ = ("line",)

    def __init__(self, line: int):
        self.line = line

    @property
    def path(self) -> str:  # type: ignore[override]
        """The path of the object on the line: always its root."""
        return "$"

    @property
    def prefix(self) -> str:  # type: ignore[override]
        """'line N, ': where the path starts."""
        return f"line {self.line}, "


line_place = LinePlace
