"""Settings for Incident Reporter, driven by environment variables (see README "Configuration").

With nothing set, the app runs embedded: SQLite, the in-memory channel layer and the ACS emulator.
DATABASE_URL and REDIS_URL switch to the scale-out setup with no code change.
"""

from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from acs_emulator.config import EMULATOR_RESOURCE_ID
from calls.dialects import NEWEST_GA_VERSION
from config.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_networks,
    env_rate,
    env_str,
    env_url,
    load_env_file,
)
from config.log_format import FORMATS
from config.log_format import formatter as log_formatter

# Lets admin.ModelAdmin[Contact] and friends be subscripted at run time, as the stubs expect.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

# A developer's checkout keeps its own defaults in .env.local, written once by `make` (a
# generated development SECRET_KEY, DEBUG on), so that manage.py and daphne run as the README
# prints them without exported variables. The environment wins; deployments have no such file.
# The test suite points LOCAL_ENV_FILE at /dev/null: a developer's file must not change it.
load_env_file(Path(env_str("LOCAL_ENV_FILE", str(BASE_DIR / ".env.local"))))

DEBUG = env_bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-dev-only-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
for _origin in CSRF_TRUSTED_ORIGINS:
    if not _origin.startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            f"CSRF_TRUSTED_ORIGINS entries must start with http:// or https://; got {_origin!r}."
        )

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "contacts",
    "incidents",
    "calls",
    "callouts",
    "integrations",
    "webhooks",
    "audit",
    "escalations",
    "reminders",
    "reports",
    "config",
]

MIDDLEWARE = [
    # First: every later middleware's log lines carry the request's id.
    "config.request_ids.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF and sign-in: a method the view has no handler for is 405 for everyone.
    "config.view_methods.MethodNotAllowedMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a signed-in user unless its view says @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Who is acting and from where (dashboard, API, admin; the address), for the audit log.
    "audit.middleware.RequestOriginMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
_DATABASE_URL = env_url("DATABASE_URL", schemes=("postgres", "postgresql", "sqlite"))
if _DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(_DATABASE_URL, conn_max_age=0)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has one writer: WAL lets readers run beside it, IMMEDIATE takes the write lock at
    # BEGIN (no upgrade deadlocks), and the timeout makes concurrent callbacks wait, not fail.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Under ASGI each request may run on another thread: persistent connections leak, so
    # connections are pooled by psycopg instead (CONN_MAX_AGE stays 0). The callback pipeline
    # (calls/background.py) keeps one of them for good, so a process needs at least two.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env_int("DATABASE_POOL_SIZE", 10, minimum=2),
        "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channel layer ------------------------------------------------------------------------
_REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
CHANNEL_CAPACITY = env_int("CHANNEL_CAPACITY", 1000, minimum=100)
if _REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # The pub/sub layer delivered bursts that the core Redis layer dropped.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                # redis-py 8 caps its pool at 100 connections, which stalls near 100 sockets.
                "hosts": [{"address": _REDIS_URL, "max_connections": 5000}],
                "capacity": CHANNEL_CAPACITY,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": CHANNEL_CAPACITY},
        }
    }

# --- Cache --------------------------------------------------------------------------------
# Rate limits (DECLARE_RATE) count in the cache: in each process's memory when embedded, in
# Redis once there is one, so that several processes share one count.
if _REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _REDIS_URL,
        }
    }

# --- Auth ---------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media files ---------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = env_str("MEDIA_ROOT", str(BASE_DIR / "media"))

# --- Security -----------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=SECURE_HSTS_SECONDS > 0)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", default=False) else None
)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"

# --- Django REST framework ----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header is what makes "not signed in" a 401, not 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's three, with its JSON parser replaced by one that reads bodies by the app's rules.
    "DEFAULT_PARSER_CLASSES": [
        "config.api_parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.api_pagination.PageNumber",
    "DEFAULT_SCHEMA_CLASS": "config.api_schema.ApiSchema",
    "EXCEPTION_HANDLER": "config.api_errors.api_exception_handler",
}
# Declarations per user (a token belongs to one user) through the API: "<count>/<s|min|h|day>".
DECLARE_RATE = env_rate("DECLARE_RATE", "30/min")
# How long a repeated Idempotency-Key waits (409, Retry-After) for a first request that has
# neither declared nor answered before taking the key over (incidents.idempotency).
IDEMPOTENCY_GRACE_SECONDS = env_int("IDEMPOTENCY_GRACE_SECONDS", 30, minimum=1)
SPECTACULAR_SETTINGS = {
    "TITLE": "Incident Reporter API",
    "DESCRIPTION": (
        "Declare incidents, phone responders and steer their calls. Authenticate with "
        '`Authorization: Token <key>`. Every error is `{"code", "message"}`, plus `"errors"` '
        "(field by field) when the request is not valid."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs pages load Swagger UI and Redoc from our static files, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema describes shapes, never data: integrators and tools may read it signed out.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Uploads (prompts) need multipart request bodies distinct from the JSON responses.
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["config.api_schema.only_the_api"],
    # drf-spectacular's own (enum components), then the OpenAPI links between operations.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api_schema.add_links",
    ],
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.models.IncidentStatus",
        "SeverityEnum": "incidents.models.Severity",
        "IncidentKindEnum": "incidents.models.IncidentKind",
        "TimelineKindEnum": "incidents.models.TimelineKind",
        "CallStateEnum": "calls.models.CallState",
        "ParticipantStateEnum": "calls.models.ParticipantState",
        "CalloutStateEnum": "callouts.models.CalloutState",
        "RecipientStatusEnum": "callouts.models.RecipientStatus",
        "OutcomeEnum": "callouts.models.Outcome",
        "WebhookEventEnum": "webhooks.models.EventType",
        "DeliveryStatusEnum": "webhooks.models.DeliveryStatus",
        "CalloutStopReasonEnum": "callouts.models.StopReason",
        "EscalationStopReasonEnum": "escalations.models.EscalationStopReason",
    },
}

