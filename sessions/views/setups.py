"""Starting a session from a set-up: one of the templates shipped with the app, or a session
the facilitator already ran (sessions.setups)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from sessions import services
from sessions.models import LiveSession
from sessions.setups import TEMPLATES
from sessions.views.decorators import facilitator_view
from taxonomy.models import Taxonomy
from taxonomy.queries import default_taxonomy


class TemplateForm(forms.Form):
    template = forms.ChoiceField(
        label=gettext_lazy("Start from"), widget=forms.RadioSelect, choices=()
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    taxonomy = forms.ModelChoiceField(
        label=gettext_lazy("Taxonomy"), queryset=Taxonomy.objects.order_by("title")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [
            (slug, f"{template.name} — {template.description}")
            for slug, template in TEMPLATES.items()
        ]


class DuplicateForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title of the new session"), max_length=200)


def _created(request: HttpRequest, live_session: LiveSession) -> HttpResponse:
    messages.success(
        request, _("Session created. Share the code %(code)s.") % {"code": live_session.code}
    )
    return redirect("sessions:dashboard", code=live_session.code)


@login_required
@require_http_methods(["GET", "POST"])
def from_template(request: HttpRequest) -> HttpResponse:
    """A new session set up as one of the shipped templates."""
    form = TemplateForm(
        request.POST or None,
        initial={"template": next(iter(TEMPLATES)), "taxonomy": default_taxonomy()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            live_session = services.create_from_template(
                facilitator=request.user, **form.cleaned_data
            )
        except services.SessionError as exc:
            form.add_error(None, str(exc))
        else:
            return _created(request, live_session)
    return render(
        request,
        "sessions/facilitator/from_template.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


@require_POST
@facilitator_view
def duplicate(request: HttpRequest, live_session: LiveSession) -> HttpResponse:
    """A new session with this one's set-up, none of its people or content."""
    form = DuplicateForm(request.POST)
    title = form.cleaned_data["title"] if form.is_valid() else ""
    try:
        copy = services.duplicate_session(
            source=live_session,
            title=title or _("%(title)s (copy)") % {"title": live_session.title},
            facilitator=request.user,
        )
    except services.SessionError as exc:
        messages.warning(request, str(exc))
        return redirect("sessions:settings", code=live_session.code)
    return _created(request, copy)
