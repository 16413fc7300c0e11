# One image for every backbone service; the command picks the service:
#   docker run --rm -p 9003:9003 backbone backbone serve flaky --host 0.0.0.0
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Runtime pins only: the bench extra is not installed (`backbone bench` says how to add it).
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-deps . \
    && useradd --create-home --uid 10001 backbone \
    && mkdir -p /data/reports && chown backbone /data/reports
USER backbone

ENV ENVIRONMENT=production \
    LOG_FORMAT=json
EXPOSE 8000 8001 8002 8003 9001 9002 9003
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import os, sys, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"9003\")}/healthz', timeout=2)" || exit 1
CMD ["backbone", "serve", "flaky", "--host", "0.0.0.0", "--port", "9003"]
