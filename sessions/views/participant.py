"""Participant pages: the session page, posting, mapping, voting, annotating gaps, withdrawing.

Each write view validates a form, calls one service, and answers htmx with fragments (the
refusal's status and the form with its message when input is refused) or, without htmx,
redirects with a message. Nothing a person typed is lost on a refusal: the form comes back
filled in."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sessions import queries, services
from sessions.enums import ContributionStatus, Phase
from sessions.forms import EditNeedForm, MappingForm, NewNeedForm, VoteForm
from sessions.live import regions
from sessions.models import Mapping, Need, Participant
from sessions.permissions import owned_or_404
from sessions.views.decorators import participant_view
from sessions.views.gaps import gap_form
from sessions.views.participant_answers import (
    PARTIAL,
    mapped_answer,
    mapped_words,
    need_card_answer,
    need_posted_answer,
    need_posted_words,
    page_url,
    vote_answer,
    withdraw,
)
from sessions.views.refusals import flash_refused, refused


def _page_context(participant: Participant, before: int | None = None, **extra) -> dict:
    live_session = participant.live_session
    mine = queries.personal_dots(participant)
    need_page = queries.needs_page(live_session, before=before)
    context = {
        "live_session": live_session,
        "participant": participant,
        "need_page": need_page,
        # What waits for a facilitator is shown to its author alone, in a list of its own
        # that the pushes (which know nobody) never redraw.
        "pending": queries.pending_needs(participant),
        "mine": mine,
        "dots_left": queries.dots_left(live_session, mine),
        "gap_groups": queries.gap_notes(live_session),
        "audience": "participants",
        "phases": Phase.choices,
    }
    for name in live_session.phase_spec.phone_reads:  # what the phase's action shows
        if name not in extra:
            context[name] = PHONE_READS[name](participant, need_page.needs)
    if "need_form" not in extra:
        context["need_form"] = NewNeedForm(
            action=reverse("sessions:post_need", args=[live_session.code])
        )
    context.update(extra)
    return context


# What a phase's action on the phone can read (sessions.phases.PhaseSpec.phone_reads).
PHONE_READS = {
    "next_to_map": lambda participant, needs: _next_to_map(participant, needs),
    "gap_form": lambda participant, _needs: gap_form(participant.live_session),
    "results": lambda participant, _needs: regions.RESULTS.reader(participant.live_session, {})[
        "results"
    ],
}


def _next_to_map(participant: Participant, needs: list[Need]) -> Need | None:
    """The need to offer first in the mapping phase (read from the needs already on the page):
    one this participant has not mapped yet, the least mapped by the room first, then the
    oldest."""
    candidates = [
        need
        for need in needs
        if all(mapping.author_id != participant.pk for mapping in need.mappings.all())
    ]
    return min(candidates, key=lambda need: (len(need.mappings.all()), need.pk), default=None)


@require_safe
@participant_view
def participant_home(request: HttpRequest, participant: Participant) -> HttpResponse:
    before = request.GET.get("before", "")
    context = _page_context(participant, before=int(before) if before.isdecimal() else None)
    if request.htmx and before:
        # "Show older needs": the next page of cards, swapped in place of the link.
        return render(request, "sessions/partials/live.html#participant-need-items", context)
    return render(request, "sessions/participant/home.html", context)


# --- needs ----------------------------------------------------------------------------------


def _need_form_refused(request, participant: Participant, form, exc) -> HttpResponse:
    """The need form back with the message and what was typed: in place (htmx) or on the page."""
    if request.htmx:
        context = {"need_form": form, "flash": str(exc), "flash_level": "warning"}
        return refused(request, exc, f"{PARTIAL}#need-form-result", context)
    context = _page_context(participant, need_form=form)
    return refused(request, exc, "sessions/participant/home.html", context)


@require_POST
@participant_view
def post_need(request: HttpRequest, participant: Participant) -> HttpResponse:
    live_session = participant.live_session
    action = reverse("sessions:post_need", args=[live_session.code])
    form = NewNeedForm(request.POST, action=action)
    if not form.is_valid():
        reasons = " ".join(error for errors in form.errors.values() for error in errors)
        return _need_form_refused(
            request,
            participant,
            form,
            services.InvalidInput(reasons or _("Please check the form.")),
        )
    asked_at = timezone.now()
    try:
        need = services.post_need(participant=participant, **form.service_fields())
    except services.SessionError as exc:
        form.add_error(None, str(exc))
        return _need_form_refused(request, participant, form, exc)
    if request.htmx:
        return need_posted_answer(request, participant, need, posted_since=asked_at)
    messages.success(request, need_posted_words(need))
    return redirect("sessions:participant", code=live_session.code)


@require_http_methods(["GET", "POST"])
@participant_view
def edit_need(request: HttpRequest, participant: Participant, need_id: int) -> HttpResponse:
    live_session = participant.live_session
    need = owned_or_404(Need.objects.all(), participant, need_id)
    form = EditNeedForm(
        request.POST or None,
        initial={"text": need.text, "context": need.context},
        action=reverse("sessions:edit_need", args=[live_session.code, need.pk]),
        submit_label=_("Save"),
    )
    # A plain form (the page reloads onto the updated list), sent by the phone's outbox when
    # it has one (static/js/outbox.js), which then goes back to the session page.
    form.helper.attrs = {
        "data-outbox": "edit",
        "data-outbox-target": f"need-{need.pk}",
        "data-outbox-then": page_url(live_session),
    }
    context = {"live_session": live_session, "need": need, "form": form}
    template = "sessions/participant/edit_need.html"
    if request.method == "POST":
        if not form.is_valid():
            return render(request, template, context, status=422)
        try:
            services.edit_need(participant=participant, need=need, **form.cleaned_data)
        except services.SessionError as exc:
            form.add_error(None, str(exc))
            return refused(request, exc, template, context)
        if request.htmx:
            return need_card_answer(request, participant, need.pk, _("Your need is updated."))
        messages.success(request, _("Your need is updated."))
        return redirect("sessions:participant", code=live_session.code)
    return render(request, template, context)


@require_POST
@participant_view
def delete_need(request: HttpRequest, participant: Participant, need_id: int) -> HttpResponse:
    return withdraw(
        request,
        participant,
        Need.objects.all(),
        need_id,
        lambda need, key: services.delete_need(participant=participant, need=need, client_key=key),
        _("Your need is deleted."),
        f"need-{need_id}",
    )


# --- mapping --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@participant_view
def map_need(request: HttpRequest, participant: Participant, need_id: int) -> HttpResponse:
    """The strategy picker for one need: the four categories, filterable by typing."""
    live_session = participant.live_session
    # A need merged a moment ago is answered in words (where it went), not with a 404.
    need = get_object_or_404(
        Need,
        pk=need_id,
        live_session=live_session,
        status__in=[ContributionStatus.VISIBLE, ContributionStatus.MERGED],
    )
    categories = None
    if request.method == "POST":
        # A mapping sent reads the strategies it names, not the whole picker: a plenary maps
        # at once, and the picker is drawn again only if the mapping is refused.
        sent = queries.strategies_of(live_session, request.POST.getlist("strategies"))
        form = MappingForm(request.POST, strategy_ids=[strategy.pk for strategy in sent])
    else:
        categories = queries.strategy_choices(live_session)
        strategy_ids = [s.pk for category in categories for s in category.strategies.all()]
        form = MappingForm(strategy_ids=strategy_ids)
    refusal = None
    if request.method == "GET" and need.status == ContributionStatus.MERGED:
        refusal = services.merged_away(need)
        form.add_error(None, str(refusal))
    if request.method == "POST" and form.is_valid():
        try:
            created = services.map_need(
                participant=participant,
                need=need,
                # Valid: every strategy sent is one the form offered, so ``sent`` is the choice.
                strategies=sent,
                reason=form.cleaned_data["reason"],
                client_key=form.cleaned_data["client_key"],
            )
        except services.SessionError as exc:
            form.add_error(None, str(exc))
            refusal = exc
        else:
            if request.htmx:  # the phone's outbox: it goes back to the page itself
                return mapped_answer(request, participant, need.pk, created)
            said = mapped_words(created)
            (messages.success if created else messages.info)(request, said)
            # Back to the top of the page, where the next need to map is offered.
            return redirect(page_url(live_session))
    selected = set(form["strategies"].value() or [])
    context = {
        "live_session": live_session,
        "need": need,
        "categories": categories or queries.strategy_choices(live_session),
        "form": form,
        "selected": {int(pk) for pk in selected if str(pk).isdecimal()},
        "already": set(need.mappings.values_list("strategy_id", flat=True)),
    }
    template = "sessions/participant/map.html"
    if request.htmx and request.method == "GET":
        # Opened in place on the session page (static/js/picker.js): the picker alone.
        context["in_place"] = True
        template += "#picker"
    if refusal is not None:
        response = refused(request, refusal, template, context)
    else:
        response = render(request, template, context, status=422 if form.errors else 200)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@participant_view
def delete_mapping(request: HttpRequest, participant: Participant, mapping_id: int) -> HttpResponse:
    return withdraw(
        request,
        participant,
        Mapping.objects.all(),
        mapping_id,
        lambda mapping, key: services.delete_mapping(
            participant=participant, mapping=mapping, client_key=key
        ),
        _("Your mapping is removed."),
        f"mapping-{mapping_id}",
    )


# --- voting ---------------------------------------------------------------------------------


@require_POST
@participant_view
def vote(request: HttpRequest, participant: Participant) -> HttpResponse:
    live_session = participant.live_session
    form = VoteForm(request.POST)
    if not form.is_valid():
        invalid = services.InvalidInput(_("That vote was not understood."))
        return flash_refused(request, invalid, redirect_to=page_url(live_session))
    kind, action = form.cleaned_data["kind"], form.cleaned_data["action"]
    # A mapping's answer names its strategy (the outbox's label): read with it, not after it.
    items = Need.objects.all() if kind == "need" else Mapping.objects.select_related("strategy")
    item = get_object_or_404(items, pk=form.cleaned_data["item"], live_session=live_session)
    refusal = mine = None
    dot = services.add_dot if action == "add" else services.remove_dot
    try:
        mine = dot(
            participant=participant, client_key=form.cleaned_data["client_key"], **{kind: item}
        )
    except services.SessionError as exc:
        refusal = exc
    if not request.htmx:
        if refusal:
            messages.warning(request, str(refusal))
        return redirect(
            page_url(live_session, f"#need-{item.pk if kind == 'need' else item.need_id}")
        )
    if mine is None:  # refused: the service handed nothing back
        mine = queries.personal_dots(participant)
    return vote_answer(request, live_session, kind, item, mine, refusal)
