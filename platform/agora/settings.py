"""Agora settings: one module, every value read from the environment.

Embedded default (no variables set): SQLite in var/, Celery tasks run eagerly, e-mail printed to
the console, media in var/media. Production (`AGORA_ENV=production`): PostgreSQL from
DATABASE_URL, Redis from REDIS_URL/CELERY_BROKER_URL, SMTP from EMAIL_URL, optional S3 media;
secrets have no defaults and the process refuses to start without them.
See docs/configuration.md for the full list.
"""

import sys
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

# Under pytest the test profile applies unless told otherwise (fast hashing, in-memory e-mail).
AGORA_ENV = env.str("AGORA_ENV", default="test" if "pytest" in sys.modules else "development")
if AGORA_ENV not in {"development", "test", "production"}:
    raise environ.ImproperlyConfigured(f"AGORA_ENV must be development, test or production, not {AGORA_ENV!r}")
PRODUCTION = AGORA_ENV == "production"

# --- Core -------------------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)
if PRODUCTION:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # no default: fail loudly
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production-0123456789")
    # *.localhost resolves to this machine in browsers: each demo area has its own host name.
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[".localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Foundation (platform/)
    "accounts",
    "areas",
    "privacy",
    # Domain apps
    "loyalty",
    "parcels",
    "shop",
    "analytics",
    "cms",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    # Accounts and security
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # API
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.simple_translation",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.locales",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "agora.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.RecordActivityMiddleware",
    "accounts.middleware.ClearSiteDataOnLogoutMiddleware",
    "areas.middleware.CurrentAreaMiddleware",
    "accounts.middleware.RequireStaffMFAMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "cms.middleware.EditorScopeMiddleware",
]

if PRODUCTION:
    # Static files served by the app itself behind the proxy (collected, hashed, compressed).
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = env.str("DJANGO_ROOT_URLCONF", default="agora.urls")  # bench/ swaps in its own
WSGI_APPLICATION = "agora.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "platform" / "agora" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wagtail.contrib.settings.context_processors.settings",
                "areas.context_processors.area",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------------
if not env.str("DATABASE_URL", default=""):
    VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'agora.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the demo server read while a seed or a task writes. A transaction takes the write lock when it
    # begins (IMMEDIATE): one that began reading and then writes could otherwise fail at once with "database is
    # locked" when another wrote in between, instead of waiting its turn (`timeout`, seconds).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
