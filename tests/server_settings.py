"""Settings of the app workers tests start as processes (tests/servers.py): the production
settings (DEBUG off, the psycopg pool, the coalescing window, Redis timeouts) with plain static
files (no collectstatic) over plain HTTP."""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from commonground.settings import *  # noqa: E402,F403
from commonground.settings import CACHES, CHANNEL_LAYERS, REDIS_URL  # noqa: E402

STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

if REDIS_URL:
    # Workers sharing a Redis with other tests keep their counters under their own prefix.
    CACHES["default"]["KEY_PREFIX"] = CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
