"""The participant page's hottest fragments, built in Python: the vote control (drawn for every
card of every push, 2 audiences × 2 languages, and for each vote's answer), the dot budget and
the flash region, and the vote's answer made of the three; a need's card with its dot totals
and its author's own controls (drawn for every need of the page, each push that changes
needs, and each answer to a need posted, edited or mapped: through the template engine a
card took about 1.3 ms of CPU, a third of a quick need's answer).

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


# --- a need's card on the participant page -----------------------------------------------------


def need_dots(need, *, tally: bool = False) -> SafeString:
    """A need's dot total; ``tally``: swapped out of band by a push of new totals."""
    counted = ngettext("%(counter)s dot", "%(counter)s dots", need.dot_total) % {
        "counter": need.dot_total
    }
    oob = ' hx-swap-oob="true"' if tally else ""
    # Safe: numbers, and the translators' words.
    return mark_safe(  # noqa: S308  # nosec B308 B703
        f'<span id="need-{need.pk}-dots" class="dots-total" data-dots="{need.dot_total}"{oob}>'
        f"{counted}</span>"
    )


def mapping_dots(mapping, *, tally: bool = False) -> SafeString:
    oob = ' hx-swap-oob="true"' if tally else ""
    # Safe: numbers.
    return mark_safe(  # noqa: S308  # nosec B308 B703
        f'<span id="mapping-{mapping.pk}-dots" data-dots="{mapping.dot_total}"{oob}>'
        f"● {mapping.dot_total}</span>"
    )


def _csrf_input(csrf_token: str) -> str:
    if not csrf_token:
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'


def own_need_controls(*, live_session, need, csrf_token: str = "") -> SafeString:
    """The author's Edit and Delete on their need: only their own page and answers have them."""
    code = live_session.code
    short = escape(Truncator(need.text).chars(40))
    delete = escape(reverse("sessions:delete_need", args=[code, need.pk]))
    confirm = escape(gettext("Delete this need, with its mappings and dots?"))
    about = escape(Truncator(need.text).chars(60))
    # Safe: every value escaped.
    return mark_safe(  # noqa: S308  # nosec B308 B703
        f'\n<a class="btn btn-sm btn-outline-secondary"'
        f' href="{escape(reverse("sessions:edit_need", args=[code, need.pk]))}">'
        f'{escape(gettext("Edit"))}<span class="visually-hidden">: {short}</span></a>\n'
        f'<form method="post" action="{delete}" hx-post="{delete}" hx-swap="none"'
        f' hx-confirm="{confirm}" data-withdraw data-outbox="delete-need"'
        f' data-outbox-target="need-{need.pk}" data-outbox-about="{about}">\n'
        f"  {_csrf_input(csrf_token)}{client_key_input()}"
        f'<button type="submit" class="btn btn-sm btn-outline-danger">'
        f'{escape(gettext("Delete"))}<span class="visually-hidden">: {short}</span></button>\n'
        "</form>\n"
    )


def own_mapping_controls(*, live_session, mapping, csrf_token: str = "") -> SafeString:
    """The author's Remove on their mapping."""
    delete = escape(reverse("sessions:delete_mapping", args=[live_session.code, mapping.pk]))
    name = tr(mapping.strategy, "name")
    hidden = gettext("mapping to %(name)s") % {"name": escape(name)}
    # Safe: every value escaped; the translators' words as {% blocktranslate %} trusts them.
    return mark_safe(  # noqa: S308  # nosec B308 B703
        f'\n<form method="post" action="{delete}" class="own-form" hx-post="{delete}"'
        f' hx-swap="none" hx-confirm="{escape(gettext("Remove this mapping?"))}" data-withdraw'
        f' data-outbox="delete-mapping" data-outbox-target="mapping-{mapping.pk}"'
        f' data-outbox-about="{escape(name)}">\n'
        f"  {_csrf_input(csrf_token)}{client_key_input()}"
        f'<button type="submit" class="btn btn-link btn-sm">{escape(gettext("Remove"))}'
        f'<span class="visually-hidden"> {hidden}</span></button>\n'
        "</form>\n"
    )


