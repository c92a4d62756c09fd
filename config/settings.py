"""Baton's one settings module, driven by environment variables.

The defaults serve `make run`: SQLite in the project folder and Celery tasks run
in-process. Production sets DEBUG=false, SECRET_KEY, DATABASE_URL,
CELERY_BROKER_URL and ALLOWED_HOSTS (see .env.example).
"""

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import django_stubs_ext
import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Lets ModelAdmin[...] and QuerySet[...] be subscripted at run time, as the stubs allow.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
    SECRET_KEY = "django-insecure-local-development-only"  # nosec B105  # development only; production refuses to start without SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    # django.contrib.staticfiles, leaving out the vendor files' compressed copies.
    "config.apps.StaticFilesConfig",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    # Field-level change history of people and companies (crm/history.py).
    "simple_history",
    # The ground floor (web/): its login receiver starts the session clock.
    "web",
    "crm",
    "handoff",
    "deals",
    "tasks",
    "kpi",
    "api",
    "audit",
    "webhooks",
    "nurture",
    # Second factors, single sign-on and password reset (accounts/).
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Under /api/ every error is JSON, whoever answered it (api/middleware.py).
    "api.middleware.JsonErrorsMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and API answers gzipped, at level 4 (web/compression.py; static
    # files come compressed from WhiteNoise, which answers them above, under
    # `make run` too). BREACH: Django masks the CSRF token anew in every
    # response and each gzip stream is padded with random bytes ("Heal the
    # Breach"), so a secret's length cannot be probed across requests; see
    # bench/README.md, "Page weight".
    "web.compression.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Lets services deep down record who acted and from where (audit/context.py).
    "audit.context.AuditContextMiddleware",
    # A signed-in person's chosen language, handed to LocaleMiddleware (web/language.py).
    "web.language.SessionLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "web.sessions.SessionTimeoutMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Managers and admins without a second factor may only set one up.
    "accounts.middleware.MfaRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                # A form posted after the session ended comes back filled in.
                "web.sessions.pending_form",
            ],
            # Django's {% extends %}, the root's blocks found once (web/templatetags/inheritance).
            "builtins": ["template_partials.templatetags.partials", "web.templatetags.inheritance"],
            # Django's i18n tags, a literal's {% translate %} kept per language.
            "libraries": {"i18n": "web.templatetags.translations"},
        },
    },
]
# Django warns when two modules answer to one library name: `i18n` does so on
# purpose (above). tests/web/test_translations_tag.py fails for any other.
SILENCED_SYSTEM_CHECKS = ["templates.W003"]

# --- Database ---------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default: in-process tasks write beside requests, so wait for
    # the lock instead of failing, and take it at BEGIN to avoid upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # The KPI rollups' covering index (INCLUDE) is PostgreSQL's; SQLite builds
    # it without the extra columns, which is all the embedded default needs.
    SILENCED_SYSTEM_CHECKS.append("models.W040")
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # psycopg 3 sends the values apart from the statement, and a statement a
    # connection has run DATABASE_PREPARE_THRESHOLD times is prepared: PostgreSQL
    # parses and plans it once (a signed-in page's session, user and list
    # queries), about 40% of its CPU a page (bench/README.md, "psycopg 3 and
    # prepared statements"). 0 turns preparing off, for a pooler that cannot keep them
    # (PgBouncer in transaction mode before 1.21).
    prepare_threshold = env.int("DATABASE_PREPARE_THRESHOLD", default=5)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=prepare_threshold or None
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out username and address before the
# password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.OneQueryPermissionsBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Languages and time -----------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Tokyo")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
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

