"""Colour on a terminal: positions, verdicts and rulings as Datasette's labels show them.

Only when the output is a terminal, and never when NO_COLOR is set to anything
(https://no-color.org) or the terminal is TERM=dumb: piped or redirected output
stays plain text. Colours come from verity.palette; on a terminal that says it
shows 24-bit colour (COLORTERM=truecolor or 24bit) they are exact, elsewhere the
nearest of the 256 that every colour terminal has.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from .. import palette

RESET = "\033[0m"
_CUBE = (0, 95, 135, 175, 215, 255)  # the levels of the xterm 256-colour cube


def colour_wanted(stream: TextIO | None = None) -> bool:
    """Whether text written to `stream` (stdout by default) may be coloured."""
    stream = sys.stdout if stream is None else stream
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def _nearest_256(colour: str) -> int:
    """The xterm-256 colour (of its 6x6x6 cube and grey ramp) nearest to #rrggbb."""
    r, g, b = palette.rgb(colour)
    cube = [min(range(6), key=lambda i: abs(_CUBE[i] - v)) for v in (r, g, b)]
    cube_rgb = [_CUBE[i] for i in cube]
    grey_index = min(23, max(0, round(((r + g + b) / 3 - 8) / 10)))
    grey = 8 + 10 * grey_index

    def far(other):
        return sum((x - y) ** 2 for x, y in zip((r, g, b), other))

    if far((grey, grey, grey)) < far(cube_rgb):
        return 232 + grey_index
    return 16 + 36 * cube[0] + 6 * cube[1] + cube[2]


def _sgr(colour: str, layer: int) -> str:
    """The escape sequence for a colour as text (layer 38) or background (layer 48)."""
    if os.environ.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        r, g, b = palette.rgb(colour)
        return f"\033[{layer};2;{r};{g};{b}m"
    return f"\033[{layer};5;{_nearest_256(colour)}m"


def label(word: str, text: str | None = None) -> str:
    """`text` (the word itself by default) in the label colours of `word`."""
    background, foreground = palette.colours(word)
    return f"{_sgr(background, 48)}{_sgr(foreground, 38)}{word if text is None else text}{RESET}"
