"""Perfite settings: one file, every knob from the environment with a safe default.

Defaults need no server: SQLite and HAR files under ``var/``, a filesystem
Celery broker under ``var/broker``, Graphite off.
"""

import os
import secrets
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from core.netpolicy import AddressPolicy

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


def _secret_key() -> str:
    """DJANGO_SECRET_KEY; else, with DEBUG, a fixed development key; else a key generated
    once into VAR_DIR/secret_key (0600) and read back by every later process.

    Several processes of one machine (web, agent, beat) may start together: the file is
    created exclusively and whoever loses the race reads the winner's key. A deployment of
    several machines sets DJANGO_SECRET_KEY so that they share one.
    """
    if os.environ.get("DJANGO_SECRET_KEY"):
        return os.environ["DJANGO_SECRET_KEY"]
    if DEBUG:
        return "perfite-insecure-dev-key-for-debug-only"
    path = VAR_DIR / "secret_key"
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the winner may not have written it yet
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty: delete it and start again") from None
    key = secrets.token_urlsafe(50)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# HTTPS deployment: PERFITE_HTTPS=1 turns every switch on (README, "Production"); each can be
# set on its own. Off by default: the embedded default serves plain http on loopback.
HTTPS = env_bool("PERFITE_HTTPS", False)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", HTTPS)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", HTTPS)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

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
    "axes",
    "scenarios",
    "agents",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "perfite.middleware.RefuseNulCharacters",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Login throttling (django-axes): after PERFITE_LOGIN_FAILURES wrong passwords for one account
# from one address, that pair is locked out for PERFITE_LOGIN_COOLOFF_MINUTES.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("PERFITE_LOGIN_FAILURES", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PERFITE_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

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
# HARs are read as a stream (scenarios.runs.har_spool); these bound what one may hold.
PERFITE_MAX_HAR_ENTRIES = env_int("PERFITE_MAX_HAR_ENTRIES", 20_000)
PERFITE_MAX_HAR_VALUE_BYTES = env_int("PERFITE_MAX_HAR_VALUE_BYTES", 32 * 1024 * 1024)
PERFITE_MAX_SCREENSHOT_BYTES = env_int("PERFITE_MAX_SCREENSHOT_BYTES", 5 * 1024 * 1024)
# What one run's filmstrip may hold (agents.filmstrip stops keeping frames there; the server
# refuses more): a changed picture every frame of a 60 Hz screen fills 300 in five seconds.
PERFITE_FILMSTRIP_MAX_FRAMES = env_int("PERFITE_FILMSTRIP_MAX_FRAMES", 300)
PERFITE_FILMSTRIP_MAX_BYTES = env_int("PERFITE_FILMSTRIP_MAX_BYTES", 6 * 1024 * 1024)

