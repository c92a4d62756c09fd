"""gunicorn's settings, one place for `make up` (config/supervisord.conf),
the image and docker-compose (which pass their own --bind):
`gunicorn config.wsgi -c config/gunicorn.py`.

Threads: WEB_THREADS (8) per worker process, WEB_CONCURRENCY (2) processes.
A request spends most of its time waiting on PostgreSQL, so threads keep
the cores busy; with one request at a time per process (gunicorn's sync
default, 3 processes), 50 reps clicking "Claim" at once queued behind one
another (bench/bench_claims_http.py). Connections are kept alive between
requests, as a browser keeps them.
"""

import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))
keepalive = 10
accesslog = "-"
errorlog = "-"
# Nothing here uses gunicorn's control socket.
control_socket_disable = True
