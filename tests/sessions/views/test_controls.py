"""The facilitator's controls are one table (sessions.controls.COMMANDS): the form offers
exactly its commands, the dashboard has a button for each, and each one posted does what it
says and is answered with its toast, never a server error."""

from pathlib import Path

import pytest
from django.urls import reverse

from sessions.controls import COMMANDS
from sessions.forms import ControlForm
from tests.factories import NeedFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
TEMPLATES = Path(__file__).resolve().parents[3] / "sessions" / "templates" / "sessions"


def toast(response) -> str:
    return response.text.split('id="flash" class="toast-region"')[1].split("</div>")[0]


def test_the_form_offers_exactly_the_declared_commands():
    offered = [value for value, _label in ControlForm.base_fields["command"].choices]

    assert offered == list(COMMANDS)
    assert not ControlForm({"command": "self-destruct"}).is_valid()


def test_the_dashboard_has_a_button_for_every_declared_command():
    pages = "".join(
        (TEMPLATES / name).read_text()
        for name in ("partials/facilitator.html", "facilitator/presenting.html")
    )

    def has_button(name: str) -> bool:  # its own form, or the shared control button
        return f'value="{name}"' in pages or f'command="{name}"' in pages

    assert [name for name in COMMANDS if not has_button(name)] == []


def test_a_command_reads_only_its_declared_fields():
    form = ControlForm({"command": "lock", "minutes": 5, "text": "hello", "phase": "voting"})

    assert form.is_valid()
    assert form.command is COMMANDS["lock"]
    assert (form.cleaned_data["minutes"], form.cleaned_data["text"]) == (None, "")
    assert form.cleaned_data["phase"] == ""


def data_for(name: str, live_session) -> dict:
    fields = COMMANDS[name].fields
    data = {"command": name}
    if "minutes" in fields:
        data["minutes"] = 3
    if "phase" in fields:
        data["phase"] = "voting"
    if "text" in fields:
        data["text"] = "Coffee at eleven"
    if "target" in fields:
        data["target"] = (
            NeedFactory(live_session=live_session).pk
            if name == "spotlight-need"
            else live_session.taxonomy.strategies.first().pk
        )
    return data


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_declared_command_is_answered_with_a_toast(facilitator_client, live_session, name):
    if name in ("timer-pause", "timer-resume", "timer-extend", "timer-clear"):
        facilitator_client.post(
            reverse("sessions:control", args=[live_session.code]),
            {"command": "timer-start", "minutes": 5},
            headers=HTMX,
        )
    if name == "timer-resume":
        facilitator_client.post(
            reverse("sessions:control", args=[live_session.code]),
            {"command": "timer-pause"},
            headers=HTMX,
        )

    response = facilitator_client.post(
        reverse("sessions:control", args=[live_session.code]),
        data_for(name, live_session),
        headers=HTMX,
    )

    assert response.status_code in (200, 409, 422), response.status_code
    assert toast(response).strip()
    level = "alert-success" if response.status_code == 200 else "alert-warning"
    assert level in toast(response)
