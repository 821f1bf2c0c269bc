"""mehvar's one settings module: every deployment knob comes from the environment.

The defaults run the embedded demo (SQLite, console SMS backend, DEBUG on a laptop). Production
sets ``MEHVAR_ENV=production`` and must then provide ``SECRET_KEY`` and ``ALLOWED_HOSTS``; the
helpers below fail loudly instead of guessing.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("MEHVAR_DATA_DIR", BASE_DIR.parent.parent / "var")).resolve()


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Set the environment variable {name}.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}.") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


MEHVAR_ENV = env_str("MEHVAR_ENV", "development")
PRODUCTION = MEHVAR_ENV == "production"
# Under pytest, background tasks run inline so a test sees their effect at once.
TESTING = env_bool("MEHVAR_TESTING", "pytest" in sys.modules)

DEBUG = env_bool("DEBUG", not PRODUCTION)
if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Set ALLOWED_HOSTS in production.")
else:
    # A fixed development key keeps sessions across restarts of the demo; it is never used in
    # production because the branch above demands SECRET_KEY there.
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-mehvar-" + "x" * 32)
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "simple_history",
    "huey.contrib.djhuey",
    "mehvar.core",
    "mehvar.customers",
    "mehvar.insights",
    "mehvar.feedback",
    "mehvar.service",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "mehvar.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "mehvar.core.middleware.PersianFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "mehvar.core.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "mehvar.urls"
WSGI_APPLICATION = "mehvar.wsgi.application"

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
                "mehvar.core.context_processors.mehvar",
            ],
            "builtins": ["mehvar.core.templatetags.mehvar"],
        },
    }
]

# --- Database: SQLite (WAL) by default, anything dj-database-url understands otherwise.
DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("MEHVAR_SQLITE_PATH", str(DATA_DIR / "mehvar.sqlite3")),
            "OPTIONS": {
                # WAL lets the web process read while an import or the worker writes; a busy
                # timeout makes writers queue instead of failing with "database is locked".
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

if TESTING:
    # Hashing is deliberately slow; tests create many users and do not test its strength.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- Language and time: Persian first, Tehran time, UTC in the database.
LANGUAGE_CODE = "fa"
LANGUAGES = [("fa", _("Persian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Tehran")

# --- Feedback: survey links sent by SMS or email are absolute, so the site must know its address.
PUBLIC_URL = env_str("MEHVAR_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
FOLLOW_UP_HOURS = env_int("MEHVAR_FOLLOW_UP_HOURS", 24)  # time to call back an unhappy customer
# The service desk's mailbox: replies to customers say "reply to" it, and it is read for new
# tickets (IMAP polling when MEHVAR_SUPPORT_IMAP_HOST is set; or the inbound webhook).
SUPPORT_EMAIL = env_str("MEHVAR_SUPPORT_EMAIL", "")
# How replies name the company ({company} in canned replies).
MEHVAR_COMPANY_NAME = env_str("MEHVAR_COMPANY_NAME", "")
SUPPORT_IMAP = {
    "host": env_str("MEHVAR_SUPPORT_IMAP_HOST", ""),
    "port": env_int("MEHVAR_SUPPORT_IMAP_PORT", 993),
    "user": env_str("MEHVAR_SUPPORT_IMAP_USER", ""),
    "password": env_str("MEHVAR_SUPPORT_IMAP_PASSWORD", ""),
    "ssl": env_bool("MEHVAR_SUPPORT_IMAP_SSL", True),
    "folder": env_str("MEHVAR_SUPPORT_IMAP_FOLDER", "INBOX"),
}
# A long random secret the mail provider sends with each inbound email (empty: webhook off).
SUPPORT_INBOUND_SECRET = env_str("MEHVAR_SUPPORT_INBOUND_SECRET", "")
# Rate limits of the public support form and the customer's ticket page, per client address.
SUPPORT_RATE_LIMIT = {
    "open": env_str("MEHVAR_SUPPORT_OPEN_RATE", "60/m"),
    "submit": env_str("MEHVAR_SUPPORT_SUBMIT_RATE", "5/m"),
}
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "mehvar <no-reply@localhost>")
USE_I18N = True
USE_TZ = True
# Amounts are stored in Rials; this only changes how they are shown.
MEHVAR_CURRENCY_UNIT = env_str("MEHVAR_CURRENCY_UNIT", "toman")
if MEHVAR_CURRENCY_UNIT not in {"toman", "rial"}:
    raise ImproperlyConfigured("MEHVAR_CURRENCY_UNIT must be 'toman' or 'rial'.")

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every start when it is missing
WHITENOISE_USE_FINDERS = not PRODUCTION  # serve straight from the apps' folders in dev and tests
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
MEHVAR_IMPORT_MAX_BYTES = env_int("MEHVAR_IMPORT_MAX_BYTES", 200 * 1024 * 1024)

# --- Background work: Huey on SQLite by default, Redis when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
HUEY: dict[str, object] = {
    "name": "mehvar",
    "immediate": env_bool("HUEY_IMMEDIATE", TESTING),
    "consumer": {"workers": env_int("HUEY_WORKERS", 2), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "huey.sqlite3")})

# --- Public survey pages: rate limits per client IP (SECURITY.md #13), as "count/period" with
# the period s, m, h or d. "open" counts page views, "save" autosaves, "submit" full forms.
# Behind a reverse proxy: the header it sets to the client's address (e.g. X-Real-IP); empty
# means the direct peer (REMOTE_ADDR). Set it only when a proxy always overwrites the header.
CLIENT_IP_HEADER = env_str("MEHVAR_CLIENT_IP_HEADER", "")
_RATE = r"^\d+/\d*[smhd]$"
FEEDBACK_RATE_LIMIT = {
    "open": env_str("MEHVAR_FEEDBACK_OPEN_RATE", "60/m"),
    "save": env_str("MEHVAR_FEEDBACK_SAVE_RATE", "60/m"),
    "submit": env_str("MEHVAR_FEEDBACK_SUBMIT_RATE", "10/m"),
}
for _purpose, _rate in FEEDBACK_RATE_LIMIT.items():
    if not re.match(_RATE, _rate):
        raise ImproperlyConfigured(f"The {_purpose} rate must look like 10/m, not {_rate!r}.")
# django-ratelimit counts in a cache of its own. With REDIS_URL: Redis (atomic, shared by every
# process). Without: files under DATA_DIR, shared by the web processes of one machine; their
# increments are not atomic, so a burst may be under-counted by a few requests, which a spam
# guard can afford (memory would count per process and multiply the limit by the workers; the
# database cache would need `createcachetable`). Tests count in memory, cleared per test.
# django-ratelimit is not an installed app (it has no models), so its system check, which
# accepts only memcached or Redis, does not run; this paragraph is the reasoning it asks for.
RATELIMIT_USE_CACHE = "ratelimit"
if TESTING:
    _ratelimit_cache = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
elif REDIS_URL:
    _ratelimit_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    }
else:
    _ratelimit_cache = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "ratelimit"),
    }
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    RATELIMIT_USE_CACHE: _ratelimit_cache,
}

# --- Security: the checks of SECURITY.md that settings can hold.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
