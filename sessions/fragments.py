"""The participant page's hottest fragments, built in Python: the vote control (drawn for every
card of every push, 2 audiences × 2 languages, and for each vote's answer), the dot budget and
the flash region, and the vote's answer made of the three.

They were template partials; a vote's answer through the template engine took about 1 ms of a
worker's CPU, more than half of the quick vote's Python (docs/performance.md). The templates
draw them through tags (sessions_tags: ``vote_control``, ``dot_budget``, ``flash_region``), so
the page, the pushes and the answers show the same markup from one place. Escaping is the
template engine's: every value and every ``{% translate %}`` string escaped, a
``{% blocktranslate %}`` string trusted (its translators' markup) with its values escaped."""

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext

from sessions.forms import new_client_key
from sessions.queries.common import PersonalDots, dots_left
from taxonomy.templatetags.taxonomy_tags import tr


def client_key_input() -> SafeString:
    """A hidden key for a write form shown without JavaScript (sessions.services.replays): the
    form sent twice is one write. The phone's outbox gives each tap a key of its own."""
    key = new_client_key()  # hex: nothing to escape
    return mark_safe(f'<input type="hidden" name="client_key" value="{key}">')  # noqa: S308  # nosec B308 B703


def dots_for(mine: PersonalDots | None, kind: str, pk: int) -> int:
    """This viewer's dots on an item; 0 in broadcasts, which carry no personal state."""
    if not mine:
        return 0
    return mine.get(kind, {}).get(pk, 0)


def vote_blocked(live_session, my_dots: int, dots_left) -> str:
    """Why this viewer cannot add a dot to an item now: "locked", "cap", "spent" or "" (it
    can). Pushes know nobody's budget (``dots_left`` is then None): the phone works out
    "spent" itself from its budget (static/js/live.js)."""
    if live_session.input_locked:
        return "locked"
    if my_dots >= live_session.dot_cap:
        return "cap"
    if isinstance(dots_left, int) and dots_left <= 0:
        return "spent"
    return ""


def outbox_about(kind: str, item) -> str:
    """What the phone's outbox calls a vote waiting to be sent: the need's words, shortened, or
    the strategy's name."""
    if kind == "need":
        return Truncator(item.text).chars(60)
    return tr(item.strategy, "name")


def _why(live_session, blocked: str, refusal: str) -> str:
    if refusal:
        return escape(refusal)
    if blocked == "locked":
        return escape(gettext("Input is paused by the facilitators."))
    if blocked == "cap":
        cap = live_session.dot_cap
        return ngettext(
            "Full: at most %(cap)s dot on one item.", "Full: at most %(cap)s dots on one item.", cap
        ) % {"cap": cap}
    if blocked == "spent":
        return escape(gettext("No dots left: take one back to move it."))
    return ""


def vote_control(
    *,
    live_session,
    kind: str,
    item,
    mine: PersonalDots | None,
    dots_left: int | None = None,
    refusal: str = "",
    csrf_token: str = "",
) -> SafeString:
    """One item's "Add a dot" and "Take a dot back" with this viewer's dots on it and, when
    adding is refused or blocked, why (next to the button, as every refusal is shown).
    ``dots_left`` None: a push, which knows nobody's budget. ``csrf_token`` empty: a push, whose
    forms the phone sends with its own token."""
    my_dots = dots_for(mine, kind, item.pk)
    blocked = vote_blocked(live_session, my_dots, dots_left)
    target = f"vote-{kind}-{item.pk}"
    form = (
        f'<form method="post" action="{{url}}" hx-post="{{url}}" hx-swap="none"'
        f' data-outbox="vote" data-outbox-target="{target}" data-outbox-about="{{about}}">'
    ).format(
        url=escape(reverse("sessions:vote", args=[live_session.code])),
        about=escape(outbox_about(kind, item)),
    )
    token = (
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
        if csrf_token
        else ""
    )
    fields = (
        f'{token}<input type="hidden" name="kind" value="{kind}">'
        f'<input type="hidden" name="item" value="{item.pk}">'
    )
    add = (
        f'{form}{fields}<input type="hidden" name="action" value="add">{client_key_input()}'
        f'<button type="submit" class="btn btn-primary vote-btn vote-add" data-blocked="{blocked}"'
        f' aria-describedby="{target}-why"{" disabled" if blocked else ""}>'
        f'<span aria-hidden="true">+</span> {escape(gettext("Add a dot"))}</button></form>'
    )
    counted = ngettext("Your dots: %(counter)s", "Your dots: %(counter)s", my_dots) % {
        "counter": my_dots
    }
    take_back = ""
    if my_dots:
        locked = f' disabled aria-describedby="{target}-why"' if blocked == "locked" else ""
        take_back = (
            f'{form}{fields}<input type="hidden" name="action" value="remove">{client_key_input()}'
            f'<button type="submit" class="btn btn-outline-secondary vote-btn vote-remove"{locked}>'
            f'<span aria-hidden="true">−</span> {escape(gettext("Take a dot back"))}</button>'
            "</form>"
        )
    # Safe: every value above is escaped, or a number, or one of two fixed words.
    return mark_safe(  # noqa: S308  # nosec B308 B703
        f'<div class="vote-control" id="{target}" data-mine="{my_dots}">'
        f'<div class="d-flex flex-wrap align-items-center gap-2">{add}'
        f'<span class="my-dots" data-announce>{counted}</span>{take_back}</div>'
        f'<p id="{target}-why" class="vote-why small mb-0"{" data-refusal" if refusal else ""}>'
        f"{_why(live_session, blocked, refusal)}</p></div>"
    )


