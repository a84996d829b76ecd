"""Lockstep settings: one file, configured by LOCKSTEP_* variables and DATABASE_URL."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("LOCKSTEP_DEBUG")
# Set by `lockstep demo` only: e-mail on the console. Debug stays off, and `lockstep serve`
# still refuses the demo passwords.
DEMO = env_bool("LOCKSTEP_DEMO")
HTTPS = env_bool("LOCKSTEP_HTTPS")
# Set by `lockstep bench run` for the server it measures: mounts the bench's yardstick page
# (the base layout, nothing else) under /o/<slug>/bench/base/ (docs/PERFORMANCE.md).
BENCH = env_bool("LOCKSTEP_BENCH")
# Figures computed once per change of the data (lockstep/core/snapshots.py).
LOCKSTEP_FIGURES_CACHE = env_bool("LOCKSTEP_FIGURES_CACHE", True)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "figures": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "lockstep-figures",
        "OPTIONS": {"MAX_ENTRIES": 500},
    },
}
DATA_DIR = Path(env_str("LOCKSTEP_DATA_DIR", "var")).resolve()
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"  # never served directly: assets go through permission-checked views


def _secret_key() -> str:
    """The env var wins; otherwise a key generated once and kept in the data dir."""
    key = env_str("LOCKSTEP_SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret.key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("LOCKSTEP_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("LOCKSTEP_CSRF_TRUSTED_ORIGINS", "")
BASE_URL = env_str("LOCKSTEP_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # its Swagger UI files, served by WhiteNoise for /api/v1/docs (no CDN)
    "django_otp",  # two-factor log-in (accounts.two_factor): TOTP apps and recovery codes
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "lockstep.core",
    "lockstep.accounts",
    "lockstep.orgs",
    "lockstep.programs",
    "lockstep.enablement",
    "lockstep.feedback",
    "lockstep.insights",
    "lockstep.results",
    "lockstep.briefs",
    "lockstep.webhooks",
    "lockstep.ops",
]

MIDDLEWARE = [
    "lockstep.core.middleware.RequestIdMiddleware",
    "lockstep.ops.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "lockstep.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lockstep.accounts.middleware.SessionLimitsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lockstep.orgs.middleware.TenancyMiddleware",
    "lockstep.webhooks.middleware.WebhookKickMiddleware",
]

ROOT_URLCONF = "lockstep.urls"
WSGI_APPLICATION = "lockstep.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["template_partials.templatetags.partials"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lockstep.orgs.context_processors.lockstep",
            ],
        },
    }
]

# --- database -------------------------------------------------------------------------
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
if env_str("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL"), conn_max_age=60)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "lockstep.sqlite3"),
            "OPTIONS": SQLITE_OPTIONS,
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiler spends 50-300 ms compiling the insights' aggregate queries,
    # more than running them (docs/PERFORMANCE.md): off, unless DATABASE_URL's `options` set it.
    pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    if "jit" not in str(pg_options.get("options", "")):
        pg_options["options"] = (str(pg_options.get("options", "")) + " -c jit=off").strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", SQLITE_OPTIONS)
    DATABASES["default"]["TEST"] = {"NAME": ""}  # in-memory, shared with the live server

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- accounts -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "lockstep.accounts.passwords.DemoPasswordHasher",  # the demo's accounts: demo mode only
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "lockstep.accounts.passwords.NotTheDemoPassword"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3  # set-password links from `createorg` live 3 days
LOGIN_THROTTLE_FAILURES = env_int("LOCKSTEP_LOGIN_MAX_FAILURES", 5)
LOGIN_THROTTLE_WINDOW_MINUTES = env_int("LOCKSTEP_LOGIN_LOCK_MINUTES", 15)
INVITATION_DAYS = env_int("LOCKSTEP_INVITATION_DAYS", 7)
# More limits (accounts.throttle): failed log-ins per client address in the same window,
# password-reset e-mails per address and requests per client an hour, invitations per
# address a day and per inviting person an hour.
LOGIN_THROTTLE_CLIENT_FAILURES = env_int("LOCKSTEP_LOGIN_MAX_CLIENT_FAILURES", 20)
RESET_EMAILS_PER_ADDRESS = env_int("LOCKSTEP_RESET_EMAILS_PER_HOUR", 3)
RESET_REQUESTS_PER_CLIENT = env_int("LOCKSTEP_RESET_REQUESTS_PER_CLIENT", 10)
INVITATIONS_PER_ADDRESS = env_int("LOCKSTEP_INVITATIONS_PER_ADDRESS", 5)
INVITATIONS_PER_INVITER = env_int("LOCKSTEP_INVITATIONS_PER_HOUR", 50)
# The client address behind these proxies is read from X-Forwarded-For (gunicorn trusts the
# same list for X-Forwarded-Proto).
TRUSTED_PROXIES = env_list("LOCKSTEP_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Sessions end after this long without a request, and this long after logging in whatever
# happens (accounts.middleware.SessionLimitsMiddleware).
SESSION_IDLE_MINUTES = env_int("LOCKSTEP_SESSION_IDLE_MINUTES", 120)
SESSION_MAX_HOURS = env_int("LOCKSTEP_SESSION_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 60 * 60
OTP_TOTP_ISSUER = "Lockstep"

# --- security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("LOCKSTEP_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Off unless asked for: `preload` lets anyone put the host on the browsers' built-in
    # list, which is hard to undo and binds every subdomain; it is the operator's decision
    # for their own domain, not the application's.
    SECURE_HSTS_PRELOAD = env_bool("LOCKSTEP_HSTS_PRELOAD")
# security.W021 ("SECURE_HSTS_PRELOAD is not True"): see the decision above.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- i18n / time ----------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True  # serve straight from the package: no collectstatic step
WHITENOISE_AUTOREFRESH = DEBUG

# --- email ----------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "LOCKSTEP_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG or DEMO
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("LOCKSTEP_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("LOCKSTEP_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("LOCKSTEP_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("LOCKSTEP_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("LOCKSTEP_EMAIL_TLS")
EMAIL_USE_SSL = env_bool("LOCKSTEP_EMAIL_SSL")
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
DEFAULT_FROM_EMAIL = env_str("LOCKSTEP_FROM_EMAIL", "Lockstep <lockstep@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- background tasks -----------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str("LOCKSTEP_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- operations -----------------------------------------------------------------------
# Logs go to standard error, one line each, with the request (or task) id; JSON lines with
# LOCKSTEP_LOG_FORMAT=json. Errors carry their traceback.
LOG_FORMAT = env_str("LOCKSTEP_LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "lockstep.core.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "lockstep.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOCKSTEP_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The worker's own lines replace django-tasks' (which print to standard output).
        "django_tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
    },
}
# Stopping (SIGTERM/SIGINT): in-flight requests and the running task get this long, then
# whatever is left is killed (and the task resumes on the next start).
STOP_TIMEOUT = env_int("LOCKSTEP_STOP_TIMEOUT", 20)
# The worker writes a heartbeat this often; /readyz fails when none is newer than
# WORKER_MAX_SILENCE; a worker on another host silent for WORKER_DEAD_AFTER is presumed dead
# and its running task is queued again (on the same host, a dead process is seen at once).
WORKER_HEARTBEAT_SECONDS = env_int("LOCKSTEP_WORKER_HEARTBEAT", 15)
WORKER_MAX_SILENCE = env_int("LOCKSTEP_WORKER_MAX_SILENCE", 120)
WORKER_DEAD_AFTER = env_int("LOCKSTEP_WORKER_DEAD_AFTER", 600)

# --- uploads (rep kit assets) ---------------------------------------------------------
ASSET_MAX_MB = env_int("LOCKSTEP_ASSET_MAX_MB", 25)
ASSET_EXTENSIONS = env_list(
    "LOCKSTEP_ASSET_EXTENSIONS",
    "pdf,ppt,pptx,key,doc,docx,xls,xlsx,csv,txt,md,png,jpg,jpeg,gif,webp,mp4,mov,zip",
)
IMPORT_MAX_MB = env_int("LOCKSTEP_IMPORT_MAX_MB", 500)

# --- REST API and outbound webhooks (docs/api.md) --------------------------------------
API_RATE_PER_MINUTE = env_int("LOCKSTEP_API_RATE_PER_MINUTE", 120)  # requests per token
WEBHOOK_TIMEOUT_SECONDS = env_int("LOCKSTEP_WEBHOOK_TIMEOUT", 10)
WEBHOOK_MAX_ATTEMPTS = env_int("LOCKSTEP_WEBHOOK_MAX_ATTEMPTS", 8)  # then the delivery fails
WEBHOOK_DISABLE_AFTER = env_int("LOCKSTEP_WEBHOOK_DISABLE_AFTER", 20)  # failures in a row
