"""Settings for Common Ground, read from the environment.

The embedded default (no variables set beyond DEBUG=true) is a SQLite file and the in-process
channel layer. DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis. With DEBUG=false the
production hardening below applies and SECRET_KEY is required.
"""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def gettext_noop(message: str) -> str:
    """Marks a string for makemessages without translating it here (settings load first)."""
    return message


BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is false")
    # Used only when DEBUG is true (bandit: accepted, see [tool.bandit] in pyproject.toml).
    SECRET_KEY = "dev-only-insecure-secret-key-never-use-in-production"  # nosec B105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",  # first: its runserver serves HTTP and WebSockets (Channels docs)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",  # keeps the label "sessions"; ours is live_sessions
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "taxonomy",
    "sessions.apps.SessionsConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "commonground.middleware.CSPMiddleware",  # django-csp's, its header built once
    "commonground.middleware.DatabaseUnavailableMiddleware",  # last: sees view errors first
]

ROOT_URLCONF = "commonground.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "commonground.context_processors.site",
            ],
        },
    },
]

ASGI_APPLICATION = "commonground.asgi.application"
WSGI_APPLICATION = None

# The largest WebSocket frame a server accepts, in bytes: a screen sends at most 2,048
# characters (sessions.live.groups.parse_client_message), 8 KiB in UTF-8, and the servers' own
# limits (16 MiB for uvicorn) let a few sockets take hundreds of MiB of a worker's memory. The
# shipped unit gives uvicorn --ws-max-size 16384 (incoming messages only). Daphne's runserver
# (make run) and the browser tests' live server read these two; autobahn, under Daphne, applies
# its message limit to what the server SENDS as well, and a snapshot is tens or hundreds of KB,
# so Daphne's messages keep its own 1 MiB default and only its frames get the small limit
# (tests/test_websocket_limits.py, tests/test_deploy_config.py).
DAPHNE_WEBSOCKET_MAX_FRAME_SIZE = 16384
DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE = 1024 * 1024

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASE_VENDOR = DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]  # "postgresql", "sqlite3"
DB_POOL_MAX = env.int("DB_POOL_MAX", default=20)  # per worker process, PostgreSQL only
# The event loop's own connections per worker, for a plenary's votes (commonground.async_db):
# a vote holds one for its few round trips; when all are busy a vote waits up to the pool's
# timeout, then goes the ordinary way. Workers x (DB_POOL_MAX + this) stay below PostgreSQL's
# max_connections.
DB_QUICK_POOL_MAX = env.int("DB_QUICK_POOL_MAX", default=8)
if DATABASE_VENDOR == "postgresql":
    # Django's backend with a circuit breaker on connections (commonground.database_breaker).
    DATABASES["default"]["ENGINE"] = "commonground.postgresql"
    # Under ASGI, persistent connections are unsafe; use psycopg's pool (Django docs, "databases").
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN", default=2),
        "max_size": DB_POOL_MAX,
        # The admission limit below keeps connections free for the requests let in, so a request
        # waits for one only when PostgreSQL is cut or hung: then a short wait, and the circuit
        # breaker it opens, keep a 4 s fault from stalling requests for 10 s and more
        # (tests/chaos/test_database_fault_burst.py).
        "timeout": env.float("DB_POOL_TIMEOUT", default=3),
        # psycopg_pool retries a failed connection with a doubling delay (1, 2, 4, ... s): after
        # a minute's outage the pool would stay empty for half a minute once PostgreSQL is back.
        # Giving up after 2 s instead ends the attempt; the next request starts a new one.
        "reconnect_timeout": 2,
    }
    # The pool checks a connection before handing it out (Django passes psycopg_pool's
    # check=ConnectionPool.check_connection when health checks are on; a "check" key in the pool
    # options would clash with it): after an outage, connections broken while PostgreSQL was
    # away are replaced instead of failing the first requests with 503.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A new connection to an unreachable or hung server gives up after this many seconds
    # (psycopg's default is 130), so the pool recovers as soon as the server is back.
    DATABASES["default"]["OPTIONS"].setdefault(
        "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=2)
    )
elif DATABASE_VENDOR == "sqlite3":
    # The laptop default must hold a room (bench/sqlite_burst.py). WAL lets pages read while a
    # participant writes. IMMEDIATE transactions take the write lock when they begin, so two
    # writers queue on the busy timeout instead of one failing at once with "database is
    # locked" (a deferred transaction that reads, then writes, cannot wait for the lock).
    # synchronous=NORMAL is safe with WAL (a power cut may lose the last commits, never
    # corrupt) and spares a disk flush per write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