# In development WhiteNoise serves straight from the app and vendor folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Celery -----------------------------------------------------------------
# No broker configured means the embedded default: tasks run in-process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=env("REDIS_URL", default=""))
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# No result backend: with one, delay() blocks ~19 s when Redis is down (FIELD-NOTES).
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="baton")
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool child is replaced after the task during which it passed this resident
# size (KiB): a bound. With WORKER_MALLOC_TRIM the soak (bench/README.md) still
# saw children grow 0.05-0.1 MiB a minute in Python's own allocator, whose
# 1 MiB arenas stay while a few objects live in them: a child is also replaced
# after this many tasks (a fork of the loaded parent, milliseconds; 0: never),
# so its size stays where the first hour puts it.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("WORKER_MAX_MEMORY_MB", default=512) * 1024
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("WORKER_MAX_TASKS_PER_CHILD", default=1000) or None
# After each task a pool child hands the memory the task freed back to the
# system (glibc's malloc_trim, config/celery.py): without it a child's resident
# size grew with each new peak although its memory in use was flat.
BATON_WORKER_MALLOC_TRIM = env.bool("WORKER_MALLOC_TRIM", default=True)
# Celery's Django fixup closes the database connections around every task
# unless told to reuse them: a new PostgreSQL backend (a fork and a login) for
# every task, forty a second at 100 activities a second. Keep them; Django's
# own rules (CONN_MAX_AGE, health checks, a broken connection) close them
# around each task instead (config/celery.py), as around each request.
CELERY_DB_REUSE_MAX = 1_000_000_000
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing gives up quickly when the broker is down: the outbox keeps the event
# and the sweep republishes it, so a web request never hangs on Redis.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Above the task time limit, so a running task is never redelivered twice.
    "visibility_timeout": 900,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BEAT_SCHEDULE = {
    "relay-outbox": {"task": "crm.tasks.relay_outbox", "schedule": timedelta(seconds=10)},
    "purge-outbox": {"task": "crm.tasks.purge_outbox", "schedule": timedelta(hours=6)},
    "requeue-imports": {"task": "crm.tasks.requeue_imports", "schedule": timedelta(minutes=1)},
    "requeue-bulk": {"task": "crm.tasks.requeue_bulk_jobs", "schedule": timedelta(minutes=1)},
    # SLA deadlines are rows: breaches to managers, untouched claims back to routing.
    "sweep-sla": {"task": "handoff.tasks.sweep_sla_deadlines", "schedule": timedelta(seconds=30)},
    # Tasks that fell due: their assignees reminded in the app and by email.
    "sweep-task-reminders": {
        "task": "tasks.tasks.sweep_task_reminders",
        "schedule": timedelta(seconds=30),
    },
    # Nurture: sends whose job was lost, page views to join, anonymous views to forget.
    "resume-sends": {
        "task": "nurture.tasks.resume_stalled_sends",
        "schedule": timedelta(minutes=1),
    },
    "join-visits": {"task": "nurture.tasks.join_visits", "schedule": timedelta(seconds=10)},
    "purge-visits": {
        "task": "nurture.tasks.purge_anonymous_visits",
        "schedule": timedelta(hours=6),
    },
    # Webhook events and their delivery log, once every delivery is over.
    "purge-webhook-events": {
        "task": "webhooks.tasks.purge_webhook_events",
        "schedule": timedelta(hours=6),
    },
    # Engagement decays: rescore everyone each night, in Tokyo time.
    "nightly-rescore": {
        "task": "handoff.tasks.nightly_rescore",
        "schedule": crontab(hour=2, minute=30),
    },
    # KPI rollups: the days touched since the last run, and every day nightly.
    "refresh-kpi-rollups": {"task": "kpi.tasks.refresh_rollups", "schedule": timedelta(minutes=1)},
    "rebuild-kpi-rollups": {
        "task": "kpi.tasks.rebuild_rollups",
        "schedule": crontab(hour=3, minute=30),
    },
}

