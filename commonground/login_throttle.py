"""Sign-in throttling on /accounts/login/ and the admin login, keyed by the username typed.

Never by IP address (the app stores and logs none). After FAILURES_ALLOWED failed sign-ins for
one username within a WINDOW_SECONDS window, every further attempt for that username, with the
right password or not, is refused with 429 and Retry-After until the window ends, without the
password being checked. The answer is the same for a username that does not exist, so the
throttle tells nobody which accounts exist. A successful sign-in clears the count.

Each attempt is counted, with one atomic increment, before its password is checked: counting
only after a failed check let parallel attempts all read the same count first (59 at once had
10 passwords checked for a limit of 5).

Counters live in the cache (sessions.ratelimit): keyed hashes, never the username itself; if
the cache is unreachable, sign-in is not throttled (fail open, logged)."""

import math
import unicodedata
from functools import wraps

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

from sessions import ratelimit

FAILURES_ALLOWED = 5
WINDOW_SECONDS = 15 * 60
SCOPE = "login"


def _key(username: str) -> str:
    # One counter for the spellings of one name ("Facilitator", "facilitator ", full width).
    return unicodedata.normalize("NFKC", username).strip().casefold()


def count_attempt(username: str) -> int:
    """Count one sign-in attempt for ``username`` before its password is checked; return how
    long sign-in stays refused (0: check the password). The count is the window's attempts
    that did not succeed, this one included; 0 when the cache is unreachable (fail open)."""
    attempts, window_left = ratelimit.record(SCOPE, _key(username), window=WINDOW_SECONDS)
    return max(window_left, 1) if attempts > FAILURES_ALLOWED else 0


def clear_failures(username: str) -> None:
    ratelimit.forget(SCOPE, _key(username), window=WINDOW_SECONDS)


def throttled_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed sign-ins for this username. Try again in %(minutes)d minute.",
        "Too many failed sign-ins for this username. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class ThrottledSignInMixin:
    """For an authentication form: counts the attempt and refuses a throttled username before
    its password is checked, clears the count on success. ``retry_after`` is set when refused."""

    retry_after = 0

    def clean(self):
        username = self.cleaned_data.get("username")
        if username:
            locked_for = count_attempt(username)
            if locked_for:
                self.retry_after = locked_for
                raise ValidationError(throttled_message(locked_for), code="throttled")
        cleaned = super().clean()  # a failure stays counted
        if username:
            clear_failures(username)
        return cleaned


class ThrottledAuthenticationForm(ThrottledSignInMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledSignInMixin, AdminAuthenticationForm):
    pass


def answers_429(view):
    """Wrap a login view: a sign-in refused by the throttle is answered 429 with Retry-After
    (the page still shows the form and the message)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        form = (getattr(response, "context_data", None) or {}).get("form")
        retry_after = getattr(form, "retry_after", 0)
        if retry_after:
            response.status_code = 429
            response["Retry-After"] = str(retry_after)
        return response

    return wrapped