elif env.bool("DJANGO_DB_PREPARED_STATEMENTS", default=False):
    # Server-side parameters and prepared statements (psycopg prepares a query from its 5th run on a
    # connection): PostgreSQL then plans the till's hot queries once per connection, not on every scan.
    # Needs persistent connections (DJANGO_CONN_MAX_AGE) and no transaction-pooling proxy in between.
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Accounts ---------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    # Django's rules; accounts.validators only gives two of them messages the site can say in Dutch.
    {"NAME": "accounts.validators.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Agora] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Agora"

# --- Internationalisation ---------------------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates as read in NL and Flanders (day first, 24-hour clock): agora/formats/en/formats.py.
FORMAT_MODULE_PATH = ["agora.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Amsterdam"
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES

# --- Static and media -------------------------------------------------------------------------------
STATIC_URL = "/static/"
# The project package is not an app: its base styles are found here. Third-party JavaScript comes from npm
# (package.json, installed by dev.py): only each package's built files, under static/vendor/<package>/.
STATICFILES_DIRS = [
    BASE_DIR / "platform" / "agora" / "static",
    ("vendor/qrcode-generator", BASE_DIR / "node_modules" / "qrcode-generator" / "dist"),
    ("vendor/jsqr", BASE_DIR / "node_modules" / "jsqr" / "dist"),
]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "static")
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if env.str("AWS_STORAGE_BUCKET_NAME", default=""):
    # S3-compatible media (credentials and endpoint come from the AWS_* variables django-storages reads).
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME")
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
    AWS_QUERYSTRING_AUTH = True
    AWS_DEFAULT_ACL = None

# --- E-mail -----------------------------------------------------------------------------------------
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
elif env.str("EMAIL_FILE_PATH", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH")
elif PRODUCTION:
    raise environ.ImproperlyConfigured("Set EMAIL_URL (e.g. smtp+tls://user:password@host:587) in production.")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Agora <noreply@agora.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -----------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
# No broker configured: the embedded default runs every task in-process, right after commit.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Analytics: the key of the one-way subject number (HMAC of User.pseudonym). Empty: derived from SECRET_KEY.
# Rotating it makes every stored aggregate unjoinable with the next run's (they hold no subjects anyway).
ANALYTICS_SUBJECT_KEY = env.str("ANALYTICS_SUBJECT_KEY", default="")

CELERY_BEAT_SCHEDULE = {
    "anonymise-inactive-accounts": {
        "task": "privacy.tasks.anonymise_inactive_accounts_task",
        "schedule": 24 * 60 * 60,
    },
    "expire-points": {"task": "loyalty.tasks.expire_points_task", "schedule": crontab(hour=2, minute=15)},
    "check-points-ledger": {"task": "loyalty.tasks.check_ledger_task", "schedule": crontab(hour=3, minute=30)},
    "expire-gift-cards": {"task": "loyalty.tasks.expire_gift_cards_task", "schedule": crontab(hour=2, minute=45)},
    "points-expiry-notices": {"task": "loyalty.tasks.send_expiry_notices_task", "schedule": crontab(hour=9, minute=0)},
    # Before the parcel points open: yesterday's last storage day is over, the return lists are ready.
    "expire-parcels": {"task": "parcels.tasks.expire_overdue_parcels_task", "schedule": crontab(hour=4, minute=0)},
    "erase-parcel-recipients": {
        "task": "parcels.tasks.erase_recipient_data_task",
        "schedule": crontab(hour=3, minute=0),
    },
    # Reminders and last-day notices: hourly (each goes once; none before 08:00 in the area's zone).
    "parcel-reminders": {"task": "parcels.tasks.send_parcel_reminders_task", "schedule": crontab(minute=5)},
    # Shop payments: re-fetch payments whose webhook has not come; the nightly money invariant per order.
    "shop-reconcile-payments": {"task": "shop.tasks_payments.reconcile_payments_task", "schedule": 5 * 60},
    "shop-check-orders": {"task": "shop.tasks_payments.check_orders_task", "schedule": crontab(hour=3, minute=45)},
    # The webshop: lapsed stock reservations released and unpaid orders expired, every minute.
    "shop-release-reservations": {"task": "shop.tasks.release_lapsed_reservations_task", "schedule": 60},
    "shop-expire-unpaid": {"task": "shop.tasks.expire_unpaid_orders_task", "schedule": 60},
    "shop-erase-contacts": {"task": "shop.tasks.erase_contact_data_task", "schedule": crontab(hour=3, minute=20)},
    # The websites: pages scheduled to go live (or to expire) are published (unpublished) within the minute.
    "cms-publish-scheduled": {"task": "cms.tasks.publish_scheduled_pages_task", "schedule": 60},
    # Analytics: every area's figures, after the night's loyalty and parcel jobs.
    "analytics-recompute": {"task": "analytics.tasks.recompute_all_areas_task", "schedule": crontab(hour=4, minute=30)},
    # Campaign and event effects, segments and opening-hours advice, after the figures they sit beside.
    "analytics-effects": {
        "task": "analytics.tasks_effects.nightly_effects_task",
        "schedule": crontab(hour=5, minute=0),
    },
}

# --- Wagtail ----------------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Agora"
# Editors log in through allauth, with the second factor: Wagtail sends them to /cms/login/ (agora.views.staff_login),
# which redirects there, or answers 403 to someone signed in who may not edit (no loop through the login).
WAGTAILADMIN_LOGIN_URL = "cms_login"
WAGTAILADMIN_BASE_URL = env.str("WAGTAILADMIN_BASE_URL", default="http://localhost:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "pdf", "txt", "xlsx"]
# Documents: at most 20 MB, and the file must be what its name says (cms.admin_forms, which names the formats).
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILDOCS_DOCUMENT_FORM_BASE = "cms.admin_forms.DocumentForm"
# Images: 40 megapixels holds a phone's or an ordinary camera's photo; a small file that unpacks to more (a
# "decompression bomb", which stalls the server making renditions) is refused with Wagtail's "too many pixels".
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000
# Dates typed the Dutch and Flemish way, day first (24-12-2026 14:30); both languages read them back
# (Django's nl formats, agora/formats/en).
WAGTAIL_DATE_FORMAT = "%d-%m-%Y"
WAGTAIL_DATETIME_FORMAT = "%d-%m-%Y %H:%M"
WAGTAIL_TIME_FORMAT = "%H:%M"
# Autosave would create a new page as a hidden draft the moment its title is typed: an editor who leaves and starts
# again then meets "slug already in use". Without it Wagtail asks before leaving a page with unsaved changes.
WAGTAIL_AUTOSAVE_INTERVAL = 0
# No avatars from gravatar.com: every admin page would send the editor's (hashed) e-mail and address there.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# The admin in the languages the site itself speaks.
WAGTAILADMIN_PERMITTED_LANGUAGES = [("nl", "Nederlands"), ("en", "English")]
# Wagtail's own background work (search index, reference index) runs through django-tasks,
# configured on purpose apart from Celery: immediate, inside the request that caused it.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# --- API --------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "accounts.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "600/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Agora API",
    "DESCRIPTION": "The API of Agora: shopping areas, merchants, consents and the member's own data.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["agora.api.only_our_api"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI assets are served by us (drf-spectacular-sidecar), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Agora ------------------------------------------------------------------------------------------
# Small-group suppression: a figure shown outside the platform admin must rest on at least K people.
AGORA_DEFAULT_SUPPRESSION_K = env.int("AGORA_DEFAULT_SUPPRESSION_K", default=30)
AGORA_MIN_SUPPRESSION_K = 10
# Accounts without any login or activity for this long are anonymised by the retention job.
AGORA_RETENTION_INACTIVE_DAYS = env.int("AGORA_RETENTION_INACTIVE_DAYS", default=3 * 365)
# Role holders must have a second factor before they reach any staff screen.
AGORA_REQUIRE_STAFF_MFA = env.bool("AGORA_REQUIRE_STAFF_MFA", default=True)

# --- Shop payments (Stripe) -------------------------------------------------------------------------
# "stripe": the StripeGateway (against Stripe, or localstripe in the demo); "fake": in memory (tests).
SHOP_PAYMENT_GATEWAY = env.str("SHOP_PAYMENT_GATEWAY", default="fake" if AGORA_ENV == "test" else "stripe")
if PRODUCTION:
    STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY")  # no default: fail loudly
    STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY")
    STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET")
else:
    # The demo's localstripe accepts any sk_/pk_ key and signs webhooks with the secret we give it.
    STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="sk_test_localstripe")
    STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="pk_test_localstripe")
    STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="whsec_localstripe_demo")
