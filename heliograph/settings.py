"""Django settings, read from the environment only (see docs/configuration.md)."""

import os
import secrets
import time
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from heliograph.lib.config import (
    env_bool,
    env_choice,
    env_domain,
    env_int,
    env_list,
    env_networks,
    env_path,
    env_str,
    env_url,
)
from heliograph.lib.email_url import DEFAULT_TIMEOUT as DEFAULT_EMAIL_TIMEOUT
from heliograph.lib.email_url import env_email_url, env_from_address
from heliograph.lib.security import contacts_from_env, proxy_ssl_header_from_env

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = env_path("HELIOGRAPH_DATA_DIR", Path.cwd() / "data")
try:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
except OSError as error:
    raise ImproperlyConfigured(
        f"HELIOGRAPH_DATA_DIR={DATA_DIR} cannot be created ({error.strerror}): give a writable "
        "directory."
    ) from None


def _secret_key() -> str:
    """Return SECRET_KEY, or a key generated once into the data directory."""
    configured = env_str("SECRET_KEY")
    if configured:
        if len(configured) < 32:
            raise ImproperlyConfigured("SECRET_KEY is too short: use at least 32 characters.")
        return configured
    key_file = DATA_DIR / "secret_key"
    try:
        # O_EXCL makes one process the writer when several start on a new data directory.
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(key_file)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(50))
    return _read_key(key_file)


def _read_key(key_file: Path) -> str:
    """Read the generated key, waiting briefly while another process is still writing it."""
    for _ in range(50):
        key = key_file.read_text().strip()
        if key:
            return key
        time.sleep(0.02)
    raise ImproperlyConfigured(f"{key_file} is empty: delete it to generate a new key.")


SECRET_KEY = _secret_key()
# Earlier keys that still verify signatures and open sealed TOTP secrets while SECRET_KEY rotates.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
DEBUG = env_bool("DEBUG", False)

HELIOGRAPH_DOMAIN = env_domain("HELIOGRAPH_DOMAIN", "localhost")
HELIOGRAPH_BASE_URL = env_url(
    "HELIOGRAPH_BASE_URL", "http://127.0.0.1:8000", schemes=("http", "https")
).rstrip("/")
# The page that the main host serves at "/", for installs with one page (empty: none).
HELIOGRAPH_DEFAULT_PAGE = env_str("HELIOGRAPH_DEFAULT_PAGE")
# Where the Runstatus-compatible API is mounted, and how far (in seconds) the Exoscale-Date of
# a signed request may be from the server's clock (see docs/runstatus.md).
HELIOGRAPH_RUNSTATUS_PREFIX = env_str("HELIOGRAPH_RUNSTATUS_PREFIX", "/runstatus/")
HELIOGRAPH_RUNSTATUS_MAX_SKEW = env_int("HELIOGRAPH_RUNSTATUS_MAX_SKEW", 300, minimum=1)

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS",
    [HELIOGRAPH_DOMAIN, f".{HELIOGRAPH_DOMAIN}", "127.0.0.1", "[::1]", "localhost", "testserver"],
)
# Custom domains of pages are checked against the database by the page router, so a
# deployment serving them sets ALLOWED_HOSTS=* and relies on that check.

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "heliograph.accounts",
    "heliograph.domain",
    "heliograph.api",
    "heliograph.public",
    "heliograph.console",
    "heliograph.notifications",
    "heliograph.social",
    "heliograph.runstatus",
    "heliograph.importers",
    "heliograph.edge",
    "heliograph.backups",
    "heliograph.export",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy with a nonce per request, Permissions-Policy, framing, cookies.
    "heliograph.lib.security.SecurityHeadersMiddleware",
    # Request ids, access log and request metrics. It also serves /healthz, /readyz and /metrics.
    "heliograph.lib.observability.ObservabilityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Returns a 404 for unknown hosts before sessions or views run (see its module).
    "heliograph.public.routing.PageHostMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "heliograph.urls"
