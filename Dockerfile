# syntax=docker/dockerfile:1
# The pingone-operator image: `pingone-operator run` (kopf, standalone) as a non-root user.
#
#   docker build -t pingone-operator:0.1.0 .
#
# Build arguments are metadata only: no credential is ever needed to build this image, and none
# may be passed as a build argument (they would stay in the image history). PingOne credentials
# reach the container at run time, from a Kubernetes Secret (see docs/install.md).
#
# Pin the base image by digest in your own builds, e.g.
#   --build-arg BASE_IMAGE=python:3.12-slim-bookworm@sha256:<digest>
# Any Debian-like base with python3 (3.11+, with venv) works: the test bed builds on a
# debootstrapped bookworm with Debian's python3 (testbed/image.py).
ARG BASE_IMAGE=python:3.12-slim-bookworm

# ---- build: a virtualenv with the operator and its dependencies, from the project's metadata ----
FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1
# `python3`: Debian's python3 has no `python` command; the official images have both.
RUN python3 -m venv /opt/pingone-operator
ENV PATH=/opt/pingone-operator/bin:$PATH
WORKDIR /src
# Only what `pip install .` reads (see .dockerignore): the metadata, the readme it names, the
# operator's code (the PingOne simulator shares the distribution but is not part of the image).
COPY pyproject.toml README.md constraints.txt ./
COPY operator/pingone_operator ./operator/pingone_operator
# Dependencies come from pyproject.toml, at the exact versions of constraints.txt. Bytecode is compiled now, so the read-only root
# filesystem never needs a write at start-up; pip itself is not needed at run time.
RUN pip install --upgrade pip \
 && pip install --constraint constraints.txt . \
 && pip check \
 && python -m compileall -q /opt/pingone-operator \
 && pip uninstall --yes pip

# ---- runtime: the same base, the virtualenv and nothing else ----
FROM ${BASE_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="pingone-operator" \
      org.opencontainers.image.description="Kubernetes operator that manages PingOne OIDC applications as code" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="pingone-operator"
ENV PATH=/opt/pingone-operator/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONFAULTHANDLER=1 \
    TMPDIR=/tmp \
    # Fewer glibc malloc arenas for the Kubernetes client's worker threads: less resident memory.
    MALLOC_ARENA_MAX=2
COPY --from=build /opt/pingone-operator /opt/pingone-operator
# The official images ship the standard library without bytecode; compile it once here.
RUN python -c "import compileall, sysconfig; compileall.compile_dir(sysconfig.get_paths()['stdlib'], quiet=1)"
# Numeric, so the kubelet can check runAsNonRoot; 65532 is the usual "nonroot" id. No home
# directory or writable path is needed: the chart mounts an emptyDir at /tmp and sets
# readOnlyRootFilesystem.
USER 65532:65532
# /healthz (liveness); the chart adds the metrics port when metrics are enabled.
EXPOSE 8080
# Exec form: no shell at run time, and SIGTERM reaches kopf directly (it finishes handlers, then exits).
# Kubernetes `args` (the chart's --all-namespaces / --liveness-port / --log-format) follow `run`.
ENTRYPOINT ["pingone-operator", "run"]
