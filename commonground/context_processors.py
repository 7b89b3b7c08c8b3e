from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    """Workshop details for the header, and the CSP nonce under the name django-htmx reads."""
    return {
        "workshop": settings.WORKSHOP,
        "csp_nonce": getattr(request, "csp_nonce", ""),
    }
