"""Publishing a finished session's counts to the evidence across workshops: a preview of
the exact counts that go into the noise, the privacy budget left, then publish, publish again
(while the budget lasts), or take it back; once published, what the publication gave."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sessions import services
from sessions.models import LiveSession
from sessions.queries.evidence import workshop_evidence
from sessions.views.decorators import facilitator_view
from taxonomy import privacy
from taxonomy.evidence import published_lines
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
    published = PublishedWorkshop.objects.filter(source=live_session.code).first()
    return render(
        request,
        "sessions/facilitator/evidence.html",
        {
            "live_session": live_session,
            "preview": workshop_evidence(live_session) if not live_session.purged_at else None,
            "published": published,
            "published_lines": published_lines(published) if published else None,
            "budget": services.evidence_budget(live_session),
            "privacy": privacy.summary(),
            "minimum": EVIDENCE_MINIMUM,
        },
    )
