"""Weiquan settings: everything that differs between machines comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("WEIQUAN_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    # Swagger UI and Redoc served from our static files, not a CDN (the CSP allows only 'self').
    "drf_spectacular_sidecar",
    "csp",
    # Two-factor authentication (TOTP) for staff, mediators, regulators and the admin
    # (complaints/security/twofactor.py).
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Operations: production system checks (config/checks.py).
    "config.apps.OpsConfig",
    "complaints",
    "evidence",
    "mediation",
    "reporting",
    "api",
]

MIDDLEWARE = [
    "config.middleware.RequestIdMiddleware",
    # Right after the id: one access line and the request metrics cover every answer.
    "config.logs.AccessLogMiddleware",
    "config.metrics.RequestMetricsMiddleware",
    # /healthz, /readyz, /metrics: answered here, whatever the Host header.
    "config.health.OperationsEndpointsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(); then roles that need a second factor are sent to it.
    "django_otp.middleware.OTPMiddleware",
    "complaints.security.twofactor.SecondFactorMiddleware",
    "api.limits.RequestSizeLimitMiddleware",
    "api.idempotency.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                # The web pages' role navigation (complaints/web/context.py).
                "complaints.web.context.web",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# Embedded SQLite unless DATABASE_URL names another database (PostgreSQL in production).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and the worker share the file.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable server fails fast (and /readyz says so) instead of hanging a worker.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DB_CONNECT_TIMEOUT", "5"))
    )

AUTH_USER_MODEL = "complaints.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Every login (admin, web, and so the API's session) goes through this backend: it
# locks an account, and slows an address, after repeated failures (LOGIN_* below).
AUTHENTICATION_BACKENDS = ["complaints.security.lockout.LockoutModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    # Three of: lower case, upper case, digits, other characters (GB/T 22239 practice).
    {"NAME": "complaints.security.passwords.CharacterClassesValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# Chinese is the source language (msgids); each app keeps its English catalogue in
# <app>/locale/en/LC_MESSAGES/django.po (found through the app), compiled by `make`.
LOCALE_PATHS = [BASE_DIR / "locale"]

# The web pages (complaints/web/): login, where to land, the CSRF failure page.
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"
CSRF_FAILURE_VIEW = "complaints.web.errors.csrf_failure"
USE_I18N = True
USE_TZ = True
# Stored in UTC (USE_TZ); shown in the complaint centre's time zone.
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# Evidence files (content-addressed, never served from a public URL). Local disk by
# default; EVIDENCE_S3_BUCKET switches to any S3-compatible store via django-storages
# (credentials from the usual AWS_* variables; endpoint from EVIDENCE_S3_ENDPOINT_URL).
EVIDENCE_ROOT = Path(os.environ.get("EVIDENCE_ROOT", VAR_DIR / "evidence"))
if os.environ.get("EVIDENCE_S3_BUCKET"):
    EVIDENCE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["EVIDENCE_S3_BUCKET"],
            "endpoint_url": os.environ.get("EVIDENCE_S3_ENDPOINT_URL") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    EVIDENCE_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": EVIDENCE_ROOT, "base_url": None},
    }
# The evidence log's checkpoints: signed with this Ed25519 key (PEM, PKCS#8); `make run`
# and DEBUG generate a development key on first use, production must provide one.
EVIDENCE_SIGNING_KEY = Path(
    os.environ.get("EVIDENCE_SIGNING_KEY", VAR_DIR / "keys" / "evidence-ed25519.pem")
)
# Mediation agreements are signed (PAdES) with this key and certificate (PEM files);
# DEBUG and `make run` make a self-signed development pair, production must mount both.
AGREEMENT_SIGNING_KEY = Path(
    os.environ.get("AGREEMENT_SIGNING_KEY", VAR_DIR / "keys" / "agreement-signing.key")
)
AGREEMENT_SIGNING_CERT = Path(
    os.environ.get("AGREEMENT_SIGNING_CERT", VAR_DIR / "keys" / "agreement-signing.crt")
)
# The origin line of checkpoints and the signer's name (c2sp.org/tlog-checkpoint).
EVIDENCE_LOG_ORIGIN = os.environ.get("EVIDENCE_LOG_ORIGIN", "weiquan.example/evidence")
# Optional RFC 3161 time-stamping authority for each checkpoint (e.g. a national TSA).
EVIDENCE_TSA_URL = os.environ.get("EVIDENCE_TSA_URL", "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "evidence": EVIDENCE_STORAGE,
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "weiquan",
    }
}
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "weiquan@localhost")
# Text messages (sign-up codes to a phone): complaints/sms.py; console in development.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "complaints.sms.ConsoleSmsBackend")
# Links in notification emails point here (no request to take the host from).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Celery: the embedded filesystem broker needs no service (make run); production sets
# CELERY_BROKER_URL to Redis or RabbitMQ.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(VAR_DIR / "broker"),
        "data_folder_out": str(VAR_DIR / "broker"),
        "processed_folder": str(VAR_DIR / "broker-processed"),
        "control_folder": str(VAR_DIR / "broker-control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {}
)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# Workers log through LOGGING below (JSON in production), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "sweep-deadlines": {
        "task": "complaints.tasks.sweep_deadlines",
        "schedule": float(os.environ.get("SWEEP_INTERVAL_SECONDS", "300")),
    },
    "evidence-checkpoint": {
        "task": "evidence.tasks.make_checkpoint",
        # At least daily (docs/evidence.md); hourly by default.
        "schedule": float(os.environ.get("EVIDENCE_CHECKPOINT_SECONDS", "3600")),
    },
    "purge-idempotency-records": {
        "task": "api.tasks.purge_idempotency_records",
        "schedule": 3600.0,
    },
    "deliver-webhooks": {
        "task": "api.tasks.deliver_due_webhooks",
        "schedule": float(os.environ.get("WEBHOOK_POLL_SECONDS", "30")),
    },
    "purge-evidence": {
        "task": "evidence.tasks.purge_evidence",
        # Daily: retention is counted in years, a day late is harmless.
        "schedule": float(os.environ.get("EVIDENCE_PURGE_SECONDS", str(24 * 3600))),
    },
    "purge-login-failures": {
        "task": "complaints.tasks.purge_login_failures",
        "schedule": 24 * 3600.0,
    },
    "complete-erasures": {
        "task": "api.tasks.complete_erasures",
        "schedule": 24 * 3600.0,
    },
    "fold-statistics": {
        "task": "reporting.tasks.fold_statistics",
        "schedule": float(os.environ.get("STATISTICS_FOLD_SECONDS", "2")),
    },
    "reporting-periodic-reports": {
        "task": "reporting.tasks.request_periodic_reports",
        # Asks only for reports not made yet (last month's and quarter's): a few times a
        # day so a missed run or a failed report is retried soon.
        "schedule": 6 * 3600.0,
    },
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.WeiquanAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        # Django's session, refused to staff, mediators and regulators without 2FA.
        "api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: the evidence upload declares multipart itself (api/limits.py gives
    # multipart bodies the upload limit, so no other endpoint may parse them).
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "api.errors.problem_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.UpdatedCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.PlatformKeyRateThrottle",
        "api.throttling.SessionUserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        # 300 a second: above the 200 a second of a platform working its queue at full
        # speed (docs/performance.md). Per second, not per minute: DRF keeps one
        # timestamp per request of the window in the cache and rewrites the list on
        # every request, so a minute's window at this rate costs 18,000 of them.
        "platform_key": os.environ.get("THROTTLE_PLATFORM_KEY", "300/sec"),
        "user": os.environ.get("THROTTLE_USER", "600/min"),
        "anon": os.environ.get("THROTTLE_ANON", "120/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Weiquan API",
    "DESCRIPTION": "Online consumer dispute resolution for e-commerce (维权). "
    "Errors are `application/problem+json` (RFC 9457) with a stable `code`; "
    "every code list below names each code with its Chinese label.",
    "VERSION": "1.0.0",
    # Request bodies get their own components, without the read-only fields.
    "COMPONENT_SPLIT_REQUEST": True,
    # Each enum's description lists `code` - 中文标签 (the labels in the request's
    # language, Chinese by default); api.schema.enum_labels_hook adds the same as
    # x-enum-varnames / x-enum-descriptions for client generators.
    "ENUM_GENERATE_CHOICE_DESCRIPTION": True,
    # Fixed names: two fields called `reason_code` carry different lists.
    "ENUM_NAME_OVERRIDES": {
        "PartyRoleEnum": "complaints.choices.Role",
        "StatusEnum": "complaints.choices.Status",
        "OutcomeEnum": "complaints.choices.Outcome",
        "ChannelEnum": "complaints.choices.Channel",
        "CategoryEnum": "complaints.choices.Category",
        "IssueTypeEnum": "complaints.choices.IssueType",
        "DemandEnum": "complaints.choices.Demand",
        "ResolutionEnum": "complaints.choices.Resolution",
        "RejectReasonEnum": "complaints.choices.RejectReason",
        "FailReasonEnum": "complaints.choices.FailReason",
        "ReferralRouteEnum": "complaints.choices.ReferralRoute",
        "SessionChannelEnum": "mediation.models.SessionChannel",
        "ProposalReplyEnum": "mediation.models.ProposalReply",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.enum_labels_hook",
    ],
    # /api/docs/ loads Swagger UI from our static files (drf-spectacular-sidecar): the
    # Content Security Policy below allows scripts and styles from 'self' only.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Webhook URLs on loopback or private networks are refused (SSRF) unless this is on
# (`make run` and the tests turn it on; production leaves it off).
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", False)

# Domain settings.
WEIQUAN = {
    # Consumer decision on a platform proposal: calendar days, one reminder before the end.
    "PROPOSAL_DECISION_DAYS": int(os.environ.get("PROPOSAL_DECISION_DAYS", "7")),
    "PROPOSAL_REMINDER_DAYS_BEFORE": int(os.environ.get("PROPOSAL_REMINDER_DAYS_BEFORE", "2")),
    # Window for the consumer to object after the platform reports fulfilment.
    "FULFILMENT_OBJECTION_DAYS": int(os.environ.get("FULFILMENT_OBJECTION_DAYS", "7")),
    "DEFAULT_FULFILMENT_DAYS": int(os.environ.get("DEFAULT_FULFILMENT_DAYS", "7")),
    # The mediator (and the parties) are reminded this many days before the mediation limit.
    "MEDIATION_REMINDER_DAYS_BEFORE": int(os.environ.get("MEDIATION_REMINDER_DAYS_BEFORE", "7")),
    # The complaint centre's name on agreements and notices (调解组织).
    "CENTRE_NAME": os.environ.get("CENTRE_NAME", "维权消费纠纷在线调解中心"),
    "SWEEP_BATCH_SIZE": int(os.environ.get("SWEEP_BATCH_SIZE", "500")),
    # Request bodies under /api/: JSON bodies, and one evidence file per upload (413 above).
    "API_MAX_BODY_BYTES": int(os.environ.get("API_MAX_BODY_BYTES", str(1024 * 1024))),
    # Evidence uploads per complaint: total bytes and number of files.
    "EVIDENCE_QUOTA_BYTES": int(os.environ.get("EVIDENCE_QUOTA_BYTES", str(200 * 1024 * 1024))),
    "EVIDENCE_QUOTA_FILES": int(os.environ.get("EVIDENCE_QUOTA_FILES", "100")),
    "EVIDENCE_MAX_UPLOAD_BYTES": int(
        os.environ.get("EVIDENCE_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))
    ),
    # Years evidence is kept after the case closes before purge_evidence removes its
    # contents (hashes stay). E-commerce Law art. 31: at least 3.
    "EVIDENCE_RETENTION_YEARS": os.environ.get("EVIDENCE_RETENTION_YEARS", "3"),
}

# Django refuses to read a body above this (2.5 MB by default), which would break
# uploads carrying an Idempotency-Key; api/limits.py bounds /api/ bodies before this.
DATA_UPLOAD_MAX_MEMORY_SIZE = WEIQUAN["EVIDENCE_MAX_UPLOAD_BYTES"] + 64 * 1024
# The same floor is checked again at use (evidence.retention.retention_years), for
# settings overridden after start-up.
try:
    WEIQUAN["EVIDENCE_RETENTION_YEARS"] = int(WEIQUAN["EVIDENCE_RETENTION_YEARS"])
except ValueError:
    raise ImproperlyConfigured(
        "EVIDENCE_RETENTION_YEARS must be a whole number of years."
    ) from None
if WEIQUAN["EVIDENCE_RETENTION_YEARS"] < 3:
    raise ImproperlyConfigured(
        "EVIDENCE_RETENTION_YEARS must be at least 3 (E-commerce Law art. 31), "
        f"not {WEIQUAN['EVIDENCE_RETENTION_YEARS']}."
    )

# Logs: one JSON object per line (time, level, logger, message, request_id, and for the
# access line method, path, status, duration_ms), or plain text; JSON unless DEBUG is on.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}.")
LOGGING = logging_config(log_format=LOG_FORMAT, level=os.environ.get("LOG_LEVEL", "INFO"))

# --- Security: HTTPS, cookies, headers (docs/operations.md) -------------------------
# Behind a proxy that terminates TLS, SECURE_PROXY_SSL_HEADER must name the header it
# sets ("HTTP_X_FORWARDED_PROTO,https"), or every request looks like plain HTTP and the
# redirect below loops. Only set it when the proxy overwrites that header.
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    _header, _, _value = os.environ["SECURE_PROXY_SSL_HEADER"].partition(",")
    SECURE_PROXY_SSL_HEADER = (_header.strip(), _value.strip() or "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading is the domain owner's call (browsers' lists are slow to leave), so it is off
# until asked for; the deploy check's reminder of it is silenced only while it is off.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Sessions end after SESSION_COOKIE_AGE seconds (8 hours: a working day) and, by
# default, when the browser closes (shared counter computers at the centre).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Content Security Policy (django-csp): nothing from other origins, no inline script.
# The one inline <style> of drf-spectacular's Swagger page is allowed by its hash
# (tests/ops/test_security_headers.py fails when an upgrade changes it).
SWAGGER_INLINE_STYLE_HASH = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, SWAGGER_INLINE_STYLE_HASH],
        # Swagger UI's stylesheet draws its icons from data: URIs.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Health and metrics -----------------------------------------------------------
# /readyz gives each external check (broker connection) at most this many seconds.
READYZ_TIMEOUT_SECONDS = float(os.environ.get("READYZ_TIMEOUT_SECONDS", "2"))
# /metrics answers these addresses or networks (REMOTE_ADDR, i.e. the proxy's when
# behind one), or any client with "Authorization: Bearer <METRICS_TOKEN>".
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "127.0.0.1,::1")
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# --- Personal data and accounts (docs/operations.md, key rotation) --------------------
# Consumers' phone numbers, ID numbers and addresses are encrypted at rest (AES-256-GCM,
# complaints/encryption.py) with the first of PERSONAL_DATA_KEYS; every listed key
# decrypts. PERSONAL_DATA_HASH_KEY keys the lookup hashes (find a user by phone). Both
# required with DEBUG off (`check --deploy` refuses to start without them); DEBUG gets
# fixed development keys that must never hold real data.
PERSONAL_DATA_KEYS = env_list("PERSONAL_DATA_KEYS", "")
PERSONAL_DATA_HASH_KEY = os.environ.get("PERSONAL_DATA_HASH_KEY", "")
DEVELOPMENT_PERSONAL_DATA_KEYS = ["ZGV2ZWxvcG1lbnQtb25seS1wZXJzb25hbC1kYXRhLWs="]
DEVELOPMENT_PERSONAL_DATA_HASH_KEY = "ZGV2ZWxvcG1lbnQtb25seS1sb29rdXAtaGFzaC1rZXk="
if DEBUG and not PERSONAL_DATA_KEYS:
    PERSONAL_DATA_KEYS = DEVELOPMENT_PERSONAL_DATA_KEYS
if DEBUG and not PERSONAL_DATA_HASH_KEY:
    PERSONAL_DATA_HASH_KEY = DEVELOPMENT_PERSONAL_DATA_HASH_KEY

# Login lock-out (complaints/security/lockout.py): LOGIN_FAILURE_LIMIT failed passwords
# for one user name within LOGIN_FAILURE_WINDOW_SECONDS lock it for that long;
# LOGIN_ADDRESS_FAILURE_LIMIT failures from one client address (any user names) block
# the address likewise. Successful logins clear the user name's failures.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", "900"))
# Behind a proxy: the META key of the header holding the client's address (else the
# address limit counts the proxy), e.g. HTTP_X_REAL_IP.
LOGIN_CLIENT_ADDRESS_HEADER = os.environ.get("LOGIN_CLIENT_ADDRESS_HEADER", "")

# Two-factor authentication: these roles, and every admin user (is_staff), must verify
# a TOTP code after the password (complaints/security/twofactor.py).
TWO_FACTOR_ROLES = ["staff", "mediator", "regulator"]
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "维权")
# TOTP secrets are not shown in the admin (a screenshot would be a second factor).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
