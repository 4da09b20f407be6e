# tokendesk: build a wheel set in one stage, run it as a non-root user in a slim image without compilers.

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip wheel --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links=/wheels /wheels/tokendesk-*.whl \
    && rm -rf /wheels \
    && groupadd --system --gid 10001 tokendesk \
    && useradd --system --uid 10001 --gid tokendesk --home-dir /data --shell /usr/sbin/nologin tokendesk \
    && mkdir -p /data \
    && chown tokendesk:tokendesk /data
# The default DATABASE_URL (sqlite:///tokendesk.db) is relative to the working directory: /data.
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status == 200 else 1)"]
CMD ["tokendesk", "serve", "--host", "0.0.0.0", "--port", "3000"]
