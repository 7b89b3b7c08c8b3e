"""Forms of the facilitators: configuring a session, co-facilitators, the dashboard's
controls, moderation, merges and the door."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from sessions import session_texts
from sessions.controls import COMMANDS
from sessions.enums import MODERATION_STATUSES, Phase
from sessions.models import ANNOUNCEMENT_MAX_LENGTH, LiveSession
from sessions.phases import default_prompt


class SessionForm(forms.ModelForm):
    """Create or configure a session; prompts per phase are plain fields, stored as JSON."""

    enabled_phases = forms.MultipleChoiceField(
        label=_("Phases used"),
        choices=Phase.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[phase.value for phase in Phase],
    )

    class Meta:
        model = LiveSession
        fields = [
            "title",
            "question",
            "taxonomy",
            "enabled_phases",
            "dot_budget",
            "dot_cap",
            "premoderation",
            "allow_display_names",
            "close_input_at_zero",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dot_budget"].validators.append(MinValueValidator(1))
        self.fields["dot_budget"].validators.append(MaxValueValidator(50))
        self.fields["dot_cap"].validators.append(MinValueValidator(1))
        self.fields["dot_cap"].validators.append(MaxValueValidator(50))
        prompts = self.instance.prompts if self.instance.pk else {}
        for phase in Phase:
            self.fields[f"prompt_{phase.value}"] = forms.CharField(
                label=_("Prompt for the %(phase)s phase") % {"phase": phase.label},
                required=False,
                max_length=300,
                initial=prompts.get(phase.value, ""),
                help_text=_("Leave empty for the default: “%(default)s”")
                % {"default": default_prompt(phase.value)},
            )
        session_texts.add_french_fields(self)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Save")))

    def clean(self):
        cleaned = super().clean()
        budget, cap = cleaned.get("dot_budget"), cleaned.get("dot_cap")
        if budget and cap and cap > budget:
            self.add_error("dot_cap", _("The cap per item cannot be larger than the budget."))
        return cleaned

    def service_fields(self) -> dict:
        """The cleaned values as the services take them."""
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields}
        fields["prompts"] = {
            phase.value: self.cleaned_data[f"prompt_{phase.value}"]
            for phase in Phase
            if self.cleaned_data.get(f"prompt_{phase.value}")
        }
        return fields | session_texts.french_values(self.cleaned_data)


class FacilitatorSearchForm(forms.Form):
    """Finding an account to add as a co-facilitator: by name, never a list of everyone."""

    SHORTEST = 3
    SHOWN = 8

    q = forms.CharField(
        label=_("Find an account by name or username"),
        min_length=SHORTEST,
        max_length=150,
        required=False,
        help_text=_("At least three characters."),
    )

    def matches(self, live_session: LiveSession) -> list:
        """Active accounts not yet facilitating whose username or name holds the text."""
        if not self.is_valid() or not self.cleaned_data["q"]:
            return []
        text = self.cleaned_data["q"]
        return list(
            get_user_model()
            .objects.filter(is_active=True)
            .filter(
                models.Q(username__icontains=text)
                | models.Q(first_name__icontains=text)
                | models.Q(last_name__icontains=text)
            )
            .exclude(pk__in=live_session.facilitators.values("pk"))
            .order_by("username")[: self.SHOWN]
        )


class ControlForm(forms.Form):
    """A facilitator's control: one of sessions.controls.COMMANDS, with the fields it reads
    (``command``: the declared Command; the fields it does not read are left empty)."""

    command = forms.ChoiceField(choices=[(name, name) for name in COMMANDS])
    phase = forms.ChoiceField(choices=Phase.choices, required=False)
    # A timer's length: minutes and seconds (30 s, 1 min 30 s); the service checks the total.
    minutes = forms.IntegerField(min_value=0, max_value=180, required=False)
    seconds = forms.IntegerField(min_value=0, max_value=180 * 60, required=False)
    # Beside the timer: whether input closes at zero. The dashboard sends "open" from a hidden
    # field before its checkbox's "close", so the last value sent is the one ticked.
    at_zero = forms.ChoiceField(choices=[("close", "close"), ("open", "open")], required=False)
    text = forms.CharField(max_length=ANNOUNCEMENT_MAX_LENGTH, required=False)
    target = forms.IntegerField(min_value=1, required=False)

    def clean(self):
        cleaned = super().clean()
        if "command" in cleaned:
            self.command = COMMANDS[cleaned["command"]]
            unread = {"phase", "minutes", "seconds", "at_zero", "text", "target"}
            for name in unread - set(self.command.fields):
                cleaned[name] = self.fields[name].to_python("")  # "" or None: not given
        return cleaned


class ModerateForm(forms.Form):
    kind = forms.ChoiceField(choices=[("need", "need"), ("mapping", "mapping"), ("gap", "gap")])
    item = forms.IntegerField(min_value=1)
    status = forms.ChoiceField(
        choices=[(status.value, status.label) for status in MODERATION_STATUSES]
    )


class MergeForm(forms.Form):
    """Two different needs of a session: the one to keep and the duplicate merged into it.

    Given the session's ``needs``, each list offers them after a blank "Choose a need" that it
    starts on (and that the browser will not submit), so pressing Merge at once asks for two
    needs instead of merging a need into itself; static/js/merge-form.js also takes the need
    chosen in one list out of the other."""

    keep = forms.IntegerField(label=_("Keep"), min_value=1)
    duplicate = forms.IntegerField(label=_("Merge this duplicate into it"), min_value=1)

    def __init__(self, *args, needs=(), **kwargs):
        kwargs.setdefault("auto_id", "merge-%s")
        super().__init__(*args, **kwargs)
        choices = [("", _("Choose a need"))] + [
            (need.pk, f"#{need.pk} {Truncator(need.text).chars(70)}") for need in needs
        ]
        for name in ("keep", "duplicate"):
            self.fields[name].widget = forms.Select(
                choices=choices, attrs={"class": "form-select mb-2", "data-merge-pair": ""}
            )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("keep") and cleaned.get("keep") == cleaned.get("duplicate"):
            raise forms.ValidationError(_("Choose two different needs."))
        return cleaned


class DoorForm(forms.Form):
    """Close the door to new participants, or open it again (sessions.services.door)."""

    door = forms.ChoiceField(choices=[("close", "close"), ("open", "open")])


class SweepForm(forms.Form):
    """Remove those who joined in the ``minutes`` before ``until`` (when the dashboard read
    the figures) and contributed nothing; ``confirmed`` once the facilitator said yes."""

    minutes = forms.IntegerField(min_value=1, max_value=60)
    until = forms.DateTimeField()
    confirmed = forms.BooleanField(required=False)
