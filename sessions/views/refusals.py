"""Turning a service's refusal (a SessionError) into the answer: its status, Retry-After when
waiting helps, and the message where the person acted (the htmx fragment or the page)."""

from urllib.parse import quote

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from sessions.services import SessionError

FLASH = "sessions/partials/participant.html#flash"


def with_retry_after(response: HttpResponse, exc: SessionError | None) -> HttpResponse:
    """Scripts and retrying clients learn when to come back from a 429."""
    if exc is not None and exc.retry_after and response.status_code == 429:
        response["Retry-After"] = str(exc.retry_after)
    return response


def refused(request: HttpRequest, exc: SessionError, template: str, context: dict) -> HttpResponse:
    """``template`` rendered with ``context`` (a form with the message, or a fragment) at the
    refusal's status. The message also travels in ``X-Refusal`` (percent-encoded UTF-8), for
    the phone's service worker, which sends waiting writes with no page to read it from."""
    return as_refusal(render(request, template, context), exc)


def as_refusal(response: HttpResponse, exc: SessionError) -> HttpResponse:
    """``response`` at the refusal's status, with its message in ``X-Refusal`` (see
    ``refused``) and Retry-After when waiting helps."""
    response.status_code = exc.status
    response["X-Refusal"] = quote(str(exc))
    return with_retry_after(response, exc)


def flash_refused(request: HttpRequest, exc: SessionError, *, redirect_to: str) -> HttpResponse:
    """A refused action: for htmx, the message in the page's flash region at the refusal's
    status; without htmx, the message on the page at ``redirect_to``."""
    if request.htmx:
        return refused(request, exc, FLASH, {"flash": str(exc), "flash_level": "warning"})
    messages.warning(request, str(exc))
    return redirect(redirect_to)
