"""Organiser exports of a live session: a page that lists them with their options (made from
the exporters' registry), the file downloads (CSV zip, XLSX, JSON, Markdown, and all of them in
one zip) and the printable HTML report.

Every view requires a login and the session's facilitator (403 otherwise); every response is
marked private and not to be cached, since it holds what participants wrote."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from sessions.exports import EXPORTERS
from sessions.exports.report import build_report
from sessions.exports.scope import ExportOptions
from sessions.exports.streaming import export_response
from sessions.permissions import facilitated_session_or_403


class ExportOptionsForm(forms.Form):
    include_names = forms.BooleanField(
        label=_("Include display names"),
        required=False,
        help_text=_("Off: participants appear only as P1, P2, … and their pseudonym."),
    )
    include_hidden = forms.BooleanField(
        label=_("Include hidden and pending content"),
        required=False,
        help_text=_(
            "Off: only what the board shows, without removed participants or anything "
            "a facilitator hid or has not yet approved."
        ),
    )


def _options(request: HttpRequest) -> ExportOptions:
    form = ExportOptionsForm(request.GET)
    # Unchecked or unreadable checkboxes mean "off": the private default.
    data = form.cleaned_data if form.is_valid() else {}
    return ExportOptions(
        include_names=bool(data.get("include_names")),
        include_hidden=bool(data.get("include_hidden")),
    )


@login_required
@require_GET
@never_cache
def export_index(request: HttpRequest, code: str) -> HttpResponse:
    """The exports of a session, with the options as a GET form that every export reads."""
    live_session = facilitated_session_or_403(request, code)
    sections = {"report": [], "data": [], "everything": []}
    for exporter in EXPORTERS.values():  # a new format is listed under its section
        sections[exporter.section].append(exporter)
    return render(
        request,
        "sessions/exports/index.html",
        {
            "live_session": live_session,
            "form": ExportOptionsForm(request.GET or None),
            "sections": sections,
        },
    )


@login_required
@require_GET
@never_cache
def download(request: HttpRequest, code: str, identifier: str) -> HttpResponseBase:
    """One export file; ``identifier`` comes from the URL pattern, never from the request."""
    live_session = facilitated_session_or_403(request, code)
    return export_response(EXPORTERS[identifier](live_session, _options(request)), request)


@login_required
@require_GET
@never_cache
def report(request: HttpRequest, code: str) -> HttpResponse:
    """The session report as a page, laid out for print as well as for the screen."""
    live_session = facilitated_session_or_403(request, code)
    return render(
        request,
        "sessions/exports/report.html",
        {"report": build_report(live_session, _options(request))},
    )
