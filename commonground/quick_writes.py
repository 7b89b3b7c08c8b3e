"""The quick way in for a plenary's writes: a dot added, a need posted or a need mapped from the
phone's outbox, stored in the event loop without the thread crossing and the ORM
(sessions.services.quick_votes, quick_needs, quick_mappings).

An ASGI layer in front of Django (commonground.asgi). It takes only the plain case, ``POST
/s/<code>/vote/`` adding a dot, ``POST /s/<code>/needs/`` posting a need or ``POST
/s/<code>/needs/<id>/map/`` mapping one, sent by htmx with the outbox's key, on PostgreSQL
while the database answers; and it takes it with Django's own pieces: Django's request, the
project's middleware (host check, HTTPS, CSRF including its origin check, language, security
and CSP headers, cookies) minus those with nothing to do for it (static files, Django sessions
and users, messages: a phone is a participant by its cookie), the view's form and the view's
answer (views.participant_answers; a mapping's card is read in the mapping's transaction,
sessions.queries.need_card). Anything else, or any step that is not plain (a refused CSRF check,
a closed phase, a full budget, a replay, a fault), goes on to Django untouched, as if this
layer were not there; the body is handed on as it came. A failure after the write is stored
also goes on: the outbox's key makes Django's view answer it as the replay it is.
tests/test_quick_votes.py, test_quick_needs.py and test_quick_mappings.py check that both ways
answer alike."""

import io
import logging
import re

from django.conf import settings
from django.core.exceptions import DisallowedHost, ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.deprecation import MiddlewareMixin
from django.utils.module_loading import import_string

from commonground import async_db
from commonground.database_breaker import breaker
from sessions.forms import MappingForm, NewNeedForm, VoteForm
from sessions.identity import cookie_name_for_code
from sessions.permissions import plausible_code
from sessions.services import quick_mappings, quick_needs, quick_votes
from sessions.views import participant
from sessions.views.participant_answers import mapped_answer, need_posted_answer, vote_answer

logger = logging.getLogger(__name__)

# A vote's form is about 150 bytes, a need's at most about 4 KB (400 characters, each up to
# nine bytes URL-encoded); anything longer is not a plain write.
MAX_BODY = 8192

# Middleware with nothing to do for a participant's write: static files, Django's sessions and
# users and messages (a phone is a participant by its own cookie), and the database-fault
# answer (faults here go on to Django, which gives it).
NOT_FOR_WRITES = {
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "commonground.middleware.DatabaseUnavailableMiddleware",
}


def _answer_of(request) -> HttpResponse:
    return request.quick_response


class QuickWrites:
    def __init__(self, app) -> None:
        self.app = app
        # The writes taken here: their path (with the code in it), the view Django would
        # call (the middleware's process_view hooks, CSRF's among them, are given it), and
        # the answer made here (None: Django's turn).
        self.routes = [
            (_path_of("sessions:vote"), participant.vote, _vote),
            (_path_of("sessions:post_need"), participant.post_need, _need),
            (_path_of("sessions:map", "need_id"), participant.map_need, _map),
        ]
        # The project's middleware, in order; each new-style one (no process_* hooks) gets the
        # answer from the request when called after it is made.
        self.middleware = [
            import_string(path)(_answer_of)
            for path in settings.MIDDLEWARE
            if path not in NOT_FOR_WRITES
        ]

    async def __call__(self, scope, receive, send) -> None:
        route = self._route(scope)
        if route is None:
            await self.app(scope, receive, send)
            return
        body, complete = await _read_body(receive)
        if body is None:
            return  # the phone went before its request was read: nobody to answer
        if complete and len(body) <= MAX_BODY:
            try:
                if await self._answer(scope, route, body, send):
                    return
            except Exception:
                # Not answered (nothing sent yet): Django answers, and with the outbox's key
                # a write stored here is a replay there, never a second one.
                logger.exception("a quick write went the ordinary way")
        await self.app(scope, _replaying(body, complete, receive), send)

    def _route(self, scope) -> tuple | None:
        """The join code, the view and the answer, when this may be a plain write."""
        if scope["type"] != "http" or scope["method"] != "POST":
            return None
        for path, view, answer in self.routes:  # noqa: B007 (the one found is used below)
            found = path.match(scope["path"])
            if found is not None:
                break
        else:
            return None
        if not plausible_code(found["code"]):
            return None
        if breaker.is_open or not async_db.available():
            return None  # the database is away: Django answers 503 at once
        if (b"hx-request", b"true") not in scope["headers"]:
            return None  # the page without JavaScript: redirects and messages, Django's
        kwargs = {name: int(value) for name, value in found.groupdict().items() if name != "code"}
        return found["code"].upper(), kwargs, view, answer

    async def _answer(self, scope, route: tuple, body: bytes, send) -> bool:
        code, kwargs, view, answer = route
        request = ASGIRequest(scope, io.BytesIO(body))
        try:
            request.get_host()
        except DisallowedHost:
            return False
        for middleware in self.middleware:
            hook = getattr(middleware, "process_request", None)
            if hook is not None and hook(request) is not None:
                return False  # a redirect (to HTTPS, say) or a refusal: Django's to give
        for middleware in self.middleware:
            hook = getattr(middleware, "process_view", None)
            if hook is not None and hook(request, view, (), {"code": code, **kwargs}):
                return False  # CSRF refused: Django's page says so
        response = await answer(request, code, **kwargs)
        if response is None:
            return False
        add_never_cache_headers(response)  # as participant_view
        for middleware in reversed(self.middleware):
            if isinstance(middleware, MiddlewareMixin):
                if hasattr(middleware, "process_response"):
                    response = middleware.process_response(request, response)
            else:
                request.quick_response = response
                response = middleware(request)
        await _send(response, send)
        return True


