# The safeshare application image: the API workers, the scheduler, the migration job and the Prefect
# server all run from it (compose.yaml says which command each runs). Nothing secret is built in:
# the database password, the session key and the SMTP password come from the environment at run time.
FROM python:3.11-slim-bookworm

# WeasyPrint (letters and records as PDF) draws with Pango; npm installs the pages' front-end assets.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
       fonts-dejavu-core nodejs npm \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Front-end assets are served from node_modules (web/app.py), installed from the lock file.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# An editable install keeps the project root at /app, where the models (bpmn/) and node_modules are read.
COPY . .
RUN pip install --no-cache-dir -e . \
    && useradd --system --home-dir /app --shell /usr/sbin/nologin safeshare \
    && mkdir -p /app/var && chown safeshare /app/var
USER safeshare

ENV PYTHONUNBUFFERED=1 \
    PREFECT_SERVER_ANALYTICS_ENABLED=false \
    PREFECT_HOME=/app/var/prefect
EXPOSE 8000
# Each service in compose.yaml gives its own command; alone, the image serves the web UI and API.
CMD ["uvicorn", "--factory", "web.asgi:create", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers", \
     "--log-config", "deploy/logging.json"]
