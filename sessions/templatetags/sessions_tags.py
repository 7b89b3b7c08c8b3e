import uuid

from django import template
from django.utils.html import format_html
from django.utils.text import Truncator

from sessions.enums import Phase
from taxonomy.templatetags.taxonomy_tags import tr

register = template.Library()


@register.filter
def as_clock(seconds: int | None) -> str:
    """Seconds as m:ss (or h:mm:ss), for the phase timer."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def heat_squares(level: int) -> str:
    """The heat level as filled and empty squares, so it reads without colour."""
    return "■" * level + "□" * (4 - level)


@register.filter
def bar_width(percent: int) -> int:
    """Round a percentage to the nearest 5 for the CSS width classes (no inline styles: CSP)."""
    return min(100, max(0, 5 * round(int(percent) / 5)))


@register.simple_tag
def phase_list() -> list[tuple[str, str]]:
    return list(Phase.choices)


@register.simple_tag
def dots_for(mine: dict | None, kind: str, pk: int) -> int:
    """This viewer's dots on an item; 0 in broadcasts, which carry no personal state."""
    if not mine:
        return 0
    return mine.get(kind, {}).get(pk, 0)


@register.simple_tag
def vote_blocked(live_session, my_dots: int, dots_left) -> str:
    """Why this viewer cannot add a dot to an item now: "locked", "cap", "spent" or "" (it
    can). Pushes know nobody's budget (``dots_left`` is then empty): the phone works out
    "spent" itself from its budget (static/js/live.js)."""
    if live_session.input_locked:
        return "locked"
    if my_dots >= live_session.dot_cap:
        return "cap"
    if isinstance(dots_left, int) and dots_left <= 0:
        return "spent"
    return ""


@register.simple_tag
def outbox_about(kind: str, item) -> str:
    """What the phone's outbox calls a vote waiting to be sent: the need's words, shortened, or
    the strategy's name."""
    if kind == "need":
        return Truncator(item.text).chars(60)
    return tr(item.strategy, "name")


@register.simple_tag
def client_key_input():
    """A hidden key for a write form shown without JavaScript (sessions.services.replays): the
    form sent twice is one write. The phone's outbox gives each tap a key of its own."""
    return format_html('<input type="hidden" name="client_key" value="{}">', uuid.uuid4().hex)


@register.simple_tag(takes_context=True)
def board_part(context, partial: str, board) -> str:
    """A board partial as the board page shows it (not out of band), with what the board reads
    (``board``: sessions.live.regions.board_context) as its context: the dashboard's preview
    shows the board's own regions without naming them."""
    template = context.template.engine.get_template(partial)
    with context.push(dict(board.items()), oob=False):
        return template.render(context)
