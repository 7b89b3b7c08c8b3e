"""The door's proof of work (issue 21): a client that drops its cookies joined without limit
(1,975 participants in 59 s on two workers). Where the join page can ask one (a secure
context), a join needs a solved ALTCHA challenge of this session, fresh and used once; a
missing, wrong, expired or replayed one is refused next to the Join button with nothing
chosen lost, and browsers without JavaScript have a side door of a few joins a minute."""

import base64
import json
import re
from pathlib import Path

import altcha
import pytest
from django.test import override_settings
from django.urls import reverse

from sessions import proof_of_work, services
from sessions.models import LiveSession, Participant
from sessions.services.common import JOINS_WITHOUT_PROOF_PER_MINUTE
from tests.factories import LiveSessionFactory, ParticipantFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
CHOSEN = {"presence": "remote", "agree": "on", "display_name": "Ada"}
# Small challenges, so that the tests solve them in milliseconds.
CHEAP = {"JOIN_CHALLENGE_COST": 10, "JOIN_CHALLENGE_NUMBER": 50}


@pytest.fixture(autouse=True)
def _cheap_challenges(settings):
    settings.JOIN_CHALLENGE = True
    for name, value in CHEAP.items():
        setattr(settings, name, value)


def solved(challenge: dict) -> str:
    """What a browser posts: the challenge and its solution, found as the widget finds it."""
    parsed = altcha.Challenge.from_dict(challenge)
    return altcha.Payload(parsed, altcha.solve_challenge(parsed)).to_base64()


def challenge_for(client, live_session) -> dict:
    response = client.get(reverse("sessions:join_challenge", args=[live_session.code]), secure=True)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    return response.json()


def post_join(client, live_session, proof=None, **data):
    body = {**CHOSEN, **data} | ({"altcha": proof} if proof is not None else {})
    return client.post(reverse("sessions:join", args=[live_session.code]), body, secure=True)


def answer_beside_join(response) -> str:
    """The refusal said next to the Join button (and described by it)."""
    html = response.text
    assert 'aria-describedby="join-answer"' in html
    answer = html.split('id="join-answer"')[1].split("</div>")[0]
    assert html.index('id="join-answer"') < html.index(">Join</button>")
    return answer


def assert_nothing_chosen_lost(response) -> None:
    remote = re.search(r'<input[^>]*value="remote"[^>]*>', response.text).group(0)
    assert " checked" in remote
    assert 'value="Ada"' in response.text
    agree = re.search(r'<input[^>]*name="agree"[^>]*>', response.text).group(0)
    assert " checked" in agree


def test_a_solved_challenge_lets_one_browser_in(client, live_session):
    proof = solved(challenge_for(client, live_session))

    response = post_join(client, live_session, proof)

    assert response.status_code == 302
    assert Participant.objects.get().display_name == "Ada"


def test_the_join_page_asks_for_the_check_only_where_a_browser_can_do_it(client, live_session):
    url = reverse("sessions:join", args=[live_session.code])

    over_https = client.get(url, secure=True)
    on_localhost = client.get(url, headers={"host": "localhost:8000"})
    on_a_lan_over_http = client.get(url)  # make run on the room's Wi-Fi: no secure context

    challenge_url = reverse("sessions:join_challenge", args=[live_session.code])
    assert f'data-challenge-url="{challenge_url}"' in over_https.text
    assert "vendor/altcha/altcha.min.js" in over_https.text
    assert "vendor/altcha/workers/pbkdf2.js" in over_https.text
    assert f'data-challenge-url="{challenge_url}"' in on_localhost.text
    assert "data-challenge-url" not in on_a_lan_over_http.text
    assert client.get(challenge_url).status_code == 404
    assert post_join(client, live_session).status_code == 302  # asked none, none needed


def test_the_check_says_what_it_does_in_both_languages(client, live_session):
    url = reverse("sessions:join", args=[live_session.code])

    english = client.get(url, secure=True)
    french = client.get(url, secure=True, headers={"accept-language": "fr"})

    assert "This phone is ready to join." in english.text
    assert "so that no script can fill the room" in english.text
    assert "Ce téléphone est prêt : vous pouvez participer." in french.text
    assert "pour qu’aucun script ne puisse remplir la salle" in french.text


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("garbage", "This phone’s check did not work out. A new one is running"),
        ("wrong answer", "This phone’s check did not work out. A new one is running"),
        ("tampered", "This phone’s check did not work out. A new one is running"),
        ("another session's", "This phone’s check did not work out. A new one is running"),
        ("unsigned", "This phone’s check did not work out. A new one is running"),
        ("expired", "This page was open for a long time and its check ran out."),
    ],
)
def test_a_bad_solution_is_refused_next_to_join_with_nothing_lost(
    client, live_session, settings, kind, said
):
    if kind == "expired":
        settings.JOIN_CHALLENGE_SECONDS = -5
    challenge = challenge_for(client, live_session)
    proof = solved(challenge)
    payload = json.loads(base64.b64decode(proof))
    if kind == "garbage":
        proof = "not-a-payload=="
    elif kind == "wrong answer":
        payload["solution"]["counter"] += 1
        payload["solution"]["derivedKey"] = "00" * 32
    elif kind == "tampered":  # an easier challenge, its signature kept
        payload["challenge"]["parameters"]["cost"] = 1
    elif kind == "another session's":
        other = LiveSessionFactory(code="PQRXY3")
        payload = json.loads(base64.b64decode(solved(challenge_for(client, other))))
    elif kind == "unsigned":
        payload["challenge"].pop("signature")
    if kind not in ("garbage", "expired"):
        proof = base64.b64encode(json.dumps(payload).encode()).decode()

    response = post_join(client, live_session, proof)

    assert response.status_code == 422
    assert said in answer_beside_join(response)
    assert_nothing_chosen_lost(response)
    assert not Participant.objects.exists()


