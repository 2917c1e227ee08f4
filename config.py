"""Settings from the environment (and an optional .env), in one class per way of running Kawal."""

import os
import secrets
from pathlib import Path

from dotenv import load_dotenv

load_dotenv(Path(__file__).with_name(".env"))


def normalize_database_url(url: str | None) -> str | None:
    """Point plain PostgreSQL URLs at psycopg 3, the driver we ship."""
    if not url:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


YES = {"1", "true", "yes", "on"}
NO = {"0", "false", "no", "off"}


def env_flag(name: str, default: bool = False) -> bool:
    """Read a yes/no setting: 1, true, yes and on count as yes; 0, false, no and off as no; empty as not set.
    Anything else is refused at start with its name: "MAIL_USE_TLS=ya" read as no would log in to the mail server
    in the clear, and "SESSION_COOKIE_SECURE=ya" in production would send the session cookie over plain HTTP."""
    text = os.environ.get(name)
    value = (text or "").strip().lower()
    if not value:
        return default
    if value not in YES | NO:
        raise RuntimeError(f"{name} must be one of 1, true, yes, on or 0, false, no, off, not {text!r}.")
    return value in YES


def env_number(name: str, default, read, fits, what: str):
    """Read a numeric setting, refusing at start with its name and value what `read` cannot parse or `fits`
    refuses, rather than as a traceback deep inside the library that meets it later (APScheduler for the
    intervals, smtplib for the port), or a bare "invalid literal for int()" that names no setting."""
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = read(text)
    except ValueError:
        value = None
    if value is None or not fits(value):
        raise RuntimeError(f"{name} must be {what}, not {text!r}.")
    return value


def env_positive(name: str, default: float) -> float:
    """A number above zero (and finite)."""
    return env_number(name, default, float, lambda value: 0 < value < float("inf"), "a number above zero")


def env_count(name: str, default: int) -> int:
    """A whole number from 1."""
    return env_number(name, default, int, lambda value: value >= 1, "a whole number from 1")


def env_port(name: str, default: int) -> int:
    """A TCP port."""
    return env_number(name, default, int, lambda value: 0 < value < 65536, "a port number from 1 to 65535")


def web_concurrency() -> int:
    """The number of gunicorn worker processes, read as gunicorn.conf.py reads it (default: 2 per core, at least 2)."""
    return int(os.environ.get("WEB_CONCURRENCY") or max(2, 2 * (os.cpu_count() or 1)))


