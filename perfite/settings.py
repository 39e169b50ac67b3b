"""Perfite settings: one file, every knob from the environment with a safe default.

Defaults need no server: SQLite and HAR files under ``var/``, a filesystem
Celery broker under ``var/broker``, Graphite off.
"""

import os
import tempfile
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PERFITE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
# The fallback key is only good for a single-machine trial; production sets DJANGO_SECRET_KEY.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "perfite-insecure-dev-key-change-me")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "scenarios",
    "agents",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "perfite.urls"
WSGI_APPLICATION = "perfite.wsgi.application"

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

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'perfite.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, beat and agent share one SQLite file: wait for the writer instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL;"
    # Tests start real worker processes that must see the test database: a file, not memory.
    # The default name carries the test run's process id, so concurrent test runs never meet.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get(
            "PERFITE_TEST_DB",
            str(Path(tempfile.gettempdir()) / f"perfite-test-{os.getpid()}.sqlite3"),
        )
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("PERFITE_TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("PERFITE_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {
        "BACKEND": os.environ.get("PERFITE_STORAGE", "django.core.files.storage.FileSystemStorage")
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("PERFITE_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
PERFITE_MAX_HAR_BYTES = env_int("PERFITE_MAX_HAR_BYTES", 200 * 1024 * 1024)
PERFITE_MAX_SCREENSHOT_BYTES = env_int("PERFITE_MAX_SCREENSHOT_BYTES", 5 * 1024 * 1024)

# --- Celery ---------------------------------------------------------------
# Default broker: kombu's filesystem transport, so one machine needs no server.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "out"),
        "data_folder_out": str(BROKER_DIR / "out"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    for sub in ("out", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
else:
    VISIBILITY_TIMEOUT = env_int("PERFITE_VISIBILITY_TIMEOUT", 900)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": VISIBILITY_TIMEOUT,
        # kombu scans for unacknowledged messages past their timeout at start-up and then only
        # every 10th 10-second tick: a run whose agent died just before another agent started
        # waited 100 s more. Scan on every tick, a third of the timeout apart (1 to 30 s).
        "unacked_restore_interval": max(1, min(30, VISIBILITY_TIMEOUT // 3)),
        "unacked_restore_throttle": 1,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "perfite"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-scenarios": {
        "task": "scenarios.runs.tasks.dispatch_due_scenarios",
        "schedule": float(os.environ.get("PERFITE_DISPATCH_EVERY", 5)),
    },
    "push-graphite-outbox": {
        "task": "scenarios.runs.tasks.push_graphite_outbox",
        "schedule": float(os.environ.get("PERFITE_GRAPHITE_PUSH_EVERY", 15)),
    },
    "reap-lost-runs": {
        "task": "scenarios.runs.tasks.reap_lost_runs",
        "schedule": 60.0,
    },
    "resend-unsent-notifications": {
        "task": "scenarios.alerts.tasks.resend_unsent_notifications",
        "schedule": 300.0,
    },
    "purge-old-hars": {
        "task": "scenarios.runs.tasks.purge_old_hars",
        "schedule": 3600.0,
    },
}

# --- Perfite --------------------------------------------------------------
PERFITE_LOCATION = os.environ.get("PERFITE_LOCATION", "local")
PERFITE_BROWSER_PATH = os.environ.get("PERFITE_BROWSER_PATH", "")
PERFITE_QUIET_MS = env_int("PERFITE_QUIET_MS", 2000)
PERFITE_STEP_TIMEOUT_MS = env_int("PERFITE_STEP_TIMEOUT_MS", 30_000)
PERFITE_RUN_TIMEOUT_MS = env_int("PERFITE_RUN_TIMEOUT_MS", 120_000)
PERFITE_HAR_CONTENT = os.environ.get("PERFITE_HAR_CONTENT", "omit")
PERFITE_HAR_RETENTION_DAYS = env_int("PERFITE_HAR_RETENTION_DAYS", 30)
PERFITE_RUN_LOST_AFTER_S = env_int("PERFITE_RUN_LOST_AFTER_S", 600)
PERFITE_AGENT_STALE_AFTER_S = env_int("PERFITE_AGENT_STALE_AFTER_S", 120)
# Seconds between an agent's heartbeats (keep well under PERFITE_AGENT_STALE_AFTER_S).
PERFITE_HEARTBEAT_EVERY = float(os.environ.get("PERFITE_HEARTBEAT_EVERY", 30))
# Set by `manage.py agent`: the worker's number of child processes, each with one browser.
PERFITE_AGENT_CONCURRENCY = env_int("PERFITE_AGENT_CONCURRENCY", 1)
# Where agents deliver results: empty means "write to the database directly" (same machine).
PERFITE_SERVER_URL = os.environ.get("PERFITE_SERVER_URL", "")
PERFITE_AGENT_TOKEN = os.environ.get("PERFITE_AGENT_TOKEN", "")

GRAPHITE_HOST = os.environ.get("GRAPHITE_HOST", "")
GRAPHITE_PORT = env_int("GRAPHITE_PORT", 2003)
GRAPHITE_PREFIX = os.environ.get("GRAPHITE_PREFIX", "perfite")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Perfite API",
    "DESCRIPTION": "Synthetic web-performance monitoring: scenarios, runs, CI comparisons.",
    "VERSION": "0.1.0",
    # Fields named alike with different choices: one enum name each in the schema.
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "scenarios.models.run.Run.STATUSES",
        "ComparisonStatusEnum": "scenarios.models.ci.Comparison.STATUSES",
        "RunKindEnum": "scenarios.models.run.Run.KINDS",
        "ThresholdKindEnum": "scenarios.models.alerts.Threshold.KINDS",
        "CulpritKindEnum": ["host", "entity"],
    },
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "perfite@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PERFITE_LOG_LEVEL", "WARNING")},
}

VAR_DIR.mkdir(parents=True, exist_ok=True)
