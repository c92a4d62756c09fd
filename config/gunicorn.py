"""gunicorn's settings, one place for `make up` (config/supervisord.conf),
the image and docker-compose (which pass their own --bind):
`gunicorn config.wsgi -c config/gunicorn.py`.

WEB_CONCURRENCY (3) sync processes, one request each at a time. Measured
with 50 reps clicking "Claim" at once (bench/bench_claims_http.py, 2-core
machine, bench/README.md): a claim is a few ms of CPU, so one request per
process, one process more than the cores, answers them fastest, and a sync
process takes a connection only when it is free, so the 50 spread over the
3 in arrival order. A threaded (gthread) process accepts every connection
it can and keeps it alive for its next request: with one thread each, one
process held 46-48 of the 50 reps' connections and served them one after
the other while the other two idled (p99 235-448 ms against 174-317 ms for
sync processes, same runs); with 8 threads, every claim started at once and
all finished late. The third process keeps the site answering while one serves
a long request (an export). Slow clients are the TLS proxy's to buffer
(docker-compose.yml). WEB_THREADS above 1 makes gunicorn use gthread.
"""

import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"
threads = int(os.environ.get("WEB_THREADS", "1"))
# A sync process that spends longer than this on one request is restarted
# (gthread's main loop reported alive however long a request took): room for
# a long export of the lead list, not for a hung one.
timeout = 120
# Used only with WEB_THREADS above 1 (gthread): sync processes close each
# connection after its answer.
keepalive = 10
accesslog = "-"
errorlog = "-"
# Nothing here uses gunicorn's control socket.
control_socket_disable = True
