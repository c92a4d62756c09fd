"""gunicorn's settings, one place for `make up` (config/supervisord.conf),
the image and docker-compose (which pass their own --bind):
`gunicorn config.wsgi -c config/gunicorn.py`.

WEB_CONCURRENCY (3) processes of WEB_THREADS (1) thread each, connections
kept alive between requests as a browser keeps them. Measured with 50 reps
clicking "Claim" at once (bench/bench_claims_http.py, quiet 2-core machine):
a request is about 6 ms of CPU, so one thread per process, one process more
than the cores, answers them fastest (p99 270-320 ms); 8 threads per
process let every request start at once and all finish late (p99 440-500
ms: more of the losers find the handoff still queued and take the longer
path). The third process keeps the site answering while one serves a long
request (an export).
"""

import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "1"))
keepalive = 10
accesslog = "-"
errorlog = "-"
# Nothing here uses gunicorn's control socket.
control_socket_disable = True