# --- Call provider (ACS Call Automation) ---------------------------------------------------
# Empty: the embedded ACS emulator, served by this process under /acs-emulator/.
ACS_CONNECTION_STRING = env_str("ACS_CONNECTION_STRING")
# The identity calls come from, and the number PSTN targets see (must belong to the resource).
ACS_SOURCE_ID = env_str("ACS_SOURCE_ID", "8:acs:incident-reporter")
ACS_CALLER_ID = env_str("ACS_CALLER_ID", "+14255550100")
# The API version spoken: by default the newest GA version (what Azure offers today), or the
# 2021 preview, or an older GA version (calls.dialects; the check config.E002 refuses others).
ACS_API_VERSION = env_str("ACS_API_VERSION", NEWEST_GA_VERSION)
# GA callbacks carry a JWT whose audience is the resource's immutable id (the Azure portal's
# JSON view of the resource) and whose issuer is ACS's, or the emulator's own endpoint.
ACS_RESOURCE_ID = env_str("ACS_RESOURCE_ID", "" if ACS_CONNECTION_STRING else EMULATOR_RESOURCE_ID)
# Empty: ACS's issuer for a *.communication.azure.com endpoint, else the endpoint itself.
ACS_CALLBACK_ISSUER = env_url("ACS_CALLBACK_ISSUER", schemes=("https", "http")).rstrip("/")
# How the provider reaches this app: callbacks and audio prompts are absolute URLs under it.
PUBLIC_BASE_URL = env_url(
    "PUBLIC_BASE_URL",
    schemes=("http", "https"),
    default=f"http://127.0.0.1:{env_int('PORT', 8000, minimum=1)}",
).rstrip("/")
# How long a phone may ring before the person counts as not answering (the preview API never
# reports unanswered first dial-outs), and how often the server process checks.
RING_TIMEOUT_SECONDS = env_int("RING_TIMEOUT_SECONDS", 60, minimum=5)
RING_SWEEP_SECONDS = env_int("RING_SWEEP_SECONDS", 5, minimum=0)
# Lost callbacks (GA): before the ring timeout gives up on a ringing person, and for calls that
# stay establishing (past the ring timeout) or terminating longer than this allowance, the
# sweep reads the call from the provider; at most RECONCILE_READS_PER_SWEEP calls per sweep.
RECONCILE_AFTER_SECONDS = env_int("RECONCILE_AFTER_SECONDS", 30, minimum=1)
RECONCILE_READS_PER_SWEEP = env_int("RECONCILE_READS_PER_SWEEP", 20, minimum=1)
# How far in the future (past its arrival) a provider event may be dated before it is read as
# dated on arrival (calls.callback_limits): a skewed clock must not freeze a roster.
ACS_CLOCK_SKEW_SECONDS = env_int("ACS_CLOCK_SKEW_SECONDS", 300, minimum=0)
# Where stored provider events are applied: by the daphne process that stored them (default),
# or only by `manage.py run_worker` processes, so that web processes just verify and store.
# Workers broadcast to dashboards served by other processes: that needs the Redis layer.
APPLY_IN_WORKER = env_bool("APPLY_IN_WORKER", default=False)
WORKER_POLL_MS = env_int("WORKER_POLL_MS", 25, minimum=1)
if APPLY_IN_WORKER and not _REDIS_URL:
    raise ImproperlyConfigured(
        "APPLY_IN_WORKER needs REDIS_URL: workers reach dashboards through the Redis layer."
    )

