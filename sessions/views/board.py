"""The projector board, and the polling fallback every live page uses without a WebSocket."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from sessions import queries
from sessions.enums import Phase
from sessions.identity import current_participant
from sessions.live import groups, regions, snapshots
from sessions.permissions import live_session_or_404
from sessions.qr import join_qr


@require_safe
def board(request: HttpRequest, code: str) -> HttpResponse:
    live_session = live_session_or_404(code)
    join_url = request.build_absolute_uri(live_session.join_path)
    context = regions.board_context(live_session)
    context.update(
        {
            "join_url": join_url,
            "qr": join_qr(join_url),
            "audience": groups.BOARD,
        }
    )
    return render(request, "sessions/board/board.html", context)


@require_safe
def phone_board(request: HttpRequest, code: str) -> HttpResponse:
    """The board for a phone: the same live screen on the board's socket, in one column,
    without the join block and QR code (a remote participant is already in)."""
    live_session = live_session_or_404(code)
    context = regions.board_context(live_session)
    context["audience"] = groups.BOARD
    return render(request, "sessions/board/phone.html", context)


@require_safe
def poster(request: HttpRequest, code: str) -> HttpResponse:
    """The join poster for the door: the QR code, the address and the code, in English and
    French, laid out for A4 and Letter paper alike."""
    live_session = live_session_or_404(code)
    join_url = request.build_absolute_uri(live_session.join_path)
    return render(
        request,
        "sessions/board/poster.html",
        {
            "live_session": live_session,
            "join_url": join_url,
            "qr": join_qr(join_url),
        },
    )


@require_safe
def live(request: HttpRequest, code: str) -> HttpResponse:
    """Polling: the whole live state as out-of-band fragments when the screen's sequence number
    is behind, 204 when it is current."""
    live_session = live_session_or_404(code)
    audience = request.GET.get("audience", groups.BOARD)
    if audience not in groups.AUDIENCES:
        return HttpResponse(_("Unknown audience."), status=400, content_type="text/plain")
    if audience == groups.PARTICIPANTS and current_participant(request, live_session) is None:
        return HttpResponse(_("Join the session first."), status=403, content_type="text/plain")
    since = request.GET.get("since", "")
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    if since.isdecimal() and int(since) == live_session.sequence:
        return HttpResponse(status=204)
    return HttpResponse(snapshots.snapshot(live_session, audience))


@require_safe
def results(request: HttpRequest, code: str) -> HttpResponse:
    """What the room mapped, for anyone with the link once the session reached wrap-up (the
    phones show it then; participants keep the link): aggregate, as the board showed it."""
    live_session = live_session_or_404(code)
    shown = live_session.phase == Phase.WRAPUP and not live_session.purged_at
    context = {
        "live_session": live_session,
        "results": queries.room_results(live_session) if shown else None,
    }
    return render(request, "sessions/participant/results.html", context)
