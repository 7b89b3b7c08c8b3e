"""Renders what the screens redraw after a change.

``change_for`` gives the facts a domain event changed (each kind declares them:
sessions.live.kinds); the regions they touch are derived from the regions' declarations
(sessions.live.regions). ``render_messages`` reads the data of a
change once and renders it once per audience (board, participants) and interface language,
never once per socket: each screen listens to the group of its audience in its own language. A
vote sends only the new dot totals, not the need's whole card."""

from django.template.loader import render_to_string
from django.utils import translation

from sessions import queries
from sessions.enums import ContributionStatus
from sessions.live import regions as declared
from sessions.live.change import Change
from sessions.live.groups import AUDIENCES, BOARD, PARTICIPANTS, group_name, languages
from sessions.live.kinds import LiveEvent
from sessions.models import LiveSession, Need

LIVE_TEMPLATE = "sessions/partials/live.html"
UPDATE_TEMPLATES = {
    BOARD: "sessions/board/screens.html#board-update",
    PARTICIPANTS: f"{LIVE_TEMPLATE}#participants-update",
}


def change_for(event: LiveEvent) -> Change:
    """The facts ``event`` changed (each kind declares them: sessions.live.kinds)."""
    return event.facts()


def gather(live_session: LiveSession, change: Change, audiences=AUDIENCES) -> dict:
    """What an update shows to ``audiences``, read once for all of them and every language
    (the data depends on neither; only the rendering does). The board's regions are those of
    its current screen (sessions.live.regions), read only when the board is among them."""
    data: dict = {}
    regions = change.regions
    if "all_needs" in regions:
        if PARTICIPANTS in audiences:
            data["need_page"] = queries.needs_page(live_session)
    elif change.needs_changed:
        visible = queries.needs(live_session, ids=change.needs_changed)
        data["needs_upserted"] = visible
        # A changed need that is no longer visible (hidden, pending) leaves the screens, but
        # a pending one stays on its author's phone, the only one that shows it.
        invisible = change.needs_changed - {need.pk for need in visible}
        data["needs_removed"] = sorted(change.needs_removed | invisible)
        if invisible:
            data["needs_pending"] = set(
                Need.objects.filter(
                    pk__in=invisible, status=ContributionStatus.PENDING
                ).values_list("pk", flat=True)
            )
    if "all_needs" not in regions and change.needs_removed:
        data.setdefault("needs_removed", sorted(change.needs_removed))
    if change.tallies and "all_needs" not in regions:
        data["tallies"] = queries.needs(live_session, ids=change.tallies)
    if "gaps" in regions and PARTICIPANTS in audiences:
        data["gap_groups"] = queries.gap_notes(live_session)
    if PARTICIPANTS in audiences:
        # The phones' phase banner redraws when the board's does (its region's declaration:
        # the phase, and the door, which the lobby's prompt reads).
        data["phase_banner"] = bool(
            declared.touched(live_session, change, [declared.REGIONS["phase"]])
        )
        # The phone regions of the phase (the room's results at wrap-up) that the change
        # touched; a phase change reloads the phones' pages, which then show them.
        named = live_session.phase_spec.phone_reads
        phone = [region for name, region in declared.PHONE_REGIONS.items() if name in named]
        data.update(
            declared.read(live_session, declared.touched(live_session, change, phone), data)
        )
    if BOARD in audiences:
        data["board"] = declared.board_data(live_session, change, shared=data)
    return data


def render_update(
    live_session: LiveSession, change: Change, audience: str, data: dict | None = None
) -> str:
    """The HTML message for one audience: out-of-band fragments plus the sequence marker.
    ``data`` is what ``gather`` read for this change (read here if not given)."""
    if data is None:
        data = gather(live_session, change, audiences=(audience,))
    context = {
        "live_session": live_session,
        "change": change,
        "audience": audience,
        "needs_pending": (),
        **data,
    }
    if audience == BOARD:
        context.update(data.get("board", {}))
    return render_to_string(UPDATE_TEMPLATES[audience], context)


def render_snapshot(live_session: LiveSession, audience: str) -> str:
    """The whole live state of one audience, for a screen that is behind."""
    return render_update(live_session, Change.everything(), audience)


def render_messages(
    live_session_id: int, change: Change, listened: set[str] | None = None
) -> list[tuple[str, dict]]:
    """Render the update once per audience and language; returns (group, message) pairs.
    ``listened``: the groups some screen listens to (sessions.live.groups.listened), the only
    ones rendered; None for every group."""
    wanted = [
        (language, audience)
        for language in languages()
        for audience in AUDIENCES
        if listened is None or group_name(live_session_id, audience, language) in listened
    ]
    if not wanted:
        return []
    live_session = LiveSession.objects.filter(pk=live_session_id).select_related("taxonomy").first()
    if live_session is None:
        return []
    data = gather(live_session, change, audiences=tuple({audience for _, audience in wanted}))
    messages = []
    for language in languages():
        with translation.override(language):
            for audience in [a for code, a in wanted if code == language]:
                html = render_update(live_session, change, audience, data)
                messages.append(
                    (
                        group_name(live_session_id, audience, language),
                        {
                            "type": "live.update",
                            "html": html,
                            "seq": live_session.sequence,
                            "session": live_session_id,
                        },
                    )
                )
    return messages


def error_fragment(message: str) -> str:
    """A message for the screen that sent something the server does not understand."""
    return render_to_string(f"{LIVE_TEMPLATE}#live-error", {"message": message})
