# NewsKB: migrations on start, then uvicorn. Build: docker build -t newskb .
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY seed ./seed
RUN pip install --no-cache-dir --upgrade pip && pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 newskb
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=newskb:newskb alembic.ini ./
COPY --chown=newskb:newskb migrations ./migrations
COPY --chown=newskb:newskb seed ./seed
ENV PATH=/opt/venv/bin:$PATH \
    NEWSKB_DATABASE_URL=sqlite:////data/newskb.db \
    NEWSKB_HOST=0.0.0.0
RUN mkdir /data && chown newskb:newskb /data
USER newskb
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["sh", "-c", "python -m seed && exec uvicorn app.asgi:app --host 0.0.0.0 --port 8000"]
