#!/usr/bin/env bash
# The full stack without Docker: gunicorn, a Celery worker and Celery beat
# (config/supervisord.conf) against the local PostgreSQL and Redis. Run it through `make up`,
# which installs everything first and defaults DATABASE_URL / CELERY_BROKER_URL.
#
# Configuration comes from the environment and .env, the real environment
# winning, exactly as config/settings.py reads them. Choices for a local run:
#   - DEBUG stays as the environment or .env gives it; when neither sets it,
#     the stack runs like production (DEBUG=false, hashed static files).
#   - With DEBUG=false there is no TLS here, so SECURE_SSL_REDIRECT defaults to
#     false and SECURE_HSTS_SECONDS to 0, and when no SECRET_KEY is set a
#     throwaway one is generated and kept in BATON_RUN_DIR (sessions survive a
#     restart, nothing lands in the repository). Set them yourself to override.
#   - CACHE_URL defaults to the broker's Redis, next database: the capture rate
#     limits live in the cache, and the per-process default would give each
#     gunicorn worker its own count.
#   - BATON_RUN_DIR (default ${TMPDIR:-/tmp}/baton-<uid>) also holds the beat
#     schedule.
# supervisord restarts a process that dies (the others keep running). Stop
# everything with Ctrl-C: supervisord stops beat, the worker (warm shutdown)
# and gunicorn, in that order, then exits.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
export PATH="$PWD/$VENV/bin:$PATH"
PY="$VENV/bin/python"

say() { printf 'up: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[[ -x "$PY" ]] || die "no virtualenv at $VENV: run \`make install\` (or \`make up\`) first"

# 1. Resolve the configuration: the environment first, then .env (as settings.py
#    does). Variables set only in .env become shell variables here, so that the
#    defaults below see them; settings.py reads .env again in every process.
resolve() {
    "$PY" - "$@" <<'PY'
import os
import shlex
import sys

import environ

environ.Env.read_env(os.path.join(os.getcwd(), ".env"), overwrite=False)
for name in sys.argv[1:]:
    if name in os.environ:
        print(f"{name}={shlex.quote(os.environ[name])}")
PY
}
eval "$(resolve DATABASE_URL CELERY_BROKER_URL REDIS_URL CACHE_URL DEBUG SECRET_KEY \
    SECURE_SSL_REDIRECT SECURE_HSTS_SECONDS PORT WEB_CONCURRENCY WEB_THREADS BATON_RUN_DIR)"

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/baton}"
export CELERY_BROKER_URL="${CELERY_BROKER_URL:-${REDIS_URL:-redis://127.0.0.1:6379/0}}"
export PORT="${PORT:-8000}"
# gunicorn's processes and threads: config/gunicorn.py's defaults unless set.
[[ -z "${WEB_CONCURRENCY:-}" ]] || export WEB_CONCURRENCY
[[ -z "${WEB_THREADS:-}" ]] || export WEB_THREADS
export BATON_RUN_DIR="${BATON_RUN_DIR:-${TMPDIR:-/tmp}/baton-$(id -u)}"
(umask 077 && mkdir -p "$BATON_RUN_DIR")

