"""The strategy picker's type-to-narrow on a phone: words match without their accents or case,
as a phone's keyboard types them ("theorisation" finds "Théorisation populaire" for a French
reader, "légal" finds "Legal contestation"), and a ticked strategy stays listed."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from sessions.enums import Phase
from tests.e2e.base import PHONE_390, BrowserTestCase
from tests.factories import LiveSessionFactory, NeedFactory, ParticipantFactory, workshop_sample

pytestmark = pytest.mark.e2e

CODE = "P1CKR5"


class StrategyPickerFilterTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        sample = workshop_sample()
        folk = sample["strategies"]["folk-theorisation"]
        folk.name_fr = "Théorisation populaire"
        folk.summary_fr = "Des théories partagées sur la façon dont un système nous traite."
        folk.save()
        self.live_session = LiveSessionFactory(
            code=CODE, taxonomy=sample["taxonomy"], phase=Phase.MAPPING
        )
        self.me = ParticipantFactory(live_session=self.live_session)
        self.need = NeedFactory(
            author=ParticipantFactory(live_session=self.live_session),
            text="Know why our posts about queer health are hidden",
        )

    def picker(self, **options) -> Page:
        page = self.new_page(PHONE_390, **options)
        host = self.live_server_url.split("//")[1].split(":")[0]
        page.context.add_cookies(
            [{"name": f"cg_p_{CODE}", "value": self.me.token, "domain": host, "path": "/"}]
        )
        page.goto(self.live_server_url + reverse("sessions:map", args=[CODE, self.need.pk]))
        return page

    def option(self, page: Page, name: str):
        return page.locator(".picker-option", has_text=name)

    def test_a_french_reader_finds_a_strategy_typed_without_its_accents(self) -> None:
        page = self.picker(locale="fr-FR")
        expect(self.option(page, "Théorisation populaire")).to_be_visible()

        page.locator("#strategy-filter").fill("THEORISATION")

        expect(self.option(page, "Théorisation populaire")).to_be_visible()
        expect(self.option(page, "Data strikes")).to_be_hidden()
        self.assert_accessible(page)

    def test_accents_typed_where_the_name_has_none_still_match(self) -> None:
        page = self.picker()
        page.locator("#strategy-filter").fill("légal")

        expect(self.option(page, "Legal contestation")).to_be_visible()
        expect(self.option(page, "Folk theorisation")).to_be_hidden()

    def test_a_ticked_strategy_stays_listed_whatever_is_typed(self) -> None:
        page = self.picker()
        self.option(page, "Data strikes").get_by_role("checkbox").check()

        page.locator("#strategy-filter").fill("recourse")

        expect(self.option(page, "Algorithmic recourse")).to_be_visible()
        expect(self.option(page, "Data strikes")).to_be_visible()
        expect(self.option(page, "Legal contestation")).to_be_hidden()
