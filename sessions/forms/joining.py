"""Forms on the way in: the session code, then joining (presence, name, agreement)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sessions.enums import Presence
from sessions.models import DISPLAY_NAME_MAX_LENGTH, JOIN_CODE_LENGTH


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
