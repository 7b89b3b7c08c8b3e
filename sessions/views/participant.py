"""Participant pages: joining, posting, mapping, voting, annotating gaps, withdrawing.

Each write view validates a form, calls one service, and answers htmx with fragments (status
422 and the form with its errors when input is refused) or, without htmx, redirects with a
message. Nothing a person typed is lost on a refusal: the form comes back filled in."""

from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sessions import queries, services
from sessions.enums import ContributionStatus, Phase
from sessions.forms import (
    GapForm,
    JoinCodeForm,
    JoinForm,
    MappingForm,
    NeedForm,
    NewNeedForm,
    VoteForm,
)
from sessions.models import GapNote, LiveSession, Mapping, Need, Participant
from sessions.permissions import (
    current_participant,
    live_session_or_404,
    owned_or_404,
    participant_cookie_name,
    session_and_participant,
    set_participant_cookie,
)
from taxonomy.models import Strategy

PARTIAL = "sessions/partials/participant.html"


def _participant_or_redirect(request: HttpRequest, code: str):
    live_session, participant = session_and_participant(request, code)
    if participant is None:
        return live_session, None, redirect("sessions:join", code=live_session.code)
    services.touch(participant)
    return live_session, participant, None


def _refused(request: HttpRequest, live_session: LiveSession, exc: Exception, *, status=409):
    """A service refusal: a readable message in place (htmx) or on the next page."""
    if request.htmx:
        response = render(
            request,
            f"{PARTIAL}#flash",
            {"flash": str(exc), "flash_level": "warning"},
            status=status,
        )
        return response
    messages.warning(request, str(exc))
    return redirect("sessions:participant", code=live_session.code)


def _status_for(exc: services.SessionError, request: HttpRequest | None = None) -> int:
    if isinstance(exc, services.TooFast):
        if request is not None:
            request.retry_after = max(exc.retry_after, 1)  # sent by @_retry_after below
        return 429
    if isinstance(exc, services.InvalidInput):
        return 422
    return 409