# --- How long a run may live ----------------------------------------------
# Every limit derives from the run timeout, so they cannot contradict each other: the task's
# time limits leave room to deliver; a message whose agent died is re-delivered once no
# healthy agent could still hold it (the task's hard limit, plus a margin); and the reaper
# marks a run lost only after that re-delivery had a whole attempt of its own.
PERFITE_RUN_TIMEOUT_MS = env_int("PERFITE_RUN_TIMEOUT_MS", 120_000)
RUN_TASK_SOFT_LIMIT_S = PERFITE_RUN_TIMEOUT_MS // 1000 + 60
RUN_TASK_TIME_LIMIT_S = PERFITE_RUN_TIMEOUT_MS // 1000 + 90
VISIBILITY_TIMEOUT = env_int("PERFITE_VISIBILITY_TIMEOUT", RUN_TASK_TIME_LIMIT_S + 30)
# kombu scans for unacknowledged messages past their timeout a third of it apart (1 to 30 s).
UNACKED_RESTORE_INTERVAL = max(1, min(30, VISIBILITY_TIMEOUT // 3))
RUN_LOST_AFTER_MIN_S = VISIBILITY_TIMEOUT + UNACKED_RESTORE_INTERVAL + RUN_TASK_TIME_LIMIT_S
PERFITE_RUN_LOST_AFTER_S = env_int("PERFITE_RUN_LOST_AFTER_S", RUN_LOST_AFTER_MIN_S + 60)

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
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": VISIBILITY_TIMEOUT,
        # kombu scans for unacknowledged messages past their timeout at start-up and then only
        # every 10th 10-second tick: a run whose agent died just before another agent started
        # waited 100 s more. Scan on every tick instead.
        "unacked_restore_interval": UNACKED_RESTORE_INTERVAL,
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
    "fetch-lost-backend-series": {
        "task": "scenarios.runs.tasks.fetch_lost_backend_series",
        "schedule": 300.0,
    },
    "purge-old-runs": {
        "task": "scenarios.runs.tasks.purge_old_runs",
        "schedule": 3600.0,
    },
    "watch-load-tests": {
        "task": "scenarios.load.tasks.watch_load_tests",
        "schedule": 5.0,
    },
}

# --- Perfite --------------------------------------------------------------
PERFITE_LOCATION = os.environ.get("PERFITE_LOCATION", "local")
PERFITE_BROWSER_PATH = os.environ.get("PERFITE_BROWSER_PATH", "")
# Firefox: a distribution's Firefox (138 or later, driven over WebDriver BiDi) at this path,
# else Debian's firefox-esr, else Playwright's own build (agents.engines.firefox).
PERFITE_FIREFOX_PATH = os.environ.get("PERFITE_FIREFOX_PATH", "")
# The browsers an agent offers (comma-separated: chromium, firefox, webkit); empty: every one
# found on its machine. Its heartbeat announces them; it consumes one queue per browser.
PERFITE_BROWSERS = env_list("PERFITE_BROWSERS")
PERFITE_QUIET_MS = env_int("PERFITE_QUIET_MS", 2000)
PERFITE_STEP_TIMEOUT_MS = env_int("PERFITE_STEP_TIMEOUT_MS", 30_000)
PERFITE_HAR_CONTENT = os.environ.get("PERFITE_HAR_CONTENT", "omit")
# Where measurements may go besides public addresses (core.netpolicy; README, "Internal
# addresses"): CIDRs ("*" turns the policy off), and host names or globs, optionally with
# :port, allowed whatever they resolve to. Checked on save by the server and on every
# connection by the agent, so set them on both. A malformed entry stops the process here.
PERFITE_ALLOWED_NETWORKS = env_list("PERFITE_ALLOWED_NETWORKS")
PERFITE_ALLOWED_HOSTS = env_list("PERFITE_ALLOWED_HOSTS")
AddressPolicy.parse(PERFITE_ALLOWED_NETWORKS, PERFITE_ALLOWED_HOSTS)
PERFITE_HAR_RETENTION_DAYS = env_int("PERFITE_HAR_RETENTION_DAYS", 30)
# Whole runs (result documents, per-host rows) go after this many days; 0 keeps them forever.
# Thirteen months by default, so a year-on-year comparison still has its runs.
PERFITE_RUN_RETENTION_DAYS = env_int("PERFITE_RUN_RETENTION_DAYS", 400)
PERFITE_AGENT_STALE_AFTER_S = env_int("PERFITE_AGENT_STALE_AFTER_S", 120)
# Seconds between an agent's heartbeats (keep well under PERFITE_AGENT_STALE_AFTER_S).
PERFITE_HEARTBEAT_EVERY = float(os.environ.get("PERFITE_HEARTBEAT_EVERY", 30))
# Set by `manage.py agent`: the worker's number of child processes, each with one browser.
PERFITE_AGENT_CONCURRENCY = env_int("PERFITE_AGENT_CONCURRENCY", 1)
# Load tests (README, "Load tests"): the virtual users this agent holds at once, announced in its
# heartbeat; the server shares a stage's users among the live agents by it. Four light users
# per core by default (bench/RESULTS.md, "Load mode"); 0 takes no part in load tests.
PERFITE_AGENT_LOAD_USERS = env_int("PERFITE_AGENT_LOAD_USERS", 4 * (os.cpu_count() or 1))
# The hosts a load test may target (names or globs such as *.example.com), besides each
# location's own list in the admin; empty: only those. A load test can hurt a site: an admin
# says which may take one.
PERFITE_LOAD_ALLOWED_HOSTS = env_list("PERFITE_LOAD_ALLOWED_HOSTS")
# Seconds a stage's share may wait for its agent (one busy with a run takes it after), and
# seconds an agent's share may go without reporting (or the agent without an answer) before
# the test fails (the users stop).
PERFITE_LOAD_START_TIMEOUT_S = env_int("PERFITE_LOAD_START_TIMEOUT_S", 180)
PERFITE_LOAD_SILENT_AFTER_S = env_int("PERFITE_LOAD_SILENT_AFTER_S", 30)
# Seconds between an agent's reports of a running share; the mean CPU (percent of the
# agent's machine) from which a stage's report calls the agent saturated.
PERFITE_LOAD_REPORT_EVERY = float(os.environ.get("PERFITE_LOAD_REPORT_EVERY", 1))
PERFITE_LOAD_SATURATED_CPU = float(os.environ.get("PERFITE_LOAD_SATURATED_CPU", 90))
# Where agents deliver results: empty means "write to the database directly" (same machine).
PERFITE_SERVER_URL = os.environ.get("PERFITE_SERVER_URL", "")
PERFITE_AGENT_TOKEN = os.environ.get("PERFITE_AGENT_TOKEN", "")
# Where an agent keeps finished measurements the server could not take yet (agents.spool).
PERFITE_AGENT_SPOOL_DIR = os.environ.get("PERFITE_AGENT_SPOOL_DIR", str(VAR_DIR / "spool"))
PERFITE_AGENT_SPOOL_MAX_BYTES = env_int("PERFITE_AGENT_SPOOL_MAX_BYTES", 2 * 1024**3)

GRAPHITE_HOST = os.environ.get("GRAPHITE_HOST", "")
GRAPHITE_PORT = env_int("GRAPHITE_PORT", 2003)
GRAPHITE_PREFIX = os.environ.get("GRAPHITE_PREFIX", "perfite")
# Runs other than scheduled ones (manual, CI, imported, …): "separate" pushes them under
# <prefix>.<kind>, away from the monitoring series; "off" pushes none of them.
PERFITE_GRAPHITE_OTHER_KINDS = os.environ.get("PERFITE_GRAPHITE_OTHER_KINDS", "separate").lower()
if PERFITE_GRAPHITE_OTHER_KINDS not in {"separate", "off"}:
    raise ImproperlyConfigured(
        f"PERFITE_GRAPHITE_OTHER_KINDS={PERFITE_GRAPHITE_OTHER_KINDS!r}: use separate or off"
    )

# Backend series (a script's backend_metric): the Graphite-web render API the server reads each
# run's window from, e.g. http://graphite:8080 (README, "Backend series"). Set by the operators,
# never by a scenario; empty turns the fetch off (declared series are then recorded as errors).
PERFITE_BACKEND_GRAPHITE_URL = os.environ.get("PERFITE_BACKEND_GRAPHITE_URL", "").strip()
if PERFITE_BACKEND_GRAPHITE_URL and not PERFITE_BACKEND_GRAPHITE_URL.startswith(
    ("http://", "https://")
):
    # The value is not repeated: it may hold the render API's credentials.
    raise ImproperlyConfigured("PERFITE_BACKEND_GRAPHITE_URL must start with http:// or https://")
# Seconds to connect and to read each target's answer; seconds after a run is stored before
# its window is read (its last points may reach Graphite later); seconds the window is widened
# by on each side (keep the delay under PERFITE_VISIBILITY_TIMEOUT); tries again while
# Graphite does not answer (30 s, 60 s, then 120 s apart).
PERFITE_BACKEND_TIMEOUT_S = float(os.environ.get("PERFITE_BACKEND_TIMEOUT_S", 5))
PERFITE_BACKEND_DELAY_S = env_int("PERFITE_BACKEND_DELAY_S", 15)
PERFITE_BACKEND_MARGIN_S = env_int("PERFITE_BACKEND_MARGIN_S", 0)
PERFITE_BACKEND_RETRIES = env_int("PERFITE_BACKEND_RETRIES", 8)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["scenarios.roles.ReadOrEdit"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "scenarios.api.parsers.NulFreeFormParser",  # a NUL in a form field is a 400
        "scenarios.api.parsers.NulFreeMultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Perfite API",
    "DESCRIPTION": "Synthetic web-performance monitoring: scenarios, runs, CI comparisons.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,  # the schema does not describe its own endpoint
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "scenarios.api.schema.document_errors",  # 4xx answers, rules serializers cannot state
    ],
    # Fields named alike with different choices: one enum name each in the schema.
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "scenarios.models.run.Run.STATUSES",
        "ComparisonStatusEnum": "scenarios.models.ci.Comparison.STATUSES",
        "RunKindEnum": "scenarios.models.run.Run.KINDS",
        "ThresholdKindEnum": "scenarios.models.alerts.Threshold.KINDS",
        "CulpritKindEnum": ["host", "entity"],
        "LoadTestStatusEnum": "scenarios.models.load.LoadTest.STATUSES",
        "LoadKindEnum": "core.load.plan.KINDS",
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