# Which task consumes each outbox topic (the relay publishes by name, so crm does
# not import the apps that react to its events).
BATON_OUTBOX_ROUTES = {
    "activity.recorded": "handoff.tasks.drain_activity_events",
    "activities.recorded": "handoff.tasks.process_activity_batch_event",
    "scoring.rescore_requested": "handoff.tasks.rescore_everyone_event",
    "notifications.email": "handoff.tasks.email_notifications_event",
    "notifications.chat": "handoff.tasks.deliver_chat_event",
    "webhooks.delivery": "webhooks.tasks.deliver_webhook_event",
    "capture.confirmation_email": "crm.tasks.send_capture_confirmation_event",
    "tasks.reminder_email": "tasks.tasks.email_task_reminders_event",
}
# Topics whose events are taken in batches by one task that drains them all
# (crm/drain.py) rather than one task per event.
BATON_OUTBOX_DRAINED = frozenset({"activity.recorded"})
# Seconds a drain waits for more events before it stops (crm/drain.py).
BATON_OUTBOX_DRAIN_LINGER = env.float("OUTBOX_DRAIN_LINGER_SECONDS", default=1.0)
# Publish each outbox event as soon as its transaction commits (the fast path);
# false leaves it to the periodic sweep alone (the handoff latency benchmark's
# naive comparison).
BATON_OUTBOX_PUBLISH_AT_COMMIT = env.bool("OUTBOX_PUBLISH_AT_COMMIT", default=True)
# An event published but still unprocessed after this long is published again.
BATON_OUTBOX_REPUBLISH_AFTER = timedelta(seconds=env.int("OUTBOX_REPUBLISH_SECONDS", default=60))

# --- Cache (rate limits) ------------------------------------------------------
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # An unreachable or stalled Redis must fail a cache call quickly: every
    # user of the cache then falls back to this process's memory
    # (web/shared_cache.py), libraries included.
    CACHES["default"]["BACKEND"] = "web.shared_cache.FallbackRedisCache"
    CACHES["default"].setdefault("OPTIONS", {})
    CACHES["default"]["OPTIONS"].setdefault("socket_connect_timeout", 0.5)
    CACHES["default"]["OPTIONS"].setdefault("socket_timeout", 1.0)

# --- Capture ------------------------------------------------------------------
BATON_CAPTURE_PER_IP_PER_MINUTE = env.int("CAPTURE_PER_IP_PER_MINUTE", default=20)
BATON_CAPTURE_PER_KEY_PER_MINUTE = env.int("CAPTURE_PER_KEY_PER_MINUTE", default=600)
# How many reverse proxies in front of Baton append to X-Forwarded-For: the
# client is the entry that many places from the right (web/client.py); 0
# reads the connection's peer. TRUST_X_FORWARDED_FOR=true, the older switch,
# means one proxy.
BATON_TRUSTED_PROXY_HOPS = env.int(
    "TRUSTED_PROXY_HOPS", default=int(env.bool("TRUST_X_FORWARDED_FOR", default=False))
)
# The privacy policy version recorded with each consent.
BATON_PRIVACY_POLICY_VERSION = env("PRIVACY_POLICY_VERSION", default="2026-01")

# --- Email ------------------------------------------------------------------
# Nurture: email sends and website tracking.
NURTURE_SEND_RATE_PER_SECOND = env.float("NURTURE_SEND_RATE_PER_SECOND", default=20.0)
NURTURE_BATCH_SIZE = env.int("NURTURE_BATCH_SIZE", default=200)
NURTURE_JOB_SECONDS = env.float("NURTURE_JOB_SECONDS", default=120.0)
NURTURE_SITE_HOSTS = env.list("NURTURE_SITE_HOSTS", default=[])
NURTURE_COLLECT_PER_IP_PER_MINUTE = env.int("NURTURE_COLLECT_PER_IP_PER_MINUTE", default=120)
NURTURE_COLLECT_PER_MINUTE = env.int("NURTURE_COLLECT_PER_MINUTE", default=30_000)
NURTURE_ANONYMOUS_VISIT_DAYS = env.int("NURTURE_ANONYMOUS_VISIT_DAYS", default=30)
# Outbound webhooks: days an event and its delivery log are kept once every
# delivery is over (delivered or failed for good).
WEBHOOK_KEEP_DAYS = env.int("WEBHOOK_KEEP_DAYS", default=30)

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Baton <baton@localhost>")
# Seconds before an unresponsive mail server fails a send (the task holds a row lock meanwhile).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# Where Baton is reached: links in emails and chat messages start with it.
# Unless BASE_URL says otherwise, it is where `make run` / `make up` serve
# (their HOST and PORT), so that PORT=8101 moves the links with the server.
BATON_HOST = env("HOST", default="127.0.0.1")
BATON_PORT = env.int("PORT", default=8000)
_LINK_HOST = "127.0.0.1" if BATON_HOST in ("", "0.0.0.0", "::") else BATON_HOST  # nosec B104  # a link never points at the wildcard address
_LINK_HOST = f"[{_LINK_HOST}]" if ":" in _LINK_HOST else _LINK_HOST
BATON_BASE_URL = env("BASE_URL", default=f"http://{_LINK_HOST}:{BATON_PORT}").rstrip("/")

