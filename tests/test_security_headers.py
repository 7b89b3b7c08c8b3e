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
