"""Facilitator pages: create and configure sessions, run them, moderate.

Every view of a session requires login and that the user facilitates it (@facilitator_view:
object-level permission); writes go through services and are logged. A control's answer, success
or refusal, comes back in the dashboard's controls region (htmx) or on the dashboard."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sessions import proof_of_work, queries, services
from sessions.forms import ControlForm, MergeForm, ModerateForm, NeedForm, SessionForm
from sessions.live import regions
from sessions.models import (
    GapNote,
    LiveSession,
    Mapping,
    MergeSuggestion,
    ModerationAction,
    Need,
    Participant,
)
from sessions.moderation_log import log_lines
from sessions.qr import join_qr
from sessions.views import facilitator_answers as answers
from sessions.views.decorators import facilitator_view
from sessions.views.facilitators import facilitators_context
from taxonomy.queries import default_taxonomy

PARTIAL = "sessions/partials/facilitator.html"


@login_required
@require_safe
def session_list(request: HttpRequest) -> HttpResponse:
    sessions = queries.facilitated_sessions(request.user)
    return render(request, "sessions/facilitator/list.html", {"sessions": sessions})


@login_required
@require_http_methods(["GET", "POST"])
def session_create(request: HttpRequest) -> HttpResponse:
    form = SessionForm(request.POST or None, initial={"taxonomy": default_taxonomy()})
    if request.method == "POST" and form.is_valid():
        try:
            live_session = services.create_live_session(
                facilitator=request.user, **form.service_fields()
            )
        except services.SessionError as exc:  # e.g. a title of control characters only
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Session created. Share the code %(code)s.") % {"code": live_session.code},
            )
            return redirect("sessions:dashboard", code=live_session.code)
    return render(
        request,
        "sessions/facilitator/form.html",
        {"form": form, "creating": True},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@facilitator_view
def session_settings(request: HttpRequest, live_session: LiveSession) -> HttpResponse:
    form = SessionForm(request.POST or None, instance=LiveSession.objects.get(pk=live_session.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.configure_session(
                live_session=live_session, actor=request.user, **form.service_fields()
            )
        except services.SessionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Settings saved; every screen is updated."))
            return redirect("sessions:dashboard", code=live_session.code)
    context = {"form": form, "live_session": live_session, "creating": False}
    context["who"] = facilitators_context(request, LiveSession.objects.get(pk=live_session.pk))
    return render(
        request,
        "sessions/facilitator/form.html",
        context,
        status=422 if form.errors else 200,
    )


def _dashboard_context(request: HttpRequest, live_session: LiveSession) -> dict:
    """Everything the dashboard shows, each read only when a template reaches it: a region's
    refresh (five regions, on every change the socket announces) reads what that region shows,
    not the QR code, the log and every count of the others."""
    live_session = queries.dashboard_session(live_session)
    join_url = request.build_absolute_uri(live_session.join_path)
    needs = queries.needs_for_moderation(live_session)  # a queryset: read once, when iterated

    def lazily(read, *args, **kwargs):
        return SimpleLazyObject(lambda: read(*args, **kwargs))

    return {
        "live_session": live_session,
        "counts": lazily(queries.participant_counts, live_session),
        "activity": lazily(queries.activity, live_session),
        "balance": lazily(queries.hybrid_balance, live_session),
        "queue": lazily(queries.moderation_queue, live_session),
        "needs": needs,
        "merge_form": lazily(MergeForm, needs=needs),
        "gap_notes": lazily(queries.recent_gap_notes, live_session),
        "participants": lazily(queries.participants, live_session),
        "log": lazily(log_lines, live_session, limit=30),
        "strategies": lazily(queries.strategies, live_session),
        # Refreshed after each write that changes a need (services.suggestions): read only.
        "suggestions": lazily(queries.merge_suggestions, live_session),
        "next_phase": services.next_phase(live_session),
        "previous_phase": services.next_phase(live_session, -1),
        "join_url": join_url,
        "qr": lazily(join_qr, join_url),
        # What the board shows now, for the preview.
        "board": lazily(regions.board_context, live_session),
        # The door panel's figures.
        "door": lazily(queries.door_activity, live_session, challenge=proof_of_work.asked(request)),
    }


REGIONS = {
    "controls": f"{PARTIAL}#controls",
    "overview": f"{PARTIAL}#overview",
    "moderation": f"{PARTIAL}#moderation",
    "presenting": "sessions/facilitator/presenting.html#presenting",
    "door": "sessions/facilitator/door.html#door",
}


@require_safe
@facilitator_view
def dashboard(request: HttpRequest, live_session: LiveSession) -> HttpResponse:
    context = _dashboard_context(request, live_session)
    if request.htmx and request.GET.get("region") in REGIONS:
        return render(request, REGIONS[request.GET["region"]], context)
    return render(request, "sessions/facilitator/dashboard.html", context)


def _after_control(
    request: HttpRequest,
    live_session: LiveSession,
    error: str = "",
    status=200,
    *,
    done: str = "",
    undo: ModerationAction | None = None,
    undo_sweep=None,
):
    """The dashboard's regions with the outcome in a toast (htmx), or back to the dashboard
    with it: ``error`` for a refusal, ``done`` for what was done (``undo``: the log entry of
    the action, which the toast offers to undo; without htmx the log line offers it;
    ``undo_sweep``: the log entry of a sweep of the door, sessions.views.door, whose removals
    it offers to undo)."""
    if request.htmx:
        context = _dashboard_context(request, live_session)
        context.update(
            {
                "flash": error or done,
                "flash_level": "warning" if error else "success",
                "undo": undo,
                "undo_sweep": undo_sweep,
            }
        )
        return render(request, f"{PARTIAL}#controls-result", context, status=status)
    if error:
        messages.warning(request, error)
    elif done:
        messages.success(request, done)
    return redirect("sessions:dashboard", code=live_session.code)


def _refused(request: HttpRequest, live_session: LiveSession, exc: services.SessionError):
    return _after_control(request, live_session, str(exc), exc.status)


@require_POST
@facilitator_view
def control(request: HttpRequest, live_session: LiveSession) -> HttpResponse:
    """Phase, timer, lock, announcement, spotlight and reveal controls: the command posted,
    as sessions.controls declares it, answered with its toast."""
    form = ControlForm(request.POST)
    if not form.is_valid():
        return _after_control(request, live_session, _("That control was not understood."), 422)
    data, command = form.cleaned_data, form.command  # declared in sessions.controls
    try:
        command.run(live_session, request.user, data)
    except services.SessionError as exc:
        return _refused(request, live_session, exc)
    done = command.done(queries.dashboard_session(live_session), data)
    return _after_control(request, live_session, done=done)


MODERATED = {"need": Need, "mapping": Mapping, "gap": GapNote}


@require_POST
@facilitator_view
def moderate(request: HttpRequest, live_session: LiveSession) -> HttpResponse:
    form = ModerateForm(request.POST)
    if not form.is_valid():
        return _after_control(request, live_session, _("That moderation was not understood."), 422)
    model = MODERATED[form.cleaned_data["kind"]]
    contribution = get_object_or_404(model, pk=form.cleaned_data["item"], live_session=live_session)
    before = contribution.status
    try:
        entry = services.moderate(
            actor=request.user, contribution=contribution, status=form.cleaned_data["status"]
        )
    except services.SessionError as exc:
        return _refused(request, live_session, exc)
    if entry is not None:
        before = entry.details["before"]
    done = answers.moderated(contribution, before=before, after=form.cleaned_data["status"])
    return _after_control(request, live_session, done=done, undo=entry)


@require_POST
@facilitator_view
def merge(request: HttpRequest, live_session: LiveSession) -> HttpResponse:
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _after_control(
            request,
            live_session,
            " ".join(form.errors.get("__all__", [])) or _("Choose two needs to merge."),
            422,
        )
    keep = get_object_or_404(Need, pk=form.cleaned_data["keep"], live_session=live_session)
    duplicate = get_object_or_404(
        Need, pk=form.cleaned_data["duplicate"], live_session=live_session
    )
    try:
        result = services.merge_needs(actor=request.user, keep=keep, duplicate=duplicate)
    except services.SessionError as exc:
        return _refused(request, live_session, exc)
    return _after_control(request, live_session, done=answers.merged(result), undo=result.entry)


@require_POST
@facilitator_view
def dismiss_suggestion(
    request: HttpRequest, live_session: LiveSession, suggestion_id: int
) -> HttpResponse:
    """Not the same need: the pair is no longer suggested."""
    suggestion = get_object_or_404(
        MergeSuggestion.objects.select_related("need", "other"),
        pk=suggestion_id,
        live_session=live_session,
    )
    try:
        entry = services.dismiss_merge_suggestion(actor=request.user, suggestion=suggestion)
    except services.SessionError as exc:
        return _refused(request, live_session, exc)
    return _after_control(request, live_session, done=answers.kept_apart(suggestion), undo=entry)


@require_POST
@facilitator_view
def undo(request: HttpRequest, live_session: LiveSession, entry_id: int) -> HttpResponse:
    """Undo the action of a moderation log entry (from its toast or its log line)."""
    entry = get_object_or_404(
        ModerationAction.objects.select_related(
            "need", "other_need", "mapping__need", "mapping__strategy", "gap_note", "participant"
        ),
        pk=entry_id,
        live_session=live_session,
    )
    try:
        done = services.undo(actor=request.user, entry=entry)
    except services.SessionError as exc:
        return _refused(request, live_session, exc)
    return _after_control(request, live_session, done=answers.undone(done))


@require_http_methods(["GET", "POST"])
@facilitator_view
def correct_need(request: HttpRequest, live_session: LiveSession, need_id: int) -> HttpResponse:
    need = get_object_or_404(Need, pk=need_id, live_session=live_session)
    action = reverse("sessions:correct_need", args=[live_session.code, need.pk])
    form = NeedForm(
        request.POST or None,
        initial={"text": need.text, "context": need.context},
        action=action,
        submit_label=_("Save correction"),
    )
    form.helper.attrs = {}
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            services.correct_need(actor=request.user, need=need, **form.cleaned_data)
        except services.SessionError as exc:
            form.add_error(None, str(exc))
            refusal = exc
        else:
            messages.success(request, _("Correction saved and logged: the log offers to undo it."))
            return redirect("sessions:dashboard", code=live_session.code)
    return render(
        request,
        "sessions/facilitator/correct_need.html",
        {"live_session": live_session, "need": need, "form": form},
        status=refusal.status if refusal else 422 if form.errors else 200,
    )


@require_POST
@facilitator_view
def remove_participant(
    request: HttpRequest, live_session: LiveSession, participant_id: int, restore: bool = False
) -> HttpResponse:
    """Remove a participant (the toast offers to undo it), or, at the undo's URL
    (``restore``), undo the removal."""
    participant = get_object_or_404(Participant, pk=participant_id, live_session=live_session)
    name = {"name": participant.name}
    try:
        if restore:
            services.restore_participant(actor=request.user, participant=participant)
            done = (
                _("%(name)s is back: what the removal hid is shown again, with their dots.") % name
            )
            return _after_control(request, live_session, done=done)
        entry = services.remove_participant(actor=request.user, participant=participant)
    except services.SessionError as exc:
        return _refused(request, live_session, exc)
    done = _("%(name)s is removed: what they wrote and their dots are hidden.") % name
    return _after_control(request, live_session, done=done, undo=entry)


@require_http_methods(["GET", "POST"])
@facilitator_view
def purge(request: HttpRequest, live_session: LiveSession) -> HttpResponse:
    """Retention: after exporting, delete contributions and keep only aggregate counts."""
    if request.method == "POST":
        if request.POST.get("confirm") != live_session.code:
            messages.warning(request, _("Type the session code to confirm."))
        else:
            services.purge_contributions(live_session=live_session, actor=request.user)
            messages.success(request, _("Contributions purged; the aggregate counts are kept."))
            return redirect("sessions:dashboard", code=live_session.code)
    return render(request, "sessions/facilitator/purge.html", {"live_session": live_session})