def participant_need_card(
    *,
    live_session,
    need,
    participant=None,
    mine: PersonalDots | None = None,
    dots_left: int | None = None,
    refusal: str = "",
    csrf_token: str = "",
) -> SafeString:
    """A need's card on the participant page, pushed to every phone alike, so it holds nobody's
    own controls unless ``participant`` wrote it. Elements with hx-preserve hold this viewer's
    own parts (their dots, the controls of what they wrote): the viewer's page and the answers
    to their own actions fill them, and htmx keeps them by id when a push replaces the card
    around them. ``mine``, ``dots_left``, ``refusal``: this viewer's, as vote_control takes
    them (a push has none)."""
    actions = live_session.phase_spec.actions
    visible = need.status == "visible"
    pending = need.status == "pending"
    mappings = list(need.mappings.all())
    theirs = participant is not None and participant.pk is not None
    viewer = {"mine": mine, "dots_left": dots_left, "refusal": refusal, "csrf_token": csrf_token}
    parts = [
        f'\n<li id="need-{need.pk}" class="need-card{" need-pending" if pending else ""}">\n'
        f'  <p class="need-text"><bdi>{escape(need.text)}</bdi>'
    ]
    if need.edited:
        parts.append(
            f' <span class="small text-body-secondary">({escape(gettext("edited"))})</span>'
        )
    parts.append("</p>\n  ")
    if need.context:
        parts.append(f'<p class="need-context small"><bdi>{escape(need.context)}</bdi></p>')
    parts.append("\n  ")
    if "vote" in actions and visible:
        control = vote_control(live_session=live_session, kind="need", item=need, **viewer)
        parts.append(
            f'\n    <div id="mine-need-{need.pk}" hx-preserve="true" class="mine">{control}</div>\n  '
        )
    author = need.author
    parts.append(
        f'\n  <p class="need-meta small">\n    <span><bdi>{escape(author.name)}</bdi></span>'
    )
    if author.is_remote:
        parts.append(f' <span class="badge remote-badge">{escape(gettext("remote"))}</span>')
    parts.append("\n    ")
    if pending:
        waiting = escape(gettext("waiting for a facilitator"))
        parts.append(f'<span class="badge text-bg-warning">{waiting}</span>')
    parts.append(f"\n    · {need_dots(need)}\n  </p>\n  ")
    if mappings:
        parts.append(_mappings(live_session, mappings, participant if theirs else None, viewer))
    parts.append('\n  <div class="need-actions d-flex flex-wrap gap-2">\n    ')
    if "mapping" in actions and visible and not live_session.input_locked:
        href = escape(reverse("sessions:map", args=[live_session.code, need.pk]))
        parts.append(
            f'\n      <a class="btn btn-sm btn-primary" href="{href}" data-picker-link>'
            f'{escape(gettext("Map to strategies"))}<span class="visually-hidden">:'
            f" {escape(Truncator(need.text).chars(40))}</span></a>\n    "
        )
    own = ""
    if theirs and need.author_id == participant.pk:
        own = own_need_controls(live_session=live_session, need=need, csrf_token=csrf_token)
    parts.append(
        f'\n    <div id="own-need-{need.pk}" hx-preserve="true"'
        f' class="own-controls d-flex flex-wrap gap-2">{own}</div>\n  </div>\n</li>\n'
    )
    # Safe: every value escaped, or a number, or built above from escaped parts.
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703


def _mappings(live_session, mappings: list, participant, viewer: dict) -> str:
    actions = live_session.phase_spec.actions
    parts = ['\n    <ul class="need-mappings list-unstyled small">\n      ']
    for mapping in mappings:
        name = escape(tr(mapping.strategy, "name"))
        parts.append(
            f'\n        <li id="mapping-{mapping.pk}" class="need-mapping">\n'
            f'          <span aria-hidden="true">→</span> <span class="visually-hidden">'
            f"{escape(gettext('Mapped to'))}</span> <strong>{name}</strong>\n"
            f'          <span class="text-body-secondary">'
            f"({escape(mapping.strategy.get_approach_display())}) · {mapping_dots(mapping)}"
            "</span>\n          "
        )
        if mapping.reason:
            parts.append(
                f'<br><span class="mapping-reason">“<bdi>{escape(mapping.reason)}</bdi>”</span>'
            )
        parts.append("\n          ")
        if "gap" in actions:
            href = escape(reverse("sessions:gap", args=[live_session.code]))
            hidden = gettext("for this need and %(name)s") % {"name": name}
            parts.append(
                f'\n            <a class="btn btn-sm btn-outline-secondary"'
                f' href="{href}?mapping={mapping.pk}">{escape(gettext("Note a gap"))}'
                f'<span class="visually-hidden"> {hidden}</span></a>\n          '
            )
        own = ""
        if participant is not None and mapping.author_id == participant.pk:
            own = own_mapping_controls(
                live_session=live_session, mapping=mapping, csrf_token=viewer["csrf_token"]
            )
        parts.append(
            f'\n          <span id="own-mapping-{mapping.pk}" hx-preserve="true"'
            f' class="own-controls">{own}</span>\n        </li>\n      '
        )
    parts.append("\n    </ul>\n    ")
    if "vote" in actions:
        summary = ngettext(
            "Dots for its %(counter)s mapping", "Dots for its %(counter)s mappings", len(mappings)
        ) % {"counter": len(mappings)}
        parts.append(
            "\n      \n      "
            f'<details class="mapping-votes">\n        <summary>{summary}</summary>\n'
            '        <ul class="list-unstyled mb-0">\n          '
        )
        for mapping in mappings:
            control = vote_control(
                live_session=live_session, kind="mapping", item=mapping, **viewer
            )
            parts.append(
                f'\n            <li class="mapping-vote"><p class="mapping-vote-name small mb-1">'
                f"→ {escape(tr(mapping.strategy, 'name'))}</p>\n"
                f'              <div id="mine-mapping-{mapping.pk}" hx-preserve="true"'
                f' class="mine">{control}</div>\n            </li>\n          '
            )
        parts.append("\n        </ul>\n      </details>\n    ")
    parts.append("\n  ")
    return "".join(parts)
