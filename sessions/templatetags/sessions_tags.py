from django import template

from sessions import fragments
from sessions.enums import Phase

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


@register.simple_tag(takes_context=True)
def vote_control(context, kind: str, item) -> str:
    """The vote control (sessions.fragments), with this viewer's dots, budget and refusal when
    the context has them (a push has none) and the form's CSRF token when there is a request."""
    return fragments.vote_control(
        live_session=context["live_session"], kind=kind, item=item, **_viewer(context)
    )


@register.simple_tag(takes_context=True)
def participant_need_card(context, need) -> str:
    """A need's card on the participant page (sessions.fragments), with this viewer's own
    parts when the context has them (a push has none)."""
    return fragments.participant_need_card(
        live_session=context["live_session"],
        need=need,
        participant=context.get("participant") or None,
        **_viewer(context),
    )


def _viewer(context) -> dict:
    """This viewer's own state, as the vote controls take it: none in a push."""
    return {
        "mine": context.get("mine"),
        "dots_left": context.get("dots_left"),
        "refusal": context.get("refusal", ""),
        "csrf_token": _csrf_token(context),
    }


@register.simple_tag(takes_context=True)
def need_dots(context, need) -> str:
    return fragments.need_dots(need, tally=bool(context.get("tally")))


@register.simple_tag(takes_context=True)
def mapping_dots(context, mapping) -> str:
    return fragments.mapping_dots(mapping, tally=bool(context.get("tally")))


@register.simple_tag(takes_context=True)
def own_need_controls(context, need) -> str:
    return fragments.own_need_controls(
        live_session=context["live_session"], need=need, csrf_token=_csrf_token(context)
    )


@register.simple_tag(takes_context=True)
def own_mapping_controls(context, mapping) -> str:
    return fragments.own_mapping_controls(
        live_session=context["live_session"], mapping=mapping, csrf_token=_csrf_token(context)
    )


def _csrf_token(context) -> str:
    """As ``{% csrf_token %}`` reads it: none without a request (a push)."""
    token = str(context.get("csrf_token") or "")
    # The context processor's word for "no token" (django.template.context_processors.csrf).
    return "" if token == "NOTPROVIDED" else token  # nosec B105


@register.simple_tag(takes_context=True)
def dot_budget(context) -> str:
    return fragments.dot_budget(
        live_session=context["live_session"], dots_left=context["dots_left"]
    )


@register.simple_tag(takes_context=True)
def flash_region(context) -> str:
    return fragments.flash_region(
        flash=context.get("flash", ""),
        level=context.get("flash_level", ""),
        withdrawn_id=context.get("withdrawn_id"),
        withdrawn_note=context.get("withdrawn_note", ""),
    )


@register.simple_tag
def client_key_input() -> str:
    return fragments.client_key_input()


@register.simple_tag(takes_context=True)
def board_part(context, partial: str, board) -> str:
    """A board partial as the board page shows it (not out of band), with what the board reads
    (``board``: sessions.live.regions.board_context) as its context: the dashboard's preview
    shows the board's own regions without naming them."""
    template = context.template.engine.get_template(partial)
    with context.push(dict(board.items()), oob=False):
        return template.render(context)
