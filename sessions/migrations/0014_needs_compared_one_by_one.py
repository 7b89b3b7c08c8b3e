"""Merge suggestions: each need remembers when its words were compared, instead of the session
remembering the newest change compared. A need whose transaction committed after a
later-stamped need had been compared fell below the session's mark and was never compared."""

from django.db import migrations, models
from django.db.models import F


def mark_compared(apps, schema_editor):
    """What the session's mark said was compared stays compared (not compared again)."""
    LiveSession = apps.get_model("live_sessions", "LiveSession")
    Need = apps.get_model("live_sessions", "Need")
    marked = LiveSession.objects.exclude(needs_compared_up_to=None)
    for live_session_id, up_to in marked.values_list("pk", "needs_compared_up_to"):
        Need.objects.filter(live_session_id=live_session_id, updated__lte=up_to).update(
            compared_at=F("updated")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("live_sessions", "0013_session_texts_in_french"),
    ]

    operations = [
        migrations.AddField(
            model_name="need",
            name="compared_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(mark_compared, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="livesession",
            name="needs_compared_up_to",
        ),
    ]
