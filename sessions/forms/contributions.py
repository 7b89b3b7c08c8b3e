"""Forms for every participant write: needs, mappings, dots, gap notes, withdrawals."""

import hashlib
import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sessions.enums import GapKind
from sessions.models import (
    CLIENT_KEY_MAX_LENGTH,
    CONTEXT_MAX_LENGTH,
    GAP_MAX_LENGTH,
    NEED_MAX_LENGTH,
    REASON_MAX_LENGTH,
)


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
        self.fields["text"].error_messages["max_length"] = gettext(
            "At most %(limit_value)d characters: yours has %(show_value)d. Shorten it a little."
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
        # In the app's own words, as for an empty need (spaces alone are empty too).
        self.fields["target"].error_messages["required"] = gettext(
            "Choose the strategy or the mapping where research falls short."
        )
        self.fields["kind"].error_messages["required"] = gettext(
            "Choose what is missing: one of the options above."
        )
        self.fields["text"].error_messages["required"] = gettext(
            "Your gap note is empty: write a few words first."
        )
        self.fields["text"].error_messages["max_length"] = gettext(
            "At most %(limit_value)d characters: yours has %(show_value)d. Shorten it a little."
        )
        if not self.is_bound:
            self.initial.setdefault("client_key", new_client_key())
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Add gap note")))
        # The fields alone, inside a form tag of the page's own (the participant page's
        # answers in place; see partials/participant.html#gap-form).
        self.inline_helper = FormHelper()
        self.inline_helper.form_tag = False
