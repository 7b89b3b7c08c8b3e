from django import forms
from django.utils.translation import gettext_lazy as _

from taxonomy.queries import SEARCH_MAX_LENGTH


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search strategies, cases and references"),
        max_length=SEARCH_MAX_LENGTH,
        required=False,
        error_messages={
            "max_length": _(
                "Please search for at most %(limit_value)d characters "
                "(the search had %(show_value)d)."
            )
        },
    )
