"""axe-core on every page, in English and French, in light and dark mode."""

import pytest
from django.contrib.auth import get_user_model

from tests.e2e.base import LAPTOP, BrowserTestCase
from tests.factories import LiveSessionFactory, NeedFactory, ParticipantFactory, workshop_sample

pytestmark = pytest.mark.e2e

CODE = "K7HQ4P"


class EveryPageTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.sample = workshop_sample()
        self.live_session = LiveSessionFactory(code=CODE, taxonomy=self.sample["taxonomy"])
        self.participant = ParticipantFactory(live_session=self.live_session)
        NeedFactory(author=self.participant, text="Captions for every video")
        self.facilitator = get_user_model().objects.create_user("ada", password="pw-tests-only")
        self.live_session.facilitators.add(self.facilitator)
        self.live_session.owner = self.facilitator  # the settings page shows its owner's tools
        self.live_session.save()
        get_user_model().objects.create_user("adam-colleague", password="pw-tests-only")

    def pages(self) -> list[str]:
        strategy = next(iter(self.sample["strategies"].values()))
        case = next(iter(self.sample["cases"].values()))
        return [
            "/",
            "/accessibility/",
            "/taxonomy/",
            strategy.category.get_absolute_url(),
            strategy.get_absolute_url(),
            case.get_absolute_url(),
            "/taxonomy/cases/",
            "/taxonomy/references/",
            "/taxonomy/search/?q=data",
            "/taxonomy/evidence/",
            "/join/",
            f"/join/{CODE}/",
            f"/s/{CODE}/",
            f"/s/{CODE}/erase/",
            f"/s/{CODE}/board/",
            f"/s/{CODE}/board/phone/",
            "/join/ZZZZZZ/",
            "/accounts/login/",
            "/facilitate/",
            f"/facilitate/{CODE}/",
            f"/facilitate/{CODE}/settings/",
            f"/facilitate/{CODE}/settings/?q=adam",
            "/facilitate/new/",
            "/facilitate/new/template/",
            f"/facilitate/{CODE}/export/",
            f"/facilitate/{CODE}/export/report/",
            f"/facilitate/{CODE}/evidence/",
            f"/s/{CODE}/results/",
            f"/s/{CODE}/poster/",
        ]

    def test_every_page_in_both_languages_and_colour_modes(self) -> None:
        for language in ("en", "fr"):
            for scheme in ("light", "dark"):
                with self.subTest(language=language, scheme=scheme):
                    page = self.new_page(LAPTOP, color_scheme=scheme, locale=language)
                    host = self.live_server_url.split("//")[1].split(":")[0]
                    page.context.add_cookies(
                        [
                            {
                                "name": "django_language",
                                "value": language,
                                "domain": host,
                                "path": "/",
                            },
                            {
                                "name": f"cg_p_{CODE}",
                                "value": self.participant.token,
                                "domain": host,
                                "path": "/",
                            },
                        ]
                    )
                    page.goto(f"{self.live_server_url}/accounts/login/")
                    page.locator("#id_username").fill("ada")
                    page.locator("#id_password").fill("pw-tests-only")
                    page.locator("#main form [type=submit]").click()
                    page.wait_for_url("**/facilitate/")
                    for path in self.pages():
                        page.goto(f"{self.live_server_url}{path}")
                        self.assertEqual(page.locator("html").get_attribute("lang"), language, path)
                        self.assert_accessible(page)
