# tgscraper: tgsc-server in a slim Python image, as a non-root user.
#   docker build -t tgscraper .
#   docker run -d --name tgscraper -p 127.0.0.1:8000:8000 -e TELEGRAM_API_ID=... \
#       -e TELEGRAM_API_HASH=... -e TGSC_API_KEY=... -v tgscraper-data:/app/data tgscraper
#   docker exec -it tgscraper tgsc-auth alice          # log an account in
# (see README.rst "Docker"; scripts/docker-entrypoint dispatches the commands)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 tgscraper \
    && useradd --system --uid 10001 --gid tgscraper --home-dir /app --shell /usr/sbin/nologin tgscraper

# build from a scratch directory that is removed again: only the installed package stays
WORKDIR /src
COPY setup.py setup.cfg pyproject.toml README.rst LICENSE ./
COPY tgscraper ./tgscraper
COPY scripts/docker-entrypoint /usr/local/bin/tgsc-docker-entrypoint
RUN pip install . \
    && chmod 0755 /usr/local/bin/tgsc-docker-entrypoint \
    && rm -rf /src \
    && mkdir -p /app/data \
    && chown -R tgscraper:tgscraper /app

USER tgscraper
# tgsc-server and tgsc-auth both default to ./data, which from /app is the volume: a
# login by `docker exec -it tgscraper tgsc-auth NAME` lands where the server reads. The
# working directory is writable: pyrogram appends unknown Telegram errors to
# ./unknown_errors.txt.
WORKDIR /app
VOLUME ["/app/data"]
EXPOSE 8000

# Listening beyond loopback: tgsc-server refuses to start unless TGSC_API_KEY is set.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]

# no arguments (or only options): tgsc-server --data-dir /app/data --host 0.0.0.0
# --port 8000 [options]; a command (tgsc-auth NAME, sh, ...) runs as given
ENTRYPOINT ["tgsc-docker-entrypoint"]
