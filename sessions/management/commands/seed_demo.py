from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from sessions.demo import create_demo_session
from taxonomy.queries import default_taxonomy

DEMO_USERNAME = "facilitator"
# The documented demo login, printed by `make run` (bandit: accepted, see pyproject.toml).
DEMO_PASSWORD = "commonground-demo"  # nosec B105


class Command(BaseCommand):
    help = (
        "Create the demo facilitator account and a demo session with sample contributions "
        "(idempotent), and print the URLs to open. The account facilitates the demo session "
        "only: no staff or superuser rights. Outside DEBUG it needs --password, since the "
        "default password is published."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument(
            "--password",
            default="",
            help="the demo facilitator's password (required unless DEBUG is true)",
        )

    def handle(self, *args, base_url: str, password: str, **options):
        if not password and not settings.DEBUG:
            raise CommandError(
                "seed_demo creates a login whose default password is published: outside DEBUG, "
                "give it one with --password."
            )
        taxonomy = default_taxonomy()
        if taxonomy is None:
            raise CommandError("No taxonomy is loaded: run `python manage.py load_taxonomy` first.")
        user, created = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
        # An account made by an earlier version was a superuser: it facilitates, nothing more.
        user.is_staff = user.is_superuser = False
        if created or password:
            user.set_password(password or DEMO_PASSWORD)
        user.save()
        live_session = create_demo_session(taxonomy=taxonomy, facilitator=user)
        code = live_session.code
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Common Ground is starting. Open:",
                    f"  Home:          {base_url}/",
                    f"  Taxonomy:      {base_url}{reverse('taxonomy:overview')}",
                    f"  Join (phone):  {base_url}{reverse('sessions:join', args=[code])}   code {code}",
                    f"  Board:         {base_url}{reverse('sessions:board', args=[code])}",
                    f"  Facilitate:    {base_url}{reverse('sessions:dashboard', args=[code])}",
                    f"  Facilitator login: {DEMO_USERNAME} / "
                    + ("(the password given)" if password else f"{DEMO_PASSWORD}  (demo only)"),
                    "",
                ]
            )
        )
