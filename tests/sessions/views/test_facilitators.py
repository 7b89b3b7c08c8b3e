"""Who facilitates a session: only its owner (or a superuser) changes it, the owner always
stays, and accounts are found by name, never listed."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from sessions import services
from sessions.models import LiveSession, ModerationAction

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def owner(live_session, facilitator):
    LiveSession.objects.filter(pk=live_session.pk).update(owner=facilitator)
    live_session.refresh_from_db()
    return facilitator


@pytest.fixture
def co_facilitator(live_session):
    user = User.objects.create_user("colleague", password="pw")
    live_session.facilitators.add(user)
    return user


def change(client, live_session, user, action):
    return client.post(
        reverse("sessions:facilitators", args=[live_session.code]),
        {"user": user.pk, "action": action},
        follow=True,
    )


def test_a_new_session_is_owned_by_the_one_who_created_it(live_session, facilitator):
    created = services.create_live_session(
        title="Mine", taxonomy=live_session.taxonomy, facilitator=facilitator
    )

    assert created.owner == facilitator


def test_the_owner_adds_and_removes_co_facilitators(client, live_session, owner):
    someone = User.objects.create_user("someone", password="pw")
    client.force_login(owner)

    added = change(client, live_session, someone, "add")
    assert live_session.facilitators.filter(pk=someone.pk).exists()
    removed = change(client, live_session, someone, "remove")

    assert "someone facilitates this session now." in added.text
    assert "someone no longer facilitates this session." in removed.text
    assert list(live_session.facilitators.all()) == [owner]
    assert list(ModerationAction.objects.values_list("action", flat=True).order_by("pk")) == [
        "add-facilitator",
        "remove-facilitator",
    ]


def test_a_co_facilitator_cannot_change_who_facilitates(
    client, live_session, owner, co_facilitator
):
    newcomer = User.objects.create_user("newcomer", password="pw")
    client.force_login(co_facilitator)

    refused_add = change(client, live_session, newcomer, "add")
    refused_remove = change(client, live_session, owner, "remove")

    assert "Only the session&#x27;s owner changes who facilitates it." in refused_add.text
    assert "Only the session&#x27;s owner changes who facilitates it." in refused_remove.text
    assert set(live_session.facilitators.all()) == {owner, co_facilitator}


def test_nobody_removes_the_owner(client, live_session, owner):
    admin = User.objects.create_superuser("admin", password="pw")
    client.force_login(admin)

    response = change(client, live_session, owner, "remove")

    assert "The session&#x27;s owner always facilitates it." in response.text
    assert live_session.facilitators.filter(pk=owner.pk).exists()


def test_accounts_are_found_by_name_never_listed(client, live_session, owner):
    for name in ("alex-tremblay", "alexis", "sam", "jordan"):
        User.objects.create_user(name, password="pw")
    User.objects.create_user("alex-inactive", password="pw", is_active=False)
    client.force_login(owner)
    url = reverse("sessions:facilitators", args=[live_session.code])

    page = client.get(reverse("sessions:settings", args=[live_session.code]))
    too_short = client.get(url, {"q": "al"}, headers={"HX-Request": "true"})
    found = client.get(url, {"q": "ALEX"}, headers={"HX-Request": "true"})

    assert not any(name in page.text for name in ("alex-tremblay", "alexis", "sam", "jordan"))
    assert "alexis" not in too_short.text and "at least 3 characters" in too_short.text
    assert "alex-tremblay" in found.text and "alexis" in found.text
    assert "sam" not in found.text and "alex-inactive" not in found.text


def test_a_co_facilitator_sees_who_facilitates_without_the_controls(
    client, live_session, owner, co_facilitator
):
    client.force_login(co_facilitator)

    page = client.get(reverse("sessions:settings", args=[live_session.code]))
    search = client.get(
        reverse("sessions:facilitators", args=[live_session.code]),
        {"q": "colleague"},
        headers={"HX-Request": "true"},
    )

    assert "Who facilitates" in page.text and owner.username in page.text
    assert 'name="action" value="remove"' not in page.text
    assert 'name="action" value="add"' not in search.text
