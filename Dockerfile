# tokendesk: install into a virtual environment in one stage and copy only that environment into a
# slim image without compilers or wheel files; run it as a non-root user.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
# A regular install, not a wheel set: files copied from a stage stay in the image's layers even when a
# later step deletes them, so the final stage takes only the installed environment.
RUN /opt/venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH="/opt/venv/bin:$PATH"
RUN groupadd --system --gid 10001 tokendesk \
    && useradd --system --uid 10001 --gid tokendesk --home-dir /data --shell /usr/sbin/nologin tokendesk \
    && mkdir -p /data \
    && chown tokendesk:tokendesk /data
# The same path as in the build stage: the scripts' #! lines and the venv's python point there.
COPY --from=build /opt/venv /opt/venv
# The default DATABASE_URL (sqlite:///tokendesk.db) is relative to the working directory: /data.
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status == 200 else 1)"]
CMD ["tokendesk", "serve", "--host", "0.0.0.0", "--port", "3000"]
