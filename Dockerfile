# syntax=docker/dockerfile:1
# Baton's image. It serves the web app with gunicorn by default; the worker and
# beat run from the same image with another command (see docker-compose.yml).
# Configuration comes from the environment at run time (see .env.example).

# --- Front-end assets: npm from Debian's packages, kept out of the final image --
FROM python:3.11-slim AS assets
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
# The files of the Makefile's `assets` target, plus the source maps that three of
# them name: the hashed static storage (DEBUG=false) refuses to collect a file
# whose sourceMappingURL points at a missing file.
RUN mkdir -p static/vendor \
    && cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js \
          node_modules/htmx.org/dist/htmx.min.js node_modules/chart.js/dist/chart.umd.min.js static/vendor/ \
    && cp node_modules/bootstrap/dist/css/bootstrap.min.css.map node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map \
          node_modules/chart.js/dist/chart.umd.min.js.map static/vendor/

# --- The application ------------------------------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# Dependencies first, so that a change to the code reuses this layer. The
# project itself installs no package (its apps run from /app).
COPY pyproject.toml ./
RUN pip install . && rm -rf build *.egg-info

COPY . .
COPY --from=assets /build/static/vendor/ static/vendor/
# Translations compile with Babel (no gettext needed); skipped while there is
# no catalog yet. collectstatic needs settings that load: DEBUG=false selects the
# hashed, compressed storage, and a key that exists only for this build step.
RUN if [ -n "$(find locale -name '*.po' 2>/dev/null)" ]; then \
        pybabel compile --domain django --directory locale; \
    fi \
    && DEBUG=false SECRET_KEY=build-only-collectstatic python manage.py collectstatic --noinput -v 0

RUN useradd --create-home --uid 10001 --user-group baton
USER baton

EXPOSE 8000
# gunicorn's settings (processes, threads, keep-alive, logs) are
# config/gunicorn.py, as under `make up`; WEB_CONCURRENCY and WEB_THREADS
# change them.
CMD ["gunicorn", "config.wsgi", "--config", "config/gunicorn.py", "--bind", "0.0.0.0:8000"]