class Config:
    """Defaults shared by every environment."""

    ENV_NAME = "development"

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = normalize_database_url(os.environ.get("DATABASE_URL"))
    # pre_ping tests a pooled connection before use, so a PostgreSQL restart costs a reconnect, not an error;
    # recycle retires connections before a firewall or pgbouncer drops them silently. The pool's size is per web
    # worker process: WEB_CONCURRENCY × (DB_POOL_SIZE + DB_MAX_OVERFLOW) must stay under max_connections.
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_pre_ping": True,
        "pool_recycle": int(os.environ.get("DB_POOL_RECYCLE", 1800)),
    }
    DB_POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", 5))
    DB_MAX_OVERFLOW = int(os.environ.get("DB_MAX_OVERFLOW", 5))
    DB_POOL_TIMEOUT = int(os.environ.get("DB_POOL_TIMEOUT", 10))

    KAWAL_BASE_URL = os.environ.get("KAWAL_BASE_URL", "http://127.0.0.1:5000")
    KAWAL_TIMEZONE = os.environ.get("KAWAL_TIMEZONE", "Asia/Jakarta")
    KAWAL_PEMDA_NAME = os.environ.get("KAWAL_PEMDA_NAME", "Pemerintah Kota Tangerang")

    BABEL_DEFAULT_LOCALE = "id"
    LANGUAGES = ("id", "en")

    HSTS_MAX_AGE = 0  # seconds of Strict-Transport-Security; 0 sends none (development speaks plain HTTP)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_flag("SESSION_COOKIE_SECURE")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = env_flag("SESSION_COOKIE_SECURE")

    # Failed logins are counted in this store. memory:// is per process: with several gunicorn workers each would
    # count on its own, so production then refuses to start unless the store is shared (redis://…).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "kawal")
    RATELIMIT_ALLOW_PER_WORKER = env_flag("RATELIMIT_ALLOW_PER_WORKER")  # benchmarks only: accept per-worker counts
    RATELIMIT_HEADERS_ENABLED = True
    # Requests per token (or per address without one) to the API, in Flask-Limiter's notation.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute")
    WEB_CONCURRENCY = web_concurrency()
    # Three ceilings on failed logins: one account from one address (the usual guessing), one address over every
    # account, and one account from every address together, higher, so that someone guessing from one address
    # does not lock the owner out everywhere else.
    LOGIN_LIMIT_PER_ACCOUNT_AND_IP = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT_AND_IP", "8 per 5 minutes")
    LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "30 per 5 minutes")
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "50 per hour")
    # Reverse proxies in front of gunicorn that append to X-Forwarded-For; the client's address is read from there,
    # so that the limits above are per client and not all on the proxy's address.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 0))

    # The largest request body at all; each kind of upload has its own, smaller limit.
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", 2 * 1024 * 1024))
    IMPORT_MAX_ROWS = 1000
    PAGE_SIZE = 20
    TASKS_PAGE_SIZE = 50  # "My tasks": the most urgent fifty, with the counts of all
    ATTACHMENT_DIR = os.environ.get("ATTACHMENT_DIR")  # default: instance/attachments
    EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024))
    EVIDENCE_EXTENSIONS = ("pdf", "jpg", "jpeg", "png", "docx", "xlsx")
    PASSWORD_HASH_METHOD = "scrypt"

    # Mail: the development default is the local sink that `make run` starts (`flask reminders sink`).
    # An empty value (MAIL_SERVER= in a .env) is not set: smtplib given "" never connects, and says so only as
    # "please run connect() first" on every email.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or "127.0.0.1"
    MAIL_PORT = env_port("MAIL_PORT", 8025)
    MAIL_USE_TLS = env_flag("MAIL_USE_TLS")
    MAIL_USE_SSL = env_flag("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER") or "Kawal <kawal@localhost>"
    MAIL_TIMEOUT = env_positive("MAIL_TIMEOUT", 15)
    # Flask-Mail sends nothing when TESTING is set unless told otherwise; Kawal's tests talk to a real SMTP server.
    MAIL_SUPPRESS_SEND = env_flag("MAIL_SUPPRESS_SEND")
    # Temporary failures (4xx, refused connection, timeout) are retried, with capped backoff, while the email is
    # still useful: a digest until a newer digest supersedes it or its tasks are settled, a new-task or test email
    # for this many hours (then the daily reminder says it). Only permanent failures (5xx) end `dead`.
    MAIL_GIVE_UP_AFTER_HOURS = env_positive("MAIL_GIVE_UP_AFTER_HOURS", 72)
    # How long a claim holds its rows; a sender renews it when it makes their emails, and before a message once half
    # of it has gone. Keep it well above MAIL_TIMEOUT.
    MAIL_LEASE_SECONDS = env_positive("MAIL_LEASE_SECONDS", 300)
    # How many SMTP connections a dispatcher run sends over at once, each in a thread of its own with its own claims
    # (as several dispatchers would): the server's round trips of one overlap the others' work. Each is a
    # connection to the mail server and to the database, so keep it a few (an SMTP relay may limit them too).
    MAIL_CONNECTIONS = env_count("MAIL_CONNECTIONS", 4)
    MAIL_RETRY_BASE_SECONDS = 60
    MAIL_RETRY_CAP_SECONDS = 3600
    MAIL_SINK_DIR = None
    # A webhook delivery (notifications.webhooks) waits this many seconds for the endpoint, and is retried with the
    # email's backoff after a 5xx, 408, 429, timeout or refused connection; it ends `dead` after this many attempts
    # (an email has no such count: its usefulness ends it), or at once after another 4xx.
    WEBHOOK_TIMEOUT = env_positive("WEBHOOK_TIMEOUT", 10)
    WEBHOOK_MAX_ATTEMPTS = env_positive("WEBHOOK_MAX_ATTEMPTS", 8)
    # How often the worker (`flask reminders worker`) runs the planner, which itself waits for each government's
    # send time, and the dispatcher, which sends what is due.
    REMINDER_PLAN_EVERY_MINUTES = env_positive("REMINDER_PLAN_EVERY_MINUTES", 10)
    REMINDER_SEND_EVERY_SECONDS = env_positive("REMINDER_SEND_EVERY_SECONDS", 15)


class DevelopmentConfig(Config):
    """A laptop: SQLite under instance/, a secret key made once and kept there, mail caught by a local sink."""

    DEBUG = False
    MAIL_SINK_DIR = os.environ.get("MAIL_SINK_DIR", str(Path(__file__).with_name("instance") / "mail"))


class TestConfig(Config):
    """The test suite: each test passes its own database URL."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    WTF_CSRF_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    # Hashing strength is not under test; a cheap method keeps account fixtures fast.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


class ProductionConfig(Config):
    """A real deployment: the secret key and the database must come from the environment."""

    ENV_NAME = "production"

    HSTS_MAX_AGE = int(os.environ.get("HSTS_MAX_AGE", 365 * 24 * 3600))
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 1))  # the reverse proxy that terminates HTTPS
    SESSION_COOKIE_SECURE = env_flag("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = env_flag("SESSION_COOKIE_SECURE", True)


CONFIGS = {"development": DevelopmentConfig, "production": ProductionConfig, "test": TestConfig}


def config_from_environment() -> type[Config]:
    """Pick the settings class named by KAWAL_ENV (development unless told)."""
    name = os.environ.get("KAWAL_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"KAWAL_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None


def instance_secret_key(instance_path: str) -> str:
    """Read the development secret key from instance/, making it on first use."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
