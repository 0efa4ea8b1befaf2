"""Django settings for huzhu. Every value comes from the environment (SPEC S6)."""

import os
from pathlib import Path

import dj_database_url
from csp import constants as csp

from huzhu import config

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = config.data_dir()  # 0700 whatever the umask
KEYS_DIR = DATA_DIR / "keys"

SECRET_KEY = config.key("secret_key", "SECRET_KEY", KEYS_DIR)
# Encryption of ID and phone numbers at rest, and the keyed hash used to look them up.
HUZHU_FIELD_KEY = config.key("field_key", "HUZHU_FIELD_KEY", KEYS_DIR)
# Field keys HUZHU_FIELD_KEY replaced: read with, never written with (members/crypto.py).
HUZHU_RETIRED_FIELD_KEYS = config.retired_keys(KEYS_DIR, "HUZHU_RETIRED_FIELD_KEYS")
HUZHU_LOOKUP_KEY = config.key("lookup_key", "HUZHU_LOOKUP_KEY", KEYS_DIR)
# SPEC §7a: the secret shared with the bank for signing its notices.
HUZHU_BANK_SECRET = config.key(config.BANK_SECRET, "HUZHU_BANK_SECRET", KEYS_DIR)
# The portal's simulated bank (/m/bank-sim/): a demo page playing the bank app's 工会互助
# signing. Off unless HUZHU_SIMULATED_BANK=1 (`make run` and the tests turn it on).
HUZHU_SIMULATED_BANK = config.env_bool("HUZHU_SIMULATED_BANK")

DEBUG = config.env_bool("DEBUG")
ALLOWED_HOSTS = config.env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = config.env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "huzhu",
    "huzhu.audit",
    "huzhu.org",
    "huzhu.accounts",
    "huzhu.members",
    "huzhu.policy",
    "huzhu.enrollment",
    "huzhu.rosters",
    "huzhu.payments",
    "huzhu.ledger",
    "huzhu.claims",
    "huzhu.bank",
    "huzhu.files",
    "huzhu.jobs",
    "huzhu.console",
    "huzhu.portal",
    "huzhu.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Every request of an auditor, answered or refused (SPEC §0); the two below it
    # answer bad input with 400 before any view and wrong methods with the app's 405.
    "huzhu.audit.middleware.PageViewMiddleware",
    "huzhu.middleware.MethodNotAllowedMiddleware",
    "huzhu.middleware.InputGuardMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "huzhu.urls"
WSGI_APPLICATION = "huzhu.wsgi.application"

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
                "huzhu.console.access.console_context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'huzhu.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer instead of failing with "database is locked" under light concurrency.
    # Write-ahead log: readers (a job page polling its progress) never wait for a writer,
    # and a commit appends to the log instead of waiting for the disk twice; with WAL,
    # synchronous=NORMAL loses no committed data on a crash of the application, only
    # (at worst) the last transactions on a power cut. Backups use SQLite's online copy,
    # which includes the log; restore moves the log aside with the database.
    # A transaction takes the write lock when it begins (BEGIN IMMEDIATE): one that reads
    # and then writes (a refund marked made, a ledger correction) cannot wait to upgrade a
    # read lock, and two of them at once failed at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The file holds the second-factor seeds: owner-only, created so before SQLite opens it.
    _sqlite_name = str(DATABASES["default"]["NAME"])
    if _sqlite_name != ":memory:" and not _sqlite_name.startswith("file:"):
        if Path(_sqlite_name).parent.is_dir():
            config.private_file(Path(_sqlite_name))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, the user's unit loaded in the same query (accounts/backends.py).
    "huzhu.accounts.backends.UserWithUnitBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:dashboard"

# Behind a load balancer (SPEC §13) every request comes from the balancer: the client's
# address is read from HUZHU_PROXY_HEADER, and only on requests from HUZHU_TRUSTED_PROXIES.
HUZHU_TRUSTED_PROXIES = config.env_networks("HUZHU_TRUSTED_PROXIES")
HUZHU_PROXY_HEADER = os.environ.get("HUZHU_PROXY_HEADER", "X-Forwarded-For")

