"""Noting a gap in the research: the form on the participant page (answering in place) and
on a page of its own, and withdrawing one's own gap note."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sessions import queries, services
from sessions.enums import ContributionStatus
from sessions.forms import GapForm
from sessions.models import GapNote, LiveSession, Mapping, Participant
from sessions.views.decorators import participant_view
from sessions.views.participant_answers import PARTIAL, page_url, withdraw
from sessions.views.refusals import refused
from taxonomy.models import Strategy


def _gap_targets(live_session: LiveSession) -> list[tuple[str, list[tuple[str, str]]]]:
    """Strategies grouped by category, then this session's visible mappings."""
    groups = [
        (
            category.localized("goal"),
            [(f"strategy-{s.pk}", s.localized("name")) for s in category.strategies.all()],
        )
        for category in queries.strategy_choices(live_session)
    ]
    mappings = [
        (f"mapping-{m.pk}", f"{m.strategy.localized('name')}: {m.need.text[:60]}")
        for m in Mapping.objects.filter(
            live_session=live_session, status=ContributionStatus.VISIBLE
        ).select_related("strategy", "need")
    ]
    if mappings:
        groups.append((_("A need mapped to a strategy"), mappings))
    return groups


def _gap_target(live_session: LiveSession, target: str) -> dict:
    """The strategy or mapping a gap form's ``target`` ("strategy-3", "mapping-8") names."""
    kind_of_target, _sep, pk = target.partition("-")
    if kind_of_target == "strategy":
        return {
            "strategy": get_object_or_404(Strategy, pk=pk, taxonomy_id=live_session.taxonomy_id)
        }
    return {"mapping": get_object_or_404(Mapping, pk=pk, live_session=live_session)}


def gap_form(live_session: LiveSession, data=None, initial=None) -> GapForm:
    form = GapForm(data, initial=initial or {}, targets=_gap_targets(live_session))
    form.helper.form_action = reverse("sessions:gap", args=[live_session.code])
    return form


def _gap_answer(
    request, participant: Participant, form, flash: str, refusal=None, posted: GapNote | None = None
):
    """The gap form back in place (fresh after a note, filled in after a refusal) with the
    message, and the gaps as this author sees them (their Delete on their own note)."""
    context = {
        "live_session": participant.live_session,
        "participant": participant,
        "gap_form": form,
        "flash": flash,
        "flash_level": "warning" if refusal or form.errors else "success",
        "gap_groups": None
        if refusal or form.errors
        else queries.gap_notes(participant.live_session),
        "audience": "participants",
        "posted": posted,
    }
    template = f"{PARTIAL}#gap-form-result"
    if refusal is not None:
        return refused(request, refusal, template, context)
    return render(request, template, context, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@participant_view
def gap(request: HttpRequest, participant: Participant) -> HttpResponse:
    live_session = participant.live_session
    initial = {}
    if request.GET.get("strategy", "").isdigit():
        initial["target"] = f"strategy-{request.GET['strategy']}"
    elif request.GET.get("mapping", "").isdigit():
        initial["target"] = f"mapping-{request.GET['mapping']}"
    form = gap_form(live_session, request.POST or None, initial)
    # Its own page's form: sent by the phone's outbox when it has one (static/js/outbox.js).
    form.helper.attrs = {
        "data-outbox": "gap",
        "data-outbox-target": "gaps",
        "data-outbox-then": page_url(live_session, "#gaps"),
    }
    context = {"live_session": live_session, "form": form}
    template = "sessions/participant/gap.html"
    if request.method == "POST":
        if not form.is_valid():
            if request.htmx:
                return _gap_answer(request, participant, form, _("Please check the form."))
            return render(request, template, context, status=422)
        try:
            note = services.annotate_gap(
                participant=participant,
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
                client_key=form.cleaned_data["client_key"],
                **_gap_target(live_session, form.cleaned_data["target"]),
            )
        except services.SessionError as exc:
            form.add_error(None, str(exc))
            if request.htmx:
                return _gap_answer(request, participant, form, str(exc), refusal=exc)
            return refused(request, exc, template, context)
        thanks = _("Thank you: your gap note is on the board.")
        if request.htmx:
            return _gap_answer(request, participant, gap_form(live_session), thanks, posted=note)
        messages.success(request, thanks)
        return redirect(page_url(live_session, "#gaps"))
    return render(request, template, context)


@require_POST
@participant_view
def delete_gap(request: HttpRequest, participant: Participant, gap_id: int) -> HttpResponse:
    return withdraw(
        request,
        participant,
        GapNote.objects.all(),
        gap_id,
        lambda note, key: services.delete_gap_note(
            participant=participant, gap_note=note, client_key=key
        ),
        _("Your gap note is deleted."),
        f"gap-{gap_id}",
    )
