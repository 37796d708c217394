# tgscraper: tgsc-server in a slim Python image, as a non-root user.
#   docker build -t tgscraper .
#   docker run -d -p 127.0.0.1:8000:8000 -e TELEGRAM_API_ID=... -e TELEGRAM_API_HASH=... \
#       -e TGSC_API_KEY=... -v tgscraper-data:/app/data tgscraper
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 tgscraper \
    && useradd --system --uid 10001 --gid tgscraper --home-dir /app --shell /usr/sbin/nologin tgscraper

WORKDIR /app
COPY setup.py setup.cfg pyproject.toml README.rst LICENSE ./
COPY tgscraper ./tgscraper
RUN pip install . \
    && mkdir -p /app/data \
    && chown -R tgscraper:tgscraper /app/data

USER tgscraper
# the working directory must be writable: pyrogram appends unknown Telegram errors to
# ./unknown_errors.txt
WORKDIR /app/data
VOLUME ["/app/data"]
EXPOSE 8000

# Listening beyond loopback: tgsc-server refuses to start unless TGSC_API_KEY is set.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]

ENTRYPOINT ["tgsc-server", "--data-dir", "/app/data", "--host", "0.0.0.0", "--port", "8000"]