# Lockout (SPEC S4): 5 failures for one username from one address lock that username at
# that address for 30 minutes, so an attacker elsewhere cannot lock a user out; 20 failures
# from one address, whatever the usernames, lock the address (a union office shares one
# NAT address, so this limit is higher). Attempts during a lock do not extend it.
AXES_FAILURE_LIMIT = int(os.environ.get("HUZHU_LOCKOUT_FAILURES", "5"))
HUZHU_LOCKOUT_ADDRESS_FAILURES = int(os.environ.get("HUZHU_LOCKOUT_ADDRESS_FAILURES", "20"))
AXES_COOLOFF_TIME = float(os.environ.get("HUZHU_LOCKOUT_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "huzhu.accounts.lockout.LockoutHandler"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "huzhu.audit.services.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "huzhu.console.views_auth.locked_out"
AXES_VERBOSE = False
AXES_HTTP_RESPONSE_CODE = 429

OTP_TOTP_ISSUER = "武进职工互助保障"
# Enrolling an authenticator needs a one-time code from the district admin (SPEC S4).
HUZHU_ENROLMENT_CODE_HOURS = 72
HUZHU_ENROLMENT_CODE_TRIES = 5
HUZHU_ENROLMENT_CODE_TRIES_WINDOW = 15 * 60
# Searches by a full ID or phone number, per staff user and hour (SPEC S2).
HUZHU_NUMBER_SEARCHES_PER_HOUR = 30

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = config.private_dir(DATA_DIR / "static")  # 0700, as the rest of DATA_DIR
# The application serves its own assets (no CDN on the union intranet); straight from the
# package, so no collectstatic step is needed.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = config.private_dir(DATA_DIR / "uploads")
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
HUZHU_UPLOAD_MAX_BYTES = int(os.environ.get("HUZHU_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
# A bank's deduction result file: about 70 bytes an item, so a million items fit.
# The bank's deduction file format (SPEC D4 by default; another bank, another class).
HUZHU_BANK_FILE_FORMAT = os.environ.get(
    "HUZHU_BANK_FILE_FORMAT", "huzhu.payments.bankfile.D4Format"
)
HUZHU_BANK_FILE_MAX_BYTES = int(os.environ.get("HUZHU_BANK_FILE_MAX_BYTES", str(128 * 1024 * 1024)))
# The file store (huzhu.files): uploads and generated files by SHA-256, served only
# through a view that checks the owning unit (SPEC S5). In the backup.
HUZHU_FILES_DIR = config.private_dir(DATA_DIR / "files")

# Background work (Django's Tasks API through the django-tasks backport): the queue is a
# table in our own database, the same on SQLite and PostgreSQL; `huzhu db_worker` runs it
# (started beside the web server by `make run`, a systemd unit in docs/deploy.md).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "huzhu.errors.csrf_failure"

# HUZHU_SECURE_COOKIES=1: the site is served over HTTPS only, behind a proxy (nginx) that
# terminates TLS and sets X-Forwarded-Proto (docs/deploy.md). `huzhu check --deploy` is then
# clean with every other setting at its default.
HUZHU_HTTPS = config.env_bool("HUZHU_SECURE_COOKIES")
SESSION_COOKIE_SECURE = HUZHU_HTTPS
CSRF_COOKIE_SECURE = HUZHU_HTTPS
if HUZHU_HTTPS:
    SECURE_SSL_REDIRECT = True
    # Trusted only because nginx overwrites the header on every request it forwards.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("HUZHU_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = config.env_bool("HUZHU_HSTS_INCLUDE_SUBDOMAINS", True)
    # The preload list needs includeSubDomains; turning that off turns preload off too.
    SECURE_HSTS_PRELOAD = config.env_bool("HUZHU_HSTS_PRELOAD", SECURE_HSTS_INCLUDE_SUBDOMAINS)
    # Load balancers and monitors probe the health check over plain HTTP from inside.
    SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]

# Content-Security-Policy (django-csp): scripts and styles only from our own static files,
# so an injected <script>, onclick= or style= does nothing. Templates carry no inline
# script or style (tests/test_deploy.py checks them).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "font-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}

# SMS (SPEC C5, S4): a dotted path to a class with send(phone, text).
HUZHU_SMS_SENDER = os.environ.get("HUZHU_SMS_SENDER", "huzhu.members.sms.LoggingSender")
HUZHU_OTP_TTL_SECONDS = 300
HUZHU_OTP_RESEND_SECONDS = 60
HUZHU_OTP_PER_HOUR = 5
HUZHU_OTP_MAX_ATTEMPTS = 5

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # StreamHandler writes to stderr: the journal under systemd (docs/deploy.md).
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "huzhu": {"handlers": ["console"], "level": os.environ.get("HUZHU_LOG_LEVEL", "INFO")},
        # Every unhandled exception (a 500) with its traceback. Django's own handlers print
        # it only with DEBUG on, and mail it only to ADMINS, which we do not use.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # Refused CSRF checks and disallowed Host headers.
        "django.security": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