# --- Call-outs (one call per person) and the task engine that dials them -------------------
# Background work (dialling, retries) is kept in the database (django-tasks' database backend)
# and run by `manage.py run_worker`. Enqueued inside the caller's transaction, not after
# commit: the work and the rows it is about are stored together or not at all.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "ENQUEUE_ON_COMMIT": False,
    }
}
# Task threads per `manage.py run_worker` (callouts.worker): 1 to 3 raised bench.callout's start
# rate from 0.87-0.89 to 0.91 of what the limits allow (README "Benchmarks").
WORKER_TASK_THREADS = env_int("WORKER_TASK_THREADS", 3, minimum=1)
CALLOUT_MAX_RECIPIENTS = env_int("CALLOUT_MAX_RECIPIENTS", 10_000, minimum=1)
# Call starts per second across every worker and caller number (the provider's start rate).
CALLOUT_STARTS_PER_SECOND = env_float("CALLOUT_STARTS_PER_SECOND", 10.0, minimum=0.1)
# A worker that took up an attempt's create-call and went silent this long (killed, say) has
# lost it: the recovery sweep sends it again, with the same Repeatability-Request-ID. Longer
# than the client's worst case (three tries of a 10 s timeout, plus backoff).
CALLOUT_LEASE_SECONDS = env_int("CALLOUT_LEASE_SECONDS", 60, minimum=5)
# A task running longer than this is taken for lost with its worker (callouts.lost_tasks).
TASK_LEASE_SECONDS = env_int("TASK_LEASE_SECONDS", 600, minimum=5)

# --- Outgoing webhooks (README "Webhooks") ---------------------------------------------------
# Multiplies the retry schedule (5 s, 30 s, 2 min, 10 min, 1 h, 2 h, 4 h): below 1 in tests.
WEBHOOK_RETRY_SCALE = env_float("WEBHOOK_RETRY_SCALE", 1.0, minimum=0.0)
# Multiplies every escalation step's wait (the tests run minutes in seconds).
ESCALATION_TIME_SCALE = env_float("ESCALATION_TIME_SCALE", 1.0, minimum=0.0)
# Subscriptions need https:// URLs; plain http:// only to this machine, and only with this.
WEBHOOK_ALLOW_LOCAL_HTTP = env_bool("WEBHOOK_ALLOW_LOCAL_HTTP", default=DEBUG)

# The emulator's control API (press keys, inject faults, reset) is unauthenticated, so it is a
# development tool: served only with DEBUG, or on a deployment with this explicit "embedded".
ACS_EMULATOR_EMBEDDED_ON_PURPOSE = env_choice("ACS_EMULATOR", ("embedded",)) == "embedded"
if ACS_EMULATOR_EMBEDDED_ON_PURPOSE and ACS_CONNECTION_STRING:
    raise ImproperlyConfigured(
        "ACS_EMULATOR=embedded contradicts ACS_CONNECTION_STRING: unset one of them."
    )
ACS_EMULATOR_ENABLED = not ACS_CONNECTION_STRING and (DEBUG or ACS_EMULATOR_EMBEDDED_ON_PURPOSE)
ACS_EMULATOR_PATH = "/acs-emulator"
# Speeds up (below 1) or slows down the emulator's simulated people and audio.
ACS_EMULATOR_TIME_SCALE = env_float("ACS_EMULATOR_TIME_SCALE", 1.0)

# --- Operability: probes and metrics (README "Operability") --------------------------------
# /metrics answers a request bearing this token (Authorization: Bearer), or from these networks.
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_NETWORKS = env_networks(
    "METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"]
)
# prometheus-client's own switch to multiprocess mode (it reads the environment itself): each
# process of the machine writes its figures there and any one of them answers for all.
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR")
if PROMETHEUS_MULTIPROC_DIR and not Path(PROMETHEUS_MULTIPROC_DIR).is_dir():
    raise ImproperlyConfigured(
        f"PROMETHEUS_MULTIPROC_DIR={PROMETHEUS_MULTIPROC_DIR} is not a directory: create it "
        "(empty) before the processes start."
    )
# Probes and scrapers speak plain HTTP to the process itself, past the TLS proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# How long /readyz waits for each check before it counts as failed.
READYZ_TIMEOUT_SECONDS = env_float("READYZ_TIMEOUT_SECONDS", 3.0, minimum=0.1)

# --- Logging ------------------------------------------------------------------------------
# One JSON object per line (structlog; config.log_format), with the request id of the request
# or provider callback it comes from. `console` is readable in a terminal: the default under
# DEBUG.
LOG_FORMAT = env_choice("LOG_FORMAT", FORMATS) or ("console" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {kind: log_formatter(kind) for kind in FORMATS},
    "filters": {
        "client_error_without_traceback": {"()": "config.log_filters.ClientErrorWithoutTraceback"},
        "without_url_secret": {"()": "config.log_filters.WithoutUrlSecret"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "loggers": {
        # Django's own handlers (plain text under DEBUG, mail to admins) give way to ours.
        "django": {"handlers": [], "propagate": True},
        "django.request": {"filters": ["client_error_without_traceback", "without_url_secret"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
}
