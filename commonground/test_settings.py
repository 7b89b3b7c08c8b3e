"""Test settings: the production settings with test-only shortcuts.

DATABASE_URL and REDIS_URL are honoured, so CI proves the PostgreSQL and Redis stack.
"""

import os
import uuid

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from commonground.settings import *  # noqa: E402,F403
from commonground.settings import (  # noqa: E402
    BASE_DIR,
    CHANNEL_LAYERS,
    DATABASE_VENDOR,
    DATABASES,
    REDIS_URL,
)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The manifest storage 404s before collectstatic; the live server serves plain files.
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

if DATABASE_VENDOR == "postgresql":
    # The browser tests fork a Daphne server from this process: a psycopg pool's open sockets
    # would be shared by both processes and their answers interleaved (seen in CI as
    # "TableInfo() takes 4 positional arguments but 23 were given" during a flush).
    DATABASES["default"]["OPTIONS"].pop("pool", None)
    # Named explicitly: Channels' live server derives the name from TEST.NAME, and would
    # otherwise prefix "test_" a second time to the already renamed database.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}"}

if DATABASE_VENDOR == "sqlite3":
    # A file, not memory: the Daphne live server for browser tests runs in another process.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}

if REDIS_URL and "CHANNEL_LAYER_PREFIX" not in os.environ:
    # A fresh prefix per run, so no message from an earlier run reaches a test's group.
    # Server processes that must talk to each other (test_two_workers) share one through
    # CHANNEL_LAYER_PREFIX.
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"cg-test-{uuid.uuid4().hex[:8]}"

if REDIS_URL:
    # Rate-limit counters of this run under the same per-run prefix: tests clear them, and must
    # not clear another run's.
    CACHES["default"]["KEY_PREFIX"] = CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]  # noqa: F405

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Push live updates at once in tests; tests of coalescing set a window themselves.
LIVE_COALESCE_SECONDS = 0
# Merge suggestions in the writing request, where a test's transaction can see its needs;
# tests of the background refresh set a window themselves.
MERGE_SUGGESTIONS_SECONDS = 0