WSGI_APPLICATION = "heliograph.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "heliograph.lib.security.csp_nonce",
            ],
        },
    },
]

# Data: SQLite in WAL mode under the data directory, or DATABASE_URL.
DATABASE_URL = env_url(
    "DATABASE_URL", schemes=("postgres", "postgresql", "sqlite", "pgsql", "postgis")
)
if DATABASE_URL:
    # A connection is kept for 60 s and checked before its first use in each request or task,
    # so after a database restart no request fails on a connection from before it.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60,
                                                  conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "heliograph.sqlite3"),
            "OPTIONS": {
                # IMMEDIATE takes the write lock when a transaction starts, so two writers
                # queue on the busy timeout instead of failing with "database is locked"
                # when a read transaction tries to upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }

# Cache: in process, or Redis when REDIS_URL is set.
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("HELIOGRAPH_CACHE_PREFIX", "heliograph"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Memory for stored public responses in each web process, in MiB (see docs/deploy.md).
HELIOGRAPH_EDGE_CACHE_MB = env_int("HELIOGRAPH_EDGE_CACHE_MB", 32, minimum=1)

# Background work: Huey on SQLite under the data directory, or on Redis.
HUEY = {
    "name": "heliograph",
    "immediate": env_bool("HELIOGRAPH_TASKS_IMMEDIATE", False),
    "consumer": {"workers": env_int("HELIOGRAPH_WORKER_THREADS", 2, minimum=1)},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "tasks.sqlite3")})

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_ENGINE = "django.contrib.sessions.backends.db"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "uploads"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The largest request body the API accepts, in bytes.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("HELIOGRAPH_MAX_BODY_BYTES", 1_000_000, minimum=10_000)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
# Directory of the messages that the file-based backend (django.core.mail.backends.filebased)
# writes.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"status@{HELIOGRAPH_DOMAIN}")
# EMAIL_URL (smtp://user:password@host:port, smtps://..., ?tls=true) replaces the EMAIL_HOST,
# EMAIL_PORT, user, password and TLS settings above (see heliograph/lib/email_url.py).
_SMTP = env_email_url("EMAIL_URL")
if _SMTP is not None:
    EMAIL_HOST, EMAIL_PORT = _SMTP.host, _SMTP.port
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _SMTP.user, _SMTP.password
    EMAIL_USE_TLS, EMAIL_USE_SSL = _SMTP.use_tls, _SMTP.use_ssl
EMAIL_TIMEOUT = _SMTP.timeout if _SMTP is not None else DEFAULT_EMAIL_TIMEOUT
# The sender of notification e-mails to subscribers.
HELIOGRAPH_FROM_EMAIL = env_from_address("HELIOGRAPH_FROM_EMAIL", DEFAULT_FROM_EMAIL)
# How long a worker keeps a claimed notification before another worker may send it, in seconds.
# It must be well above EMAIL_TIMEOUT, or a slow send may be repeated.
HELIOGRAPH_DELIVERY_LEASE_SECONDS = env_int("HELIOGRAPH_DELIVERY_LEASE_SECONDS", 300, minimum=10)
# Networks that webhook requests may reach although the address guard rejects them otherwise.
HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS = env_networks("HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS")