# --- REST API ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.BatonAutoSchema",
    # Token first: an API client without credentials gets 401 with
    # `WWW-Authenticate: Token`; the session serves the browsable docs.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: one body limit (API_MAX_BODY_BYTES), one nesting cap, typed values.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONBodyParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_RENDERER_CLASSES": [
        "api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # 400 for input the schema forbids; 404 / 409 / 422 for well-formed refusals.
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CursorPage",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's own, counting in the shared cache or, while Redis is away, per process.
        "api.throttling.AnonRateThrottle",
        "api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/minute"),
        "user": env("API_THROTTLE_USER", default="600/minute"),
    },
}
# A full batch of 1,000 activities with their largest details fits.
BATON_API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=12 * 1024 * 1024)
SPECTACULAR_SETTINGS = {
    "TITLE": "Baton API",
    "DESCRIPTION": "Leads, companies, campaigns, activities, answers, deals and handoffs. "
    "Send `Authorization: Token <key>`; get a key on the API token page or from "
    "`manage.py create_api_token USERNAME`.",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Separate request and response components, so read-only fields are not
    # asked for and write-only ones are not promised.
    "COMPONENT_SPLIT_REQUEST": True,
    # 3.1: full JSON Schema, so the schema can say what the API refuses (propertyNames).
    "OAS_VERSION": "3.1.0",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.state_what_is_refused",
    ],
    "ENUM_NAME_OVERRIDES": {
        "LeadStageEnum": "crm.models.people.Lead.Stage",
        "DealStatusEnum": "crm.models.deal.Deal.Status",
        "HandoffStatusEnum": "handoff.models.Handoff.Status",
        "RejectReasonEnum": "handoff.models.Handoff.RejectReason",
    },
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security (production values follow from DEBUG=false) --------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Secure cookies wherever requests arrive over HTTPS (a local `make up` on
# plain http sets SECURE_SSL_REDIRECT=false, and these follow it).
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=SECURE_SSL_REDIRECT)
# The __Host- prefix makes the browser refuse the cookie unless it is Secure,
# host-only and for the whole path, so a sibling subdomain cannot plant one.
# Browsers drop such cookies over plain http, hence only with Secure.
SESSION_COOKIE_NAME = "__Host-sessionid" if SESSION_COOKIE_SECURE else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if CSRF_COOKIE_SECURE else "csrftoken"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Sessions end after SESSION_IDLE_MINUTES without the person doing anything
# and SESSION_MAX_HOURS after logging in, whatever they do
# (web/sessions.py); the cookie itself lasts no longer than the latter.
BATON_SESSION_IDLE_TIMEOUT = timedelta(minutes=env.int("SESSION_IDLE_MINUTES", default=30))
BATON_SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=env.int("SESSION_MAX_HOURS", default=10))
SESSION_COOKIE_AGE = int(BATON_SESSION_ABSOLUTE_TIMEOUT.total_seconds())
# In PostgreSQL, read in one fixed statement (web/session_store.py).
SESSION_ENGINE = "web.session_store"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): scripts and styles only from Baton's own
# static files; an inline script needs the request's nonce
# (`nonce="{{ request.csp_nonce }}"`). No 'unsafe-inline' anywhere: templates
# carry no <script> blocks, <style> blocks, style="" or on*="" attributes.
# Bootstrap's CSS draws its icons (select arrow, navbar toggler) as data: SVGs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Login lockout (django-axes): after AXES_FAILURE_LIMIT failed attempts for one
# username from one address, that pair is refused for the cool-off period.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The same address the capture rate limits use (X-Forwarded-For only behind a
# trusted proxy).
AXES_CLIENT_IP_CALLABLE = "web.client.client_ip"
ADMIN_URL = env("ADMIN_URL", default="admin/")

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-axes logs every login at INFO; lockouts are WARNING.
        "axes": {"level": "WARNING"},
    },
}
if CELERY_TASK_ALWAYS_EAGER:
    # In-process tasks would log a line per run of every periodic job.
    LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}

