# syntax=docker/dockerfile:1
# The Crossfade gateway with its data, ranking model and GraphiQL assets baked in.
#
#   docker build -t crossfade .                                   (the gateway: runtime)
#   docker build --target training -t crossfade-training .      (batch jobs on Spark)
#   docker run --rm -p 8000:8000 -e CROSSFADE_ENVIRONMENT=production \
#       -e CROSSFADE_JWT_SECRET=... crossfade
#
# scripts/docker_steps.sh replays this file's ENV/WORKDIR/RUN lines on a machine without
# Docker (tests/test_dockerfile.py), so keep every RUN line runnable there too, or mark it with
# a "# docker_steps: skip (why)" comment on the line above.

ARG PYTHON_IMAGE=python:3.11-slim
ARG NODE_IMAGE=node:20-bookworm-slim

# Only a source of the node and npm binaries for the assets stage; never shipped.
FROM ${NODE_IMAGE} AS node

# ---- builder: the project and its dependencies in a venv that the runtime copies whole ----
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY . .
# Not editable: the runtime image has no /src, so the code must live in site-packages.
RUN pip install --quiet .

# ---- data: the SQLite store and the ranking model, built once at image build time ----
FROM builder AS data
ENV CROSSFADE_DATA_DIR=/var/lib/crossfade
RUN crossfade data build
RUN crossfade train

# ---- assets: GraphiQL and React from the npm registry; the only stage with Node ----
FROM builder AS assets
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
# docker_steps: skip (the host already has npm on PATH)
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && npm --version
# Writes into site-packages/gateway/static/vendor, so copying the venv ships the assets.
RUN crossfade assets fetch

# ---- training: the batch jobs on Spark (pyspark and a Java runtime); never in the runtime ----
#   docker build --target training -t crossfade-training .
#   docker run --rm -v crossfade-data:/var/lib/crossfade crossfade-training \
#       crossfade train --engine spark --master spark://HOST:7077
#   (also `crossfade mixes build --engine spark`; the default CMD trains on local[*])
FROM builder AS training
ENV CROSSFADE_DATA_DIR=/var/lib/crossfade
WORKDIR /src
# Debian's JRE (17 on bookworm, 21 on later releases) and a native BLAS for MLlib.
RUN bash scripts/java.sh
RUN pip install --quiet '.[spark]'
CMD ["crossfade", "train", "--engine", "spark"]

# ---- runtime: slim Python, the venv and the data, no compilers, no Node, not root ----
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH CROSSFADE_DATA_DIR=/var/lib/crossfade PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
# docker_steps: skip (adds a system user; the local mirror runs the server as nobody instead)
RUN groupadd --system --gid 10001 crossfade && useradd --system --uid 10001 --gid crossfade --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin crossfade
COPY --from=assets /opt/venv /opt/venv
# Writable by the app: SQLite in WAL mode creates -wal/-shm files and the API records plays
# and playlist edits.
COPY --from=data --chown=10001:10001 /var/lib/crossfade /var/lib/crossfade
WORKDIR /var/lib/crossfade
# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000
# python:3.11-slim has no curl; urllib is enough for a liveness probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["crossfade", "serve", "--host", "0.0.0.0", "--port", "8000"]
