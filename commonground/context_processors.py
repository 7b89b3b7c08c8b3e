import datetime

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext

# Header texts translated when shown (their defaults are marked in settings.WORKSHOP).
TRANSLATED_WORKSHOP_FIELDS = ("subtitle", "venue", "time", "hybrid_note")


def workshop_date(value: str) -> datetime.date | None:
    """The workshop date (an ISO string such as "2026-06-25") as a date, None if it is not one."""
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def site(request: HttpRequest) -> dict:
    """Workshop details for the header, and the CSP nonce under the name django-htmx reads."""
    workshop = dict(settings.WORKSHOP)
    for name in TRANSLATED_WORKSHOP_FIELDS:
        if workshop.get(name):
            workshop[name] = gettext(workshop[name])
    return {
        "workshop": workshop,
        "workshop_date": workshop_date(workshop.get("date", "")),
        "csp_nonce": getattr(request, "csp_nonce", ""),
    }