# HTTP requests let into Django at once per worker process (commonground.concurrency); the
# rest wait their turn. Fewer than the pool's connections, so that a few stay free for
# WebSocket snapshots and live renders.
HTTP_CONCURRENCY = env.int("HTTP_CONCURRENCY", default=max(1, DB_POOL_MAX - 4))
# Views that answer without the database (as a phone first opens them): like static files, they
# are let in without waiting for one of those slots, which a database outage fills
# (commonground.concurrency). tests/test_http_stack.py checks that each makes no query.
DATABASE_FREE_VIEWS = ["sessions:join_form"]

REDIS_URL = env.str("REDIS_URL", default="")
# A hung Redis (paused, swapping, partitioned, CLIENT PAUSE during a failover) accepts
# connections and never answers. Every Redis socket of the cache and of the channel layer gives
# up after these many seconds, so a request waits a fraction of a second for Redis, not forever
# (tests/chaos/test_redis_hung.py, docs/reliability.md).
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=0.25)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.25)
REDIS_TIMEOUTS = {
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}
# With Redis: "pubsub" (RedisPubSubChannelLayer: one PUBLISH per group, fanned out inside each
# worker) or "core" (RedisChannelLayer: a group message is copied into every member channel's
# list, one Redis push per screen). pubsub is the default by the numbers in
# docs/performance.md (p95 at 500 screens: 245 ms against 3.5 s).
CHANNEL_LAYER_BACKEND = env.str("CHANNEL_LAYER_BACKEND", default="pubsub")
if CHANNEL_LAYER_BACKEND not in ("core", "pubsub"):
    raise ImproperlyConfigured("CHANNEL_LAYER_BACKEND must be core or pubsub")
if REDIS_URL and CHANNEL_LAYER_BACKEND == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                # The subscriber's idle reads pass their own 0.1 s timeout (channels-redis), so
                # the socket timeout bounds commands only and never closes an idle subscription.
                "hosts": [{"address": REDIS_URL, **REDIS_TIMEOUTS}],
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="commonground"),
            },
        }
    }
