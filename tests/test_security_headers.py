"""Every public page sends a strict CSP and the other security headers, Permissions-Policy
included. (`check --deploy` is tested in test_foundation.py.)"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from sessions.identity import participant_cookie_name
from tests.factories import LiveSessionFactory, ParticipantFactory, workshop_sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(client):
    sample = workshop_sample()
    live_session = LiveSessionFactory(code="K7HQ4P", taxonomy=sample["taxonomy"])
    participant = ParticipantFactory(live_session=live_session)
    user = get_user_model().objects.create_user("fac", password="pw")
    live_session.facilitators.add(user)
    code = live_session.code
    strategy = next(iter(sample["strategies"]))
    case = next(iter(sample["cases"]))
    category = next(iter(sample["categories"]))
    anonymous = {
        "home": reverse("home"),
        "taxonomy": reverse("taxonomy:overview"),
        "category": reverse("taxonomy:category", args=[category]),
        "strategy": reverse("taxonomy:strategy", args=[strategy]),
        "cases": reverse("taxonomy:cases"),
        "case": reverse("taxonomy:case", args=[case]),
        "references": reverse("taxonomy:references"),
        "search": reverse("taxonomy:search") + "?q=data",
        "join form": reverse("sessions:join_form"),
        "join": reverse("sessions:join", args=[code]),
        "board": reverse("sessions:board", args=[code]),
        "login": reverse("login"),
    }
    responses = {name: client.get(url) for name, url in anonymous.items()}
    client.cookies[participant_cookie_name(live_session)] = participant.token
    responses["participant"] = client.get(reverse("sessions:participant", args=[code]))
    client.force_login(user)
    responses["dashboard"] = client.get(reverse("sessions:dashboard", args=[code]))
    return responses


def directives(policy: str) -> dict[str, str]:
    return dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip()
    )


def test_every_public_page_has_a_strict_csp_and_security_headers(pages):
    for name, response in pages.items():
        assert response.status_code == 200, name
        policy = response.headers["Content-Security-Policy"]
        csp = directives(policy)
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, name
        assert "'nonce-" in csp["script-src"], name
        assert csp["frame-ancestors"] == "'none'", name
        assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'", name
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["Referrer-Policy"] == "same-origin", name
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin", name
        assert response.headers["X-Frame-Options"] == "DENY", name
        nonce = csp["script-src"].split("'nonce-")[1].split("'")[0]
        assert response.text.count("<script") == response.text.count(f'nonce="{nonce}"'), name


def test_every_public_page_denies_powerful_browser_features(pages):
    for name, response in pages.items():
        policy = response.headers["Permissions-Policy"]
        features = dict(item.strip().split("=") for item in policy.split(","))
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert features[feature] == "()", (name, feature)


def test_error_and_redirect_responses_carry_the_headers_too(client):
    for response in (client.get("/no-such-page/"), client.get(reverse("sessions:facilitate"))):
        assert response.status_code in (302, 404)
        assert "camera=()" in response.headers["Permissions-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_participant_and_facilitator_pages_are_never_cached(client, live_session, participant):
    from tests.conftest import client_for

    facilitator = get_user_model().objects.create_user("fac", password="pw")
    live_session.facilitators.add(facilitator)
    phone = client_for(client, participant).get(
        reverse("sessions:participant", args=[live_session.code])
    )
    client.force_login(facilitator)
    dashboard = client.get(reverse("sessions:dashboard", args=[live_session.code]))

    for response in (phone, dashboard):
        assert response.status_code == 200
        assert "no-store" in response.headers["Cache-Control"]
        assert "private" in response.headers["Cache-Control"]


def test_an_htmx_answer_gets_the_strict_policy_every_time(client, live_session, participant):
    """The answers without a nonce (a vote's, a post's) take the policy built once per worker
    (commonground.middleware.CSPMiddleware): the same as django-csp's, on every answer."""
    from csp.utils import build_policy

    from sessions.enums import Phase
    from sessions.models import LiveSession
    from tests.conftest import client_for
    from tests.factories import NeedFactory

    LiveSession.objects.filter(pk=live_session.pk).update(phase=Phase.VOTING)
    need = NeedFactory(live_session=live_session)
    phone = client_for(client, participant)
    url = reverse("sessions:vote", args=[live_session.code])
    answers = [
        phone.post(url, {"kind": "need", "item": need.pk, "action": "add"}, HTTP_HX_REQUEST="true")
        for _ in range(2)
    ]

    for answer in answers:
        assert answer.status_code == 200
        assert answer.headers["Content-Security-Policy"] == build_policy()
        csp = directives(answer.headers["Content-Security-Policy"])
        assert csp["script-src"] == "'self'" and csp["object-src"] == "'none'"
        assert "Content-Security-Policy-Report-Only" not in answer.headers


def test_a_changed_policy_reaches_the_answers_and_pages_keep_their_nonces(
    client, live_session, participant, settings
):
    from tests.conftest import client_for

    phone = client_for(client, participant)
    join_code = reverse("sessions:join_form")
    pages = [client.get(join_code) for _ in range(2)]
    nonces = [directives(page.headers["Content-Security-Policy"])["script-src"] for page in pages]
    assert nonces[0] != nonces[1] and all("'nonce-" in nonce for nonce in nonces)

    def answer():
        return phone.post(
            reverse("sessions:vote", args=[live_session.code]),
            {"kind": "need", "item": 0, "action": "add"},
            HTTP_HX_REQUEST="true",
        )

    assert directives(answer().headers["Content-Security-Policy"])["img-src"] == "'self' data:"
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "img-src": ["'self'"]}
    }
    assert directives(answer().headers["Content-Security-Policy"])["img-src"] == "'self'"


def test_the_service_worker_keeps_its_own_policy(client, live_session):
    worker = client.get(reverse("sessions:offline_worker", args=[live_session.code]))
    csp = directives(worker.headers["Content-Security-Policy"])
    assert csp["default-src"] == "'none'" and csp["connect-src"] == "'self'"
