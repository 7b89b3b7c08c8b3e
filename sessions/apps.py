from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SessionsConfig(AppConfig):
    name = "sessions"
    # django.contrib.sessions already owns the label "sessions". Never change this label once
    # migrations exist: it is baked into table names and migration dependencies.
    label = "live_sessions"
    verbose_name = _("Live sessions")
    default_auto_field = "django.db.models.BigAutoField"