def dot_budget(*, live_session, dots_left: int) -> SafeString:
    """The viewer's dots left, sticky while voting. Pushes know nobody's budget: the phone
    disables its other "Add a dot" buttons itself when this says none is left
    (static/js/live.js)."""
    left = ngettext(
        "You have <strong>%(counter)s</strong> dot left",
        "You have <strong>%(counter)s</strong> dots left",
        dots_left,
    ) % {"counter": dots_left}
    limits = gettext("(%(budget)s in all, at most %(cap)s on one item)") % {
        "budget": live_session.dot_budget,
        "cap": live_session.dot_cap,
    }
    why_spent = escape(gettext("No dots left: take one back to move it."))
    # Safe: numbers, and escaped or translators' words.
    return mark_safe(  # noqa: S308  # nosec B308 B703
        f'<div id="dot-budget" class="dot-budget" hx-swap-oob="true" data-left="{dots_left}"'
        f' data-why-spent="{why_spent}"><p class="mb-0" data-announce>{left}'
        f' <span class="text-body-secondary small">{limits}</span></p></div>'
    )


def flash_region(
    *, flash: str = "", level: str = "success", withdrawn_id=None, withdrawn_note: str = ""
) -> SafeString:
    """The page's message region, swapped out of band. Success is shown here; a refusal only
    carries its message for screen readers, as it is shown next to the control that was
    refused; a withdrawal is announced, and its note left where the item was."""
    inside = ""
    if flash and level == "warning":
        inside = (
            f'<div class="alert alert-warning visually-hidden" data-refusal>{escape(flash)}</div>'
        )
    elif flash and withdrawn_id:
        inside = (
            f'<p class="visually-hidden" data-announce>{escape(flash)}</p>'
            f'<p class="withdrawn-note" data-withdrawn="{escape(withdrawn_id)}" hidden>'
            f"{escape(withdrawn_note)}</p>"
        )
    elif flash:
        inside = (
            f'<div class="alert alert-{escape(level or "success")} mb-2" data-announce>'
            f"{escape(flash)}</div>"
        )
    # Safe: escaped above.
    return mark_safe(  # noqa: S308  # nosec B308 B703
        f'<div id="flash" class="flash" hx-swap-oob="true">{inside}</div>'
    )


def vote_result(*, live_session, kind: str, item, mine: PersonalDots, refusal: str = "") -> str:
    """The answer to a vote: this viewer's control on the item and their budget, swapped out of
    band, and the flash region (the refusal for screen readers, or emptied). Its forms carry no
    CSRF token, as a push's do not: only htmx puts it in the page, and the phone sends the
    page's token in a header (static/js/outbox.js)."""
    left = dots_left(live_session, mine)
    control = vote_control(
        live_session=live_session,
        kind=kind,
        item=item,
        mine=mine,
        dots_left=left,
        refusal=refusal,
    )
    return (
        f'<div hx-swap-oob="innerHTML:#mine-{kind}-{item.pk}">{control}</div>'
        f"{dot_budget(live_session=live_session, dots_left=left)}"
        f"{flash_region(flash=refusal, level='warning' if refusal else 'success')}"
    )
