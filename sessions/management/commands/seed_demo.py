from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_USERNAME = "facilitator"
DEMO_PASSWORD = "commonground-demo"


class Command(BaseCommand):
    help = "Create the demo facilitator account (idempotent) and print the URLs to open."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, base_url: str, **options):
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Common Ground is starting:",
                    f"  Home:        {base_url}/",
                    f"  Taxonomy:    {base_url}/taxonomy/",
                    f"  Join:        {base_url}/join/",
                    f"  Admin:       {base_url}/admin/",
                    f"  Facilitator login: {DEMO_USERNAME} / {DEMO_PASSWORD} (demo only)",
                    "",
                ]
            )
        )