def _path_of(name: str, *ids: str) -> re.Pattern:
    """The path of the URL ``name`` as a pattern: the code, then the ids named ``ids``."""
    path = re.escape(reverse(name, args=["CODE", *(90000 + i for i in range(len(ids)))]))
    path = path.replace("CODE", "(?P<code>[^/]+)", 1)
    for i, id_name in enumerate(ids):
        path = path.replace(str(90000 + i), rf"(?P<{id_name}>[0-9]{{1,18}})", 1)
    return re.compile(f"^{path}$")


def _token(request, code: str) -> str:
    return request.COOKIES.get(cookie_name_for_code(code), "")


async def _vote(request, code: str) -> HttpResponse | None:
    """A dot added (sessions.services.quick_votes), answered as the vote view answers."""
    sent = _vote_sent(request.POST)
    if sent is None or sent["action"] != "add":
        return None
    if not sent["client_key"]:
        return None  # without a key, a retry could not be told from a second dot
    vote = await quick_votes.add_dot(
        connection=async_db.connection,
        code=code,
        token=_token(request, code),
        kind=sent["kind"],
        item_id=sent["item"],
        client_key=sent["client_key"],
    )
    if vote is None:
        return None
    return vote_answer(request, vote.live_session, vote.kind, vote.item, vote.mine)


async def _need(request, code: str) -> HttpResponse | None:
    """A need posted (sessions.services.quick_needs), answered as the need view answers."""
    form = NewNeedForm(request.POST)
    if not form.is_valid():
        return None  # the view says what is wrong, next to the form
    asked_at = timezone.now()
    posted = await quick_needs.post_need(
        connection=async_db.connection,
        code=code,
        token=_token(request, code),
        **form.service_fields(),
    )
    if posted is None:
        return None
    return need_posted_answer(request, posted.participant, posted.need, posted_since=asked_at)


async def _map(request, code: str, need_id: int) -> HttpResponse | None:
    """A need mapped (sessions.services.quick_mappings), answered as the picker's view answers
    the phone's outbox, with the need's card as the mapping's transaction read it."""
    sent = [value for value in request.POST.getlist("strategies") if value.isdecimal()]
    form = MappingForm(request.POST, strategy_ids=sent)
    if not form.is_valid():
        return None  # the view says what is wrong, next to the picker
    mapped = await quick_mappings.map_need(
        connection=async_db.connection,
        code=code,
        token=_token(request, code),
        need_id=need_id,
        strategy_ids=[int(pk) for pk in form.cleaned_data["strategies"]],
        reason=form.cleaned_data["reason"],
        client_key=form.cleaned_data["client_key"],
    )
    if mapped is None:
        return None
    return mapped_answer(
        request, mapped.participant, mapped.need.pk, mapped.created, need=mapped.need
    )


def _vote_sent(data) -> dict | None:
    """The vote's fields cleaned by VoteForm's own fields, or None where the form would refuse
    them (the view then says so). The fields are read from the class rather than through a form
    instance, which copies them all for every request; cleaning does not change a field."""
    cleaned = {}
    try:
        for name, field in VoteForm.base_fields.items():
            cleaned[name] = field.clean(field.widget.value_from_datadict(data, {}, name))
    except ValidationError:
        return None
    return cleaned


async def _read_body(receive) -> tuple[bytes | None, bool]:
    """The request's body, up to a little past MAX_BODY; ``complete``: all of it was read.
    None: the client went away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None, False
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if not message.get("more_body"):
            return b"".join(chunks), True
        if size > MAX_BODY:
            return b"".join(chunks), False


def _replaying(body: bytes, complete: bool, receive):
    """``receive`` for Django: what was read, then the rest as it comes."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": not complete}
        return await receive()

    return replay


async def _send(response: HttpResponse, send) -> None:
    headers = [
        (str(name).encode("ascii"), str(value).encode("latin1")) for name, value in response.items()
    ]
    headers += [
        (b"Set-Cookie", cookie.output(header="").encode("ascii").strip())
        for cookie in response.cookies.values()
    ]
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.content})
