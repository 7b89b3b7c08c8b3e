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
        "(idempotent), and print the URLs to open."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, base_url: str, **options):
        taxonomy = default_taxonomy()
        if taxonomy is None:
            raise CommandError("No taxonomy is loaded: run `python manage.py load_taxonomy` first.")
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
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
                    f"  Admin:         {base_url}/admin/  (phases: Live sessions > action)",
                    f"  Facilitator login: {DEMO_USERNAME} / {DEMO_PASSWORD}  (demo only)",
                    "",
                ]
            )
        )