# Host, port, user, password and name of a URL, one per line (empty when absent).
url_parts() {
    "$PY" - "$1" <<'PY'
import sys
from urllib.parse import unquote, urlsplit

url = urlsplit(sys.argv[1])
print(url.hostname or "", url.port or "", unquote(url.username or ""),
      unquote(url.password or ""), unquote(url.path.lstrip("/")), sep="\n")
PY
}
is_local() { [[ -z "$1" || "$1" == 127.0.0.1 || "$1" == localhost || "$1" == ::1 ]]; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_for() {  # wait_for DESCRIPTION COMMAND...: up to 30 s
    local _
    for _ in $(seq 60); do
        "${@:2}" && return 0
        sleep 0.5
    done
    die "$1 did not come up within 30 s"
}

# 2. PostgreSQL: start the local cluster if it is down, then create the database.
[[ "$DATABASE_URL" =~ ^(postgres|postgresql|pgsql|postgis):// ]] \
    || die "DATABASE_URL must point at PostgreSQL for the full stack (\`make run\` is the SQLite way)"
{ read -r PGHOST_; read -r PGPORT_; read -r PGUSER_; read -r PGPASS_; read -r PGDB_; } \
    < <(url_parts "$DATABASE_URL")
PGHOST_="${PGHOST_:-127.0.0.1}" PGPORT_="${PGPORT_:-5432}" PGUSER_="${PGUSER_:-postgres}"
[[ -n "$PGDB_" ]] || die "DATABASE_URL names no database"
# pytest-django creates and drops test_<name>: never run the stack on a test database.
[[ "$PGDB_" != test_* ]] || die "database $PGDB_ is the tests' own; use e.g. .../baton"

pg_ready() {
    if command -v pg_isready >/dev/null; then
        pg_isready -q -h "$PGHOST_" -p "$PGPORT_"
    else
        port_open "$PGHOST_" "$PGPORT_"
    fi
}
if ! pg_ready; then
    is_local "$PGHOST_" || die "PostgreSQL at $PGHOST_:$PGPORT_ does not answer"
    say "starting PostgreSQL"
    # Each cluster version under /etc/postgresql (one on these machines).
    for version_dir in /etc/postgresql/*/; do
        pg_ctlcluster --skip-systemctl-redirect "$(basename "$version_dir")" main start || true
    done
    wait_for "PostgreSQL at $PGHOST_:$PGPORT_" pg_ready
fi

export PGPASSWORD="$PGPASS_"
psql_admin() { psql -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" -d postgres -v ON_ERROR_STOP=1 -tAq "$@"; }
if [[ "$(psql_admin -v name="$PGDB_" <<<"SELECT 1 FROM pg_database WHERE datname = :'name';")" != 1 ]]; then
    say "creating database $PGDB_"
    psql_admin -v name="$PGDB_" <<<'CREATE DATABASE :"name";'
fi
unset PGPASSWORD

# 3. Redis: start a local server if it is down (the command of PRODUCT.md §5).
if [[ "$CELERY_BROKER_URL" =~ ^rediss?:// ]]; then
    { read -r REDIS_HOST; read -r REDIS_PORT; read -r _; read -r _; read -r _; } \
        < <(url_parts "$CELERY_BROKER_URL")
    REDIS_HOST="${REDIS_HOST:-127.0.0.1}" REDIS_PORT="${REDIS_PORT:-6379}"
    if ! port_open "$REDIS_HOST" "$REDIS_PORT"; then
        is_local "$REDIS_HOST" || die "Redis at $REDIS_HOST:$REDIS_PORT does not answer"
        say "starting Redis"
        redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no
        wait_for "Redis at $REDIS_HOST:$REDIS_PORT" port_open "$REDIS_HOST" "$REDIS_PORT"
    fi
    if [[ -z "${CACHE_URL:-}" ]]; then
        # The database after the broker's, so that the two never share keys.
        CACHE_URL="$("$PY" - "$CELERY_BROKER_URL" <<'PY'
import sys
from urllib.parse import urlsplit

url = urlsplit(sys.argv[1])
print(url._replace(path=f"/{int(url.path.strip('/') or 0) + 1}").geturl())
PY
)"
    fi
fi
[[ -z "${CACHE_URL:-}" ]] || export CACHE_URL

# 4. DEBUG and what a plain-http local run needs when it is off.
export DEBUG="${DEBUG:-false}"
debug_on="$("$PY" -c 'import sys, environ; print(int(environ.Env.parse_value(sys.argv[1], bool)))' "$DEBUG")"
if [[ "$debug_on" == 0 ]]; then
    export SECURE_SSL_REDIRECT="${SECURE_SSL_REDIRECT:-false}"
    export SECURE_HSTS_SECONDS="${SECURE_HSTS_SECONDS:-0}"
    if [[ -z "${SECRET_KEY:-}" ]]; then
        key_file="$BATON_RUN_DIR/secret_key"
        if [[ ! -s "$key_file" ]]; then
            (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$key_file")
        fi
        SECRET_KEY="$(<"$key_file")"
        say "using the throwaway SECRET_KEY in $key_file (set SECRET_KEY to use your own)"
    fi
    export SECRET_KEY
fi

# 5. Static files (hashed and compressed when DEBUG is off; with DEBUG on,
#    WhiteNoise serves them from the source folders), then the schema.
if [[ "$debug_on" == 0 ]]; then
    "$PY" manage.py collectstatic --noinput -v 0
fi
"$PY" manage.py migrate --noinput

say "DEBUG=$DEBUG, database $PGDB_ at $PGHOST_:$PGPORT_, broker ${REDIS_HOST:+Redis at $REDIS_HOST:$REDIS_PORT}"
say "serving http://127.0.0.1:$PORT/"
if [[ -z "$PGPASS_" ]]; then
    say "demo data, from another shell: DATABASE_URL=$DATABASE_URL make seed"
fi

# 6. The three processes, supervised (config/supervisord.conf): each inherits
#    this environment, and settings.py reads .env again in every process.
exec supervisord --configuration config/supervisord.conf