# Empty: Stripe itself. The embedded default is a local localstripe (`manage.py localstripe`, `dev.py demo`).
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="" if PRODUCTION else "http://127.0.0.1:8420")
# Stripe Connect (transfer_group, transfers to merchants, onboarding); localstripe has none.
STRIPE_CONNECT = env.bool("STRIPE_CONNECT", default=not STRIPE_API_BASE)
# Stripe.js must come from Stripe (PCI); localstripe serves a stand-in at the same path.
STRIPE_JS_URL = env.str(
    "STRIPE_JS_URL",
    default=f"{STRIPE_API_BASE}/js.stripe.com/v3/" if STRIPE_API_BASE else "https://js.stripe.com/v3/",
)
# Reconciliation re-fetches payments still pending after this many minutes (a webhook that never came).
SHOP_RECONCILE_AFTER_MINUTES = env.int("SHOP_RECONCILE_AFTER_MINUTES", default=10)

# --- Logging ----------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "stripe": {"level": "WARNING"}},
}

# --- Security (production) --------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Tests ------------------------------------------------------------------------------------------
if AGORA_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A cache per test process: rate limits and cached lookups must not leak between tests,
    # parallel workers or earlier runs (a shared Redis would keep them).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Tasks queued in a test run in-process right after commit, broker or not: what a test queues is what it
    # checks, and nothing is left on a shared Redis without a worker. tests/test_processes.py proves the broker
    # path itself with a real worker on Redis.
    CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