def _retry_after(view):
    """Send Retry-After with a 429, so scripts and retrying clients know when to come back."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 429 and hasattr(request, "retry_after"):
            response["Retry-After"] = str(request.retry_after)
        return response

    return wrapped


# --- joining --------------------------------------------------------------------------------


@require_safe
def join_form(request: HttpRequest) -> HttpResponse:
    """Type a session code (a GET form, so it works from a bookmark and without JavaScript)."""
    form = JoinCodeForm(request.GET or None)
    if form.is_valid():
        code = form.cleaned_data["code"]
        if LiveSession.objects.filter(code=code).exists():
            return redirect("sessions:join", code=code)
        form.add_error(
            "code", _("No session has the code %(code)s. Check the screen.") % {"code": code}
        )
    return render(
        request,
        "sessions/participant/join_form.html",
        {"form": form},
        status=404 if form.errors and "code" in form.errors and form.data else 200,
    )


@_retry_after
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, code: str) -> HttpResponse:
    live_session = live_session_or_404(code)
    if current_participant(request, live_session) is not None:
        return redirect("sessions:participant", code=live_session.code)
    form = JoinForm(request.POST or None, allow_display_names=live_session.allow_display_names)
    status = 200
    if request.method == "POST" and form.is_valid():
        if not request.session.session_key:
            request.session.save()
        try:
            participant, token = services.join_session(
                live_session=live_session,
                presence=form.cleaned_data["presence"],
                agreed=form.cleaned_data["agree"],
                display_name=form.cleaned_data.get("display_name", ""),
                browser_key=request.session.session_key or "",
            )
        except services.SessionError as exc:
            form.add_error(None, str(exc))
            status = 429 if _status_for(exc, request) == 429 else 422
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
            return response
    return render(
        request,
        "sessions/participant/join.html",
        {"live_session": live_session, "form": form},
        status=422 if form.errors and status == 200 else status,
    )


# --- the participant page -------------------------------------------------------------------


def _page_context(
    live_session: LiveSession, participant: Participant, before: int | None = None, **extra
) -> dict:
    mine = queries.personal_dots(participant)
    context = {
        "live_session": live_session,
        "participant": participant,
        "need_page": queries.needs_page(
            live_session, include_hidden_for=participant, before=before
        ),
        "mine": mine,
        "dots_left": max(0, live_session.dot_budget - queries.dots_in(mine)),
        "gap_groups": queries.gap_notes(live_session),
        "audience": "participants",
        "phases": Phase.choices,
    }
    if "need_form" not in extra:
        context["need_form"] = NewNeedForm(
            action=reverse("sessions:post_need", args=[live_session.code])
        )
    context.update(extra)
    return context


@require_safe
def participant_home(request: HttpRequest, code: str) -> HttpResponse:
    live_session, participant, redirect_response = _participant_or_redirect(request, code)
    if redirect_response:
        return redirect_response
    before = request.GET.get("before", "")
    context = _page_context(
        live_session, participant, before=int(before) if before.isdecimal() else None
    )
    if request.htmx and before:
        # "Show older needs": the next page of cards, swapped in place of the link.
        return render(request, "sessions/partials/live.html#participant-need-items", context)
    return render(request, "sessions/participant/home.html", context)


# --- needs ----------------------------------------------------------------------------------


@_retry_after
@require_POST
def post_need(request: HttpRequest, code: str) -> HttpResponse:
    live_session, participant, redirect_response = _participant_or_redirect(request, code)
    if redirect_response:
        return redirect_response
    action = reverse("sessions:post_need", args=[live_session.code])
    form = NewNeedForm(request.POST, action=action)
    error = None
    status = 200
    if form.is_valid():
        try:
            need = services.post_need(participant=participant, **form.service_fields())
        except services.SessionError as exc:
            error, status = str(exc), _status_for(exc, request)
        else:
            flash = (
                _("Thank you: your need waits for a facilitator's approval.")
                if need.status == ContributionStatus.PENDING
                else _("Posted. Your need is on the board.")
            )
            if request.htmx:
                return render(
                    request,
                    f"{PARTIAL}#need-form-result",
                    {"need_form": NewNeedForm(action=action), "flash": flash},
                )
            messages.success(request, flash)
            return redirect("sessions:participant", code=live_session.code)
    else:
        status = 422
    if error:
        form.add_error(None, error)
    if request.htmx:
        return render(
            request,
            f"{PARTIAL}#need-form-result",
            {
                "need_form": form,
                "flash": error or _("Please check the form."),
                "flash_level": "warning",
            },
            status=status,
        )
    return render(
        request,
        "sessions/participant/home.html",
        _page_context(live_session, participant, need_form=form),
        status=status,
    )


@_retry_after
@require_http_methods(["GET", "POST"])
def edit_need(request: HttpRequest, code: str, need_id: int) -> HttpResponse:
    live_session, participant, redirect_response = _participant_or_redirect(request, code)
    if redirect_response:
        return redirect_response
    need = owned_or_404(Need.objects.all(), participant, need_id)
    action = reverse("sessions:edit_need", args=[live_session.code, need.pk])
    form = NeedForm(
        request.POST or None,
        initial={"text": need.text, "context": need.context},
        action=action,
        submit_label=_("Save"),
    )
    form.helper.attrs = {}  # a plain form: the page reloads onto the updated list
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.edit_need(participant=participant, need=need, **form.cleaned_data)
            except services.SessionError as exc:
                form.add_error(None, str(exc))
                status = _status_for(exc, request)
            else:
                messages.success(request, _("Your need is updated."))
                return redirect("sessions:participant", code=live_session.code)
        else:
            status = 422
    return render(
        request,
        "sessions/participant/edit_need.html",
        {"live_session": live_session, "need": need, "form": form},
        status=status,
    )


def _deleted(request, live_session, message: str) -> HttpResponse:
    if request.htmx:
        return render(request, f"{PARTIAL}#flash", {"flash": message})
    messages.success(request, message)
    return redirect("sessions:participant", code=live_session.code)


@require_POST
def delete_need(request: HttpRequest, code: str, need_id: int) -> HttpResponse:
    live_session, participant, redirect_response = _participant_or_redirect(request, code)
    if redirect_response:
        return redirect_response
    need = owned_or_404(Need.objects.all(), participant, need_id)
    try:
        services.delete_need(participant=participant, need=need)
    except services.SessionError as exc:
        return _refused(request, live_session, exc, status=_status_for(exc, request))
    return _deleted(request, live_session, _("Your need is deleted."))


# --- mapping --------------------------------------------------------------------------------


@_retry_after
@require_http_methods(["GET", "POST"])
def map_need(request: HttpRequest, code: str, need_id: int) -> HttpResponse:
    """The strategy picker for one need: the four categories, filterable by typing."""
    live_session, participant, redirect_response = _participant_or_redirect(request, code)
    if redirect_response:
        return redirect_response
    need = get_object_or_404(
        Need, pk=need_id, live_session=live_session, status=ContributionStatus.VISIBLE
    )
    categories = queries.strategy_choices(live_session)
    strategy_ids = [s.pk for category in categories for s in category.strategies.all()]
    form = MappingForm(request.POST or None, strategy_ids=strategy_ids)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            chosen = list(
                Strategy.objects.filter(
                    pk__in=form.cleaned_data["strategies"], taxonomy_id=live_session.taxonomy_id
                )
            )
            try:
                created = services.map_need(
                    participant=participant,
                    need=need,
                    strategies=chosen,
                    reason=form.cleaned_data["reason"],
                )
            except services.SessionError as exc:
                form.add_error(None, str(exc))
                status = _status_for(exc, request)
            else:
                if created:
                    messages.success(
                        request,
                        _("Mapped to %(names)s.")
                        % {"names": ", ".join(m.strategy.localized("name") for m in created)},
                    )
                else:
                    messages.info(
                        request,
                        _(
                            "Those mappings already exist: you can vote on them in the voting phase."
                        ),
                    )
                return redirect(
                    reverse("sessions:participant", args=[live_session.code]) + f"#need-{need.pk}"
                )
        else:
            status = 422
    selected = set(form["strategies"].value() or [])
    already = set(need.mappings.values_list("strategy_id", flat=True))
    return render(
        request,
        "sessions/participant/map.html",
        {
            "live_session": live_session,
            "need": need,
            "categories": categories,
            "form": form,
            "selected": {int(pk) for pk in selected if str(pk).isdecimal()},
            "already": already,
        },
        status=status,
    )


@require_POST
def delete_mapping(request: HttpRequest, code: str, mapping_id: int) -> HttpResponse:
    live_session, participant, redirect_response = _participant_or_redirect(request, code)
    if redirect_response:
        return redirect_response
    mapping = owned_or_404(Mapping.objects.all(), participant, mapping_id)
    try:
        services.delete_mapping(participant=participant, mapping=mapping)
    except services.SessionError as exc:
        return _refused(request, live_session, exc, status=_status_for(exc, request))
    return _deleted(request, live_session, _("Your mapping is removed."))


# --- voting ---------------------------------------------------------------------------------


@_retry_after
@require_POST
def vote(request: HttpRequest, code: str) -> HttpResponse:
    live_session, participant, redirect_response = _participant_or_redirect(request, code)
    if redirect_response:
        return redirect_response
    form = VoteForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            live_session,
            services.InvalidInput(_("That vote was not understood.")),
            status=422,
        )
    kind, action = form.cleaned_data["kind"], form.cleaned_data["action"]
    model = Need if kind == "need" else Mapping
    item = get_object_or_404(model, pk=form.cleaned_data["item"], live_session=live_session)
    flash, level, status = "", "success", 200
    try:
        if action == "add":
            services.add_dot(participant=participant, **{kind: item})
        else:
            services.remove_dot(participant=participant, **{kind: item})
    except services.SessionError as exc:
        flash, level, status = str(exc), "warning", _status_for(exc, request)
    if not request.htmx:
        if flash:
            messages.warning(request, flash)
        return redirect(
            reverse("sessions:participant", args=[live_session.code])
            + f"#need-{item.pk if kind == 'need' else item.need_id}"
        )
    mine = queries.personal_dots(participant)
    return render(
        request,
        f"{PARTIAL}#vote-result",
        {
            "live_session": live_session,
            "kind": kind,
            "item": item,
            "mine": mine,
            "dots_left": max(0, live_session.dot_budget - queries.dots_in(mine)),
            "flash": flash,
            "flash_level": level,
        },
        status=status,
    )


# --- gaps -----------------------------------------------------------------------------------


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


@_retry_after
@require_http_methods(["GET", "POST"])
def gap(request: HttpRequest, code: str) -> HttpResponse:
    live_session, participant, redirect_response = _participant_or_redirect(request, code)
    if redirect_response:
        return redirect_response
    initial = {}
    if request.GET.get("strategy", "").isdigit():
        initial["target"] = f"strategy-{request.GET['strategy']}"
    elif request.GET.get("mapping", "").isdigit():
        initial["target"] = f"mapping-{request.GET['mapping']}"
    form = GapForm(request.POST or None, initial=initial, targets=_gap_targets(live_session))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            kind_of_target, _sep, pk = form.cleaned_data["target"].partition("-")
            target = (
                {
                    "strategy": get_object_or_404(
                        Strategy, pk=pk, taxonomy_id=live_session.taxonomy_id
                    )
                }
                if kind_of_target == "strategy"
                else {"mapping": get_object_or_404(Mapping, pk=pk, live_session=live_session)}
            )
            try:
                services.annotate_gap(
                    participant=participant,
                    kind=form.cleaned_data["kind"],
                    text=form.cleaned_data["text"],
                    **target,
                )
            except services.SessionError as exc:
                form.add_error(None, str(exc))
                status = _status_for(exc, request)
            else:
                messages.success(request, _("Thank you: your gap note is on the board."))
                return redirect(reverse("sessions:participant", args=[live_session.code]) + "#gaps")
        else:
            status = 422
    return render(
        request,
        "sessions/participant/gap.html",
        {"live_session": live_session, "form": form},
        status=status,
    )


@require_POST
def delete_gap(request: HttpRequest, code: str, gap_id: int) -> HttpResponse:
    live_session, participant, redirect_response = _participant_or_redirect(request, code)
    if redirect_response:
        return redirect_response
    gap_note = owned_or_404(GapNote.objects.all(), participant, gap_id)
    try:
        services.delete_gap_note(participant=participant, gap_note=gap_note)
    except services.SessionError as exc:
        return _refused(request, live_session, exc, status=_status_for(exc, request))
    return _deleted(request, live_session, _("Your gap note is deleted."))


# --- erasure --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest, code: str) -> HttpResponse:
    """Erase oneself from the session: everything written and voted goes, on every screen."""
    live_session, participant, redirect_response = _participant_or_redirect(request, code)
    if redirect_response:
        return redirect_response
    if request.method == "POST":
        services.erase_participant(participant=participant)
        messages.success(
            request, _("You have been erased from this session, with everything you contributed.")
        )
        response = redirect("sessions:join", code=live_session.code)
        response.delete_cookie(participant_cookie_name(live_session), samesite="Lax")
        return response
    return render(
        request,
        "sessions/participant/erase.html",
        {"live_session": live_session, "participant": participant},
    )
