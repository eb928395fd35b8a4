"""The one settings module. Every value comes from the environment (or a `.env` file) with an
embedded default that runs the whole product on one machine with nothing installed: SQLite and
the artifact store under `var/`, a local anvil chain, and a Celery broker in a SQLite file.
`.env.example` documents every variable."""

import secrets
import sys
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _local_secret_key() -> str:
    """A random key kept under var/ so sessions survive restarts without anyone configuring one."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env("SECRET_KEY", default=None) or _local_secret_key()
DEBUG = env.bool("DEBUG", default=True)
# Django's technical error pages (settings, code, tracebacks) even with DEBUG on are shown only
# when this is set: `make run` runs with DEBUG, and its visitors get the branded pages.
DEBUG_ERROR_PAGES = env.bool("DEBUG_ERROR_PAGES", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public base URL of the site: token metadata URIs and links in emails point here.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Notification e-mails (issue 17), sent only to people who gave an address on their profile.
# EMAIL_URL: smtp://user:password@host:587 (or submission://… for STARTTLS, smtp+ssl://…);
# the default prints mails to the worker's console.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Model Market <noreply@localhost>")

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
    "drf_spectacular_sidecar",
    "csp",
    # Ground floor first, then the apps that build on them (see ARCHITECTURE.md).
    "accounts",
    "notifications",  # ground floor: other apps call notifications.services.notify
    "artifacts",
    "chain",
    "listings",
    "payments",
    "compute",
    "agents",  # the MCP server: on top, beside marketplace; nothing imports it
    "marketplace",  # project-wide commands (runstack)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Outside the rest, so it sees their responses (JSON errors under /api/, branded pages,
    # 503 when the database is unreachable), and inside these two, whose headers its pages get.
    "marketplace.middleware.ErrorPagesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"

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
                "marketplace.context_processors.chain",
                "notifications.context_processors.unread",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# A kept connection the server dropped (a restart, a fail-over, an idle timeout) is noticed
# and replaced at the start of a request instead of failing it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)

if DATABASES["default"]["ENGINE"].endswith("postgresql") and not env.bool(
    "DATABASE_JIT", default=False
):
    # PostgreSQL's JIT compiles a plan when its estimated cost is high (a search ranking many
    # rows): ~35 ms of compiling per query, more than it saves on a web request's query.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web server and the Celery worker read while the other writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"]["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:sign-in"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "static")))

# Seed demo creators and listings on `make run`'s first start.
DEMO_DATA = env.bool("DEMO_DATA", default=True)

# --- Sessions and cookies -------------------------------------------------------------------
# An empty value (as in .env.example) means the default: secure whenever DEBUG is off.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG) or (
    not DEBUG and not env("SESSION_COOKIE_SECURE", default="")
)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG) or (
    not DEBUG and not env("CSRF_COOKIE_SECURE", default="")
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Personal tokens (Bearer mkt_…) first, then DRF's older `Token <key>`.
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberNoCountPagination",
    "PAGE_SIZE": 24,
    "DEFAULT_SCHEMA_CLASS": "marketplace.openapi.AutoSchema",
    # Per signed-in user, per client IP for anonymous requests, and stricter named scopes
    # (views set `throttle_scope`). Rates: API_THROTTLE_RATES below, read on every request.
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.UserThrottle",
        "core.throttling.AnonThrottle",
        "core.throttling.ScopeThrottle",
    ],
    # How many reverse proxies in front of the site append to X-Forwarded-For. 0 (the default):
    # rate limits key on the socket's address, and a client cannot pick its own key by
    # sending the header (None would trust its first entry). Behind nginx: 1 (docs/deploy.md).
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
}
# DRF rate syntax ("100/minute"); empty = no limit for that scope.
API_THROTTLE_RATES = {
    "anon": env("API_THROTTLE_ANON", default="300/minute") or None,
    "user": env("API_THROTTLE_USER", default="1200/minute") or None,
    "uploads": env("API_THROTTLE_UPLOADS", default="120/hour") or None,
    "purchase": env("API_THROTTLE_PURCHASE", default="60/minute") or None,
    "tokens": env("API_THROTTLE_TOKENS", default="30/hour") or None,
    "relay": env("API_THROTTLE_RELAY", default="30/hour") or None,
    "gasless": env("API_THROTTLE_GASLESS", default="60/minute") or None,
}
# Counters for throttles (and any other cache use). LocMem: per process, fine for one server;
# production with several workers: redis://127.0.0.1:6379/2 so limits hold across processes.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Anonymous browse, search and listing replies (pages and API) are cached this long at most;
# every listing, tier, price, sale or status change invalidates them at once
# (listings/page_cache.py). 0 turns the page cache off.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=60)
# In a cache of their own, so that many cached replies (one per URL asked) never crowd out the
# rate-limit counters: PAGE_CACHE_URL, by default CACHE_URL (its own memory when that is local).
_page_cache_url = env("PAGE_CACHE_URL", default="") or env("CACHE_URL", default="locmemcache://")
CACHES["pages"] = environ.Env.cache_url_config(_page_cache_url)
if CACHES["pages"]["BACKEND"].endswith("LocMemCache"):
    CACHES["pages"]["LOCATION"] = "pages"
    CACHES["pages"].setdefault("OPTIONS", {})["MAX_ENTRIES"] = 5000
# Days a token issued by SIWE sign-in (`"token": true`) works; settings-page tokens choose.
API_SIGN_IN_TOKEN_DAYS = env.int("API_SIGN_IN_TOKEN_DAYS", default=30)
SPECTACULAR_SETTINGS = {
    "TITLE": "AI model marketplace API",
    "DESCRIPTION": "Listings, uploads, offers, purchases, downloads. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",  # self-hosted assets: no CDN, works offline and under CSP
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["marketplace.openapi.only_api_v1"],
    "ENUM_NAME_OVERRIDES": {
        "ListingKindEnum": "listings.models.Listing.Kind",
        "TierKindEnum": "listings.models.Tier.Kind",
        "ListingStatusEnum": "listings.models.Listing.Status",
    },
}

# --- Security headers -----------------------------------------------------------------------
# Behind a TLS-terminating proxy, trust its X-Forwarded-Proto (set SECURE_PROXY_SSL_HEADER=true
# only when the proxy always sets it).
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# (An empty value in .env means "the default", as for the cookie settings above.)
SECURE_SSL_REDIRECT = (
    env.bool("SECURE_SSL_REDIRECT") if env("SECURE_SSL_REDIRECT", default="") else not DEBUG
)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", default="") or (0 if DEBUG else 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4): scripts and styles from this site only, no inline
# scripts or handlers. Card images may come from any https host (Markdown cards link badges).
_csp_report_only = env.bool("CSP_REPORT_ONLY", default=False)  # try a policy out first
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if _csp_report_only:
    CONTENT_SECURITY_POLICY_REPORT_ONLY, CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY, None

# --- Chain ----------------------------------------------------------------------------------
CHAIN_RPC_URL = env("CHAIN_RPC_URL", default="http://127.0.0.1:8545")
CHAIN_ID = env.int("CHAIN_ID", default=31337)
# The chain as wallets should show it, and an RPC URL the *browser's* wallet can reach (for
# wallet_addEthereumChain); defaults: a name for well-known ids, and CHAIN_RPC_URL.
CHAIN_NAME = env("CHAIN_NAME", default="")
CHAIN_PUBLIC_RPC_URL = env("CHAIN_PUBLIC_RPC_URL", default="")
# Blocks a log must be buried under before the indexer acts on it.
CONFIRMATIONS = env.int("CONFIRMATIONS", default=2)
# The event indexer (chain.indexer): beat starts a run every INDEXER_INTERVAL_SECONDS, which
# follows the chain for that long, polling for new blocks every INDEXER_POLL_SECONDS. At most
# INDEXER_MAX_BLOCK_RANGE blocks per eth_getLogs call (it adapts below that to what the provider
# accepts); INDEXER_BLOCK_HASHES recent block hashes are kept to detect reorgs that deep.
INDEXER_INTERVAL_SECONDS = env.float("INDEXER_INTERVAL_SECONDS", default=2.0)
INDEXER_POLL_SECONDS = env.float("INDEXER_POLL_SECONDS", default=0.25)
INDEXER_MAX_BLOCK_RANGE = env.int("INDEXER_MAX_BLOCK_RANGE", default=2000)
INDEXER_BLOCK_HASHES = env.int("INDEXER_BLOCK_HASHES", default=64)
# A block explorer's transaction page with "{hash}" for the hash; empty: hashes are shown plain.
CHAIN_EXPLORER_TX_URL = env("CHAIN_EXPLORER_TX_URL", default="")
# ENS names for addresses (accounts/ens.py): the ENS registry's address (mainnet's is
# 0x00000000000C2E074eC69A0dFb2997BA6C7d2e1e) on the chain at ENS_RPC_URL (empty: CHAIN_RPC_URL,
# e.g. a mainnet RPC when the marketplace runs on an L2). Empty registry: no ENS lookups.
# A primary name is shown only when its forward addr() is the address; answers are cached
# ENS_CACHE_SECONDS, failed lookups ENS_FAILURE_CACHE_SECONDS; each call waits at most
# ENS_RPC_TIMEOUT_SECONDS, so a slow node never holds a page for long.
ENS_REGISTRY_ADDRESS = env("ENS_REGISTRY_ADDRESS", default="")
ENS_RPC_URL = env("ENS_RPC_URL", default="")
ENS_CACHE_SECONDS = env.int("ENS_CACHE_SECONDS", default=6 * 3600)
ENS_FAILURE_CACHE_SECONDS = env.int("ENS_FAILURE_CACHE_SECONDS", default=60)
ENS_RPC_TIMEOUT_SECONDS = env.float("ENS_RPC_TIMEOUT_SECONDS", default=3.0)
CONTRACTS_DIR = BASE_DIR / "contracts"
CONTRACTS_BUILD_DIR = CONTRACTS_DIR / "build"
CHAIN_DEPLOYMENTS_DIR = Path(
    env("CHAIN_DEPLOYMENTS_DIR", default=str(CONTRACTS_DIR / "deployments"))
)
# Private key of the account that deploys contracts and holds the admin/moderator roles.
# The default is anvil's first dev account: never fund it on a real network.
ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
CHAIN_DEPLOYER_KEY = env("CHAIN_DEPLOYER_KEY", default="") or ANVIL_DEV_KEY
# Signs moderators' pauseListing/unpauseListing: needs the Marketplace's MODERATOR_ROLE (the
# deployer has it; grant it to a separate key in production). Default: the deployer key.
CHAIN_MODERATOR_KEY = env("CHAIN_MODERATOR_KEY", default="") or CHAIN_DEPLOYER_KEY
# Platform fee the Marketplace is deployed with (basis points of each sale; the contract caps it
# at 1000) and who receives it (empty: the deployer). The admin changes both on-chain later.
CHAIN_PLATFORM_FEE_BPS = env.int("CHAIN_PLATFORM_FEE_BPS", default=250)
CHAIN_PLATFORM_FEE_RECIPIENT = env("CHAIN_PLATFORM_FEE_RECIPIENT", default="")
# Key that relays what others signed, paying the gas: owners' split updates (setSplitsBySig)
# and buyers' gasless and x402 purchases (payments/relay). Empty: the deployer key.
CHAIN_RELAYER_KEY = env("CHAIN_RELAYER_KEY", default="")
# Deploy (and allow-list) the test stablecoins TestAuthToken (EIP-3009 + permit, like USDC) and
# TestPermitToken with `deploy_contracts`. Default: on the local chain (31337) only.
_test_tokens = env("CHAIN_TEST_TOKENS", default="").strip().lower()
CHAIN_TEST_TOKENS = (
    _test_tokens in ("1", "true", "yes", "on") if _test_tokens else CHAIN_ID == 31337
)

# --- Gasless purchases (payments/relay) --------------------------------------------------------
# What the relayer (CHAIN_RELAYER_KEY) may spend on gas for buyers' signed purchases per UTC
# day, in wei; a relay that would go past it is refused (429) until the next day.
RELAY_GAS_BUDGET_WEI_PER_DAY = env.int("RELAY_GAS_BUDGET_WEI_PER_DAY", default=5 * 10**16)
# How long a prepared one-signature purchase stays signable.
RELAY_INTENT_TTL_SECONDS = env.int("RELAY_INTENT_TTL_SECONDS", default=15 * 60)
# Sponsored (relayed) purchases one wallet gets per UTC day: a griefer with many tiny purchases
# cannot spend the day's gas budget from one wallet (429 after that; a wallet transaction
# still works).
RELAY_PURCHASES_PER_BUYER_PER_DAY = env.int("RELAY_PURCHASES_PER_BUYER_PER_DAY", default=20)
# A relayed purchase still being sent blocks the same buyer's next one until its signed
# payment's deadline (a client that retries must not be charged twice); a relay recorded
# without a deadline blocks for this long.
RELAY_PENDING_SECONDS = env.int("RELAY_PENDING_SECONDS", default=10 * 60)
# The share of the day's sponsorship one listing's purchases may use (a seller buying its own
# cheap tier from many wallets cannot spend everyone's).
RELAY_LISTING_BUDGET_SHARE = env.float("RELAY_LISTING_BUDGET_SHARE", default=0.25)

# --- Wallet sign-in (SIWE) ------------------------------------------------------------------
SIWE_NONCE_TTL_SECONDS = env.int("SIWE_NONCE_TTL_SECONDS", default=300)
SIWE_STATEMENT = env("SIWE_STATEMENT", default="Sign in to the AI model marketplace.")
# Requests per client IP to the nonce and verify endpoints (DRF rate syntax; empty: no limit).
SIWE_THROTTLE_RATE = env("SIWE_THROTTLE_RATE", default="30/minute") or None

# --- Listings -------------------------------------------------------------------------------
# When off, a submitted listing is published at once instead of waiting for a moderator.
LISTINGS_REQUIRE_REVIEW = env.bool("LISTINGS_REQUIRE_REVIEW", default=True)
# How long a creator's signed listing offer stays valid for a first (registering) purchase.
# Short on purpose (issue 14): a replaced offer is cancelled on-chain, and an unsold listing's
# creator renews its offer with one signature from the edit page.
OFFER_VALIDITY_SECONDS = env.int("OFFER_VALIDITY_SECONDS", default=7 * 24 * 3600)

# --- Artifact storage -----------------------------------------------------------------------
ARTIFACT_STORAGE = env("ARTIFACT_STORAGE", default="local")  # local | ipfs
ARTIFACT_ROOT = Path(env("ARTIFACT_ROOT", default=str(VAR_DIR / "artifacts")))
IPFS_API_URL = env("IPFS_API_URL", default="http://127.0.0.1:5001")
# Per request to the IPFS node; adding a multi-GB file takes a while.
IPFS_TIMEOUT_SECONDS = env.int("IPFS_TIMEOUT_SECONDS", default=600)
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=20 * 1024**3)
# Part files of uploads in progress. Under ARTIFACT_ROOT by default: same file system, so a
# finished upload moves into the store by a rename instead of a copy.
UPLOAD_DIR = Path(env("UPLOAD_DIR", default="") or ARTIFACT_ROOT / ".uploads")
# The chunk size offered to clients (a multiple of 256 KiB keeps each chunk's CID leaves whole).
UPLOAD_CHUNK_BYTES = env.int("UPLOAD_CHUNK_BYTES", default=8 * 1024**2)
# An open upload that receives nothing for this long expires and its part file is deleted.
UPLOAD_EXPIRE_HOURS = env.int("UPLOAD_EXPIRE_HOURS", default=24)
# Per-person quotas (issue 15): bytes declared by one's open uploads, and bytes of the distinct
# files one has uploaded and keeps in the store. Refused with 413 and the figures.
UPLOAD_QUOTA_OPEN_BYTES = env.int("UPLOAD_QUOTA_OPEN_BYTES", default=40 * 1024**3)
UPLOAD_QUOTA_STORED_BYTES = env.int("UPLOAD_QUOTA_STORED_BYTES", default=200 * 1024**3)
# What may be uploaded: file name extensions and content types (fnmatch patterns; "*" = any).
# Empty: the built-in lists below.
UPLOAD_ALLOWED_EXTENSIONS = env.list("UPLOAD_ALLOWED_EXTENSIONS", default=[]) or [
    # models
    *".safetensors .gguf .ggml .bin .pt .pth .ckpt .onnx .h5 .keras .pb .tflite .mlmodel".split(),
    *".pkl .joblib .npz .npy .msgpack .model .tokenizer .vocab .spm".split(),
    # datasets and documents
    *".csv .tsv .json .jsonl .parquet .arrow .feather .avro .txt .md .yaml .yml .xml".split(),
    *".png .jpg .jpeg .webp .wav .flac .mp3 .mp4 .pdf .ipynb .py .sql .db .sqlite".split(),
    # archives
    *".zip .tar .gz .tgz .zst .xz .bz2 .7z .lz4".split(),
]
UPLOAD_ALLOWED_CONTENT_TYPES = env.list("UPLOAD_ALLOWED_CONTENT_TYPES", default=[]) or [
    # Browsers send "" for most model formats; that is allowed. HTML, SVG and scripts are not.
    "",
    *"application/octet-stream application/json application/x-ndjson application/zip".split(),
    *"application/gzip application/x-gzip application/x-tar application/x-xz".split(),
    *"application/x-bzip2 application/x-7z-compressed application/zstd application/pdf".split(),
    *"application/vnd.* application/x-* application/yaml application/xml".split(),
    *"text/plain text/csv text/tab-separated-values text/markdown text/x-python".split(),
    *"text/yaml text/x-yaml text/xml image/png image/jpeg image/webp audio/* video/*".split(),
]

# --- Downloads ------------------------------------------------------------------------------
# Seconds a signed download URL works (access is checked again when it is used).
DOWNLOAD_URL_TTL_SECONDS = env.int("DOWNLOAD_URL_TTL_SECONDS", default=300)
# Let nginx send the bytes: downloads answer with X-Accel-Redirect to the storage's internal
# location (/_artifacts/ or /_ipfs/; see docs/downloads.md) instead of streaming from Django.
DOWNLOADS_ACCEL_REDIRECT = env.bool("DOWNLOADS_ACCEL_REDIRECT", default=False)

# --- Compute-to-data (compute/; see docs/compute.md) ----------------------------------------
# Where a host's worker stages each job's inputs, algorithm and /out (removed after the job).
COMPUTE_STAGING_DIR = Path(env("COMPUTE_STAGING_DIR", default=str(VAR_DIR / "compute")))
# The interpreter jobs run with, inside the sandbox (its prefix is bound read-only). On a GPU
# host: a venv with PyTorch/CUDA.
COMPUTE_SANDBOX_PYTHON = env("COMPUTE_SANDBOX_PYTHON", default="") or sys.executable
# Extra host paths bound read-only into every sandbox (e.g. a model cache), comma-separated.
COMPUTE_SANDBOX_RO_PATHS = env.list("COMPUTE_SANDBOX_RO_PATHS", default=[])
# Extra paths bound read-only only for GPU jobs (driver libraries outside /usr).
COMPUTE_SANDBOX_GPU_PATHS = env.list("COMPUTE_SANDBOX_GPU_PATHS", default=[])
# Jobs run as uid BASE + (job id mod COUNT): unprivileged, one uid per running job.
COMPUTE_SANDBOX_UID_BASE = env.int("COMPUTE_SANDBOX_UID_BASE", default=200_000)
COMPUTE_SANDBOX_UID_COUNT = env.int("COMPUTE_SANDBOX_UID_COUNT", default=50_000)
COMPUTE_SANDBOX_MAX_PROCESSES = env.int("COMPUTE_SANDBOX_MAX_PROCESSES", default=64)
COMPUTE_OUTPUT_MAX_BYTES = env.int("COMPUTE_OUTPUT_MAX_BYTES", default=1024**3)
COMPUTE_OUTPUT_MAX_FILES = env.int("COMPUTE_OUTPUT_MAX_FILES", default=1000)
# /tmp's tmpfs; at most a quarter of the job's memory (compute/sandbox.py), which it counts in.
COMPUTE_TMP_MAX_BYTES = env.int("COMPUTE_TMP_MAX_BYTES", default=1024**3)
COMPUTE_LOG_MAX_BYTES = env.int("COMPUTE_LOG_MAX_BYTES", default=1024**2)
COMPUTE_UPLOAD_MAX_BYTES = env.int("COMPUTE_UPLOAD_MAX_BYTES", default=50 * 1024**2)
COMPUTE_MAX_INPUT_FILES = env.int("COMPUTE_MAX_INPUT_FILES", default=20)
# Jobs one person may have queued or running at once (429 past it).
COMPUTE_MAX_ACTIVE_JOBS_PER_USER = env.int("COMPUTE_MAX_ACTIVE_JOBS_PER_USER", default=5)
# Days a finished job's uploaded inputs are kept before the host's sweep deletes them.
COMPUTE_INPUT_RETENTION_DAYS = env.int("COMPUTE_INPUT_RETENTION_DAYS", default=7)
COMPUTE_HEARTBEAT_SECONDS = env.float("COMPUTE_HEARTBEAT_SECONDS", default=15.0)
COMPUTE_HOST_STALE_SECONDS = env.int("COMPUTE_HOST_STALE_SECONDS", default=60)
COMPUTE_JOB_STALE_SECONDS = env.int("COMPUTE_JOB_STALE_SECONDS", default=120)
COMPUTE_RUNNER_TIME_LIMIT_SECONDS = env.int("COMPUTE_RUNNER_TIME_LIMIT_SECONDS", default=86_400)
COMPUTE_ATTEST_RECEIPTS = env.bool("COMPUTE_ATTEST_RECEIPTS", default=True)
# The egress guard (compute/egress.py): outputs may always be this large whatever the data's
# size and the creator's percentage, and may share at most this many bytes with the data.
COMPUTE_EGRESS_MIN_OUTPUT_BYTES = env.int("COMPUTE_EGRESS_MIN_OUTPUT_BYTES", default=64 * 1024)
COMPUTE_EGRESS_MATCH_BYTES = env.int("COMPUTE_EGRESS_MATCH_BYTES", default=4096)

# --- Celery ---------------------------------------------------------------------------------
# The embedded default is a SQLite file under var/ (marketplace/broker.py): it needs no server,
# and a message is a row written in one transaction, so a consumer never reads half of one
# (kombu's filesystem transport could, and the JSONDecodeError killed the worker).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or (
    f"sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
)
if CELERY_BROKER_URL.startswith("sqlite:"):
    # Writers take turns on a SQLite file: wait for the lock (SQLite's default is 5 s) rather
    # than fail a publish while several processes publish and consume at once.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"timeout": 60}
elif CELERY_BROKER_URL.startswith("filesystem://"):
    _celery_dirs = {name: VAR_DIR / "celery" / name for name in ("queue", "processed", "control")}
    for _path in _celery_dirs.values():
        _path.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dirs["queue"]),
        "data_folder_out": str(_celery_dirs["queue"]),
        "processed_folder": str(_celery_dirs["processed"]),
        "control_folder": str(_celery_dirs["control"]),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The indexer's queue: the default one (`make run`'s single worker) unless production gives it a
# worker of its own ("indexer"), so a backlog of other tasks never delays access after a purchase.
INDEXER_QUEUE = env("INDEXER_QUEUE", default="celery")
CELERY_TASK_ROUTES = {"chain.tasks.*": {"queue": INDEXER_QUEUE}}
# The one beat schedule: every periodic task of every app, in one place.
CELERY_BEAT_SCHEDULE: dict = {
    "purge-expired-sign-in-nonces": {"task": "accounts.tasks.nonce_purge", "schedule": 600.0},
    "purge-expired-uploads": {"task": "artifacts.tasks.upload_purge_expired", "schedule": 3600.0},
    "purge-old-job-inputs": {"task": "compute.tasks.job_inputs_purge_task", "schedule": 3600.0},
    "purge-download-nonces": {"task": "payments.tasks.download_nonce_purge", "schedule": 3600.0},
    "index-chain": {
        "task": "chain.tasks.index_chain",
        "schedule": INDEXER_INTERVAL_SECONDS,
        "options": {"expires": INDEXER_INTERVAL_SECONDS * 2},  # a late run is superseded
    },
    "compute-heartbeats": {
        "task": "compute.tasks.heartbeat_dispatch",
        "schedule": COMPUTE_HEARTBEAT_SECONDS,
        "options": {"expires": COMPUTE_HEARTBEAT_SECONDS},
    },
    "compute-watchdog": {"task": "compute.tasks.watchdog", "schedule": 30.0},
    "relay-reconcile": {"task": "payments.tasks.relay_reconcile", "schedule": 60.0},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
