"""Joining a session from its code or QR link, and leaving it for good (erasure)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from sessions import proof_of_work, services
from sessions.enums import Presence
from sessions.forms import JoinCodeForm, JoinForm
from sessions.identity import (
    current_participant,
    device_hash,
    device_id,
    forget_participant_cookie,
    removed_here,
    set_device_cookie,
    set_participant_cookie,
)
from sessions.models import LiveSession
from sessions.permissions import live_session_or_404
from sessions.services.joining import door_closed_message
from sessions.views.refusals import with_retry_after
from sessions.views.removal import removed_page


def _code_form_page(request: HttpRequest, form: JoinCodeForm) -> HttpResponse:
    """The code form, with what is wrong with the code typed (or followed): malformed, or of
    the right shape but no session's (404 either way)."""
    if form.is_valid():
        code = form.cleaned_data["code"]
        form.add_error(
            "code", _("No session has the code %(code)s. Check the screen.") % {"code": code}
        )
    return render(
        request,
        "sessions/participant/join_form.html",
        {"form": form},
        status=404 if form.errors and "code" in form.errors and form.data else 200,
    )


@require_safe
def join_form(request: HttpRequest) -> HttpResponse:
    """Type a session code (a GET form, so it works from a bookmark and without JavaScript).
    Without a code it needs no database (settings.DATABASE_FREE_VIEWS); a code typed in is
    looked up."""
    form = JoinCodeForm(request.GET or None)
    if form.is_valid() and LiveSession.objects.filter(code=form.cleaned_data["code"]).exists():
        return redirect("sessions:join", code=form.cleaned_data["code"])
    return _code_form_page(request, form)


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, code: str) -> HttpResponse:
    """One screen from the QR link to taking part: where one is, the agreement and a button
    (the QR link, ``?at=room``, has "in the room" chosen already). A browser that already
    joined goes straight to the participant page; one whose participant was removed gets the
    calm page saying so; a mistyped link gets the code form with what is wrong; while the
    facilitators keep the door closed, the page says so instead of offering the form.

    Where the page can ask one (sessions.proof_of_work.asked), the browser solves the door's
    proof of work in the background (static/js/join.js) and posts it with the form; a refusal
    of it, like any refusal, is said next to the Join button with everything chosen kept."""
    try:
        live_session = live_session_or_404(code)
    except Http404:
        return _code_form_page(request, JoinCodeForm({"code": code[:20]}))
    if current_participant(request, live_session) is not None:
        return redirect("sessions:participant", code=live_session.code)
    if removed_here(request, live_session):
        return removed_page(request, live_session)
    initial = {"presence": Presence.IN_ROOM} if request.GET.get("at") == "room" else {}
    form = JoinForm(
        request.POST or None,
        initial=initial,
        allow_display_names=live_session.allow_display_names,
    )
    device = device_id(request)
    asked = proof_of_work.asked(request)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            participant, token = services.join_session(
                live_session=live_session,
                presence=form.cleaned_data["presence"],
                agreed=form.cleaned_data["agree"],
                display_name=form.cleaned_data.get("display_name", ""),
                browser_key=device_hash(device, live_session),
                proof=request.POST.get("altcha", "") if asked else None,
            )
        except services.ParticipantRemoved:
            return removed_page(request, live_session)
        except services.SessionError as exc:
            form.add_error(None, str(exc))
            refusal = exc
        else:
            messages.success(
                request,
                _(
                    "Welcome, %(name)s! You can erase yourself, and everything you wrote, at any time."
                )
                % {"name": participant.name},
            )
            response = redirect("sessions:participant", code=live_session.code)
            set_participant_cookie(response, live_session, token)
            set_device_cookie(response, device)
            return response
    status = refusal.status if refusal else 422 if form.errors else 200
    context = {
        "live_session": live_session,
        "form": form,
        "door_closed": live_session.door_closed or isinstance(refusal, services.DoorClosed),
    }
    if asked:
        context["challenge"] = {
            "url": reverse("sessions:join_challenge", args=[live_session.code]),
            "worker": static("vendor/altcha/workers/pbkdf2.js"),
            "configuration": proof_of_work.widget_config(),
        }
    response = render(request, "sessions/participant/join.html", context, status=status)
    set_device_cookie(response, device)  # the form's post then comes from a known device
    return with_retry_after(response, refusal)


@require_safe
@never_cache
def join_challenge(request: HttpRequest, code: str) -> HttpResponse:
    """A fresh proof-of-work challenge for a browser on the join page (JSON, as the ALTCHA
    widget reads it): 404 where joining asks none, 403 with the reason while the door is
    closed (no browser works for nothing)."""
    live_session = live_session_or_404(code)
    if not proof_of_work.asked(request):
        raise Http404
    if live_session.door_closed:
        return JsonResponse({"error": door_closed_message()}, status=403)
    return JsonResponse(proof_of_work.new_challenge(live_session))


@never_cache
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest, code: str) -> HttpResponse:
    """Erase oneself from the session: everything written and voted goes, on every screen.
    A participant a facilitator removed may erase themselves too (and stays removed)."""
    live_session = live_session_or_404(code)
    participant = current_participant(request, live_session, removed_too=True)
    if participant is None:
        if removed_here(request, live_session):
            return removed_page(request, live_session)
        return redirect("sessions:join", code=live_session.code)
    if request.method == "POST":
        services.erase_participant(participant=participant)
        messages.success(
            request, _("You have been erased from this session, with everything you contributed.")
        )
        response = redirect("sessions:join", code=live_session.code)
        forget_participant_cookie(response, live_session)
        return response
    return render(
        request,
        "sessions/participant/erase.html",
        {"live_session": live_session, "participant": participant},
    )
