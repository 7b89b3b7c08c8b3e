"""Forms for every write. Views pass cleaned data to services; services check again, so a
request that skips the form is refused the same way. One module per concern; every form is
importable from here."""

from sessions.forms.contributions import (
    ClientKeyField,
    ClientKeyForm,
    EditNeedForm,
    GapForm,
    MappingForm,
    NeedForm,
    NewNeedForm,
    VoteForm,
    new_client_key,
)
from sessions.forms.facilitation import (
    ControlForm,
    DoorForm,
    FacilitatorSearchForm,
    MergeForm,
    ModerateForm,
    SessionForm,
    SweepForm,
)
from sessions.forms.joining import JoinCodeForm, JoinForm, normalise_code

__all__ = [
    "ClientKeyField",
    "ClientKeyForm",
    "ControlForm",
    "DoorForm",
    "EditNeedForm",
    "FacilitatorSearchForm",
    "GapForm",
    "JoinCodeForm",
    "JoinForm",
    "MappingForm",
    "MergeForm",
    "ModerateForm",
    "NeedForm",
    "NewNeedForm",
    "SessionForm",
    "SweepForm",
    "VoteForm",
    "new_client_key",
    "normalise_code",
]
