"""Settings for carecenter, read from the environment (django-environ).

``DATABASE_URL`` unset means the embedded PostgreSQL under ``var/postgres``;
``CELERY_BROKER_URL`` unset means Celery tasks run eagerly in the web process.
Production (``DEBUG`` off) refuses to start without ``SECRET_KEY`` or
``FIELD_ENCRYPTION_KEY`` and turns on HSTS, secure cookies and the other
``check --deploy`` settings.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from carecenter import encryption

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
if DEBUG:
    SECRET_KEY = env(
        "SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production"
    )
else:
    SECRET_KEY = env("SECRET_KEY")  # fails loudly when missing
# Keys of the encrypted personal fields (carecenter.encryption): comma-separated,
# the first encrypts, all decrypt. Production must set them; the quick start keeps
# one under var/ (back it up with the database: without it the ID numbers are lost).
if env("FIELD_ENCRYPTION_KEY", default=""):
    FIELD_ENCRYPTION_KEYS = encryption.parse_keys(env("FIELD_ENCRYPTION_KEY"))
elif DEBUG:
    FIELD_ENCRYPTION_KEYS = encryption.parse_keys(
        encryption.development_key(BASE_DIR / "var" / "field-encryption.key")
    )
else:
    raise ImproperlyConfigured(
        "Set the FIELD_ENCRYPTION_KEY environment variable: personal data is "
        "encrypted with it (python -m carecenter.encryption new-key makes one)."
    )
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "carecenter.apps.CareCenterAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_tables2",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "axes",
    "csp",
    "carecenter",
    "elders",
    "services",
    "volunteers",
    "vouchers",
    "care",
    "daysheets",
    "activities",
    "inspections",
    "supervision",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "carecenter.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "carecenter.middleware.SessionTimeoutMiddleware",
    "carecenter.middleware.NoStoreMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "carecenter.urls"
WSGI_APPLICATION = "carecenter.wsgi.application"
ASGI_APPLICATION = "carecenter.asgi.application"

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
                "carecenter.context_processors.navigation",
            ],
        },
    },
]

# --- Database: PostgreSQL only --------------------------------------------------
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from carecenter import devdb

    DATABASES = {"default": devdb.database_settings()}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users, authentication, sessions -----------------------------------------------
AUTH_USER_MODEL = "carecenter.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# A session ends after 30 minutes without a request and 12 hours after login
# whatever happens (carecenter.middleware.SessionTimeoutMiddleware).
SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# django-axes: five wrong passwords for one username from one address lock it
# for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# --- Production hardening (passes `manage.py check --deploy`) ---------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# Content-Security-Policy (django-csp): scripts, styles, fonts and images from
# this site only, no inline script anywhere (templates keep their JavaScript in
# static files and pass data through data-* attributes or json_script).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Internationalisation --------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- The volunteer's phone pages without signal (volunteers/offline.py) ----------
# How long a phone keeps a volunteer's pages after they were last loaded with a
# signal. Visits waiting to be sent are kept until they are sent or discarded.
VOLUNTEER_OFFLINE_MAX_AGE = timedelta(days=env.int("VOLUNTEER_OFFLINE_DAYS", default=7))

# --- Static and media files ------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

# --- REST API --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "carecenter.tokens.ExpiringTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATE_FORMAT": "%Y-%m-%d",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "carecenter API",
    "DESCRIPTION": "Community home-care stations: archives, services, vouchers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from the drf-spectacular-sidecar wheel: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status": each its own name.
    "ENUM_NAME_OVERRIDES": {
        "CycleStatusEnum": "vouchers.models.CycleStatus",
        "VolunteerStatusEnum": "volunteers.models.VolunteerStatus",
        "CallKindEnum": "care.models.CallKind",
        "TeamKindEnum": "volunteers.models.TeamKind",
        "ProviderKindEnum": "services.models.ProviderKind",
    },
}

# --- Celery ----------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or None
# Without a broker the tasks run in the calling process: the quick start needs no Redis.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = (
    env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or "") or None
)
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# A killed worker's task is redelivered, so every task must be idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The longest task (the monthly issuance or the reconciliation of a district of a
# million elders) takes a few minutes; none may run longer than this.
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# Redis redelivers a message not acknowledged within the visibility timeout. With
# acks_late a running task is unacknowledged until it ends, so the timeout must
# outlast the longest task (the hard limit above), but no longer than needed: a
# worker killed mid-task delays its task by this much at most, and the hourly
# catch-up (carecenter.jobs) redoes what is due within the hour anyway. No task
# uses a countdown or an ETA, which Redis would also redeliver after this.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 5 * 60
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# django-celery-beat's database scheduler with a heartbeat and a catch-up at start.
CELERY_BEAT_SCHEDULER = "carecenter.beat:Scheduler"

# --- Imports (elders/roster.py): what an uploaded file may cost -------------------
# A file is refused, with a message and before its rows are parsed, past any of
# these: its rows, its size once unpacked, the time spent reading it. The preview
# validates every row in the web request, about 1.5 ms a row on the development
# machine, so 5,000 rows keep it to a few seconds; a larger station imports its
# roster in several files.
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=5_000)
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
IMPORT_MAX_SECONDS = env.float("IMPORT_MAX_SECONDS", default=15.0)

# API tokens expire this long after they are issued (carecenter.tokens).
API_TOKEN_LIFETIME = timedelta(hours=env.int("API_TOKEN_HOURS", default=12))

# --- Access log of personal data (carecenter.access_log) ----------------------------
# Kept three years by default (the Cybersecurity Law asks for at least six
# months of logs); a nightly task removes older entries.
ACCESS_LOG_RETENTION_DAYS = env.int("ACCESS_LOG_RETENTION_DAYS", default=3 * 365)
# Behind a reverse proxy that appends the client to X-Forwarded-For, log that.
ACCESS_LOG_FORWARDED_FOR = env.bool("ACCESS_LOG_FORWARDED_FOR", default=False)

# --- Audit (django-pghistory) -----------------------------------------------------
PGHISTORY_ADMIN_MODEL = "pghistory.MiddlewareEvents"

# --- Logging: security events go to their own logger ------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "carecenter.security": {"level": "INFO"},
    },
}
