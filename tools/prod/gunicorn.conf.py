"""gunicorn settings for production (`gunicorn -c tools/prod/gunicorn.conf.py marketplace.wsgi`),
read from the environment so one file serves every host. docs/deploy.md explains the numbers."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers × threads: requests mostly wait on PostgreSQL or the RPC node, so a few threads
# per process use a core well; downloads never tie a worker up (nginx sends the bytes).
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# An upload chunk (8 MiB) on a slow link, or a chain call, may take a while; longer is a hang.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))
graceful_timeout = 30
keepalive = 5  # nginx keeps upstream connections open (upstream keepalive)
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None  # nginx logs requests already
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "marketplace"
