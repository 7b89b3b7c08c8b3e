import io
import json
import zipfile

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.db import connections
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import client_for
from tests.factories import LiveSessionFactory, NeedFactory, ParticipantFactory

pytestmark = pytest.mark.django_db

# (url name, content type, attachment file name or None for a page)
EXPORT_URLS = [
    ("sessions:export", "text/html; charset=utf-8", None),
    ("sessions:export_csv", "application/zip", "K7HQ4P-csv.zip"),
    (
        "sessions:export_xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "K7HQ4P-session.xlsx",
    ),
    ("sessions:export_json", "application/json", "K7HQ4P-session.json"),
    ("sessions:export_report", "text/html; charset=utf-8", None),
    ("sessions:export_markdown", "text/markdown; charset=utf-8", "K7HQ4P-report.md"),
    ("sessions:export_everything", "application/zip", "K7HQ4P-everything.zip"),
]
URL_NAMES = [name for name, _type, _file in EXPORT_URLS]


def make_user(username: str, **fields):
    return get_user_model().objects.create_user(username, password="pw-for-tests-only", **fields)


@pytest.fixture
def facilitator(live_session):
    user = make_user("facilitator")
    live_session.facilitators.add(user)
    return user


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("name", URL_NAMES)
def test_anonymous_visitors_are_sent_to_log_in(client, live_session, name):
    url = reverse(name, args=[live_session.code])

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("name", URL_NAMES)
def test_participants_without_an_account_are_sent_to_log_in(client, participant, name):
    participant_client = client_for(client, participant)
    url = reverse(name, args=[participant.live_session.code])

    response = participant_client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", URL_NAMES)
def test_facilitators_of_another_session_are_refused(client, live_session, name):
    other = make_user("other-facilitator")
    LiveSessionFactory(code="XR4T7W").facilitators.add(other)
    client.force_login(other)

    response = client.get(reverse(name, args=[live_session.code]))

    assert response.status_code == 403


@pytest.mark.parametrize(("name", "content_type", "filename"), EXPORT_URLS)
def test_the_sessions_facilitator_gets_each_export(
    client, live_session, facilitator, participant, name, content_type, filename
):
    NeedFactory(author=participant, text="Know why our posts vanish")
    client.force_login(facilitator)

    response = client.get(reverse(name, args=[live_session.code]))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert "no-store" in response["Cache-Control"]
    if filename:
        assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    else:
        assert "Content-Disposition" not in response
    assert len(body(response)) > 0


@pytest.mark.parametrize("name", URL_NAMES)
def test_an_unknown_code_is_not_found(client, facilitator, name):
    client.force_login(facilitator)

    response = client.get(reverse(name, args=["NOPE99"]))

    assert response.status_code == 404


@pytest.mark.parametrize("name", URL_NAMES)
def test_exports_answer_only_get(client, live_session, facilitator, name):
    client.force_login(facilitator)

    response = client.post(reverse(name, args=[live_session.code]))

    assert response.status_code == 405


def test_csv_and_json_are_streamed(client, live_session, facilitator):
    client.force_login(facilitator)

    csv_response = client.get(reverse("sessions:export_csv", args=[live_session.code]))
    json_response = client.get(reverse("sessions:export_json", args=[live_session.code]))

    assert csv_response.streaming and json_response.streaming
    assert zipfile.ZipFile(io.BytesIO(body(csv_response))).testzip() is None
    assert json.loads(body(json_response))["session"]["code"] == live_session.code


def test_options_travel_in_the_query_string(client, live_session, facilitator):
    ParticipantFactory(live_session=live_session, display_name="Ada")
    client.force_login(facilitator)
    url = reverse("sessions:export_xlsx", args=[live_session.code])

    default = load_workbook(io.BytesIO(body(client.get(url))))
    asked = load_workbook(
        io.BytesIO(body(client.get(url, {"include_names": "on", "include_hidden": "on"})))
    )

    assert default["participants"]["C1"].value == "presence"
    assert asked["participants"]["C1"].value == "display_name"
    assert asked["participants"]["C2"].value == "Ada"


def test_export_page_offers_every_export_with_the_options(client, live_session, facilitator):
    client.force_login(facilitator)

    response = client.get(reverse("sessions:export", args=[live_session.code]))

    html = response.text
    assert 'method="get"' in html
    assert 'name="include_names"' in html and 'name="include_hidden"' in html
    assert "checked" not in html
    for name in URL_NAMES[1:]:
        assert f'formaction="{reverse(name, args=[live_session.code])}"' in html


def test_report_page_shows_charts_with_text_alternatives(client, live_session, facilitator):
    client.force_login(facilitator)

    response = client.get(reverse("sessions:export_report", args=[live_session.code]))

    html = response.text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in html
    assert 'role="img"' in html
    assert "style=" not in html
    assert "<table" in html


@pytest.fixture
def facilitated_session(transactional_db):
    """A session with a need and its facilitator, committed so that the threads an ASGI
    request runs in can read them."""
    live_session = LiveSessionFactory(code="K7HQ4P")
    NeedFactory(author=ParticipantFactory(live_session=live_session), text="Know why")
    user = make_user("facilitator")
    live_session.facilitators.add(user)
    return live_session, user


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "name", ["sessions:export_csv", "sessions:export_xlsx", "sessions:export_json"]
)
async def test_downloads_stream_chunk_by_chunk_under_asgi(async_client, facilitated_session, name):
    # Django would read a synchronous stream whole into memory under ASGI (and warn, which
    # fails the test): downloads must be asynchronous iterators there.
    live_session, user = facilitated_session
    await async_client.aforce_login(user)

    try:
        response = await async_client.get(reverse(name, args=[live_session.code]))
        data = b"".join([chunk async for chunk in response.streaming_content])
    finally:
        # The view and the stream ran in asgiref's shared thread, whose connection the test
        # client does not close (PostgreSQL would refuse to drop the test database).
        await sync_to_async(connections.close_all, thread_sensitive=True)()

    assert response.status_code == 200
    assert response.is_async
    assert len(data) > 0
    if name == "sessions:export_json":
        assert json.loads(data)["counts"]["needs"] == 1
