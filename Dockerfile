# One image for every newsstream stage: the command picks the stage, e.g.
#   docker run newsstream:0.1.0 produce | normalize | detect-corrections | pages | topics create
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NEWSSTREAM_LOG_FORMAT=json \
    NEWSSTREAM_STATE_DIR=/var/lib/newsstream

WORKDIR /app

# Dependencies first (from pyproject), so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt

COPY newsstream ./newsstream
COPY producers ./producers
COPY consumers ./consumers
COPY schemas ./schemas
COPY articles ./articles
COPY web ./web
# `dev feeds serve` (compose's demo profile) and `dev kafka`: the CLI imports them.
COPY devtools ./devtools
# The sample feed list when the repository has one (the glob lets the build go on without it);
# compose mounts ./feeds.toml over it. The demo feeds stay at /app/devtools/demo/.
COPY pyproject.toml feeds.tom[l] ./
RUN pip install --no-deps . \
    && useradd --system --uid 10001 --home-dir /var/lib/newsstream --create-home newsstream \
    && chown -R newsstream /var/lib/newsstream

USER newsstream

# /healthz on the stage's metrics port: NEWSSTREAM_METRICS_PORT, else the default port of the stage
# named in the container's command (PID 1). Slim has no curl, so Python's urllib it is.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; from newsstream.cli.specs import BY_NAME as S; args = open('/proc/1/cmdline', 'rb').read().decode().split(chr(0)); port = os.environ.get('NEWSSTREAM_METRICS_PORT') or next((str(S[a].default_port) for a in args if a in S), '9101'); urllib.request.urlopen('http://127.0.0.1:%s/healthz' % port, timeout=2)"]

ENTRYPOINT ["newsstream"]
CMD ["--help"]
