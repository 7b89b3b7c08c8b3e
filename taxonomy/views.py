from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from taxonomy import queries


@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "taxonomy/overview.html", {"categories": queries.category_overview()})
