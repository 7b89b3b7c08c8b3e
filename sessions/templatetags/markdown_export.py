"""Filters for the Markdown report (sessions/exports/report.md), which is rendered with
autoescaping off: every value from the database goes through ``md`` instead."""

import re

from django import template

register = template.Library()

# Characters that mean something inline in CommonMark or in a pipe table; "<" and "&" would
# let a participant's text become raw HTML or an entity in a Markdown viewer.
_INLINE_SPECIALS = re.compile(r"([\\`*_\[\]<>&|~!])")
# At the start of a line these open a heading, list, quote, thematic break or setext heading.
_BLOCK_MARKER = re.compile(r"^[#>+=-]")
_ORDERED_MARKER = re.compile(r"^(\d+)([.)])")


@register.filter
def md(value) -> str:
    """Text as inert Markdown: one line, every special character backslash-escaped."""
    text = " ".join(str(value if value is not None else "").split())
    text = _INLINE_SPECIALS.sub(r"\\\1", text)
    text = _BLOCK_MARKER.sub(lambda match: "\\" + match.group(), text)
    # Only punctuation can be backslash-escaped: "1." becomes "1\.", not "\1.".
    return _ORDERED_MARKER.sub(r"\1\\\2", text)