def test_a_solution_cannot_be_replayed(client, live_session):
    proof = solved(challenge_for(client, live_session))
    assert post_join(client, live_session, proof).status_code == 302
    client.cookies.clear()  # a script drops its cookies and sends the same solution again

    response = post_join(client, live_session, proof, display_name="Ada")

    assert response.status_code == 422
    assert "That check was already used to join." in answer_beside_join(response)
    assert Participant.objects.count() == 1


def test_a_missing_solution_is_let_in_only_through_the_side_door(client, live_session):
    for _ in range(JOINS_WITHOUT_PROOF_PER_MINUTE):  # browsers without JavaScript
        client.cookies.clear()
        assert post_join(client, live_session, proof="").status_code == 302
    client.cookies.clear()

    response = post_join(client, live_session, proof="")

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    said = answer_beside_join(response)
    assert "Joining without JavaScript is limited to a few people a minute" in said
    assert "turn JavaScript on" in said
    assert_nothing_chosen_lost(response)
    assert Participant.objects.count() == JOINS_WITHOUT_PROOF_PER_MINUTE
    # A browser that did the check still gets in.
    assert (
        post_join(client, live_session, solved(challenge_for(client, live_session))).status_code
        == 302
    )


def test_a_refused_solution_counts_against_no_join_limit(client, live_session):
    for _ in range(services.JOINS_PER_MINUTE_PER_BROWSER + 2):
        assert post_join(client, live_session, "rubbish").status_code == 422

    assert (
        post_join(client, live_session, solved(challenge_for(client, live_session))).status_code
        == 302
    )


def test_a_challenge_signed_with_another_secret_key_is_refused(client, live_session):
    with override_settings(SECRET_KEY="another-deployment-" + "y" * 40):
        proof = solved(challenge_for(client, live_session))

    assert post_join(client, live_session, proof).status_code == 422


def test_a_closed_door_gives_no_challenge(client, live_session):
    LiveSession.objects.filter(pk=live_session.pk).update(door_closed=True)

    response = client.get(reverse("sessions:join_challenge", args=[live_session.code]), secure=True)

    assert response.status_code == 403
    assert "closed the door" in response.json()["error"]


def test_a_challenge_names_its_session_and_expires(client, live_session, settings):
    challenge = challenge_for(client, live_session)

    parameters = challenge["parameters"]
    assert parameters["algorithm"] == "PBKDF2/SHA-256"
    assert parameters["cost"] == settings.JOIN_CHALLENGE_COST
    assert parameters["data"] == {"session": live_session.code}
    assert parameters["expiresAt"] > 0
    assert challenge["signature"] and parameters["keySignature"]


def test_the_check_is_harder_only_past_a_plenarys_pace(settings):
    settings.JOIN_CHALLENGE_NUMBER = 800

    assert proof_of_work.ceiling(0) == 800
    assert proof_of_work.ceiling(1000) == 800  # a plenary of 1,000 a minute pays the base
    assert proof_of_work.ceiling(2000) == 2000
    assert proof_of_work.ceiling(3000) == 3200
    assert proof_of_work.ceiling(10_000) == 3200  # never past four times


def test_the_answer_hides_below_the_current_ceiling(live_session, settings):
    settings.JOIN_CHALLENGE_NUMBER = 4
    settings.JOIN_CHALLENGE_COST = 1
    ParticipantFactory.create_batch(3, live_session=live_session)

    counters = {
        altcha.solve_challenge(
            altcha.Challenge.from_dict(proof_of_work.new_challenge(live_session))
        ).counter
        for _ in range(40)
    }

    assert counters <= {0, 1, 2, 3} and len(counters) > 1


def test_the_widget_is_vendored_with_its_version_and_the_csp_allows_only_our_workers(client):
    version = json.loads((ROOT / "package.json").read_text())["dependencies"]["altcha"]
    vendored = ROOT / "static" / "vendor" / "altcha"

    assert (vendored / "VERSION").read_text().strip() == version
    assert (vendored / "altcha.min.js").stat().st_size > 10_000
    assert (vendored / "workers" / "pbkdf2.js").exists()
    csp = client.get(reverse("sessions:join_form"))["Content-Security-Policy"]
    assert "worker-src 'self'" in csp
    assert "unsafe-inline" not in csp and "blob:" not in csp
