# Perfite: one image for every role (web, worker, beat, agents); docker-compose.yml picks the
# command. Agents drive Debian's Chromium and Firefox ESR through Playwright (no browser download).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PERFITE_VAR_DIR=/data \
    PERFITE_BROWSER_PATH=/usr/bin/chromium

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        chromium firefox-esr fonts-dejavu-core fonts-liberation ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 perfite \
    && mkdir -p /data/media && chown -R perfite:perfite /data

WORKDIR /app
COPY . .
RUN pip install . && python -m compileall -q /app

USER perfite
EXPOSE 8000
CMD ["gunicorn", "perfite.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
