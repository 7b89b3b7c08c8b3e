"""The texts a facilitator gives a session (title, question, a prompt per phase) in a second
language: the set-up form offers a French version beside each, optional. A French reader sees
the French version where there is one and the text as given otherwise (LiveSession.local_title,
local_question, prompt_for); everyone else sees the text as given."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sessions.enums import Phase

SECOND_LANGUAGE = "fr"
# The given text's field -> its French version's field, max length and label.
FRENCH_FIELDS = {
    "title": ("title_fr", 200, _("Title in French (optional)")),
    "question": ("question_fr", 300, _("Question in French (optional)")),
}
PROMPT_MAX_LENGTH = 300
HELP = _("Shown to those who read the app in French; leave empty to show them the text as given.")


def prompt_field(phase: str) -> str:
    return f"prompt_{phase}"


def french_prompt_field(phase: str) -> str:
    return f"prompt_{phase}_fr"


def add_french_fields(form: forms.ModelForm) -> None:
    """Give ``form`` (a SessionForm with its prompt_<phase> fields) a French version of each
    text, placed right after it."""
    instance = form.instance
    fields = form.fields
    for french, max_length, label in FRENCH_FIELDS.values():
        fields[french] = forms.CharField(
            label=label,
            required=False,
            max_length=max_length,
            initial=getattr(instance, french, "") if instance.pk else "",
            help_text=HELP,
        )
    prompts_fr = instance.prompts_fr if instance.pk else {}
    for phase in Phase:
        fields[french_prompt_field(phase.value)] = forms.CharField(
            label=_("Prompt for the %(phase)s phase, in French (optional)")
            % {"phase": phase.label},
            required=False,
            max_length=PROMPT_MAX_LENGTH,
            initial=prompts_fr.get(phase.value, ""),
        )
    order = []
    for name in list(fields):
        if name in order or name.endswith("_fr"):
            continue
        order.append(name)
        if name in FRENCH_FIELDS:
            order.append(FRENCH_FIELDS[name][0])
        elif name.startswith("prompt_"):
            order.append(f"{name}_fr")
    form.order_fields(order)


def french_values(cleaned_data: dict) -> dict:
    """The French versions as the services take them (LiveSession fields)."""
    values = {french: cleaned_data.get(french, "") for french, _n, _l in FRENCH_FIELDS.values()}
    values["prompts_fr"] = {
        phase.value: cleaned_data[french_prompt_field(phase.value)]
        for phase in Phase
        if cleaned_data.get(french_prompt_field(phase.value))
    }
    return values
