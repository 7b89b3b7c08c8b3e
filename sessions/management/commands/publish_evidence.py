"""Publish a finished session's counts to the evidence across workshops, or take them back:

python manage.py publish_evidence K7HQ4P
python manage.py publish_evidence K7HQ4P --unpublish
"""

from django.core.management.base import BaseCommand, CommandError

from sessions import services
from sessions.models import LiveSession


class Command(BaseCommand):
    help = "Publish a finished session's aggregate counts to the public evidence (or unpublish)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("code", help="the session's join code")
        parser.add_argument("--unpublish", action="store_true", help="take its counts back")

    def handle(self, *args, code: str, unpublish: bool, **options) -> None:
        live_session = LiveSession.objects.filter(code=code.upper()).first()
        if live_session is None:
            raise CommandError(f"No session has the code {code}.")
        if unpublish:
            found = services.unpublish_evidence(live_session=live_session, actor=None)
            self.stdout.write("Taken back." if found else "It was not published.")
            return
        try:
            workshop = services.publish_evidence(live_session=live_session, actor=None)
        except services.SessionError as exc:
            raise CommandError(str(exc)) from exc
        budget = services.evidence_budget(live_session)
        self.stdout.write(
            f"Published {workshop.title!r} with privacy noise: {workshop.participants} "
            f"participants (noisy). Privacy budget: ε {budget.spent.normalize()} of "
            f"{budget.total.normalize()} spent, {budget.releases_left} more publication(s)."
        )
