"""Shared by the participant's views: the fragments they answer with, the way back to the
participant page, and the answer to withdrawing one's own contribution."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template import engines
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sessions import fragments, queries, services
from sessions.enums import ContributionStatus
from sessions.forms import ClientKeyForm, NewNeedForm
from sessions.forms.contributions import new_client_key
from sessions.models import LiveSession, Mapping, Need, Participant
from sessions.moderation_log import quoted
from sessions.permissions import owned_or_404
from sessions.queries.common import PersonalDots
from sessions.views.refusals import as_refusal, flash_refused

PARTIAL = "sessions/partials/participant.html"


def page_url(live_session: LiveSession, anchor: str = "") -> str:
    return reverse("sessions:participant", args=[live_session.code]) + anchor


def vote_answer(
    request: HttpRequest,
    live_session: LiveSession,
    kind: str,
    item,
    mine: PersonalDots,
    refusal: services.SessionError | None = None,
) -> HttpResponse:
    """The answer to a vote sent by htmx: this person's control on the item, their budget and
    the message (or the refusal, said in the control). Also the quick path's answer
    (commonground.quick_writes), so that both answer alike. Built without the template engine
    (sessions.fragments): it is the plenary's most frequent answer."""
    response = HttpResponse(
        fragments.vote_result(
            live_session=live_session,
            kind=kind,
            item=item,
            mine=mine,
            refusal=str(refusal) if refusal else "",
        )
    )
    return as_refusal(response, refusal) if refusal is not None else response


def withdrawn_words(item) -> str:
    """What is said where a withdrawn item was: "Deleted: “Safer streams”."."""
    if isinstance(item, Mapping):
        return _("Removed: your mapping to %(strategy)s.") % {
            "strategy": item.strategy.localized("name")
        }
    return _("Deleted: %(item)s.") % {"item": quoted(item.text)}


def withdraw(
    request: HttpRequest,
    participant: Participant,
    queryset,
    pk: int,
    withdraw,
    message: str,
    element_id: str,
) -> HttpResponse:
    """Call ``withdraw(item, client_key)`` (a service deleting one's own contribution, the
    item read from ``queryset``) and answer: for htmx, the message and the item
    (``element_id``) gone from the page at once. A withdrawal sent again with its key, after
    its first copy took the item away, is answered as done rather than "no longer here"."""
    live_session = participant.live_session
    client_key = ClientKeyForm(request.POST).key()
    note = ""
    try:
        item = owned_or_404(queryset, participant, pk)
    except Http404:
        if not services.already_written(participant=participant, client_key=client_key):
            raise
    else:
        note = withdrawn_words(item)
        try:
            withdraw(item, client_key)
        except services.SessionError as exc:
            return flash_refused(request, exc, redirect_to=page_url(live_session))
    if request.htmx:
        context = {
            "flash": message,
            "withdrawn_id": element_id,
            "withdrawn_note": note or message,
        }
        return render(request, f"{PARTIAL}#withdrawn", context)
    messages.success(request, message)
    return redirect("sessions:participant", code=live_session.code)


def need_posted_words(need) -> str:
    if need.status == ContributionStatus.PENDING:
        return _("Thank you: your need waits for a facilitator's approval.")
    return _("Posted. Your need is on the board.")


def need_posted_answer(
    request: HttpRequest, participant: Participant, need, *, posted_since
) -> HttpResponse:
    """For htmx (the phone's outbox posts needs so): the need form emptied, with a fresh
    submission id, the message, and the author's own card with their controls (the push that
    reaches every phone has none). Also the quick path's answer (commonground.quick_writes),
    so that both answer alike."""
    live_session = participant.live_session
    action = reverse("sessions:post_need", args=[live_session.code])
    context = {
        "empty_need_form": empty_need_form(request, action),
        "flash": need_posted_words(need),
        "posted": queries.posted_need(
            live_session, need, author=participant, posted_since=posted_since
        ),
        "live_session": live_session,
        "participant": participant,
        "audience": "participants",
    }
    return render(request, f"{PARTIAL}#need-form-result", context)


# The empty need form as crispy renders it, per language and form action, with stand-ins for
# the two values each answer gives it anew: crispy takes about 4 ms of CPU to render it, as
# much as the rest of a quick need (docs/performance.md).
_EMPTY_NEED_FORMS: dict[tuple[str, str], str] = {}
_EMPTY_NEED_FORMS_KEPT = 1000
_CSRF_STAND_IN = "csrfstandin0000"
_SUBMISSION_STAND_IN = "submissionstandin0000"
_CRISPY = "{% load crispy_forms_tags %}{% crispy need_form %}"


def empty_need_form(request: HttpRequest, action: str) -> str:
    """The need form, empty, with this request's CSRF token and a fresh submission id: the
    same HTML as ``{% crispy need_form %}`` of a new NewNeedForm (tests/sessions/
    test_need_answers.py), rendered once per language and form action."""
    key = (get_language(), action)
    html = _EMPTY_NEED_FORMS.get(key)
    if html is None:
        form = NewNeedForm(action=action, initial={"submission_id": _SUBMISSION_STAND_IN})
        html = (
            engines["django"]
            .from_string(_CRISPY)
            .render({"need_form": form, "csrf_token": _CSRF_STAND_IN})
        )
        if len(_EMPTY_NEED_FORMS) >= _EMPTY_NEED_FORMS_KEPT:
            _EMPTY_NEED_FORMS.clear()
        _EMPTY_NEED_FORMS[key] = html
    # Both are letters, digits, "-" and "_": nothing to escape.
    filled = html.replace(_CSRF_STAND_IN, get_token(request))
    return mark_safe(filled.replace(_SUBMISSION_STAND_IN, new_client_key()))  # noqa: S308  # nosec B308 B703


def mapped_words(created: list[Mapping]) -> str:
    if created:
        names = ", ".join(mapping.strategy.localized("name") for mapping in created)
        return _("Mapped to %(names)s.") % {"names": names}
    return _("Those mappings already exist: you can vote on them in the voting phase.")


def mapped_answer(
    request: HttpRequest,
    participant: Participant,
    need_id: int,
    created: list[Mapping],
    *,
    need: Need | None = None,
) -> HttpResponse:
    """For htmx (the phone's outbox maps so): the message and the need's card as its author
    sees it. Also the quick path's answer (commonground.quick_writes), so that both answer
    alike; it gives the ``need`` it read for the card (sessions.queries.need_card)."""
    return need_card_answer(
        request, participant, need_id, mapped_words(created), created, need=need
    )


def need_card_answer(
    request: HttpRequest,
    participant: Participant,
    need_id: int,
    flash: str,
    mappings=(),
    *,
    need: Need | None = None,
) -> HttpResponse:
    """For htmx (the phone's outbox sends edits and mappings so): the message, and the need's
    card as its author sees it, put in place of the one on the page; the controls of the
    ``mappings`` just made are filled in too (a push that came first left them empty).
    ``need``: read already as ``queries.needs`` reads it, else read here."""
    live_session = participant.live_session
    if need is None:
        shown = queries.needs(live_session, ids=[need_id], include_hidden_for=participant)
        need = shown[0] if shown else None
    context = {
        "live_session": live_session,
        "participant": participant,
        "audience": "participants",
        "flash": flash,
        "need": need,
        "own_mappings": mappings,
    }
    return render(request, f"{PARTIAL}#need-card-result", context)
