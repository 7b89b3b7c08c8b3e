"""Publishing a finished session's counts to the evidence across workshops: a preview of
exactly what would be published, then publish, publish again, or take it back."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sessions import services
from sessions.models import LiveSession
from sessions.stats.evidence import workshop_evidence
from sessions.views.decorators import facilitator_view
from taxonomy.models import EVIDENCE_MINIMUM, PublishedWorkshop


@require_http_methods(["GET", "POST"])
@facilitator_view
def evidence(request: HttpRequest, live_session: LiveSession) -> HttpResponse:
    if request.method == "POST":
        try:
            if request.POST.get("action") == "unpublish":
                services.unpublish_evidence(live_session=live_session, actor=request.user)
                messages.success(request, _("Taken back: the evidence no longer counts it."))
            else:
                services.publish_evidence(live_session=live_session, actor=request.user)
                messages.success(request, _("Published: the evidence counts this workshop."))
        except services.SessionError as exc:
            messages.warning(request, str(exc))
        return redirect("sessions:evidence", code=live_session.code)
    return render(
        request,
        "sessions/facilitator/evidence.html",
        {
            "live_session": live_session,
            "preview": workshop_evidence(live_session) if not live_session.purged_at else None,
            "published": PublishedWorkshop.objects.filter(source=live_session.code).first(),
            "minimum": EVIDENCE_MINIMUM,
        },
    )
