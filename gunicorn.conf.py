"""gunicorn's settings for Kawal: `gunicorn -c gunicorn.conf.py wsgi:app`. Every figure comes from the environment.

WEB_CONCURRENCY   worker processes (default: 2 per CPU core, at least 2)
GUNICORN_THREADS  threads per worker (default 4): one serves while another waits for PostgreSQL or a slow client
KAWAL_BIND        address to listen on (default 127.0.0.1:8000; put a reverse proxy with TLS in front)
GUNICORN_TIMEOUT  seconds before a stuck worker is restarted (default 60: the largest Excel export fits)
GUNICORN_CONTROL_SOCKET  a path for gunicorn's control socket (`gunicornc -s PATH`); without it there is none
"""

import gc
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from config import web_concurrency  # noqa: E402  (the app refuses per-worker login counts by the same figure)

bind = os.environ.get("KAWAL_BIND", "127.0.0.1:8000")
workers = web_concurrency()
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter, so they do not all restart together): a slow leak
# in a library cannot grow a worker without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = max_requests // 10
# The app is built once in the master and forked: the workers share its code pages.
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # empty: no access log
errorlog = "-"
# The one-click acknowledgement and calendar-feed tokens are redacted from this log by the filter that
# create_app() installs on the "gunicorn.access" logger (core.security.RedactTokens).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's control socket defaults to one path per system user ($HOME/.gunicorn/gunicorn.ctl): a second gunicorn
# on the machine (another instance, the benchmark, the tests) silently took it over, and `gunicornc` then reloaded
# the wrong one. It opens only where it is named.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or None
control_socket_disable = control_socket is None


def pre_fork(server, worker):
    # Objects made while importing the app live as long as the process: keep the collector off them, so that
    # forked workers do not copy those pages just to update reference counts.
    gc.freeze()


def post_fork(server, worker):
    # Connections are never shared across a fork: each worker opens its own pool.
    from core.extensions import db

    with worker.app.wsgi().app_context():
        db.engine.dispose(close=False)