elif REDIS_URL:
    from commonground.channel_layers import BlockingReadConnection

    core_host = {"address": REDIS_URL, **REDIS_TIMEOUTS}
    if REDIS_URL.startswith("redis://"):  # TCP; rediss:// and unix:// keep their own class
        # Its blocking reads (BZPOPMIN, 5 s) get a timeout of their own: with the short socket
        # timeout, every idle read would time out (commonground.channel_layers).
        core_host["connection_class"] = BlockingReadConnection
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [core_host],
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="commonground"),
                "capacity": 1500,
                "expiry": 60,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "sessions:facilitate"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="America/Montreal")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where collectstatic writes and nginx serves from (deploy/nginx.conf's /static/ alias).
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Nothing in the app uses these browser features: denied to every frame (django-permissions-policy).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

# Strict Content Security Policy: no inline script or style, no eval, nothing from another host.
# htmx is configured (meta htmx-config) not to inject its indicator style or to eval.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        # The join's proof of work runs in web workers loaded from our own static files
        # (static/vendor/altcha/): never a blob: or data: worker.
        "worker-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# The language chosen with the switcher (django.views.i18n.set_language) is remembered in a
# cookie for a year: no account needed. Secure in production, below.
LANGUAGE_COOKIE_NAME = "django_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if not DEBUG:
    # Behind a TLS-terminating proxy (docs/deploy.md) that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True

# The workshop this deployment serves; shown in the header of every page. The defaults are
# marked for translation (gettext_noop) and translated when shown; other values show as given.
WORKSHOP = {
    "name": env.str("WORKSHOP_NAME", default="Common Ground"),
    "subtitle": env.str(
        "WORKSHOP_SUBTITLE",
        default=gettext_noop(
            "Closing the Gap Between Algorithmic Collective Action Research "
            "and LGBTQIA2S+ Community Needs"
        ),
    ),
    "venue": env.str("WORKSHOP_VENUE", default=gettext_noop("FAccT 2026 · CRAFT session")),
    "date": env.str("WORKSHOP_DATE", default="2026-06-25"),
    "time": env.str("WORKSHOP_TIME", default=gettext_noop("1:45–4:00 PM")),
    "place": env.str("WORKSHOP_PLACE", default="Le Centre Sheraton Montréal"),
    "hybrid_note": env.str(
        "WORKSHOP_HYBRID_NOTE", default=gettext_noop("In person with hybrid support")
    ),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        # A refused request (403, 400, 404) is one line, not a traceback (commonground.logs).
        "one_line_client_errors": {"()": "commonground.logs.OneLineClientErrors"},
        # No client address in any line, at any level (commonground.logs).
        "no_client_address": {"()": "commonground.logs.NoClientAddress"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["one_line_client_errors", "no_client_address"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    "loggers": {
        # Django's default gives "django" a console handler of its own when DEBUG is on, so each
        # of its lines (runserver's request lines among them) was printed twice: once there, once
        # by the root's. It keeps its level and reaches the root's handler only.
        "django": {"handlers": [], "propagate": True},
        # uvicorn writes the client's address into its INFO lines ("WebSocket /ws/... [accepted]"
        # even with --no-access-log, and every access line): whatever LOG_LEVEL says, only its
        # warnings and errors are kept (docs/deploy.md, "Privacy"), and those through the same
        # filter, since uvicorn's loggers write to handlers of their own.
        "uvicorn.error": {"level": "WARNING", "filters": ["no_client_address"]},
        "uvicorn.access": {"level": "WARNING", "filters": ["no_client_address"]},
    },
}

# The fan-out bench's stage-by-stage breakdown of each push (sessions.live.timeline): a file
# its lines go to, or nothing written.
LIVE_TIMELINE_LOG = env.str("LIVE_TIMELINE_LOG", default="")
if LIVE_TIMELINE_LOG:
    LOGGING["handlers"]["live_timeline"] = {
        "class": "logging.FileHandler",
        "filename": LIVE_TIMELINE_LOG,
        "formatter": "with_process",
    }
    LOGGING.setdefault("formatters", {})["with_process"] = {"format": "%(process)d %(message)s"}
    LOGGING["loggers"]["sessions.live.timeline"] = {
        "handlers": ["live_timeline"],
        "level": "DEBUG",
        "propagate": False,
    }

# A session pushes live updates at most once per window (the first change at once); changes
# inside the window are merged into the next push.
LIVE_COALESCE_SECONDS = env.float("LIVE_COALESCE_SECONDS", default=0.05)
# When pushing every change would take most of a worker (renders and deliveries to thousands of
# screens, at the rate changes arrive) the window stretches so that pushes take a quarter of
# the time, up to this many seconds (sessions.live.coalescer).
LIVE_COALESCE_MAX_SECONDS = env.float("LIVE_COALESCE_MAX_SECONDS", default=1.0)

# Merge suggestions (sessions.services.suggestions) are refreshed by a thread of each worker,
# a session at most once per this many seconds: a room posting together costs one comparison
# a second per worker, not one per post. 0: in the writing request, after its commit.
MERGE_SUGGESTIONS_SECONDS = env.float("MERGE_SUGGESTIONS_SECONDS", default=1.0)

# Posting rate limits (sessions.services); only load tests turn them off (docs/performance.md).
RATE_LIMITS_ENABLED = env.bool("RATE_LIMITS_ENABLED", default=True)

# The join's proof of work (sessions.proof_of_work, docs/door.md): a browser solves a small
# ALTCHA challenge before it joins, so that a script pays CPU for every participant it makes.
# COST: PBKDF2 iterations per attempt; NUMBER: the most attempts at a calm door (on average
# half), about 1 s of one core of this project's test machine at most, less on a phone's
# several cores; it grows when joins come faster than a plenary's. Challenges expire after
# SECONDS. Browsers can solve only in a secure context (HTTPS or localhost): elsewhere
# (make run on a room's Wi-Fi) the join page asks none.
JOIN_CHALLENGE = env.bool("JOIN_CHALLENGE", default=True)
JOIN_CHALLENGE_COST = env.int("JOIN_CHALLENGE_COST", default=5000)
JOIN_CHALLENGE_NUMBER = env.int("JOIN_CHALLENGE_NUMBER", default=800)
JOIN_CHALLENGE_SECONDS = env.int("JOIN_CHALLENGE_SECONDS", default=600)

# Rate-limit counters are shared by every worker when Redis is configured.
CACHES = (
    {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": REDIS_TIMEOUTS,
        }
    }
    if REDIS_URL
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)
