# One image for every Python service; the service is chosen by the SERVICE argument
# (fetcher, deduplicator, summarizer, publisher, site, digest):
#   docker build --build-arg SERVICE=site -t pressroom-site .
ARG PYTHON_VERSION=3.11.14
# pyproject.toml's version (tests/unit/test_deploy.py keeps the two the same).
ARG PRESSROOM_VERSION=0.1.0

# -- build: the service's pinned dependencies and the project, into a virtualenv --------
# Only the service's runtime set: the dependencies every service has and its own extra,
# pinned with hashes (deploy/locks/<service>.txt, `make locks`).
FROM python:${PYTHON_VERSION}-slim AS build
ARG SERVICE
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY deploy/locks ./locks
RUN test -f "locks/$SERVICE.txt" || (echo "build with --build-arg SERVICE=<name>" && exit 1) \
    && /opt/venv/bin/pip install --no-deps --require-hashes -r "locks/$SERVICE.txt"
COPY pyproject.toml README.md LICENSE ./
COPY shared ./shared
COPY services ./services
RUN /opt/venv/bin/pip install --no-deps .

# -- run: the virtualenv and the sources file, as a user without privileges -------------
FROM python:${PYTHON_VERSION}-slim AS run
ARG SERVICE
ARG PRESSROOM_VERSION
LABEL org.opencontainers.image.title="pressroom-${SERVICE}" \
      org.opencontainers.image.description="Pressroom ${SERVICE}: news feeds to a public AI news site" \
      org.opencontainers.image.version="${PRESSROOM_VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PRESSROOM_SERVICE=${SERVICE} \
    PRESSROOM_HTTP_HOST=0.0.0.0 \
    PRESSROOM_HTTP_PORT=8000 \
    PRESSROOM_SOURCES_FILE=/app/deploy/sources.yaml
RUN test -n "$SERVICE" || (echo "build with --build-arg SERVICE=<name>" && exit 1) \
    && useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin pressroom
COPY --from=build /opt/venv /opt/venv
COPY deploy/sources.yaml /app/deploy/sources.yaml
WORKDIR /app
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('PRESSROOM_OPS_PORT') or os.environ.get('PRESSROOM_HTTP_PORT', '8000'); urllib.request.urlopen(f\"http://127.0.0.1:{port}/health\", timeout=2)"]
# exec form: SIGTERM reaches the service, which stops gracefully.
CMD ["sh", "-c", "exec pressroom serve \"$PRESSROOM_SERVICE\""]
