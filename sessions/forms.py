"""Forms for every participant write. Views pass cleaned data to services; services check
again, so a request that skips the form is refused the same way."""

import hashlib
import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sessions import session_texts
from sessions.controls import COMMANDS
from sessions.enums import MODERATION_STATUSES, GapKind, Phase, Presence
from sessions.models import (
    ANNOUNCEMENT_MAX_LENGTH,
    CLIENT_KEY_MAX_LENGTH,
    CONTEXT_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
    GAP_MAX_LENGTH,
    JOIN_CODE_LENGTH,
    NEED_MAX_LENGTH,
    REASON_MAX_LENGTH,
    LiveSession,
)
from sessions.phases import default_prompt


def normalise_code(value: str) -> str:
    """Accept what people type: lower case, spaces and dashes."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


class JoinCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Session code"),
        max_length=20,
        help_text=_("Six characters, shown on the screen at the front of the room."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_action = reverse("sessions:join_form")
        self.helper.add_input(Submit("submit", _("Continue"), css_class="btn-lg"))

    def clean_code(self) -> str:
        """Six letters and digits, or the format is explained. A code of the right shape that
        no session has (letters outside the codes' alphabet included) is for the view to
        say: "no session has this code" is a different mistake from a malformed one."""
        code = normalise_code(self.cleaned_data["code"])
        if len(code) != JOIN_CODE_LENGTH or not code.isascii():
            raise forms.ValidationError(
                _("A session code has six letters and digits, like %(example)s.")
                % {"example": "K7HQ4P"}
            )
        return code


class JoinForm(forms.Form):
    presence = forms.ChoiceField(
        label=_("Where are you joining from?"),
        choices=Presence.choices,
        widget=forms.RadioSelect,
    )
    display_name = forms.CharField(
        label=_("Name to show (optional)"),
        max_length=DISPLAY_NAME_MAX_LENGTH,
        required=False,
        help_text=_("Leave empty to stay with your pseudonym."),
        widget=forms.TextInput(attrs={"data-counter": ""}),
    )
    agree = forms.BooleanField(
        label=_("I agree to the community agreement and I have read the data notice."),
        required=True,
        error_messages={"required": _("Please accept the community agreement to join.")},
    )

    def __init__(self, *args, allow_display_names: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_display_names:
            del self.fields["display_name"]
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Join"), css_class="btn-lg w-100"))


def new_client_key() -> str:
    return uuid.uuid4().hex


class ClientKeyField(forms.RegexField):
    """The key a phone gives one write (sessions.services.replays): a hidden field, fresh each
    time its form is shown; the phone's outbox gives every tap a key of its own instead."""

    def __init__(self, **kwargs):
        super().__init__(
            regex=rf"^[A-Za-z0-9_-]{{1,{CLIENT_KEY_MAX_LENGTH}}}$",
            required=False,
            max_length=CLIENT_KEY_MAX_LENGTH,
            widget=forms.HiddenInput,
            **kwargs,
        )


class ClientKeyForm(forms.Form):
    """The key of a write that sends nothing else (withdrawing one's own item)."""

    client_key = ClientKeyField()

    def key(self) -> str:
        return self.cleaned_data["client_key"] if self.is_valid() else ""


def _at_most_characters(limit: int) -> str:
    return gettext("At most %(max)d characters.") % {"max": limit}


class NeedForm(forms.Form):
    text = forms.CharField(
        label=_("A need of your community"),
        max_length=NEED_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        # Lazy: a class attribute is made once, before any request's language is active.
        help_text=lazy(_at_most_characters, str)(NEED_MAX_LENGTH),
    )
    context = forms.CharField(
        label=_("Community or platform concerned (optional)"),
        max_length=CONTEXT_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"data-counter": ""}),  # static/js/answers.js
    )

    def __init__(self, *args, action: str = "", submit_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = action
        self.helper.attrs = {
            "hx-post": action,
            "hx-swap": "none",
            # Keeps the text if the request fails, so nothing typed is lost.
            "hx-disabled-elt": "find [type=submit]",
        }
        self.helper.add_input(Submit("submit", submit_label or _("Post need")))


class EditNeedForm(NeedForm):
    """Editing one's own need: the edit is keyed, so that sent twice it is one edit."""

    client_key = ClientKeyField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("client_key", new_client_key())


class NewNeedForm(NeedForm):
    """Posting a need: a hidden submission id, fresh each time the form is rendered empty,
    makes double taps and retries post the need once (services.post_need)."""

    submission_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Spaces alone are no need: say so plainly (the field strips them before checking).
        self.fields["text"].error_messages["required"] = gettext(
            "Your need is empty: write a few words first."
        )
        if not self.is_bound:
            self.initial.setdefault("submission_id", new_client_key())
        # Kept on the phone when it cannot be sent (static/js/outbox.js): shown where the need
        # will be, in the list of needs.
        self.helper.attrs |= {"data-outbox": "post", "data-outbox-target": "needs-list"}

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        submission_id = data.pop("submission_id", "")
        # The key covers the text too: a retry of the same post is one need, but a different
        # need typed into a form that had not been refreshed yet is a new one, not a "duplicate".
        data["client_key"] = (
            hashlib.sha256(
                "\0".join([submission_id, data["text"], data.get("context", "")]).encode()
            ).hexdigest()[:40]
            if submission_id
            else ""
        )
        return data


class MappingForm(forms.Form):
    strategies = forms.MultipleChoiceField(
        label=_("Strategies"), widget=forms.CheckboxSelectMultiple, choices=()
    )
    reason = forms.CharField(
        label=_("Why (optional)"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    client_key = ClientKeyField()

    def __init__(self, *args, strategy_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("client_key", new_client_key())
        self.fields["strategies"].choices = [(str(pk), str(pk)) for pk in strategy_ids]
        self.fields["strategies"].error_messages["required"] = _("Choose at least one strategy.")


class VoteForm(forms.Form):
    kind = forms.ChoiceField(choices=[("need", "need"), ("mapping", "mapping")])
    item = forms.IntegerField(min_value=1)
    action = forms.ChoiceField(choices=[("add", "add"), ("remove", "remove")])
    client_key = ClientKeyField()


class GapForm(forms.Form):
    target = forms.ChoiceField(label=_("Where is the gap?"), choices=())
    kind = forms.ChoiceField(
        label=_("What is missing?"), choices=GapKind.choices, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=_("Describe the gap"),
        max_length=GAP_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    client_key = ClientKeyField()

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = list(targets)
        if not self.is_bound:
            self.initial.setdefault("client_key", new_client_key())
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Add gap note")))
        # The fields alone, inside a form tag of the page's own (the participant page's
        # answers in place; see partials/participant.html#gap-form).
        self.inline_helper = FormHelper()
        self.inline_helper.form_tag = False


# --- facilitators ----------------------------------------------------------------------------


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
    minutes = forms.IntegerField(min_value=1, max_value=180, required=False)
    text = forms.CharField(max_length=ANNOUNCEMENT_MAX_LENGTH, required=False)
    target = forms.IntegerField(min_value=1, required=False)

    def clean(self):
        cleaned = super().clean()
        if "command" in cleaned:
            self.command = COMMANDS[cleaned["command"]]
            for name in {"phase", "minutes", "text", "target"} - set(self.command.fields):
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
