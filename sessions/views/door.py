"""The dashboard's door: close it to new participants or open it again, and remove in one
action the silent burst of a flood (with its undo). Facilitators only; each answer is the
dashboard's regions with a toast in words (sessions.views.facilitator)."""

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from sessions import queries, services
from sessions.forms import DoorForm, SweepForm
from sessions.models import LiveSession, ModerationAction
from sessions.views.decorators import facilitator_view
from sessions.views.facilitator import _after_control


@require_POST
@facilitator_view
def door(request: HttpRequest, live_session: LiveSession) -> HttpResponse:
    """Close or open the door in one tap."""
    form = DoorForm(request.POST)
    if not form.is_valid():
        return _after_control(request, live_session, _("That control was not understood."), 422)
    closed = form.cleaned_data["door"] == "close"
    services.set_door(live_session=live_session, actor=request.user, closed=closed)
    done = (
        _("The door is closed: nobody new can join. Everyone already in carries on.")
        if closed
        else _("The door is open again: people can join.")
    )
    return _after_control(request, live_session, done=done)


@require_POST
@facilitator_view
def sweep(request: HttpRequest, live_session: LiveSession) -> HttpResponse:
    """Remove the silent burst the door panel showed. With htmx the page has already asked
    "are you sure, N people?"; without JavaScript this answers with that question first."""
    form = SweepForm(request.POST)
    if not form.is_valid():
        return _after_control(request, live_session, _("That removal was not understood."), 422)
    minutes, until = form.cleaned_data["minutes"], form.cleaned_data["until"]
    if not form.cleaned_data["confirmed"]:
        since = until - timedelta(minutes=minutes)
        count = queries.silent_burst(live_session, since=since, until=until).count()
        return render(
            request,
            "sessions/facilitator/sweep_confirm.html",
            {"live_session": live_session, "form": form, "count": count, "minutes": minutes},
        )
    try:
        swept = services.remove_silent_burst(
            live_session=live_session, actor=request.user, until=until, minutes=minutes
        )
    except services.SessionError as exc:
        return _after_control(request, live_session, str(exc), exc.status)
    if not swept.removed:
        return _after_control(
            request,
            live_session,
            done=_("Nobody to remove: everyone who joined then has taken part, or left."),
        )
    done = ngettext(
        "Removed the %(count)d person who joined in the last %(minutes)d minutes and "
        "contributed nothing.",
        "Removed the %(count)d people who joined in the last %(minutes)d minutes and "
        "contributed nothing.",
        len(swept.removed),
    ) % {"count": len(swept.removed), "minutes": minutes}
    return _after_control(request, live_session, done=done, undo_sweep=swept.entry)


@require_POST
@facilitator_view
def sweep_undo(request: HttpRequest, live_session: LiveSession, entry_id: int) -> HttpResponse:
    """Bring back everyone a sweep removed."""
    entry = get_object_or_404(ModerationAction, pk=entry_id, live_session=live_session)
    try:
        restored = services.restore_burst(
            live_session=live_session, actor=request.user, sweep=entry
        )
    except services.SessionError as exc:
        return _after_control(request, live_session, str(exc), exc.status)
    done = (
        ngettext(
            "%(count)d person is back: the removal is undone.",
            "%(count)d people are back: the removal is undone.",
            restored,
        )
        % {"count": restored}
        if restored
        else _("Everyone that removal took was already back.")
    )
    return _after_control(request, live_session, done=done)
