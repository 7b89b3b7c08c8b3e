from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from taxonomy import queries as taxonomy_queries


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """What the workshop is, with the way into the taxonomy and into a live session."""
    return render(request, "home.html", {"categories": taxonomy_queries.category_overview()})
