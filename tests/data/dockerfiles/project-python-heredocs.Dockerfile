# A Python service: heredocs of several kinds (shell, Python, SQL, config files, <<-, quoted, fd).
ARG PYTHON_VERSION=3.12
ARG DEBIAN=bookworm

FROM python:${PYTHON_VERSION}-slim-${DEBIAN} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN <<EOF
set -eux
apt-get update
apt-get install -y --no-install-recommends libpq5
rm -rf /var/lib/apt/lists/*
EOF

FROM base AS deps
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install -r requirements.txt

FROM deps AS migrations
COPY <<-"SQL" /migrations/001_init.sql
	CREATE TABLE users (id serial PRIMARY KEY, name text);
	CREATE VIEW active AS
	SELECT u.name
	FROM users AS u
	WHERE u.id > 0;
	SQL
RUN python3 <<'PY'
import pathlib
from pathlib import Path
FROM = "not an instruction"
for p in Path("/migrations").glob("*.sql"):
    print(p.read_text())
PY

FROM deps AS config
COPY <<EOF /etc/app/app.toml
[server]
port = 8080
# FROM config AS never
EOF
COPY <<nginx.conf <<supervisord.conf /etc/
server { listen 80; }
FROM nginx AS fake-one
nginx.conf
[supervisord]
FROM supervisor AS fake-two
supervisord.conf

FROM deps AS test
COPY . /src
WORKDIR /src
RUN <<EOF bash
set -e
python -m pytest -q \
  tests/
EOF
RUN python3 - 3<<EOF <<'SCRIPT'
extra input on fd 3
EOF
import os
print(os.read(3, 100))
SCRIPT

FROM base AS runtime
COPY --from=deps /usr/local/lib/python3.12/site-packages /usr/local/lib/python3.12/site-packages
COPY --from=config /etc/app /etc/app
COPY src/ /app/
ONBUILD RUN <<EOF
echo "FROM onbuild AS trigger"
EOF
USER 65532
CMD ["python", "-m", "app"]
