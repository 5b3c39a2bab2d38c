FROM scratch AS db
COPY <<SQL /docker-entrypoint-initdb.d/init.sql
CREATE TABLE users (id int);
SELECT name FROM users AS u;
FROM users AS u
SQL
RUN python3 <<'PY'
from os import path
FROM base AS fake
print(path.sep)
PY
FROM db AS runtime
