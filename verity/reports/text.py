"""Database text made safe for the formats a newsroom publishes.

Everything in a report that came from the database — names, quotes, claim
text, links — is untrusted: a source may be named `<script>...</script>`. The
HTML report escapes through Jinja's autoescaping; these helpers do the same job
for markdown (which may itself be rendered to HTML) and vet links for both.
"""

from __future__ import annotations

import re
from typing import Any, Optional
from urllib.parse import quote, urlsplit

LINK_SCHEMES = ("http", "https", "mailto")

# Characters that start markdown syntax or raw HTML anywhere in a line.
_INLINE = re.compile(r"([\\`*_\[\]<>|~])|&(?=#?\w+;)")
# What would turn the start of a line into a heading, list, quote or rule.
_LINE_START = re.compile(r"^(?:([#>+=-])|(\d+)([.)]))")


def one_line(value: Any) -> str:
    """The text with every run of white space (new lines included) made one space."""
    return " ".join(str(value).split()) if value is not None else ""


def md(value: Any) -> str:
    """Text for inline markdown: shown as written, never read as markup or HTML."""
    return _INLINE.sub(lambda m: "\\" + m.group(0), one_line(value))


def md_line(value: Any) -> str:
    """Like `md`, for text that begins a line (a block quote, a list item's text)."""
    text = md(value)
    match = _LINE_START.match(text)
    if match and match.group(1):
        return "\\" + text
    if match:
        return match.group(2) + "\\" + text[len(match.group(2)):]
    return text


def safe_url(url: Optional[str]) -> Optional[str]:
    """The link when it is one a reader can safely follow (http, https, mailto), else None.

    Escaping cannot make `javascript:` links harmless, so they are shown as text.
    """
    if not url:
        return None
    url = url.strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    if scheme not in LINK_SCHEMES or any(ord(c) < 32 for c in url):
        return None
    return quote(url, safe=":/?#[]@!$&'*+,;=%~")


def link_label(url: str) -> str:
    """A short label for a link: its host (or the address of a mailto)."""
    parts = urlsplit(url)
    return parts.netloc or parts.path or url


# Words the markdown and HTML reports share.
SIDE_TITLES = {"affirming": "Affirming", "denying": "Denying", "neutral": "Neutral"}
VERDICT_TITLES = {
    "contested": "Contested claims",
    "single-source": "Single-source claims",
    "corroborated": "Corroborated claims",
    "denied": "Denied claims",
    "unverified": "Unverified claims",
}


def estimates_note(saved) -> str:
    """What a report says of the stored estimates: (computed_at, stale_since) or None."""
    if saved is None:
        return ("No estimates saved: 'verity assess --save' stores each claim's estimate (a probability "
                "learned from the sources' records, not a ruling) for the reports to show.")
    computed_at, stale_since = saved
    text = (f"Estimates as 'verity assess --save' computed them {computed_at[:16].replace('T', ' ')} UTC: "
            "probabilities learned from the sources' records, not rulings; a ruled claim is estimated "
            "without its own ruling.")
    if stale_since:
        text += " They are stale: the desk has changed since; run 'verity assess --save' again."
    return text