# --- Accounts: second factor, single sign-on, password reset (accounts/) -----
# django-allauth runs the login: password, then the second factor (TOTP,
# recovery codes, WebAuthn security keys and passkeys) for those who set one up.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_FORMS = {
    "login": "accounts.forms.LoginForm",
    "reset_password": "accounts.forms.ResetPasswordForm",  # nosec B105  # a dotted path
}
MFA_FORMS = {"authenticate": "accounts.forms.MfaAuthenticateForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = (
    True  # the session lasts as configured above, not until the browser closes
)
ACCOUNT_PREVENT_ENUMERATION = True
# Brute force is django-axes' job (a wrong second-factor code counts as a failed
# login too) and the reset limits are web.ratelimit's, which let requests
# through when the cache is down; allauth's own limits would fail with it.
ACCOUNT_RATE_LIMITS = False
MFA_RATE_LIMITS = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Baton"
# WebAuthn needs https, except on the plain-http development server.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=DEBUG)
# Roles (groups) that must use a second factor: required at login and on every
# page until one is set up. Off by default for `make run` (DEBUG).
BATON_MFA_REQUIRED_ROLES = env.list(
    "MFA_REQUIRED_ROLES", default=[] if DEBUG else ["manager", "admin"]
)

# Password reset by email: links live this long and work once; requests are
# limited per client address and per email address.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_MINUTES", default=30) * 60
BATON_PASSWORD_RESET_PER_IP_PER_MINUTE = env.int("PASSWORD_RESET_PER_IP_PER_MINUTE", default=10)
BATON_PASSWORD_RESET_PER_ADDRESS_PER_MINUTE = env.int(
    "PASSWORD_RESET_PER_ADDRESS_PER_MINUTE", default=2
)
BATON_OUTBOX_ROUTES["accounts.password_reset"] = "accounts.tasks.send_password_reset_event"

# Single sign-on with OpenID Connect (Google Workspace, Microsoft Entra ID, any
# standard provider), on when OIDC_SERVER_URL and OIDC_CLIENT_ID are set.
# Roles come from a claim: OIDC_ROLE_MAP maps its values to Baton's roles.
OIDC_SERVER_URL = env("OIDC_SERVER_URL", default="")
BATON_OIDC_ROLES_CLAIM = env("OIDC_ROLES_CLAIM", default="groups")
BATON_OIDC_ROLE_MAP = env.dict("OIDC_ROLE_MAP", default={})
SOCIALACCOUNT_PROVIDERS: dict[str, Any] = {"openid_connect": {"APPS": []}}
if OIDC_SERVER_URL and env("OIDC_CLIENT_ID", default=""):
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"].append(
        {
            "provider_id": "sso",
            "name": env("OIDC_NAME", default="Single sign-on"),
            "client_id": env("OIDC_CLIENT_ID"),
            "secret": env("OIDC_CLIENT_SECRET", default=""),
            "settings": {
                "server_url": OIDC_SERVER_URL,
                "oauth_pkce_enabled": True,
                "scope": env.list("OIDC_SCOPES", default=["openid", "profile", "email"]),
            },
        }
    )
    # The login button's form posts to Baton, which redirects to the
    # provider: CSP's form-action must allow the provider's origin too.
    _directives: dict[str, list[str]] = CONTENT_SECURITY_POLICY["DIRECTIVES"]  # type: ignore[assignment]
    _directives["form-action"].append("{0.scheme}://{0.netloc}".format(urlsplit(OIDC_SERVER_URL)))
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
# The first sign-on of someone Baton already knows joins their account when
# the provider vouches for the address (email_verified); the link then holds.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False
