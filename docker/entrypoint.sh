#!/bin/sh
# Container start: migrate the database to head, then run the command (uvicorn by default).
#
# Migrating here, once, before the server forks its workers, keeps workers from racing on the
# schema. Migrating is idempotent; a database that is still starting is retried a few times
# (NEWSKB_MIGRATE_ATTEMPTS, 3 s apart) before the container gives up and exits non-zero.
set -eu

attempts="${NEWSKB_MIGRATE_ATTEMPTS:-10}"
try=1
until newskb migrate; do
    if [ "$try" -ge "$attempts" ]; then
        echo "newskb-entrypoint: migration failed $try time(s); giving up." >&2
        exit 1
    fi
    echo "newskb-entrypoint: migration failed (attempt $try of $attempts); retrying in 3 s." >&2
    try=$((try + 1))
    sleep 3
done
exec "$@"
