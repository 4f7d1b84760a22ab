"""The colours of verity's labels: the same for a position, verdict or ruling wherever it
is shown, in Datasette (verity.datasette.plugin) and on a terminal (verity.cli.style).

Green: the sources (or the ruling) say yes; red: no; amber: both; blue: one origin;
grey: everything else (neutral, unverified, unproven).
"""

from __future__ import annotations

Colours = tuple[str, str]  # (background, text) as #rrggbb

DEFAULT: Colours = ("#ececec", "#404040")
YES: Colours = ("#d3f0d8", "#14532d")
MOSTLY_YES: Colours = ("#eaf7ec", "#166534")
NO: Colours = ("#f9d0cc", "#7f1010")
MOSTLY_NO: Colours = ("#fdecea", "#9f1d1d")
BOTH: Colours = ("#fde7b0", "#7a4a00")
ONE_ORIGIN: Colours = ("#dde8fb", "#1e3a8a")

LABELS: dict[str, Colours] = {
    "affirms": YES, "corroborated": YES, "true": YES,
    "partially-affirms": MOSTLY_YES, "mostly-true": MOSTLY_YES,
    "denies": NO, "denied": NO, "false": NO,
    "partially-denies": MOSTLY_NO, "mostly-false": MOSTLY_NO,
    "contested": BOTH, "mixture": BOTH,
    "single-source": ONE_ORIGIN,
}


def colours(word: str) -> Colours:
    """The label colours of a position, verdict or ruling (grey for those without their own)."""
    return LABELS.get(word, DEFAULT)


def rgb(hex_colour: str) -> tuple[int, int, int]:
    """'#d3f0d8' -> (211, 240, 216)."""
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)
