"""The public taxonomy site: thin views over taxonomy.queries; every page is a GET."""

from defusedcsv import csv
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django_htmx.middleware import HtmxDetails

from taxonomy import citations, evidence, privacy, queries
from taxonomy.forms import SearchForm


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _found(data, message: str):
    if data is None:
        raise Http404(message)
    return data


@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "taxonomy/overview.html", queries.taxonomy_overview() or {})


@require_safe
def category(request: HttpRequest, slug: str) -> HttpResponse:
    data = _found(queries.category_detail(slug), _("No such category."))
    return render(request, "taxonomy/category.html", data)


@require_safe
def strategy(request: HttpRequest, slug: str) -> HttpResponse:
    data = _found(queries.strategy_detail(slug), _("No such strategy."))
    return render(request, "taxonomy/strategy.html", data)


@require_safe
def case_list(request: HttpRequest) -> HttpResponse:
    return render(request, "taxonomy/case_list.html", {"cases": queries.case_list()})


@require_safe
def case(request: HttpRequest, slug: str) -> HttpResponse:
    case = _found(queries.case_detail(slug), _("No such case."))
    return render(request, "taxonomy/case.html", {"case": case})


@require_safe
def references(request: HttpRequest) -> HttpResponse:
    return render(request, "taxonomy/references.html", queries.bibliography())


@require_safe
def search(request: HtmxHttpRequest) -> HttpResponse:
    """Full page, or for htmx's live search only the results (and the count, out of band).

    A history-restore request wants the whole page even though it comes from htmx.
    """
    form = SearchForm(request.GET)
    valid = form.is_valid()
    query = form.cleaned_data["q"] if valid else ""
    context = {"form": form, "query": query, "results": queries.search(query)}
    if request.htmx and not request.htmx.history_restore_request:
        # 200 even for a refused query: htmx does not swap error responses, and the message
        # has to reach the results region.
        response = render(request, "taxonomy/search.html#search-update", context)
    else:
        response = render(request, "taxonomy/search.html", context, status=200 if valid else 400)
    # The same URL answers with a fragment or a page; caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _citation_download(name: str, references, extension: str) -> HttpResponse:
    export = citations.EXPORT_FORMATS[extension]
    filename = f"{name}-references.{export.extension}"
    return HttpResponse(
        export.render(references).encode("utf-8"),
        content_type=export.content_type,
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


@require_safe
def references_export(request: HttpRequest, extension: str) -> HttpResponse:
    data = _found(queries.references_for_export(), _("No taxonomy."))
    return _citation_download(data["name"], data["references"], extension)


@require_safe
def strategy_references_export(request: HttpRequest, slug: str, extension: str) -> HttpResponse:
    data = _found(queries.references_for_export(strategy_slug=slug), _("No such strategy."))
    return _citation_download(data["name"], data["references"], extension)


def _evidence() -> evidence.Evidence:
    taxonomy = _found(queries.default_taxonomy(), _("No taxonomy is loaded yet."))
    return evidence.evidence(taxonomy)


@require_safe
def evidence_page(request: HttpRequest) -> HttpResponse:
    """Across published workshops: the demand per strategy and approach against the
    research's attention to the community."""
    return render(
        request,
        "taxonomy/evidence.html",
        {"evidence": _evidence(), "privacy": privacy.summary()},
    )


@require_safe
def evidence_json(request: HttpRequest) -> HttpResponse:
    """The same as open data (docs/evidence-schema.json)."""
    response = JsonResponse(
        evidence.evidence_document(_evidence()), json_dumps_params={"ensure_ascii": False}
    )
    response["Access-Control-Allow-Origin"] = "*"  # open data: any site may read it
    return response


@require_safe
def evidence_csv(request: HttpRequest) -> HttpResponse:
    """The strategies' lines as CSV (UTF-8 with a byte-order mark, for spreadsheets)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, "evidence.csv")
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(evidence.CSV_COLUMNS)
    writer.writerows(evidence.evidence_rows(_evidence()))
    return response
