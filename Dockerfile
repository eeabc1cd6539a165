# syntax=docker/dockerfile:1
# Build: docker build -t kringloop .   Run: see docker-compose.yml (PostgreSQL beside the app).
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /venv
COPY pyproject.toml README.md ./
COPY service ./service
COPY migrations ./migrations
COPY integrations ./integrations
# The translations' .mo files are built, not committed: compile them before the package is installed.
RUN /venv/bin/pip install --no-cache-dir "Babel>=2.14" \
    && /venv/bin/pybabel compile -d service/locale -D messages \
    && /venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim
# pg_dump and pg_restore for `kringloop backup` / `restore` (they refuse a server of a newer major version than
# theirs: `docker compose exec app pg_dump --version` shows which server images fit). Unpinned: the slim base
# image's Debian release decides the version, and security updates should land on rebuild.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin kringloop
COPY --from=build /venv /venv
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    KRINGLOOP_HOST=0.0.0.0 \
    KRINGLOOP_PORT=8000 \
    KRINGLOOP_LOG_JSON=true
WORKDIR /home/kringloop
# Numeric, so the runtime knows without reading /etc/passwd that the process is not root.
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health/ready' % os.environ.get('KRINGLOOP_PORT', '8000'), timeout=4)"]
# `serve` migrates the database first, then serves (API.md); with KRINGLOOP_WORKERS > 1 it also runs the one
# scheduler process beside the workers (service/workers.py).
CMD ["kringloop", "serve"]