# Logs: "plain" lines, or "json" for one JSON object per line with the request id and the
# page's slug (see docs/operations.md). `heliograph-admin serve` makes "json" its default.
HELIOGRAPH_LOG_FORMAT = env_choice("HELIOGRAPH_LOG_FORMAT", "plain", ("plain", "json"))
# One log record per request that Django handles (method, path, route, status, duration).
HELIOGRAPH_ACCESS_LOG = env_bool("HELIOGRAPH_ACCESS_LOG", HELIOGRAPH_LOG_FORMAT == "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "heliograph.lib.observability.RequestContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "heliograph.lib.observability.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler",
                             "formatter": HELIOGRAPH_LOG_FORMAT, "filters": ["request"]}},
    "root": {"handlers": ["console"], "level": env_choice(
        "LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), upper=True)},
    # A request for a host name this service does not serve gets a 400 response. Logging
    # each one with a traceback would let anyone fill the log.
    "loggers": {
        "django.security.DisallowedHost": {"handlers": [], "propagate": False},
        # The worker's consumer logs through a handler of its own.
        "huey": {"handlers": [], "propagate": False},
        # httpx logs every outgoing request at INFO, which filled the import command's output.
        # Deliveries and imports log their own outcome.
        "httpx": {"level": "WARNING"},
    },
}

# Security headers and cookies (see docs/security.md). Django's SecurityMiddleware sends
# Strict-Transport-Security on secure requests only.
SECURE_HSTS_SECONDS = env_int("HELIOGRAPH_HSTS_SECONDS", 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HELIOGRAPH_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a reverse proxy that ends TLS, the header that proxy sets to tell HTTPS requests apart,
# as NAME or NAME=VALUE (value "https" when left out), for example X-Forwarded-Proto. Only set
# it when the proxy always sets or overwrites that header, since clients could send it too.
SECURE_PROXY_SSL_HEADER = proxy_ssl_header_from_env("HELIOGRAPH_PROXY_SSL_HEADER")
# Cookies are marked Secure on every HTTPS request by SecurityHeadersMiddleware, and always when
# the base URL is https.
SESSION_COOKIE_SECURE = HELIOGRAPH_BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# The console's scripts read the CSRF token from the form, never from the cookie.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# /.well-known/security.txt (RFC 9116). It returns 404 while no contact is set.
HELIOGRAPH_SECURITY_CONTACTS = contacts_from_env(
    env_str("HELIOGRAPH_SECURITY_CONTACT"), "HELIOGRAPH_SECURITY_CONTACT")
HELIOGRAPH_SECURITY_POLICY_URL = env_url(
    "HELIOGRAPH_SECURITY_POLICY_URL", schemes=("https", "http"))
HELIOGRAPH_SECURITY_LANGUAGES = env_list("HELIOGRAPH_SECURITY_LANGUAGES", ["en"])
# Days from each request to the Expires field. RFC 9116 requires less than a year.
HELIOGRAPH_SECURITY_TXT_DAYS = env_int("HELIOGRAPH_SECURITY_TXT_DAYS", 180, minimum=1)
if HELIOGRAPH_SECURITY_TXT_DAYS > 364:
    raise ImproperlyConfigured(
        f"HELIOGRAPH_SECURITY_TXT_DAYS={HELIOGRAPH_SECURITY_TXT_DAYS} is too large: security.txt "
        "must expire within a year, so give 364 or less."
    )

# Metrics (see docs/operations.md). /metrics serves requests from these networks that did not
# come through a proxy, and requests with "Authorization: Bearer HELIOGRAPH_METRICS_TOKEN".
HELIOGRAPH_METRICS_TOKEN = env_str("HELIOGRAPH_METRICS_TOKEN")
HELIOGRAPH_METRICS_ALLOW_NETWORKS = (
    env_networks("HELIOGRAPH_METRICS_ALLOW_NETWORKS")
    if "HELIOGRAPH_METRICS_ALLOW_NETWORKS" in os.environ
    else ["127.0.0.0/8", "::1/128"]
)
# Directory of the request metrics of this machine's processes, so that a scrape of any of them
# adds up all of them (prometheus_client's multiprocess mode). Empty: per process only.
# `heliograph-admin serve` deletes the files of ended processes when it starts.
HELIOGRAPH_METRICS_DIR = env_str("HELIOGRAPH_METRICS_DIR", str(DATA_DIR / "metrics"))
if HELIOGRAPH_METRICS_DIR:
    Path(HELIOGRAPH_METRICS_DIR).mkdir(parents=True, exist_ok=True)
    # prometheus_client reads this variable once, when heliograph.lib.metrics imports it.
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", HELIOGRAPH_METRICS_DIR)

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/console/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
