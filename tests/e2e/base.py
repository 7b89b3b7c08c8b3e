"""Browser tests: Playwright driving Debian's Chromium against a Daphne live server.

Every page a test opens is checked for requests to any host but the live server (privacy:
nothing is loaded from elsewhere) and can be checked with axe-core.
"""

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from asgiref.sync import SyncToAsync
from axe_playwright_python.sync_playwright import Axe
from channels.layers import channel_layers
from channels.testing import ChannelsLiveServerTestCase
from daphne.testing import DaphneProcess
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
# The phone the issue 14 measures were taken on, and the smallest one, used with 200 % text.
PHONE_390 = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
PHONE_320 = {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1280, "height": 800}}
PROJECTOR = {"viewport": {"width": 1920, "height": 1080}}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}

_axe = Axe()


class ForkedDaphneProcess(DaphneProcess):
    """The live server, forked from the test process, starts without the parent's threads:
    asgiref's single-thread executor may hold a worker thread that no longer exists in the
    child (sync work would queue forever), and a channel layer may hold Redis connections and
    subscriptions of the parent's event loops. Its WebSocket message limit is every server's."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kwargs.setdefault("websocket_max_frame_size", settings.DAPHNE_WEBSOCKET_MAX_FRAME_SIZE)
        self.kwargs.setdefault(
            "websocket_max_message_size", settings.DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE
        )

    def run(self) -> None:
        SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)
        channel_layers.backends.clear()
        super().run()


class BrowserTestCase(ChannelsLiveServerTestCase):
    ProtocolServerProcess = ForkedDaphneProcess
    browser: Browser

    @classmethod
    def setUpClass(cls) -> None:
        # Playwright's sync API runs an event loop in this thread, so Django would refuse ORM
        # calls from the test; allowed for browser tests only, and restored afterwards.
        cls._async_unsafe_before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        # The live server is forked from this process: it must not inherit an open database
        # socket, or both processes would talk over it at once (the child's own resets are in
        # ForkedDaphneProcess).
        connections.close_all()
        super().setUpClass()
        cls._playwright = sync_playwright().start()
        cls.browser = cls._playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )

    @classmethod
    def tearDownClass(cls) -> None:
        cls.browser.close()
        cls._playwright.stop()
        super().tearDownClass()
        if cls._async_unsafe_before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = cls._async_unsafe_before

    def setUp(self) -> None:
        super().setUp()
        self.foreign_requests: list[str] = []
        self._contexts: list[BrowserContext] = []

    def tearDown(self) -> None:
        for context in self._contexts:
            context.close()
        self.assertEqual(self.foreign_requests, [], "a page requested another host")
        super().tearDown()

    def _fixture_teardown(self) -> None:
        # The flush's TRUNCATE can deadlock with a request the live server is still answering
        # (a socket's snapshot, a poll) for the page just closed: PostgreSQL aborts one of
        # them, the flush fails having emptied nothing, and every later test meets the old
        # rows (CI: "deadlock detected", then a second default taxonomy). Run it again.
        for attempt in range(3):
            try:
                super()._fixture_teardown()
                return
            except CommandError as error:
                cause = getattr(error.__cause__, "__cause__", None) or error.__cause__
                if attempt == 2 or getattr(cause, "sqlstate", None) != "40P01":
                    raise
                time.sleep(0.5)

    def new_page(self, device: dict | None = None, **options) -> Page:
        """A page in a fresh context (its own cookies); phone-sized unless told otherwise."""
        context = self.browser.new_context(**{**(device or PHONE), **options})
        context.set_default_timeout(10_000)
        context.route("**/*", self._only_local)
        self._contexts.append(context)
        return context.new_page()

    def _only_local(self, route, request) -> None:
        host = urlsplit(request.url).hostname or ""
        if request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            self.foreign_requests.append(request.url)
            route.abort()

    def joined_page(self, participant, device: dict | None = None, path: str = "") -> Page:
        """A page already joined as ``participant`` (its device cookie set), at ``path``
        (the participant page by default), its socket open."""
        page = self.new_page(device)
        code = participant.live_session.code
        host = urlsplit(self.live_server_url).hostname
        page.context.add_cookies(
            [{"name": f"cg_p_{code}", "value": participant.token, "domain": host, "path": "/"}]
        )
        page.goto(f"{self.live_server_url}{path or f'/s/{code}/'}")
        return page

    def facilitator_page(self, username: str, password: str, path: str) -> Page:
        """A laptop page at ``path`` of the facilitators' area, logged in through the form
        that path sends an anonymous visitor to."""
        page = self.new_page(LAPTOP)
        page.goto(f"{self.live_server_url}{path}")
        expect(page).to_have_url(re.compile("/accounts/login/"))
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(f"{re.escape(path)}$"))
        return page

    def assert_on_first_screen(self, page: Page, locator, *, whole: bool = True) -> None:
        """``locator`` is on the first screen, without scrolling: all of it, or (``whole``
        False) at least its first line."""
        page.evaluate("window.scrollTo(0, 0)")
        box = locator.bounding_box()
        height = page.viewport_size["height"]
        self.assertIsNotNone(box, f"{locator} is not shown")
        self.assertGreaterEqual(box["y"], 0, f"{locator} is above the screen")
        bottom = box["y"] + box["height"] if whole else box["y"] + min(box["height"], 32)
        self.assertLessEqual(bottom, height, f"{locator} ends at {bottom}px, below {height}px")

    def assert_accessible(self, page: Page) -> None:
        """axe-core finds no WCAG 2.x A/AA violation on the page as it is now."""
        # Not mid-hover: a button under the pointer is caught in its colour transition.
        page.mouse.move(0, 0)
        page.wait_for_timeout(250)
        results = _axe.run(
            page,
            options={
                "runOnly": {
                    "type": "tag",
                    "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
                }
            },
        )
        self.assertEqual(results.violations_count, 0, f"{page.url}\n{results.generate_report()}")
