"""The participant pages' service worker: it keeps the app shell and the participant pages it
served, so that a reload on a dead network shows the page as last seen with the phone's outbox
instead of the browser's error page, and it sends what waits in the outbox when Background Sync
wakes it with no page open (static/js/offline-worker.js).

Served at ``/s/<code>/sw.js``, so that its scope, ``/s/<code>/``, is its own directory. Only the
participant pages register it (static/js/outbox.js); the board and the dashboard never do, and
the worker lets every request under its scope that is not a participant page or the shell go
to the network untouched. Browsers run service workers only in a secure context (HTTPS, or
localhost): a laptop serving phones over plain HTTP has none, and the outbox works without it.

The script names every file of the shell with a hash of its contents (and, in production, the
hashed URLs of the manifest storage): a release that changes any of them changes the worker,
which the browser then installs in place of the old one, with the new shell."""

import functools
import hashlib
import json

from csp.constants import NONE, SELF
from csp.decorators import csp
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_safe

from sessions.permissions import plausible_code

# What the participant pages load (templates/base.html, sessions/participant/*.html).
SHELL = [
    "vendor/bootstrap/css/bootstrap.min.css",
    "css/app.css",
    "django_htmx/htmx-2.min.js",
    "django_htmx/ext/hx-ws-2.min.js",
    "js/theme.js",
    "js/answers.js",
    "js/live.js",
    "js/countdown.js",
    "js/prompt-fold.js",
    "js/picker.js",
    "js/outbox-store.js",
    "js/outbox.js",
]
SHELL_IN_DEBUG = ["django_htmx/django-htmx.js"]  # django-htmx adds it when DEBUG is on
# Workbox (static/vendor/workbox, its version in package.json), in the order its modules
# depend on each other, then the outbox's store and the worker itself.
WORKER_SCRIPTS = [
    "vendor/workbox/workbox-core.prod.js",
    "vendor/workbox/workbox-routing.prod.js",
    "vendor/workbox/workbox-strategies.prod.js",
    "vendor/workbox/workbox-precaching.prod.js",
    "js/outbox-store.js",
    "js/offline-worker.js",
]


def _revision(name: str) -> str:
    """A hash of a static file's contents: what changes when a release changes the file."""
    path = finders.find(name)
    if path:
        with open(path, "rb") as file:
            return hashlib.sha256(file.read()).hexdigest()[:16]
    with staticfiles_storage.open(name) as file:
        return hashlib.sha256(file.read()).hexdigest()[:16]


@functools.cache
def _cached_revisions(names: tuple[str, ...]) -> dict[str, str]:
    return {name: _revision(name) for name in names}


def _revisions(names: list[str]) -> dict[str, str]:
    # Files change under `make run` (DEBUG); a deployed release's do not.
    if settings.DEBUG:
        return {name: _revision(name) for name in names}
    return _cached_revisions(tuple(names))


def worker_source(code: str) -> str:
    """The worker's script for the session ``code``: its settings, then its imports."""
    shell = SHELL + (SHELL_IN_DEBUG if settings.DEBUG else [])
    revisions = _revisions(shell + WORKER_SCRIPTS)
    config = {
        "session": code,
        "scope": reverse("sessions:participant", args=[code]),
        "shell": [{"url": static(name), "revision": revisions[name]} for name in shell],
    }
    version = hashlib.sha256(
        json.dumps([config, [revisions[name] for name in WORKER_SCRIPTS]]).encode()
    ).hexdigest()[:16]
    imports = ", ".join(json.dumps(static(name)) for name in WORKER_SCRIPTS)
    return (
        f"// Common Ground: the participant pages' service worker, version {version}.\n"
        f"self.CG_OFFLINE = {json.dumps(config)};\n"
        f"importScripts({imports});\n"
    )


@require_safe
@csp({"default-src": [NONE], "script-src": [SELF], "connect-src": [SELF]})
def offline_worker(request: HttpRequest, code: str) -> HttpResponse:
    """The service worker of a session's participant pages (no database read: the script is
    the same for every phone, and an unknown code's worker is never registered)."""
    if not plausible_code(code):
        raise Http404
    response = HttpResponse(
        worker_source(code.upper()), content_type="text/javascript; charset=utf-8"
    )
    # Asked again at every navigation; the browser installs a new worker when the bytes change.
    response["Cache-Control"] = "no-cache"
    return response
