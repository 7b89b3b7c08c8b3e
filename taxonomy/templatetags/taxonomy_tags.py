"""Display helpers shared by the taxonomy templates."""

from urllib.parse import urlsplit

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from taxonomy.citations import parse_name, split_pages
from taxonomy.enums import Approach

register = template.Library()


@register.simple_tag
def approach_badge(approach: str) -> str:
    """The approach as a text badge (never colour alone)."""
    try:
        label = Approach(approach).label
    except ValueError:
        label = approach
    return format_html('<span class="badge approach-badge approach-{}">{}</span>', approach, label)


@register.filter
def tr(item, name: str) -> str:
    """A translated text field of a category, strategy or case in the active language, English
    where the translation is empty: ``{{ strategy|tr:"name" }}``."""
    if item is None or item == "":
        return ""
    return item.localized(name)


@register.filter
def author_list(authors: list) -> str:
    """ "A", "A and B", "A, B, and C", names as the source gives them."""
    names = []
    for raw in authors or []:
        if isinstance(raw, dict):
            name = parse_name(raw)
            names.append(name.literal or f"{name.given} {name.family}".strip())
        else:
            names.append(str(raw))
    if len(names) <= 1:
        return "".join(names)
    if len(names) == 2:
        return _("%(first)s and %(last)s") % {"first": names[0], "last": names[1]}
    return _("%(first)s, and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


@register.filter
def page_range(pages: str) -> str:
    """Pages with an en dash between first and last: "380:1–380:31"."""
    start, end = split_pages(pages or "")
    return f"{start}–{end}" if end else start


@register.filter(is_safe=True)
def full_stop(text: str) -> str:
    """The text ending with one full stop, unless it already ends with punctuation."""
    text = str(text).rstrip()
    return text if not text or text[-1] in ".?!" else f"{text}."


@register.filter
def web_link(url: str) -> str:
    """The URL if it is http(s), else nothing: never a javascript: or data: link."""
    return url if url and urlsplit(url).scheme in {"http", "https"} else ""
