"""Who facilitates a session: every facilitator sees who does; only the owner (or a superuser)
adds or removes co-facilitators, finding an account by name instead of picking it from a
list of every account."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sessions import services
from sessions.forms import FacilitatorSearchForm
from sessions.models import LiveSession
from sessions.views.decorators import facilitator_view

PARTIAL = "sessions/facilitator/facilitators.html#who-facilitates"


class FacilitatorChangeForm(forms.Form):
    user = forms.IntegerField(min_value=1)
    action = forms.ChoiceField(choices=[("add", "add"), ("remove", "remove")])


def facilitators_context(request: HttpRequest, live_session: LiveSession) -> dict:
    """What the "who facilitates" section shows to ``request.user``."""
    search = FacilitatorSearchForm(request.GET or None)
    manages = request.user.is_superuser or live_session.owner_id == request.user.pk
    return {
        "live_session": live_session,
        "facilitators": live_session.facilitators.order_by("username"),
        "manages": manages,
        "search": search,
        "matches": search.matches(live_session) if manages else [],
    }


@require_http_methods(["GET", "POST"])
@facilitator_view
def facilitators(request: HttpRequest, live_session: LiveSession) -> HttpResponse:
    """GET: the section (with the matches of a search); POST: add or remove someone."""
    if request.method == "POST":
        form = FacilitatorChangeForm(request.POST)
        if not form.is_valid():
            messages.warning(request, _("That change was not understood."))
            return redirect("sessions:settings", code=live_session.code)
        user = get_object_or_404(get_user_model(), pk=form.cleaned_data["user"])
        change = (
            services.add_facilitator
            if form.cleaned_data["action"] == "add"
            else services.remove_facilitator
        )
        try:
            change(live_session=live_session, actor=request.user, user=user)
        except services.SessionError as exc:
            messages.warning(request, str(exc))
        else:
            done = (
                _("%(name)s facilitates this session now.")
                if form.cleaned_data["action"] == "add"
                else _("%(name)s no longer facilitates this session.")
            )
            messages.success(request, done % {"name": user.get_username()})
        return redirect("sessions:settings", code=live_session.code)
    return render(request, PARTIAL, facilitators_context(request, live_session))
